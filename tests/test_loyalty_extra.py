"""Course additions to sim.analytics.loyalty: dashboard, redemption curve, engaged comparison."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.analytics import loyalty as L

T = pd.Timestamp


@pytest.fixture
def customers():
    # 1 and 2 enrolled, 3 never, 4 enrolled late (after 2024-07-01)
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "signup_date": [T("2024-01-01"), T("2024-02-01"), T("2024-03-01"), T("2024-03-01")],
            "loyalty_member": [True, True, False, True],
            "loyalty_enrol_date": [T("2024-01-01"), T("2024-02-01"), pd.NaT, T("2024-08-01")],
        }
    )


@pytest.fixture
def ledger():
    rows = [
        # customer, date, kind, points, balance
        (1, "2024-01-01", "earn", 600, 600),
        (1, "2024-03-15", "burn", -500, 100),
        (1, "2024-03-15", "earn", 200, 300),
        (2, "2024-02-01", "earn", 100, 100),
        (2, "2024-12-01", "expire", -100, 0),
        (4, "2024-08-01", "earn", 50, 50),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "kind", "points", "balance"])
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    df.insert(0, "entry_id", range(1, len(df) + 1))
    return df


def test_programme_kpis_by_hand(ledger, customers):
    k = L.programme_kpis(ledger, customers, point_value=0.02, as_of="2024-12-31")
    assert k["members"] == 3 and k["enrolment_level"] == pytest.approx(0.75)
    # earned in the year to 2024-12-31: members 1, 2 and 4 -> all 3
    assert k["engagement_level"] == pytest.approx(1.0)
    assert (k["points_issued"], k["points_redeemed"], k["points_expired"]) == (950, 500, 100)
    assert k["redemption_rate"] == pytest.approx(500 / 950)
    assert k["breakage_issued"] == pytest.approx(100 / 950)
    assert k["breakage_settled"] == pytest.approx(100 / 600)
    assert k["outstanding_points"] == 350  # 300 + 0 + 50
    assert k["liability"] == pytest.approx(7.0)
    assert k["reward_cost"] == pytest.approx(10.0)


def test_programme_kpis_as_of_cuts_the_ledger(ledger, customers):
    k = L.programme_kpis(ledger, customers, point_value=0.02, as_of="2024-06-30")
    assert k["members"] == 2  # member 4 not enrolled yet
    assert (k["points_issued"], k["points_expired"]) == (900, 0)
    assert k["outstanding_points"] == 400


def test_programme_kpis_need_a_ledger(ledger, customers):
    with pytest.raises(ValueError, match="empty"):
        L.programme_kpis(ledger.iloc[:0], customers, 0.02)


def test_redemption_curve_by_hand(ledger, customers):
    curve = L.redemption_curve(ledger, customers, months=12, as_of="2024-12-31")
    # 1 month: members 1, 2, 4 (enrolled by 2024-11-30); nobody redeemed within a month
    assert curve.loc[1, "members"] == 3 and curve.loc[1, "redeemed_share"] == 0.0
    # 3 months: member 1 redeemed 2.5 months after enrolling -> 1 of 3
    assert curve.loc[3, "redeemed_share"] == pytest.approx(1 / 3)
    # 6 months: member 4 (enrolled 2024-08-01) no longer has the full window
    assert curve.loc[6, "members"] == 2 and curve.loc[6, "redeemed_share"] == pytest.approx(0.5)
    # 12 months: member 2 enrolled 2024-02-01 lacks a full year -> only member 1
    assert curve.index.max() == 11
    with pytest.raises(ValueError, match="months"):
        L.redemption_curve(ledger, customers, months=0)


def test_engaged_comparison_by_hand(ledger, customers):
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 3, 4],
            "order_date": [T("2024-07-05"), T("2024-08-05"), T("2024-09-01"), T("2024-01-05")],
            "net_amount": [300.0, 100.0, 50.0, 999.0],
        }
    )
    out = L.engaged_comparison(ledger, customers, orders, "2024-07-01", "2025-01-01")
    assert list(out.index) == ["redeemers", "other_members", "non_members"]
    assert out.loc["redeemers", "customers"] == 1
    assert out.loc["redeemers", "spend_per_customer"] == pytest.approx(400.0)
    assert out.loc["other_members", "customers"] == 1  # customer 2, no order
    assert out.loc["other_members", "buyers"] == 0.0
    # non-members: 3 (spent 50) and 4 (enrolled after the start; its order is before it)
    assert out.loc["non_members", "customers"] == 2
    assert out.loc["non_members", "spend_per_customer"] == pytest.approx(25.0)
    assert out.loc["non_members", "buyers"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="signed up"):
        L.engaged_comparison(ledger, customers, orders, "2023-01-01", "2024-01-01")
    assert not math.isnan(out.loc["redeemers", "buyers"])
