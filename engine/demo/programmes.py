"""The Spring Festival programmes of DESIGN.md as campaign definitions (pure data),
and the simulated workers' profiles."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ALL = ["delivery_rider", "courier", "truck_driver", "ride_hailing_driver", "other_new_employment"]
RIDE_HAILING = ["ride_hailing_driver"]
RIDERS = ["delivery_rider"]
PARTNER_CITIES = ["Xinyang", "Fuyang", "Suqian"]
LEISURE_CAP = {"id": "spring-leisure", "period": "month", "max_fen": 20_000}  # 200 yuan/month
HALF_FARE = {"kind": "percent_off", "percent": 50, "cap_fen": 300}
FUEL_PAYERS = [
    {"payer_id": "union", "name": "苏州市总工会", "percent": 60},
    {"payer_id": "didi", "name": "滴滴出行", "percent": 25},
    {"payer_id": "t3go", "name": "T3出行", "percent": 15},
]


@dataclass(frozen=True)
class Programme:
    slug: str
    name: str  # as the union publishes it
    name_en: str
    quota: int
    face_value_fen: int
    categories: list[str]
    merchant: str
    options: dict[str, Any] = field(default_factory=dict)


def _yuan(amount: int) -> int:
    return amount * 100


PROGRAMMES = [
    # 200,000 coupons released as 20,000 a day; unclaimed stock rolls over. Half the fare
    # (5折), at most 3 yuan a ride.
    Programme(
        "metro",
        "地铁半价券",
        "Metro half-price coupons",
        200_000,
        300,
        ALL,
        "suzhou-metro",
        {"waves": "daily-10", "rollover": True, "discount": HALF_FARE},
    ),
    Programme(
        "fuel",
        "加油券",
        "Fuel discount vouchers",
        80_000,
        _yuan(50),
        RIDE_HAILING,
        "sinopec-stations",
        # Co-funded: the union pays 60%, the ride-hailing platforms the rest.
        {"budget_fen": _yuan(4_000_000), "payers": FUEL_PAYERS},
    ),
    Programme(
        "ev-charging",
        "充电券",
        "EV charging coupons",
        50_000,
        _yuan(20),
        RIDE_HAILING,
        "state-grid-charging",
        {"budget_fen": _yuan(1_000_000)},
    ),
    # 3,000 vouchers, 80 yuan on average: the value is chosen per claim within 50-110 yuan.
    Programme(
        "battery",
        "电池更换补贴",
        "Battery replacement",
        3_000,
        _yuan(80),
        RIDERS,
        "battery-shops",
        {
            "face_value_min_fen": _yuan(50),
            "face_value_max_fen": _yuan(110),
            "budget_fen": _yuan(240_000),
        },
    ),
    # 1,000 data cards supplied by the operator as codes.
    Programme(
        "data-card",
        "流量卡",
        "Mobile data cards",
        1_000,
        _yuan(200),
        ALL,
        "china-mobile",
        {"partner_pool": True},
    ),
    Programme(
        "books",
        "购书券",
        "Book vouchers",
        20_000,
        _yuan(50),
        ALL,
        "xinhua-bookstore",
        {"budget_fen": _yuan(1_000_000), "cap_group": LEISURE_CAP["id"]},
    ),
    # 满100减30, 满200减100: the city's consumption vouchers.
    Programme(
        "culture-tourism",
        "文旅消费券",
        "Culture-tourism vouchers",
        10_000,
        _yuan(100),
        ALL,
        "city-venues",
        {
            "budget_fen": _yuan(1_000_000),
            "cap_group": LEISURE_CAP["id"],
            "discount": {
                "kind": "threshold",
                "tiers": [
                    {"min_order_fen": _yuan(100), "off_fen": _yuan(30)},
                    {"min_order_fen": _yuan(200), "off_fen": _yuan(100)},
                ],
            },
        },
    ),
    Programme(
        "movie-fitness",
        "观影健身券",
        "Movie and fitness coupons",
        100_000,
        _yuan(30),
        ALL,
        "city-venues",
        {
            "rules": [{"field": "staying_for_festival", "op": "eq", "value": True}],
            "cap_group": LEISURE_CAP["id"],
        },
    ),
    Programme("rides", "打车券", "Ride coupons", 70_000, _yuan(10), ALL, "ride-partners"),
    # Picked up at the union's service stations, each with its own stock.
    Programme(
        "hardship-packs",
        "骑手困难帮扶礼包",
        "Hardship gift packs for riders",
        5_000,
        _yuan(200),
        RIDERS,
        "union-gift-packs",
        {"rules": [{"field": "hardship", "op": "eq", "value": True}], "stations": True},
    ),
    # Free sessions booked by the slot: each counselling room's hours, a few places each.
    Programme(
        "counselling",
        "职工心理咨询",
        "Counselling sessions",
        2_000,
        _yuan(200),
        ALL,
        "union-services",
        {"slots": True},
    ),
    Programme(
        "return-to-work",
        "返岗交通补贴",
        "Return-to-work transport subsidy",
        2_100,
        _yuan(300),
        ALL,
        "ride-partners",
        {"rules": [{"field": "origin_city", "op": "in", "value": PARTNER_CITIES}]},
    ),
    Programme(
        "first-job",
        "首次就业补贴",
        "First-job employment subsidy",
        10_000,
        _yuan(500),
        ALL,
        "union-payroll",
        {
            "payout": True,
            "rules": [
                {"field": "hukou_city", "op": "ne", "value": "Suzhou"},
                {"field": "first_job_in_city", "op": "eq", "value": True},
                {"field": "contract_months", "op": "gte", "value": 12},
                {"field": "social_insurance_months", "op": "gte", "value": 3},
            ],
        },
    ),
]

MERCHANTS = sorted({p.merchant for p in PROGRAMMES})
# A few of the union's 4,300 service stations: (id, name, district, address). Each is a
# store of the programme's merchant, whose key hands out that station's packs.
STATIONS = [
    ("gs-01", "姑苏区总工会服务站", "姑苏区", "人民路 100 号"),
    ("gs-02", "平江路户外劳动者驿站", "姑苏区", "平江路 8 号"),
    ("yq-01", "工业园区星海驿站", "工业园区", "星海街 9 号"),
    ("yq-02", "独墅湖职工之家", "工业园区", "仁爱路 150 号"),
    ("wz-01", "吴中区工会服务站", "吴中区", "东吴北路 1 号"),
    ("xc-01", "相城区快递驿站", "相城区", "阳澄湖路 18 号"),
    ("hq-01", "虎丘区新就业群体驿站", "虎丘区", "狮山路 28 号"),
    ("wj-01", "吴江区工会服务站", "吴江区", "中山南路 1 号"),
]


# The counselling rooms booked by the slot: (store id, name). Each is a store of the
# programme's merchant, whose key checks a booked worker in.
COUNSELLING_ROOMS = [
    ("xl-gs", "姑苏区职工心理咨询室"),
    ("xl-yq", "工业园区职工心理驿站"),
    ("xl-wz", "吴中区职工心理咨询室"),
    ("xl-xc", "相城区职工心理咨询室"),
]


def slot_list(quota: int, now: datetime) -> list[dict[str, Any]]:
    """Each room's hour-long sessions (09:00 to 17:00, Beijing time) from tomorrow, enough
    places for the quota; and one session per room starting in 20 minutes, whose workers
    may be checked in at once."""
    places, days = 5, -(-quota // (len(COUNSELLING_ROOMS) * 8 * 5))
    tomorrow = (now + timedelta(hours=8)).date() + timedelta(days=1)
    nine = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 1, tzinfo=UTC)  # 09:00 +8
    soon = now.replace(second=0, microsecond=0) + timedelta(minutes=20)
    starts = [("now", soon)] + [
        (f"d{d}h{h}", nine + timedelta(days=d, hours=h)) for d in range(days) for h in range(8)
    ]
    return [
        {
            "slot_id": f"{room}-{when}",
            "service": "心理咨询",
            "provider_id": room,
            "provider_name": name,
            "starts_at": at.isoformat(),
            "ends_at": (at + timedelta(minutes=50)).isoformat(),
            "capacity": places,
        }
        for room, name in COUNSELLING_ROOMS
        for when, at in starts
    ]


def station_list(quota: int) -> list[dict[str, Any]]:
    """The stations with the programme's stock spread over them (the first take the rest)."""
    share, rest = divmod(quota, len(STATIONS))
    return [
        {"station_id": sid, "name": name, "district": district, "address": address}
        | {"stock": share + (1 if i < rest else 0)}
        for i, (sid, name, district, address) in enumerate(STATIONS)
    ]


# Share of simulated workers per category (riders and couriers dominate the city's gig work).
CATEGORY_MIX = [
    ("delivery_rider", 0.40),
    ("courier", 0.25),
    ("ride_hailing_driver", 0.20),
    ("truck_driver", 0.10),
    ("other_new_employment", 0.05),
]


def campaign_body(programme: Programme, run_id: str, now: datetime) -> dict[str, Any]:
    opens = now - timedelta(minutes=1)
    body = {
        "id": f"{programme.slug}-{run_id}",
        "name": programme.name,
        "name_en": programme.name_en,
        "quota": programme.quota,
        "face_value_fen": programme.face_value_fen,
        "per_worker_limit": 1,
        "claim_opens_at": opens.isoformat(),
        "claim_closes_at": (now + timedelta(days=14)).isoformat(),
        "valid_until": (now + timedelta(days=60)).isoformat(),
        "eligible_categories": programme.categories,
        "merchants": [f"{programme.merchant}-{run_id}"],
    }
    options = dict(programme.options)
    if options.get("cap_group"):
        options["cap_group"] = f"{options['cap_group']}-{run_id}"
    if options.pop("waves", None) == "daily-10":
        per_day = programme.quota // 10
        body["waves"] = [
            {"at": (opens + timedelta(days=d)).isoformat(), "quantity": per_day} for d in range(10)
        ]
    return body | options


def profile_for(index: int, run_id: str) -> dict[str, Any]:
    """A deterministic, varied worker profile: most non-local, some from partner cities."""
    rng = random.Random(f"{run_id}-{index}")
    point = (index * 0.6180339887) % 1.0
    category = CATEGORY_MIX[-1][0]
    for name, share in CATEGORY_MIX:
        if point < share:
            category = name
            break
        point -= share
    return {
        "category": category,
        "hukou_city": "Suzhou"
        if rng.random() < 0.3
        else rng.choice(["Fuyang", "Zhoukou", "Yancheng"]),
        "origin_city": rng.choice(PARTNER_CITIES) if rng.random() < 0.3 else "Nanjing",
        "first_job_in_city": rng.random() < 0.2,
        "contract_months": rng.randint(0, 36),
        "social_insurance_months": rng.randint(0, 24),
        "hardship": rng.random() < 0.05,
        "registered_on": "2024-06-01",
        "staying_for_festival": rng.random() < 0.6,
        "bank_account": f"6222{rng.randrange(10**12):012d}",
    }


def wishes(category: str) -> list[str]:
    """Which programmes a worker of this category tries to claim in the burst."""
    own = {
        "ride_hailing_driver": ["fuel", "ev-charging"],
        "delivery_rider": ["battery", "hardship-packs"],
    }.get(category, ["books", "culture-tourism", "counselling"])
    return ["metro", *own, "movie-fitness", "return-to-work", "first-job", "data-card"]
