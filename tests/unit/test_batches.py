"""Batch running: transient failures are retried, poison events are isolated and parked."""

from __future__ import annotations

import asyncpg
import pytest

from engine.errors import BackendDown
from engine.stream.batches import is_transient, run_batch


async def test_transient_failures_are_retried_until_success():
    calls = []

    async def handle(events):
        calls.append(list(events))
        if len(calls) < 3:
            raise ConnectionRefusedError("database restarting")
        return [e * 10 for e in events]

    async def park(event, exc):
        raise AssertionError("nothing is poison here")

    assert await run_batch("t", [1, 2], handle, park, max_backoff_s=0.01) == [10, 20]
    assert len(calls) == 3


async def test_a_poison_event_is_parked_and_the_rest_go_through():
    parked = []

    async def handle(events):
        if 13 in events:
            raise asyncpg.ForeignKeyViolationError("no such campaign")
        return list(events)

    async def park(event, exc):
        parked.append((event, type(exc).__name__))

    assert await run_batch("t", [11, 12, 13, 14], handle, park) == [11, 12, 14]
    assert parked == [(13, "ForeignKeyViolationError")]


@pytest.mark.parametrize(
    "exc,transient",
    [
        (ConnectionResetError(), True),
        (BackendDown(), True),
        (asyncpg.CannotConnectNowError(), True),
        (asyncpg.UniqueViolationError(), False),
        (ValueError(), False),
    ],
)
def test_classification(exc, transient):
    assert is_transient(exc) is transient
