"""One hot campaign's stock split over several Redis slots: the design in
docs/SCALING.md, simulated under random interleavings, killed claims and returns.

Each slot (the pool, every bucket) changes in one atomic step at a time, as one Lua
script on one shard would. A claim is a sequence of such steps; the scheduler runs one
step of a random claim at a time, sometimes kills a claim between two steps, sometimes
gives an admitted unit back, and now and then runs the repair job over what killed
claims left. After every step it checks:

- conservation: every unit is in exactly one place (the pool, a bucket, a move from the
  pool, a reservation, a return under way, or an admission);
- no oversell: no slot below zero, and a worker holds at most one unit;
- no refusal while stock remains: at the step that decides a refusal, no free unit
  exists anywhere (the pool, a bucket, a move from the pool).

At the end the repair job finishes everything, refused and killed workers try again,
and every unit must be admitted when the demand exceeds the stock: nothing stranded.

Run: `python -m engine.bench.split_stock --runs 2000` (prints what it checked).
"""

from __future__ import annotations

import argparse
import random
import zlib
from collections.abc import Generator
from dataclasses import dataclass, field

# A claim or a return: its steps, then its outcome.
Process = Generator[None, None, str]


class Broken(AssertionError):
    """An invariant of the design failed: the message says which, at which step."""


@dataclass
class Bucket:
    stock: int = 0
    holders: set[str] = field(default_factory=set)
    applied: set[str] = field(default_factory=set)  # moves and returns credited, once each
    lent: dict[str, str] = field(default_factory=dict)  # reservation -> its claim
    used: set[str] = field(default_factory=set)  # other buckets' reservations used here


@dataclass
class Pool:
    stock: int
    moves: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # bucket, units, claim
    returns_started: int = 0
    returns_finished: int = 0


@dataclass(frozen=True)
class Design:
    """The protocol's knobs. `returns_through_pool=False` is the broken variant (a unit
    given back is credited without the pool knowing): the tests use it to show that the
    simulation finds a refusal while stock remains."""

    buckets: int = 4
    chunk: int = 3
    returns_through_pool: bool = True


@dataclass
class Return:
    bucket: int
    owner: str
    started: bool = False


class SplitStock:
    def __init__(self, stock: int, design: Design, rng: random.Random) -> None:
        self.d, self.rng, self.total = design, rng, stock
        self.pool = Pool(stock)
        self.buckets = [Bucket() for _ in range(design.buckets)]
        self.admitted: dict[str, int] = {}  # worker -> the bucket holding its unit
        self.returns: dict[str, Return] = {}
        self.refusals = 0
        self._ids = 0

    def _id(self, kind: str) -> str:
        self._ids += 1
        return f"{kind}{self._ids}"

    def home(self, worker: str) -> int:
        """A worker's claims, limits and idempotency live in one bucket, by hash."""
        return zlib.crc32(worker.encode()) % self.d.buckets

    # -- a claim, as the API would run it: each `yield` separates two atomic steps -----
    def claim(self, worker: str, owner: str) -> Process:
        while True:
            outcome = yield from self._attempt(worker, owner)
            if outcome != "again":
                return outcome

    def _attempt(self, worker: str, owner: str) -> Process:
        i = self.home(worker)
        mine = self.buckets[i]
        # Step (home bucket): admit from its own stock; a holder's repeat is answered.
        if worker in mine.holders:
            return "repeat"
        if mine.stock > 0:
            return self._admit(worker, i)
        yield
        # Step (pool): move a chunk towards the home bucket; the move is recorded, so a
        # claim killed after this step leaves it for the repair job.
        units = min(self.pool.stock, self.d.chunk)
        if units:
            move_id = self._id("m")
            self.pool.stock -= units
            self.pool.moves[move_id] = (i, units, owner)
            yield
            # Step (home bucket): credit the move once, and admit in the same step.
            self._credit_move(move_id)
            outcome = "repeat" if worker in mine.holders else self._admit(worker, i)
            yield
            # Step (pool): forget the finished move.
            self.pool.moves.pop(move_id, None)
            return outcome
        # The pool is empty: borrow one unit of another bucket, reserved for this claim.
        for j in self.rng.sample(range(self.d.buckets), self.d.buckets):
            if j == i:
                continue
            yield
            lender = self.buckets[j]
            if lender.stock <= 0:  # step (bucket j): nothing to lend
                continue
            reservation = self._id("r")
            lender.stock -= 1
            lender.lent[reservation] = owner
            yield
            # Step (home bucket): admit with the borrowed unit, or learn it is a repeat.
            repeat = worker in mine.holders
            if not repeat:
                mine.used.add(reservation)
                mine.holders.add(worker)
                self.admitted[worker] = i
            yield
            # Step (bucket j): drop the reservation; an unused unit goes back as a return.
            del lender.lent[reservation]
            if repeat:
                yield from self._give_back_to(j, owner)
            return "repeat" if repeat else "admitted"
        yield
        return (yield from self._refuse())

    def _refuse(self) -> Process:
        """Refuse only when, between two reads of the pool, every bucket was seen empty
        and no move or return was under way or began."""
        seen = self._pool_state()  # step (pool)
        if seen is None or self.pool.stock > 0:
            yield
            return "again"
        for bucket in self.buckets:
            yield
            if bucket.stock > 0:  # step (that bucket)
                return "again"
        yield
        if self._pool_state() != seen:  # step (pool)
            return "again"
        if self.free_stock():
            raise Broken(f"refused while {self.free_stock()} units were free")
        self.refusals += 1
        return "sold out"

    def _pool_state(self) -> int | None:
        p = self.pool
        if p.moves or p.returns_started != p.returns_finished:
            return None
        return p.returns_started

    def _admit(self, worker: str, index: int) -> str:
        bucket = self.buckets[index]
        bucket.stock -= 1
        bucket.holders.add(worker)
        self.admitted[worker] = index
        return "admitted"

    def _credit_move(self, move_id: str) -> None:
        i, units, _ = self.pool.moves[move_id]
        if move_id not in self.buckets[i].applied:
            self.buckets[i].applied.add(move_id)
            self.buckets[i].stock += units

    # -- a unit given back (a claim released, a voucher expired unused) ----------------
    def give_back(self, worker: str, owner: str) -> Process:
        # Step (home bucket): the holder lets go, and the return is recorded with it.
        i = self.admitted.pop(worker)
        self.buckets[i].holders.discard(worker)
        yield from self._give_back_to(i, owner)
        return "given back"

    def _give_back_to(self, bucket: int, owner: str) -> Process:
        """Runs inside the step that frees the unit (bucket i's): the record is made
        there, so a process killed after it leaves the return to the repair job."""
        return_id = self._id("b")
        self.returns[return_id] = Return(bucket, owner)
        if not self.d.returns_through_pool:
            self._credit_return(return_id)
            self._finish_return(return_id)
            return "given back"
        yield
        self._start_return(return_id)  # step (pool): a return begins, before the unit is free
        yield
        self._credit_return(return_id)  # step (bucket)
        yield
        self._finish_return(return_id)  # step (pool)
        return "given back"

    def _start_return(self, return_id: str) -> None:
        r = self.returns[return_id]
        if not r.started:
            r.started = True
            self.pool.returns_started += 1

    def _credit_return(self, return_id: str) -> None:
        bucket = self.buckets[self.returns[return_id].bucket]
        if return_id not in bucket.applied:
            bucket.applied.add(return_id)
            bucket.stock += 1

    def _finish_return(self, return_id: str) -> None:
        r = self.returns.pop(return_id)
        if r.started:
            self.pool.returns_finished += 1

    # -- the repair job: completes what dead claims left, idempotently -----------------
    def repair(self, dead: set[str]) -> None:
        for move_id, (_, _, owner) in list(self.pool.moves.items()):
            if owner in dead:
                self._credit_move(move_id)
                del self.pool.moves[move_id]
        for j, lender in enumerate(self.buckets):
            for reservation, owner in list(lender.lent.items()):
                if owner in dead:
                    del lender.lent[reservation]
                    if not any(reservation in b.used for b in self.buckets):
                        list(self._give_back_to(j, "repair"))
        for return_id, r in list(self.returns.items()):
            if r.owner in dead:
                self._start_return(return_id)
                self._credit_return(return_id)
                self._finish_return(return_id)

    # -- the checks ---------------------------------------------------------------------
    def free_stock(self) -> int:
        in_moves = sum(
            units
            for move_id, (i, units, _) in self.pool.moves.items()
            if move_id not in self.buckets[i].applied
        )
        return self.pool.stock + sum(b.stock for b in self.buckets) + in_moves

    def check(self, where: str) -> None:
        lent = sum(
            1 for b in self.buckets for r in b.lent if not any(r in o.used for o in self.buckets)
        )
        returning = sum(
            1 for rid, r in self.returns.items() if rid not in self.buckets[r.bucket].applied
        )
        placed = self.free_stock() + lent + returning
        if placed + len(self.admitted) != self.total:
            raise Broken(
                f"{where}: {placed} units placed + {len(self.admitted)} admitted != {self.total}"
            )
        if min([self.pool.stock] + [b.stock for b in self.buckets]) < 0:
            raise Broken(f"{where}: a slot went below zero (oversold)")
        holders = [w for b in self.buckets for w in b.holders]
        if len(holders) != len(set(holders)) or set(holders) != set(self.admitted):
            raise Broken(f"{where}: a worker holds two units, or a holder was lost")


@dataclass
class RunFigures:
    steps: int = 0
    admitted: int = 0
    refusals: int = 0
    killed: int = 0
    given_back: int = 0


def simulate(seed: int, design: Design, stock: int = 12, workers: int = 20) -> RunFigures:
    """One random interleaving; raises Broken at the first step that breaks a promise."""
    rng = random.Random(seed)
    s = SplitStock(stock, design, rng)
    f = RunFigures()
    running: dict[str, Process] = {f"w{n}": s.claim(f"w{n}", f"w{n}") for n in range(workers)}
    dead: set[str] = set()
    while running:
        name = rng.choice(sorted(running))
        if rng.random() < 0.02:  # the process running it dies between two steps
            del running[name]
            dead.add(name)
            f.killed += 1
            continue
        if rng.random() < 0.05:
            s.repair(dead)  # the timer: only what dead processes left is old enough
        try:
            next(running[name])
        except StopIteration as done:
            del running[name]
            worker = name.split(":")[-1]
            if done.value == "admitted" and worker in s.admitted and rng.random() < 0.15:
                back = f"back{f.given_back}:{worker}"
                running[back] = s.give_back(worker, back)
                f.given_back += 1
        except Broken as exc:
            raise Broken(f"seed {seed}, step {f.steps}: {exc}") from None
        f.steps += 1
        s.check(f"seed {seed}, step {f.steps}")
    s.repair(dead)
    s.check(f"seed {seed}, after repair")
    for n in range(workers):  # the refused and the killed try again, one at a time
        if f"w{n}" not in s.admitted:
            _run_alone(s.claim(f"w{n}", f"retry{n}"))
    s.check(f"seed {seed}, after the retries")
    if len(s.admitted) != min(stock, workers):
        raise Broken(
            f"seed {seed}: {len(s.admitted)} admitted of {stock} units for {workers} "
            "workers: stock was stranded"
        )
    f.admitted, f.refusals = len(s.admitted), s.refusals
    return f


def _run_alone(process: Process) -> str:
    while True:
        try:
            next(process)
        except StopIteration as done:
            return str(done.value)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--buckets", type=int, default=4)
    parser.add_argument("--stock", type=int, default=12)
    parser.add_argument("--workers", type=int, default=20)
    a = parser.parse_args()
    design = Design(buckets=a.buckets)
    total = RunFigures()
    for seed in range(a.runs):
        run = simulate(seed, design, a.stock, a.workers)
        for name in ("steps", "admitted", "refusals", "killed", "given_back"):
            setattr(total, name, getattr(total, name) + getattr(run, name))
    print(
        f"{a.runs} interleavings, {total.steps:,} atomic steps, each followed by the checks:"
        f" {total.admitted:,} admissions, {total.refusals:,} refusals, {total.killed:,}"
        f" claims killed mid-way, {total.given_back:,} units given back; no oversell, no"
        f" unit lost or doubled, no refusal while a unit was free, none stranded"
    )


if __name__ == "__main__":
    main()
