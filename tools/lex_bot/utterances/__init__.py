"""Sample utterances per locale: what callers say to start each intent, and their words for yes/no.

Written as a native speaker would say them on the phone (and type them in chat). Slot references use
Lex's `{SlotName}` syntax and must name slots of the intent. The chat buttons' texts (message
catalogues, `button.*`) are added by the generator, so a tapped button is always understood.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connect_zendesk.lex.intents import IntentName
from connect_zendesk.messages import Locale

from lex_bot.utterances import en_US, ja_JP, ko_KR, zh_CN


@dataclass(frozen=True)
class LocaleUtterances:
    intents: Mapping[IntentName, tuple[str, ...]]
    yes: tuple[str, ...]  # synonyms of "yes" (the YesNo slot type), including the DTMF key
    no: tuple[str, ...]


UTTERANCES: Mapping[Locale, LocaleUtterances] = {
    Locale.EN_US: LocaleUtterances(en_US.INTENTS, en_US.YES, en_US.NO),
    Locale.JA_JP: LocaleUtterances(ja_JP.INTENTS, ja_JP.YES, ja_JP.NO),
    Locale.KO_KR: LocaleUtterances(ko_KR.INTENTS, ko_KR.YES, ko_KR.NO),
    Locale.ZH_CN: LocaleUtterances(zh_CN.INTENTS, zh_CN.YES, zh_CN.NO),
}
