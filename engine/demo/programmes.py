"""The Spring Festival programmes of DESIGN.md as campaign definitions (pure data).

Money programmes ("4,000,000 yuan in total") become a count quota at a fixed face
value here; budgets, variable values and profile rules (hardship, origin city,
first job) arrive with the programme rules issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ALL = ["delivery_rider", "courier", "truck_driver", "ride_hailing_driver", "other_new_employment"]
RIDE_HAILING = ["ride_hailing_driver"]
RIDERS = ["delivery_rider"]


@dataclass(frozen=True)
class Programme:
    slug: str
    name: str
    quota: int
    face_value_fen: int
    categories: list[str]
    merchant: str
    note: str = ""


PROGRAMMES = [
    Programme("metro", "Metro half-price coupons", 200_000, 300, ALL, "suzhou-metro"),
    Programme(
        "fuel",
        "Fuel discount vouchers",
        80_000,
        5_000,
        RIDE_HAILING,
        "sinopec-stations",
        "4,000,000 yuan at 50 yuan each",
    ),
    Programme(
        "ev-charging",
        "EV charging coupons",
        50_000,
        2_000,
        RIDE_HAILING,
        "state-grid-charging",
        "1,000,000 yuan at 20 yuan each",
    ),
    Programme("battery", "Battery replacement", 3_000, 8_000, RIDERS, "battery-shops"),
    Programme("data-card", "Mobile data cards", 1_000, 20_000, ALL, "china-mobile"),
    Programme(
        "books",
        "Book vouchers",
        20_000,
        5_000,
        ALL,
        "xinhua-bookstore",
        "1,000,000 yuan at 50 yuan each",
    ),
    Programme(
        "culture-tourism",
        "Culture-tourism vouchers",
        10_000,
        10_000,
        ALL,
        "city-venues",
        "1,000,000 yuan at 100 yuan each",
    ),
    Programme("movie-fitness", "Movie and fitness coupons", 100_000, 3_000, ALL, "city-venues"),
    Programme("rides", "Ride coupons", 70_000, 1_000, ALL, "ride-partners"),
    Programme(
        "hardship-packs",
        "Hardship gift packs for riders",
        5_000,
        20_000,
        RIDERS,
        "union-gift-packs",
        "hardship flag rule comes with the programme rules",
    ),
    Programme(
        "return-to-work",
        "Return-to-work transport subsidy",
        2_100,
        30_000,
        ALL,
        "ride-partners",
        "partner-city rule comes with the programme rules",
    ),
    Programme(
        "first-job",
        "First-job employment subsidy",
        10_000,
        50_000,
        ALL,
        "union-payroll",
        "500 yuan per person; eligibility rules come with the programme rules",
    ),
]

MERCHANTS = sorted({p.merchant for p in PROGRAMMES})
# Share of simulated workers per category (riders and couriers dominate the city's gig work).
CATEGORY_MIX = [
    ("delivery_rider", 0.40),
    ("courier", 0.25),
    ("ride_hailing_driver", 0.20),
    ("truck_driver", 0.10),
    ("other_new_employment", 0.05),
]


def campaign_body(p: Programme, run_id: str, now: datetime) -> dict:
    return {
        "id": f"{p.slug}-{run_id}",
        "name": p.name,
        "quota": p.quota,
        "face_value_fen": p.face_value_fen,
        "per_worker_limit": 1,
        "claim_opens_at": (now - timedelta(minutes=1)).isoformat(),
        "claim_closes_at": (now + timedelta(days=14)).isoformat(),
        "valid_until": (now + timedelta(days=60)).isoformat(),
        "eligible_categories": p.categories,
        "merchants": [f"{p.merchant}-{run_id}"],
    }


def category_for(index: int) -> str:
    """Deterministic mix: worker i gets the category its position falls into."""
    point = (index * 0.6180339887) % 1.0
    for category, share in CATEGORY_MIX:
        if point < share:
            return category
        point -= share
    return CATEGORY_MIX[-1][0]


def wishes(category: str) -> list[str]:
    """Which programmes a worker of this category tries to claim in the burst."""
    extra = {"ride_hailing_driver": "fuel", "delivery_rider": "battery"}.get(category, "books")
    return ["metro", extra]
