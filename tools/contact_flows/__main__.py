"""python -m contact_flows sync [--check] | render --stack NAME [--region R] [--out DIR] [--set K=V ...]

sync: write (or, with --check, verify) the generated stacks/contact_flows.yaml.
render: fill the flows with a deployed stack's ARNs into build/flows/, validated (`make flows`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import boto3
import stack_writer
from botocore.exceptions import BotoCoreError, ClientError

from contact_flows import PROJECT_ROOT
from contact_flows.render import RenderError, render_flows, stack_values, write_flows
from contact_flows.stack import stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="contact_flows", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="regenerate stacks/contact_flows.yaml")
    sync.add_argument("--check", action="store_true", help="exit 1 when the stack file is out of date")
    render = commands.add_parser("render", help="render the flows with a deployed stack's ARNs")
    render.add_argument("--stack", required=True)
    render.add_argument("--region", default=None)
    render.add_argument("--out", type=Path, default=PROJECT_ROOT / "build" / "flows")
    render.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a placeholder value"
    )
    args = parser.parse_args(argv)
    if args.command == "sync":
        return stack_writer.sync(stack(), check=args.check)
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


if __name__ == "__main__":
    raise SystemExit(main())
