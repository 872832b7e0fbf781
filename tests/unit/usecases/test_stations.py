"""Gift packs picked up at stations, over the in-memory engine: stock per station taken
with the claim, moved and closed by operations, handed out only at the station chosen, and
rebuilt after the decision store is lost."""

from __future__ import annotations

import pytest

from engine.domain.api_keys import MerchantIdentity
from engine.domain.stations import TO_CHOOSE, Station
from engine.errors import (
    AnotherStation,
    Conflict,
    StationClosed,
    StationNotChosen,
    StationOutOfStock,
    ValidationFailed,
)
from tests.helpers.memory import OPS, World

STATIONS = [
    Station("gs-01", "姑苏区工会服务站", "姑苏区", "人民路 100 号", stock=1),
    Station("yq-01", "园区星海驿站", "工业园区", "星海街 9 号", stock=2),
    Station("wz-01", "吴中驿站", "吴中区", "东吴北路 1 号", stock=2),
]


async def pickup_world() -> tuple[World, str]:
    w = World()
    await w.merchant("union")
    c = await w.campaign(quota=5, stations=True, merchants=("union",))
    await w.engine.stations.define(c.id, STATIONS, OPS)
    return w, c.id


async def station_staff(w: World, station_id: str) -> MerchantIdentity:
    """A key of the union's store that is this station."""
    await w.engine.merchants.add_store("union", station_id, station_id, OPS)
    issued = await w.engine.merchants.issue_key("union", station_id, OPS)
    who = await w.engine.merchant_keys.identify(str(issued["api_key"]))
    assert who is not None
    return who


def left(view: list[dict[str, object]]) -> dict[object, object]:
    return {s["station_id"]: s["left"] for s in view}


async def test_each_claim_takes_its_stations_stock_and_others_stay_open():
    w, cid = await pickup_world()
    claims = w.engine.claims
    with pytest.raises(ValidationFailed):
        await claims.claim(cid, await w.worker("w1"), "k0", station_id="nowhere")
    await claims.claim(cid, await w.worker("w1"), "k1", station_id="gs-01")
    with pytest.raises(StationOutOfStock):
        await claims.claim(cid, await w.worker("w2"), "k1", station_id="gs-01")
    await claims.claim(cid, await w.worker("w2"), "k2", station_id="yq-01")  # another has some
    shown = await w.engine.stations.offered(cid, "园区")
    assert [s["station_id"] for s in shown] == ["yq-01"]
    assert left(await w.engine.stations.ops_view(cid)) == {"gs-01": 0, "yq-01": 1, "wz-01": 2}


async def test_stock_moves_once_per_key_and_a_closed_station_takes_no_claims():
    w, cid = await pickup_world()
    stations = w.engine.stations
    moved = await stations.move(cid, "mv-1", "wz-01", "gs-01", 2, OPS)
    again = await stations.move(cid, "mv-1", "wz-01", "gs-01", 2, OPS)
    assert (moved["moved"], again["moved"]) == (True, False)
    assert left(again["stations"]) == {"gs-01": 3, "yq-01": 2, "wz-01": 0}
    with pytest.raises(Conflict):
        await stations.move(cid, "mv-2", "wz-01", "gs-01", 1, OPS)
    allotted = {s.station_id: s.stock for s in await w.records.stations_of(cid)}
    assert allotted == {"gs-01": 3, "yq-01": 2, "wz-01": 0}
    await stations.close(cid, "yq-01", OPS)
    with pytest.raises(StationClosed):
        await w.engine.claims.claim(cid, await w.worker("w1"), "k", station_id="yq-01")
    assert [s["station_id"] for s in await stations.offered(cid)] == ["gs-01"]
    actions = [e.action for e in await w.records.list_audit(f"campaign:{cid}", None, 10)]
    assert sorted(actions) == [
        "campaign.create",
        "stations.close",
        "stations.define",
        "stations.move",
    ]


async def test_a_pack_is_handed_out_only_at_its_station_and_rebuilt_after_a_loss():
    w, cid = await pickup_world()
    at_station, elsewhere = await station_staff(w, "yq-01"), await station_staff(w, "gs-01")
    who = await w.worker("w1")
    answer = await w.engine.claims.claim(cid, who, "k", station_id="yq-01")
    await w.stream()
    [mine] = await w.engine.claims.vouchers_of(who)
    assert mine["pickup"]["name"] == "园区星海驿站"
    code = (await w.engine.claims.voucher(answer.claim_id, who)).code
    with pytest.raises(AnotherStation):
        await w.engine.redemptions.redeem(elsewhere, code, "r-1")
    await w.engine.redemptions.redeem(at_station, code, "r-2")
    await w.stream()
    assert {s["station_id"]: s["picked_up"] for s in await w.engine.stations.ops_view(cid)} == {
        "gs-01": 0,
        "yq-01": 1,
        "wz-01": 0,
    }

    w.store.lose()
    w.engine.reconciler.issuer_quiet_s = 0
    w.engine.reconciler.log = lambda line: None
    report = await w.engine.reconciler.reconcile(repair=True, by=OPS)
    assert report.differences == []
    assert left(await w.engine.stations.ops_view(cid)) == {"gs-01": 1, "yq-01": 1, "wz-01": 2}
    with pytest.raises(AnotherStation):  # the voucher remembers its station
        await w.engine.redemptions.redeem(elsewhere, code, "r-3")


async def test_a_pack_claimed_without_a_station_gets_one_later_once():
    w, cid = await pickup_world()
    at_station = await station_staff(w, "wz-01")
    who = await w.worker("w1")
    answer = await w.engine.claims.claim(cid, who, "k")  # no station yet
    await w.stream()
    code = (await w.engine.claims.voucher(answer.claim_id, who)).code
    [mine] = await w.engine.claims.vouchers_of(who)
    assert mine["pickup"]["station_id"] == TO_CHOOSE
    with pytest.raises(StationNotChosen):
        await w.engine.redemptions.redeem(at_station, code, "r-1")
    await w.engine.claims.claim(cid, await w.worker("w2"), "k", station_id="gs-01")  # its one
    with pytest.raises(StationOutOfStock):
        await w.engine.stations.choose(who, answer.claim_id, "gs-01")
    chosen = await w.engine.stations.choose(who, answer.claim_id, "wz-01")
    assert chosen["name"] == "吴中驿站"
    assert (await w.engine.stations.choose(who, answer.claim_id, "wz-01")) == chosen  # a retry
    with pytest.raises(Conflict):
        await w.engine.stations.choose(who, answer.claim_id, "yq-01")  # once
    assert left(await w.engine.stations.ops_view(cid))["wz-01"] == 1
    await w.engine.redemptions.redeem(at_station, code, "r-2")
