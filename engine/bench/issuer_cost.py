"""The issuer's own CPU per voucher, without the log: batches of signed claim.admitted
events handed to the issuer (engine/stream/issuer.py) in this process, against the running
stack (`nuanxin stack up` first). The voucher.issued events go to the broker through the
engine's producer, as a stream worker's do; fetching the claims from the log is what
`nuanxin bench` measures on top.

    taskset -c 0 python -m engine.bench.issuer_cost --state-dir .nuanxin-bench --claims 50000
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from engine.bench.app_cost import command_line, new_campaign, running_app
from engine.cli.common import settings_for
from engine.composition import Engine
from engine.domain.admission import AdmitRequest
from engine.domain.event_auth import EventKeys
from engine.events import ClaimAdmitted
from engine.keyfiles import event_keys_of
from engine.logs import configure
from engine.stream.gate import Gate
from engine.stream.issuer import Issuer
from engine.stream.resources import LazyResources

BATCH = 500


async def _dropped(_key: bytes, _value: bytes) -> None:
    return None


async def signed_admissions(
    engine: Engine, keys: EventKeys, campaign_id: str, count: int
) -> list[bytes]:
    """`count` claims admitted by the admission script (no key binding), as the signed
    claim.admitted events the API would log."""
    raws = []
    for n in range(count):
        claim_id, worker, now_ms = uuid.uuid4().hex, f"w-{n}", int(time.time() * 1000)
        ask = AdmitRequest(campaign_id, claim_id, worker, "courier", now_ms, 300)
        a = await engine.decisions.admissions.admit(ask)
        event = ClaimAdmitted(
            claim_id=claim_id,
            campaign_id=campaign_id,
            campaign_number=a.campaign_number,
            serial=a.serial,
            worker_id=worker,
            face_value_fen=a.face_value_fen,
            valid_until=a.valid_until,
            admitted_at_ms=now_ms,
            campaign_version=a.campaign_version,
        )
        raws.append(event.signed(keys).dumps())
    return raws


async def issue(resources: LazyResources, keys: EventKeys, raws: list[bytes]) -> None:
    """The issuer's work on the events, in batches as the stream hands them over."""
    producer = (await resources.get()).producer
    issuer = Issuer(resources, Gate(keys, _dropped), producer.publish_all)
    for at in range(0, len(raws), BATCH):
        await issuer.issue_raw(raws[at : at + BATCH])


async def main(state_dir: Path, count: int) -> None:
    settings = settings_for(state_dir)
    configure()  # as a stream worker logs: debug records dropped
    async with running_app(settings) as (_framework, app):
        campaign_id = await new_campaign(app, settings, count)
    resources = LazyResources(settings)
    engine = await resources.get()
    keys = event_keys_of(settings)
    raws = await signed_admissions(engine, keys, campaign_id, count)
    started = time.process_time()
    await issue(resources, keys, raws)
    cpu_us = (time.process_time() - started) / count * 1e6
    counters = await engine.decisions.figures.counters(campaign_id)
    issued = counters.issued if counters else 0
    await resources.close()
    print(f"issuer: {cpu_us:.1f} us CPU per voucher ({issued:,} of {count:,} issued)")


if __name__ == "__main__":
    command_line(main, __doc__, claims=50_000)
