"""CheckTicketStatus, ConfirmOpenTicket and CreateTicket through the real handler, Lex played turn by
turn; Zendesk is a fake desk, DynamoDB and SNS are moto."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from bot_doubles import FakeDesk, contact, sent_sms
from connect_zendesk.errors import ZendeskRateLimited
from connect_zendesk.services import Services
from connect_zendesk_local.cfn_template import Template
from connect_zendesk_local.lex_conversation import LexConversation
from unit_doubles import CARLOS, JANE

Talk = Callable[..., LexConversation]
JANE_PHONE = "+14155552671"


# ---------------------------------------------------------------------------- CheckTicketStatus
def test_given_a_known_caller_when_asking_about_their_ticket_then_status_age_and_latest_reply_are_read(
    talk: Talk, jane_call: str, desk: FakeDesk
) -> None:
    bot = talk(contact_id=jane_call)

    turn = bot.say("status of ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})

    assert [i.dialog_action for i in turn.invocations] == ["Delegate", "ElicitIntent"]
    assert "Ticket 1001, Printer offline, is open. It was last updated 2 days ago." in turn.reply
    # the newest public reply from someone other than the caller; never the internal note
    assert "The latest reply says: Please restart it. Did that help?" in turn.reply
    assert "DHCP" not in turn.reply
    assert turn.reply.endswith("Is there anything else I can help you with?")
    assert turn.session_attributes["discussedTicketId"] == "1001"


def test_given_keyed_digits_when_the_number_arrives_by_dtmf_then_it_is_read_the_same(
    talk: Talk, jane_call: str
) -> None:
    bot = talk(contact_id=jane_call, input_mode="DTMF")

    turn = bot.say("1002", intent="CheckTicketStatus", slots={"TicketNumber": "1002"})

    assert "Ticket 1002, Invoice copy, is waiting for your reply." in turn.reply
    assert "There is no reply from our team yet." in turn.reply


def test_given_no_number_when_asking_then_the_newest_open_ticket_is_described(
    talk: Talk, jane_call: str
) -> None:
    turn = talk(contact_id=jane_call).say("what's the status of my ticket", intent="CheckTicketStatus")

    assert "Ticket 1001, Printer offline" in turn.reply  # 1003 is newer but solved


@pytest.mark.parametrize("probe", ["1006", "1003999"])
def test_given_someone_elses_or_a_missing_ticket_when_probing_then_the_answers_are_word_for_word_equal(
    talk: Talk, jane_call: str, desk: FakeDesk, probe: str
) -> None:
    bot = talk(contact_id=jane_call)
    missing = bot.say("ticket 5555", intent="CheckTicketStatus", slots={"TicketNumber": "5555"})
    probed = bot.say(f"ticket {probe}", intent="CheckTicketStatus", slots={"TicketNumber": probe})

    assert missing.reply.replace("5555", "N") == probed.reply.replace(probe, "N")
    assert probed.reply.startswith(f"I couldn't find ticket {probe} for you.")
    assert "Order arrived damaged" not in probed.reply
    assert desk.detail_reads[1006] == 0  # Carlos's ticket was never read past its requester
    assert "discussedTicketId" not in probed.session_attributes


def test_given_a_caller_of_another_user_when_asking_for_their_own_ticket_then_it_is_found(
    talk: Talk, bot_services: Services
) -> None:
    bot = talk(caller="(415) 555-0134")

    turn = bot.say("ticket 1006", intent="CheckTicketStatus", slots={"TicketNumber": "1006"})

    assert "Ticket 1006, Order arrived damaged, is new." in turn.reply
    assert CARLOS.id


def test_given_a_forged_user_id_attribute_when_asking_then_only_the_callers_number_counts(talk: Talk) -> None:
    # A client that can set session attributes claims to be Jane from Carlos's phone.
    bot = talk(caller="+14155550134", session_attributes={"zendeskUserId": str(JANE.id)})

    turn = bot.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})

    assert turn.reply.startswith("I couldn't find ticket 1001 for you.")


def test_given_words_instead_of_a_number_when_validating_then_the_number_is_asked_again(
    talk: Talk, jane_call: str
) -> None:
    turn = talk(contact_id=jane_call).say(
        "the one about the printer", intent="CheckTicketStatus", slots={"TicketNumber": "printer"}
    )

    assert turn.dialog_action == "ElicitSlot"
    assert turn.response["sessionState"]["dialogAction"]["slotToElicit"] == "TicketNumber"
    assert turn.reply == (
        "That doesn't sound like a ticket number. "
        "Please say your ticket number, or key it in and then press the pound key."
    )
    assert turn.intent["slots"]["TicketNumber"] is None


def test_given_an_unknown_number_when_asking_then_nothing_is_described(talk: Talk) -> None:
    turn = talk(caller="+12125550147").say(
        "ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"}
    )

    assert turn.reply.startswith(
        "I can only look up tickets when I recognize the number you're calling from."
    )


@pytest.mark.parametrize(
    ("locale", "phone", "text"),
    [
        (
            "ja_JP",
            "+14155552671",
            "チケット番号1001、「Printer offline」は、現在対応中です。最終更新は2日前です。",
        ),
        ("ko_KR", "+14155552671", "티켓 번호 1001, Printer offline 건은 현재 처리 중 상태입니다."),
        ("zh_CN", "+14155552671", "工单1001，关于“Printer offline”，目前状态是处理中"),
    ],
)
def test_given_each_locale_when_asking_then_the_answer_is_in_that_language(
    talk: Talk, locale: str, phone: str, text: str
) -> None:
    turn = talk(locale=locale, caller=phone).say(
        "1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"}
    )

    assert text in turn.reply


def test_given_voice_and_chat_when_answering_then_voice_gets_ssml_and_chat_plain_text_with_buttons(
    talk: Talk, jane_call: str
) -> None:
    voice = talk(contact_id=jane_call).say(
        "ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"}
    )
    chat = talk(contact_id=jane_call, input_mode="Text").say(
        "ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"}
    )

    assert {m["contentType"] for m in voice.response["messages"]} == {"SSML"}
    assert all(m["content"].startswith("<speak>") for m in voice.response["messages"])
    assert [m["contentType"] for m in chat.response["messages"]][-1] == "ImageResponseCard"
    assert "Talk to an agent" in chat.last.buttons
    assert {m["contentType"] for m in chat.response["messages"][:-1]} == {"PlainText"}


# ---------------------------------------------------------------------------- ConfirmOpenTicket
def test_given_the_offered_ticket_when_the_caller_says_yes_then_session_and_contact_select_it(
    talk: Talk, jane_call: str, aws: Template
) -> None:
    turn = talk(contact_id=jane_call).say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})

    assert turn.dialog_action == "ElicitIntent"
    assert turn.reply == "Thanks, I've noted that you're calling about ticket 1001. How can I help you today?"
    assert turn.session_attributes["selectedTicketId"] == "1001"
    assert contact(aws, jane_call)["selectedTicketId"] == 1001


def test_given_the_offered_ticket_when_the_caller_says_no_then_nothing_is_selected(
    talk: Talk, jane_call: str, aws: Template
) -> None:
    turn = talk(contact_id=jane_call).say("no", intent="ConfirmOpenTicket", slots={"Answer": "no"})

    assert turn.reply == "All right. How can I help you today?"
    assert "selectedTicketId" not in contact(aws, jane_call)


def test_given_no_answer_yet_when_confirming_then_the_offered_ticket_is_named_in_the_question(
    talk: Talk, jane_call: str, bot_services: Services
) -> None:
    # Typed (chat buttons): the record must be a chat contact's, since a voice contact's record never
    # serves typed turns.
    bot_services.contacts.record_caller(
        jane_call,
        caller_e164=JANE_PHONE,
        zendesk_user_id=JANE.id,
        match_count=1,
        channel="CHAT",
        language="en-US",
        instance_arn="",
        lookup_result="Success",
    )
    bot = talk(contact_id=jane_call, input_mode="Text")
    asked = bot.say("it's about my ticket", intent="ConfirmOpenTicket")
    answered = bot.say("Yes", slots={"Answer": "yes"})

    assert asked.dialog_action == "ElicitSlot"
    assert asked.reply == "Are you calling about ticket 1001, Printer offline?"
    assert asked.last.buttons == ["Yes", "No"]
    assert answered.session_attributes["selectedTicketId"] == "1001"


def test_given_an_offered_ticket_of_someone_else_when_confirming_then_it_is_not_selected(
    talk: Talk, aws: Template
) -> None:
    bot = talk(caller=JANE_PHONE, session_attributes={"offeredTicketId": "1006"})

    turn = bot.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})

    assert turn.reply == "How can I help you today?"
    assert "selectedTicketId" not in turn.session_attributes


def test_given_anything_else_was_asked_when_the_caller_says_no_then_the_bot_says_goodbye(
    talk: Talk, jane_call: str
) -> None:
    bot = talk(contact_id=jane_call)
    bot.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})

    done = bot.say("no", intent="ConfirmOpenTicket", slots={"Answer": "no"})

    assert done.dialog_action == "Close"
    assert done.reply == "Thank you for calling. Goodbye."
    assert done.session_attributes["handoff"] == "false"


def test_given_anything_else_was_asked_when_the_caller_says_yes_then_the_bot_asks_what(
    talk: Talk, jane_call: str
) -> None:
    bot = talk(contact_id=jane_call)
    bot.say("ticket 1001", intent="CheckTicketStatus", slots={"TicketNumber": "1001"})

    more = bot.say("yes", intent="ConfirmOpenTicket", slots={"Answer": "yes"})

    assert more.dialog_action == "ElicitIntent"
    assert more.reply == "How can I help you today?"


# ---------------------------------------------------------------------------- CreateTicket
def test_given_a_known_caller_when_creating_a_ticket_then_it_is_theirs_read_back_and_confirmed_by_sms(
    talk: Talk, jane_call: str, desk: FakeDesk, aws: Template
) -> None:
    bot = talk(contact_id=jane_call)
    problem = "The scanner on the second floor jams on every page"

    asked = bot.say("I have a problem", intent="CreateTicket")
    sms = bot.say(problem, slots={"ProblemDescription": problem})
    confirm = bot.say("yes", slots={"SmsConfirmation": "yes"})
    done = bot.say("yes")

    assert asked.reply == "Please describe the problem in a sentence or two."
    assert sms.response["sessionState"]["dialogAction"]["slotToElicit"] == "SmsConfirmation"
    assert confirm.reply == f"I'll open a ticket saying: {problem}. Shall I go ahead?"
    (created,) = desk.created
    assert created.requester_id == JANE.id
    assert created.author_id == JANE.id  # the caller's own words, as their comment
    assert created.body == problem
    assert set(created.tags) >= {"via_voice", "self_service_bot"}
    assert created.external_id == f"cz-{jane_call}-CreateTicket"
    ticket_id = int(done.session_attributes["zendeskTicketId"])
    assert done.reply.startswith(f"I've opened ticket {ticket_id} for you.")
    assert "I've also sent you a text message." in done.reply
    assert (JANE_PHONE, f"We've opened ticket {ticket_id} for you: {problem}") in sent_sms()
    record = contact(aws, jane_call)
    assert record["selectedTicketId"] == ticket_id
    assert record["fulfilledIntents"] == {"CreateTicket"}


def test_given_a_retried_fulfillment_when_creating_then_the_same_ticket_is_returned(
    talk: Talk, jane_call: str, desk: FakeDesk
) -> None:
    bot = talk(contact_id=jane_call)
    slots = {"ProblemDescription": "Router keeps rebooting", "SmsConfirmation": "no"}
    bot.say("Router keeps rebooting", intent="CreateTicket", slots=slots)
    first = bot.say("yes")
    event = first.invocations[-1].event

    again = bot.resend(event)  # Lex (or a caller repeating themselves) runs the fulfillment once more

    assert len(desk.created) == 1
    assert f"I've opened ticket {first.session_attributes['zendeskTicketId']}" in str(again["messages"])


def test_given_the_caller_declines_when_confirming_then_no_ticket_is_created(
    talk: Talk, jane_call: str, desk: FakeDesk
) -> None:
    bot = talk(contact_id=jane_call)
    bot.say("x", intent="CreateTicket", slots={"ProblemDescription": "Broken lamp", "SmsConfirmation": "no"})

    declined = bot.say("no")

    assert declined.reply.startswith("All right, I haven't changed anything.")
    assert desk.created == []


def test_given_a_chat_stranger_when_creating_then_their_email_becomes_the_requester(
    talk: Talk, desk: FakeDesk
) -> None:
    bot = talk(input_mode="Text")
    bot.say("I want to report a problem", intent="CreateTicket")
    # Lex cannot fill a free-form slot on chat: the text typed after the question is the description.
    email = bot.say("My invoice lists a seat we never ordered")
    retry = bot.say("not an address", slots={"Email": "not an address"})
    confirm = bot.say("ana@example.org", slots={"Email": "ana@example.org"})
    done = bot.say("yes")

    assert email.reply == "What is your email address?"
    assert retry.reply == "That email address doesn't look right. Please type it again."
    assert "My invoice lists a seat we never ordered" in confirm.reply
    (created,) = desk.created
    assert created.requester_id is None
    assert created.requester_email == "ana@example.org"
    assert "via_chat" in created.tags
    assert done.reply.startswith("I've opened ticket")
    assert sent_sms() == []  # no SMS on chat


def test_given_an_unknown_caller_with_a_number_when_creating_then_an_end_user_is_made_for_them(
    talk: Talk, desk: FakeDesk, bot_services: Services
) -> None:
    bot = talk(caller="+12125550147")
    bot.say("x", intent="CreateTicket", slots={"ProblemDescription": "Cannot log in"})
    bot.say("no", slots={"SmsConfirmation": "no"})
    bot.say("yes")

    (user,) = desk.created_users
    assert user.phone == "+12125550147"
    assert user.name == "Caller +12125550147"
    assert desk.created[0].requester_id == user.id
    # the next lookup of this number finds the new user without asking Zendesk
    assert bot_services.cache.get("caller#+12125550147")["user"]["id"] == user.id


def test_given_a_withheld_number_when_creating_then_the_caller_goes_to_an_agent(
    talk: Talk, desk: FakeDesk
) -> None:
    turn = talk().say("x", intent="CreateTicket", slots={"ProblemDescription": "Cannot log in"})

    assert turn.dialog_action == "Close"
    assert turn.session_attributes["handoff"] == "true"
    assert desk.created == []


def test_given_zendesk_rate_limits_when_creating_then_the_caller_is_handed_over_without_waiting(
    talk: Talk, jane_call: str, desk: FakeDesk
) -> None:
    bot = talk(contact_id=jane_call)
    bot.say(
        "x", intent="CreateTicket", slots={"ProblemDescription": "Cannot log in", "SmsConfirmation": "no"}
    )
    desk.fail_with = ZendeskRateLimited("429", retry_after=30)

    turn = bot.say("yes")

    assert turn.dialog_action == "Close"
    assert turn.intent["state"] == "Failed"
    assert turn.reply == "Sorry, our systems are busy right now. Let me connect you to an agent."
    assert turn.session_attributes["handoff"] == "true"
    assert turn.session_attributes["handoffReason"] == "Error"
