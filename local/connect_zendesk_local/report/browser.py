"""Opens a report page in headless Chromium (Debian's, driven by playwright): its console errors, any
request that leaves the page, and optionally a full-page screenshot.

    python -m connect_zendesk_local.report.browser build/report.html docs/images/report.png
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
WIDTH = 1100


@dataclass
class PageVisit:
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)  # anything but the file and data: URIs
    images: int = 0
    broken_images: int = 0
    empty_notes: int = 0


def chromium_path() -> str | None:
    return str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")


def visit(page_path: Path, screenshot: Path | None = None) -> PageVisit:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only this command needs a browser

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed (apt-get install chromium)")
    result = PageVisit()
    url = page_path.resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 900})
            page.on("console", lambda message: _console(result, message))
            page.on("pageerror", lambda error: result.console_errors.append(str(error)))
            page.on("request", lambda request: _request(result, url, request.url))
            page.goto(url, wait_until="load")
            result.images = page.locator("img").count()
            result.broken_images = int(
                page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length")
            )
            result.empty_notes = page.locator(".empty").count()
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return result


def _console(result: PageVisit, message: Any) -> None:
    if message.type == "error":
        result.console_errors.append(str(message.text))


def _request(result: PageVisit, page_url: str, url: str) -> None:
    if url != page_url and not url.startswith("data:"):
        result.outside_requests.append(url)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    page_path, screenshot = Path(args[0]), Path(args[1]) if len(args) > 1 else None
    result = visit(page_path, screenshot)
    sys.stdout.write(f"{result}\n")
    return 1 if result.console_errors or result.outside_requests or result.broken_images else 0


if __name__ == "__main__":
    raise SystemExit(main())
