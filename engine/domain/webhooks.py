"""Webhook signatures and retry timing (pure).

Each delivery carries `X-Nuanxin-Signature: t=<unix seconds>,v1=<hex>` where v1 is
HMAC-SHA256(secret, "<t>.<body>"). A receiver recomputes it, compares in constant
time and refuses timestamps far from its clock (replays). Deliveries are at least
once: `X-Nuanxin-Event-Id` lets a receiver drop repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

SIGNATURE_HEADER = "X-Nuanxin-Signature"
EVENT_ID_HEADER = "X-Nuanxin-Event-Id"
TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: str, now: int) -> bool:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_S:
        return False
    return hmac.compare_digest(
        sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}"
    )


def backoff_s(attempts: int, base_s: float, cap_s: float = 3600.0) -> float:
    """Delay after the n-th failed attempt: base, 2 x base, 4 x base, ... up to the cap."""
    return min(cap_s, base_s * 2.0 ** max(0, attempts - 1))


class RefusedAddress(OSError):
    """The host resolves to an address webhooks may not reach, or does not resolve."""


def trusted_networks(spec: str) -> tuple[IPNetwork, ...]:
    """Networks named in a setting ("127.0.0.77, 10.1.2.0/24") whose private addresses
    may still receive webhooks: a test receiver, the operator's own gateway."""
    return tuple(ipaddress.ip_network(p.strip()) for p in spec.split(",") if p.strip())


def _embedded(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 spelling carries (mapped, 6to4, Teredo, NAT64), else ip."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def address_refused(address: str, trusted: Iterable[IPNetwork] = ()) -> bool:
    """A webhook may reach only public unicast addresses (or ones the operator trusts).

    Loopback, private, link-local (cloud metadata at 169.254.169.254), shared, reserved,
    unspecified and multicast addresses are refused in every spelling, so a merchant's
    webhook cannot be used to scan or call the operator's own network.
    """
    try:
        ip = _embedded(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return True
    if any(ip in network for network in trusted):
        return False
    return not ip.is_global or ip.is_multicast


# (merchant id, event id, event type, body) of one notification to queue.
WebhookItem = tuple[str, str, str, str]
