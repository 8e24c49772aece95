"""python -m lex_bot [--check]: write (or check) the generated stacks/self_service_bot.yaml."""

from __future__ import annotations

import argparse

from stack_writer import sync

from lex_bot import stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when the stack file is out of date")
    args = parser.parse_args(argv)
    return sync(stack(), check=args.check)


if __name__ == "__main__":
    raise SystemExit(main())
