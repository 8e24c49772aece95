"""make report: the analytics charts of a date range as one self-contained HTML page.

    python -m connect_zendesk_local.report [--from 2026-11-01] [--to 2026-11-30] [--out build/report.html]
    python -m connect_zendesk_local.report --athena connect-zendesk-analytics [--database connect_zendesk]

Locally the queries run with DuckDB over the documents `make history` left in .local-stack/analytics
(played first when there are none); with --athena they run on the deployed views in that workgroup.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template
from connect_zendesk_local.report.build import write_report
from connect_zendesk_local.report.engines import AthenaEngine, DuckDbEngine, QueryEngine

DEFAULT_DAYS = 30
DEFAULT_OUT = PROJECT_ROOT / "build" / "report.html"
LOCAL_DOCUMENTS = PROJECT_ROOT / ".local-stack" / "analytics"
TEMPLATE_PLACEHOLDERS = {"ZendeskSubdomain": "demo", "ZendeskEmail": "agent@example.com"}


def _day(text: str) -> str:
    return date.fromisoformat(text).isoformat()  # refuses anything but YYYY-MM-DD


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    today = datetime.now(UTC).date()
    parser = argparse.ArgumentParser(prog="make report", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from", dest="first_day", type=_day, help=f"first UTC day (default: {DEFAULT_DAYS} days ago)"
    )
    parser.add_argument(
        "--to", dest="last_day", type=_day, default=today.isoformat(), help="last UTC day (today)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the HTML page to write")
    parser.add_argument(
        "--athena", metavar="WORKGROUP", help="query the deployed views in this Athena workgroup"
    )
    parser.add_argument(
        "--database", default="connect_zendesk", help="the Glue database (AnalyticsDatabaseName)"
    )
    parser.add_argument("--region", help="AWS region for --athena (default: the AWS configuration's)")
    parser.add_argument("--documents", type=Path, default=LOCAL_DOCUMENTS, help="local analytics folder")
    parser.add_argument("--calls", type=int, default=300, help="past calls to play when the folder is empty")
    args = parser.parse_args(argv)
    if args.first_day is None:
        args.first_day = (date.fromisoformat(args.last_day) - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    if args.first_day > args.last_day:
        parser.error(f"--from {args.first_day} is after --to {args.last_day}")
    return args


def _local_engine(args: argparse.Namespace) -> DuckDbEngine:
    if args.calls > 0 and not any(args.documents.glob("calls/*/*.json")):
        from connect_zendesk_local.history import generate_history  # noqa: PLC0415 - starts a stack

        sys.stderr.write(f"no analytics documents in {args.documents}: playing {args.calls} past calls\n")
        generate_history(calls=args.calls, destination=args.documents)
    return DuckDbEngine(args.documents, Template.from_file(parameters=TEMPLATE_PLACEHOLDERS))


def _athena_engine(args: argparse.Namespace) -> AthenaEngine:
    import boto3  # noqa: PLC0415 - only the Athena path needs AWS

    athena = boto3.client("athena", region_name=args.region) if args.region else boto3.client("athena")
    return AthenaEngine(athena, workgroup=args.athena, database=args.database)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    engine: QueryEngine = _athena_engine(args) if args.athena else _local_engine(args)
    charts = write_report(engine, args.first_day, args.last_day, args.out)
    if isinstance(engine, DuckDbEngine):
        engine.close()
    drawn = sum(not rendered.data.empty for rendered in charts)
    sys.stdout.write(
        f"{args.out}: {drawn} of {len(charts)} charts with data ({args.first_day} to {args.last_day})\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
