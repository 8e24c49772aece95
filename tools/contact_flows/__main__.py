"""python -m contact_flows sync [--check] | render --stack NAME [--region R] [--out DIR] [--set K=V ...]

sync: write (or, with --check, verify) the generated contact-flow block of template.yaml.
render: fill the flows with a deployed stack's ARNs into build/flows/, validated (`make flows`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from contact_flows import PROJECT_ROOT
from contact_flows.render import RenderError, render_flows, stack_values, write_flows
from contact_flows.template_block import TEMPLATE, template_with_block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="contact_flows", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="regenerate the flows block of template.yaml")
    sync.add_argument("--check", action="store_true", help="exit 1 when template.yaml is out of date")
    render = commands.add_parser("render", help="render the flows with a deployed stack's ARNs")
    render.add_argument("--stack", required=True)
    render.add_argument("--region", default=None)
    render.add_argument("--out", type=Path, default=PROJECT_ROOT / "build" / "flows")
    render.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a placeholder value"
    )
    args = parser.parse_args(argv)
    if args.command == "sync":
        return _sync(check=args.check)
    overrides = dict(item.split("=", 1) for item in args.set if "=" in item)
    if len(overrides) != len(args.set):
        print("--set takes NAME=VALUE", file=sys.stderr)
        return 2
    try:
        values = stack_values(boto3.client("cloudformation", region_name=args.region), args.stack)
        for path in write_flows(render_flows({**values, **overrides}), args.out):
            print(f"wrote {path}")
    except (RenderError, ClientError, BotoCoreError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _sync(*, check: bool) -> int:
    current = TEMPLATE.read_text(encoding="utf-8")
    wanted = template_with_block(current)
    if check:
        if wanted != current:
            print(
                "template.yaml's contact-flow block is out of date: run `make flows-template`",
                file=sys.stderr,
            )
            return 1
        return 0
    if wanted != current:
        TEMPLATE.write_text(wanted, encoding="utf-8")
        print(f"updated {TEMPLATE.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
