"""Generates the self-service bot (bot, version, alias) as stacks/self_service_bot.yaml from one source.

The intents and slots come from `connect_zendesk.lex.intents` (what the code hook handles), every
prompt from the message catalogues (what the code hook says), and the sample utterances from
`lex_bot.utterances`. `python -m lex_bot` (`make bot`) rewrites the stack file; a unit test fails
when it differs from what this module generates. template.yaml deploys it as a nested application
and passes the code hook's ARN and the bot's role; the bot's id and alias ARN come back as outputs.

The version's logical id carries a hash of the bot definition: CloudFormation creates a new
`AWS::Lex::BotVersion` only for a new resource, so a changed bot gets a new version and the alias
moves to it in the same deployment.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable
from typing import Any

from connect_zendesk.lex.intents import (
    INTENTS,
    NO,
    YES,
    YES_NO_SLOT_TYPE,
    InputStyle,
    IntentName,
    IntentSpec,
    SlotSpec,
)
from connect_zendesk.messages import Locale, message
from stack_writer import GeneratedStack

from lex_bot.builtin_slot_types import available_in
from lex_bot.utterances import UTTERANCES

APPLICATION = "SelfServiceBotStack"  # the nested application in template.yaml
BOT = "SelfServiceBot"
ALIAS = "SelfServiceBotAlias"
# Parameters template.yaml passes: the code hook (its "live" alias when ContactFlowWarmStart is on:
# SnapStart and provisioned concurrency apply to versions only), the bot's runtime role, its name.
CODE_HOOK_PARAMETER = "CodeHookArn"
ROLE_PARAMETER = "BotRoleArn"
NAME_PARAMETER = "ParentStackName"
# Which locales the live alias answers in: every locale is built into the bot and its versions (the
# version id stays a hash of the definition); the choice enables or disables each one on the alias.
LANGUAGES_PARAMETER = "Languages"
ALIAS_NAME = "live"
NLU_CONFIDENCE_THRESHOLD = 0.4
IDLE_SESSION_SECONDS = 600
PROMPT_RETRIES = 2
VOICES = {
    Locale.EN_US: "Danielle",
    Locale.JA_JP: "Kazuha",
    Locale.KO_KR: "Seoyeon",
    Locale.ZH_CN: "Zhiyu",
}
# Which chat button (message catalogue) starts which intent: its text becomes a sample utterance.
BUTTON_INTENTS = {
    "button.ticket": IntentName.CHECK_TICKET_STATUS,
    "button.callback": IntentName.SCHEDULE_CALLBACK,
    "button.order": IntentName.ORDER_STATUS,
    "button.agent": IntentName.SPEAK_TO_AGENT,
    "button.done": IntentName.END_CONVERSATION,
}


def bot_locales() -> list[dict[str, Any]]:
    return [_locale(locale) for locale in Locale]


def version_logical_id(locales: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256(json.dumps(locales, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"{BOT}Version{digest[:10]}"


def language_choices() -> list[str]:
    """Every non-empty set of locales, comma-separated in Locale order, all of them first (the default):
    CloudFormation conditions cannot search a list, so each set is one allowed value."""
    locales = [locale.value for locale in Locale]
    sets = [c for n in range(len(locales), 0, -1) for c in itertools.combinations(locales, n)]
    return [",".join(chosen) for chosen in sets]


def speaks_condition(locale: Locale) -> str:
    """en_US -> SpeaksEnUs: the bot stack's condition that the live alias answers in that locale."""
    return "Speaks" + "".join(part.capitalize() for part in locale.value.split("_"))


def language_conditions() -> dict[str, Any]:
    return {
        speaks_condition(locale): {
            "Fn::Or": [
                {"Fn::Equals": [{"Ref": LANGUAGES_PARAMETER}, choice]}
                for choice in language_choices()
                if locale.value in choice.split(",")
            ]
        }
        for locale in Locale
    }


def bot_resources() -> dict[str, Any]:
    locales = bot_locales()
    version = version_logical_id(locales)
    live_alias = [
        {
            "LocaleId": locale.value,
            "BotAliasLocaleSetting": {
                "Enabled": {"Fn::If": [speaks_condition(locale), True, False]},
                "CodeHookSpecification": {
                    "LambdaCodeHook": {
                        "CodeHookInterfaceVersion": "1.0",
                        "LambdaArn": {"Ref": CODE_HOOK_PARAMETER},
                    }
                },
            },
        }
        for locale in Locale
    ]
    code_hook = [
        {
            "LocaleId": locale.value,
            "BotAliasLocaleSetting": {
                "Enabled": True,
                "CodeHookSpecification": {
                    "LambdaCodeHook": {
                        "CodeHookInterfaceVersion": "1.0",
                        "LambdaArn": {"Ref": CODE_HOOK_PARAMETER},
                    }
                },
            },
        }
        for locale in Locale
    ]
    return {
        BOT: {
            "Type": "AWS::Lex::Bot",
            "Properties": {
                "Name": {"Fn::Sub": f"${{{NAME_PARAMETER}}}-self-service"},
                "Description": "connect-zendesk self-service: tickets, callbacks, orders, agent handoff.",
                "RoleArn": {"Ref": ROLE_PARAMETER},
                "DataPrivacy": {"ChildDirected": False},
                "IdleSessionTTLInSeconds": IDLE_SESSION_SECONDS,
                "AutoBuildBotLocales": True,
                "BotLocales": locales,
                "TestBotAliasSettings": {
                    "Description": "Console testing of the draft, with the code hook in every locale.",
                    "BotAliasLocaleSettings": code_hook,
                    "SentimentAnalysisSettings": {"DetectSentiment": False},
                },
                "BotTags": [{"Key": "application", "Value": "connect-zendesk"}],
            },
        },
        version: {
            "Type": "AWS::Lex::BotVersion",
            "Properties": {
                "BotId": {"Ref": BOT},
                "Description": "Built by make bot; the logical id changes with the bot definition.",
                "BotVersionLocaleSpecification": [
                    {"LocaleId": locale.value, "BotVersionLocaleDetails": {"SourceBotVersion": "DRAFT"}}
                    for locale in Locale
                ],
            },
        },
        ALIAS: {
            "Type": "AWS::Lex::BotAlias",
            "Properties": {
                "BotId": {"Ref": BOT},
                "BotAliasName": ALIAS_NAME,
                "Description": "What Amazon Connect talks to: the latest version, code hook in every locale.",
                "BotVersion": {"Fn::GetAtt": [version, "BotVersion"]},
                "BotAliasLocaleSettings": live_alias,
                "SentimentAnalysisSettings": {"DetectSentiment": False},
                "BotAliasTags": [{"Key": "application", "Value": "connect-zendesk"}],
            },
        },
    }


def stack() -> GeneratedStack:
    def parameter(description: str) -> dict[str, str]:
        return {"Type": "String", "Description": description}

    return GeneratedStack(
        file_name="self_service_bot.yaml",
        command="make bot",
        sources="connect_zendesk.lex.intents, the message catalogues and tools/lex_bot/utterances",
        description="connect-zendesk self-service Lex bot: tickets, callbacks, orders, agent handoff.",
        parameters={
            NAME_PARAMETER: parameter("template.yaml's stack name: the bot is named after it."),
            CODE_HOOK_PARAMETER: parameter(
                "The lex_fulfillment function (or its live alias) every locale calls."
            ),
            ROLE_PARAMETER: parameter("The bot's runtime role (speech synthesis only)."),
            LANGUAGES_PARAMETER: {
                "Type": "String",
                "Default": language_choices()[0],
                "AllowedValues": language_choices(),
                "Description": "The locales the live alias answers in (template.yaml's Languages).",
            },
        },
        conditions=language_conditions(),
        resources=bot_resources(),
        outputs={
            "SelfServiceBotId": {"Description": "The bot's id.", "Value": {"Ref": BOT}},
            "SelfServiceBotAliasArn": {
                "Description": "The live alias Amazon Connect talks to.",
                "Value": {"Fn::GetAtt": [ALIAS, "Arn"]},
            },
        },
    )


# ---------------------------------------------------------------------------- one locale
def _locale(locale: Locale) -> dict[str, Any]:
    return {
        "LocaleId": locale.value,
        "Description": f"connect-zendesk self-service ({locale.value})",
        "NluConfidenceThreshold": NLU_CONFIDENCE_THRESHOLD,
        "VoiceSettings": {"VoiceId": VOICES[locale], "Engine": "neural"},
        "SlotTypes": [_yes_no_type(locale)],
        "Intents": [_intent(spec, locale) for spec in INTENTS],
    }


def _yes_no_type(locale: Locale) -> dict[str, Any]:
    words = UTTERANCES[locale]
    return {
        "Name": YES_NO_SLOT_TYPE,
        "Description": "Yes or no, spoken, typed or keyed (1 = yes, 2 = no).",
        "ValueSelectionSetting": {"ResolutionStrategy": "TOP_RESOLUTION"},
        "SlotTypeValues": [
            {
                "SampleValue": {"Value": YES},
                "Synonyms": _values(YES, (*words.yes, message(locale, "button.yes"))),
            },
            {
                "SampleValue": {"Value": NO},
                "Synonyms": _values(NO, (*words.no, message(locale, "button.no"))),
            },
        ],
    }


def _values(sample: str, synonyms: Iterable[str]) -> list[dict[str, str]]:
    return [{"Value": value} for value in _unique(synonyms, exclude={sample.lower()})]


def _unique(texts: Iterable[str], exclude: set[str] | None = None) -> list[str]:
    seen = set(exclude or ())
    kept: list[str] = []
    for text in texts:
        key = text.strip().lower()
        if key and key not in seen:
            seen.add(key)
            kept.append(text.strip())
    return kept


def _intent(spec: IntentSpec, locale: Locale) -> dict[str, Any]:
    intent: dict[str, Any] = {"Name": spec.name.value, "Description": spec.description}
    if spec.parent_signature:
        intent["ParentIntentSignature"] = spec.parent_signature
    else:
        buttons = [message(locale, key) for key, name in BUTTON_INTENTS.items() if name is spec.name]
        utterances = _unique((*UTTERANCES[locale].intents[spec.name], *buttons))
        intent["SampleUtterances"] = [{"Utterance": u} for u in utterances]
        intent["DialogCodeHook"] = {"Enabled": True}
    intent["FulfillmentCodeHook"] = {"Enabled": True}
    if spec.slots:
        intent["Slots"] = [_slot(slot, locale) for slot in spec.slots]
        intent["SlotPriorities"] = [
            {"Priority": i + 1, "SlotName": s.name.value} for i, s in enumerate(spec.slots)
        ]
    if spec.confirmation_key:
        intent["IntentConfirmationSetting"] = {
            "PromptSpecification": _prompt(message(locale, spec.confirmation_key), InputStyle.KEY),
            "DeclinationResponse": {"MessageGroupsList": _messages(message(locale, "bot.prompt.declined"))},
        }
    return intent


def _slot(slot: SlotSpec, locale: Locale) -> dict[str, Any]:
    if slot.slot_type.startswith("AMAZON.") and locale not in available_in(slot.slot_type):
        raise ValueError(f"{slot.slot_type} is not available in {locale.value}")
    style = InputStyle.SPEECH if slot.slot_type == "AMAZON.FreeFormInput" else slot.input_style
    definition: dict[str, Any] = {
        "Name": slot.name.value,
        "SlotTypeName": slot.slot_type,
        "ValueElicitationSetting": {
            "SlotConstraint": "Required" if slot.required else "Optional",
            "PromptSpecification": _prompt(
                message(locale, slot.prompt_key), style, free_form=slot.slot_type == "AMAZON.FreeFormInput"
            ),
        },
    }
    if slot.obfuscated:
        definition["ObfuscationSetting"] = {"ObfuscationSettingType": "DefaultObfuscation"}
    return definition


def _messages(text: str) -> list[dict[str, Any]]:
    return [{"Message": {"PlainTextMessage": {"Value": text}}}]


def _prompt(text: str, style: InputStyle, *, free_form: bool = False) -> dict[str, Any]:
    prompt: dict[str, Any] = {
        "MessageGroupsList": _messages(text),
        "MaxRetries": PROMPT_RETRIES,
        "AllowInterrupt": True,
    }
    if style is not InputStyle.SPEECH or free_form:
        attempt = _attempt(style, free_form)
        names = ["Initial", *(f"Retry{i}" for i in range(1, PROMPT_RETRIES + 1))]
        prompt["PromptAttemptsSpecification"] = dict.fromkeys(names, attempt)
    return prompt


def _attempt(style: InputStyle, free_form: bool) -> dict[str, Any]:
    """How a caller may answer: digits end with # (and * deletes), yes/no is one key, a described
    problem may run long with pauses."""
    dtmf = style is not InputStyle.SPEECH
    audio = (
        {"MaxLengthMs": 30000, "EndTimeoutMs": 1500}
        if free_form
        else {"MaxLengthMs": 15000, "EndTimeoutMs": 640}
    )
    spec: dict[str, Any] = {"StartTimeoutMs": 4000, "AudioSpecification": audio}
    if dtmf:
        spec["DTMFSpecification"] = {
            "MaxLength": 12 if style is InputStyle.DIGITS else 1,
            "EndTimeoutMs": 5000 if style is InputStyle.DIGITS else 2000,
            "EndCharacter": "#",
            "DeletionCharacter": "*",
        }
    return {
        "AllowInterrupt": True,
        "AllowedInputTypes": {"AllowAudioInput": True, "AllowDTMFInput": dtmf},
        "AudioAndDTMFInputSpecification": spec,
        "TextInputSpecification": {"StartTimeoutMs": 30000},
    }
