"""Whether this process can serve: the stores it decides and records with answer."""

from __future__ import annotations

from collections.abc import Sequence

from engine.usecases.ports.stores import Reachable


class Health:
    def __init__(self, stores: Sequence[Reachable], log_durable: bool) -> None:
        self.stores, self.log_durable = stores, log_durable

    async def check(self) -> dict[str, object]:
        for store in self.stores:
            await store.ping()
        return {"status": "ok", "log_durable": self.log_durable}
