"""``python -m connect_zendesk_local.zendesk_emulator``: serve the emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from connect_zendesk_local.zendesk_emulator.faults import FaultConfig
from connect_zendesk_local.zendesk_emulator.server import DEFAULT_API_TOKEN, DEFAULT_EMAIL, ZendeskEmulator


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m connect_zendesk_local.zendesk_emulator",
        description="Zendesk Support API emulator (faults from ZENDESK_EMULATOR_* environment variables).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (default 8765)")
    parser.add_argument("--dataset", type=Path, help="a JSON data set instead of the seeded demo")
    parser.add_argument("--email", default=DEFAULT_EMAIL, help="the API user's email")
    parser.add_argument("--token", default=DEFAULT_API_TOKEN, help="the API token")
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    stop: threading.Event | None = None,
    on_ready: Callable[[ZendeskEmulator], None] | None = None,
) -> int:
    """Serve until Ctrl-C or until ``stop`` is set; ``on_ready`` runs once the port is bound."""
    args = parse_args(argv)
    try:
        faults = FaultConfig.from_env()
    except ValueError as exc:
        print(f"zendesk emulator: {exc}", file=sys.stderr)
        return 2
    dataset = json.loads(args.dataset.read_text(encoding="utf-8")) if args.dataset else None
    emulator = ZendeskEmulator(
        args.host, args.port, dataset=dataset, faults=faults, email=args.email, api_token=args.token
    )
    emulator.start()
    stop = stop or threading.Event()
    try:
        print(f"Zendesk emulator listening on {emulator.url} (faults: {faults.to_dict()})", flush=True)
        if on_ready is not None:
            on_ready(emulator)
        stop.wait()  # Ctrl-C interrupts the wait in the main thread
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0
