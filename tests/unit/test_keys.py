"""The Redis key space: no id a caller chooses can meet a key the engine builds."""

from __future__ import annotations

import fnmatch
import inspect
import itertools

import pytest

from engine.adapters.redis import keys
from engine.domain.ids import CAMPAIGN_ID, PARTY_ID

# Ids that look like the engine's own words and numbers: kinds, minutes, seconds,
# serials, periods, and the ids of every kind of caller.
# A Unix minute of late 2026: the shape a live-rate key takes, read from no clock.
MINUTE = 29_932_634
HOSTILE = [
    str(MINUTE), str(MINUTE + 1), "1", "0", "rate", "claim", "voucher", "unsettled",
    "campaign", "admit-rate", "claim-rate", "w", "cap", "m", "n", "none", "2026-11",
    "win", "per-period", "redeem-rate", "key", "terminal",
]  # fmt: skip
ID_ARGS = {"campaign_id", "worker_id", "group_id", "merchant_id", "claim_id", "redemption_id",
           "reversal_id", "caller", "scope", "kind", "size", "period", "address", "digest",
           "topic"}  # fmt: skip
NUMBER_ARGS = {"minute", "serial"}


def builders():
    """Every public key builder of the key module and its parameter names."""
    for name, fn in inspect.getmembers(keys, inspect.isfunction):
        if fn.__module__ != keys.__name__ or name.startswith("_"):
            continue
        params = list(inspect.signature(fn).parameters)
        if params == ["record_key"]:
            continue  # readers of keys, not builders
        yield name, fn, params


def samples(params):
    choices = []
    for p in params:
        if p in NUMBER_ARGS:
            choices.append([int(x) for x in HOSTILE if x.isdigit()])
        else:
            assert p in ID_ARGS, f"unknown key parameter {p}: add it to this test"
            choices.append([x for x in HOSTILE if PARTY_ID.match(x)])
    return itertools.product(*choices)


def test_every_builder_is_checked():
    names = {name for name, _, _ in builders()}
    assert {"claim_rate", "admission_rate", "worker_profile", "rate", "voucher"} <= names


def test_no_two_keys_meet_whatever_the_ids():
    seen: dict[str, tuple] = {}
    for name, fn, params in builders():
        for args in samples(params):
            key = fn(*args)
            # The same key from two different builders (or the same builder and other ids)
            # would be one record written by two owners.
            assert seen.setdefault(key, (name, args)) == (name, args), (key, seen[key], name, args)
    assert len(seen) > 1000


def test_a_worker_named_like_the_current_minute_gets_its_own_key():
    campaign = "metro-2027"
    assert keys.claim_rate(campaign, str(MINUTE)) != keys.admission_rate(campaign, MINUTE)


@pytest.mark.parametrize("bad", ["a:b", "a{b", "a}b", "x:rate"])
def test_ids_with_separators_never_pass_the_id_shapes(bad):
    assert not PARTY_ID.match(bad) and not CAMPAIGN_ID.match(bad)


def test_every_key_kind_says_how_it_comes_back_after_a_loss():
    kinds = {name for name, _, _ in builders()}
    assert kinds == set(keys.RECOVERY), (
        f"no recovery for {kinds - set(keys.RECOVERY)}; stale: {set(keys.RECOVERY) - kinds}"
    )
    for name, how in keys.RECOVERY.items():
        assert how.split(":")[0] in {"rebuilt", "refilled", "transient"}, name


def test_a_record_key_is_read_back_as_its_campaign_kind_and_id_and_matches_the_scan():
    for campaign_id in [x for x in HOSTILE if CAMPAIGN_ID.match(x)]:
        for kind, build in [("claim", keys.claim), ("redemption", keys.redemption)]:
            key = build(campaign_id, "id-1")
            assert keys.record_parts(key) == (campaign_id, kind, "id-1")
            assert fnmatch.fnmatchcase(key, keys.RECORDS)
    assert not fnmatch.fnmatchcase(keys.campaign("c1"), keys.RECORDS)
