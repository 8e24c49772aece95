"""ticket_lookup domain: only the caller's own open tickets, newest first, with a prompt to speak."""

from __future__ import annotations

from dataclasses import replace

import pytest
from connect_zendesk.connect.flow_event import FlowRequest
from connect_zendesk.connect.flow_response import LambdaResult
from connect_zendesk.domain.ticket_lookup import lookup_tickets
from connect_zendesk.errors import InvalidInput, StorageError, ZendeskNotFound
from connect_zendesk.services import Services
from support import dynamo_item
from unit_doubles import CARLOS, JANE, FakeZendesk, ticket

CONTACT = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
OTHER_CONTACT = "5a4b3c2d-1e0f-4a9b-8c7d-000000000000"  # caller_lookup recorded nothing for it


@pytest.fixture(autouse=True)
def caller_lookup_ran(services: Services) -> None:
    """CONTACT as caller_lookup leaves it: Jane's user recorded (her number is left out, so tests of
    ticket_lookup's own recording still see it write one)."""
    services.contacts.record_caller(
        CONTACT,
        caller_e164="",
        zendesk_user_id=JANE.id,
        match_count=1,
        channel="VOICE",
        language="en-US",
        instance_arn="",
        lookup_result="Success",
    )


def flow(user_id: str = "", **overrides: object) -> FlowRequest:
    request = FlowRequest(
        contact_id=CONTACT,
        channel="VOICE",
        customer_address="+14155552671",
        customer_endpoint_type="TELEPHONE_NUMBER",
        language_code="en-US",
        parameters={"zendeskUserId": user_id} if user_id else {},
    )
    return replace(request, **overrides)  # type: ignore[arg-type]


def test_open_tickets_newest_update_first_with_a_prompt(
    services: Services, zendesk: FakeZendesk, aws
) -> None:
    # Given Jane with open, pending, hold, solved and closed tickets
    # When the flow asks for her tickets by user id
    outcome = lookup_tickets(flow(str(JANE.id)), services)
    # Then only new/open/pending/hold are offered, most recently updated first
    assert outcome.result is LambdaResult.SUCCESS
    assert outcome.values == {
        "zendeskUserId": JANE.id,
        "openTicketCount": 3,
        "ticketId": 1,
        "ticketSubject": "Printer offline",
        "ticketStatus": "open",
        "ticketIds": "1,2,5",
        "ticketPrompt": (
            "You have 3 open tickets. The most recent is ticket 1 about Printer offline, updated 2 days ago."
        ),
        "identity": "Endpoint",
    }
    assert zendesk.calls == {"tickets": 1}
    record = dynamo_item(aws, "ContactsTable", {"contactId": CONTACT})
    assert record is not None
    assert [int(t) for t in record["offeredTicketIds"]] == [1, 2, 5]


def test_user_id_from_a_contact_attribute(services: Services) -> None:
    request = flow(attributes={"zendeskUserId": str(JANE.id)}, customer_address="")
    assert lookup_tickets(request, services).values["ticketId"] == 1


def test_user_id_that_is_not_the_one_recorded_for_the_contact_names_nobody(
    services: Services, zendesk: FakeZendesk, caplog: pytest.LogCaptureFixture
) -> None:
    # Given Carlos's tickets, and a contact (Jane calling) whose attributes claim Carlos's user id
    zendesk.tickets[CARLOS.id] = [ticket(60, CARLOS.id, subject="Carlos's secret")]
    # When ticket_lookup runs with that id
    outcome = lookup_tickets(flow(attributes={"zendeskUserId": str(CARLOS.id)}), services)
    # Then it answers about the caller (the telephone endpoint), never about Carlos
    assert outcome.values["zendeskUserId"] == JANE.id
    assert "60" not in str(outcome.values["ticketIds"]).split(",")
    assert "Carlos" not in str(outcome.values)
    assert "zendeskUserId is not the caller's: ignored" in caplog.messages


@pytest.mark.parametrize("address", ["", "anonymous", "+12125550147"])
def test_user_id_without_a_record_or_a_matching_endpoint_names_nobody(
    services: Services, zendesk: FakeZendesk, address: str
) -> None:
    zendesk.tickets[CARLOS.id] = [ticket(60, CARLOS.id, subject="Carlos's secret")]
    request = flow(str(CARLOS.id), contact_id=OTHER_CONTACT, customer_address=address)
    outcome = lookup_tickets(request, services)
    assert outcome.result in (LambdaResult.NOT_FOUND, LambdaResult.SKIPPED)
    assert outcome.values["openTicketCount"] == 0
    assert "zendeskUserId" not in outcome.values
    assert zendesk.calls["tickets"] == 0


def test_keyed_in_number_of_another_customer_reads_no_tickets(
    services: Services, zendesk: FakeZendesk
) -> None:
    zendesk.tickets[CARLOS.id] = [ticket(60, CARLOS.id, subject="Carlos's secret")]
    request = flow(contact_id=OTHER_CONTACT, parameters={"phoneNumber": "(415) 555-0134"})
    outcome = lookup_tickets(request, services)
    assert outcome.result is LambdaResult.NOT_FOUND
    assert outcome.values == {"openTicketCount": 0, "identity": "Unverified"}
    assert zendesk.total_calls == 0


def test_without_a_user_id_the_caller_is_looked_up(services: Services, zendesk: FakeZendesk, aws) -> None:
    outcome = lookup_tickets(flow(), services)
    assert outcome.values["zendeskUserId"] == JANE.id
    assert zendesk.calls == {"search": 1, "tickets": 1}
    record = dynamo_item(aws, "ContactsTable", {"contactId": CONTACT})
    assert record is not None
    assert record["callerE164"] == "+14155552671"


@pytest.mark.parametrize(
    ("address", "result", "extra"),
    [
        ("anonymous", LambdaResult.SKIPPED, {"skipReason": "Anonymous"}),
        ("+12125550147", LambdaResult.NOT_FOUND, {}),
    ],
)
def test_caller_we_cannot_identify_has_no_tickets_to_offer(
    services: Services, address: str, result: LambdaResult, extra: dict[str, str]
) -> None:
    outcome = lookup_tickets(flow(customer_address=address, contact_id=OTHER_CONTACT), services)
    assert outcome.result is result
    identity = "" if result is LambdaResult.SKIPPED else "Endpoint"
    assert outcome.values == {**extra, "openTicketCount": 0, "identity": identity}


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "12 OR 1=1", "1" * 25, "１２３"])
def test_user_id_must_be_a_positive_integer(services: Services, zendesk: FakeZendesk, bad: str) -> None:
    with pytest.raises(InvalidInput):
        lookup_tickets(flow(bad), services)
    assert zendesk.total_calls == 0


def test_tickets_requested_by_someone_else_are_never_offered(
    services: Services, zendesk: FakeZendesk
) -> None:
    # Given the directory (wrongly) returns another requester's ticket in Jane's list
    zendesk.tickets[JANE.id] = [ticket(77, requester=4242, hours_ago=0.1), ticket(78, JANE.id, hours_ago=3)]
    outcome = lookup_tickets(flow(str(JANE.id)), services)
    assert outcome.values["ticketIds"] == "78"


def test_no_open_tickets_is_not_found_with_a_sentence(services: Services, zendesk: FakeZendesk) -> None:
    zendesk.tickets[JANE.id] = [ticket(3, JANE.id, "solved")]
    outcome = lookup_tickets(flow(str(JANE.id)), services)
    assert outcome.result is LambdaResult.NOT_FOUND
    assert outcome.values == {
        "zendeskUserId": JANE.id,
        "openTicketCount": 0,
        "identity": "Endpoint",
        "ticketPrompt": "I don't see any open tickets for you.",
    }


def test_deleted_user_is_not_found(services: Services, zendesk: FakeZendesk) -> None:
    zendesk.fail_with = ZendeskNotFound("GET /api/v2/users/1001/tickets/requested.json answered 404")
    assert lookup_tickets(flow(str(JANE.id)), services).result is LambdaResult.NOT_FOUND


def test_ticket_list_is_cached_briefly(services: Services, zendesk: FakeZendesk) -> None:
    lookup_tickets(flow(str(JANE.id)), services)
    lookup_tickets(flow(str(JANE.id)), services)
    assert zendesk.calls == {"tickets": 1}


@pytest.mark.parametrize(
    ("language", "prompt"),
    [
        ("ja-JP", "チケット番号9、「プリンター 故障」について、3時間前に更新されています。"),
        ("ko-KR", "티켓 번호 9, 프린터 故障 건이 3시간 전에 업데이트되었습니다."),
        ("zh-CN", "您的工单9，关于“プリンター 故障”，3小时前更新。"),
        ("en-US", "I see ticket 9 about プリンター 故障, updated 3 hours ago."),
    ],
)
def test_prompt_in_the_contacts_language(
    services: Services, zendesk: FakeZendesk, language: str, prompt: str
) -> None:
    zendesk.tickets[JANE.id] = [ticket(9, JANE.id, hours_ago=3, subject="プリンター\n故障")]
    outcome = lookup_tickets(flow(str(JANE.id), language_code=language), services)
    if language == "ko-KR":
        prompt = prompt.replace("프린터 故障", "プリンター 故障")
    assert outcome.values["ticketPrompt"] == prompt


def test_language_parameter_overrides_the_contact_language(services: Services) -> None:
    request = flow(language_code="en-US", parameters={"zendeskUserId": str(JANE.id), "language": "ja-JP"})
    assert str(lookup_tickets(request, services).values["ticketPrompt"]).startswith("未解決のチケットが3件")


def test_subject_is_speakable_and_trimmed(services: Services, zendesk: FakeZendesk) -> None:
    subject = 'Refund <urgent> & "double charge" ' + "very long words " * 10
    zendesk.tickets[JANE.id] = [ticket(9, JANE.id, subject=subject)]
    values = lookup_tickets(flow(str(JANE.id)), services).values
    spoken = str(values["ticketSubject"])
    assert spoken.startswith("Refund urgent and double charge very long")
    assert len(spoken) <= 80
    assert not set(spoken) & set('<>&"')
    assert spoken in str(values["ticketPrompt"])


def test_offered_ticket_record_failure_still_answers(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise StorageError("UpdateItem failed")

    monkeypatch.setattr(services.contacts, "record_offered_tickets", broken)
    assert lookup_tickets(flow(str(JANE.id)), services).result is LambdaResult.SUCCESS


def test_prompt_age_is_measured_from_the_services_clock(services: Services, zendesk: FakeZendesk) -> None:
    zendesk.tickets[JANE.id] = [ticket(9, JANE.id, hours_ago=24 * 40)]
    assert "a month ago" in str(lookup_tickets(flow(str(JANE.id)), services).values["ticketPrompt"])
