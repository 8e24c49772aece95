"""Where the report's queries run: DuckDB over local documents, or Athena against a deployed stack.

Both take the same SQL text with `?` placeholders for the date range. Athena runs it in the stack's
workgroup with ExecutionParameters (each a SQL literal, so dates are quoted) and answers in strings;
the result metadata's column types turn them back into numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from connect_zendesk_local.analytics_sql import AnalyticsDatabase
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.report.views import create_views

Rows = list[dict[str, Any]]
DONE_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
_NUMBERS: dict[str, Callable[[str], Any]] = {
    "bigint": int,
    "integer": int,
    "int": int,
    "smallint": int,
    "tinyint": int,
    "double": float,
    "float": float,
    "real": float,
    "decimal": float,
    "boolean": lambda text: text.lower() == "true",
}


class QueryEngine(Protocol):
    name: str

    def run(self, sql: str, parameters: Sequence[str]) -> Rows: ...


class AthenaQueryFailed(RuntimeError):
    pass


class DuckDbEngine:
    """The views over a folder laid out like the analytics bucket (calls/dt=.../<id>.json)."""

    name = "DuckDB (local documents)"

    def __init__(self, root: Path, template: Template) -> None:
        self._database = AnalyticsDatabase(root, template)
        create_views(self._database)

    def run(self, sql: str, parameters: Sequence[str]) -> Rows:
        return self._database.execute(sql, parameters)

    def close(self) -> None:
        self._database.close()


class AthenaEngine:
    """The deployed views, through the Athena API in the stack's workgroup."""

    def __init__(
        self,
        athena: Any,
        *,
        workgroup: str,
        database: str,
        poll_seconds: float = 1.0,
        timeout_seconds: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._athena = athena
        self._workgroup = workgroup
        self._database = database
        self._poll_seconds = poll_seconds
        self._timeout_seconds = timeout_seconds
        self._sleep = sleep
        self.name = f"Athena (workgroup {workgroup}, database {database})"

    def run(self, sql: str, parameters: Sequence[str]) -> Rows:
        request: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": self._database},
            "WorkGroup": self._workgroup,
        }
        if parameters:
            request["ExecutionParameters"] = [_literal(value) for value in parameters]
        execution_id = self._athena.start_query_execution(**request)["QueryExecutionId"]
        self._wait(execution_id)
        return self._rows(execution_id)

    def _wait(self, execution_id: str) -> None:
        waited = 0.0
        while True:
            execution = self._athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            status = execution["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return
            if state in DONE_STATES:
                reason = status.get("StateChangeReason", "no reason given")
                raise AthenaQueryFailed(f"Athena query {execution_id} {state}: {reason}")
            if waited >= self._timeout_seconds:
                raise AthenaQueryFailed(f"Athena query {execution_id} still {state} after {waited:.0f} s")
            self._sleep(self._poll_seconds)
            waited += self._poll_seconds

    def _rows(self, execution_id: str) -> Rows:
        rows: Rows = []
        names: list[str] = []
        kinds: list[str] = []
        header_seen = False
        pages = self._athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id)
        for page in pages:
            result = page["ResultSet"]
            if not names:
                columns = result["ResultSetMetadata"]["ColumnInfo"]
                names = [column["Name"] for column in columns]
                kinds = [column["Type"].lower() for column in columns]
            for raw in result["Rows"]:
                values = [cell.get("VarCharValue") for cell in raw["Data"]]
                if not header_seen:
                    header_seen = True  # a SELECT's first row repeats the column names
                    if values == names:
                        continue
                rows.append({n: _typed(v, k) for n, v, k in zip(names, values, kinds, strict=True)})
        return rows


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _typed(value: str | None, kind: str) -> Any:
    if value is None:
        return None
    convert = _NUMBERS.get(kind.split("(", maxsplit=1)[0])
    return convert(value) if convert else value
