"""Athena's view of the call analytics, reproduced with DuckDB over local JSON documents.

The `calls` table is declared once, in template.yaml (Glue table `CallsTable`, partition `dt`); this
module turns that declaration into a DuckDB view over a folder laid out like the analytics bucket
(`calls/dt=YYYY-MM-DD/<contactId>.json`), so a document that does not fit the Glue schema fails
here as it would in Athena. The named queries run from analytics/queries/*.sql, the same files the
template embeds. One construct differs between the engines and is translated: Athena (Trino)
expands `UNNEST(array of rows) AS t (a, b, ...)` into one column per field; DuckDB keeps one struct
unless asked to unnest recursively. Athena's `from_iso8601_timestamp` is a DuckDB macro (a cast).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from connect_zendesk_local.cfn_template import PROJECT_ROOT, Template

QUERIES_DIR = PROJECT_ROOT / "analytics" / "queries"
GLUE_TABLE = "CallsTable"
_SCALARS = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "int": "INTEGER",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
_UNNEST_ROWS = re.compile(r"UNNEST\(([^()]+)\)\s+AS\s+(\w+)\s*\((\s*\w+\s*(?:,\s*\w+\s*)+)\)", re.IGNORECASE)


def query_names() -> list[str]:
    return sorted(path.stem for path in QUERIES_DIR.glob("*.sql"))


def query_text(name: str) -> str:
    return (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")


def glue_table(template: Template) -> dict[str, Any]:
    table_input: dict[str, Any] = template.resources[GLUE_TABLE]["Properties"]["TableInput"]
    return table_input


def glue_columns(template: Template) -> list[tuple[str, str]]:
    columns = glue_table(template)["StorageDescriptor"]["Columns"]
    return [(str(column["Name"]), str(column["Type"])) for column in columns]


def duckdb_type(hive_type: str) -> str:
    """A Glue/Hive column type ('struct<a:int,b:array<string>>') as a DuckDB type."""
    parsed, rest = _parse_type(hive_type.replace(" ", ""))
    if rest:
        raise ValueError(f"cannot read the type {hive_type!r} (left over: {rest!r})")
    return parsed


def _parse_type(text: str) -> tuple[str, str]:
    lowered = text.lower()
    if lowered.startswith("array<"):
        inner, rest = _parse_type(text[len("array<") :])
        return f"{inner}[]", _expect(rest, ">")
    if lowered.startswith("struct<"):
        rest = text[len("struct<") :]
        fields = []
        while True:
            name, _, rest = rest.partition(":")
            field_type, rest = _parse_type(rest)
            fields.append(f'"{name}" {field_type}')
            if rest.startswith(","):
                rest = rest[1:]
                continue
            return f"STRUCT({', '.join(fields)})", _expect(rest, ">")
    match = re.match(r"[a-z]+", lowered)
    if match is None or match.group(0) not in _SCALARS:
        raise ValueError(f"unsupported Hive type at {text!r}")
    return _SCALARS[match.group(0)], text[match.end() :]


def _expect(text: str, token: str) -> str:
    if not text.startswith(token):
        raise ValueError(f"expected {token!r} at {text!r}")
    return text[len(token) :]


def duckdb_dialect(sql: str) -> str:
    """Athena SQL as DuckDB runs it: only `UNNEST(rows) AS t (cols...)` needs rewriting."""
    return _UNNEST_ROWS.sub(
        lambda m: f"LATERAL (SELECT UNNEST({m.group(1)}, recursive := true)) AS {m.group(2)} ({m.group(3)})",
        sql,
    )


class AnalyticsDatabase:
    """An in-memory DuckDB with the `calls` view over a folder laid out like the analytics bucket."""

    def __init__(self, root: Path, template: Template) -> None:
        self._connection = duckdb.connect(":memory:")
        columns = {name: duckdb_type(kind) for name, kind in glue_columns(template)}
        partitions = {
            str(key["Name"]): duckdb_type(str(key["Type"]))
            for key in glue_table(template).get("PartitionKeys", [])
        }
        pattern = (root / "calls" / "*" / "*.json").as_posix()
        # A view cannot take prepared parameters: the values are written as SQL literals.
        source = (
            f"read_json({_literal(pattern)}, format = 'newline_delimited', hive_partitioning = true, "
            f"hive_types = {_struct(partitions)}, columns = {_struct(columns)})"
        )
        if not any(root.glob("calls/*/*.json")):
            # read_json refuses a pattern without files; Athena reads an empty prefix as no rows.
            every = columns | partitions
            typed_nulls = ", ".join(f'CAST(NULL AS {kind}) AS "{name}"' for name, kind in every.items())
            source = f"(SELECT {typed_nulls} WHERE false)"
        self._connection.execute(f"CREATE VIEW calls AS SELECT * FROM {source}")  # noqa: S608 - literals quoted
        # Trino's ISO-8601 parser, as DuckDB spells it: the documents' times are ISO-8601 UTC strings.
        self._connection.execute("CREATE MACRO from_iso8601_timestamp(text) AS CAST(text AS TIMESTAMPTZ)")

    def run(self, name: str) -> list[dict[str, Any]]:
        """Run analytics/queries/<name>.sql; a CREATE VIEW returns no rows."""
        return self.execute(query_text(name))

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._connection.execute(duckdb_dialect(sql), list(parameters))
        if cursor.description is None:
            return []
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        self._connection.close()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _struct(values: dict[str, str]) -> str:
    return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in values.items()) + "}"


def download_documents(s3: Any, bucket: str, destination: Path) -> int:
    """Copy every analytics document of the bucket under `destination`, keeping the keys' layout."""
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="calls/"):
        for entry in page.get("Contents", []):
            target = destination / entry["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read())
            count += 1
    return count
