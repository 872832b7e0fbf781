"""What a named credential may do (docs/RELIABILITY.md's access matrix): operations staff
do everything operations do; finance staff hold one of the two payout duties, so that the
person who prepares a batch and the person who approves it are different people by their
credentials, not only by the batch's record; a payer of a co-funded programme reads its
own statements. Plain values and checks, without I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OPS = "ops"
    PAYOUT_PREPARER = "payout-preparer"  # prepares batches, exports, imports results
    PAYOUT_APPROVER = "payout-approver"  # approves batches
    PAYER = "payer"  # reads one payer's statements


@dataclass(frozen=True, slots=True)
class Staff:
    """Who a named credential belongs to, and what it may do."""

    name: str
    role: Role = Role.OPS
    payer_id: str | None = None

    @property
    def actor(self) -> str:
        """As the audit log names them: `ops:<name>` for the union's staff (a batch's
        preparer and approver are compared by it), `payer:<payer>/<name>` for a payer."""
        if self.role is Role.PAYER:
            return f"payer:{self.payer_id}/{self.name}"
        return f"ops:{self.name}"

    def may(self, *roles: Role) -> bool:
        """Operations may do what any staff role may; others only their own."""
        return self.role is Role.OPS or self.role in roles

    def reads_payer(self, payer_id: str) -> bool:
        return self.role is Role.OPS or (self.role is Role.PAYER and self.payer_id == payer_id)
