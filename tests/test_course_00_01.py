"""Notebooks 00 and 01 compute what they name: moments of truth by negative share,
migration matrices that include staying, NPS by its definition, the relationship
chain behind the retention explorer, and the brand's markets and states.

Every check is against a hand-computed table or a closed form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analytics import customer360
from sim.analytics import journeys as jr
from sim.analytics.intervals import wilson_interval

D = pd.Timestamp("2024-01-01")


def tp_table(rows) -> pd.DataFrame:
    df = pd.DataFrame(
        rows, columns=["customer_id", "day", "channel", "touchpoint", "stage", "impression"]
    )
    df["timestamp"] = D + pd.to_timedelta(df.pop("day"), unit="D")
    df.insert(0, "touchpoint_id", np.arange(1, len(df) + 1))
    return df


# --- moments of truth ------------------------------------------------------------------

# A bookkeeping event that is always neutral (net 0) beside a repair that is
# mostly positive but often negative (net +0.2): the net score ranks the
# neutral event worst, the share of negative impressions ranks the repair worst.
MOMENTS = tp_table(
    [(1, d, "crm", "bookkeeping", "active", "neutral") for d in range(6)]
    + [(2, d, "workshop", "repair", "active", "positive") for d in range(6)]
    + [(3, d, "workshop", "repair", "active", "negative") for d in range(4)]
    + [(4, d, "email", "message_click", "active", "positive") for d in range(3)]
)


def test_net_score_ranks_the_all_neutral_event_worst():
    # the error the lesson used to make, kept as a witness
    assert jr.impressions_summary(MOMENTS).index[0] == "bookkeeping"


def test_moments_of_truth_rank_by_negative_share():
    out = jr.moments_of_truth(MOMENTS, exclude=())
    assert list(out.index) == ["repair", "bookkeeping", "message_click"]
    assert out.loc["repair", "negative"] == pytest.approx(4 / 10)
    ci = wilson_interval(4, 10, 0.95)
    assert out.loc["repair", "negative_low"] == pytest.approx(ci["low"])
    assert out.loc["repair", "negative_high"] == pytest.approx(ci["high"])
    assert out.loc["bookkeeping", "negative_high"] > 0  # zero of six is not a sure zero


def test_moments_of_truth_leave_out_bookkeeping_and_reports_by_default():
    tp = MOMENTS.assign(touchpoint=MOMENTS["touchpoint"].replace({"bookkeeping": "stage_change"}))
    survey = tp_table([(5, 0, "email", "survey", "active", "negative")])
    out = jr.moments_of_truth(pd.concat([tp, survey], ignore_index=True))
    assert "stage_change" not in out.index and "survey" not in out.index
    assert out.index[0] == "repair"
    sentence = jr.worst_moment_sentence(out)
    assert sentence.startswith("Worst moment of truth: repair, 40.0% negative")


def test_worst_moment_sentence_says_when_intervals_overlap():
    out = jr.moments_of_truth(MOMENTS, exclude=())
    assert "not clearly" in jr.worst_moment_sentence(out)  # 4/10 vs 0/6 overlap


# --- migration matrices ------------------------------------------------------------------

# Periods of 10 days from day 0; boundaries at 0, 10, 20, 30 (the last touchpoint).
MIGRATION = tp_table(
    [
        (1, 0, "crm", "stage_change", "lapsed", "neutral"),
        (1, 15, "advisor", "advisor_contact", "won_back", "positive"),
        (2, 0, "crm", "stage_change", "lapsed", "neutral"),
        (2, 30, "email", "message_click", "lapsed", "positive"),
        (3, 0, "store", "purchase", "active", "positive"),
        (3, 12, "crm", "stage_change", "at_risk", "neutral"),
        (3, 22, "crm", "stage_change", "lapsed", "neutral"),
    ]
)


def test_moves_only_matrix_says_every_lapsed_customer_comes_back():
    # the error of the old lesson: normalised over observed moves, lapsed -> won_back is 100 %
    moves = jr.stage_transitions(MIGRATION, normalize=True)
    assert moves.loc["lapsed", "won_back"] == 1.0


def test_migration_matrix_includes_staying_and_matches_a_hand_count():
    m = jr.stage_migration(MIGRATION, period_days=10)
    # lapsed at a boundary: customer 1 at 0 and 10, customer 2 at 0, 10, 20 -> 5 person-periods;
    # one of them (customer 1, 10 -> 20) ended won back.
    assert m.loc["lapsed", "n"] == 5
    assert m.loc["lapsed", "won_back"] == pytest.approx(1 / 5)
    assert m.loc["lapsed", "lapsed"] == pytest.approx(4 / 5)
    assert m.loc["active", "active"] == pytest.approx(1 / 2)
    assert m.loc["at_risk", "lapsed"] == 1.0
    rows = m.drop(columns="n").sum(axis=1)
    assert rows[m["n"] > 0].tolist() == pytest.approx([1.0] * int((m["n"] > 0).sum()))
    counts = jr.stage_migration(MIGRATION, period_days=10, normalize=False)
    assert int(counts.to_numpy().sum()) == 9  # 3 customers x 3 periods


def test_migration_matrix_rejects_a_period_longer_than_the_data():
    with pytest.raises(ValueError, match="period_days"):
        jr.stage_migration(MIGRATION, period_days=100)


def states_table(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["person_id", "day", "from_state", "to_state", "cause"])
    df["timestamp"] = D + pd.to_timedelta(df.pop("day"), unit="D")
    df.insert(0, "change_id", np.arange(1, len(df) + 1))
    return df


STATES = states_table(
    [
        (1, 0, "-", "committed", "acquisition"),
        (1, 400, "committed", "engaged", "repair"),
        (2, 0, "-", "cooling", "acquisition"),
        (2, 100, "cooling", "lost", "hazard"),
        (2, 300, "lost", "cooling", "win_back"),
        (3, 0, "-", "engaged", "acquisition"),
        (3, 50, "engaged", "committed", "purchase"),
        (3, 730, "committed", "committed", "purchase"),
    ]
)


def test_state_migration_hand_count():
    m = jr.state_migration(STATES, period_days=365)
    # boundaries day 0 and 365 (730 is the end, so two periods: 0-365, 365-730)
    # person 1: committed, committed, engaged; person 2: cooling, cooling, cooling (won back);
    # person 3: engaged, committed, committed
    assert m.loc["committed", "n"] == 3
    assert m.loc["committed", "committed"] == pytest.approx(2 / 3)
    assert m.loc["committed", "engaged"] == pytest.approx(1 / 3)
    assert m.loc["cooling", "cooling"] == 1.0
    assert m.loc["engaged", "committed"] == 1.0


def test_state_moves_by_cause():
    out = jr.state_moves_by_cause(STATES)
    assert "acquisition" not in out.index
    assert out.loc["repair", ["changes", "up", "down"]].tolist() == [1, 0, 1]
    assert out.loc["purchase", ["changes", "up", "down"]].tolist() == [2, 1, 0]
    assert out.loc["win_back", "up"] == 1


def test_state_effects_per_person_year():
    truth = pd.DataFrame({"customer_id": [11, 12, 13], "person_id": [1, 2, 3]})
    orders = pd.DataFrame(
        {
            "customer_id": [11, 11, 13],
            "order_date": [D + pd.Timedelta(days=d) for d in (10, 500, 20)],
            "net_amount": [100.0, 50.0, 30.0],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": [11, 12, 13, 14],
            "referred_by": pd.array([pd.NA, pd.NA, pd.NA, 11], dtype="Int64"),
            "signup_date": [D, D, D, D + pd.Timedelta(days=200)],
        }
    )
    eff = jr.state_effects(STATES, truth, orders, customers)
    # orders: person 1 committed at day 10 and engaged at day 500; person 3 engaged at day 20
    assert eff.loc["committed", "orders"] == 1 and eff.loc["engaged", "orders"] == 2
    assert eff.loc["engaged", "revenue_per_year"] * eff.loc["engaged", "person_years"] == 80.0
    assert eff.loc["committed", "referrals"] == 1
    # committed person-time: person 1 days 0-400, person 3 days 50-730
    assert eff.loc["committed", "person_years"] == pytest.approx((400 + 680) / 365.25)
    assert eff.loc["lost", "person_years"] == pytest.approx(200 / 365.25)
    lo, hi = eff.loc["committed", ["referrals_low", "referrals_high"]]
    assert lo < eff.loc["committed", "referrals_per_year"] < hi


# --- NPS by its definition -----------------------------------------------------------------


def test_nps_is_promoters_minus_detractors_on_a_hand_table():
    surveys = pd.DataFrame({"nps": [10, 10, 9, 7, 6, 2], "trigger": ["a"] * 6})
    out = jr.nps_by(surveys)
    # promoters 3/6, detractors 2/6 -> 100 * (1/2 - 1/3); the mean score would be 7.33
    assert out.loc["all", "nps"] == pytest.approx(100 / 6)
    assert out.loc["all", "promoters"] == 0.5 and out.loc["all", "detractors"] == pytest.approx(
        1 / 3
    )
    assert out.loc["all", "nps_low"] < 100 / 6 < out.loc["all", "nps_high"]
    by = jr.nps_by(surveys.assign(trigger=list("aaabbb")), "trigger")
    assert by.loc["a", "nps"] == 100.0 and by.loc["b", "nps"] == pytest.approx(-200 / 3)


def test_repair_summary_reports_nps_not_the_mean_score():
    journeys = pd.DataFrame(
        {
            "ticket_id": [1, 2, 3, 4],
            "outcome": ["completed", "completed", "delayed", "delayed"],
            "repair_days": [10.0, 12.0, 30.0, 40.0],
            "updates": [1, 1, 2, 2],
            "advisor_call": [False, False, False, False],
            "nps": [10.0, 8.0, 3.0, 9.0],
        }
    )
    s = jr.repair_summary(journeys)
    assert "mean_nps" not in s.columns
    assert s.loc["completed", "nps"] == 50.0  # one promoter, one passive
    assert s.loc["delayed", "nps"] == 0.0  # one detractor, one promoter (mean score 6)
    assert s.loc["all", "nps"] == 25.0 and s.loc["all", "answers"] == 4


# --- the relationship chain behind the explorer ------------------------------------------


def test_chain_matrix_rows_sum_to_one_and_inputs_are_checked():
    chain = jr.RelationshipChain(up=0.2, down=0.3, win_back=0.1)
    assert chain.matrix().sum(axis=1) == pytest.approx([1, 1, 1, 1])
    with pytest.raises(ValueError, match="up \\+ down"):
        jr.RelationshipChain(up=0.6, down=0.5)
    with pytest.raises(ValueError, match="down"):
        jr.RelationshipChain(down=-0.1)
    with pytest.raises(ValueError, match="start"):
        jr.RelationshipChain(start=(0.5, 0.5, 0.5))


def test_retention_curve_is_geometric_from_the_bottom_state():
    d, v, k = 0.2, 90.0, 6
    chain = jr.RelationshipChain(
        up=0.0, down=d, periods=k, start=(0, 0, 1), value=(0, 0, v), discount=0.0
    )
    out = jr.relationship_value(chain)
    assert out["retained"].tolist() == pytest.approx([(1 - d) ** t for t in range(k + 1)])
    assert out["cumulative_value"].iloc[-1] == pytest.approx(
        v * sum((1 - d) ** t for t in range(k + 1))
    )


def test_discounting_and_measured_matrix_agree_with_the_chain():
    chain = jr.RelationshipChain(up=0.1, down=0.15, win_back=0.05, periods=8, discount=0.1)
    out = jr.relationship_value(chain)
    undiscounted = jr.relationship_value(
        jr.RelationshipChain(up=0.1, down=0.15, win_back=0.05, periods=8, discount=0.0)
    )
    assert out["value"].tolist() == pytest.approx(
        (undiscounted["value"] / 1.1 ** np.arange(9)).tolist()
    )
    m = pd.DataFrame(chain.matrix(), index=jr.RELATIONSHIP_STATES, columns=jr.RELATIONSHIP_STATES)
    pd.testing.assert_frame_equal(jr.matrix_value(m, chain), out)


def test_chain_from_migration_recovers_a_tridiagonal_chain():
    chain = jr.RelationshipChain(up=0.07, down=0.12, win_back=0.02)
    m = pd.DataFrame(chain.matrix(), index=jr.RELATIONSHIP_STATES, columns=jr.RELATIONSHIP_STATES)
    m["n"] = [100, 100, 100, 100]
    back = jr.chain_from_migration(m)
    # up is measured on engaged and cooling only (committed cannot go up)
    assert back.up == pytest.approx(0.07)
    assert back.down == pytest.approx(0.12)
    assert back.win_back == pytest.approx(0.02)


# --- notebook 00: markets and relationship states ------------------------------------------


def test_market_summary_hand_table():
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "market": ["europe", "europe", "americas"]})
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 3],
            "net_amount": [100.0, 300.0, 50.0],
            "cross_border": [False, True, False],
        }
    )
    out = customer360.market_summary(customers, orders)
    assert out.loc["europe", "customers"] == 2
    assert out.loc["europe", "revenue_per_customer"] == 200.0
    assert out.loc["europe", "buyers"] == 1
    assert out.loc["americas", "cross_border_share"] == 0.0
    assert out["customer_share"].sum() == pytest.approx(1.0)


def test_relationship_states_table():
    truth = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "person_id": [1, 2, 3, 3],
            "is_duplicate": [False, False, False, True],
            "initial_state": ["engaged", "cooling", "committed", "committed"],
            "final_state": ["lost", "cooling", "committed", "committed"],
        }
    )
    out = customer360.relationship_states(truth)
    # duplicates are the same person: three people
    assert out["at_acquisition"].sum() == 3 and out["at_end"].sum() == 3
    assert out.loc["lost", "at_end"] == 1 and out.loc["lost", "at_acquisition"] == 0
    assert out.loc["committed", "share_at_end"] == pytest.approx(1 / 3)


def test_campaign_reach_is_the_union_of_opted_in_channels_minus_suppression():
    customers = pd.DataFrame(
        {
            "market": ["eu", "eu", "eu", "us"],
            "consent_email": [True, True, False, True],
            "consent_sms": [True, False, True, False],
            "consent_social": [False, False, False, False],
            "opt_out": [False, False, False, True],
        }
    )
    both = customer360.campaign_reach(customers, ("email", "sms"))
    # profile 4 opted in to e-mail but is suppressed; profiles 1-3 are reachable
    assert both["profiles"] == 4 and both["reachable"] == 3 and both["share"] == 0.75
    assert both["only_email"] == 1 and both["only_sms"] == 1  # profile 1 has both
    us = customer360.campaign_reach(customers, "email", market="us")
    assert us["reachable"] == 0
    with pytest.raises(ValueError, match="channels"):
        customer360.campaign_reach(customers, ("fax",))
    with pytest.raises(ValueError, match="market"):
        customer360.campaign_reach(customers, ("email",), market="mars")


def test_relationship_view_moves_only_the_chosen_probabilities():
    import matplotlib

    matplotlib.use("Agg")
    from sim.charts import journeys as cj

    chain = jr.RelationshipChain(up=0.05, down=0.1, periods=6)
    _, table = cj.relationship_view(chain, down=0.2)
    moved = jr.relationship_value(jr.RelationshipChain(up=0.05, down=0.2, periods=6))
    assert table.loc["your chain", "expected_value"] == pytest.approx(
        moved["cumulative_value"].iloc[-1]
    )
    assert (
        table.loc["your chain", "retained_at_horizon"]
        < table.loc["fitted chain", "retained_at_horizon"]
    )


# --- on the course dataset, against an independent count ----------------------------------


@pytest.fixture(scope="module")
def course():
    import sim

    return sim.course_dataset(seed=0)


def test_course_migration_lapsed_to_won_back_equals_a_loop_count(course):
    import bisect

    tp = course.touchpoints
    ids = sorted(tp["customer_id"].unique())[:400]
    sub = tp[tp["customer_id"].isin(ids)]
    period = pd.Timedelta(days=91)
    start, end = sub["timestamp"].min(), sub["timestamp"].max()
    bounds = [start + k * period for k in range(int((end - start) / period) + 1)]
    lapsed = won = 0
    for _, g in sub.sort_values(["timestamp", "touchpoint_id"]).groupby("customer_id"):
        times, stages = list(g["timestamp"]), list(g["stage"])
        known = []
        for b in bounds:
            i = bisect.bisect_right(times, b)
            known.append(stages[i - 1] if i else None)
        for a, b in zip(known, known[1:], strict=False):
            if a == "lapsed":
                lapsed += 1
                won += b == "won_back"
    m = jr.stage_migration(sub, period_days=91)
    assert m.loc["lapsed", "n"] == lapsed
    assert m.loc["lapsed", "won_back"] == pytest.approx(won / lapsed)
    assert m.loc["lapsed", "lapsed"] > 0  # staying is counted


def test_course_worst_moment_is_a_lived_touchpoint(course):
    moments = jr.moments_of_truth(course.touchpoints)
    assert moments.index[0] in ("repair", "service_contact")
    assert "stage_change" not in moments.index
    assert moments["negative"].is_monotonic_decreasing
    states = jr.state_migration(course.truth_states)
    rows = states.drop(columns="n").sum(axis=1)
    assert rows.tolist() == pytest.approx([1.0] * 4)
    assert (np.diag(states.drop(columns="n").to_numpy()) > 0).all()
