"""Entry point: ``python -m connect_zendesk_local.zendesk_emulator --port 8765``."""

from connect_zendesk_local.zendesk_emulator.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
