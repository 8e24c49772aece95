"""Who the bot is talking to: only the Contacts record the flow functions wrote for the contact.

Session attributes are set by whoever talks to Lex (the Lex console, any RecognizeText caller), so a
`callerNumber`, `selectedTicketId` or `discussedTicketId` there is a claim, checked before anything is
read, spoken, written or stored; and a handoff answers the same whether or not a claimed ticket exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import boto3
import pytest
from bot_doubles import PRIYA, FakeDesk, contact, record_call, sent_sms
from connect_zendesk.adapters.dynamo import to_item
from connect_zendesk.adapters.self_service_table import order_item
from connect_zendesk.services import Services
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.lex_conversation import LexConversation
from connect_zendesk_local.self_service_seed import demo_orders
from unit_doubles import CARLOS, JANE, NOW

Talk = Callable[..., LexConversation]
JANE_PHONE = "+14155552671"
CARLOS_PHONE = "+14155550134"
CARLOS_TICKET = 1006
MISSING_TICKET = 987654


def _untouched(desk: FakeDesk) -> None:
    """Nothing of Carlos's reached the caller: his ticket neither read nor written."""
    assert desk.detail_reads[CARLOS_TICKET] == 0
    assert [w for w in desk.written if w.ticket_id == CARLOS_TICKET] == []


# ---------------------------------------------------------------------------- callerNumber
def test_given_only_a_session_caller_number_when_asking_then_the_caller_is_unknown(
    talk: Talk, desk: FakeDesk
) -> None:
    # A Lex client without any Contacts record claims to call from Carlos's number
    bot = talk(session_attributes={"callerNumber": CARLOS_PHONE})

    turn = bot.say("ticket 1006", intent="CheckTicketStatus", slots={"TicketNumber": "1006"})

    assert turn.reply.startswith("I can only look up tickets when I recognize the number")
    assert "damaged" not in turn.reply
    _untouched(desk)
    assert desk.calls["search"] == 0  # his number was not even looked up


def test_given_a_session_caller_number_that_differs_from_the_record_then_nothing_of_the_contact_is_used(
    talk: Talk, jane_call: str, desk: FakeDesk, aws: Template
) -> None:
    before = contact(aws, jane_call)
    bot = talk(contact_id=jane_call, session_attributes={"callerNumber": CARLOS_PHONE})

    status = bot.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})
    carlos = bot.say("ticket 1006", intent="CheckTicketStatus", slots={"TicketNumber": "1006"})

    # Neither Jane (the record) nor Carlos (the claim): an unknown caller
    assert status.reply.startswith("I can only look up tickets when I recognize the number")
    assert carlos.reply == status.reply
    assert desk.detail_reads == {}
    _untouched(desk)
    assert contact(aws, jane_call) == before  # and Jane's contact is not written


def test_given_the_callers_own_number_in_another_format_then_the_record_holds(
    talk: Talk, jane_call: str
) -> None:
    bot = talk(contact_id=jane_call, session_attributes={"callerNumber": "(415) 555-2671"})

    turn = bot.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})

    assert turn.reply.startswith("Ticket 1001, Printer offline, is open.")


def test_given_a_typed_turn_on_a_voice_contact_then_the_caller_is_unknown(
    talk: Talk, jane_call: str, desk: FakeDesk
) -> None:
    # The Lex console's text window (or RecognizeText) borrowing a live voice contact's id
    turn = talk(contact_id=jane_call, input_mode="Text").say(
        "ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"}
    )

    assert turn.reply.startswith("I can only look up tickets when I recognize the number")
    assert desk.detail_reads == {}


def test_given_a_contact_that_has_ended_then_its_record_is_no_identity(
    talk: Talk, jane_call: str, desk: FakeDesk, aws: Template
) -> None:
    boto3.client("dynamodb", region_name="us-east-1").update_item(
        TableName=aws.physical["ContactsTable"].ref,
        Key={"contactId": {"S": jane_call}},
        UpdateExpression="SET disconnectedAt = :at",
        ExpressionAttributeValues={":at": {"S": "2026-11-21T11:58:00Z"}},
    )

    turn = talk(contact_id=jane_call).say(
        "ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"}
    )

    assert turn.reply.startswith("I can only look up tickets when I recognize the number")
    assert desk.detail_reads == {}


def test_given_a_spoofed_caller_number_then_no_order_is_changed_and_no_sms_sent(
    talk: Talk, aws: Template
) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1")
    for order in demo_orders(date(2026, 11, 21)):
        client.put_item(
            TableName=aws.physical["SelfServiceTable"].ref, Item=to_item(order_item(order, NOW.timestamp()))
        )
    bot = talk(session_attributes={"callerNumber": JANE_PHONE})

    turn = bot.say("cancel order 60415", intent="CancelOrder", slots={"OrderNumber": "60415"})

    assert turn.reply.startswith("I can only look up orders from the phone number they were placed with.")
    assert "keyboard" not in turn.reply.lower()
    assert sent_sms() == []


def test_given_a_spoofed_caller_number_then_anothers_callback_is_neither_read_nor_cancelled(
    talk: Talk, bot_services: Services
) -> None:
    # Priya booked a callback on her own call
    priya_call = record_call(bot_services, str(uuid.uuid4()), PRIYA.phone)
    own = talk(contact_id=priya_call)
    own.say("call me back", intent="ScheduleCallback", slots={"CallbackDate": "2026-11-23"})
    own.say("14:00", slots={"CallbackTime": "14:00"})
    own.say("no", slots={"SmsConfirmation": "no"})
    assert own.say("yes").reply.startswith("Your callback is booked")
    booked = bot_services.self_service.callback_for(PRIYA.phone)
    assert booked is not None
    # A Lex client claims her number
    bot = talk(session_attributes={"callerNumber": PRIYA.phone})

    check = bot.say("when is my callback", intent="CheckCallback")
    cancel = bot.say("cancel my callback", intent="CancelCallback")

    assert "November 23" not in check.reply + cancel.reply
    assert bot_services.self_service.callback_for(PRIYA.phone) == booked


# ---------------------------------------------------------------------------- ticket ids
@pytest.mark.parametrize("attribute", ["selectedTicketId", "discussedTicketId"])
def test_given_anothers_ticket_id_in_the_session_when_asking_without_a_number_then_it_is_not_read(
    talk: Talk, jane_call: str, desk: FakeDesk, attribute: str
) -> None:
    bot = talk(contact_id=jane_call, session_attributes={attribute: str(CARLOS_TICKET)})

    turn = bot.say("what's the status of my ticket", intent="CheckTicketStatus")

    assert turn.reply.startswith("Ticket 1001, Printer offline")  # Jane's own newest ticket
    _untouched(desk)


@pytest.mark.parametrize("attribute", ["selectedTicketId", "discussedTicketId"])
def test_given_anothers_ticket_id_in_the_session_when_handing_over_then_the_note_goes_on_the_callers_ticket(
    talk: Talk, bot_services: Services, desk: FakeDesk, aws: Template, attribute: str
) -> None:
    call = record_call(bot_services, str(uuid.uuid4()), PRIYA.phone)  # Priya: known, no tickets

    turn = talk(contact_id=call, session_attributes={attribute: str(CARLOS_TICKET)}).say(
        "agent", intent="SpeakToAgent"
    )

    _untouched(desk)
    (note,) = desk.created  # a new ticket of hers holds the conversation
    assert note.requester_id == PRIYA.id
    ticket_id = turn.session_attributes["zendeskTicketId"]
    assert ticket_id != str(CARLOS_TICKET)
    assert turn.session_attributes["selectedTicketId"] in ("", ticket_id)
    assert contact(aws, call)["selectedTicketId"] == int(ticket_id)


def test_given_a_claimed_ticket_when_handing_over_then_the_reply_does_not_tell_whether_it_exists(
    talk: Talk, desk: FakeDesk
) -> None:
    # An unknown caller (no record) probes ticket ids: Carlos's, a missing one, none at all
    def handoff(claimed: str) -> tuple[tuple[str, ...], dict[str, str]]:
        attributes = {"selectedTicketId": claimed} if claimed else {}
        turn = talk(session_attributes=attributes).say("agent", intent="SpeakToAgent")
        shown = {k: turn.session_attributes.get(k, "") for k in ("zendeskTicketId", "selectedTicketId")}
        return tuple(m["content"] for m in turn.response["messages"]), shown

    answers = [handoff(claimed) for claimed in (str(CARLOS_TICKET), str(MISSING_TICKET), "")]

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][1] == {"zendeskTicketId": "", "selectedTicketId": ""}
    assert desk.written == []
    assert desk.created == []


def test_given_the_callers_own_ticket_in_the_session_when_handing_over_then_the_note_goes_there(
    talk: Talk, jane_call: str, desk: FakeDesk
) -> None:
    # The ticket is Jane's but not open (so not among her cached open tickets): Zendesk is asked
    turn = talk(contact_id=jane_call, session_attributes={"discussedTicketId": "1003"}).say(
        "agent", intent="SpeakToAgent"
    )

    assert [w.ticket_id for w in desk.written] == [1003]
    assert turn.session_attributes["zendeskTicketId"] == "1003"


def test_given_anothers_ticket_in_the_session_when_booking_a_callback_then_it_is_neither_stored_nor_noted(
    talk: Talk, jane_call: str, desk: FakeDesk, bot_services: Services
) -> None:
    bot = talk(contact_id=jane_call, session_attributes={"selectedTicketId": str(CARLOS_TICKET)})
    bot.say("call me back", intent="ScheduleCallback", slots={"CallbackDate": "2026-11-23"})
    bot.say("14:00", slots={"CallbackTime": "14:00"})
    bot.say("no", slots={"SmsConfirmation": "no"})
    assert bot.say("yes").reply.startswith("Your callback is booked")

    booking = bot_services.self_service.callback_for(JANE_PHONE)
    assert booking is not None
    assert booking.ticket_id != CARLOS_TICKET
    _untouched(desk)
    assert [w.ticket_id for w in desk.written] == [1001]  # Jane's newest open ticket
    assert JANE.id != CARLOS.id


@pytest.mark.parametrize("claimed", ["²", "9" * 5000, "１００１", "-1001", "0", "1001 OR 1=1"])
def test_given_a_ticket_id_attribute_that_is_no_id_then_it_is_ignored_without_a_failure(
    talk: Talk, jane_call: str, desk: FakeDesk, claimed: str
) -> None:
    turn = talk(contact_id=jane_call, session_attributes={"selectedTicketId": claimed}).say(
        "agent", intent="SpeakToAgent"
    )

    assert turn.session_attributes["handoffReason"] == "SpeakToAgent"  # not "Error"
    assert desk.written == []
    assert [t.requester_id for t in desk.created] == [JANE.id]  # as without any id: a new ticket of hers
