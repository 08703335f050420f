"""Notebooks 08 and 09: the figures they rest on, against hand computation, formulas and the truth.

08: NPS is % promoters − % detractors (not the mean score); Erlang A reduces to
Erlang C without hang-ups and to the Poisson law when patience equals the
handle time, and agrees with the queue simulation; the advisor attribution
share, the lift over unanswered calls and the causal share are the ratios
they claim to be, and on worlds where advisors do or do not move sales the
causal share tells them apart while the attribution share does not.
09: the member-effect estimators recover a known effect on a synthetic
population whose enrolment depends on a hidden trait, and on simulated worlds
the truth's propensity finds no effect where the programme has none, while the
naive comparison does.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.analytics import loyalty, service

# --------------------------------------------------------------------------- 08: NPS, effort, sentiment


def test_nps_by_is_promoters_minus_detractors_not_the_mean():
    surveys = pd.DataFrame({"trigger": ["a"] * 4 + ["b"] * 5, "nps": [10, 9, 8, 3, 7, 7, 7, 7, 0]})
    t = service.nps_by(surveys, "trigger")
    assert t.loc["a", "nps"] == pytest.approx(25.0)  # 2 promoters, 1 detractor of 4
    assert t.loc["b", "nps"] == pytest.approx(-20.0)  # no promoter, 1 detractor of 5
    assert t.loc["all", "nps"] == pytest.approx(100 * (2 - 2) / 9)
    assert t.loc["a", "nps"] != pytest.approx(10 * np.mean([10, 9, 8, 3]))
    # interval: normal interval of the mean of +1/0/−1
    se = math.sqrt((0.5 + 0.25 - 0.25**2) / 4)
    assert t.loc["a", "low"] == pytest.approx(100 * (0.25 - stats.norm.ppf(0.975) * se))


def test_effort_by_channel_means_and_easy_shares():
    tickets = pd.DataFrame(
        {
            "channel": ["chat"] * 3 + ["phone"] * 3,
            "effort_score": [1, 2, 3, 4, 5, 6],
            "contacts_to_resolve": [1, 1, 2, 1, 2, 3],
            "resolved": [True] * 6,
        }
    )
    t = service.effort_by_channel(tickets)
    assert list(t.index) == ["chat", "phone"]  # easiest first
    assert t.loc["chat", "ces_mean"] == pytest.approx(2.0)
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert t.loc["chat", "ces_high"] == pytest.approx(2.0 + half)
    assert t.loc["chat", "easy_share"] == 1.0 and t.loc["phone", "easy_share"] == 0.0
    assert t.loc["chat", "fcr"] == pytest.approx(2 / 3)


def test_touchpoint_sentiment_shares():
    tp = pd.DataFrame(
        {"channel": ["social"] * 4 + ["email"] * 2,
         "impression": ["positive", "negative", "positive", "neutral", "negative", "negative"]}
    )  # fmt: skip
    t = service.touchpoint_sentiment(tp)
    assert t.loc["social", "negative"] == 0.25 and t.loc["social", "positive"] == 0.5
    assert t.index[0] == "email"  # most negative first


def test_against_claim():
    assert service.against_claim(0.1, 0.2, 0.144) == "consistent with"
    assert service.against_claim(0.15, 0.2, 0.144) == "above"
    assert service.against_claim(0.01, 0.02, 0.144) == "below"
    with pytest.raises(ValueError, match="low, high"):
        service.against_claim(0.3, 0.2, 0.1)


# --------------------------------------------------------------------------- 08: Erlang A


def test_erlang_a_without_hang_ups_is_erlang_c():
    c = service.erlang_c(2.0, 1.0, 3)
    a = service.erlang_a(2.0, 1.0, 3, math.inf, 0.1)
    assert a.p_wait == pytest.approx(c.p_wait) == pytest.approx(4 / 9)
    assert a.service_level == pytest.approx(c.service_level(0.1))
    assert a.abandonment == 0.0
    # very patient callers: Erlang A tends to Erlang C
    b = service.erlang_a(2.0, 1.0, 3, 1e6, 0.1)
    assert b.p_wait == pytest.approx(c.p_wait, rel=1e-4)
    assert b.service_level == pytest.approx(c.service_level(0.1), rel=1e-4)


def test_erlang_a_with_patience_equal_to_handle_time_is_poisson():
    # θ = μ: the number in system is that of an M/M/∞ queue, Poisson(A).
    lam, h, c = 3.0, 1.0, 2
    a = service.erlang_a(lam, h, c, patience=h, threshold=0.0)
    n = stats.poisson(lam * h)
    assert a.p_wait == pytest.approx(n.sf(c - 1), rel=1e-9)
    queue = sum((k - c) * n.pmf(k) for k in range(c, 200))
    assert a.abandonment == pytest.approx(queue / h / lam, rel=1e-9)
    assert a.service_level == pytest.approx(1 - a.p_wait)  # threshold 0: only those not waiting
    assert a.mean_wait == pytest.approx(queue / lam, rel=1e-9)


def test_erlang_a_matches_the_queue_simulation():
    from sim.world.contact_centre import simulate_queue

    calls, _ = simulate_queue(2.0, 1.0, 3, patience=2.0, horizon=40000, seed=3)
    a = service.erlang_a(2.0, 1.0, 3, 2.0, 0.1)
    answered_in_time = (~calls["abandoned"] & (calls["wait"] <= 0.1)).mean()
    # tolerance: several binomial standard errors of ~80,000 correlated calls
    assert calls["abandoned"].mean() == pytest.approx(a.abandonment, rel=0.08)
    assert (calls["wait"] > 0).mean() == pytest.approx(a.p_wait, rel=0.05)
    assert answered_in_time == pytest.approx(a.service_level, rel=0.03)


def test_staffing_curves_mark_unstable_erlang_c_and_fall_with_agents():
    t = service.staffing_curves(3.5, 4.0, 3.0, 1 / 3, range(2, 9))
    assert t.loc[[2, 3], "erlang_c_service_level"].isna().all()  # A ≥ c: no steady state
    assert t.loc[4:, "erlang_c_service_level"].notna().all()
    assert (t["abandonment"].diff().dropna() < 0).all()
    assert (t["service_level"].diff().dropna() > 0).all()
    with pytest.raises(ValueError, match="patience"):
        service.erlang_a(1.0, 1.0, 2, 0.0, 0.1)


# --------------------------------------------------------------------------- 08: advisors


def _advisor_data():
    d = pd.Timestamp("2024-01-01")
    tasks = pd.DataFrame(
        {
            "task_id": [1, 2, 3, 4],
            "customer_id": [10, 11, 12, 13],
            "done_at": [d, d, d, d],
            "outcome": ["reached", "reached", "no_answer", "no_answer"],
            "task_type": ["check_in"] * 4,
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3, 4, 5],
            "customer_id": [10, 10, 11, 12, 99],
            "order_date": [d + pd.Timedelta(days=k) for k in (5, 40, 10, 3, 20)],
            "net_amount": [300.0, 500.0, 100.0, 200.0, 400.0],
        }
    )
    return orders, tasks


def test_advisor_effect_ratios_by_hand():
    orders, tasks = _advisor_data()
    e = service.advisor_effect(orders, tasks, window_days=28, replications=50)["estimate"]
    total = 300 + 100 + 200 + 400  # orders in (first done_at, last done_at + 28 days]
    assert e["attribution_share"] == pytest.approx((300 + 100) / total)
    per_r, per_u = (300 + 100) / 2, 200 / 2
    assert e["lift_vs_no_answer"] == pytest.approx(per_r / per_u - 1)
    assert e["causal_share"] == pytest.approx((per_r - per_u) * 2 / total)
    assert e["gap"] == pytest.approx(e["attribution_share"] - e["causal_share"])
    assert e["buy_rate_reached"] == 1.0 and e["buy_rate_no_answer"] == 0.5


def test_advisor_effect_on_the_course_world_is_within_the_mechanism():
    ds = sim.course_dataset(seed=0)
    e = service.advisor_effect(ds.orders, ds.advisor_tasks, 28, replications=100)
    # attribution far exceeds the causal share: most attributed sales happen anyway
    assert e.loc["gap", "low"] > 0
    assert e.loc["causal_share", "estimate"] < 0.5 * e.loc["attribution_share", "estimate"]
    check = service.advisor_truth_check(
        ds.orders, ds.advisor_tasks, ds.truth, ds.scenario.experience.advisor_responsive
    )
    measured, ceiling = check.loc["measured"], check.loc["mechanism", "extra_buy_rate"]
    assert measured["low"] > 0  # reached clients do buy more
    assert measured["low"] <= ceiling  # but not more than the mechanism allows


@pytest.mark.slow
def test_causal_share_vanishes_when_advisors_change_nothing():
    """With ``advisor_responsive = 0`` the lift's interval covers zero; attribution stays large."""
    sc = sim.preset("default").with_overrides(
        {"population": {"customers": 6000, "years": 2.0}, "experience": {"advisor_responsive": 0.0}}
    )
    ds = sim.simulate(sc, seed=11)
    e = service.advisor_effect(ds.orders, ds.advisor_tasks, 28, replications=200)
    assert e.loc["attribution_share", "low"] > 0.02
    assert e.loc["causal_share", "low"] <= 0.0 <= e.loc["causal_share", "high"] + 0.005


# --------------------------------------------------------------------------- 09: member effect


def _synthetic_frame(n: int, effect: float, seed: int) -> pd.DataFrame:
    """Enrolment rises with a hidden keenness and with the (observed) first order; spend too."""
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=n)
    first = np.exp(5 + 0.5 * rng.normal(size=n) + 0.3 * hidden)
    z = -0.2 + 0.8 * hidden + 0.5 * (np.log(first) - 5)
    p = 1 / (1 + np.exp(-z))
    member = rng.random(n) < p
    spend = np.maximum(0, 400 + 150 * hidden + 0.5 * (first - first.mean()) + effect * member
                       + rng.normal(0, 100, n))  # fmt: skip
    return pd.DataFrame(
        {
            "first_order": first,
            "first_channel": "store",
            "acquisition_channel": rng.choice(["tv", "social"], n),
            "generation": "Gen X",
            "market": "europe",
            "member": member,
            "spend_after": spend,
            "enrol_propensity": p,
        }
    )


def test_member_effect_estimators_on_a_known_effect():
    frame = _synthetic_frame(8000, effect=60.0, seed=1)
    e = loyalty.member_effect_estimates(frame, replications=100, seed=0)
    # the true propensity balances the hidden trait: it finds the effect
    assert e.loc["truth_ipw", "low"] <= 60.0 <= e.loc["truth_ipw", "high"]
    # the naive gap is inflated by self-selection; controls on the observed first order help partly
    assert e.loc["naive", "low"] > 60.0 + 50
    assert e.loc["stratified", "estimate"] < e.loc["naive", "estimate"]
    assert e.loc["ipw", "estimate"] < e.loc["naive", "estimate"]
    assert e.loc["ipw", "low"] > 60.0  # hidden keenness is not observed: bias remains


def test_member_effect_naive_is_a_difference_of_means_and_stratified_by_hand():
    frame = pd.DataFrame(
        {
            "first_order": [10.0, 20.0, 30.0, 40.0],
            "first_channel": "store",
            "acquisition_channel": "tv",
            "generation": "Gen X",
            "market": "europe",
            "member": [False, True, False, True],
            "spend_after": [1.0, 3.0, 10.0, 14.0],
        }
    )
    e = loyalty.member_effect_estimates(frame, strata=2, replications=20)
    assert e.loc["naive", "estimate"] == pytest.approx((3 + 14) / 2 - (1 + 10) / 2)
    assert e.loc["stratified", "estimate"] == pytest.approx(((3 - 1) + (14 - 10)) / 2)
    assert "truth_ipw" not in e.index


def test_effect_economics_by_hand():
    est = pd.DataFrame({"estimate": [100.0, 0.0], "low": [50.0, -20.0], "high": [150.0, 20.0]},
                       index=["naive", "truth_ipw"])  # fmt: skip
    out = loyalty.effect_economics(est, margin_rate=0.6, running_cost=4.0, years=1.0)
    assert out.loc["naive", "net_benefit"] == pytest.approx(56.0)
    assert out.loc["naive", "low"] == pytest.approx(26.0)
    assert list(out["pays"]) == ["yes", "unclear"]


@pytest.fixture(scope="module")
def course():
    return sim.course_dataset(seed=0)


def test_enrolment_frame_is_pre_enrolment_and_full_window(course):
    f = loyalty.enrolment_frame(course.customers, course.orders, course.truth, outcome_days=365)
    end = course.orders["order_date"].max()
    assert (f["first_date"] + pd.Timedelta(days=365) <= end).all()
    members = course.customers.set_index("customer_id")["loyalty_enrol_date"]
    m = f[f["member"]]
    # enrolment is at the first purchase, so the first order is known before it
    assert (m["customer_id"].map(members) == m["first_date"]).all()
    assert f["loyalty_effect"].where(~f["member"], 1.0).eq(1.0).all()
    assert f.loc[f["member"], "loyalty_effect"].eq(course.scenario.loyalty.member_effect).all()


def test_course_world_members_are_self_selected(course):
    f = loyalty.enrolment_frame(course.customers, course.orders, course.truth)
    b = loyalty.balance_table(f)
    assert b.loc["members", "enrol_propensity"] > b.loc["non_members", "enrol_propensity"] + 0.05
    e = loyalty.member_effect_estimates(f, replications=50)
    assert e.loc["naive", "low"] > e.loc["truth_ipw", "high"]  # the naive gap is mostly selection


@pytest.mark.slow
def test_truth_ipw_finds_no_effect_where_the_programme_has_none():
    sc = sim.preset("default").with_overrides(
        {"population": {"customers": 6000, "years": 2.5}, "loyalty": {"member_effect": 1.0}}
    )
    ds = sim.simulate(sc, seed=5)
    f = loyalty.enrolment_frame(ds.customers, ds.orders, ds.truth)
    e = loyalty.member_effect_estimates(f, replications=100)
    assert e.loc["naive", "low"] > 0  # self-selection alone makes members look better
    # no causal effect on behaviour; the rewards, given as discounts, can only lower net revenue
    assert e.loc["truth_ipw", "low"] < 0 < e.loc["naive", "low"]
    assert e.loc["truth_ipw", "high"] > -0.1 * e.loc["naive", "estimate"]


# --------------------------------------------------------------------------- explorers' views


def test_centre_explorer_marks_the_chosen_agents_and_matches_erlang_a():
    from sim.charts import service as charts

    line, table = charts.centre_explorer(
        "north", 2.0, 3, loads={"north": 1.2}, handle_time=9.0, patience=6.0, threshold=1 / 3
    )
    exact = service.erlang_a(2.4 / 9.0, 9.0, 3, 6.0, 1 / 3)
    assert "3 ◀" in table.index
    assert table.loc["3 ◀", "Erlang A abandonment"] == pytest.approx(exact.abandonment, abs=5e-4)
    assert f"{exact.abandonment:.1%} hang up" in line
    with pytest.raises(ValueError, match="market"):
        charts.centre_explorer(
            "south", 1.0, 2, loads={"north": 1.0}, handle_time=9.0, patience=6.0, threshold=0.3
        )


def test_design_view_reports_the_model():
    from sim.charts import loyalty as charts

    r = loyalty.programme_design(1.0, 500, 12, 0.02, members=100, n_types=20)
    line, summary, path = charts.design_view(r)
    assert f"{r.breakage:.1%}" in line
    assert path["liability (EUR)"].iloc[-1] == pytest.approx(round(r.liability), abs=1)
    assert list(path.index) == [6, 12, 18, 24, 30, 36]


@pytest.mark.slow
def test_truth_ipw_interval_coverage():
    """Over 50 seeded synthetic populations the 90 % interval covers the true effect 80–97 % of the time."""
    hits = 0
    for rep in range(50):
        frame = _synthetic_frame(1500, effect=60.0, seed=100 + rep)
        e = loyalty.member_effect_estimates(frame, level=0.9, replications=100, seed=rep)
        hits += e.loc["truth_ipw", "low"] <= 60.0 <= e.loc["truth_ipw", "high"]
    assert 40 <= hits <= 48, f"covered {hits} of 50"


def _random_reach(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One task per client, reached by chance; reaching raises the buy chance from 0.3 to 0.4."""
    rng = np.random.default_rng(seed)
    d = pd.Timestamp("2024-03-01")
    reached = rng.random(n) < 0.65
    tasks = pd.DataFrame(
        {
            "task_id": np.arange(n),
            "customer_id": np.arange(n),
            "done_at": d,
            "outcome": np.where(reached, "reached", "no_answer"),
        }
    )
    buys = rng.random(n) < np.where(reached, 0.4, 0.3)
    ids = np.flatnonzero(buys)
    orders = pd.DataFrame(
        {
            "order_id": np.arange(len(ids)),
            "customer_id": ids,
            "order_date": d + pd.to_timedelta(rng.integers(1, 28, len(ids)), unit="D"),
            "net_amount": 200.0,
        }
    )
    return orders, tasks


@pytest.mark.slow
def test_advisor_lift_interval_coverage():
    """The 90 % interval of the lift over unanswered calls covers the true lift (1/3) 80–97 % of the time."""
    hits = 0
    for rep in range(50):
        orders, tasks = _random_reach(3000, seed=rep)
        e = service.advisor_effect(orders, tasks, 28, level=0.9, replications=200, seed=rep)
        hits += e.loc["lift_vs_no_answer", "low"] <= 1 / 3 <= e.loc["lift_vs_no_answer", "high"]
    assert 40 <= hits <= 48, f"covered {hits} of 50"


# --------------------------------------------------------------------------- 09: the exercise sheet


def test_09_q2_asks_the_liability_range_the_notebook_prints():
    """Sheet 09 q2 is the range between the two breakages, as notebook 09 gives it."""
    from sim.course.answer_key import compute_key
    from sim.course.checks import Checker, compare

    key = compute_key("09_loyalty_economics")
    q = key["q2"]
    from sim.course import seed_for

    ds = sim.course_dataset(seed=seed_for("", 0))  # the class dataset, as the sheet loads it
    ledger, customers = ds.loyalty_ledger, ds.customers
    rules = ds.scenario.loyalty
    kpis = loyalty.programme_kpis(ledger, customers, rules.point_value)
    want = loyalty.liability_range(kpis, loyalty.redeemer_share(ledger, rules.reward_threshold))
    got = q.expected_value()
    assert list(got.index) == ["low", "high"]
    assert got["low"] == pytest.approx(want["low"]) and got["high"] == pytest.approx(want["high"])
    assert got["low"] < got["high"] <= kpis["liability"]
    checker = Checker({"q2": q})
    for hint, value in q.mistake_values().items():
        assert compare(value, q)[0] != "right", hint
        verdict = checker.check("q2", value, show=False)
        assert verdict.status == "wrong" and hint in verdict.message, hint
    # one figure where the question asks for the range is a type error, not a verdict on it
    assert checker.check("q2", float(want["high"]), show=False).status == "wrong_type"
