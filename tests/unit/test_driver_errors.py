"""Driver errors become the engine's `BackendDown` inside the adapters, and only there."""

from __future__ import annotations

import dataclasses
import inspect
import typing

import asyncpg
import pytest
import redis.exceptions

from engine.adapters.failures import NotReplicated, translated, translates
from engine.adapters.postgres import Database
from engine.adapters.redis import Redis
from engine.errors import BackendDown


@translated
class Store:
    def __init__(self, failure: BaseException) -> None:
        self.failure = failure

    async def read(self) -> str:
        raise self.failure

    async def _inner(self) -> str:
        raise self.failure


@pytest.mark.parametrize(
    "driver_error",
    [
        redis.exceptions.ConnectionError("Connection refused"),
        redis.exceptions.ClusterDownError("CLUSTERDOWN"),
        NotReplicated("0 of 1 replicas"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        ConnectionResetError(),
    ],
)
async def test_a_service_down_is_raised_as_backend_down_with_its_cause(driver_error):
    with pytest.raises(BackendDown) as raised:
        await Store(driver_error).read()
    assert raised.value.__cause__ is driver_error
    # Private helpers are the adapter's own business: its public methods translate once.
    with pytest.raises(type(driver_error)):
        await Store(driver_error)._inner()


@pytest.mark.parametrize(
    "other", [redis.exceptions.ResponseError("ERR"), asyncpg.UniqueViolationError(), KeyError()]
)
async def test_errors_that_are_not_an_outage_pass_unchanged(other):
    with pytest.raises(type(other)):
        await Store(other).read()


def _public_coroutines(cls: type) -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }


def _adapter_classes() -> list[type]:
    """What the composition root hands the use cases: the records and each Redis part."""
    hints = typing.get_type_hints(Redis)
    parts = [hints[f.name] for f in dataclasses.fields(Redis) if f.name != "client"]
    return [Database, Redis, *parts]


@pytest.mark.parametrize("cls", _adapter_classes(), ids=lambda c: c.__name__)
def test_every_public_coroutine_of_an_adapter_translates(cls):
    methods = _public_coroutines(cls)
    assert methods, f"{cls.__name__} has no coroutines: the test looks at the wrong class"
    assert [name for name, m in methods.items() if not translates(m)] == []
