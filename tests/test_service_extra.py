"""Course additions to sim.analytics.service, on tiny hand-computed tables."""

import pandas as pd
import pytest

from sim.analytics.service import (
    advisor_contact_lift,
    erlang_c,
    phone_arrival_rate,
    service_churn_truth,
    staffing_at,
)
from sim.studio.staffing import simulated_staffing_table


def _tickets(rows):
    df = pd.DataFrame(
        rows, columns=["customer_id", "created_at", "channel", "abandoned", "effort_score"]
    )
    df["created_at"] = pd.to_datetime(df["created_at"])
    return df


def test_phone_arrival_rate():
    t = _tickets(
        [
            (1, "2024-01-01", "phone", False, 2),
            (2, "2024-01-05", "phone", False, 2),
            (3, "2024-01-11", "phone", True, 6),
            (4, "2024-01-03", "email", False, 1),
        ]
    )
    # 3 calls over 10 days of 10 open hours
    assert phone_arrival_rate(t, 10) == pytest.approx(3 / (10 * 600))
    with pytest.raises(ValueError, match="open_hours"):
        phone_arrival_rate(t, 0)


def test_service_churn_truth():
    t = _tickets(
        [
            (1, "2024-01-01", "phone", True, 3),  # bad (abandoned), dropped in window
            (1, "2024-03-01", "phone", False, 1),  # not the first ticket
            (2, "2024-01-01", "email", False, 6),  # bad (effort), never dropped
            (3, "2024-01-01", "phone", False, 2),  # good, dropped after the window
            (4, "2024-01-01", "chat", False, 1),  # good, dropped in window
            (5, "2024-12-01", "chat", False, 1),  # window runs past the end: left out
        ]
    )
    truth = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "dropout_date": pd.to_datetime(["2024-02-01", None, "2024-12-01", "2024-03-01", None]),
        }
    )
    out = service_churn_truth(t, truth, window_days=90)
    assert out.loc["bad"].tolist()[:3] == [2, 1, 1]
    assert out.loc["good"].tolist()[:3] == [2, 1, 1]
    assert out["dropped_share"].tolist() == [0.5, 0.5]


def test_advisor_contact_lift():
    tasks = pd.DataFrame(
        {
            "task_id": [1, 2, 3],
            "customer_id": [1, 2, 3],
            "done_at": pd.to_datetime(["2024-01-01"] * 3),
            "outcome": ["reached", "reached", "no_answer"],
        }
    )
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "order_date": pd.to_datetime(["2024-01-10", "2024-03-01", "2024-01-01", "2024-01-20"]),
            "net_amount": [300.0, 999.0, 500.0, 100.0],
        }
    )
    out = advisor_contact_lift(orders, tasks, window_days=28)
    assert out.loc["reached", "tasks"] == 2 and out.loc["reached", "buyers"] == 1
    assert out.loc["reached", "revenue_per_task"] == pytest.approx(150.0)
    assert out.loc["no_answer", "revenue_per_task"] == pytest.approx(100.0)
    assert out.loc["reached", "lift_vs_no_answer"] == pytest.approx(0.5)


def test_simulated_staffing_table_matches_erlang_c_roughly():
    tab = simulated_staffing_table(0.2, 5.0, [2, 3], calls=4000, seed=1)
    assert list(tab.index) == [2, 3]
    assert tab.loc[2, "p_wait"] == pytest.approx(erlang_c(0.2, 5.0, 2).p_wait)
    # M/M/c without patience: the short run lands near the analytic P(wait)
    assert abs(tab.loc[2, "sim_p_wait"] - tab.loc[2, "p_wait"]) < 0.1
    assert (tab["sim_abandonment"] == 0).all()
    row = staffing_at(tab, 3)
    assert list(row.index) == ["Erlang C", "simulation"]
    assert row.loc["Erlang C", "abandonment"] == 0.0
    with pytest.raises(ValueError, match="agents"):
        staffing_at(tab, 7)
    with pytest.raises(ValueError, match="calls"):
        simulated_staffing_table(0.2, 5.0, [2], calls=10)
