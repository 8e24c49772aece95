"""Who is calling: the caller's number, normalised to E.164, matched to a Zendesk end-user.

Identity comes from the telephone endpoint only (`CustomerEndpoint.Address`). A `phoneNumber` the flow
passes (say, one the caller keyed in) is a hint, never an identity: unless it is the endpoint's own
number it identifies nobody - no Zendesk lookup, nothing about its owner answered or recorded on the
contact - and the flow gets `identity = Unverified` to branch on. Anyone can key in anyone's number.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from connect_zendesk.connect.flow_event import FlowRequest
from connect_zendesk.connect.flow_response import FlowOutcome, LambdaResult
from connect_zendesk.domain.best_effort import record_best_effort
from connect_zendesk.domain.models import ZendeskUser
from connect_zendesk.domain.ports import ZendeskDirectory
from connect_zendesk.errors import ServiceError
from connect_zendesk.messages import locale_for
from connect_zendesk.observability import logger
from connect_zendesk.phone import CallerNumber, Unusable, UnusableReason, normalise, same_number
from connect_zendesk.pii import mask_phone
from connect_zendesk.services import Services
from connect_zendesk.text import first_name, speakable

CACHE_PREFIX = "caller#"
MAX_IDENTITY_CHECKS = 2  # keeps a first-time caller within three Zendesk calls


class IdentitySource(enum.StrEnum):
    ENDPOINT = "Endpoint"  # the answer is about the number the call comes from
    UNVERIFIED = "Unverified"  # a number that is not the caller's: nobody identified
    NONE = ""  # skipped: no usable number


@dataclass(frozen=True)
class CallerIdentity:
    result: LambdaResult
    number: CallerNumber | None = None
    user: ZendeskUser | None = None
    match_count: int = 0
    skip_reason: str = ""
    source: IdentitySource = IdentitySource.ENDPOINT


def lookup_caller(request: FlowRequest, services: Services) -> FlowOutcome:
    identity = identify_and_remember(request, services)
    if identity.result is LambdaResult.SKIPPED:
        return FlowOutcome.skipped(identity.skip_reason)
    if identity.user is None:
        return FlowOutcome(LambdaResult.NOT_FOUND, {"matchCount": 0, "identity": identity.source.value})
    locale = locale_for(request.value("language") or request.language_code)
    name = speakable(identity.user.name, locale, max_chars=64)
    return FlowOutcome(
        LambdaResult.SUCCESS,
        {
            "zendeskUserId": identity.user.id,
            "customerName": name,
            "customerFirstName": first_name(name)[:32],
            "matchCount": identity.match_count,
            "identity": identity.source.value,
        },
    )


def identify_and_remember(request: FlowRequest, services: Services) -> CallerIdentity:
    """identify_caller, recorded on the contact. When Zendesk fails, the endpoint's number is still
    recorded: the bot trusts only the record, and can look the caller up once Zendesk answers again."""
    try:
        identity = identify_caller(request, services)
    except ServiceError:
        number = caller_number(request, services.settings.default_phone_region)
        if isinstance(number, CallerNumber):
            remember_caller(request, CallerIdentity(LambdaResult.ERROR, number), services)
        raise
    remember_caller(request, identity, services)
    return identity


def identify_caller(request: FlowRequest, services: Services) -> CallerIdentity:
    number = caller_number(request, services.settings.default_phone_region)
    if isinstance(number, Unusable):
        logger.info("caller lookup skipped", extra={"reason": number.reason.value})
        return CallerIdentity(
            LambdaResult.SKIPPED, skip_reason=number.reason.value, source=IdentitySource.NONE
        )
    if isinstance(number, UnverifiedNumber):
        logger.warning(
            "a number that is not the caller's identifies nobody",
            extra={"keyed_in": mask_phone(number.hint.e164), "endpoint_usable": number.endpoint_usable},
        )
        return CallerIdentity(LambdaResult.NOT_FOUND, source=IdentitySource.UNVERIFIED)
    user, match_count = user_for_number(number, services)
    result = LambdaResult.SUCCESS if user else LambdaResult.NOT_FOUND
    return CallerIdentity(result, number, user, match_count)


def user_for_number(number: CallerNumber, services: Services) -> tuple[ZendeskUser | None, int]:
    """The best-matching end-user for a number and how many matched, from the cache or Zendesk."""
    cache_key = CACHE_PREFIX + number.e164
    cached = services.cache.get(cache_key)
    if isinstance(cached, dict):
        user = ZendeskUser.from_cache(cached["user"]) if cached.get("user") else None
        match_count = int(cached.get("matchCount", 0))
    else:
        matches = matching_users(number, services.zendesk)
        user = matches[0] if matches else None
        match_count = len(matches)
        remember_user_for_number(number, user, match_count, services)
    logger.info(
        "caller identified" if user else "caller not in Zendesk",
        extra={
            "caller": mask_phone(number.e164),
            "zendesk_user_id": user.id if user else None,
            "match_count": match_count,
            "cached": isinstance(cached, dict),
        },
    )
    return user, match_count


def remember_user_for_number(
    number: CallerNumber, user: ZendeskUser | None, match_count: int, services: Services
) -> None:
    ttls = services.settings.cache_ttls
    services.cache.put(
        CACHE_PREFIX + number.e164,
        {"user": user.to_cache() if user else None, "matchCount": match_count},
        ttls.caller_seconds if user else ttls.caller_not_found_seconds,
    )


@dataclass(frozen=True)
class UnverifiedNumber:
    """A `phoneNumber` parameter that is not the telephone endpoint's number."""

    hint: CallerNumber
    endpoint_usable: bool


def caller_number(request: FlowRequest, default_region: str) -> CallerNumber | Unusable | UnverifiedNumber:
    """The customer endpoint's number, if it is a telephone. A `phoneNumber` flow parameter counts only
    when it is that same number (in any format); another number is an UnverifiedNumber."""
    endpoint = endpoint_number(request, default_region)
    explicit = request.parameters.get("phoneNumber", "").strip()
    if not explicit:
        return endpoint
    hint = normalise(explicit, default_region)
    if isinstance(hint, Unusable):
        return hint
    if isinstance(endpoint, CallerNumber) and endpoint.e164 == hint.e164:
        return endpoint
    return UnverifiedNumber(hint, endpoint_usable=isinstance(endpoint, CallerNumber))


def endpoint_number(request: FlowRequest, default_region: str) -> CallerNumber | Unusable:
    if request.customer_endpoint_type not in ("", "TELEPHONE_NUMBER"):
        return Unusable(UnusableReason.NOT_TELEPHONE)
    return normalise(request.customer_address, default_region)


def matching_users(number: CallerNumber, zendesk: ZendeskDirectory) -> list[ZendeskUser]:
    """End-users whose number really is the caller's, best match first.

    Zendesk's `phone:*digits` search matches by suffix, so every candidate is checked in E.164.
    Direct lines come before shared (household) numbers; then the oldest profile, so the choice
    is the same on every call.
    """
    candidates = [
        u for u in zendesk.end_users_by_phone(number.national_digits) if u.role == "end-user" and u.active
    ]
    verified = [u for u in candidates if same_number(u.phone, number)]
    if not verified:
        # The search also matches secondary phone identities, which search results do not show.
        for user in candidates[:MAX_IDENTITY_CHECKS]:
            if any(same_number(p, number) for p in zendesk.phone_identities(user.id)):
                verified.append(user)
    return sorted(verified, key=lambda u: (u.shared_phone_number, u.id))


def remember_caller(request: FlowRequest, identity: CallerIdentity, services: Services) -> None:
    """Best effort: the flow still gets its answer when the Contacts table cannot be written. An
    unverified number is not recorded: the record is what the bot trusts as the caller."""
    if not request.contact_id or identity.source is IdentitySource.UNVERIFIED:
        return
    record_best_effort(
        "caller",
        lambda: services.contacts.record_caller(
            request.contact_id,
            caller_e164=identity.number.e164 if identity.number else "",
            zendesk_user_id=identity.user.id if identity.user else None,
            match_count=identity.match_count,
            channel=request.channel,
            language=request.value("language") or request.language_code,
            instance_arn=request.instance_arn,
            lookup_result=identity.result.value,
        ),
    )
