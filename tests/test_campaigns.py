"""Campaign KPIs, A/B tests and the send-frequency model on tiny hand-computed tables."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from sim.analytics.campaigns import (
    ab_compare,
    campaign_kpis,
    inbound_outbound,
    send_frequency_model,
    two_proportion_ztest,
)

COLS = ["campaign_id", "channel", "bounce", "delivered", "opened", "clicked", "unsubscribed"]


def _messages(rows):
    df = pd.DataFrame(rows, columns=COLS)
    df.insert(0, "message_id", range(1, len(df) + 1))
    return df


MESSAGES = _messages(
    [
        (1, "email", "none", True, True, True, False),
        (1, "email", "none", True, True, False, False),
        (1, "email", "soft", False, False, False, False),
        (1, "email", "none", True, False, False, True),
        (2, "sms", "hard", False, False, False, False),
        (2, "sms", "none", True, False, False, False),
    ]
)


def test_campaign_kpis_hand_computed():
    got = campaign_kpis(MESSAGES)
    c1, c2 = got.loc[(1, "email")], got.loc[(2, "sms")]
    # campaign 1: sent 4, delivered 3, opened 2, clicked 1, unsubscribed 1, soft bounce 1
    assert c1[["sent", "delivered", "opened", "clicked", "unsubscribed"]].tolist() == [
        4,
        3,
        2,
        1,
        1,
    ]
    assert c1["delivery_rate"] == 0.75  # 3 / 4 sent
    assert c1["open_rate"] == pytest.approx(2 / 3)  # opened / delivered
    assert c1["ctr"] == pytest.approx(1 / 3)  # clicked / delivered
    assert c1["ctor"] == 0.5  # clicked / opened
    assert c1["soft_bounce_rate"] == 0.25 and c1["hard_bounce_rate"] == 0.0  # over sent
    assert c1["unsubscribe_rate"] == pytest.approx(1 / 3)  # over delivered
    # campaign 2: sent 2, 1 hard bounce, 1 delivered, nothing opened → CTOR undefined
    assert c2["hard_bounce_rate"] == 0.5 and c2["delivery_rate"] == 0.5
    assert c2["open_rate"] == 0.0 and math.isnan(c2["ctor"])
    by_channel = campaign_kpis(MESSAGES, by="channel")
    assert by_channel.loc["email", "sent"] == 4


def test_campaign_kpis_bad_input():
    with pytest.raises(ValueError, match="messages.bounce: expected none, soft or hard"):
        campaign_kpis(MESSAGES.assign(bounce="maybe"))
    with pytest.raises(ValueError, match=r"messages: missing column\(s\) opened"):
        campaign_kpis(MESSAGES.drop(columns="opened"))
    with pytest.raises(ValueError, match="messages: table is empty"):
        campaign_kpis(MESSAGES.iloc[:0])
    with pytest.raises(ValueError, match="messages.clicked: expected True/False"):
        campaign_kpis(MESSAGES.assign(clicked="yes"))


def test_two_proportion_ztest_hand_computed():
    got = two_proportion_ztest(200, 1000, 250, 1000)
    # pooled p = 450 / 2000 = 0.225; se0 = sqrt(0.225 × 0.775 × (1/1000 + 1/1000)) = 0.0186748
    se0 = math.sqrt(0.225 * 0.775 * 0.002)
    assert got["z"] == pytest.approx(0.05 / se0)  # = 2.6774
    assert got["z"] == pytest.approx(2.6774, abs=1e-4)
    assert got["p_value"] == pytest.approx(2 * norm.sf(0.05 / se0))  # ≈ 0.0074
    assert got["p_value"] == pytest.approx(0.00742, abs=1e-4)
    # Wald CI: se = sqrt(0.2 × 0.8 / 1000 + 0.25 × 0.75 / 1000) = 0.0186414
    half = 1.959964 * math.sqrt(0.00016 + 0.0001875)  # = 0.036536
    assert got["ci_low"] == pytest.approx(0.05 - half, abs=1e-6)
    assert got["ci_high"] == pytest.approx(0.05 + half, abs=1e-6)
    assert got["relative_lift"] == pytest.approx(0.25) and bool(got["significant"])
    same = two_proportion_ztest(10, 100, 10, 100)
    assert same["z"] == 0.0 and same["p_value"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="successes_b: must be between 0 and n_b"):
        two_proportion_ztest(1, 10, 11, 10)
    with pytest.raises(ValueError, match="n_a: need at least one trial"):
        two_proportion_ztest(0, 0, 1, 10)


def _ab_tables():
    msgs = _messages(
        [(10, "email", "none", True, True, c, False) for c in (True, False, False, False)]
        + [(10, "email", "hard", False, False, False, False)]  # not delivered: not a trial
        + [(11, "email", "none", True, True, c, False) for c in (True, True, True, False)]
        + [(1, "email", "none", True, True, True, False)]  # campaign 1 is not a test
    )
    camps = pd.DataFrame(
        {
            "campaign_id": [1, 10, 11],
            "direction": ["outbound", "outbound", "inbound"],
            "variant": ["-", "A", "B"],
        }
    )
    return msgs, camps


def test_ab_compare_pools_variants():
    msgs, camps = _ab_tables()
    got = ab_compare(msgs, camps)
    # A: 1 click of 4 delivered; B: 3 of 4 → same as the z-test on those counts
    expected = two_proportion_ztest(1, 4, 3, 4)
    assert got["p_a"] == 0.25 and got["p_b"] == 0.75
    assert got["z"] == pytest.approx(expected["z"])
    # pooled 4/8 = 0.5; se0 = sqrt(0.25 × 0.5) = 0.353553; z = 0.5 / 0.353553 = 1.41421
    assert got["z"] == pytest.approx(math.sqrt(2))
    with pytest.raises(ValueError, match="no delivered messages for variant"):
        ab_compare(msgs, camps, campaign_ids=[10])


def test_inbound_vs_outbound():
    msgs, camps = _ab_tables()
    got = inbound_outbound(msgs, camps)
    # outbound = campaigns 1 and 10: 5 delivered, 2 clicked → CTR 0.4
    # inbound = campaign 11: 4 delivered, 3 clicked → CTR 0.75; 0.75 / 0.4 = 1.875×
    assert got.loc["outbound", "ctr"] == pytest.approx(0.4)
    assert got.loc["inbound", "ctr"] == pytest.approx(0.75)
    assert got.loc["inbound", "ctr_vs_outbound"] == pytest.approx(1.875)
    with pytest.raises(ValueError, match="campaign 1 is not in the campaigns table"):
        inbound_outbound(msgs, camps.iloc[1:])


def test_send_frequency_model_hand_computed():
    got = send_frequency_model(
        [1, 2],
        audience=1000,
        weeks=2,
        unsubscribe_base=0.01,
        fatigue=0.5,
        revenue_per_message=0.1,
    )
    # f = 1: u = 0.01, 2 sends: 1000 + 990 = 1990 sent; unsubscribes 1000 (1 − 0.99²) = 19.9
    assert got.loc[1.0, "unsubscribe_prob"] == pytest.approx(0.01)
    assert got.loc[1.0, "sent"] == pytest.approx(1990)
    assert got.loc[1.0, "unsubscribes"] == pytest.approx(19.9)
    # f = 2: u = 0.01 × (1 + 0.5) = 0.015, 4 sends: 1000 (1 + .985 + .985² + .985³) = 3910.8966
    assert got.loc[2.0, "sent"] == pytest.approx(3910.896625)
    assert got.loc[2.0, "unsubscribes"] == pytest.approx(1000 * (1 - 0.985**4))  # 58.66
    assert got.loc[2.0, "revenue"] == pytest.approx(391.0896625)
    assert got.loc[2.0, "subscribers_end"] == pytest.approx(1000 * 0.985**4)


def test_send_frequency_model_delivery_and_no_unsubscribes():
    got = send_frequency_model(
        [1], audience=1000, weeks=2, unsubscribe_base=0.01, fatigue=0, delivery_rate=0.5
    )
    # only delivered mail unsubscribes: loss 0.5 × 0.01 = 0.005 per send
    # sent 1000 + 995 = 1995, delivered 997.5, unsubscribes 1000 (1 − 0.995²) = 9.975
    assert got["sent"].iloc[0] == pytest.approx(1995)
    assert got["delivered"].iloc[0] == pytest.approx(997.5)
    assert got["unsubscribes"].iloc[0] == pytest.approx(9.975)
    flat = send_frequency_model(
        [0.5, 3], audience=100, weeks=10, unsubscribe_base=0.0, cost_per_message=0.01
    )
    # u = 0: every subscriber gets n = f × weeks messages: 5 and 30 each
    assert flat["sent"].tolist() == [500.0, 3000.0]
    assert flat["profit"].tolist() == pytest.approx([500 * 0.09, 3000 * 0.09])


def test_send_frequency_revenue_peaks():
    got = send_frequency_model(np.arange(1, 15), unsubscribe_base=0.01, fatigue=1.0)
    best = got["revenue"].idxmax()
    assert 1 < best < 14  # rises, then fatigue empties the list


def test_send_frequency_model_bad_input():
    with pytest.raises(ValueError, match="frequencies"):
        send_frequency_model([-1])
    with pytest.raises(ValueError, match="delivery_rate: must be a probability"):
        send_frequency_model([1], delivery_rate=1.5)
    with pytest.raises(ValueError, match="audience: must be a non-negative"):
        send_frequency_model([1], audience=-5)
