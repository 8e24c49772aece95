"""The Zendesk emulator's random fault mix (the chaos run's Zendesk): shares, seeding, validation."""

from __future__ import annotations

from collections import Counter

import pytest
from connect_zendesk_local.zendesk_emulator.faults import (
    SERVER_ERROR_STATUSES,
    FaultConfig,
    FaultState,
)

CHAOS_MIX = FaultConfig(
    rate_limit_ratio=0.3, server_error_ratio=0.1, delay_ratio=0.05, delay_seconds=5, seed=7
)


def decisions(config: FaultConfig, count: int = 4000) -> list[tuple[str, float, int]]:
    state = FaultState(config)
    return [
        (d.mode, d.latency_seconds, d.error_status)
        for d in (state.decide("/api/v2/search.json") for _ in range(count))
    ]


def test_the_mix_injects_each_fault_at_about_its_share() -> None:
    # Given 30 % 429, 10 % 5xx and 5 % slow answers
    # When 4000 requests arrive
    modes = Counter(mode for mode, _, _ in decisions(CHAOS_MIX))

    # Then each fault's share is within two points of its ratio
    assert abs(modes["rate_limit"] / 4000 - 0.30) < 0.02
    assert abs(modes["server_error"] / 4000 - 0.10) < 0.02
    assert abs(modes["delay"] / 4000 - 0.05) < 0.02
    assert modes["none"] + modes["rate_limit"] + modes["server_error"] + modes["delay"] == 4000


def test_a_slow_answer_waits_the_delay_and_5xx_spread_over_the_statuses() -> None:
    drawn = decisions(CHAOS_MIX)
    assert {latency for mode, latency, _ in drawn if mode == "delay"} == {5.0}
    assert {latency for mode, latency, _ in drawn if mode != "delay"} == {0.0}
    assert {status for mode, _, status in drawn if mode == "server_error"} == set(SERVER_ERROR_STATUSES)


def test_the_same_seed_gives_the_same_sequence_and_a_reset_restarts_it() -> None:
    assert decisions(CHAOS_MIX, 200) == decisions(CHAOS_MIX, 200)
    other = FaultConfig(**{**CHAOS_MIX.to_dict(), "seed": 8})
    assert decisions(CHAOS_MIX, 200) != decisions(other, 200)
    state = FaultState(CHAOS_MIX)
    first = [state.decide("/api/v2/users/1.json").mode for _ in range(50)]
    state.config = CHAOS_MIX
    assert [state.decide("/api/v2/users/1.json").mode for _ in range(50)] == first


def test_a_single_fault_mode_wins_over_the_mix_and_other_paths_are_spared() -> None:
    state = FaultState(FaultConfig(**{**CHAOS_MIX.to_dict(), "mode": "hang"}))
    assert {state.decide("/api/v2/tickets.json").mode for _ in range(20)} == {"hang"}
    spared = FaultState(FaultConfig(**{**CHAOS_MIX.to_dict(), "path_pattern": "^/api/v2/tickets"}))
    assert {spared.decide("/api/v2/search.json").mode for _ in range(50)} == {"none"}


def test_the_mix_comes_from_the_environment() -> None:
    config = FaultConfig.from_env(
        {
            "ZENDESK_EMULATOR_RATE_LIMIT_RATIO": "0.3",
            "ZENDESK_EMULATOR_SERVER_ERROR_RATIO": "0.1",
            "ZENDESK_EMULATOR_DELAY_RATIO": "0.05",
            "ZENDESK_EMULATOR_DELAY_SECONDS": "2.5",
            "ZENDESK_EMULATOR_SEED": "42",
        }
    )
    assert (config.rate_limit_ratio, config.server_error_ratio, config.delay_ratio) == (0.3, 0.1, 0.05)
    assert (config.delay_seconds, config.seed, config.mixed) == (2.5, 42, True)


@pytest.mark.parametrize(
    "fields",
    [
        {"rate_limit_ratio": 0.6, "server_error_ratio": 0.5},
        {"delay_ratio": -0.1},
        {"delay_seconds": -1},
        {"seed": "seven"},
    ],
)
def test_an_impossible_mix_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"must"):
        FaultConfig.from_dict(fields)
