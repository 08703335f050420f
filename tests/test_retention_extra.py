"""Course additions to sim.analytics.retention, on tiny hand-computed tables."""

import math

import pandas as pd
import pytest

from sim.analytics.retention import (
    cohort_survivors,
    flag_scorecard,
    retention_economics_inputs,
    retention_uplift_profit,
)


def _orders(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "net_amount"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["order_id"] = range(len(df))
    return df


ORDERS = _orders(
    [
        (1, "2024-01-10", 100.0),  # cohort Q1, buys again in Q3
        (1, "2024-08-01", 100.0),
        (2, "2024-02-01", 50.0),  # cohort Q1, never again
        (3, "2024-03-01", 80.0),  # cohort Q1, buys in Q2
        (3, "2024-05-01", 20.0),
        (4, "2024-05-01", 60.0),  # cohort Q2
        (4, "2024-12-01", 60.0),
    ]
)
TRUTH = pd.DataFrame(
    {
        "customer_id": [1, 2, 3, 4],
        "first_dropout_date": pd.to_datetime([None, "2024-02-01", "2024-05-01", None]),
    }
)


def test_cohort_survivors_counts_truth_and_last_seen():
    out = cohort_survivors(ORDERS, TRUTH, "2024-01-01", "2024-04-01", period_months=3)
    assert list(out.index) == [0, 1, 2, 3]
    assert out["period_start"].tolist() == list(
        pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01"])
    )
    # truth: 2 gone Feb (before Apr), 3 gone May (before Jul), 1 alive
    assert out["true_active"].tolist() == [3, 2, 1, 1]
    # last orders: 1 → Aug, 2 → Feb, 3 → May
    assert out["seen_active"].tolist() == [3, 2, 1, 0]


def test_cohort_survivors_bad_input():
    with pytest.raises(ValueError, match="no customer"):
        cohort_survivors(ORDERS, TRUTH, "2023-01-01", "2023-04-01")
    with pytest.raises(ValueError, match="period_months"):
        cohort_survivors(ORDERS, TRUTH, "2024-01-01", "2024-04-01", period_months=0)
    with pytest.raises(ValueError, match="cohort_end"):
        cohort_survivors(ORDERS, TRUTH, "2024-04-01", "2024-01-01")


def test_flag_scorecard_precision_recall_lift():
    flags = pd.DataFrame(
        {
            "a": [True, True, False, False],
            "b": [True, False, False, False],
            "n_flags": [2, 1, 0, 0],
        },
        index=pd.Index([1, 2, 3, 4], name="customer_id"),
    )
    dropped = pd.Series([True, False, True], index=[1, 2, 3])  # 4 missing → stayed
    out = flag_scorecard(flags, dropped)
    assert list(out.index) == ["a", "b"]
    a = out.loc["a"]
    assert a["flagged"] == 2 and a["true_positives"] == 1
    assert a["precision"] == pytest.approx(0.5)
    assert a["recall"] == pytest.approx(0.5)
    assert a["lift"] == pytest.approx(0.5 / 0.5)
    assert out.loc["b", "precision"] == 1.0 and out.loc["b", "lift"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="boolean"):
        flag_scorecard(flags[["n_flags"]], dropped)


def test_retention_economics_inputs():
    spend = pd.DataFrame(
        {
            "month": pd.to_datetime(["2024-07-01", "2024-08-01", "2024-08-01", "2024-01-01"]),
            "channel": ["tv", "email", "tv", "tv"],
            "purpose": ["acquisition", "retention", "acquisition", "acquisition"],
            "spend": [300.0, 10.0, 100.0, 999.0],
        }
    )
    out = retention_economics_inputs(
        ORDERS, spend, ("2024-01-01", "2024-07-01"), ("2024-07-01", "2025-01-01"), 0.5
    )
    # active H1: 1, 2, 3, 4; active H2: 1, 4 → retained 2 of 4
    assert out["retention_rate"] == pytest.approx(0.5)
    assert out["retained"] == 2
    # H2 revenue 160 over 2 active customers, margin 50 %
    assert out["margin_per_customer"] == pytest.approx(40.0)
    assert out["new_customers"] == 0 and math.isnan(out["cac"])
    assert out["acquisition_spend"] == 400.0 and out["retention_spend"] == 10.0
    assert out["retention_cost"] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="gross_margin"):
        retention_economics_inputs(
            ORDERS, spend, ("2024-01-01", "2024-07-01"), ("2024-07-01", "2025-01-01"), 1.5
        )


def test_inputs_feed_the_uplift_formula():
    out = retention_economics_inputs(
        ORDERS,
        pd.DataFrame(
            {
                "month": pd.to_datetime(["2024-03-01"]),
                "channel": ["tv"],
                "purpose": ["acquisition"],
                "spend": [30.0],
            }
        ),
        ("2023-07-01", "2024-01-01"),
        ("2024-01-01", "2024-07-01"),
        0.5,
    )
    assert math.isnan(out["retention_rate"])  # nobody active in period 1
    assert out["new_customers"] == 4 and out["cac"] == pytest.approx(7.5)
    res = retention_uplift_profit(out["margin_per_customer"], 0.5, 0.05, 0.1)
    assert res["pct_increase"] > 0
