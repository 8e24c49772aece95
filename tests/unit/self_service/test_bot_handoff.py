"""SpeakToAgent, repeated fallbacks and failures: the bot closes with a handoff signal for the flow,
and the agent finds the timestamped conversation on the caller's ticket. Also the conversation log
every turn appends to the contact's record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bot_doubles import FakeDesk, contact
from connect_zendesk.adapters import contacts_table
from connect_zendesk.domain.models import TicketComment
from connect_zendesk.errors import StorageError, ZendeskRateLimited, ZendeskTimeout
from connect_zendesk.services import Services
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.lex_conversation import LexConversation
from unit_doubles import AGENT, JANE, NOW

Talk = Callable[..., LexConversation]


def test_given_a_known_caller_when_asking_for_an_agent_then_the_conversation_goes_on_their_ticket(
    talk: Talk, jane_call: str, desk: FakeDesk, aws: Template
) -> None:
    bot = talk(contact_id=jane_call)
    bot.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})
    bot.say("what's the latest", intent="CheckTicketStatus")

    turn = bot.say("let me talk to a person", intent="SpeakToAgent")

    assert turn.dialog_action == "Close"
    assert turn.intent == {**turn.intent, "name": "SpeakToAgent", "state": "Fulfilled"}
    assert turn.reply == (
        "Let me connect you to an agent. I've added our conversation to ticket 1001, "
        "so you won't need to repeat yourself."
    )
    assert {k: turn.session_attributes[k] for k in ("handoff", "handoffReason", "zendeskTicketId")} == {
        "handoff": "true",
        "handoffReason": "SpeakToAgent",
        "zendeskTicketId": "1001",
    }
    (note,) = desk.written
    assert (note.ticket_id, note.public) == (1001, False)
    lines = note.body.splitlines()
    assert lines[0] == f"Conversation with the self-service bot (voice, contact {jane_call})"
    assert lines[1] == f"Caller: +14155552671, Zendesk user {JANE.id}"
    assert lines[2] == "Reason: the caller asked for an agent."
    assert lines[4] == "[2026-11-21T12:00:00Z] Caller: yes"
    assert lines[5].startswith(
        "[2026-11-21T12:00:00Z] Bot: Thanks, I've noted that you're calling about ticket 1001."
    )
    assert lines[-3] == "[2026-11-21T12:00:00Z] Caller: let me talk to a person"
    assert lines[-1] == f"[connect-handoff:{jane_call}]"  # the marker a retried handoff looks for
    record = contact(aws, jane_call)
    assert record["handoff"] == {
        "at": "2026-11-21T12:00:00Z",
        "reason": "SpeakToAgent",
        "ticketId": 1001,
        "noteStatus": "WRITTEN",
    }
    assert record["fulfilledIntents"] == {"CheckTicketStatus"}  # asking for an agent is not self-service


def test_given_no_ticket_for_this_call_when_handing_over_then_a_new_ticket_holds_the_conversation(
    talk: Talk, desk: FakeDesk
) -> None:
    bot = talk(caller="+13125550199")  # Priya: known, no tickets

    turn = bot.say("agent", intent="SpeakToAgent")

    (created,) = desk.created
    assert created.subject == "Help requested by phone"
    assert created.public is False
    assert created.requester_id == 1009
    assert "bot_handoff" in created.tags
    assert created.external_id == f"cz-{bot.contact_id}-handoff"
    assert "Caller: agent" in created.body
    assert turn.session_attributes["zendeskTicketId"] == str(desk.all_tickets()[-1].id)


def test_given_a_chat_stranger_when_asking_for_an_agent_then_their_email_is_asked_and_used(
    talk: Talk, desk: FakeDesk
) -> None:
    bot = talk(input_mode="Text")
    asked = bot.say("talk to a person", intent="SpeakToAgent")
    turn = bot.say("sam@example.net", slots={"Email": "sam@example.net"})

    assert asked.reply == "What is your email address?"
    assert turn.dialog_action == "Close"
    (created,) = desk.created
    assert created.requester_email == "sam@example.net"
    assert created.subject == "Help requested by chat"
    assert "(chat, contact" in created.body


def test_given_a_chat_stranger_who_never_gives_an_email_then_the_handoff_still_happens(
    talk: Talk, desk: FakeDesk
) -> None:
    bot = talk(input_mode="Text")
    bot.say("agent", intent="SpeakToAgent")
    for _ in range(2):
        bot.say("no", slots={"Email": "no"})

    turn = bot.say("nope", slots={"Email": "nope"})

    assert turn.dialog_action == "Close"
    assert turn.session_attributes["handoff"] == "true"
    assert turn.reply == "Let me connect you to an agent."
    assert desk.created == []


def test_given_a_withheld_number_when_asking_for_an_agent_then_the_handoff_happens_without_a_ticket(
    talk: Talk, desk: FakeDesk, aws: Template
) -> None:
    bot = talk()

    turn = bot.say("agent", intent="SpeakToAgent")

    assert turn.session_attributes["handoff"] == "true"
    assert desk.total_calls == 0
    assert contact(aws, bot.contact_id)["handoff"]["noteStatus"] == "NO_REQUESTER"


@pytest.mark.parametrize("failure", [ZendeskRateLimited("429", retry_after=60), ZendeskTimeout("slow")])
def test_given_zendesk_unavailable_when_handing_over_then_the_caller_still_goes_and_the_note_is_pending(
    talk: Talk, jane_call: str, desk: FakeDesk, aws: Template, failure: Exception
) -> None:
    bot = talk(contact_id=jane_call)
    bot.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})
    desk.fail_with = failure

    turn = bot.say("agent", intent="SpeakToAgent")

    assert turn.dialog_action == "Close"
    assert turn.reply == "Let me connect you to an agent."
    assert turn.session_attributes["handoff"] == "true"
    handoff = contact(aws, jane_call)["handoff"]
    assert handoff["noteStatus"] == "PENDING"
    assert len(contact(aws, jane_call)["conversation"]) == 4  # the conversation waits in the record


def test_given_the_note_was_written_when_the_handoff_turn_is_retried_then_no_second_note_is_added(
    talk: Talk, jane_call: str, desk: FakeDesk
) -> None:
    bot = talk(contact_id=jane_call)
    bot.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})
    turn = bot.say("agent", intent="SpeakToAgent")

    again = bot.resend(turn.invocations[-1].event)

    assert len(desk.written) == 1
    assert again["sessionState"]["sessionAttributes"]["zendeskTicketId"] == "1001"


def test_given_an_earlier_turns_handoff_note_landed_late_when_handing_over_then_no_second_note_is_added(
    talk: Talk, jane_call: str, desk: FakeDesk
) -> None:
    # Given a turn that died with its handoff write in flight (no record of it), which Zendesk applied
    bot = talk(contact_id=jane_call)
    bot.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})
    late = TicketComment(AGENT.id, f"Conversation ... [connect-handoff:{jane_call}]", False, NOW)
    desk.comments[1001].append(late)

    # When the caller is handed over
    turn = bot.say("agent", intent="SpeakToAgent")

    # Then the bot looks for the contact's marker first, finds it and writes nothing more
    assert desk.written == []
    assert turn.session_attributes["zendeskTicketId"] == "1001"


def test_given_repeated_misunderstandings_when_falling_back_then_the_third_miss_hands_over(
    talk: Talk, jane_call: str, desk: FakeDesk
) -> None:
    bot = talk(contact_id=jane_call)
    first = bot.say("the weather in Paris", intent="FallbackIntent")
    second = bot.say("purple monkey", intent="FallbackIntent")
    third = bot.say("hmm", intent="FallbackIntent")

    assert first.invocations[0].event["invocationSource"] == "FulfillmentCodeHook"
    assert first.dialog_action == "ElicitIntent"
    assert first.reply.startswith("Sorry, I didn't catch that. You can ask about a ticket")
    assert second.session_attributes["fallbackCount"] == "2"
    assert third.dialog_action == "Close"
    assert third.reply.startswith("I'm having trouble understanding. Let me connect you to an agent.")
    assert third.session_attributes["handoffReason"] == "Fallback"
    assert desk.created[0].body.splitlines()[2] == "Reason: the bot did not understand the caller."


def test_given_a_fallback_between_understood_turns_when_counting_then_the_count_starts_again(
    talk: Talk, jane_call: str
) -> None:
    bot = talk(contact_id=jane_call)
    bot.say("blah", intent="FallbackIntent")
    bot.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})

    turn = bot.say("blah", intent="FallbackIntent")

    assert turn.session_attributes["fallbackCount"] == "1"


def test_given_the_caller_is_done_when_ending_then_the_bot_closes_without_a_handoff(
    talk: Talk, jane_call: str
) -> None:
    turn = talk(contact_id=jane_call).say("that's all", intent="EndConversation")

    assert turn.dialog_action == "Close"
    assert turn.reply == "Thank you for calling. Goodbye."
    assert turn.session_attributes["handoff"] == "false"


def test_given_a_bug_inside_an_intent_when_answering_then_the_caller_is_apologised_to_and_handed_over(
    talk: Talk, jane_call: str, monkeypatch: pytest.MonkeyPatch, aws: Template
) -> None:
    from connect_zendesk.domain.self_service import dispatcher
    from connect_zendesk.lex.intents import IntentName

    def broken(turn: Any) -> Any:
        raise KeyError("a bug")

    monkeypatch.setitem(dispatcher.HANDLERS, IntentName.ORDER_STATUS, broken)

    turn = talk(contact_id=jane_call).say("where is my order", intent="OrderStatus")

    assert turn.dialog_action == "Close"
    assert turn.intent["state"] == "Failed"
    assert turn.reply == "Sorry, something went wrong on our side. Let me connect you to an agent."
    assert contact(aws, jane_call)["handoff"]["reason"] == "Error"


def test_given_dynamodb_down_when_answering_then_the_bot_hands_over_politely(
    talk: Talk, jane_call: str, bot_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise StorageError("Query on SelfService failed: ProvisionedThroughputExceededException")

    monkeypatch.setattr(bot_services.self_service, "orders_for", down)

    turn = talk(contact_id=jane_call).say("where is my order", intent="OrderStatus")

    assert turn.reply == "Sorry, our systems are busy right now. Let me connect you to an agent."


# ---------------------------------------------------------------------------- the conversation log
def test_given_a_dialog_then_fulfillment_for_one_input_when_logging_then_the_input_is_logged_once(
    talk: Talk, jane_call: str, aws: Template
) -> None:
    bot = talk(contact_id=jane_call)

    bot.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})

    entries = contact(aws, jane_call)["conversation"]
    assert [e["role"] for e in entries] == ["caller", "bot"]
    assert entries[0]["text"] == "ticket 1001"
    assert entries[0]["slots"] == {"TicketNumber": "1001"}
    assert entries[0]["intent"] == "CheckTicketStatus"
    assert entries[1]["text"].startswith("Ticket 1001, Printer offline")
    assert contact(aws, jane_call)["conversationTurns"] == 2


def test_given_a_long_conversation_when_logging_then_only_the_newest_fifty_entries_stay(
    talk: Talk, jane_call: str, aws: Template
) -> None:
    bot = talk(contact_id=jane_call)
    for n in range(27):
        bot.say(f"ticket {n}", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})

    record = contact(aws, jane_call)

    assert len(record["conversation"]) == contacts_table.MAX_CONVERSATION_ENTRIES == 50
    assert record["conversation"][0]["text"] == "ticket 2"
    assert record["conversation"][-2]["text"] == "ticket 26"
    assert record["conversationTurns"] == 54


def test_given_a_contacts_outage_when_recording_then_the_caller_still_gets_the_answer(
    talk: Talk, jane_call: str, bot_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise StorageError("UpdateItem on Contacts failed: InternalServerError")

    monkeypatch.setattr(bot_services.contacts, "record_bot_turn", down)

    turn = talk(contact_id=jane_call).say(
        "ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"}
    )

    assert turn.reply.startswith("Ticket 1001, Printer offline")


def test_given_two_writers_of_one_contact_when_recording_then_neither_loses_entries(
    bot_services: Services, jane_call: str, aws: Template
) -> None:
    from connect_zendesk.domain.models import BotTurnRecord, ConversationEntry

    log = bot_services.contacts

    def entry(text: str) -> ConversationEntry:
        return ConversationEntry(at="2026-11-21T12:00:00Z", role="caller", text=text)

    # Both read the record before either wrote (seen_turns 0); the second must not drop the first.
    log.record_bot_turn(jane_call, BotTurnRecord(entries=(entry("first"),), seen_turns=0))
    log.record_bot_turn(jane_call, BotTurnRecord(entries=(entry("second"),), seen_turns=0))

    record = contact(aws, jane_call)
    assert [e["text"] for e in record["conversation"]] == ["first", "second"]
    assert record["conversationTurns"] == 2


def test_given_a_delegate_when_recording_then_the_input_is_written_once_with_its_answer(
    talk: Talk, jane_call: str, bot_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []
    original = bot_services.contacts.record_bot_turn

    def counting(contact_id: str, record: Any) -> None:
        writes.append(len(record.entries))
        original(contact_id, record)

    monkeypatch.setattr(bot_services.contacts, "record_bot_turn", counting)

    turn = talk(contact_id=jane_call).say(
        "ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"}
    )

    assert [i.dialog_action for i in turn.invocations] == ["Delegate", "ElicitIntent"]
    assert writes == [2]  # one write: the input and the answer, at fulfillment


def test_given_a_concurrent_trim_when_trimming_then_the_log_is_not_cut_below_its_bound(
    bot_services: Services, jane_call: str, aws: Template
) -> None:
    from connect_zendesk.domain.models import BotTurnRecord, ConversationEntry

    log = bot_services.contacts
    entries = tuple(ConversationEntry(at="t", role="caller", text=str(n)) for n in range(50))
    log.record_bot_turn(jane_call, BotTurnRecord(entries=entries, seen_turns=0))
    one_more = BotTurnRecord(entries=(ConversationEntry(at="t", role="bot", text="50"),), seen_turns=50)

    log.record_bot_turn(jane_call, one_more)
    # A writer that still thought the log held 50 entries asks for one more trim: it is refused.
    log._trim_conversation(jane_call, 1)  # type: ignore[attr-defined]

    texts = [e["text"] for e in contact(aws, jane_call)["conversation"]]
    assert len(texts) == 50
    assert (texts[0], texts[-1]) == ("1", "50")


def test_given_an_unreadable_log_when_handing_over_then_the_note_still_names_the_caller_and_this_turn(
    talk: Talk, jane_call: str, desk: FakeDesk, bot_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = bot_services.contacts.get

    def flaky(contact_id: str, attributes: Any = ()) -> Any:
        if tuple(attributes) == ("conversation",):
            raise StorageError("GetItem on Contacts failed: InternalServerError")
        return original(contact_id, attributes)

    monkeypatch.setattr(bot_services.contacts, "get", flaky)
    bot = talk(contact_id=jane_call)
    bot.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})

    bot.say("agent", intent="SpeakToAgent")

    (note,) = desk.written
    assert note.body.splitlines()[1] == f"Caller: +14155552671, Zendesk user {JANE.id}"
    assert note.body.splitlines()[-3].endswith("Caller: agent")
