"""Course additions to sim.analytics.campaigns, on tiny hand-computed tables."""

import numpy as np
import pandas as pd
import pytest

from sim.analytics.campaigns import click_revenue, consent_audit, next_best_action


def _messages(rows):
    df = pd.DataFrame(
        rows,
        columns=["customer_id", "channel", "message_type", "sent_at", "delivered", "clicked", "unsubscribed"],
    )  # fmt: skip
    df["sent_at"] = pd.to_datetime(df["sent_at"])
    df["campaign_id"] = 1
    df["bounce"] = np.where(df["delivered"], "none", "soft")
    df["opened"] = df["clicked"]
    return df


CUSTOMERS = pd.DataFrame(
    {
        "customer_id": [1, 2, 3],
        "opt_out": [False, False, True],
        "consent_email": [False, True, True],
        "consent_sms": [True, False, False],
        "consent_social": [False, True, False],
    }
)
MESSAGES = _messages(
    [
        (1, "email", "newsletter", "2024-01-01", True, True, False),
        (1, "email", "newsletter", "2024-01-10", True, False, True),  # unsubscribes e-mail
        (1, "email", "newsletter", "2024-01-20", True, False, False),  # sent after: breach
        (1, "sms", "thank_you", "2024-01-05", True, True, False),
        (2, "email", "newsletter", "2024-01-01", True, False, False),
        (2, "social", "welcome", "2024-01-02", True, True, False),
        (3, "email", "newsletter", "2024-01-03", False, False, False),  # opted out: breach
    ]
)
ORDERS = pd.DataFrame(
    {
        "order_id": [10, 11, 12, 13],
        "customer_id": [1, 1, 2, 2],
        "order_date": pd.to_datetime(["2024-01-05", "2024-01-07", "2024-01-02", "2024-01-30"]),
        "net_amount": [100.0, 50.0, 70.0, 30.0],
    }
)


def test_consent_audit_counts():
    out = consent_audit(MESSAGES, CUSTOMERS)
    assert out.to_dict() == {
        "messages": 7,
        "to_opt_out": 1,
        "after_unsubscribe": 1,
        "unsubscribes": 1,
        # customer 1 has no e-mail consent (3 e-mails); others consented
        "no_consent_now": 3,
    }


def test_click_revenue_last_click_strictly_before():
    out = click_revenue(MESSAGES, ORDERS, window_days=7)
    # order 10 (Jan 5) ← newsletter click Jan 1 (the thank-you is sent at the same time: not before)
    # order 11 (Jan 7) ← thank-you click Jan 5 (latest); order 12 same time as the welcome: not
    assert out.loc["newsletter", "orders"] == 1 and out.loc["newsletter", "revenue"] == 100.0
    assert out.loc["thank_you", "orders"] == 1 and out.loc["thank_you", "revenue"] == 50.0
    assert out.loc["welcome", "orders"] == 0
    assert out.loc["newsletter", "delivered"] == 4
    assert out.loc["newsletter", "revenue_per_delivered"] == pytest.approx(25.0)
    with pytest.raises(ValueError, match="window_days"):
        click_revenue(MESSAGES, ORDERS, window_days=0)


def test_next_best_action_rules():
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "order_date": pd.to_datetime(["2023-01-01", "2024-06-01", "2024-06-01", "2023-01-01"]),
        }
    )
    out = next_best_action(orders, CUSTOMERS, MESSAGES, "2024-07-01", new_days=100)
    assert out.loc[1, "stage"] == "active" and out.loc[1, "message"] == "newsletter"
    assert out.loc[1, "channel"] == "sms"  # the only consented channel
    assert out.loc[2, "stage"] == "new" and out.loc[2, "message"] == "onboarding"
    # customer 2: e-mail (0 of 1 clicked) vs social (1 of 1) → social
    assert out.loc[2, "channel"] == "social"
    assert out.loc[3, "message"] == "none" and out.loc[3, "channel"] == "none"
    assert np.isnan(out.loc[3, "expected_ctr"])
    late = next_best_action(orders, CUSTOMERS, MESSAGES, "2025-03-01")
    assert late.loc[1, "message"] == "retention_offer" and late.loc[2, "stage"] == "at_risk"
    assert (
        next_best_action(orders, CUSTOMERS, MESSAGES, "2026-01-01").loc[1, "message"] == "win_back"
    )
