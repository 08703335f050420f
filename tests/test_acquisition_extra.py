"""Budget sliders per channel, lead temperature and revenue by tenure on tiny hand-computed tables."""

import pandas as pd
import pytest

from sim.analytics.acquisition import (
    budget_allocation,
    budget_by_channel,
    lead_temperature,
    revenue_by_tenure,
)


def test_budget_by_channel_matches_budget_allocation():
    cpl, conv = {"tv": 50.0, "social": 10.0}, {"tv": 0.1, "social": 0.05}
    out = budget_by_channel(1000, cpl, conv, tv=1, social=3)
    assert out["customers"].tolist() == [0.5, 3.75, 4.25]
    pd.testing.assert_frame_equal(out, budget_allocation({"tv": 1, "social": 3}, 1000, cpl, conv))


def test_budget_by_channel_names_a_missing_channel():
    with pytest.raises(ValueError, match="cpl: no value for channel"):
        budget_by_channel(1000, {"tv": 50.0}, {"tv": 0.1, "radio": 0.1}, tv=1, radio=1)


def test_lead_temperature_bands():
    s = pd.Series([-20.0, 14.9, 15.0, 29.9, 30.0, 58.0], index=list("abcdef"))
    out = lead_temperature(s, warm=15, hot=30)
    assert out.tolist() == ["cold", "cold", "warm", "warm", "hot", "hot"]
    assert list(out.index) == list("abcdef")
    assert list(out.cat.categories) == ["cold", "warm", "hot"] and out.cat.ordered


def test_lead_temperature_rejects_inverted_thresholds():
    with pytest.raises(ValueError, match="hot"):
        lead_temperature(pd.Series([1.0]), warm=30, hot=15)


def _customers():
    return pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "signup_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2024-06-01"]),
            "acquisition_channel": ["tv", "tv", "social", "social"],
        }
    )


def _orders():
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 4],
            "order_date": pd.to_datetime(
                ["2024-01-01", "2024-01-15", "2024-02-05", "2024-01-01", "2024-01-02", "2024-06-01"]
            ),
            "net_amount": [100.0, 20.0, 40.0, 60.0, 80.0, 500.0],
        }
    )


def test_revenue_by_tenure_hand_computed():
    # end 2024-03-15: customers 1-3 observed 2 months (61 days ≤ 74); customer 4 is too recent
    out = revenue_by_tenure(_customers(), _orders(), months=2, end="2024-03-15")
    assert list(out.columns) == [1, 2]
    # tv: month 1 = (100 + 20 + 60) / 2 customers; month 2 (day 35) = 40 / 2
    assert out.loc["tv"].tolist() == pytest.approx([90.0, 20.0])
    assert out.loc["social"].tolist() == pytest.approx([80.0, 0.0])
    assert out.attrs["customers"] == {"social": 1, "tv": 2}


def test_revenue_by_tenure_needs_observed_customers():
    with pytest.raises(ValueError, match="observed for 12 months"):
        revenue_by_tenure(_customers(), _orders(), months=12, end="2024-03-15")
    with pytest.raises(ValueError, match="months"):
        revenue_by_tenure(_customers(), _orders(), months=0)
