"""The Athena views of stacks/analytics_views.yaml (Glue VIRTUAL_VIEW tables in the Presto view encoding,
template.yaml's nested application AnalyticsViewsStack) hold the SQL files verbatim and declare the
columns that SQL gives, so QuickSight reads what `make report` reads."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template, load_nested_stack, load_template
from connect_zendesk_local.report.views import (
    NAMED_QUERY_VIEWS,
    presto_view_json,
    resource_name,
    view_columns,
    view_names,
    view_sql,
)
from connect_zendesk_local.report.views import main as views_main
from stack_writer import render
from stack_writer.analytics_views import main as views_template_main
from stack_writer.analytics_views import stack

TEMPLATE = load_template()
VIEWS_STACK = load_nested_stack("AnalyticsViewsStack")
VIEWS = {
    body["Properties"]["TableInput"]["Name"]: (name, body["Properties"])
    for name, body in VIEWS_STACK["Resources"].items()
    if body["Type"] == "AWS::Glue::Table" and body["Properties"]["TableInput"]["TableType"] == "VIRTUAL_VIEW"
}


def presto_view(table_input: dict[str, Any], database: str) -> dict[str, Any]:
    """What Athena decodes from ViewOriginalText once CloudFormation has resolved it."""
    separator, (prefix, encoded, suffix) = table_input["ViewOriginalText"]["Fn::Join"]
    assert (separator, prefix, suffix) == ("", "/* Presto View: ", " */")
    text = encoded["Fn::Base64"]["Fn::Sub"].replace("${AnalyticsDatabase}", database)
    assert "${" not in text  # nothing else for Fn::Sub to resolve
    # Fn::Base64 encodes the resolved string; Athena decodes it back before parsing the JSON
    parsed: dict[str, Any] = json.loads(base64.b64decode(base64.b64encode(text.encode("utf-8"))))
    return parsed


def test_every_chart_view_is_in_the_template_and_nothing_else() -> None:
    assert sorted(VIEWS) == sorted(view_names())
    assert set(NAMED_QUERY_VIEWS) <= set(VIEWS)
    assert len(VIEWS) >= 9
    for view, (resource, _) in VIEWS.items():
        assert resource == resource_name(view)


def test_each_view_holds_its_sql_file_verbatim_in_the_presto_encoding(template: Template) -> None:
    columns = view_columns(template)
    for view, (_, properties) in VIEWS.items():
        table_input = properties["TableInput"]
        assert properties["DatabaseName"] == {"Ref": "AnalyticsDatabase"}
        assert table_input["Parameters"]["presto_view"] == "true"
        assert table_input["PartitionKeys"] == []
        decoded = presto_view(table_input, "connect_zendesk")
        assert decoded["originalSql"] == view_sql(view), view
        assert decoded["catalog"] == "awsdatacatalog"
        assert decoded["schema"] == "connect_zendesk"
        assert decoded["columns"] == [{"name": c.name, "type": c.presto_type} for c in columns[view]], view
        declared = table_input["StorageDescriptor"]["Columns"]
        assert declared == [{"Name": c.name, "Type": c.hive_type} for c in columns[view]], view
        assert table_input["ViewOriginalText"]["Fn::Join"][1][1]["Fn::Base64"]["Fn::Sub"].strip() == (
            presto_view_json(view, columns[view]).strip()
        )


def test_phrase_view_is_the_named_querys_select_without_its_create_head() -> None:
    named = next(
        body["Properties"]["QueryString"]
        for body in TEMPLATE["Resources"].values()
        if body["Type"] == "AWS::Athena::NamedQuery" and body["Properties"]["Name"] == "phrase_view"
    )
    assert named.startswith("CREATE OR REPLACE VIEW phrase_view AS\n")
    assert named.removeprefix("CREATE OR REPLACE VIEW phrase_view AS\n") == view_sql("phrase_view")


def test_every_view_is_keyed_by_day_for_date_filters(template: Template) -> None:
    # QuickSight filters and `make report --from/--to` both narrow on dt
    for view, columns in view_columns(template).items():
        assert columns[0].name == "dt", view
        assert columns[0].presto_type == "varchar", view


def test_the_template_holds_exactly_what_the_generator_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert views_main() == 0
    printed = capsys.readouterr().out
    assert printed.startswith("  PhraseViewAthenaView:\n")
    assert printed.rstrip() in stack().path.read_text(encoding="utf-8")
    assert stack().path.read_text(encoding="utf-8") == render(stack())
    assert views_template_main(["--check"]) == 0


def test_template_yaml_deploys_the_views_with_its_database_unless_switched_off() -> None:
    application = TEMPLATE["Resources"]["AnalyticsViewsStack"]
    assert application["Properties"]["Location"] == "stacks/analytics_views.yaml"
    assert application["Properties"]["Parameters"] == {"AnalyticsDatabase": {"Ref": "AnalyticsDatabase"}}
    assert TEMPLATE["Resources"]["AnalyticsDatabase"]["Type"] == "AWS::Glue::Database"
    assert application["Condition"] == "DeployAnalyticsViews"
    assert TEMPLATE["Conditions"]["DeployAnalyticsViews"] == {
        "Fn::Equals": [{"Ref": "AnalyticsViewsEnabled"}, "true"]
    }
    assert set(VIEWS_STACK["Parameters"]) == {"AnalyticsDatabase"}


def test_every_sql_file_is_a_named_query_or_a_view_of_the_template() -> None:
    files = {path.stem for path in (PROJECT_ROOT / "analytics").rglob("*.sql")}
    named = {
        body["Properties"]["Name"]
        for body in TEMPLATE["Resources"].values()
        if body["Type"] == "AWS::Athena::NamedQuery"
    }
    assert files == named | set(VIEWS)
