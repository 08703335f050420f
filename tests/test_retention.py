"""Retention analytics on tiny hand-computed tables and a textbook survival example."""

import math

import numpy as np
import pandas as pd
import pytest

from sim.analytics.retention import (
    cohort_counts,
    cohort_retention,
    customer_lifetimes,
    early_warning_flags,
    kaplan_meier,
    mean_time_between_purchases,
    median_survival,
    period_retention,
    purchase_gaps,
    repeat_purchase_rate,
    retention_uplift_profit,
)


def _orders(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "net_amount"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


# customer 1: Jan and Mar; customer 2: Jan and Feb; customer 3: Feb only
ORDERS = _orders(
    [
        (1, "2024-01-05", 10.0),
        (1, "2024-03-01", 10.0),
        (2, "2024-01-20", 10.0),
        (2, "2024-02-10", 10.0),
        (3, "2024-02-15", 10.0),
    ]
)


def test_cohort_counts_and_retention():
    counts = cohort_counts(ORDERS)
    # January cohort {1, 2}: month 0 → 2, Feb (1) → customer 2, Mar (2) → customer 1
    # February cohort {3}: month 0 → 1, Mar (1) → 0, Apr (2) is after the data end → NA
    assert counts.loc["2024-01-01"].tolist() == [2, 1, 1]
    assert counts.loc["2024-02-01", 0] == 1 and counts.loc["2024-02-01", 1] == 0
    assert pd.isna(counts.loc["2024-02-01", 2])
    shares = cohort_retention(ORDERS)
    # January: 2/2, 1/2, 1/2 ; February: 1/1, 0/1, NaN
    np.testing.assert_allclose(shares.to_numpy(), [[1.0, 0.5, 0.5], [1.0, 0.0, np.nan]])
    assert list(shares.columns) == [0, 1, 2]


def test_cohort_counts_with_later_end_extends_columns():
    counts = cohort_counts(ORDERS, end="2024-04-30")
    # April is observable now: Jan cohort month 3 = 0, Feb cohort month 2 = 0
    assert counts.shape == (2, 4)
    assert counts.loc["2024-01-01", 3] == 0 and counts.loc["2024-02-01", 2] == 0


def test_period_retention_and_churn():
    got = period_retention(ORDERS, ("2024-01-01", "2024-02-01"), ("2024-02-01", "2024-03-01"))
    # January actives {1, 2}; February actives {2, 3} (1 March is outside [Feb 1, Mar 1))
    # retained {2}: retention 1/2, churn 1/2
    assert got["active_period1"] == 2 and got["retained"] == 1 and got["churned"] == 1
    assert got["retention_rate"] == 0.5 and got["churn_rate"] == 0.5
    with pytest.raises(ValueError, match="period2: end"):
        period_retention(ORDERS, ("2024-01-01", "2024-02-01"), ("2024-03-01", "2024-02-01"))


def test_repeat_rate_and_time_between_purchases():
    # customers 1 and 2 ordered twice, customer 3 once → 2/3
    assert repeat_purchase_rate(ORDERS) == pytest.approx(2 / 3)
    gaps = purchase_gaps(ORDERS)
    # customer 1: 5 Jan → 1 Mar 2024 = 26 + 29 (leap February) + 1 = 56 days
    # customer 2: 20 Jan → 10 Feb = 11 + 10 = 21 days
    assert gaps.to_dict() == {1: 56.0, 2: 21.0}
    assert mean_time_between_purchases(ORDERS) == pytest.approx((56 + 21) / 2)
    one_each = ORDERS.drop_duplicates("customer_id")
    assert math.isnan(mean_time_between_purchases(one_each))


def test_kaplan_meier_textbook_freireich():
    # Freireich et al. (1963) 6-MP group, as in Kleinbaum & Klein, Survival Analysis, ch. 2:
    # relapse weeks 6,6,6,7,10,13,16,22,23 and censored 6+,9+,10+,11+,17+,19+,20+,25+,32+,32+,34+,35+
    times = [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
    events = [True] * 9 + [False] * 12
    km = kaplan_meier(times, events)
    ev = km.loc[km["events"] > 0]
    assert ev.index.tolist() == [6, 7, 10, 13, 16, 22, 23]
    assert ev["at_risk"].tolist() == [21, 17, 15, 12, 11, 7, 6]
    # S = 18/21; × 16/17; × 14/15; × 11/12; × 10/11; × 6/7; × 5/6
    expected = np.cumprod([18 / 21, 16 / 17, 14 / 15, 11 / 12, 10 / 11, 6 / 7, 5 / 6])
    np.testing.assert_allclose(ev["survival"], expected)
    # the textbook's rounded table
    np.testing.assert_allclose(
        ev["survival"], [0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482], atol=5e-5
    )
    assert km.loc[0.0, "survival"] == 1.0 and km.loc[0.0, "at_risk"] == 21
    assert km.loc[32.0, "censored"] == 2
    assert median_survival(km) == 23.0  # first time S ≤ 0.5


def test_kaplan_meier_no_events_median_is_infinite():
    km = kaplan_meier([1, 2], [False, False])
    assert km["survival"].tolist() == [1.0, 1.0, 1.0]
    assert median_survival(km) == math.inf


def test_kaplan_meier_bad_input():
    with pytest.raises(ValueError, match="survival.duration: 1 negative"):
        kaplan_meier([1, -1], [True, True])
    with pytest.raises(ValueError, match="survival: table is empty"):
        kaplan_meier([], [])


def test_customer_lifetimes():
    orders = pd.concat(
        [ORDERS, _orders([(4, "2024-06-01", 5.0), (4, "2024-12-01", 5.0)])], ignore_index=True
    )
    got = customer_lifetimes(orders, "2024-12-31", inactivity_days=180)
    # 1: last order 1 Mar, 305 days before the end > 180 → churned, 5 Jan → 1 Mar = 56 days
    # 2: churned, 21 days; 3: churned, single order → 0 days
    # 4: last order 30 days before the end → censored, 1 Jun → 31 Dec = 213 days
    assert got["duration"].tolist() == [56.0, 21.0, 0.0, 213.0]
    assert got["event"].tolist() == [True, True, True, False]


# --- early warning ---------------------------------------------------------------

EW_ORDERS = _orders(
    [
        (1, "2024-01-10", 100.0),
        (1, "2024-06-15", 100.0),
        (2, "2024-03-20", 500.0),
        (3, "2024-02-01", 50.0),
        (4, "2024-01-05", 20.0),
        (5, "2024-03-25", 30.0),
        (5, "2024-05-01", 30.0),
    ]
)


def _tickets():
    return pd.DataFrame(
        {
            "customer_id": [2, 3, 4, 5],
            "created_at": pd.to_datetime(["2024-05-01", "2024-03-01", "2024-05-02", "2024-06-01"]),
            "resolved": [True, False, False, True],
            "effort_score": [2, 6, 3, 3],
            "repair_outcome": ["-", "-", "-", "delayed"],
        }
    )


def _surveys():
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 4],
            "responded_at": pd.to_datetime(["2024-05-01", "2024-05-01", "2024-06-01"]),
            "nps": [10, 5, 9],
            "csat": [5, 3, 2],
        }
    )


def _messages():
    rows = [
        (1, "win_back", True, False),
        (3, "win_back", True, False),
        (3, "win_back", True, False),
        (4, "newsletter", True, False),
        (4, "newsletter", True, False),
        (5, "birthday", True, True),
        (5, "birthday", True, False),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "message_type", "delivered", "clicked"])
    df["sent_at"] = pd.Timestamp("2024-05-15")
    return df


def test_early_warning_flags_hand_computed():
    got = early_warning_flags(
        EW_ORDERS,
        previous="2024-04-01",
        as_of="2024-07-01",
        tickets=_tickets(),
        surveys=_surveys(),
        messages=_messages(),
    )
    # Quintile scores, 5 customers → score = rank (ties by customer id).
    # At 1 Apr: recency 82, 12, 60, 87, 7 → R 2,4,3,1,5; frequency all 1 → F 1,2,3,4,5;
    #   monetary 100, 500, 50, 20, 30 → M 4,5,3,1,2; R+F+M = 7, 11, 9, 6, 12
    # At 1 Jul: recency 16, 103, 151, 178, 61 → R 5,3,2,1,4; frequency 2,1,1,1,2 → F 4,1,2,3,5;
    #   monetary 200, 500, 50, 20, 60 → M 4,5,2,1,3; R+F+M = 13, 9, 6, 5, 12
    # falling: 2 (11→9), 3 (9→6), 4 (6→5); not 1 (7→13) nor 5 (12→12)
    assert got["rfm_falling"].tolist() == [False, True, True, True, False]
    # tickets in [1 Apr, 1 Jul): 2 fine; 3 is before the window; 4 unresolved; 5 repair delayed
    assert got["bad_service"].tolist() == [False, False, False, True, True]
    # surveys: 2 NPS 5 (detractor); 4 CSAT 2; 1 NPS 10 CSAT 5 is fine
    assert got["negative_survey"].tolist() == [False, True, False, True, False]
    # messages: 3 had two targeted win-backs, no click; 1 only one; 4 only newsletters; 5 clicked
    assert got["no_response"].tolist() == [False, False, True, False, False]
    assert got["n_flags"].tolist() == [0, 2, 2, 3, 1]
    assert got["at_risk"].tolist() == [False, True, True, True, True]


def test_early_warning_with_fixed_cuts_and_without_side_tables():
    cuts = {
        "recency_cuts": [30, 60, 90, 120],
        "frequency_cuts": [1, 2, 3, 4],
        "monetary_cuts": [50, 100, 200, 400],
    }
    got = early_warning_flags(EW_ORDERS, "2024-04-01", "2024-07-01", score_cuts=cuts)
    # 1 Apr → 1 Jul, fixed cut-offs (R from recency ≤30:5 ≤60:4 ≤90:3 ≤120:2 else 1):
    # M from spend ≤50:1 ≤100:2 ≤200:3 ≤400:4 else 5; F from orders ≤1:1 ≤2:2 …
    # 1: R 3→5, F 1→2, M 2→3: 6 → 10, rising      2: R 5→2 (12 → 103 days): 11 → 8
    # 3: R 4→1 (60 → 151): 6 → 3                   4: R 3→1 (87 → 178): 5 → 3
    # 5: R 5→3 (7 → 61 days), F 1→2, M 1→2 (30 → 60): 7 → 7, not falling
    assert got["rfm_falling"].tolist() == [False, True, True, True, False]
    assert not got[["bad_service", "negative_survey", "no_response"]].any().any()


def test_early_warning_bad_input():
    with pytest.raises(ValueError, match="after previous"):
        early_warning_flags(EW_ORDERS, "2024-07-01", "2024-04-01")
    with pytest.raises(ValueError, match=r"tickets: missing column\(s\) resolved"):
        early_warning_flags(
            EW_ORDERS, "2024-04-01", "2024-07-01", tickets=_tickets().drop(columns="resolved")
        )
    with pytest.raises(ValueError, match="surveys.nps: expected numeric"):
        early_warning_flags(
            EW_ORDERS, "2024-04-01", "2024-07-01", surveys=_surveys().assign(nps="5")
        )


# --- economics of a retention uplift ----------------------------------------------


def test_retention_uplift_infinite_horizon():
    got = retention_uplift_profit(100, 0.80, 0.05, 0.10)
    # q = r / (1 + d); value = 100 / (1 - q) = 100 (1 + d) / (1 + d - r)
    # r 0.80: 100 × 1.1 / 0.30 = 366.67 ; r 0.85: 100 × 1.1 / 0.25 = 440.00
    assert got["retention_uplifted"] == pytest.approx(0.85)
    assert got["baseline_profit"] == pytest.approx(110 / 0.3)
    assert got["uplifted_profit"] == pytest.approx(440.0)
    assert got["pct_increase"] == pytest.approx((440 - 110 / 0.3) / (110 / 0.3))  # = 0.20
    # with a 200 € acquisition cost: 166.67 → 240.00, i.e. +44 %
    got = retention_uplift_profit(100, 0.80, 0.05, 0.10, acquisition_cost=200)
    assert got["baseline_profit"] == pytest.approx(110 / 0.3 - 200)
    assert got["pct_increase"] == pytest.approx(0.44)


def test_retention_uplift_finite_horizon_geometric_sum():
    got = retention_uplift_profit(100, 0.80, 0.05, 0.10, horizon=3)
    # three periods: 100 × (1 + q + q²)
    q1, q2 = 0.80 / 1.1, 0.85 / 1.1
    base = 100 * (1 + q1 + q1**2)  # = 225.62
    up = 100 * (1 + q2 + q2**2)  # = 236.98
    assert got["baseline_profit"] == pytest.approx(base)
    assert got["uplifted_profit"] == pytest.approx(up)
    assert got["profit_increase"] == pytest.approx(up - base)
    assert got["pct_increase"] == pytest.approx(0.050366, abs=1e-6)


def test_retention_uplift_relative_and_no_discounting():
    got = retention_uplift_profit(100, 0.80, 0.05, 0.10, uplift_kind="relative")
    # 0.80 × 1.05 = 0.84; 100 × 1.1 / (1.1 - 0.84) = 423.08; +15.38 %
    assert got["retention_uplifted"] == pytest.approx(0.84)
    assert got["uplifted_profit"] == pytest.approx(110 / 0.26)
    assert got["pct_increase"] == pytest.approx(0.153846, abs=1e-6)
    # d = 0, r = 0.8: 100 / (1 - 0.8) = 500 ; finite H with r = 1: margin × H
    assert retention_uplift_profit(100, 0.8, 0.0, 0.0)["baseline_profit"] == pytest.approx(500)
    assert retention_uplift_profit(10, 0.95, 0.05, 0.0, horizon=4)["uplifted_profit"] == 40


def test_retention_uplift_bad_input():
    with pytest.raises(ValueError, match="uplifted retention"):
        retention_uplift_profit(100, 0.97, 0.05, 0.1)
    with pytest.raises(ValueError, match="uplift_kind"):
        retention_uplift_profit(100, 0.8, 0.05, 0.1, uplift_kind="percent")
    with pytest.raises(ValueError, match="margin: must be a non-negative"):
        retention_uplift_profit(-1, 0.8, 0.05, 0.1)
    with pytest.raises(ValueError, match="horizon"):
        retention_uplift_profit(100, 0.8, 0.05, 0.1, horizon=0)


@pytest.mark.parametrize(
    ("orders", "match"),
    [
        (ORDERS.drop(columns="customer_id"), r"orders: missing column\(s\) customer_id"),
        (ORDERS.iloc[:0], "orders: table is empty"),
        (ORDERS.assign(order_date="2024-01-01"), "orders.order_date: expected datetime"),
    ],
)
def test_orders_bad_input(orders, match):
    with pytest.raises(ValueError, match=match):
        cohort_retention(orders)
    with pytest.raises(ValueError, match=match):
        repeat_purchase_rate(orders)
