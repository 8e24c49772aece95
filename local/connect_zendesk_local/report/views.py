"""The Athena views QuickSight (and `make report`) read: one SQL source each (stacks/analytics_views.yaml).

A view is a Glue table of type VIRTUAL_VIEW whose `ViewOriginalText` is Athena's Presto view encoding,
`/* Presto View: <base64 of {originalSql, catalog, schema, columns}> */`. Its SQL is the file's text
verbatim: analytics/views/<name>.sql, or one of the named queries in analytics/queries/ (phrase_view.sql
without its CREATE VIEW head). The columns are what the SQL gives, read from DuckDB over an empty
`calls`; every new view casts its columns, so both engines agree on the types.

    python -m connect_zendesk_local.report.views   # prints the template's view resources (YAML)
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from connect_zendesk_local.analytics_sql import QUERIES_DIR, AnalyticsDatabase
from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template

VIEWS_DIR = PROJECT_ROOT / "analytics" / "views"
NAMED_QUERY_VIEWS = ("phrase_view", "sentiment_by_day", "automated_resolution_rate")
_CREATE_VIEW = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+(\w+)\s+AS\s*\n", re.IGNORECASE)
# DuckDB's type of a view column → (Presto type in the view JSON, Hive type in the Glue columns).
_TYPES = {
    "VARCHAR": ("varchar", "string"),
    "BIGINT": ("bigint", "bigint"),
    "INTEGER": ("integer", "int"),
    "DOUBLE": ("double", "double"),
    "BOOLEAN": ("boolean", "boolean"),
}


@dataclass(frozen=True)
class ViewColumn:
    name: str
    presto_type: str
    hive_type: str


def view_names() -> list[str]:
    return [*NAMED_QUERY_VIEWS, *sorted(path.stem for path in VIEWS_DIR.glob("*.sql"))]


def view_sql(name: str) -> str:
    """The SELECT that defines the view, exactly as in its file."""
    own = VIEWS_DIR / f"{name}.sql"
    if own.exists():
        return own.read_text(encoding="utf-8")
    if name not in NAMED_QUERY_VIEWS:
        raise KeyError(f"no view {name!r}")
    text = (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _CREATE_VIEW.sub("", text, count=1)


def resource_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "AthenaView"


def create_views(database: AnalyticsDatabase) -> None:
    """Every view in a DuckDB database, as the stack creates them in Glue."""
    for name in view_names():
        database.execute(f"CREATE OR REPLACE VIEW {name} AS\n{view_sql(name)}")


def view_columns(template: Template) -> dict[str, list[ViewColumn]]:
    """The columns each view gives, read from DuckDB over an empty analytics folder."""
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "calls").mkdir()
        database = AnalyticsDatabase(Path(folder), template)
        try:
            create_views(database)
            return {name: _describe(database, name) for name in view_names()}
        finally:
            database.close()


def _describe(database: AnalyticsDatabase, name: str) -> list[ViewColumn]:
    columns = []
    for row in database.execute(f"DESCRIBE {name}"):
        presto, hive = _TYPES[str(row["column_type"])]
        columns.append(ViewColumn(str(row["column_name"]), presto, hive))
    return columns


def presto_view_json(name: str, columns: list[ViewColumn]) -> str:
    """The JSON Athena keeps base64-encoded in ViewOriginalText (`${AnalyticsDatabase}` is for Fn::Sub)."""
    head = {"originalSql": view_sql(name), "catalog": "awsdatacatalog", "schema": "${AnalyticsDatabase}"}
    fields = [f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}," for key, value in head.items()]
    entries = [json.dumps({"name": c.name, "type": c.presto_type}) for c in columns]
    return "\n".join(["{", *fields, '  "columns": [', "    " + ",\n    ".join(entries), "  ]", "}"])


def template_block(template: Template) -> str:
    """The view resources as template.yaml holds them (printed by `python -m ...report.views`)."""
    lines: list[str] = []
    for name, columns in view_columns(template).items():
        lines += [
            f"  {resource_name(name)}:",
            "    Type: AWS::Glue::Table",
            "    Properties:",
            "      CatalogId: !Ref AWS::AccountId",
            "      DatabaseName: !Ref AnalyticsDatabase",
            "      TableInput:",
            f"        Name: {name}",
            f"        Description: Athena view {name} (analytics/ SQL), ready for a QuickSight dataset.",
            "        TableType: VIRTUAL_VIEW",
            '        Parameters: { presto_view: "true", comment: Presto View }',
            "        PartitionKeys: []",
            "        ViewExpandedText: /* Presto View */",
            "        ViewOriginalText: !Join",
            '          - ""',
            '          - - "/* Presto View: "',
            "            - Fn::Base64: !Sub |",
            *[f"                {line}" for line in presto_view_json(name, columns).splitlines()],
            '            - " */"',
            "        StorageDescriptor:",
            "          Columns:",
            *[f"            - {{ Name: {c.name}, Type: {c.hive_type} }}" for c in columns],
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    # Only the Glue table is read: the stack parameters without defaults get placeholders.
    placeholders = {"ZendeskSubdomain": "demo", "ZendeskEmail": "agent@example.com"}
    template = Template.from_file(parameters=placeholders)
    sys.stdout.write(template_block(template))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
