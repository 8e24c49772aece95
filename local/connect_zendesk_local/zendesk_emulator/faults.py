"""Fault injection: what can go wrong between a client and Zendesk, and when it does."""

from __future__ import annotations

import copy
import json
import os
import random
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, cast, get_args

FaultMode = Literal["none", "hang", "rate_limit", "server_error", "malformed"]
FAULT_MODES: tuple[str, ...] = get_args(FaultMode)
# What one request got: a mode, or "delay" (the mix's slow answer, recorded like a fault).
InjectedFault = Literal[FaultMode, "delay"]
SERVER_ERROR_STATUSES = (500, 502, 503, 504)
DEFAULT_FAULT_PATHS = r"^/api/v2/"

# Zendesk answers a 429 with a plain-text sentence, not JSON (see the module docstring of the package).
RATE_LIMIT_TEXT = "Number of allowed API requests per minute exceeded"

ENV_LATENCY_MS = "ZENDESK_EMULATOR_LATENCY_MS"
ENV_FAULT = "ZENDESK_EMULATOR_FAULT"
ENV_RETRY_AFTER = "ZENDESK_EMULATOR_RETRY_AFTER"
ENV_FAULT_PATHS = "ZENDESK_EMULATOR_FAULT_PATHS"
ENV_FAULT_COUNT = "ZENDESK_EMULATOR_FAULT_COUNT"
ENV_HANG_SECONDS = "ZENDESK_EMULATOR_HANG_SECONDS"
ENV_RATE_LIMIT_RATIO = "ZENDESK_EMULATOR_RATE_LIMIT_RATIO"
ENV_SERVER_ERROR_RATIO = "ZENDESK_EMULATOR_SERVER_ERROR_RATIO"
ENV_DELAY_RATIO = "ZENDESK_EMULATOR_DELAY_RATIO"
ENV_DELAY_SECONDS = "ZENDESK_EMULATOR_DELAY_SECONDS"
ENV_SEED = "ZENDESK_EMULATOR_SEED"


@dataclass
class FaultConfig:
    """How the emulator misbehaves for requests whose path matches ``path_pattern``.

    ``latency_ms`` delays every matching request. ``mode`` is the fault itself; with ``count`` set only
    the first ``count`` matching requests get it (latency is not counted). ``retry_after`` is the
    ``Retry-After`` header of a 429 (None leaves the header out). ``error_status`` is the status of a
    ``server_error``.

    The ratios mix faults at random, as a busy account sees them: while ``mode`` is ``none``, each
    matching request draws once from an RNG seeded with ``seed`` and is rate limited with probability
    ``rate_limit_ratio``, answered 5xx (500/502/503/504) with ``server_error_ratio``, or answered
    normally after ``delay_seconds`` with ``delay_ratio``. The same seed gives the same sequence of
    draws (which request gets which draw depends on the order they arrive in).
    """

    latency_ms: int = 0
    mode: FaultMode = "none"
    retry_after: int | None = 1
    path_pattern: str = DEFAULT_FAULT_PATHS
    count: int | None = None
    hang_seconds: float = 30.0
    error_status: int = 503
    rate_limit_ratio: float = 0.0
    server_error_ratio: float = 0.0
    delay_ratio: float = 0.0
    delay_seconds: float = 5.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise ValueError(f"fault mode must be one of {', '.join(FAULT_MODES)}, not {self.mode!r}")
        if self.error_status not in SERVER_ERROR_STATUSES:
            raise ValueError(f"error_status must be one of {SERVER_ERROR_STATUSES}")
        _require_non_negative("latency_ms", self.latency_ms)
        _require_non_negative("hang_seconds", self.hang_seconds)
        _require_non_negative("retry_after", self.retry_after, optional=True)
        _require_non_negative("count", self.count, optional=True)
        _require_non_negative("delay_seconds", self.delay_seconds)
        _require_non_negative("seed", self.seed, optional=True)
        for name in ("rate_limit_ratio", "server_error_ratio", "delay_ratio"):
            _require_non_negative(name, getattr(self, name))
        if self.rate_limit_ratio + self.server_error_ratio + self.delay_ratio > 1:
            raise ValueError("rate_limit_ratio + server_error_ratio + delay_ratio must not exceed 1")
        if not isinstance(self.path_pattern, str):
            raise ValueError("path_pattern must be a string")
        try:
            re.compile(self.path_pattern)
        except re.error as exc:
            raise ValueError(f"path_pattern is not a valid regular expression: {exc}") from exc

    @property
    def mixed(self) -> bool:
        return (
            self.mode == "none" and (self.rate_limit_ratio + self.server_error_ratio + self.delay_ratio) > 0
        )

    def applies_to(self, path: str) -> bool:
        return re.search(self.path_pattern, path) is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultConfig:
        """Build from JSON fields (the control endpoint); unknown fields are an error, not a silent no-op."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(unknown)}")
        return cls(**dict(data))

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> FaultConfig:
        """Read the ZENDESK_EMULATOR_* variables; unset or empty variables keep the defaults."""
        config = cls()
        if value := env.get(ENV_LATENCY_MS, "").strip():
            config.latency_ms = _parse_int(ENV_LATENCY_MS, value)
        if value := env.get(ENV_FAULT, "").strip():
            config.mode = cast(FaultMode, value.lower())
        if value := env.get(ENV_RETRY_AFTER, "").strip():
            config.retry_after = None if value.lower() == "none" else _parse_int(ENV_RETRY_AFTER, value)
        if value := env.get(ENV_FAULT_PATHS, "").strip():
            config.path_pattern = value
        if value := env.get(ENV_FAULT_COUNT, "").strip():
            config.count = _parse_int(ENV_FAULT_COUNT, value)
        if value := env.get(ENV_HANG_SECONDS, "").strip():
            config.hang_seconds = _parse_float(ENV_HANG_SECONDS, value)
        if value := env.get(ENV_RATE_LIMIT_RATIO, "").strip():
            config.rate_limit_ratio = _parse_float(ENV_RATE_LIMIT_RATIO, value)
        if value := env.get(ENV_SERVER_ERROR_RATIO, "").strip():
            config.server_error_ratio = _parse_float(ENV_SERVER_ERROR_RATIO, value)
        if value := env.get(ENV_DELAY_RATIO, "").strip():
            config.delay_ratio = _parse_float(ENV_DELAY_RATIO, value)
        if value := env.get(ENV_DELAY_SECONDS, "").strip():
            config.delay_seconds = _parse_float(ENV_DELAY_SECONDS, value)
        if value := env.get(ENV_SEED, "").strip():
            config.seed = _parse_int(ENV_SEED, value)
        # Re-run the validation on the assembled values.
        return replace(config)


@dataclass(frozen=True)
class FaultDecision:
    """What to do to one request."""

    latency_seconds: float = 0.0
    mode: InjectedFault = "none"
    retry_after: int | None = None
    hang_seconds: float = 0.0
    error_status: int = 503


class FaultState:
    """The current FaultConfig plus how many faults it has already produced (for ``count``)."""

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._produced = 0
        self._rng = random.Random(config.seed)

    @property
    def config(self) -> FaultConfig:
        with self._lock:
            return self._config

    @config.setter
    def config(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._produced = 0
            self._rng = random.Random(config.seed)

    def decide(self, path: str) -> FaultDecision:
        with self._lock:
            # A snapshot, so a test mutating the live object mid-request cannot tear the decision.
            config = copy.copy(self._config)
            if not config.applies_to(path):
                return FaultDecision()
            if config.mixed:
                return self._draw(config)
            mode = config.mode
            if mode != "none":
                if config.count is not None and self._produced >= config.count:
                    mode = "none"
                else:
                    self._produced += 1
        return FaultDecision(
            latency_seconds=config.latency_ms / 1000,
            mode=mode,
            retry_after=config.retry_after,
            hang_seconds=config.hang_seconds,
            error_status=config.error_status,
        )

    def _draw(self, config: FaultConfig) -> FaultDecision:
        """One request's fault from the mix (the caller holds the lock: one RNG sequence)."""
        latency = config.latency_ms / 1000
        draw = self._rng.random()
        if draw < config.rate_limit_ratio:
            return FaultDecision(latency, "rate_limit", retry_after=config.retry_after)
        draw -= config.rate_limit_ratio
        if draw < config.server_error_ratio:
            status = self._rng.choice(SERVER_ERROR_STATUSES)
            return FaultDecision(latency, "server_error", error_status=status)
        draw -= config.server_error_ratio
        if draw < config.delay_ratio:
            return FaultDecision(latency + config.delay_seconds, "delay")
        return FaultDecision(latency)


def server_error_body(status: int) -> bytes:
    error = "InternalError" if status == 500 else "ServiceUnavailable"
    description = "Something went wrong" if status == 500 else "Server temporarily unavailable"
    return json.dumps({"error": error, "description": description}).encode()


def truncate_json(body: bytes) -> bytes:
    """Cut a JSON body in half so it no longer parses (a connection dropped mid-body).

    Any JSON document loses its closing bracket or quote this way; "{}" becomes "{".
    """
    return body[: len(body) // 2]


def _parse_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {value!r}") from None


def _parse_float(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def _require_non_negative(name: str, value: object, *, optional: bool = False) -> None:
    """Values arrive from JSON and the environment too, so check the type as well as the sign."""
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative")
