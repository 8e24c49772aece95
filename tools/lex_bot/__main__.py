"""python -m lex_bot [--check]: write (or check) the generated bot block of template.yaml."""

from __future__ import annotations

import argparse
import sys

from lex_bot import TEMPLATE, template_with_block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when template.yaml is out of date")
    args = parser.parse_args(argv)
    current = TEMPLATE.read_text(encoding="utf-8")
    wanted = template_with_block(current)
    if args.check:
        if wanted != current:
            print("template.yaml's bot block is out of date: run `make bot`", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        TEMPLATE.write_text(wanted, encoding="utf-8")
        print(f"updated {TEMPLATE.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
