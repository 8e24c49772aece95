"""SnapStart runtime hooks for the contact-flow functions (template option ContactFlowWarmStart).

Under SnapStart, Lambda runs the function's init once when a version is published, snapshots the
memory, and starts every new execution environment from that snapshot. Work done before the snapshot
is free at every cold start afterwards, so the steps create their AWS clients then (clients hold no
connection until the first request, so nothing stale is restored). Nothing secret is fetched before
the snapshot: the Zendesk token is still read on first use, so a rotated token is picked up.

After a restore, many environments share the snapshot's memory: Python's `random` generator is
re-seeded from the OS so that jitter and sampling differ between them (uuid4 and `secrets` read the
OS's entropy at each call and need nothing).

The hooks come from the Lambda runtime's own `snapshot_restore_py` module, present only in the
managed runtime; it is imported only when Lambda says this init is a SnapStart one, so development
and tests never need it and never pretend to have it.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable
from typing import Any

from connect_zendesk.adapters.aws_clients import Profile, aws_client

SNAPSTART_INIT = "snap-start"  # AWS_LAMBDA_INITIALIZATION_TYPE during a SnapStart init

# The AWS clients each contact-flow step makes (service, profile), as its adapters ask for them.
STEP_CLIENTS: dict[str, tuple[tuple[str, Profile], ...]] = {
    "caller_lookup": (("dynamodb", "interactive"), ("secretsmanager", "interactive")),
    "ticket_lookup": (("dynamodb", "interactive"), ("secretsmanager", "interactive")),
    "start_streaming": (("lambda", "interactive"), ("dynamodb", "interactive")),
    "lex_fulfillment": (
        ("dynamodb", "interactive"),
        ("secretsmanager", "interactive"),
        ("sns", "interactive"),
    ),
}

Registrar = Callable[..., Any]


def is_snapstart_init() -> bool:
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == SNAPSTART_INIT


def prepare_snapshot(step: str) -> bool:
    """Register the step's runtime hooks when this init is the one Lambda snapshots; True if it was."""
    if not is_snapstart_init():
        return False
    from snapshot_restore_py import (  # noqa: PLC0415 - the managed runtime's module, only under SnapStart
        register_after_restore,
        register_before_snapshot,
    )

    register_hooks(step, register_before_snapshot, register_after_restore)
    return True


def register_hooks(step: str, before_snapshot: Registrar, after_restore: Registrar) -> None:
    before_snapshot(prime_clients, STEP_CLIENTS.get(step, ()))
    after_restore(reseed_random)


def prime_clients(clients: Iterable[tuple[str, Profile]]) -> None:
    for service, profile in clients:
        aws_client(service, profile)


def reseed_random() -> None:
    random.seed()  # from OS entropy: each restored environment gets its own sequence
