"""The bot as deployed: the Lex resources of stacks/self_service_bot.yaml (template.yaml's nested
application SelfServiceBotStack) read on their own and checked against the code (intents the handler
knows, prompts of the catalogues, slot types each locale offers), against the generator that writes
them (`make bot`), and against what template.yaml passes the stack and reads back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from connect_zendesk.domain.self_service.dispatcher import HANDLERS
from connect_zendesk.lex.intents import INTENTS, INTENTS_BY_NAME, YES_NO_SLOT_TYPE, InputStyle, IntentName
from connect_zendesk.messages import Locale, message
from connect_zendesk_local.cfn_template import Template, load_nested_stack, load_template
from lex_bot import APPLICATION, bot_resources, language_choices, speaks_condition, stack, version_logical_id
from lex_bot.__main__ import main as lex_bot_main
from lex_bot.builtin_slot_types import available_in
from stack_writer import render

DOCUMENT = load_template()
RESOURCES: dict[str, Any] = DOCUMENT["Resources"]
BOT_STACK = load_nested_stack(APPLICATION)
BOT_RESOURCES: dict[str, Any] = BOT_STACK["Resources"]
PASSED: dict[str, Any] = RESOURCES[APPLICATION]["Properties"]["Parameters"]
LOCALES = ["en_US", "ja_JP", "ko_KR", "zh_CN"]


def of_type(kind: str, resources: dict[str, Any] = RESOURCES) -> dict[str, Any]:
    return {name: body for name, body in resources.items() if body["Type"] == kind}


((BOT_ID, BOT),) = of_type("AWS::Lex::Bot", BOT_RESOURCES).items()
((VERSION_ID, VERSION),) = of_type("AWS::Lex::BotVersion", BOT_RESOURCES).items()
((ALIAS_ID, ALIAS),) = of_type("AWS::Lex::BotAlias", BOT_RESOURCES).items()
BOT_LOCALES = {locale["LocaleId"]: locale for locale in BOT["Properties"]["BotLocales"]}


def intents(locale: str) -> dict[str, Any]:
    return {intent["Name"]: intent for intent in BOT_LOCALES[locale]["Intents"]}


def all_slots() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (locale, intent_name, slot)
        for locale in LOCALES
        for intent_name, intent in intents(locale).items()
        for slot in intent.get("Slots", [])
    ]


# ---------------------------------------------------------------------------- one source of truth
def test_the_template_holds_exactly_what_the_generator_makes() -> None:
    generated = bot_resources()

    assert {name: BOT_RESOURCES.get(name) for name in generated} == generated
    assert stack().path.read_text(encoding="utf-8") == render(stack())
    assert lex_bot_main(["--check"]) == 0


def test_a_changed_bot_gets_a_new_version_resource() -> None:
    assert version_logical_id(BOT["Properties"]["BotLocales"]) == VERSION_ID
    changed = [{**BOT_LOCALES["en_US"], "NluConfidenceThreshold": 0.5}]
    assert version_logical_id(changed) != VERSION_ID


def test_template_yaml_deploys_the_bot_stack_only_when_the_switch_is_on() -> None:
    application = RESOURCES[APPLICATION]
    assert application["Type"] == "AWS::Serverless::Application"
    assert application["Properties"]["Location"] == "stacks/self_service_bot.yaml"
    assert application["Condition"] == "DeploySelfServiceBot"
    assert DOCUMENT["Conditions"]["DeploySelfServiceBot"] == {
        "Fn::Equals": [{"Ref": "SelfServiceBotEnabled"}, "true"]
    }
    # every parameter the stack declares is passed, and nothing else
    assert set(PASSED) == set(BOT_STACK["Parameters"])
    assert PASSED["ParentStackName"] == {"Ref": "AWS::StackName"}


def test_the_bot_has_exactly_the_four_locales() -> None:
    assert sorted(BOT_LOCALES) == LOCALES == sorted(locale.value for locale in Locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_intent_the_code_handles_is_in_every_locale_and_nothing_else(locale: str) -> None:
    assert set(intents(locale)) == {name.value for name in IntentName} == {name.value for name in HANDLERS}


# ---------------------------------------------------------------------------- intents and utterances
@pytest.mark.parametrize("locale", LOCALES)
def test_every_intent_has_sample_utterances_naming_only_its_own_slots(locale: str) -> None:
    for name, intent in intents(locale).items():
        if intent.get("ParentIntentSignature") == "AMAZON.FallbackIntent":
            assert "SampleUtterances" not in intent
            continue
        utterances = [u["Utterance"] for u in intent["SampleUtterances"]]
        assert len(utterances) >= 4, f"{locale} {name}"
        slot_names = {slot["Name"] for slot in intent.get("Slots", [])}
        for utterance in utterances:
            assert utterance, f"{locale} {name}: empty utterance"
            assert utterance.strip() == utterance, f"{locale} {name}: {utterance!r}"
            assert set(re.findall(r"\{(\w+)\}", utterance)) <= slot_names, f"{locale} {name}: {utterance!r}"
        free_form = {
            s["Name"] for s in intent.get("Slots", []) if s["SlotTypeName"] == "AMAZON.FreeFormInput"
        }
        assert not any("{" + f + "}" in u for f in free_form for u in utterances), (
            "FreeFormInput is never in utterances"
        )


@pytest.mark.parametrize("locale", LOCALES)
def test_no_utterance_starts_two_intents(locale: str) -> None:
    seen: dict[str, str] = {}
    for name, intent in intents(locale).items():
        for utterance in intent.get("SampleUtterances", []):
            key = utterance["Utterance"].lower()
            assert seen.setdefault(key, name) == name, f"{locale}: {key!r} in {seen[key]} and {name}"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_chat_buttons_are_understood(locale: str) -> None:
    starters = {
        "button.ticket": "CheckTicketStatus",
        "button.callback": "ScheduleCallback",
        "button.order": "OrderStatus",
        "button.agent": "SpeakToAgent",
        "button.done": "EndConversation",
    }
    for key, intent in starters.items():
        utterances = {u["Utterance"] for u in intents(locale)[intent]["SampleUtterances"]}
        assert message(Locale(locale), key) in utterances
    (yes_no,) = [t for t in BOT_LOCALES[locale]["SlotTypes"] if t["Name"] == YES_NO_SLOT_TYPE]
    values = {
        v["SampleValue"]["Value"]: {s["Value"].lower() for s in v.get("Synonyms", [])}
        | {v["SampleValue"]["Value"]}
        for v in yes_no["SlotTypeValues"]
    }
    assert set(values) == {"yes", "no"}
    assert {"1", message(Locale(locale), "button.yes").lower()} <= values["yes"]
    assert {"2", message(Locale(locale), "button.no").lower()} <= values["no"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_intent_calls_the_code_hook_and_confirms_what_it_changes(locale: str) -> None:
    for name, intent in intents(locale).items():
        spec = INTENTS_BY_NAME[name]
        assert intent["FulfillmentCodeHook"] == {"Enabled": True}
        if not spec.parent_signature:
            assert intent["DialogCodeHook"] == {"Enabled": True}
        if spec.confirmation_key:
            prompt = intent["IntentConfirmationSetting"]["PromptSpecification"]["MessageGroupsList"][0]
            assert prompt["Message"]["PlainTextMessage"]["Value"] == message(
                Locale(locale), spec.confirmation_key
            )
        else:
            assert "IntentConfirmationSetting" not in intent
    for name in ("CancelOrder", "CancelCallback", "ScheduleCallback", "ChangeShippingDate", "CreateTicket"):
        assert INTENTS_BY_NAME[name].confirmation_key, f"{name} changes something: it must be confirmed"


# ---------------------------------------------------------------------------- slots
@pytest.mark.parametrize(
    ("locale", "intent", "slot"), all_slots(), ids=lambda v: v if isinstance(v, str) else v["Name"]
)
def test_every_slot_has_its_prompt_in_the_locales_language(
    locale: str, intent: str, slot: dict[str, Any]
) -> None:
    spec = INTENTS_BY_NAME[intent].slot(
        next(s.name for s in INTENTS_BY_NAME[intent].slots if s.name.value == slot["Name"])
    )
    elicitation = slot["ValueElicitationSetting"]
    prompt = elicitation["PromptSpecification"]
    (group,) = prompt["MessageGroupsList"]

    assert group["Message"]["PlainTextMessage"]["Value"] == message(Locale(locale), spec.prompt_key)
    assert elicitation["SlotConstraint"] == ("Required" if spec.required else "Optional")
    attempts = prompt.get("PromptAttemptsSpecification")
    if attempts is not None:
        assert sorted(attempts) == sorted(
            ["Initial", *(f"Retry{n}" for n in range(1, prompt["MaxRetries"] + 1))]
        )


@pytest.mark.parametrize(
    ("locale", "intent", "slot"), all_slots(), ids=lambda v: v if isinstance(v, str) else v["Name"]
)
def test_every_slot_type_exists_in_its_locale(locale: str, intent: str, slot: dict[str, Any]) -> None:
    kind = slot["SlotTypeName"]
    custom = {t["Name"] for t in BOT_LOCALES[locale].get("SlotTypes", [])}

    if kind.startswith("AMAZON."):
        assert Locale(locale) in available_in(kind), f"{kind} is not offered in {locale}"
    else:
        assert kind in custom, f"{kind} is not defined in {locale}"
    assert kind not in ("AMAZON.AlphaNumeric", "AMAZON.Confirmation"), "not offered in every locale"


def test_the_slot_type_table_knows_alphanumeric_is_missing_in_korean() -> None:
    assert Locale.KO_KR not in available_in("AMAZON.AlphaNumeric")
    assert Locale.JA_JP in available_in("AMAZON.AlphaNumeric")
    assert available_in("AMAZON.NoSuchType") == frozenset()


@pytest.mark.parametrize(
    ("locale", "intent", "slot"), all_slots(), ids=lambda v: v if isinstance(v, str) else v["Name"]
)
def test_numbers_and_yes_no_can_be_keyed_in(locale: str, intent: str, slot: dict[str, Any]) -> None:
    spec = next(s for s in INTENTS_BY_NAME[intent].slots if s.name.value == slot["Name"])
    attempts = slot["ValueElicitationSetting"]["PromptSpecification"].get("PromptAttemptsSpecification", {})
    if spec.input_style is InputStyle.SPEECH:
        assert all(not a["AllowedInputTypes"]["AllowDTMFInput"] for a in attempts.values())
        return
    for attempt in attempts.values():
        assert attempt["AllowedInputTypes"] == {"AllowAudioInput": True, "AllowDTMFInput": True}
        dtmf = attempt["AudioAndDTMFInputSpecification"]["DTMFSpecification"]
        assert dtmf["EndCharacter"] == "#"
        assert dtmf["MaxLength"] == (12 if spec.input_style is InputStyle.DIGITS else 1)
    assert attempts, f"{intent}.{slot['Name']} must accept keys"


def test_digit_slots_are_the_ticket_and_order_numbers() -> None:
    digits = {s.name.value for spec in INTENTS for s in spec.slots if s.input_style is InputStyle.DIGITS}
    assert digits == {"TicketNumber", "OrderNumber"}


# ---------------------------------------------------------------------------- wiring
# The function's "live" alias when ContactFlowWarmStart is on (SnapStart, provisioned concurrency).
CODE_HOOK_ARN = {
    "Fn::If": [
        "ContactFlowWarmStartOn",
        {"Ref": "LexFulfillmentFunction.Alias"},
        {"Fn::GetAtt": ["LexFulfillmentFunction", "Arn"]},
    ]
}


def _code_hooks(settings: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        s["LocaleId"]: s["BotAliasLocaleSetting"]
        for s in settings
        if s["BotAliasLocaleSetting"]["CodeHookSpecification"]["LambdaCodeHook"]["LambdaArn"]
        == {"Ref": "CodeHookArn"}
        and s["BotAliasLocaleSetting"]["Enabled"]
    }


def test_the_live_alias_and_the_test_alias_call_the_code_hook_in_every_locale() -> None:
    assert PASSED["CodeHookArn"] == CODE_HOOK_ARN
    assert sorted(_code_hooks(ALIAS["Properties"]["BotAliasLocaleSettings"])) == LOCALES
    assert sorted(_code_hooks(BOT["Properties"]["TestBotAliasSettings"]["BotAliasLocaleSettings"])) == LOCALES
    assert ALIAS["Properties"]["BotVersion"] == {"Fn::GetAtt": [VERSION_ID, "BotVersion"]}
    assert ALIAS["Properties"]["BotId"] == VERSION["Properties"]["BotId"] == {"Ref": BOT_ID}
    assert sorted(s["LocaleId"] for s in VERSION["Properties"]["BotVersionLocaleSpecification"]) == LOCALES


def test_lex_may_invoke_the_code_hook_only_through_this_bots_aliases() -> None:
    permissions = [
        body["Properties"]
        for body in of_type("AWS::Lambda::Permission").values()
        if body["Properties"]["FunctionName"] == CODE_HOOK_ARN
    ]

    assert {p["Principal"] for p in permissions} == {"lexv2.amazonaws.com"}
    assert all(p["SourceAccount"] == {"Ref": "AWS::AccountId"} for p in permissions)
    sources = [p["SourceArn"] for p in permissions]
    assert {"Fn::GetAtt": [APPLICATION, "Outputs.SelfServiceBotAliasArn"]} in sources
    test_alias = (
        "arn:${AWS::Partition}:lex:${AWS::Region}:${AWS::AccountId}:bot-alias/"
        "${SelfServiceBotStack.Outputs.SelfServiceBotId}/TSTALIASID"
    )
    assert {"Fn::Sub": test_alias} in sources
    assert len(sources) == 2


def test_the_bot_role_lets_only_lex_of_this_account_speak() -> None:
    assert BOT["Properties"]["RoleArn"] == {"Ref": "BotRoleArn"}
    role = RESOURCES[PASSED["BotRoleArn"]["Fn::GetAtt"][0]]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]

    assert trust["Principal"] == {"Service": "lexv2.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    actions = {
        a for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"] for a in s["Action"]
    }
    assert actions == {"polly:SynthesizeSpeech"}


def test_the_alias_is_associated_with_the_connect_instance_when_one_is_given() -> None:
    (association,) = [
        body
        for body in of_type("AWS::Connect::IntegrationAssociation").values()
        if body["Properties"]["IntegrationType"] == "LEX_BOT"
    ]

    assert association["Condition"] == "ConnectSelfServiceBot"
    assert DOCUMENT["Conditions"]["ConnectSelfServiceBot"]["Fn::And"] == [
        {"Condition": "HasConnectInstance"},
        {"Condition": "DeploySelfServiceBot"},
    ]
    assert association["Properties"]["IntegrationArn"] == {
        "Fn::GetAtt": [APPLICATION, "Outputs.SelfServiceBotAliasArn"]
    }
    assert association["Properties"]["InstanceId"] == {"Ref": "ConnectInstanceArn"}


def test_the_outputs_name_the_bot_and_its_alias() -> None:
    outputs = DOCUMENT["Outputs"]

    inner = BOT_STACK["Outputs"]
    assert inner["SelfServiceBotId"]["Value"] == {"Ref": BOT_ID}
    assert inner["SelfServiceBotAliasArn"]["Value"] == {"Fn::GetAtt": [ALIAS_ID, "Arn"]}
    for name in ("SelfServiceBotId", "SelfServiceBotAliasArn"):
        assert outputs[name]["Value"] == {"Fn::GetAtt": [APPLICATION, f"Outputs.{name}"]}
        assert outputs[name]["Condition"] == "DeploySelfServiceBot"
    assert outputs["LexFulfillmentFunctionArn"]["Value"] == CODE_HOOK_ARN


def test_the_code_hook_answers_well_inside_lexs_wait() -> None:
    function = RESOURCES["LexFulfillmentFunction"]["Properties"]
    budget = DOCUMENT["Parameters"]["LexTimeBudgetMs"]

    assert int(budget["MaxValue"]) < function["Timeout"] * 1000 <= 30_000
    assert function["Environment"]["Variables"]["LEX_TIME_BUDGET_MS"] == {"Ref": "LexTimeBudgetMs"}


def test_the_self_service_table_has_the_keys_the_adapter_uses() -> None:
    table = RESOURCES["SelfServiceTable"]["Properties"]

    assert {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]} == {"HASH": "pk", "RANGE": "sk"}
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "CallbacksByDay"
    assert {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]} == {
        "HASH": "callbackDay",
        "RANGE": "slotStart",
    }
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert RESOURCES["SelfServiceTable"]["DeletionPolicy"] == "Retain"


# ---------------------------------------------------------------------------- languages
def test_the_languages_parameter_offers_every_set_of_locales_all_by_default() -> None:
    choices = language_choices()
    assert len(choices) == 2 ** len(LOCALES) - 1
    assert choices[0] == ",".join(LOCALES)
    for parameters in (DOCUMENT["Parameters"]["Languages"], BOT_STACK["Parameters"]["Languages"]):
        assert parameters["AllowedValues"] == choices
        assert parameters["Default"] == choices[0]
    assert PASSED["Languages"] == {"Ref": "Languages"}


@pytest.mark.parametrize(
    ("languages", "answered"),
    [("en_US,ja_JP,ko_KR,zh_CN", LOCALES), ("en_US,ko_KR", ["en_US", "ko_KR"]), ("zh_CN", ["zh_CN"])],
)
def test_the_live_alias_enables_exactly_the_chosen_locales(languages: str, answered: list[str]) -> None:
    bot_stack = Template(
        BOT_STACK,
        parameters={
            "ParentStackName": "cz",
            "CodeHookArn": "arn",
            "BotRoleArn": "arn",
            "Languages": languages,
        },
    )
    settings = {
        s["LocaleId"]: s["BotAliasLocaleSetting"] for s in ALIAS["Properties"]["BotAliasLocaleSettings"]
    }

    enabled = [locale for locale in LOCALES if bot_stack.resolve(settings[locale]["Enabled"]) is True]

    assert enabled == answered
    for locale in Locale:
        assert settings[locale.value]["Enabled"] == {"Fn::If": [speaks_condition(locale), True, False]}
    # the bot and its version keep every locale: the version id stays a hash of the definition
    assert sorted(BOT_LOCALES) == LOCALES
