"""The subset of Zendesk's search query language the project sends.

Supported: ``type:user|ticket``, ``role:``, ``phone:`` (digits; ``*`` is a wildcard, so ``phone:*digits``
matches by suffix), ``email:``, ``name:``, ``external_id:``, ``requester:<id|email>``, ``status`` with
``: < > <= >=`` (new < open < pending < hold < solved < closed), ``tags:``, ``created``/``updated`` with a
date and a comparison, ``-`` to negate a term, and bare words (searched in names, emails, subjects and
descriptions). Anything else makes the whole search return nothing, and is logged, so a typo in a
query shows up as "no results" exactly as an over-narrow real query would, without crashing.
"""

from __future__ import annotations

import logging
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connect_zendesk_local.zendesk_emulator import records
from connect_zendesk_local.zendesk_emulator.records import JSON
from connect_zendesk_local.zendesk_emulator.store import ZendeskStore

log = logging.getLogger(__name__)

TERM_PATTERN = re.compile(
    r'(?P<negated>-)?(?:(?P<field>[A-Za-z_]+)(?P<op><=|>=|:|<|>)(?P<value>"[^"]*"|\S*)|(?P<text>"[^"]*"|\S+))'
)
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    ":": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


class UnsupportedSearchError(ValueError):
    """A term this emulator does not implement."""


@dataclass(frozen=True)
class Term:
    field: str | None  # None for a bare word
    op: str
    value: str
    negated: bool = False


@dataclass(frozen=True)
class Candidate:
    kind: str  # "user" or "ticket"
    record: JSON


Matcher = Callable[[ZendeskStore, Candidate, Term], bool]


def parse_query(text: str) -> list[Term]:
    terms = []
    for match in TERM_PATTERN.finditer(text):
        negated = bool(match["negated"])
        if match["field"]:
            terms.append(Term(match["field"].lower(), match["op"], _unquote(match["value"]), negated))
        else:
            terms.append(Term(None, ":", _unquote(match["text"]), negated))
    return terms


def run_search(store: ZendeskStore, query: str, type_filter: str | None) -> list[Candidate]:
    """Every user and ticket matching all terms; an unsupported term yields no results."""
    terms = parse_query(query)
    try:
        for term in terms:
            _check_supported(term)
    except UnsupportedSearchError as exc:
        log.warning("zendesk emulator: unsupported search term in %r (%s); returning no results", query, exc)
        return []
    candidates = [Candidate("user", user) for user in store.users.values()]
    candidates += [Candidate("ticket", ticket) for ticket in store.tickets.values()]
    if type_filter:
        candidates = [item for item in candidates if item.kind == type_filter]
    return [item for item in candidates if all(_matches(store, item, term) for term in terms)]


def phone_matches(pattern: str, stored: str | None) -> bool:
    """Zendesk compares digits only; ``*`` in the query stands for any run of digits."""
    wanted = re.sub(r"[^\d*]", "", pattern)
    if not re.search(r"\d", wanted):
        return False
    regex = "".join(r"\d*" if char == "*" else char for char in wanted)
    return re.fullmatch(regex, records.digits_of(stored)) is not None


def wildcard_matches(pattern: str, value: str | None) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return value is not None and re.fullmatch(regex, value, re.IGNORECASE) is not None


def _check_supported(term: Term) -> None:
    if term.field is None:
        return
    if term.field not in MATCHERS:
        raise UnsupportedSearchError(f"{term.field}{term.op}{term.value}")
    if term.op != ":" and term.field not in ORDERED_FIELDS:
        raise UnsupportedSearchError(f"{term.field} does not support {term.op}")
    if term.field == "status" and term.value not in records.TICKET_STATUSES:
        raise UnsupportedSearchError(f"unknown status {term.value}")


def _matches(store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    matcher = MATCHERS[term.field] if term.field else _match_text
    return matcher(store, candidate, term) != term.negated


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _compare(left: Any, op: str, right: Any) -> bool:
    return bool(COMPARISONS[op](left, right))


# --------------------------------------------------------------------------- one matcher per field
def _match_type(_store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    return candidate.kind == term.value.lower()


def _match_role(_store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    return candidate.kind == "user" and candidate.record["role"] == term.value.lower()


def _match_phone(store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    if candidate.kind != "user":
        return False
    return any(phone_matches(term.value, phone) for phone in store.phones_of(candidate.record["id"]))


def _match_email(store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    if candidate.kind != "user":
        return False
    return any(wildcard_matches(term.value, email) for email in store.emails_of(candidate.record["id"]))


def _match_name(_store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    return candidate.kind == "user" and wildcard_matches(term.value, candidate.record["name"])


def _match_external_id(_store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    return candidate.record.get("external_id") == term.value


def _match_tags(_store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    return term.value.lower() in candidate.record.get("tags", [])


def _match_requester(store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    if candidate.kind != "ticket":
        return False
    if term.value.isdigit():
        return bool(candidate.record["requester_id"] == int(term.value))
    requester = store.find_user_by_email(term.value)
    return requester is not None and candidate.record["requester_id"] == requester["id"]


def _match_status(_store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    if candidate.kind != "ticket":
        return False
    rank = records.TICKET_STATUSES.index
    return _compare(rank(candidate.record["status"]), term.op, rank(term.value))


def _match_date(field: str) -> Matcher:
    def match(_store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
        # ISO-8601 strings order like the instants they name; compare at the query's precision.
        stored = str(candidate.record[field])[: len(term.value)]
        return _compare(stored, term.op, term.value)

    return match


def _match_text(_store: ZendeskStore, candidate: Candidate, term: Term) -> bool:
    fields = ("name", "email") if candidate.kind == "user" else ("subject", "description")
    wanted = term.value.lower()
    return any(wanted in str(candidate.record.get(field) or "").lower() for field in fields)


MATCHERS: dict[str, Matcher] = {
    "type": _match_type,
    "role": _match_role,
    "phone": _match_phone,
    "email": _match_email,
    "name": _match_name,
    "external_id": _match_external_id,
    "tags": _match_tags,
    "tag": _match_tags,
    "requester": _match_requester,
    "status": _match_status,
    "created": _match_date("created_at"),
    "updated": _match_date("updated_at"),
}
ORDERED_FIELDS = frozenset(("status", "created", "updated"))
