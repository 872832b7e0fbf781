"""Stations: which are offered, where a pack is picked up, what a move keeps."""

from __future__ import annotations

import pytest

from engine.domain.stations import (
    TO_CHOOSE,
    Station,
    check_choice,
    check_move,
    offered,
    station_choice,
)
from engine.errors import Conflict, ValidationFailed

STATIONS = [
    Station("gs-01", "姑苏区工会服务站", "姑苏区", "人民路 100 号"),
    Station("gs-02", "平江路驿站", "姑苏区", "平江路 8 号"),
    Station("yq-01", "园区星海驿站", "工业园区", "星海街 9 号 B1"),
    Station("wz-01", "吴中驿站", "吴中区", "东吴北路 1 号", open=False),
]
STOCK = {"gs-01": 3, "gs-02": 0, "yq-01": 10, "wz-01": 5}


def test_offered_stations_are_open_with_stock_and_match_the_search():
    assert [s.station_id for s in offered(STATIONS, STOCK)] == ["gs-01", "yq-01"]
    assert [s.station_id for s in offered(STATIONS, STOCK, "姑苏")] == ["gs-01"]
    assert [s.station_id for s in offered(STATIONS, STOCK, " ｂ１ ")] == ["yq-01"]  # full width
    assert offered(STATIONS, STOCK, "吴中") == []  # closed


def test_a_move_is_between_two_known_stations_and_moves_something():
    check_move(STOCK, "yq-01", "gs-02", 11)  # how many are left the decision store says
    for source, target, units in (("yq-01", "yq-01", 1), ("yq-01", "zz", 1), ("yq-01", "gs-02", 0)):
        with pytest.raises(ValidationFailed):
            check_move(STOCK, source, target, units)


def test_a_pick_up_claim_names_its_station_now_or_later_and_no_other_claim_does():
    assert station_choice(True, "gs-01") == "gs-01"
    assert station_choice(True, None) == station_choice(True, "") == TO_CHOOSE
    assert station_choice(False, None) == ""
    with pytest.raises(ValidationFailed):
        station_choice(False, "gs-01")


def test_a_station_is_chosen_later_once():
    assert check_choice(TO_CHOOSE, "gs-01") is True
    assert check_choice("gs-01", "gs-01") is False  # a retry
    for held in ("gs-02", ""):
        with pytest.raises(Conflict):
            check_choice(held, "gs-01")
