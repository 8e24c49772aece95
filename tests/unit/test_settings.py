"""Settings: environment variables read and validated once per container."""

from __future__ import annotations

import pytest
from connect_zendesk.settings import CacheTtls, ConfigurationError, Settings, get_settings

VALID_ENV = {
    "ZENDESK_SUBDOMAIN": "acme",
    "ZENDESK_EMAIL": "agent@example.com",
    "ZENDESK_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:zendesk-AbCdEf",
    "CONTACTS_TABLE": "contacts",
    "CACHE_TABLE": "cache",
}


def test_given_empty_env_when_loading_then_documented_defaults_apply() -> None:
    settings = Settings.from_env({})

    assert settings == Settings()
    assert settings.environment == "dev"
    assert settings.zendesk_domain == "zendesk.com"
    assert settings.default_phone_region == "US"
    assert settings.cache_ttls == CacheTtls()
    assert settings.flow_time_budget_seconds == 3.0
    assert settings.contact_retention_days == 90


def test_given_full_env_when_loading_then_every_value_is_read_and_normalised() -> None:
    env = {
        "ENVIRONMENT": " prod ",
        "ZENDESK_SUBDOMAIN": "  ACME-Support ",
        "ZENDESK_DOMAIN": " Zendesk.EU ",
        "ZENDESK_EMAIL": " agent@example.com ",
        "ZENDESK_SECRET_ARN": " arn:secret ",
        "CONTACTS_TABLE": " contacts ",
        "CACHE_TABLE": " cache ",
        "DEFAULT_PHONE_REGION": " gb ",
        "CALLER_CACHE_TTL_SECONDS": "7200",
        "CALLER_NOT_FOUND_TTL_SECONDS": "600",
        "TICKET_CACHE_TTL_SECONDS": " 30 ",
        "FLOW_TIME_BUDGET_MS": "2500",
        "CONTACT_RETENTION_DAYS": "30",
    }

    settings = Settings.from_env(env)

    assert settings == Settings(
        environment="prod",
        zendesk_subdomain="acme-support",
        zendesk_domain="zendesk.eu",
        zendesk_email="agent@example.com",
        zendesk_secret_arn="arn:secret",
        contacts_table="contacts",
        cache_table="cache",
        default_phone_region="GB",
        cache_ttls=CacheTtls(caller_seconds=7200, caller_not_found_seconds=600, tickets_seconds=30),
        flow_time_budget_seconds=2.5,
        contact_retention_days=30,
    )


@pytest.mark.parametrize(
    ("name", "blank", "expected_attr", "expected"),
    [
        ("ENVIRONMENT", "   ", "environment", "dev"),
        ("ZENDESK_DOMAIN", " ", "zendesk_domain", "zendesk.com"),
        ("DEFAULT_PHONE_REGION", "", "default_phone_region", "US"),
        ("FLOW_TIME_BUDGET_MS", "  ", "flow_time_budget_seconds", 3.0),
    ],
)
def test_given_blank_value_when_loading_then_default_is_used(
    name: str, blank: str, expected_attr: str, expected: object
) -> None:
    assert getattr(Settings.from_env({name: blank}), expected_attr) == expected


def test_given_required_variables_missing_or_blank_when_loading_then_all_are_named_sorted() -> None:
    env = {"ZENDESK_SUBDOMAIN": "acme", "CACHE_TABLE": "   "}

    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env(env, required={"ZENDESK_SUBDOMAIN", "CONTACTS_TABLE", "CACHE_TABLE"})

    assert str(raised.value) == "missing environment variables: CACHE_TABLE, CONTACTS_TABLE"


def test_given_required_variables_present_when_loading_then_no_error() -> None:
    settings = Settings.from_env(VALID_ENV, required=VALID_ENV.keys())

    assert settings.zendesk_subdomain == "acme"


def test_configuration_error_is_a_value_error() -> None:
    assert issubclass(ConfigurationError, ValueError)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("ZENDESK_SUBDOMAIN", "acme.zendesk.com", "ZENDESK_SUBDOMAIN"),
        ("ZENDESK_SUBDOMAIN", "-acme", "ZENDESK_SUBDOMAIN"),
        ("ZENDESK_SUBDOMAIN", "acme-", "ZENDESK_SUBDOMAIN"),
        ("ZENDESK_SUBDOMAIN", "a" * 64, "ZENDESK_SUBDOMAIN"),
        ("ZENDESK_SUBDOMAIN", "https://acme", "ZENDESK_SUBDOMAIN"),
        ("ZENDESK_DOMAIN", "localhost", "ZENDESK_DOMAIN"),
        ("ZENDESK_DOMAIN", "zendesk.com/", "ZENDESK_DOMAIN"),
        ("ZENDESK_EMAIL", "agent", "ZENDESK_EMAIL"),
        ("ZENDESK_EMAIL", "agent@example", "ZENDESK_EMAIL"),
        ("ZENDESK_EMAIL", "a gent@example.com", "ZENDESK_EMAIL"),
        ("DEFAULT_PHONE_REGION", "USA", "DEFAULT_PHONE_REGION"),
        ("DEFAULT_PHONE_REGION", "1", "DEFAULT_PHONE_REGION"),
    ],
)
def test_given_invalid_value_when_loading_then_configuration_error_names_the_variable(
    name: str, value: str, fragment: str
) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        Settings.from_env({name: value})


@pytest.mark.parametrize("subdomain", ["a", "acme", "acme-support", "a1", "a" * 63])
def test_given_valid_subdomain_when_loading_then_accepted(subdomain: str) -> None:
    assert Settings.from_env({"ZENDESK_SUBDOMAIN": subdomain}).zendesk_subdomain == subdomain


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("CALLER_CACHE_TTL_SECONDS", "1h"),
        ("CALLER_NOT_FOUND_TTL_SECONDS", "1.5"),
        ("TICKET_CACHE_TTL_SECONDS", "sixty"),
        ("FLOW_TIME_BUDGET_MS", "3s"),
        ("CONTACT_RETENTION_DAYS", "0x10"),
    ],
)
def test_given_non_integer_when_loading_then_error_names_variable_and_value(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({name: raw})

    assert str(raised.value) == f"{name} must be an integer, got {raw!r}"
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("CALLER_CACHE_TTL_SECONDS", 0, 7 * 86400),
        ("CALLER_NOT_FOUND_TTL_SECONDS", 0, 86400),
        ("TICKET_CACHE_TTL_SECONDS", 0, 86400),
        ("FLOW_TIME_BUDGET_MS", 200, 7000),
        ("CONTACT_RETENTION_DAYS", 1, 3650),
    ],
)
def test_integer_bounds_are_inclusive_and_enforced(name: str, low: int, high: int) -> None:
    # The not-found TTL may not exceed the caller TTL: move the other one out of the way.
    base = {
        "CALLER_CACHE_TTL_SECONDS": {"CALLER_NOT_FOUND_TTL_SECONDS": "0"},
        "CALLER_NOT_FOUND_TTL_SECONDS": {"CALLER_CACHE_TTL_SECONDS": str(7 * 86400)},
    }.get(name, {})

    Settings.from_env({**base, name: str(low)})
    Settings.from_env({**base, name: str(high)})
    for outside in (low - 1, high + 1):
        with pytest.raises(
            ConfigurationError, match=rf"{name} must be between {low} and {high}, got {outside}"
        ):
            Settings.from_env({**base, name: str(outside)})


@pytest.mark.parametrize(("raw_ms", "seconds"), [("200", 0.2), ("3000", 3.0), ("7000", 7.0)])
def test_flow_budget_is_read_in_milliseconds_and_held_in_seconds(raw_ms: str, seconds: float) -> None:
    assert Settings.from_env({"FLOW_TIME_BUDGET_MS": raw_ms}).flow_time_budget_seconds == pytest.approx(
        seconds
    )


def test_given_not_found_ttl_longer_than_caller_ttl_when_loading_then_rejected() -> None:
    env = {"CALLER_CACHE_TTL_SECONDS": "100", "CALLER_NOT_FOUND_TTL_SECONDS": "101"}

    with pytest.raises(ConfigurationError, match="CALLER_NOT_FOUND_TTL_SECONDS must not exceed"):
        Settings.from_env(env)


def test_given_not_found_ttl_equal_to_caller_ttl_when_loading_then_accepted() -> None:
    env = {"CALLER_CACHE_TTL_SECONDS": "100", "CALLER_NOT_FOUND_TTL_SECONDS": "100"}

    assert Settings.from_env(env).cache_ttls.caller_not_found_seconds == 100


def test_given_default_caller_ttl_and_high_not_found_ttl_when_loading_then_rejected() -> None:
    # 86400 is inside the not-found range but above the default caller TTL of 3600.
    with pytest.raises(ConfigurationError, match="must not exceed"):
        Settings.from_env({"CALLER_NOT_FOUND_TTL_SECONDS": "86400"})


def test_settings_are_immutable() -> None:
    settings = Settings.from_env({})

    with pytest.raises(AttributeError):
        settings.environment = "prod"  # type: ignore[misc]


def test_get_settings_reads_process_env_once_and_reuses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "first")
    first = get_settings()

    monkeypatch.setenv("ZENDESK_SUBDOMAIN", "second")
    again = get_settings()

    assert first is again
    assert again.zendesk_subdomain == "first"

    get_settings.cache_clear()
    assert get_settings().zendesk_subdomain == "second"


def test_get_settings_checks_required_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CACHE_TABLE", raising=False)

    with pytest.raises(ConfigurationError, match="CACHE_TABLE"):
        get_settings(frozenset({"CACHE_TABLE"}))


def test_get_settings_from_template_environment_is_valid(function_env: dict[str, str]) -> None:
    # The template's own function environment must pass the validation the function runs at cold start.
    settings = get_settings(frozenset(function_env) & frozenset(VALID_ENV))

    assert settings.zendesk_subdomain == "demo"
    assert settings.zendesk_email == "agent@example.com"
    assert settings.contacts_table == function_env["CONTACTS_TABLE"]
    assert settings.zendesk_secret_arn.startswith("arn:aws:secretsmanager:")
