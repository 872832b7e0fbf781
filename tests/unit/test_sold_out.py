"""The sold-out marks an API process keeps: exact for what they refuse, short-lived."""

from __future__ import annotations

from engine.domain.sold_out import SoldOutMarks, StockOut

NOW = 1_800_000_000_000
GONE = StockOut(next_wave_ms=0, refuses_from_fen=1, last_serial=10)


def marked(stock: StockOut = GONE, holders: frozenset[str] = frozenset({"held"})) -> SoldOutMarks:
    marks = SoldOutMarks(life_ms=1000)
    marks.mark("c", 1, stock, holders, NOW)
    return marks


def test_a_mark_refuses_a_newcomer_until_its_life_ends():
    marks = marked()
    refused = marks.refusal("c", 1, "new", 300, NOW + 999)
    assert refused is not None and refused.slug == "sold-out"
    assert marks.refusal("c", 1, "new", 300, NOW + 1000) is None
    assert marks.refusal("other", 1, "new", 300, NOW) is None


def test_a_holder_is_never_answered_from_memory():
    # An idempotent repeat of an admitted claim is owed its first answer (201).
    assert marked().refusal("c", 1, "held", 300, NOW) is None


def test_a_new_definition_ends_the_mark():
    assert marked().refusal("c", 2, "new", 300, NOW) is None


def test_a_short_budget_refuses_only_faces_it_cannot_pay():
    marks = marked(StockOut(0, refuses_from_fen=500, last_serial=10))
    assert marks.refusal("c", 1, "new", 499, NOW) is None
    assert marks.refusal("c", 1, "new", 500, NOW) is not None


def test_a_mark_ends_at_the_next_wave_and_names_it():
    wave_at = NOW + 400
    marks = marked(StockOut(wave_at, 1, 10))
    refused = marks.refusal("c", 1, "new", 300, NOW + 399)
    assert refused is not None and refused.extra["next_wave_at"].startswith("2027-")
    assert marks.refusal("c", 1, "new", 300, wave_at) is None


def test_a_release_in_this_process_clears_at_once():
    marks = marked()
    marks.clear("c")
    assert marks.refusal("c", 1, "new", 300, NOW) is None


def test_holders_are_read_again_only_after_an_admission():
    marks = marked()
    assert marks.holders_since("c", GONE) == frozenset({"held"})
    assert marks.holders_since("c", StockOut(0, 1, last_serial=11)) is None


def test_no_life_no_mark():
    marks = SoldOutMarks(life_ms=0)
    marks.mark("c", 1, GONE, frozenset(), NOW)
    assert marks.refusal("c", 1, "new", 300, NOW) is None
