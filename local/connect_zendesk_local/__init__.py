"""Embedded local stack: moto server, Zendesk emulator, invoke CLI and demo (never shipped to Lambda)."""
