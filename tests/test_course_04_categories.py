"""Products (categories) per customer by group, the verdict on a gap, the state on a date.

Every expected number is worked by hand from the small tables below.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analytics import rfm


def _orders() -> pd.DataFrame:
    rows = [  # customer, date, category
        (1, "2024-01-05", "shoes"),
        (1, "2024-02-05", "shoes"),
        (1, "2024-03-05", "accessories"),
        (2, "2024-01-10", "shoes"),
        (3, "2024-01-10", "shoes"),
        (3, "2024-04-10", "accessories"),
        (3, "2024-06-10", "leather_goods"),
        (3, "2025-02-01", "watches_jewellery"),  # after the cut-off: not counted
        (4, "2024-05-01", "accessories"),
        (4, "2024-07-01", "accessories"),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "category"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["channel"] = "store"
    df["net_amount"] = 100.0
    return df


def _groups() -> pd.Series:
    # Customer 5 has no order: 0 categories.
    labels = ["gold", "gold", "rest", "rest", "rest"]
    return pd.Series(
        pd.Categorical(labels, categories=["gold", "rest", "empty"], ordered=True),
        index=pd.Index([1, 2, 3, 4, 5], name="customer_id"),
        name="tier",
    )


def test_breadth_by_group_matches_the_hand_computed_table():
    got = rfm.breadth_by_group(_orders(), _groups(), before="2025-01-01", level=0.95)
    assert list(got.index) == ["gold", "rest", "empty"]
    # gold: categories 2 and 1; rest: 3, 1 and 0.
    assert got.loc["gold", "customers"] == 2 and got.loc["rest", "customers"] == 3
    assert got.loc["gold", "per_customer"] == pytest.approx(1.5)
    assert got.loc["rest", "per_customer"] == pytest.approx(4 / 3)
    # s.d. of (2, 1) is sqrt(0.5); of (3, 1, 0) sqrt(7/3): se = s / sqrt(n).
    assert got.loc["gold", "se"] == pytest.approx(0.5)
    assert got.loc["rest", "se"] == pytest.approx(math.sqrt(7 / 3) / math.sqrt(3))
    half = 12.7062047 * 0.5  # t(0.975, 1 df)
    assert got.loc["gold", "low"] == pytest.approx(1.5 - half, abs=1e-6)
    assert got.loc["gold", "high"] == pytest.approx(1.5 + half, abs=1e-6)
    assert got.loc["gold", "multi_share"] == pytest.approx(0.5)
    assert got.loc["rest", "multi_share"] == pytest.approx(1 / 3)
    assert got.loc["empty", "customers"] == 0 and np.isnan(got.loc["empty", "per_customer"])


def test_breadth_counts_every_order_without_a_cut_off_and_any_column():
    got = rfm.breadth_by_group(_orders(), _groups())
    assert got.loc["rest", "per_customer"] == pytest.approx((4 + 1 + 0) / 3)
    by_channel = rfm.breadth_by_group(_orders(), _groups(), column="channel")
    assert by_channel.loc["rest", "per_customer"] == pytest.approx(2 / 3)


def test_breadth_verdict_is_a_welch_interval_of_the_gap():
    table = rfm.breadth_by_group(_orders(), _groups(), before="2025-01-01", level=0.95)
    v = rfm.breadth_verdict(table, "gold", "rest", level=0.95)
    va, vb = 0.25, (7 / 3) / 3
    df = (va + vb) ** 2 / (va**2 / 1 + vb**2 / 2)
    assert df == pytest.approx(2.8937, abs=1e-3)
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    assert v["gap"] == pytest.approx(1.5 - 4 / 3)
    assert v["low"] == pytest.approx(1 / 6 - half) and v["high"] == pytest.approx(1 / 6 + half)
    assert v["within_noise"] is True
    assert "within noise" in v["text"] and "gold: 1.50" in v["text"]


def test_breadth_verdict_says_when_a_gap_is_larger_than_noise():
    table = pd.DataFrame(
        {"customers": [400, 400], "per_customer": [2.0, 1.5], "se": [0.05, 0.05]},
        index=["committed", "lost"],
    )
    v = rfm.breadth_verdict(table, "committed", "lost", level=0.9)
    # Welch with equal variances and sizes: df = 2 (n - 1) = 798.
    half = stats.t.ppf(0.95, 798) * math.sqrt(2 * 0.05**2)
    assert v["low"] == pytest.approx(0.5 - half) and v["within_noise"] is False
    assert "larger than noise" in v["text"]


def test_breadth_rejects_bad_input_naming_the_field():
    with pytest.raises(ValueError, match="level"):
        rfm.breadth_by_group(_orders(), _groups(), level=1.5)
    with pytest.raises(ValueError, match="groups"):
        rfm.breadth_by_group(_orders(), [1, 2])
    table = rfm.breadth_by_group(_orders(), _groups())
    with pytest.raises(ValueError, match="'platinum' is not in the table"):
        rfm.breadth_verdict(table, "platinum", "rest")


def _states() -> pd.DataFrame:
    rows = [  # person, timestamp, from, to
        (1, "2024-01-01 10:00", "-", "engaged"),
        (2, "2024-02-01 09:00", "-", "cooling"),
        (1, "2024-03-01 12:00", "engaged", "committed"),
        (1, "2024-06-01 08:00", "committed", "cooling"),
    ]
    df = pd.DataFrame(rows, columns=["person_id", "timestamp", "from_state", "to_state"])
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    return df


def test_relationship_on_one_date():
    got = rfm.relationship_on(_states(), "2024-01-15")
    assert got.to_dict() == {1: "engaged"}  # person 2 not yet acquired
    got = rfm.relationship_on(_states(), "2024-03-01 12:00")
    assert got.to_dict() == {1: "committed", 2: "cooling"}
    got = rfm.relationship_on(_states(), "2024-03-01 12:00", before=True)
    assert got.to_dict() == {1: "engaged", 2: "cooling"}
    assert rfm.relationship_on(_states(), "2025-01-01").to_dict() == {1: "cooling", 2: "cooling"}


def test_relationship_on_one_date_per_row():
    when = pd.to_datetime(
        [
            "2024-03-01 12:00",
            "2024-03-01 12:00",
            "2024-01-01 10:00",
            "2024-01-01 00:00",
            "2024-07-01 00:00",
        ]
    )
    person = [1, 1, 1, 2, 2]
    after = rfm.relationship_on(_states(), when, person)
    assert list(after) == ["committed", "committed", "engaged", None, "cooling"]
    met = rfm.relationship_on(_states(), when, person, before=True)
    # The state an event met: the change at the same second is its own; the
    # acquisition still counts at its time.
    assert list(met) == ["engaged", "engaged", "engaged", None, "cooling"]
