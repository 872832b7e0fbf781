"""Events keep their form across the JSON library: every MAC already in a log was made
over the standard library's canonical JSON, and events decode as before."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.event_auth import EventKeys, canonical_json
from engine.events import ClaimAdmitted, MalformedEvent, VoucherIssued

VALUES = st.one_of(
    st.text(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.booleans(),
    st.none(),
)
BODIES = st.dictionaries(st.text(), VALUES, max_size=12)
KEYS = EventKeys("e1", {"e1": b"k" * 32})


def standard(body: dict[str, object]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@settings(max_examples=3000, deadline=None)
@given(BODIES)
def test_the_canonical_form_is_the_standard_librarys_for_any_values(body):
    assert canonical_json(body) == standard(body)


@pytest.mark.parametrize(
    "text", ["园区星海驿站", "\x7f", "\x00\x1f", "a\u2028b", "\ud800", "é", '"\\/']
)
def test_text_past_printable_ascii_is_escaped_as_before(text):
    assert canonical_json({"station_id": text}) == standard({"station_id": text})


def claim(**changes: object) -> ClaimAdmitted:
    fields: dict[str, object] = {
        "claim_id": "c1",
        "campaign_id": "c-1",
        "campaign_number": 3,
        "serial": 9,
        "worker_id": "w-1",
        "face_value_fen": 300,
        "valid_until": 1_900_000_000,
        "admitted_at_ms": 1_800_000_000_000,
        "station_id": "园区星海驿站",
    }
    return ClaimAdmitted(**(fields | changes))  # type: ignore[arg-type]


def test_an_event_signed_before_still_verifies():
    event = claim()
    # As the standard library signed and wrote it.
    fields = event.fields()
    mac = KEYS.mac(b"claim.admitted\n" + standard({k: v for k, v in fields.items() if k != "mac"}))
    old_wire = json.dumps(fields | {"mac": f"e1:{mac.hex()}"}).encode()
    decoded = ClaimAdmitted.loads(old_wire)
    assert decoded == ClaimAdmitted(**(fields | {"mac": f"e1:{mac.hex()}"}))
    assert decoded.authentic(KEYS)
    assert not ClaimAdmitted.loads(old_wire.replace(b"300", b"301")).authentic(KEYS)


def test_a_signed_event_round_trips():
    event = claim().signed(KEYS)
    again = ClaimAdmitted.loads(event.dumps())
    assert again == event and again.authentic(KEYS)


ISSUED = (
    b'{"claim_id":"c","campaign_id":"x","serial":1,"worker_id":"w","key_id":1,'
    b'"face_value_fen":1,"valid_until":1,"issued_at_ms":1}'
)


def test_a_well_formed_event_decodes():
    assert VoucherIssued.loads(ISSUED).serial == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"[1]",
        b'{"claim_id": "c"}',
        b"\xff",
        ISSUED.replace(b'"serial":1', b'"serial":true'),
        ISSUED.replace(b'"serial":1', b'"serial":"1"'),
    ],
)
def test_what_is_not_an_event_is_malformed(raw):
    with pytest.raises(MalformedEvent):
        VoucherIssued.loads(raw)
