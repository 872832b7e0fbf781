"""Who a named operations credential belongs to, as operations create one."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from engine.api.fields import ClosedBody

# Names an audit actor of the engine's own could be mistaken for (`ops:<name>` is what a
# named credential acts as; the settings token acts as a name no pattern allows).
RESERVED_OPS_NAMES = frozenset(
    {"bootstrap", "settings", "system", "cli", "ops", "merchant", "test"}
)


def _not_reserved(name: str) -> str:
    if name.lower() in RESERVED_OPS_NAMES:
        raise ValueError(f"{name!r} is reserved for the engine's own audit actors")
    return name


class OpsCredentialIn(ClosedBody):
    """The person the token belongs to, as the audit log will name them."""

    name: Annotated[
        str,
        Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"),
        AfterValidator(_not_reserved),
    ]
