"""Who a named operations credential belongs to, as operations create one."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from engine.api.fields import ClosedBody
from engine.domain.ids import PARTY_ID_PATTERN

# Names an audit actor of the engine's own could be mistaken for (`ops:<name>` is what a
# named credential acts as; the settings token acts as a name no pattern allows).
RESERVED_OPS_NAMES = frozenset(
    {"bootstrap", "settings", "system", "cli", "ops", "merchant", "test"}
)


def _not_reserved(name: str) -> str:
    if name.lower() in RESERVED_OPS_NAMES:
        raise ValueError(f"{name!r} is reserved for the engine's own audit actors")
    return name


CredentialRole = Literal["ops", "payout-preparer", "payout-approver", "payer"]


class OpsCredentialIn(ClosedBody):
    """The person the token belongs to, as the audit log will name them, and what it may
    do (docs/RELIABILITY.md's access matrix)."""

    name: Annotated[
        str,
        Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"),
        AfterValidator(_not_reserved),
    ]
    role: CredentialRole = Field(
        default="ops",
        description="ops: everything operations do; payout-preparer: prepare payout batches, "
        "export their payment files, import the bank's results, retry or cancel a payout; "
        "payout-approver: approve batches; payer: read one payer's own statements",
    )
    payer_id: str | None = Field(
        default=None,
        pattern=PARTY_ID_PATTERN,
        description="the payer a payer credential reads for (with role payer only)",
    )

    @model_validator(mode="after")
    def _payer_named_for_payers_only(self) -> Self:
        if (self.role == "payer") != (self.payer_id is not None):
            raise ValueError("payer_id is given with role payer, and only then")
        return self
