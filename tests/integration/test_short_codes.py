"""Short codes through the API: what the worker is shown redeems online, a retry of it is
the same request as its full code, and guessing is throttled as for full codes."""

from __future__ import annotations

import secrets

from engine.domain.short_codes import short_code_of, shown
from tests.helpers.api import assert_problem, issued_codes, pos
from tests.helpers.books import vouchers_of


async def test_a_short_code_redeems_its_voucher_and_is_the_same_request_as_its_full_code(
    http, factory, db
):
    merchant_id, api_key = await factory.merchant()
    campaign = await factory.campaign(quota=1, merchants=[merchant_id])
    (code,) = await issued_codes(http, factory, db, campaign["id"], 1)
    (row,) = await vouchers_of(db, campaign["id"])
    worker = row["worker_id"]
    listed = await http.get("/v1/me/vouchers", headers=factory.worker_headers(worker, "-"))
    short = listed.json()["vouchers"][0]["short_code"]
    assert short == shown(short_code_of(code))

    typed = short.lower().replace("-", " ")
    check = await http.post("/v1/codes/verify", json={"code": typed}, headers=pos(api_key))
    assert check.status_code == 200 and check.json()["serial"] == row["serial"]
    r = await http.post("/v1/redemptions", json={"code": typed}, headers=pos(api_key, "s1"))
    assert r.status_code == 201, r.text
    # The retry scans the QR code instead: the same voucher, so the same request.
    again = await http.post("/v1/redemptions", json={"code": code}, headers=pos(api_key, "s1"))
    assert again.status_code == 201 and again.json() == r.json()
    other = await http.post("/v1/redemptions", json={"code": short}, headers=pos(api_key, "s2"))
    assert_problem(other, 409, "already-redeemed")


async def test_guessing_short_codes_is_throttled_and_a_slip_is_not_a_guess(http, factory, db):
    merchant_id, api_key = await factory.merchant()
    await factory.campaign(quota=1, merchants=[merchant_id])
    # Well formed (its check symbol holds) but no voucher's.
    guesses = [shown(short_code_of(secrets.token_urlsafe(95))) for _ in range(11)]
    slip = guesses[0][:-1] + ("0" if guesses[0][-1] != "0" else "1")
    for _ in range(12):
        mistyped = await http.post(
            "/v1/codes/verify", json={"code": slip}, headers=pos(api_key, terminal="t1")
        )
        assert_problem(mistyped, 422, "validation-error")
        assert "check symbol" in mistyped.json()["detail"]
    for guess in guesses[:10]:
        r = await http.post(
            "/v1/redemptions", json={"code": guess}, headers=pos(api_key, guess, terminal="t1")
        )
        assert_problem(r, 422, "invalid-code")
    locked = await http.post(
        "/v1/codes/verify", json={"code": guesses[10]}, headers=pos(api_key, terminal="t1")
    )
    assert_problem(locked, 429, "too-many-attempts")
