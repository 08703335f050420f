"""Loyalty analytics on a hand-made ledger of three members, and the two economic models."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analytics import loyalty as ly

T = pd.Timestamp


def customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "signup_date": pd.to_datetime(
                ["2022-12-01", "2023-05-01", "2023-12-01", "2022-01-01", "2024-03-01"]
            ),
            "loyalty_member": [True, True, True, False, False],
            "loyalty_enrol_date": pd.to_datetime(
                ["2023-01-01", "2023-06-01", "2024-01-01", None, None]
            ),
        }
    )


def ledger() -> pd.DataFrame:
    rows = [
        # entry, customer, timestamp, kind, points, balance, tier
        (1, 1, "2023-01-10", "earn", 100, 100, "classic"),
        (2, 1, "2023-03-01", "burn", -50, 50, "classic"),
        (3, 1, "2023-05-01", "earn", 200, 250, "silver"),
        (4, 1, "2024-01-10", "expire", -50, 200, "silver"),
        (5, 2, "2023-06-10", "earn", 100, 100, "classic"),
        (6, 2, "2023-12-01", "earn", 50, 150, "classic"),
        (7, 2, "2024-08-01", "burn", -150, 0, "classic"),
        (8, 3, "2024-02-01", "earn", 40, 40, "classic"),
    ]
    df = pd.DataFrame(
        rows, columns=["entry_id", "customer_id", "timestamp", "kind", "points", "balance", "tier"]
    )
    return df.assign(timestamp=pd.to_datetime(df["timestamp"]))


def test_redemption_and_breakage():
    # issued 100+200+100+50+40 = 490; redeemed 50+150 = 200; expired 50
    assert ly.redemption_rate(ledger()) == pytest.approx(200 / 490)
    assert ly.breakage_rate(ledger()) == pytest.approx(50 / 490)
    # settled: 50 / (200 + 50)
    assert ly.breakage_rate(ledger(), method="settled") == pytest.approx(0.2)
    # 2023 only: issued 450, redeemed 50
    assert ly.redemption_rate(ledger(), "2023-01-01", "2024-01-01") == pytest.approx(50 / 450)


def test_points_by_period():
    out = ly.points_by_period(ledger(), freq="Q")
    # 2023Q1: earn 100 burn 50; Q2 earn 300; Q3 nothing; Q4 earn 50;
    # 2024Q1 earn 40 expire 50; Q2 nothing; Q3 burn 150
    assert [str(p) for p in out.index] == [
        "2023Q1", "2023Q2", "2023Q3", "2023Q4", "2024Q1", "2024Q2", "2024Q3",
    ]  # fmt: skip
    assert out["issued"].tolist() == [100, 300, 0, 50, 40, 0, 0]
    assert out["redeemed"].tolist() == [50, 0, 0, 0, 0, 0, 150]
    assert out["expired"].tolist() == [0, 0, 0, 0, 50, 0, 0]
    assert out["net"].tolist() == [50, 300, 0, 50, -10, 0, -150]
    assert out.loc[pd.Period("2023Q1"), "redemption_rate"] == pytest.approx(0.5)
    assert pd.isna(out.loc[pd.Period("2023Q3"), "redemption_rate"])


def test_outstanding_liability_and_tiers():
    # 2023-12-31: c1 balance 250, c2 150 -> 400 points
    assert ly.outstanding_points(ledger(), "2023-12-31") == 400
    # end: 200 + 0 + 40 = 240 points x 0.01 EUR = 2.40; x 0.8 expected redemption = 1.92
    assert ly.outstanding_liability(ledger(), point_value=0.01) == pytest.approx(2.4)
    assert ly.outstanding_liability(
        ledger(), point_value=0.01, expected_redemption=0.8
    ) == pytest.approx(1.92)
    tiers = ly.tier_distribution(ledger())
    assert tiers["members"].to_dict() == {"classic": 2, "silver": 1}
    assert tiers.loc["silver", "share"] == pytest.approx(1 / 3)
    # before c1's silver upgrade and before c2/c3 joined: only c1 classic
    assert ly.tier_distribution(ledger(), "2023-04-01")["members"].to_dict() == {"classic": 1}


def test_enrolment_and_engagement():
    assert ly.enrolment_level(customers()) == pytest.approx(3 / 5)
    # by 2023-07-01: signed up c1, c2, c4 (3); enrolled c1, c2 -> 2/3
    assert ly.enrolment_level(customers(), as_of="2023-07-01") == pytest.approx(2 / 3)
    # 2023: members enrolled before 2024 = c1, c2; both earned -> 1
    assert ly.engagement_level(ledger(), customers(), "2023-01-01", "2024-01-01") == 1.0
    # 2024: members c1, c2, c3; only c3 earned (c1 expired, c2 burnt) -> 1/3
    assert ly.engagement_level(ledger(), customers(), "2024-01-01", "2025-01-01") == (
        pytest.approx(1 / 3)
    )


def test_member_redemption_share():
    # 6 months, as of 2024-12-31: all three eligible; c1 burnt 2023-03-01 (inside
    # [2023-01-01, 2023-07-01)); c2 burnt 2024-08-01 (outside [2023-06-01, 2023-12-01)); c3 never
    assert ly.member_redemption_share(ledger(), customers(), 6, "2024-12-31") == pytest.approx(
        1 / 3
    )
    # 12 months as of 2024-06-30: c1, c2 eligible (c3 only from 2025-01-01); c1 yes, c2 no
    assert ly.member_redemption_share(ledger(), customers(), 12, "2024-06-30") == 0.5


def test_member_comparison():
    orders = pd.DataFrame(
        {
            "customer_id": [1, 3, 4, 1, 2],
            "order_date": pd.to_datetime(
                ["2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01", "2023-05-01"]
            ),
            "net_amount": [100.0, 50.0, 30.0, 70.0, 999.0],
        }
    )
    out = ly.member_comparison(customers(), orders, "2024-01-01", "2025-01-01")
    # base = signed up before 2024: c1..c4; members enrolled before 2024: c1, c2
    # members: c1 170, c2 0 (its order is before the window) -> buyers 1/2, spend 85
    # non-members: c3 50 (enrolled only 2024-01-01), c4 30 -> buyers 1, spend 40
    assert out.loc["members"].tolist() == [2, 0.5, 85.0]
    assert out.loc["non_members"].tolist() == [2, 1.0, 40.0]


def test_bad_ledger_input():
    bad = ledger()
    bad.loc[0, "kind"] = "bonus"
    with pytest.raises(ValueError, match=r"loyalty_ledger\.kind: 1 value\(s\).*'bonus'"):
        ly.redemption_rate(bad)
    with pytest.raises(ValueError, match=r"loyalty_ledger: missing column\(s\) points"):
        ly.redemption_rate(ledger().drop(columns="points"))
    with pytest.raises(ValueError, match="empty"):
        ly.breakage_rate(ledger().iloc[:0])
    with pytest.raises(ValueError, match="no points issued"):
        ly.redemption_rate(ledger(), start="2030-01-01")
    with pytest.raises(ValueError, match="method"):
        ly.breakage_rate(ledger(), method="guess")
    with pytest.raises(ValueError, match="expected_redemption"):
        ly.outstanding_liability(ledger(), 0.01, expected_redemption=1.5)


def test_programme_roi():
    r = ly.programme_roi(
        members=1000, spend_per_member=500, margin_rate=0.5, spend_uplift=0.1,
        retention_uplift=0.05, reward_cost=10_000, running_cost=5_000,
    )  # fmt: skip
    # revenue = 1000*500*0.1 + 1000*0.05*500*1.1 = 50 000 + 27 500 = 77 500
    # margin 38 750; cost 15 000; net 23 750; ROI = 23 750 / 15 000
    assert r.incremental_revenue == pytest.approx(77_500)
    assert r.incremental_margin == pytest.approx(38_750)
    assert r.net_benefit == pytest.approx(23_750)
    assert r.roi == pytest.approx(23_750 / 15_000)
    with pytest.raises(ValueError, match="margin_rate"):
        ly.programme_roi(10, 100, 1.5, reward_cost=1)
    with pytest.raises(ValueError, match="must cost something"):
        ly.programme_roi(10, 100, 0.5)


# One member type spending 1200 EUR/yr = 100 points a month (earn 1/EUR); reward at 250;
# points valid 3 months. Month by month (expire, earn, redeem oldest first):
#  m1 100 | m2 200 | m3 300 -> redeem 250, 50 left | m4 150 | m5 250 -> redeem, 0 | m6 100
# issued 600, redeemed 500, expired 0, outstanding 100; afterwards the 100 of m6 is redeemed
# with m7-m8's points before it expires, so expected breakage is 0.
SIMPLE = dict(
    members=1, annual_spend=1200.0, spend_cv=0.0, redeemer_share=1.0, horizon_months=6, n_types=1
)


def test_programme_design_hand_example():
    r = ly.programme_design(1.0, 250, 3, 0.01, **SIMPLE)
    assert (r.issued, r.redeemed, r.expired, r.outstanding) == pytest.approx((600, 500, 0, 100))
    assert r.monthly["outstanding"].tolist() == pytest.approx([100, 200, 50, 150, 0, 100])
    assert r.breakage == pytest.approx(0.0)
    assert r.liability == pytest.approx(1.0)
    assert r.expected_liability == pytest.approx(1.0)
    assert r.engaged_share == 1.0


def test_programme_design_non_claimers_break():
    # Two members, one never claims: his 100 points a month expire from m4 on:
    # expired 300 in the horizon, 300 outstanding that will expire too.
    # Totals: issued 1200, redeemed 500, expired 300, outstanding 400,
    # breakage (300 + 300) / 1200 = 0.5, expected liability 100 points x 0.01.
    # Margin: the claimer spends 100/month x 6 x uplift 0.1 x margin 0.5 = 30;
    # cost 500 x 0.01 + 2 members x 6 EUR/yr x 0.5 yr = 5 + 6 = 11; ROI = 19 / 11.
    params = SIMPLE | dict(members=2, redeemer_share=0.5, spend_uplift=0.1, margin_rate=0.5)
    r = ly.programme_design(1.0, 250, 3, 0.01, running_cost=6.0, **params)
    assert (r.issued, r.redeemed, r.expired, r.outstanding) == pytest.approx((1200, 500, 300, 400))
    assert r.breakage == pytest.approx(0.5)
    assert r.expected_liability == pytest.approx(1.0)
    assert r.engaged_share == 0.5
    assert r.incremental_margin == pytest.approx(30.0)
    assert r.roi == pytest.approx(19 / 11)


def test_programme_design_threshold_out_of_reach():
    # 100 points a month valid 2 months never reach 250: every point breaks, nobody engaged
    r = ly.programme_design(1.0, 250, 2, 0.01, **SIMPLE)
    assert r.redeemed == 0
    assert r.breakage == pytest.approx(1.0)
    assert r.expected_liability == 0.0
    assert r.engaged_share == 0.0
    # without expiry the same member redeems at m3 and m5 (as in the hand example)
    assert ly.programme_design(1.0, 250, 0, 0.01, **SIMPLE).redeemed == pytest.approx(500)


def test_programme_design_default_population_and_bad_input():
    r = ly.programme_design(1.0, 500, 12, 0.01)
    # every issued point is redeemed, expired or outstanding
    assert r.issued == pytest.approx(r.redeemed + r.expired + r.outstanding)
    assert 0 < r.breakage < 1
    # longer validity lowers breakage
    assert ly.programme_design(1.0, 500, 24, 0.01).breakage < r.breakage
    with pytest.raises(ValueError, match="reward_threshold"):
        ly.programme_design(1.0, 0, 12, 0.01)
    with pytest.raises(ValueError, match="expiry_months"):
        ly.programme_design(1.0, 500, 1.5, 0.01)
    with pytest.raises(ValueError, match="redeemer_share"):
        ly.programme_design(1.0, 500, 12, 0.01, redeemer_share=2)
