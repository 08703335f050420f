"""Cut-off ladders, the explorer's segment table and per-segment KPIs on tiny hand-computed tables."""

import math

import pandas as pd
import pytest

from sim.analytics.rfm import (
    SEGMENTS,
    ladder_cuts,
    rfm_scores,
    rfm_table,
    segment_kpis,
    segments_at_cutoffs,
)


def _orders(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "net_amount"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


def test_ladder_cuts_both_directions():
    assert ladder_cuts(4000) == [500.0, 1000.0, 2000.0, 4000.0]
    assert ladder_cuts(30, higher_is_better=False) == [30.0, 60.0, 120.0, 240.0]
    assert ladder_cuts(9, ratio=3) == [1 / 3, 1.0, 3.0, 9.0]


@pytest.mark.parametrize("top, ratio", [(0, 2), (-1, 2), (10, 1), (float("nan"), 2)])
def test_ladder_cuts_rejects_bad_input(top, ratio):
    with pytest.raises(ValueError):
        ladder_cuts(top, ratio=ratio)


def test_segments_at_cutoffs_hand_computed():
    # recency cut-offs 10, 20, 40, 80 days: ≤ 10 → R5, ≤ 20 → R4, ≤ 40 → R3, ≤ 80 → R2, else R1
    rfm = pd.DataFrame(
        {"recency_days": [5, 50, 500], "frequency": [10, 2, 1], "monetary": [5000.0, 1500.0, 90.0]},
        index=pd.Index([1, 2, 3], name="customer_id"),
    )
    out = segments_at_cutoffs(rfm, recent_days=10, frequent_orders=8, high_spend=4000)
    # 1: R5, F5 (10 > 8), M5 → Champions
    # 2: R2 (40 < 50 ≤ 80), F2 (1 < 2 ≤ 2), M3 (1000 < 1500 ≤ 2000) → FM 3 (2.5 up) → At risk
    # 3: R1 (> 80), F1 (1 ≤ 1), M1 (90 ≤ 500) → Lost
    assert list(out.index) == list(SEGMENTS)
    assert out.loc["Champions", "customers"] == 1
    assert out.loc["At risk", "customers"] == 1
    assert out.loc["Lost", "customers"] == 1
    assert out["customers"].sum() == 3
    assert out.loc["Champions", "revenue_share"] == pytest.approx(5000 / 6590)
    assert out.loc["Lost", "revenue_per_customer"] == pytest.approx(90.0)
    assert math.isnan(out.loc["Loyal", "revenue_per_customer"])
    assert list(out.columns) == [
        "customers",
        "customer_share",
        "revenue_share",
        "revenue_per_customer",
    ]


ORDERS = _orders(
    [
        (1, "2024-01-01", 100.0),
        (1, "2024-01-21", 50.0),
        (2, "2024-01-11", 80.0),
        (1, "2024-02-10", 30.0),  # next period
        (3, "2024-01-05", 20.0),
        (3, "2024-03-10", 10.0),  # after the next period's end
    ]
)


def test_segment_kpis_hand_computed():
    table = rfm_table(ORDERS, "2024-02-01").assign(segment=["A", "B", "B"])
    surveys = pd.DataFrame({"customer_id": [1, 1, 2, 3, 99], "nps": [10, 6, 9, 8, 0]})
    out = segment_kpis(table, ORDERS, surveys, start="2024-02-01", end="2024-03-01")
    assert list(out.index) == ["A", "B"]
    assert out.loc["A", "customers"] == 1 and out.loc["B", "customers"] == 2
    assert out.loc["A", "revenue_share"] == pytest.approx(150 / 250)
    assert out.loc["A", "repeat_rate"] == 1.0
    assert out.loc["B", "repeat_rate"] == 0.0
    assert out.loc["A", "active_next"] == 1.0
    assert out.loc["B", "active_next"] == 0.0  # customer 3 bought after the window
    assert out.loc["A", "revenue_next_per_customer"] == pytest.approx(30.0)
    # A: one promoter, one detractor → 0; B: a promoter (9) and a passive (8) → 50
    assert out.loc["A", "nps"] == pytest.approx(0.0)
    assert out.loc["B", "nps"] == pytest.approx(50.0)
    assert out.loc["B", "nps_responses"] == 2  # customer 99 is not in the table


def test_segment_kpis_default_segments_keep_all_rows():
    table = rfm_scores(rfm_table(ORDERS, "2024-02-01"))
    out = segment_kpis(table)
    assert list(out.index) == list(SEGMENTS)
    assert out["customers"].sum() == 3
    assert "active_next" not in out.columns and "nps" not in out.columns


def test_segment_kpis_needs_start_with_orders():
    table = rfm_table(ORDERS, "2024-02-01").assign(segment="A")
    with pytest.raises(ValueError, match="start"):
        segment_kpis(table, ORDERS)
