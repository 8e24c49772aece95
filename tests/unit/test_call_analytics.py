"""The analytics documents fit the Glue table Athena reads, and the named queries give the expected
answers: the same SQL files the template embeds, run with DuckDB over documents the function wrote."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from connect_zendesk.domain.resolution_metering import run_metering
from connect_zendesk_local.analytics_sql import (
    AnalyticsDatabase,
    download_documents,
    duckdb_dialect,
    duckdb_type,
    glue_columns,
    glue_table,
    query_names,
    query_text,
)
from connect_zendesk_local.cfn_template import Template, load_template
from post_call_doubles import NOW, contact_event, transcript_items
from post_call_rig import PostCallRig

TEMPLATE = load_template()
NAMED_QUERIES = {
    body["Properties"]["Name"]: body["Properties"]
    for body in TEMPLATE["Resources"].values()
    if body["Type"] == "AWS::Athena::NamedQuery"
}
ESCALATED, BOT, ABANDONED = (f"a0000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))


# ---------------------------------------------------------------------------------- one source of SQL
def test_every_query_file_is_a_named_query_of_the_template_verbatim() -> None:
    assert (
        sorted(NAMED_QUERIES)
        == query_names()
        == ["automated_resolution_rate", "phrase_view", "sentiment_by_day"]
    )
    for name, properties in NAMED_QUERIES.items():
        assert properties["QueryString"].strip() == query_text(name).strip(), name
        assert properties["Database"] == {"Ref": "AnalyticsDatabase"}
        assert properties["WorkGroup"] == {"Ref": "AnalyticsWorkGroup"}


def test_the_glue_table_projects_its_date_partitions(template: Template) -> None:
    table = glue_table(template)
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert parameters["storage.location.template"] == {
        "Fn::Join": ["", ["s3://", {"Ref": "AnalyticsBucket"}, "/calls/dt=${dt}/"]]
    }
    assert (
        table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        == "org.openx.data.jsonserde.JsonSerDe"
    )


@pytest.mark.parametrize(
    ("hive", "duck"),
    [
        ("string", "VARCHAR"),
        ("array<string>", "VARCHAR[]"),
        ("struct<a:int,b:array<struct<c:double>>>", 'STRUCT("a" INTEGER, "b" STRUCT("c" DOUBLE)[])'),
        ("bigint", "BIGINT"),
    ],
)
def test_glue_types_become_duckdb_types(hive: str, duck: str) -> None:
    assert duckdb_type(hive) == duck


@pytest.mark.parametrize("hive", ["map<string,int>", "struct<a:int", "array<int>>", "decimal(10,2)"])
def test_unsupported_or_broken_glue_types_are_refused(hive: str) -> None:
    with pytest.raises(ValueError, match=r"type|expected"):
        duckdb_type(hive)


def test_only_unnesting_rows_is_translated_for_duckdb() -> None:
    athena = "SELECT p.text FROM calls AS c CROSS JOIN UNNEST(c.phrases.keyphrases) AS p (score, text)"
    assert duckdb_dialect(athena) == (
        "SELECT p.text FROM calls AS c CROSS JOIN "
        "LATERAL (SELECT UNNEST(c.phrases.keyphrases, recursive := true)) AS p (score, text)"
    )
    plain = "SELECT x FROM calls CROSS JOIN UNNEST(categories) AS t (x)"
    assert duckdb_dialect(plain) == plain
    assert duckdb_dialect(query_text("sentiment_by_day")) == query_text("sentiment_by_day")


# ---------------------------------------------------------------------------------- documents
def three_calls(rig: PostCallRig) -> None:
    """An escalated call with a transcript, a bot-resolved call, and an abandoned call without one."""
    rig.seed_contact(
        ESCALATED,
        callerE164="+14155552671",
        zendeskUserId=1001,
        selectedTicketId=1001,
        transcriptStatus="COMPLETED",
        keyPhrases=[
            {"text": "printer offline", "score": 0.97, "count": 2},
            {"text": "rear tray", "score": 0.8},
        ],
    )
    rig.seed_transcript(
        transcript_items(
            ESCALATED,
            [
                ("CUSTOMER", "NEGATIVE", "My printer offline again, in Seattle"),
                ("AGENT", "NEUTRAL", "Open the rear tray please"),
                ("CUSTOMER", "NEGATIVE", "Still nothing"),
            ],
        )
    )
    rig.seed_contact(
        BOT, callerE164="+14155550134", zendeskUserId=1002, fulfilledIntents={"CheckTicketStatus"}
    )
    rig.seed_contact(ABANDONED, callerE164="+14155550199")
    rig.send(
        contact_event(ESCALATED, agent=True),
        contact_event(BOT, queue=False),
        contact_event(ABANDONED, ended=NOW - timedelta(days=1)),
    )
    rig.deliver()
    rig.now = NOW + timedelta(hours=73)
    run_metering(rig.services)


def hive_shape_matches(value: Any, hive: str) -> bool:
    """Whether a JSON value fits a Glue type (null fits anything, as in Athena)."""
    if value is None:
        return True
    kind = duckdb_type(hive)
    if kind.endswith("[]"):
        inner = hive[len("array<") : -1]
        return isinstance(value, list) and all(hive_shape_matches(item, inner) for item in value)
    if kind.startswith("STRUCT"):
        fields = _struct_fields(hive)
        return (
            isinstance(value, dict)
            and set(value) == set(fields)
            and all(hive_shape_matches(value[name], fields[name]) for name in fields)
        )
    expected = {"VARCHAR": str, "INTEGER": int, "BIGINT": int, "DOUBLE": (int, float), "BOOLEAN": bool}[kind]
    return isinstance(value, expected) and (kind == "BOOLEAN" or not isinstance(value, bool))


def _struct_fields(hive: str) -> dict[str, str]:
    body, fields, depth, start = hive[len("struct<") : -1], {}, 0, 0
    parts = []
    for index, char in enumerate(body):
        depth += char == "<"
        depth -= char == ">"
        if char == "," and depth == 0:
            parts.append(body[start:index])
            start = index + 1
    parts.append(body[start:])
    for part in parts:
        name, _, kind = part.partition(":")
        fields[name] = kind
    return fields


def test_documents_have_exactly_the_glue_columns_with_their_types(rig: PostCallRig) -> None:
    three_calls(rig)
    columns = dict(glue_columns(rig.template))
    for contact_id in (ESCALATED, BOT, ABANDONED):
        document = rig.analytics(contact_id)
        assert document is not None
        key = document.pop("_key")
        assert key.startswith("calls/dt=")
        assert key.endswith(f"/{contact_id}.json")
        assert set(document) == set(columns), contact_id
        for name, hive in columns.items():
            assert hive_shape_matches(document[name], hive), (contact_id, name, document[name])


def test_the_analysis_is_comprehend_shaped_and_never_invented(rig: PostCallRig) -> None:
    three_calls(rig)
    escalated = rig.analytics(ESCALATED)
    assert escalated is not None
    assert escalated["sentiment"]["Sentiment"] == "NEGATIVE"
    assert set(escalated["sentiment"]["SentimentScore"]) == {"Positive", "Negative", "Neutral", "Mixed"}
    text = "My printer offline again, in Seattle\nOpen the rear tray please\nStill nothing"
    phrases = escalated["phrases"]["KeyPhrases"]
    assert phrases[0] == {"Score": 0.97, "Text": "printer offline", "BeginOffset": 3, "EndOffset": 18}
    assert text[3:18] == "printer offline"
    assert text[phrases[1]["BeginOffset"] : phrases[1]["EndOffset"]] == "rear tray"
    assert {"Score": 0.9, "Type": "LOCATION", "Text": "Seattle", "BeginOffset": 29, "EndOffset": 36} in (
        escalated["entities"]["Entities"]
    )
    assert escalated["language"] == {"Languages": [{"LanguageCode": "en", "Score": 1.0}]}
    abandoned = rig.analytics(ABANDONED)
    assert abandoned is not None
    assert abandoned["sentiment"] == {"Sentiment": None, "SentimentScore": None}
    assert abandoned["phrases"] == {"KeyPhrases": []}
    assert abandoned["entities"] == {"Entities": []}
    assert abandoned["language"] == {"Languages": []}


def test_entity_detection_can_be_turned_off(rig: PostCallRig) -> None:
    rig.configure(analyze_entities=False)
    three_calls(rig)
    assert rig.analytics(ESCALATED)["entities"] == {"Entities": []}  # type: ignore[index]
    assert rig.analyzer.calls["detect_entities"] == 0


# ---------------------------------------------------------------------------------- the queries
@pytest.fixture
def database(rig: PostCallRig, tmp_path: Path) -> Any:
    three_calls(rig)
    assert download_documents(rig.client("s3"), rig.table("AnalyticsBucket"), tmp_path) == 3
    db = AnalyticsDatabase(tmp_path, rig.template)
    yield db
    db.close()


def test_phrase_view_unnests_the_key_phrases(database: AnalyticsDatabase) -> None:
    assert database.run("phrase_view") == []  # CREATE VIEW
    rows = database.execute(
        "SELECT contact_id, phrase, score, begin_offset, call_sentiment FROM phrase_view ORDER BY phrase"
    )
    assert rows == [
        {
            "contact_id": ESCALATED,
            "phrase": "printer offline",
            "score": 0.97,
            "begin_offset": 3,
            "call_sentiment": "NEGATIVE",
        },
        {
            "contact_id": ESCALATED,
            "phrase": "rear tray",
            "score": 0.8,
            "begin_offset": 46,
            "call_sentiment": "NEGATIVE",
        },
    ]


def test_sentiment_by_day_counts_only_analysed_calls(database: AnalyticsDatabase) -> None:
    assert database.run("sentiment_by_day") == [
        {
            "dt": "2026-11-21",
            "customer_sentiment": "NEGATIVE",
            "calls": 1,
            "avg_negative_score": 1.0,  # both of the customer's segments were negative
            "avg_positive_score": 0.0,
        }
    ]


def test_automated_resolution_rate_per_day(database: AnalyticsDatabase) -> None:
    rows = database.run("automated_resolution_rate")
    assert rows == [
        {
            "dt": "2026-11-20",
            "conversations": 1,
            "escalated": 0,
            "bot_resolved": 0,
            "metered": 0,
            "automated_resolutions": 0,
            "automated_resolution_rate": None,
            "containment_rate": 0.0,
        },
        {
            "dt": "2026-11-21",
            "conversations": 2,
            "escalated": 1,
            "bot_resolved": 1,
            "metered": 1,
            "automated_resolutions": 1,
            "automated_resolution_rate": 1.0,
            "containment_rate": 0.5,
        },
    ]


def test_a_document_that_breaks_the_schema_fails_like_in_athena(template: Template, tmp_path: Path) -> None:
    folder = tmp_path / "calls" / "dt=2026-11-21"
    folder.mkdir(parents=True)
    (folder / "bad.json").write_text(json.dumps({"contact_id": "x", "duration_seconds": "long"}) + "\n")
    database = AnalyticsDatabase(tmp_path, template)
    with pytest.raises(Exception, match="Failed to cast"):
        database.execute("SELECT * FROM calls")
    database.close()
