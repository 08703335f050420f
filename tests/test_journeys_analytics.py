"""Journey analytics on a three-customer touchpoint story, and order attribution."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.analytics import journeys as jr

D = pd.Timestamp("2024-01-01")


def tp_table(rows) -> pd.DataFrame:
    df = pd.DataFrame(
        rows,
        columns=[
            "touchpoint_id",
            "customer_id",
            "day",
            "channel",
            "touchpoint",
            "stage",
            "impression",
        ],
    )
    df["timestamp"] = D + pd.to_timedelta(df.pop("day"), unit="D")
    return df


# id, customer, day, channel, touchpoint, stage after, impression
TP = tp_table(
    [
        (1, 1, 0, "social", "message_click", "prospect", "positive"),
        (2, 1, 2, "store", "purchase", "new", "positive"),
        (3, 1, 10, "email", "message_click", "new", "neutral"),
        (4, 1, 30, "phone", "service_contact", "active", "negative"),
        (5, 1, 60, "store", "purchase", "active", "positive"),
        (6, 1, 100, "email", "stage_change", "at_risk", "neutral"),
        (7, 2, 0, "social", "message_click", "prospect", "neutral"),
        (8, 2, 5, "ecommerce", "purchase", "new", "positive"),
        (9, 2, 50, "ecommerce", "stage_change", "at_risk", "neutral"),
        (10, 2, 80, "email", "stage_change", "lapsed", "neutral"),
        (11, 2, 90, "advisor", "advisor_contact", "won_back", "positive"),
        (12, 3, 1, "social", "message_click", "prospect", "negative"),
    ]
).sample(frac=1, random_state=0)  # input order must not matter


def test_stage_transitions():
    # stage runs: c1 prospect > new > active > at_risk; c2 prospect > new > at_risk > lapsed
    # > won_back; c3 prospect only
    m = jr.stage_transitions(TP)
    assert list(m.index) == list(jr.STAGES) == list(m.columns)
    assert m.loc["prospect", "new"] == 2
    assert m.loc["new"].to_dict() == {
        "prospect": 0, "new": 0, "active": 1, "at_risk": 1, "lapsed": 0, "won_back": 0,
    }  # fmt: skip
    assert m.to_numpy().sum() == 7  # 3 (c1) + 4 (c2)
    p = jr.stage_transitions(TP, normalize=True)
    assert p.loc["new", "active"] == p.loc["new", "at_risk"] == 0.5
    assert p.loc["won_back"].sum() == 0  # no transition out of won_back
    # without collapsing, c1's new>new and active>active steps show on the diagonal
    raw = jr.stage_transitions(TP, collapse_repeats=False)
    assert (raw.loc["new", "new"], raw.loc["active", "active"]) == (1, 1)
    assert raw.to_numpy().sum() == 9  # 5 + 4 steps


def test_time_in_stage():
    # closed episodes: prospect 2 (c1) and 5 (c2); new 28 and 45; active 70;
    # at_risk 30 (c2); lapsed 10; won_back none
    out = jr.time_in_stage(TP)
    assert out["episodes"].tolist() == [2, 2, 1, 1, 1, 0]
    assert out["mean_days"].tolist()[:5] == [3.5, 36.5, 70.0, 30.0, 10.0]
    assert pd.isna(out.loc["won_back", "mean_days"])
    # closing open episodes at day 100: c1 at_risk 0, c2 won_back 10, c3 prospect 99
    out = jr.time_in_stage(TP, end=D + pd.Timedelta(days=100))
    assert out.loc["prospect", "episodes"] == 3
    assert out.loc["prospect", "mean_days"] == pytest.approx((2 + 5 + 99) / 3)
    assert out.loc["prospect", "median_days"] == 5
    assert out.loc["at_risk", "mean_days"] == 15.0  # (30 + 0) / 2
    assert out.loc["won_back", "mean_days"] == 10.0


def test_paths_and_top_journeys():
    paths = jr.journey_paths(TP, k=3)
    assert paths.to_dict() == {
        1: "message_click > purchase > message_click",
        2: "message_click > purchase > stage_change",
        3: "message_click",
    }
    assert jr.journey_paths(TP, k=2, column="channel")[2] == "social > ecommerce"
    top = jr.top_journeys(TP, k=2)
    assert top["path"].tolist() == ["message_click > purchase", "message_click"]
    assert top["customers"].tolist() == [2, 1]
    assert top["share"].tolist() == pytest.approx([2 / 3, 1 / 3])


def test_impressions_summary():
    out = jr.impressions_summary(TP, by="channel")
    # phone: 1 negative -> net -1; email 3 neutral -> 0; social +,0,- -> 0;
    # ecommerce +,0 -> 0.5; store +,+ -> 1; advisor + -> 1 (fewer touchpoints, after store)
    assert list(out.index) == ["phone", "email", "social", "ecommerce", "store", "advisor"]
    assert out.loc["social", ["positive", "neutral", "negative"]].tolist() == pytest.approx(
        [1 / 3, 1 / 3, 1 / 3]
    )
    assert out.loc["ecommerce", "net"] == 0.5
    assert out["touchpoints"].sum() == 12
    two = jr.impressions_summary(TP, by=["channel", "touchpoint"])
    assert two.loc[("email", "stage_change"), "touchpoints"] == 2


def test_stage_funnel():
    out = jr.stage_funnel(TP)
    # reached: prospect 3, new 2, active 1, at_risk 2, lapsed 1, won_back 1 (of 3 customers)
    assert out["customers"].tolist() == [3, 2, 1, 2, 1, 1]
    assert out.loc["new", "share"] == pytest.approx(2 / 3)


ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 3, 4],
        "customer_id": [1, 1, 2, 3],
        "order_date": D + pd.to_timedelta([2, 60, 5, 200], unit="D"),
        "channel": ["store", "store", "ecommerce", "store"],
        "net_amount": [100.0, 200.0, 50.0, 80.0],
    }
)


def test_touch_attribution():
    # lookback 60 days, purchases and stage changes ignored, touches strictly before the order:
    # o1 (c1, day 2): tp1 social -> social either way
    # o2 (c1, day 60): tp1 social (day 0), tp3 email (10), tp4 phone (30) -> first social, last phone
    # o3 (c2, day 5): tp7 social; o4 (c3, day 200): tp12 on day 1 is too old -> (none)
    last = jr.touch_attribution(ORDERS, TP, model="last", lookback_days=60)
    assert last["revenue"].to_dict() == {"phone": 200.0, "social": 150.0, jr.NO_TOUCH: 80.0}
    assert last.loc["social", "orders"] == 2
    assert last.loc["phone", "revenue_share"] == pytest.approx(200 / 430)
    first = jr.touch_attribution(ORDERS, TP, model="first", lookback_days=60)
    assert first["revenue"].to_dict() == {"social": 350.0, jr.NO_TOUCH: 80.0}
    # lookback 30: o2's window [day 30, day 60) holds only tp4 (day 30, boundary included)
    first30 = jr.touch_attribution(ORDERS, TP, model="first", lookback_days=30)
    assert first30.loc["phone", "revenue"] == 200.0


def test_touch_attribution_ties_and_same_time():
    tp = tp_table(
        [
            (21, 9, 0, "email", "message_click", "prospect", "neutral"),
            (20, 9, 0, "sms", "message_click", "prospect", "neutral"),
            (22, 9, 3, "social", "message_click", "new", "neutral"),
        ]
    )
    orders = pd.DataFrame(
        {"order_id": [1], "customer_id": [9], "order_date": [D + pd.Timedelta(days=3)],
         "net_amount": [10.0]}
    )  # fmt: skip
    # tp22 happens at the order's time -> not before it, not a candidate;
    # tp20 and tp21 tie at day 0: first-touch takes the lower id (sms), last-touch the higher (email)
    assert list(jr.touch_attribution(orders, tp, "first").index) == ["sms"]
    assert list(jr.touch_attribution(orders, tp, "last").index) == ["email"]


def test_advisor_attribution():
    tasks = pd.DataFrame(
        {
            "task_id": [1, 2, 3, 4, 5],
            "advisor_id": [1, 1, 2, 2, 1],
            "customer_id": [1, 1, 2, 3, 1],
            "done_at": D + pd.to_timedelta([10, 50, 0, 100, 30], unit="D"),
            "task_type": ["thank_you_call", "win_back_call", "event_invitation", "win_back_call",
                          "event_invitation"],
            "outcome": ["reached", "no_answer", "reached", "reached", "reached"],
        }
    )  # fmt: skip
    orders = pd.concat(
        [
            ORDERS.assign(order_date=D + pd.to_timedelta([2, 38, 5, 200], unit="D")),
            pd.DataFrame({"order_id": [5], "customer_id": [2],
                          "order_date": [D + pd.Timedelta(days=29)], "net_amount": [30.0]}),
        ],
        ignore_index=True,
    )  # fmt: skip
    out = jr.advisor_attribution(orders, tasks)
    # o1 (c1 day 2): before any contact -> no. o2 (c1 day 38): reached day 10 (thank-you) and
    # day 30 (invitation) -> most recent: event_invitation. o3 (c2 day 5): invitation day 0 -> yes.
    # o4 (c3 day 200): win-back day 100 + 28 = 128 -> no. o5 (c2 day 29): day 0 + 28 = 28 -> no.
    # The no_answer task does not count as a contact.
    assert out.loc["event_invitation", ["contacts", "orders", "revenue"]].tolist() == [2, 2, 250.0]
    assert out.loc["thank_you_call", ["contacts", "orders"]].tolist() == [1, 0]
    assert out.loc["win_back_call", "contacts"] == 1
    assert out.loc["all", ["contacts", "orders", "revenue"]].tolist() == [4, 2, 250.0]
    assert out.loc["all", "order_share"] == pytest.approx(2 / 5)
    assert out.loc["all", "revenue_share"] == pytest.approx(250 / 460)
    assert out.loc["all", "revenue_per_contact"] == pytest.approx(250 / 4)
    # the day-28 boundary is inclusive: a 29-day window also catches o5
    assert jr.advisor_attribution(orders, tasks, window_days=29).loc["all", "orders"] == 3


def test_bad_input():
    with pytest.raises(ValueError, match=r"touchpoints\.stage: 1 value\(s\).*'vip'"):
        jr.stage_transitions(TP.assign(stage=["vip"] + ["new"] * 11))
    with pytest.raises(ValueError, match=r"touchpoints: missing column\(s\) stage"):
        jr.time_in_stage(TP.drop(columns="stage"))
    with pytest.raises(ValueError, match="touchpoints: table is empty"):
        jr.stage_funnel(TP.iloc[:0])
    with pytest.raises(ValueError, match=r"touchpoints\.impression"):
        jr.impressions_summary(TP.assign(impression="great"))
    with pytest.raises(ValueError, match="model"):
        jr.touch_attribution(ORDERS, TP, model="linear")
    with pytest.raises(ValueError, match=r"orders\.order_date: expected datetime"):
        jr.touch_attribution(ORDERS.assign(order_date="2024-01-01"), TP)
    with pytest.raises(ValueError, match="window_days"):
        jr.advisor_attribution(ORDERS, pd.DataFrame(), window_days=0)
    with pytest.raises(ValueError, match="k: must be"):
        jr.journey_paths(TP, k=0)


def test_negative_shares_count_each_group_with_its_wilson_interval():
    tp = pd.DataFrame(
        {
            "phase": ["a"] * 4 + ["b"] * 10,
            "impression": ["negative", "neutral", "negative", "positive"]
            + ["negative"]
            + ["positive"] * 9,
        }
    )
    out = jr.negative_shares(tp, "phase")
    assert list(out.index) == ["a", "b"] and out.index.name == "phase"
    assert out["touchpoints"].tolist() == [4, 10] and out["negative"].tolist() == [2, 1]
    # Wilson at 95 % for 2 of 4, by hand: centre (0.5 + z²/8) / (1 + z²/4), here 0.5.
    z = 1.959963984540054
    half = z / (1 + z**2 / 4) * math.sqrt(0.25 / 4 + z**2 / 64)
    assert out.loc["a", "share"] == 0.5
    assert out.loc["a", "low"] == pytest.approx(0.5 - half, abs=1e-12)
    assert out.loc["a", "high"] == pytest.approx(0.5 + half, abs=1e-12)
    only_b = jr.negative_shares(tp, "phase", groups=["b"])
    assert list(only_b.index) == ["b"] and only_b.loc["b", "share"] == 0.1
