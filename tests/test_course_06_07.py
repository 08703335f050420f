"""Notebooks 06 and 07: the functions they call, against hand-computed values and the truth.

Consistent censoring, Greenwood bands, the log-rank test, sBG on the
published Fader–Hardie series and its boundary on a geometric series,
warnings scored forward, "5 % more retention" as +5 points, loyalty
members, and the campaign measures (Wilson rates, personalisation, A/B
power, the advisor / automated split).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analytics import campaigns as cp
from sim.analytics import retention as rt

D = pd.Timestamp

# --------------------------------------------------------------------------- censoring

ORDERS = pd.DataFrame(
    {
        "customer_id": [1, 1, 2, 3, 3],
        "order_date": pd.to_datetime(
            ["2024-01-01", "2024-03-01", "2024-01-01", "2024-06-01", "2024-12-01"]
        ),
        "net_amount": [10.0, 10, 10, 10, 10],
    }
)
TRUTH = pd.DataFrame(
    {
        "customer_id": [1, 2, 3],
        "person_id": [1, 2, 3],
        # 1 lost inside the data, 2 lost after the data end, 3 never lost
        "first_dropout_date": pd.to_datetime(["2024-05-01", "2025-03-01", None]),
    }
)


def test_truth_lifetimes_use_one_clock_and_censor_the_living_at_the_end():
    got = rt.truth_lifetimes(ORDERS, TRUTH, end="2024-12-31")
    # churner: first order -> loss date; the others: first order -> end of data
    assert got.loc[1, "duration"] == (D("2024-05-01") - D("2024-01-01")).days
    assert bool(got.loc[1, "event"])
    assert got.loc[2, "duration"] == (D("2024-12-31") - D("2024-01-01")).days
    assert not bool(got.loc[2, "event"])  # lost after the end: censored at the end
    assert got.loc[3, "duration"] == (D("2024-12-31") - D("2024-06-01")).days
    assert not bool(got.loc[3, "event"])


def test_inactivity_lifetimes_apply_the_rule_at_the_end_too():
    got = rt.inactivity_lifetimes(ORDERS, "2024-12-31", inactivity_days=180)
    # 1: last order 1 March, rule fires 28 Aug (<= end): event, clock first order -> 28 Aug
    assert bool(got.loc[1, "event"])
    assert (
        got.loc[1, "duration"] == (D("2024-03-01") + pd.Timedelta(days=180) - D("2024-01-01")).days
    )
    # 3: last order 1 Dec, the rule would fire after the end: censored at the end
    assert not bool(got.loc[3, "event"])
    assert got.loc[3, "duration"] == (D("2024-12-31") - D("2024-06-01")).days
    # the old rule stopped churners at their last order; this one never does
    old = rt.customer_lifetimes(ORDERS, "2024-12-31", inactivity_days=180)
    assert got.loc[1, "duration"] - old.loc[1, "duration"] == 180
    with pytest.raises(ValueError, match="inactivity_days"):
        rt.inactivity_lifetimes(ORDERS, "2024-12-31", inactivity_days=0)


# --------------------------------------------------------------------------- Greenwood, log-rank

DUR = [1, 2, 2, 3, 4, 5]
EVT = [True, True, False, True, False, True]


def test_greenwood_standard_errors_by_hand():
    km = rt.greenwood_bands(rt.kaplan_meier(DUR, EVT), level=0.95)
    # t=1: n=6 d=1; t=2: n=5 d=1 (one censored); t=3: n=3 d=1; t=5: n=1 d=1
    s1, s2, s3 = 5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3
    assert km.loc[1.0, "survival"] == pytest.approx(s1)
    assert km.loc[3.0, "survival"] == pytest.approx(s3)
    v2 = s2**2 * (1 / (6 * 5) + 1 / (5 * 4))
    assert km.loc[2.0, "se"] == pytest.approx(math.sqrt(v2))
    v3 = s3**2 * (1 / 30 + 1 / 20 + 1 / (3 * 2))
    assert km.loc[3.0, "se"] == pytest.approx(math.sqrt(v3))
    # log(-log) band by hand at t=3
    z = stats.norm.ppf(0.975)
    se_ll = math.sqrt(1 / 30 + 1 / 20 + 1 / 6) / abs(math.log(s3))
    assert km.loc[3.0, "low"] == pytest.approx(s3 ** math.exp(z * se_ll))
    assert km.loc[3.0, "high"] == pytest.approx(s3 ** math.exp(-z * se_ll))
    assert km.loc[0.0, "low"] == km.loc[0.0, "high"] == 1.0
    assert km.loc[5.0, "survival"] == 0 and km.loc[5.0, "low"] == 0


def test_logrank_against_a_hand_computed_example():
    # group a: 1+, 3 ; group b: 2, 4, 5+ ... with "+" censored
    dur = [1, 3, 2, 4, 5]
    evt = [False, True, True, True, False]
    grp = ["a", "a", "b", "b", "b"]
    got = rt.logrank_test(dur, evt, grp)
    # event times 2 (n=4, n_a=1, d=1 in b), 3 (n=3, n_a=1, d=1 in a), 4 (n=2, n_a=0, d=1 in b)
    e_a = 1 * 1 / 4 + 1 * 1 / 3 + 0
    v = (1 / 4) * (3 / 4) + (1 / 3) * (2 / 3) + 0
    assert got["observed_1"] == 1
    assert got["expected_1"] == pytest.approx(e_a)
    assert got["variance"] == pytest.approx(v)
    assert got["chi2"] == pytest.approx((1 - e_a) ** 2 / v)
    assert got["p_value"] == pytest.approx(stats.chi2.sf((1 - e_a) ** 2 / v, 1))
    with pytest.raises(ValueError, match="two groups"):
        rt.logrank_test(dur, evt, ["a"] * 5)


def test_logrank_ties_use_the_hypergeometric_variance():
    # two events at t=1 with n=4 (2 per group): V = d (n1/n)(1-n1/n)(n-d)/(n-1) = 2*.5*.5*2/3
    got = rt.logrank_test([1, 1, 2, 2], [True, True, False, False], ["a", "b", "a", "b"])
    assert got["variance"] == pytest.approx(2 * 0.25 * 2 / 3)
    assert got["expected_1"] == pytest.approx(1.0)
    assert got["chi2"] == pytest.approx(0.0)


# --------------------------------------------------------------------------- sBG


@pytest.mark.parametrize("series", ["regular", "high end"])
def test_sbg_recovers_the_published_fader_hardie_parameters(series):
    pub = rt.FADER_HARDIE_2007[series]
    got = rt.sbg_check(pub["active"][:8])
    assert not got["boundary"]
    assert got["alpha"] == pytest.approx(pub["alpha"], abs=0.001)
    assert got["beta"] == pytest.approx(pub["beta"], abs=0.001)
    assert got["p_value"] < 1e-6  # heterogeneity clearly supported


def test_sbg_on_a_geometric_series_is_flagged_as_a_boundary_fit():
    active = [round(1000 * 0.9**t) for t in range(10)]
    got = rt.sbg_check(active)
    assert got["boundary"]
    assert "boundary" in got["note"] or "does not converge" in got["note"]
    theta, _ = rt.geometric_fit(active)
    assert got["mean_churn"] == pytest.approx(theta, abs=1e-3)
    assert theta == pytest.approx(0.1, abs=2e-3)
    assert got["lr"] == pytest.approx(0.0, abs=1e-3)


def test_geometric_fit_mle_by_hand():
    theta, ll = rt.geometric_fit([10, 6, 4])
    # churners: 4 in period 1, 2 in period 2; 4 survive 2 periods: exposure 4 + 4 + 8 = 16
    assert theta == pytest.approx(6 / 16)
    assert ll == pytest.approx(6 * math.log(6 / 16) + 10 * math.log(10 / 16))


def test_sbg_curve_rises_with_heterogeneity_and_is_flat_without():
    het = rt.sbg_curve(0.7, 1.2, 5)
    assert het.loc[1, "survival"] == pytest.approx(1.2 / 1.9)
    assert het.loc[3, "retention_rate"] == pytest.approx((1.2 + 2) / (1.9 + 2))
    assert (np.diff(het["retention_rate"].iloc[1:]) > 0).all()
    flat = rt.sbg_curve(7000.0, 12000.0, 5)
    assert flat["retention_rate"].iloc[1:].max() - flat["retention_rate"].iloc[1:].min() < 1e-3
    with pytest.raises(ValueError, match="alpha"):
        rt.sbg_curve(0, 1)


# --------------------------------------------------------------------------- warnings forward

STATES = pd.DataFrame(
    {
        "person_id": [1, 1, 2, 2, 3, 4, 4],
        "timestamp": pd.to_datetime(
            [
                "2024-01-01",
                "2024-05-01",
                "2024-01-01",
                "2024-08-01",
                "2024-01-01",
                "2024-01-01",
                "2025-03-01",
            ]
        ),
        "to_state": ["engaged", "lost", "engaged", "lost", "committed", "engaged", "lost"],
    }
)
PEOPLE = pd.DataFrame({"customer_id": [11, 12, 13, 14, 15], "person_id": [1, 2, 3, 4, 2]})


def test_forward_outcome_scores_only_the_living_and_looks_ahead():
    out = rt.forward_outcome(PEOPLE, STATES, "2024-06-01", months=6)
    assert not out.loc[11, "alive"]  # gone before the cut-off: not scored
    assert out.loc[12, "alive"] and out.loc[12, "lost_next"]  # lost in August
    assert out.loc[15, "lost_next"]  # a duplicate profile shares the person's fate
    assert out.loc[13, "alive"] and not out.loc[13, "lost_next"]
    assert out.loc[14, "alive"] and not out.loc[14, "lost_next"]  # lost after the window


def test_warning_scorecard_wilson_lift_by_hand():
    from sim.analytics.intervals import wilson_interval

    idx = pd.Index(range(10), name="customer_id")
    outcome = pd.DataFrame(
        {
            "alive": [True] * 8 + [False] * 2,
            "lost_next": [True, True, False, False, False, False, False, True, False, False],
        },
        index=idx,
    )
    flags = pd.DataFrame(
        {"f": [True, True, True, False, False, False, False, False, True, True]}, index=idx
    )
    card = rt.warning_scorecard(flags, outcome)
    row = card.loc["f"]
    assert row["scored"] == 8 and row["flagged"] == 3  # the two dead customers are not scored
    assert row["precision"] == pytest.approx(2 / 3)
    assert row["base_rate"] == pytest.approx(3 / 8)
    assert row["recall"] == pytest.approx(2 / 3)
    assert row["lift"] == pytest.approx((2 / 3) / (3 / 8))
    w = wilson_interval(2, 3)
    assert row["lift_low"] == pytest.approx(w["low"] / (3 / 8))
    assert "f" in rt.warning_lesson(card)


# --------------------------------------------------------------------------- the 5 % claim


def test_five_percent_more_retention_is_five_points():
    got = rt.retention_uplift_profit(100, 0.80, 0.05, 0.10)
    assert got["retention_uplifted"] == pytest.approx(0.85)
    # 100 / (1 - .85/1.1) vs 100 / (1 - .8/1.1)
    assert got["pct_increase"] == pytest.approx((1 / (1 - 0.85 / 1.1)) / (1 / (1 - 0.8 / 1.1)) - 1)


def test_uplift_claim_point_estimate_matches_the_formula_and_the_interval_covers_it(
    course_data,
):
    ds = course_data
    p1, p2 = ("2024-01-01", "2025-01-01"), ("2025-01-01", "2026-01-01")
    gm = ds.scenario.purchases.gross_margin
    claim = rt.uplift_claim(ds.orders, ds.marketing_spend, p1, p2, gm, 0.10, replications=100)
    inp = rt.retention_economics_inputs(ds.orders, ds.marketing_spend, p1, p2, gm)
    r = inp["retention_rate"]
    m = inp["margin_per_customer"]
    want = (m / (1 - (r + 0.05) / 1.1)) / (m / (1 - r / 1.1)) - 1
    row = claim.loc["lifetime margin"]
    assert row["pct_increase"] == pytest.approx(want)
    assert row["retention_uplifted"] == pytest.approx(r + 0.05)
    assert row["low"] <= row["pct_increase"] <= row["high"]
    assert "source's average" in rt.claim_verdict(claim)


# --------------------------------------------------------------------------- loyalty


@pytest.fixture(scope="module")
def course_data():
    import sim

    return sim.course_dataset(seed=0)


def test_member_retention_naive_gap_exceeds_the_propensity_matched_gap(course_data):
    ds = course_data
    t = rt.member_retention(ds.orders, ds.customers, ds.truth)
    # members self-select on engagement: matching on the true enrolment chance shrinks the gap
    assert t.loc["naive", "gap"] > t.loc["same propensity", "gap"] > 0
    # the naive numbers by hand
    first = ds.orders.groupby("customer_id")["order_date"].min()
    first = first[first <= ds.orders["order_date"].max() - pd.Timedelta(days=365)]
    lost = ds.truth.set_index("customer_id")["first_dropout_date"].reindex(first.index)
    alive = ~(lost <= first + pd.Timedelta(days=365))
    mem = ds.customers.set_index("customer_id")["loyalty_member"].reindex(first.index)
    assert t.loc["naive", "members"] == pytest.approx(alive[mem].mean())


def test_member_effect_is_a_paired_difference():
    def tables(dropout):
        return {
            "orders": pd.DataFrame(
                {
                    "customer_id": [1, 2, 3, 3],
                    "order_date": pd.to_datetime(
                        ["2023-01-01", "2023-01-01", "2023-01-01", "2025-01-01"]
                    ),
                }
            ),
            "customers": pd.DataFrame(
                {"customer_id": [1, 2, 3], "loyalty_member": [True, True, False]}
            ),
            "truth": pd.DataFrame(
                {
                    "customer_id": [1, 2, 3],
                    "person_id": [7, 8, 9],
                    "first_dropout_date": pd.to_datetime(dropout),
                }
            ),
        }

    got = rt.member_effect_on_survival(
        tables([None, None, "2023-02-01"]), tables(["2023-03-01", None, "2023-02-01"])
    )
    assert got["members"] == 2
    assert got["with_effect"] == 1.0 and got["without_effect"] == 0.5
    assert got["effect"] == pytest.approx(0.5)


# --------------------------------------------------------------------------- campaigns

MSG = pd.DataFrame(
    {
        "customer_id": [1, 1, 2, 2, 3, 3],
        "campaign_id": [1] * 6,
        "sent_at": pd.to_datetime(["2024-01-01"] * 6),
        "message_type": ["newsletter"] * 6,
        "bounce": ["none", "none", "none", "none", "none", "hard"],
        "delivered": [True, True, True, True, True, False],
        "opened": [True, True, False, True, False, False],
        "clicked": [True, False, False, True, False, False],
        "unsubscribed": [False, False, True, False, False, False],
        "spam_complaint": [False, False, False, False, True, False],
        "personalised": [True, True, True, False, False, False],
    }
)


def test_rate_intervals_use_the_right_denominators_and_wilson():
    from sim.analytics.intervals import wilson_interval

    t = cp.rate_intervals(MSG).loc["newsletter"]
    assert t.loc["open_rate", ["successes", "trials"]].tolist() == [3, 5]
    assert t.loc["ctor", ["successes", "trials"]].tolist() == [2, 3]
    assert t.loc["spam_complaint_rate", "estimate"] == pytest.approx(1 / 5)
    w = wilson_interval(2, 5)
    assert t.loc["ctr", "low"] == pytest.approx(w["low"])
    with pytest.raises(ValueError, match="rates"):
        cp.rate_intervals(MSG, rates=["opens"])


def test_personalisation_effect_and_whatif_by_hand():
    e = cp.personalisation_effect(MSG)
    # personalised: 3 delivered, 2 opened, 1 clicked, 1 unsubscribed; untargeted: 2 delivered, 1 open, 1 click, 1 spam
    assert e.loc["open_rate", "personalised"] == pytest.approx(2 / 3)
    assert e.loc["open_rate", "untargeted"] == pytest.approx(1 / 2)
    assert e.loc["ctr", "ratio"] == pytest.approx((1 / 3) / (1 / 2))
    w = cp.personalisation_whatif(
        0.4, e, delivered=1000, revenue_per_click=2.0, cost_per_personalised=0.01
    )
    clicks = (0.6 * 0.5 + 0.4 / 3) * 1000
    assert w.loc[0.4, "clicks"] == pytest.approx(clicks)
    assert w.loc[0.4, "net_revenue"] == pytest.approx(2 * clicks - 0.4 * 1000 * 0.01)
    assert w.loc[0.0, "spam_complaints"] == pytest.approx(0.5 * 1000)
    with pytest.raises(ValueError, match="share"):
        cp.personalisation_whatif(1.5, e, 1000, 1.0)


def test_ab_power_against_the_textbook_sample_size():
    # 10 % vs 12 %, alpha 5 %, power 80 %: the pooled normal formula gives 3,841 per arm
    n = cp.ab_sample_size(0.10, 0.12)
    za, zb = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    want = (
        za * math.sqrt(2 * 0.11 * 0.89) + zb * math.sqrt(0.1 * 0.9 + 0.12 * 0.88)
    ) ** 2 / 0.02**2
    assert n == math.ceil(want) == 3841
    assert cp.ab_power(0.10, 0.12, n) == pytest.approx(0.8, abs=0.002)
    # no difference: power is the test's size
    assert cp.ab_power(0.1, 0.1 + 1e-12, 1000) == pytest.approx(0.05, abs=1e-6)
    curve = cp.power_curve(0.1, 0.2, 3841)
    assert curve.attrs["n_for_80"] == 3841
    assert curve["power"].is_monotonic_increasing


def test_advisor_automation_split_by_hand():
    tasks = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "outcome": ["reached", "reached", "no_answer"],
            "done_at": pd.to_datetime(["2024-01-10", "2024-01-01", "2024-01-01"]),
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3, 4],
            "customer_id": [1, 2, 3, 1],
            "order_date": pd.to_datetime(["2024-01-20", "2024-03-01", "2024-01-05", "2024-01-01"]),
        }
    )
    got = cp.advisor_automation_split(tasks, MSG, orders, window_days=28)
    assert got.loc["interactions", ["advisor", "automated"]].tolist() == [2, 5]
    # order 1: advisor 10 Jan is the latest touch; order 2: nothing within 28 days;
    # order 3: message of 1 Jan; order 4: the message is not strictly before it
    assert got.loc["attributed orders", ["advisor", "automated"]].tolist() == [1, 1]
    assert got.loc["interactions", "advisor_share"] == pytest.approx(2 / 7)
