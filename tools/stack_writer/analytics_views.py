"""stacks/analytics_views.yaml: the Athena views QuickSight and `make report` read, as Glue tables of
type VIRTUAL_VIEW in Athena's Presto view encoding (connect_zendesk_local.report.views makes them from
the analytics/ SQL). `python -m stack_writer.analytics_views [--check]` (`make views-template`)."""

from __future__ import annotations

import argparse

from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.report.views import template_block

from stack_writer import GeneratedStack, sync

# Only the calls table's columns are read from template.yaml: its parameters without defaults get
# placeholders.
_PLACEHOLDERS = {"ZendeskSubdomain": "demo", "ZendeskEmail": "agent@example.com"}


def stack() -> GeneratedStack:
    return GeneratedStack(
        file_name="analytics_views.yaml",
        command="make views-template",
        sources="analytics/views/*.sql and analytics/queries/ (connect_zendesk_local.report.views)",
        description="connect-zendesk Athena views over the call analytics table, ready for QuickSight.",
        parameters={
            # Named like template.yaml's Glue database resource, so the views read the same either way.
            "AnalyticsDatabase": {"Type": "String", "Description": "The Glue database of the calls table."}
        },
        resources=template_block(Template.from_file(parameters=_PLACEHOLDERS)),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when the stack file is out of date")
    return sync(stack(), check=parser.parse_args(argv).check)


if __name__ == "__main__":
    raise SystemExit(main())
