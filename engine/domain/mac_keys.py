"""Shared secret keys for HMAC-SHA256, with key ids, rotated like the code-signing keys:
the active key signs, every listed key verifies. Events and worker tokens each have a
set of their own (a file, or a JSON setting)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True)
class MacKeys:
    active: str
    keys: Mapping[str, bytes]

    @classmethod
    def new(cls, prefix: str) -> Self:
        return cls(f"{prefix}1", {f"{prefix}1": secrets.token_bytes(32)})

    @classmethod
    def from_json(cls, text: str) -> Self:
        doc = json.loads(text)
        keys = {kid: base64.b64decode(raw) for kid, raw in doc["keys"].items()}
        if doc["active"] not in keys or any(len(k) < 32 for k in keys.values()):
            raise ValueError("MAC keys: the active key must be listed; keys are 32+ bytes")
        return cls(doc["active"], keys)

    def to_json(self) -> str:
        encoded = {kid: base64.b64encode(raw).decode() for kid, raw in self.keys.items()}
        return json.dumps({"active": self.active, "keys": encoded}, indent=2)

    def rotated(self) -> Self:
        """A new active key, named like the others; the old ones keep verifying."""
        prefix = re.sub(r"\d+$", "", self.active)
        number = 1 + max(int(re.sub(r"^\D+", "", kid) or 0) for kid in self.keys)
        kid = f"{prefix}{number}"
        return type(self)(kid, {**self.keys, kid: secrets.token_bytes(32)})

    def retired(self, kid: str) -> Self:
        """Without one key: everything it signed stops verifying at once."""
        if kid == self.active:
            raise ValueError("rotate first: the active key cannot be retired")
        return type(self)(self.active, {k: v for k, v in self.keys.items() if k != kid})

    def mac(self, data: bytes, kid: str | None = None) -> bytes:
        return hmac.new(self.keys[kid or self.active], data, hashlib.sha256).digest()

    def verifies(self, kid: str, data: bytes, given: bytes) -> bool:
        key = self.keys.get(kid)
        if key is None:
            return False
        return hmac.compare_digest(hmac.new(key, data, hashlib.sha256).digest(), given)
