"""python -m bench: run every benchmark, print the table, save bench/results/latest.json, rewrite the
README's benchmark table from it, and exit 1 when a budget is exceeded."""

from __future__ import annotations

import sys

from connect_zendesk_local.stack import LocalStack

from bench import (
    artifact_sizes,
    bot_latency,
    cold_init,
    first_call,
    flow_latency,
    function_latency,
    kvs_media,
    post_call,
    realtime,
    sentiment_throughput,
)
from bench.report import print_and_save


def main() -> int:
    with LocalStack(aws_in_own_process=True) as stack:
        print("cold init of every function (fresh processes) ...", flush=True)
        rows = cold_init.run(stack)
        print("contact-flow latency on the local stack ...", flush=True)
        rows += flow_latency.run(stack)
        print("first call of a fresh environment while Zendesk hangs (fresh processes) ...", flush=True)
        rows += first_call.run(stack)
        print("self-service bot latency on the local stack ...", flush=True)
        rows += bot_latency.run(stack)
        print("agent side panel: consumer throughput and record-to-panel delay ...", flush=True)
        rows += realtime.run(stack)
        print("agent side panel: sentiment throughput ...", flush=True)
        rows += sentiment_throughput.run(stack)
        print("the other functions' warm latency ...", flush=True)
        rows += function_latency.run(stack)
        print("after the call on the local stack ...", flush=True)
        rows += post_call.run(stack)
        rows += artifact_sizes.run(stack.template)
    print("KVS media reader (CPU time and memory) ...", flush=True)
    rows += kvs_media.run()
    return 0 if print_and_save(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
