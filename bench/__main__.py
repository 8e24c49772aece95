"""python -m bench: run every benchmark, print the table, exit 1 when a budget is exceeded."""

from __future__ import annotations

import sys

from connect_zendesk_local.stack import LocalStack

from bench import cold_init, flow_latency, post_call
from bench.report import print_and_save


def main() -> int:
    with LocalStack() as stack:
        print("cold init (fresh processes) ...", flush=True)
        rows = cold_init.run(stack)
        print("contact-flow latency on the local stack ...", flush=True)
        rows += flow_latency.run(stack)
        print("after the call on the local stack ...", flush=True)
        rows += post_call.run(stack)
    return 0 if print_and_save(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
