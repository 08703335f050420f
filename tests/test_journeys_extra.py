"""Course additions to sim.analytics.journeys on tiny hand-computed tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analytics import journeys as jr

D = pd.Timestamp("2024-01-01")


def at(day: float) -> pd.Timestamp:
    return D + pd.Timedelta(days=day)


def tp_table(rows) -> pd.DataFrame:
    df = pd.DataFrame(
        rows,
        columns=["touchpoint_id", "customer_id", "day", "channel", "touchpoint", "stage", "impression"],
    )  # fmt: skip
    df["timestamp"] = D + pd.to_timedelta(df.pop("day"), unit="D")
    return df


# customer 1: buys twice, is clicked and surveyed; customer 2: one order, lapses, won back
TP = tp_table(
    [
        (1, 1, 0, "crm", "stage_change", "prospect", "neutral"),
        (2, 1, 5, "social", "message_click", "prospect", "positive"),  # 5 days before a buy: pre
        (3, 1, 10, "store", "purchase", "new", "positive"),  # during
        (4, 1, 12, "email", "survey", "new", "negative"),  # 2 days after: post
        (5, 1, 40, "email", "message_click", "new", "positive"),  # 30 after / 20 before: between
        (6, 1, 60, "store", "purchase", "active", "positive"),  # during
        (7, 2, 0, "ecommerce", "purchase", "new", "positive"),
        (8, 2, 100, "crm", "stage_change", "lapsed", "neutral"),
        (9, 2, 120, "crm", "stage_change", "won_back", "neutral"),
        (10, 2, 121, "phone", "service_contact", "won_back", "negative"),  # 121 after: between
    ]
)
ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 3, 4],
        "customer_id": [1, 1, 2, 3],
        "order_date": [at(10), at(60), at(0), at(3)],
        "net_amount": [100.0, 50.0, 80.0, 20.0],
    }
)
LEADS = pd.DataFrame(
    {
        "lead_id": [1, 2, 3, 4, 5],
        "email_opens": [2, 0, 1, 0, 0],
        "attended_event": [False, True, False, False, False],
        "converted": [True, True, False, False, True],
        "customer_id": pd.array([1, 2, pd.NA, pd.NA, 3], dtype="Int64"),
    }
)


def test_lifecycle_funnel_counts_each_stage():
    f = jr.lifecycle_funnel(LEADS, ORDERS, TP)
    assert list(f.index) == list(jr.FUNNEL_STAGES)
    # leads 5; engaged 3 (opens or event); converted 3; engaged after first order:
    # customer 1 (survey day 12 > first order day 10); customer 2's call day 121 > 0 → 2;
    # repeat buyers: customer 1; won back: customer 2.
    assert f["people"].tolist() == [5, 3, 3, 2, 1, 1]
    assert f.loc["conversion", "share_of_leads"] == pytest.approx(3 / 5)
    assert f.loc["engagement", "step"] == pytest.approx(2 / 3)
    assert f.loc["awareness", "step"] == 1.0
    assert f["definition"].notna().all()


def test_activity_phases_by_nearest_purchase():
    ph = jr.activity_phases(TP, window_days=14).set_index("touchpoint_id")["phase"]
    assert 1 not in ph.index and 8 not in ph.index  # stage changes left out
    assert ph.to_dict() == {
        2: "pre",
        3: "during",
        4: "post",
        5: "between",
        6: "during",
        7: "during",
        10: "between",
    }


def test_activity_phases_nearer_purchase_wins_and_ties_go_to_post():
    tp = tp_table(
        [
            (1, 1, 0, "store", "purchase", "new", "positive"),
            (2, 1, 4, "email", "message_click", "new", "positive"),  # 4 after, 6 before → post
            (3, 1, 8, "email", "message_click", "new", "positive"),  # 8 after, 2 before → pre
            (4, 1, 5, "email", "survey", "new", "positive"),  # 5 and 5 → post
            (5, 1, 10, "store", "purchase", "new", "positive"),
        ]
    )
    ph = jr.activity_phases(tp, window_days=14).set_index("touchpoint_id")["phase"]
    assert ph[2] == "post" and ph[3] == "pre" and ph[4] == "post"


def test_activity_cycle_table():
    c = jr.activity_cycle(TP, window_days=14)
    assert list(c.columns) == [*jr.ACTIVITY_PHASES, "total"]
    assert c.loc["purchase", "during"] == 3
    assert c.loc["message_click"].tolist() == [1, 0, 0, 1, 2]
    with pytest.raises(ValueError, match="window_days"):
        jr.activity_cycle(TP, window_days=0)
    with pytest.raises(ValueError, match="by"):
        jr.activity_cycle(TP, by="nope")


def test_customer_journey_days_since_first():
    j = jr.customer_journey(TP, 2)
    assert j["touchpoint_id"].tolist() == [7, 8, 9, 10]
    assert j["day"].tolist() == [0.0, 100.0, 120.0, 121.0]
    with pytest.raises(KeyError, match="99"):
        jr.customer_journey(TP, 99)


def test_segment_funnel_against_everyone():
    s = jr.segment_funnel(TP, [2])
    assert s.loc["won_back", "segment"] == 1.0
    assert s.loc["won_back", "everyone"] == 0.5
    assert s.loc["won_back", "difference"] == 0.5
    assert (s["customers"] == 1).all()
    with pytest.raises(ValueError, match="none of these"):
        jr.segment_funnel(TP, [42])


def test_repair_journeys_and_summary():
    tickets = pd.DataFrame(
        {
            "ticket_id": [1, 2, 3, 4],
            "customer_id": [1, 2, 3, 1],
            "created_at": [at(0), at(0), at(0), at(50)],
            "reason": ["repair", "repair", "repair", "delivery"],
            "repair_outcome": ["completed", "delayed", "rejected", "-"],
            "repair_days": [10.0, 30.0, 0.0, np.nan],
        }
    )
    messages = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 2, 3, 3, 1],
            "sent_at": [at(0), at(10), at(0), at(21), at(30), at(0), at(0), at(40)],
            "channel": ["email", "email", "sms", "sms", "email", "sms", "sms", "email"],
            "message_type": ["repair_update"] * 7 + ["newsletter"],
        }
    )
    tasks = pd.DataFrame({"customer_id": [3], "created_at": [at(0)], "task_type": ["repair_call"]})
    surveys = pd.DataFrame({"ticket_id": pd.array([2, pd.NA], dtype="Int64"), "nps": [3, 9]})
    r = jr.repair_journeys(tickets, messages, tasks, surveys)
    assert r["ticket_id"].tolist() == [1, 2, 3]
    assert r["updates"].tolist() == [2, 3, 2]
    assert r["update_channels"].tolist() == ["email", "email, sms", "sms"]
    assert r["advisor_call"].tolist() == [False, False, True]
    assert r["nps"].iloc[1] == 3 and np.isnan(r["nps"].iloc[0])
    assert r["planned_steps"].iloc[2] == jr.REPAIR_STEPS["rejected"]
    s = jr.repair_summary(r)
    assert list(s.index) == ["completed", "delayed", "rejected", "all"]
    assert s.loc["all", "repairs"] == 3
    assert s.loc["delayed", "mean_days"] == 30.0
    assert s.loc["all", "updates_per_repair"] == pytest.approx(7 / 3)
    assert s.loc["rejected", "advisor_call_share"] == 1.0
    assert s["share"].iloc[:3].sum() == pytest.approx(1.0)


def test_repair_journeys_without_repairs_is_empty():
    tickets = pd.DataFrame(
        {
            "ticket_id": [1], "customer_id": [1], "created_at": [at(0)], "reason": ["delivery"],
            "repair_outcome": ["-"], "repair_days": [np.nan],
        }
    )  # fmt: skip
    messages = pd.DataFrame(
        {"customer_id": [1], "sent_at": [at(0)], "channel": ["email"], "message_type": ["welcome"]}
    )
    r = jr.repair_journeys(tickets, messages)
    assert r.empty
    assert jr.repair_summary(r).loc["all", "repairs"] == 0
