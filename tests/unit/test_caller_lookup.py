"""caller_lookup domain: the caller's number to one Zendesk end-user, cached, recorded on the contact."""

from __future__ import annotations

from dataclasses import replace

import pytest
from connect_zendesk.connect.flow_event import FlowRequest
from connect_zendesk.connect.flow_response import LambdaResult
from connect_zendesk.domain.caller_lookup import CACHE_PREFIX, lookup_caller, matching_users
from connect_zendesk.domain.models import ZendeskUser
from connect_zendesk.errors import StorageError, ZendeskUnavailable
from connect_zendesk.phone import CallerNumber, normalise
from connect_zendesk.services import Services
from support import dynamo_item
from unit_doubles import AGENT, CARLOS, JANE, NOW, FakeZendesk

CONTACT = "0e3c4f7a-1b2d-4e5f-8a9b-0c1d2e3f4a5b"


def call_from(address: str | None = "+14155552671", **overrides: object) -> FlowRequest:
    request = FlowRequest(
        contact_id=CONTACT,
        channel="VOICE",
        customer_address=address or "",
        customer_endpoint_type="TELEPHONE_NUMBER" if address else "",
        language_code="en-US",
    )
    return replace(request, **overrides)  # type: ignore[arg-type]


def test_known_caller_is_recognised_and_recorded_on_the_contact(
    services: Services, zendesk: FakeZendesk, aws
) -> None:
    # Given Jane's number on the incoming call
    # When the flow looks the caller up
    outcome = lookup_caller(call_from("+14155552671"), services)
    # Then she is found with one search, and the contact remembers who called
    assert outcome.result is LambdaResult.SUCCESS
    assert outcome.values == {
        "zendeskUserId": JANE.id,
        "customerName": "Jane Doe",
        "customerFirstName": "Jane",
        "matchCount": 1,
        "identity": "Endpoint",
    }
    assert zendesk.calls == {"search": 1}
    record = dynamo_item(aws, "ContactsTable", {"contactId": CONTACT})
    assert record is not None
    assert record["callerE164"] == "+14155552671"
    assert int(record["zendeskUserId"]) == JANE.id
    assert record["lookupResult"] == "Success"
    assert record["channel"] == "VOICE"
    assert int(record["ttl"]) == int(NOW.timestamp()) + 90 * 86400


@pytest.mark.parametrize(
    "stored", ["+14155550134", "(415) 555-0134", "415-555-0134", "415.555.0134", "+1 415 555 0134"]
)
def test_any_stored_format_matches_the_e164_caller(stored: str) -> None:
    # Given a user whose phone was typed by hand in some format
    zendesk = FakeZendesk(users=[ZendeskUser(id=7, name="Carlos Ruiz", phone=stored)])
    caller = normalise("+14155550134", "US")
    assert isinstance(caller, CallerNumber)
    # Then the E.164 caller matches them
    assert [u.id for u in matching_users(caller, zendesk)] == [7]


def test_suffix_matches_with_another_area_code_are_not_the_caller() -> None:
    # Given Zendesk's suffix search also returns a number with the same last digits elsewhere
    lookalike = ZendeskUser(id=8, name="Other Person", phone="+44 4155552671")
    zendesk = FakeZendesk(users=[lookalike])
    caller = normalise("+14155552671", "US")
    assert isinstance(caller, CallerNumber)
    # Then it is not a match (and no identity lookups exhaust the call budget beyond two)
    assert matching_users(caller, zendesk) == []
    assert zendesk.calls["identities"] <= 2


def test_agents_are_never_matched(services: Services, zendesk: FakeZendesk) -> None:
    zendesk.users = [AGENT]
    assert lookup_caller(call_from("+16465552671"), services).result is LambdaResult.NOT_FOUND


def test_inactive_users_are_ignored() -> None:
    zendesk = FakeZendesk(users=[replace(JANE, active=False)])
    caller = normalise("+14155552671", "US")
    assert isinstance(caller, CallerNumber)
    assert matching_users(caller, zendesk) == []


def test_several_matches_choose_direct_line_then_oldest_profile(
    services: Services, zendesk: FakeZendesk
) -> None:
    # Given a household number shared by two profiles and a newer profile with it as a direct line
    household = [
        ZendeskUser(id=50, name="Older Shared", phone="+12065550188", shared_phone_number=True),
        ZendeskUser(id=60, name="Direct Line", phone="(206) 555-0188"),
        ZendeskUser(id=40, name="Oldest Shared", phone="+1 206 555 0188", shared_phone_number=True),
    ]
    zendesk.users = household
    # When that number calls, twice
    first = lookup_caller(call_from("+12065550188"), services)
    # Then the direct line wins and matchCount says how many profiles share the number
    assert first.values["zendeskUserId"] == 60
    assert first.values["matchCount"] == 3
    zendesk.users = [household[0], household[2]]
    services.cache.put(CACHE_PREFIX + "+12065550188", None, 0)  # ttl 0: nothing cached
    caller = normalise("+12065550188", "US")
    assert isinstance(caller, CallerNumber)
    assert [u.id for u in matching_users(caller, zendesk)] == [40, 50]


def test_number_held_only_as_a_secondary_identity_is_found() -> None:
    # Given a user whose profile phone is another number, with the caller's as a phone identity
    user = ZendeskUser(id=70, name="Mary Major", phone="")
    zendesk = FakeZendesk(users=[user], identities={70: ["+44 20 7946 0958"]})
    caller = normalise("+442079460958", "US")
    assert isinstance(caller, CallerNumber)
    assert [u.id for u in matching_users(caller, zendesk)] == [70]
    assert zendesk.calls == {"search": 1, "identities": 1}


def test_repeat_caller_is_answered_from_the_cache(services: Services, zendesk: FakeZendesk) -> None:
    lookup_caller(call_from(), services)
    # When Jane calls again within the TTL
    again = lookup_caller(replace(call_from(), contact_id="second-contact"), services)
    # Then Zendesk is not asked twice
    assert again.values["zendeskUserId"] == JANE.id
    assert zendesk.total_calls == 1


def test_unknown_caller_is_cached_for_the_shorter_negative_ttl(
    services: Services, zendesk: FakeZendesk, aws
) -> None:
    outcome = lookup_caller(call_from("+12125550147"), services)
    assert outcome.result is LambdaResult.NOT_FOUND
    assert outcome.values == {"matchCount": 0, "identity": "Endpoint"}
    cached = dynamo_item(aws, "CacheTable", {"cacheKey": CACHE_PREFIX + "+12125550147"})
    assert cached is not None
    assert (
        int(cached["expiresAt"])
        == int(NOW.timestamp()) + services.settings.cache_ttls.caller_not_found_seconds
    )
    positive = lookup_caller(call_from(), services)
    assert positive.result is LambdaResult.SUCCESS
    cached_positive = dynamo_item(aws, "CacheTable", {"cacheKey": CACHE_PREFIX + "+14155552671"})
    assert cached_positive is not None
    assert (
        int(cached_positive["expiresAt"])
        == int(NOW.timestamp()) + services.settings.cache_ttls.caller_seconds
    )


def test_expired_cache_entries_are_not_used(services: Services, zendesk: FakeZendesk) -> None:
    # Given an answer cached long ago (DynamoDB may not have deleted it yet)
    services.cache.put(CACHE_PREFIX + "+14155552671", {"user": CARLOS.to_cache(), "matchCount": 1}, 1)
    later = Services(services.settings, zendesk=zendesk, clock=lambda: NOW.timestamp() + 5)
    # Then Zendesk is asked again and gives the true answer
    assert lookup_caller(call_from(), later).values["zendeskUserId"] == JANE.id
    assert zendesk.calls["search"] == 1


@pytest.mark.parametrize(
    ("address", "endpoint_type", "reason"),
    [
        ("anonymous", "TELEPHONE_NUMBER", "Anonymous"),
        ("Private", "TELEPHONE_NUMBER", "Anonymous"),
        ("", "", "NoCallerNumber"),
        ("+14155552671", "VOIP", "NotTelephoneEndpoint"),
        ("not a number", "TELEPHONE_NUMBER", "InvalidNumber"),
        ("+1 415 555", "TELEPHONE_NUMBER", "InvalidNumber"),
        ("9" * 200, "TELEPHONE_NUMBER", "InvalidNumber"),
    ],
)
def test_callers_we_cannot_identify_are_skipped_without_asking_zendesk(
    services: Services, zendesk: FakeZendesk, address: str, endpoint_type: str, reason: str
) -> None:
    request = call_from(address, customer_endpoint_type=endpoint_type)
    outcome = lookup_caller(request, services)
    assert outcome.result is LambdaResult.SKIPPED
    assert outcome.values == {"skipReason": reason}
    assert zendesk.total_calls == 0


@pytest.mark.parametrize("keyed_in", ["(415) 555-2671", "415.555.2671", "+1 415 555 2671"])
def test_phone_number_parameter_that_is_the_endpoints_number_identifies_the_caller(
    services: Services, keyed_in: str
) -> None:
    # Given a flow that passes the caller's own number, in some national format
    outcome = lookup_caller(call_from("+14155552671", parameters={"phoneNumber": keyed_in}), services)
    # Then it is the caller's identity
    assert outcome.result is LambdaResult.SUCCESS
    assert outcome.values["zendeskUserId"] == JANE.id
    assert outcome.values["identity"] == "Endpoint"


@pytest.mark.parametrize("endpoint", ["+14155552671", "anonymous", "", "+12125550147"])
def test_keyed_in_number_of_another_customer_identifies_nobody(
    services: Services, zendesk: FakeZendesk, aws, endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a caller (known, withheld, missing or unknown) who keys in Carlos's number
    request = call_from(endpoint or None, parameters={"phoneNumber": "(415) 555-0134"})
    # When the flow looks that number up
    outcome = lookup_caller(request, services)
    # Then nobody is identified: nothing of Carlos is answered, Zendesk is not asked, the contact
    # records nothing, and the flow can tell this case from an unknown caller
    assert outcome.result is LambdaResult.NOT_FOUND
    assert outcome.values == {"matchCount": 0, "identity": "Unverified"}
    assert zendesk.total_calls == 0
    assert dynamo_item(aws, "ContactsTable", {"contactId": CONTACT}) is None
    warning_text = "a number that is not the caller's identifies nobody"
    [warning] = [r for r in caplog.records if r.getMessage() == warning_text]
    assert "0134" not in warning.keyed_in  # type: ignore[attr-defined]  # masked in the log


def test_keyed_in_number_that_cannot_be_a_number_is_skipped(services: Services, zendesk: FakeZendesk) -> None:
    outcome = lookup_caller(call_from(parameters={"phoneNumber": "12 OR 1=1"}), services)
    assert outcome.result is LambdaResult.SKIPPED
    assert outcome.values == {"skipReason": "InvalidNumber"}
    assert zendesk.total_calls == 0


def test_names_are_made_speakable_and_cjk_names_kept_whole(services: Services, zendesk: FakeZendesk) -> None:
    zendesk.users = [
        ZendeskUser(id=80, name="Zoë & Co <VIP>", phone="+14155552672"),
        ZendeskUser(id=81, name="山田 太郎", phone="+81 3-1234-5678"),
    ]
    latin = lookup_caller(call_from("+14155552672"), services).values
    assert latin["customerName"] == "Zoë and Co VIP"
    assert latin["customerFirstName"] == "Zoë"
    japanese = lookup_caller(call_from("+81312345678", language_code="ja-JP"), services).values
    assert japanese["customerName"] == "山田 太郎"
    assert japanese["customerFirstName"] == "山田太郎"


def test_contact_table_failure_still_answers_the_flow(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise StorageError("UpdateItem on Contacts failed: ProvisionedThroughputExceededException")

    monkeypatch.setattr(services.contacts, "record_caller", broken)
    assert lookup_caller(call_from(), services).result is LambdaResult.SUCCESS
    assert "caller not recorded" in caplog.messages


def test_contact_without_an_id_is_not_recorded(services: Services, aws) -> None:
    outcome = lookup_caller(call_from(contact_id=""), services)
    assert outcome.result is LambdaResult.SUCCESS
    assert dynamo_item(aws, "ContactsTable", {"contactId": CONTACT}) is None


def test_when_zendesk_fails_the_endpoint_number_is_still_recorded_for_the_bot(
    services: Services, zendesk: FakeZendesk, aws
) -> None:
    # The bot trusts only the contact's record: with the number on it, it can look the caller up
    # itself once Zendesk answers again
    zendesk.fail_with = ZendeskUnavailable("GET /api/v2/search.json answered 503")
    with pytest.raises(ZendeskUnavailable):
        lookup_caller(call_from("+14155552671"), services)
    record = dynamo_item(aws, "ContactsTable", {"contactId": CONTACT})
    assert record is not None
    assert record["callerE164"] == "+14155552671"
    assert record["lookupResult"] == "Error"
    assert "zendeskUserId" not in record


def test_when_zendesk_fails_a_keyed_in_number_is_not_recorded(
    services: Services, zendesk: FakeZendesk, aws
) -> None:
    zendesk.fail_with = ZendeskUnavailable("GET /api/v2/search.json answered 503")
    request = call_from("+14155552671", parameters={"phoneNumber": "(415) 555-0134"})
    assert lookup_caller(request, services).values["identity"] == "Unverified"  # Zendesk is not asked
    assert dynamo_item(aws, "ContactsTable", {"contactId": CONTACT}) is None
