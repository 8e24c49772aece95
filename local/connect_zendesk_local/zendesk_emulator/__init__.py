"""Zendesk Support API emulator for the local stack: real HTTP on loopback, seeded demo data, faults.

zenpy talks to it exactly as it talks to Zendesk::

    emulator = ZendeskEmulator()          # seeded with local/seed/zendesk_demo.json
    emulator.start()                      # port 0 picks a free port
    os.environ["ZENPY_FORCE_NETLOC"] = emulator.netloc
    os.environ["ZENPY_FORCE_SCHEME"] = "http"
    zenpy = Zenpy(subdomain="demo", email="agent@example.com", token="local-demo-token")

Command line (serves until Ctrl-C; faults come from the environment)::

    python -m connect_zendesk_local.zendesk_emulator --port 8765 [--host 127.0.0.1] [--dataset FILE]

Authentication: HTTP Basic, user ``{email}/token``, password the API token (defaults
``agent@example.com`` / ``local-demo-token``); anything else gets
401 ``{"error": "Couldn't authenticate you"}``.

Endpoints (``.json`` optional): ``GET search`` (see ``search.py`` for the query terms), ``GET users/{id}``,
``GET users/me``, ``GET users/show_many?ids=``, ``POST users``, ``POST users/create_or_update``,
``GET users/{id}/identities``, ``GET users/{id}/tickets/requested`` (sort_by/sort_order or sort; offset
or cursor pages), ``GET tickets`` (``external_id=`` filters), ``GET tickets/{id}``,
``GET tickets/show_many?ids=`` (``include=comment_count`` adds ``comment_count``, as Zendesk's
sideload does), ``POST tickets``, ``PUT tickets/{id}``, ``GET|PUT|POST|DELETE tickets/{id}/tags``,
``GET tickets/{id}/comments`` (``sort_order=desc`` newest first), ``POST uploads?filename=&token=``,
``GET attachments/{id}``, and the attachment bytes at each
``content_url`` (``/attachments/token/<token>/?name=...``, no auth).

Fault injection, from these environment variables (``FaultConfig.from_env``) or at run time through
``emulator.faults`` / ``POST /__emulator/faults``:

``ZENDESK_EMULATOR_LATENCY_MS``
    Delay in milliseconds before every matching request is answered (default 0).
``ZENDESK_EMULATOR_FAULT``
    ``none`` (default) | ``hang`` | ``rate_limit`` | ``server_error`` | ``malformed``.
    ``rate_limit``: 429 with a plain-text body, ``x-rate-limit``/``ratelimit-*`` headers and
    ``Retry-After``. ``server_error``: 503 (``error_status`` can make it 500/502/504) with a JSON error.
    ``malformed``: the request is carried out, then answered 200/201 with the JSON body cut in half.
    ``hang``: no answer for ``hang_seconds``, then the connection is dropped (``stop()`` releases it at once).
``ZENDESK_EMULATOR_RETRY_AFTER``
    Seconds in the 429's ``Retry-After`` header (default 1), or ``none`` to leave the header out.
``ZENDESK_EMULATOR_FAULT_PATHS``
    Regular expression searched in the request path (default ``^/api/v2/``); faults and latency apply
    only to matching paths, and never to ``/__emulator/*``.
``ZENDESK_EMULATOR_FAULT_COUNT``
    Only the first N matching requests get the fault; unset means every one.
``ZENDESK_EMULATOR_HANG_SECONDS``
    How long ``hang`` holds a request (default 30).
``ZENDESK_EMULATOR_RATE_LIMIT_RATIO``, ``ZENDESK_EMULATOR_SERVER_ERROR_RATIO``,
``ZENDESK_EMULATOR_DELAY_RATIO``
    A random mix instead of one fault (``FAULT`` unset): the share of matching requests answered 429,
    5xx (500/502/503/504), or answered after ``ZENDESK_EMULATOR_DELAY_SECONDS`` (default 5).
``ZENDESK_EMULATOR_SEED``
    Seed of the mix's random draws (unset: a different mix every run).

Control endpoints (no auth, never faulted, not recorded): ``GET /__emulator/health``,
``GET|DELETE /__emulator/requests`` (the request log), ``GET|POST /__emulator/faults`` (a JSON object of
FaultConfig fields; missing fields take their defaults), ``POST /__emulator/reset`` (reload the seed,
clear the log; optional ``{"dataset": {...}}``).

Late commits (``late_writes.py``): ``POST /__emulator/late-writes`` arms the next ``count`` writes
matching ``path_pattern`` (``hold_seconds``, ``late_seconds`` up to 120); they are recorded in the
request log with ``fault: "late_write"`` and ``status: null``, answered with a dropped connection, and
applied only by ``POST /__emulator/late-writes/apply`` (which moves the emulator's clock to each
write's time); ``GET`` lists armed, queued and applied writes, ``DELETE`` disarms and forgets them.

What the exactly-once writes rely on: ``PUT tickets/{id}`` with ``safe_update: true`` and
``updated_stamp`` answers 409 ``UpdateConflict`` when the ticket's ``updated_at`` is later than the
stamp (checked when the write is applied); ``POST tickets`` with ``Idempotency-Key`` replays the
first answer (``x-idempotency-lookup: hit``; a first use answers ``miss``) for 2 hours, answers 400
``IdempotentRequestError`` to the same key with other parameters, and 409
``IdempotentRequestInProgress`` while the first request is still being processed (Zendesk does not
document that case).
"""

from connect_zendesk_local.zendesk_emulator.dataset import load_demo_dataset
from connect_zendesk_local.zendesk_emulator.faults import FaultConfig, FaultMode
from connect_zendesk_local.zendesk_emulator.late_writes import LateWriteConfig
from connect_zendesk_local.zendesk_emulator.server import RecordedRequest, ZendeskEmulator
from connect_zendesk_local.zendesk_emulator.store import Upload, ZendeskStore

__all__ = [
    "FaultConfig",
    "FaultMode",
    "LateWriteConfig",
    "RecordedRequest",
    "Upload",
    "ZendeskEmulator",
    "ZendeskStore",
    "load_demo_dataset",
]
