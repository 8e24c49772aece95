"""The self-service bot's intents and slots: the one list the code hook and the bot definition share.

`tools/lex_bot` generates the `AWS::Lex::Bot` resource of template.yaml from this module (names, slot
types, prompts from the message catalogues) and a test keeps the template equal to what it generates,
so the intents Lex knows and the intents the code handles cannot drift apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class IntentName(enum.StrEnum):
    CHECK_TICKET_STATUS = "CheckTicketStatus"
    CONFIRM_OPEN_TICKET = "ConfirmOpenTicket"
    CREATE_TICKET = "CreateTicket"
    SCHEDULE_CALLBACK = "ScheduleCallback"
    CHECK_CALLBACK = "CheckCallback"
    CANCEL_CALLBACK = "CancelCallback"
    ORDER_STATUS = "OrderStatus"
    CHANGE_SHIPPING_DATE = "ChangeShippingDate"
    CANCEL_ORDER = "CancelOrder"
    SPEAK_TO_AGENT = "SpeakToAgent"
    END_CONVERSATION = "EndConversation"
    FALLBACK = "FallbackIntent"


class SlotName(enum.StrEnum):
    TICKET_NUMBER = "TicketNumber"
    ANSWER = "Answer"
    PROBLEM_DESCRIPTION = "ProblemDescription"
    SMS_CONFIRMATION = "SmsConfirmation"
    EMAIL = "Email"
    CALLBACK_DATE = "CallbackDate"
    CALLBACK_TIME = "CallbackTime"
    ORDER_NUMBER = "OrderNumber"
    SHIPPING_DATE = "ShippingDate"


YES_NO_SLOT_TYPE = "YesNo"  # custom: AMAZON.Confirmation is not offered in every locale
YES, NO = "yes", "no"


class InputStyle(enum.StrEnum):
    """How a caller answers a slot prompt on the phone."""

    SPEECH = "speech"
    DIGITS = "digits"  # spoken or keyed in, ended with # (ticket and order numbers)
    KEY = "key"  # spoken, or one key: 1 for yes, 2 for no


@dataclass(frozen=True)
class SlotSpec:
    name: SlotName
    slot_type: str
    prompt_key: str  # message catalogue key of the prompt Lex uses when it elicits the slot itself
    required: bool
    input_style: InputStyle = InputStyle.SPEECH
    obfuscated: bool = False  # masked in Lex conversation logs


@dataclass(frozen=True)
class IntentSpec:
    name: IntentName
    description: str
    slots: tuple[SlotSpec, ...] = ()
    confirmation_key: str = ""  # catalogue key of the static confirmation prompt; code sends a specific one
    parent_signature: str = ""  # a built-in intent, e.g. AMAZON.FallbackIntent
    self_service: bool = True  # completing it counts towards automated resolution

    def slot(self, name: SlotName) -> SlotSpec:
        return next(s for s in self.slots if s.name is name)


_TICKET_NUMBER = SlotSpec(
    SlotName.TICKET_NUMBER, "AMAZON.Number", "bot.prompt.ticket_number", False, InputStyle.DIGITS
)
_ORDER_NUMBER_OPTIONAL = SlotSpec(
    SlotName.ORDER_NUMBER, "AMAZON.Number", "bot.prompt.order_number", False, InputStyle.DIGITS
)
_ORDER_NUMBER = SlotSpec(
    SlotName.ORDER_NUMBER, "AMAZON.Number", "bot.prompt.order_number", True, InputStyle.DIGITS
)
_SMS = SlotSpec(SlotName.SMS_CONFIRMATION, YES_NO_SLOT_TYPE, "bot.prompt.sms", False, InputStyle.KEY)
_EMAIL = SlotSpec(SlotName.EMAIL, "AMAZON.EmailAddress", "bot.prompt.email", False, obfuscated=True)

INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec(
        IntentName.CHECK_TICKET_STATUS,
        "Status, last update and latest reply of one of the caller's own tickets.",
        (_TICKET_NUMBER,),
    ),
    IntentSpec(
        IntentName.CONFIRM_OPEN_TICKET,
        "Yes or no to 'are you calling about ticket N?' (and to 'anything else?').",
        (SlotSpec(SlotName.ANSWER, YES_NO_SLOT_TYPE, "bot.prompt.answer", True, InputStyle.KEY),),
        self_service=False,
    ),
    IntentSpec(
        IntentName.CREATE_TICKET,
        "Open a Zendesk ticket with the caller as requester.",
        (
            SlotSpec(SlotName.PROBLEM_DESCRIPTION, "AMAZON.FreeFormInput", "bot.prompt.problem", True),
            _SMS,
            _EMAIL,
        ),
        confirmation_key="bot.prompt.confirm",
    ),
    IntentSpec(
        IntentName.SCHEDULE_CALLBACK,
        "Book a callback in a free slot inside business hours.",
        (
            SlotSpec(SlotName.CALLBACK_DATE, "AMAZON.Date", "bot.prompt.callback_date", True),
            SlotSpec(SlotName.CALLBACK_TIME, "AMAZON.Time", "bot.prompt.callback_time", True),
            _SMS,
        ),
        confirmation_key="bot.prompt.confirm",
    ),
    IntentSpec(IntentName.CHECK_CALLBACK, "When the caller's callback is booked."),
    IntentSpec(
        IntentName.CANCEL_CALLBACK,
        "Cancel the caller's booked callback.",
        confirmation_key="bot.prompt.confirm",
    ),
    IntentSpec(IntentName.ORDER_STATUS, "Status and shipping date of an order.", (_ORDER_NUMBER_OPTIONAL,)),
    IntentSpec(
        IntentName.CHANGE_SHIPPING_DATE,
        "Move the shipping date of an order that has not shipped.",
        (
            _ORDER_NUMBER,
            SlotSpec(SlotName.SHIPPING_DATE, "AMAZON.Date", "bot.prompt.shipping_date", True),
            _SMS,
        ),
        confirmation_key="bot.prompt.confirm",
    ),
    IntentSpec(
        IntentName.CANCEL_ORDER,
        "Cancel an order that has not shipped.",
        (_ORDER_NUMBER, _SMS),
        confirmation_key="bot.prompt.confirm",
    ),
    IntentSpec(
        IntentName.SPEAK_TO_AGENT,
        "Hand the caller to an agent with the conversation on their ticket.",
        (_EMAIL,),
        self_service=False,
    ),
    IntentSpec(IntentName.END_CONVERSATION, "The caller is done.", self_service=False),
    IntentSpec(
        IntentName.FALLBACK,
        "Nothing matched; repeated fallbacks hand the caller to an agent.",
        parent_signature="AMAZON.FallbackIntent",
        self_service=False,
    ),
)

INTENTS_BY_NAME: dict[str, IntentSpec] = {spec.name.value: spec for spec in INTENTS}
