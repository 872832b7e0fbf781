"""Outbound webhook addresses: resolved, then refused when not public (see
`engine.domain.webhooks.address_refused`), both when a merchant registers a URL and at
every delivery, through the resolver the connection itself uses (DNS can change)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from engine.domain.webhooks import IPNetwork, RefusedAddress, address_refused


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class GuardedResolver(AbstractResolver):
    """Resolves like the default resolver, then refuses if any address is not allowed:
    the addresses checked are the ones connected to."""

    def __init__(self, trusted: Sequence[IPNetwork]) -> None:
        self.trusted = tuple(trusted)
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            found = await self._inner.resolve(host, port, family)
        except OSError:
            raise RefusedAddress(f"{host} does not resolve") from None
        if not found or any(address_refused(r["host"], self.trusted) for r in found):
            raise RefusedAddress(f"{host} resolves to an address webhooks may not reach")
        return found

    async def close(self) -> None:
        await self._inner.close()


async def check_host(host: str, port: int, trusted: Sequence[IPNetwork]) -> None:
    """Raise RefusedAddress unless every address of `host` may receive webhooks."""
    if is_ip_literal(host):
        if address_refused(host, trusted):
            raise RefusedAddress(f"{host} is not a public address")
        return
    resolver = GuardedResolver(trusted)
    try:
        await resolver.resolve(host, port, socket.AF_UNSPEC)
    finally:
        await resolver.close()
