"""Course additions to sim.analytics.quality on tiny hand-computed tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analytics import quality as q

# persons: 1 = profiles {1, 2, 3}, 2 = {4}, 3 = {5, 6}
TRUTH = pd.DataFrame(
    {
        "customer_id": [1, 2, 3, 4, 5, 6],
        "person_id": [1, 1, 1, 2, 3, 3],
        "is_duplicate": [False, True, True, False, False, True],
        "email_typo": [False, False, True, False, False, False],
    }
)
# candidate pairs with scores; true pairs are (1,2), (1,3), (2,3), (5,6)
PAIRS = pd.DataFrame(
    {
        "customer_id_a": [1, 1, 2, 4, 5],
        "customer_id_b": [2, 3, 3, 5, 6],
        "score": [0.95, 0.75, 0.72, 0.8, 0.5],
        "match": [True, True, True, True, False],  # ignored by threshold_metrics
    }
)


def test_label_pairs():
    lab = q.label_pairs(PAIRS, TRUTH)
    assert lab["is_true"].tolist() == [True, True, True, False, True]


def test_threshold_metrics_by_hand():
    lab = q.label_pairs(PAIRS, TRUTH)
    m = q.threshold_metrics(lab, 0.74, true_pairs=4, profiles=6)
    # matched: (1,2) 0.95, (1,3) 0.75, (4,5) 0.8 → tp 2, fp 1, fn 2
    assert (m["detected"], m["tp"], m["fp"], m["fn"]) == (3, 2, 1, 2)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 4)
    assert m["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    # entities {1,2,3}, {4,5}, {6}: 6 profiles → 3 entities, 3 merged away
    assert m["estimated_duplicate_rate"] == pytest.approx(3 / 6)


def test_threshold_metrics_nothing_matched():
    lab = q.label_pairs(PAIRS, TRUTH)
    m = q.threshold_metrics(lab, 1.0, true_pairs=4, profiles=6)
    assert m["detected"] == 0 and np.isnan(m["precision"]) and m["recall"] == 0
    assert m["estimated_duplicate_rate"] == 0
    with pytest.raises(ValueError, match="threshold"):
        q.threshold_metrics(lab, 1.5, 4, 6)
    with pytest.raises(ValueError, match="profiles"):
        q.threshold_metrics(lab, 0.5, 4, 0)


def test_threshold_curve_rows():
    lab = q.label_pairs(PAIRS, TRUTH)
    c = q.threshold_curve(lab, [0.5, 0.74, 1.0], 4, 6)
    assert c["threshold"].tolist() == [0.5, 0.74, 1.0]
    assert c["detected"].tolist() == [5, 3, 0]
    assert c.loc[0, "recall"] == 1.0


def test_duplicate_contacts_counts_repeats():
    d = pd.Timestamp("2024-03-01 09:00")
    messages = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 1, 4, 5, 6, 6],
            "campaign_id": [10, 10, 10, 11, 10, 10, 10, 12],
            "sent_at": [d, d, d + pd.Timedelta(hours=3), d, d, d, d + pd.Timedelta(days=1), d],
        }
    )
    s = q.duplicate_contacts(messages, TRUTH)
    # person 1: campaign 10 three times the same day → 2 repeats; campaign 11 once.
    # person 3: campaign 10 on two different days → no repeat; campaign 12 once.
    assert s["people_with_duplicates"] == 2
    assert s["messages_to_them"] == 7
    assert s["repeats"] == 2
    assert s["repeat_share"] == pytest.approx(2 / 7)


def test_bounce_rates_by_address_quality():
    messages = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 4],
            "channel": ["email", "email", "email", "email", "sms", "email"],
            "bounce": ["none", "soft", "hard", "hard", "none", "none"],
        }
    )
    b = q.bounce_rates(messages, TRUTH)
    assert list(b.index) == ["correct address", "typo in address"]
    assert b.loc["correct address"].tolist() == [4, 0.5, 0.25, 0.25]
    assert b.loc["typo in address"].tolist() == [1, 0.0, 0.0, 1.0]


def test_typo_detection():
    checks = pd.DataFrame({"customer_id": [1, 2, 3, 4], "flag": [True, False, True, False]})
    s = q.typo_detection(checks, TRUTH)
    assert (s["flagged"], s["typos"], s["tp"]) == (2, 1, 1)
    assert s["precision"] == 0.5 and s["recall"] == 1.0
