"""python -m bench: run every benchmark, print the table, exit 1 when a budget is exceeded."""

from __future__ import annotations

import sys

from connect_zendesk_local.stack import LocalStack

from bench import bot_latency, cold_init, flow_latency
from bench.report import print_and_save


def main() -> int:
    with LocalStack() as stack:
        print("cold init (fresh processes) ...", flush=True)
        rows = cold_init.run(stack)
        print("contact-flow latency on the local stack ...", flush=True)
        rows += flow_latency.run(stack)
        print("self-service bot latency on the local stack ...", flush=True)
        rows += bot_latency.run(stack)
    return 0 if print_and_save(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
