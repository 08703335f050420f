"""What notebooks 02 (data quality) and 03 (acquisition) compute, checked by hand and against the truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analytics import acquisition, quality
from sim.analytics.intervals import wilson_interval
from sim.vocab import PAID_CHANNELS


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval written out (the formula the sheets derive)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# --------------------------------------------------------------------------- 02 data quality
def test_target_verdict_reads_the_whole_interval() -> None:
    assert quality.target_verdict(0.010, 0.019, 0.02) == "meets"
    assert quality.target_verdict(0.015, 0.025, 0.02) == "cannot tell"
    assert quality.target_verdict(0.020, 0.030, 0.02) == "misses"
    assert quality.target_verdict(math.nan, 0.01, 0.02) == "cannot tell"


def test_sample_duplicate_rate_is_a_wilson_interval_on_the_sampled_truth() -> None:
    truth = pd.DataFrame(
        {"customer_id": range(1, 201), "is_duplicate": [i % 10 == 0 for i in range(200)]}
    )
    whole = quality.sample_duplicate_rate(truth, 500)  # more than the base: everyone reviewed
    assert whole["reviewed"] == 200 and whole["duplicates"] == 20
    low, high = _wilson(20, 200)
    assert whole["low"] == pytest.approx(low, abs=1e-12)
    assert whole["high"] == pytest.approx(high, abs=1e-12)
    assert whole["true_rate"] == pytest.approx(0.1)
    assert whole["verdict"] == "misses"  # 10 % against a 2 % target, even the low bound
    picked = np.random.default_rng(3).choice(200, size=50, replace=False)
    part = quality.sample_duplicate_rate(truth, 50, seed=3)
    assert part["duplicates"] == int(truth["is_duplicate"].to_numpy()[picked].sum())
    with pytest.raises(ValueError, match="sample_size: must be a whole number >= 1"):
        quality.sample_duplicate_rate(truth, 0)


def test_sample_interval_covers_the_true_rate_about_as_often_as_it_says() -> None:
    # 2 % duplicates in 20,000 profiles; 200 reviews of 1,000 profiles each.
    truth = pd.DataFrame(
        {"customer_id": range(20_000), "is_duplicate": np.arange(20_000) % 50 == 0}
    )
    covered = [
        (r["low"] <= 0.02 <= r["high"])
        for r in (quality.sample_duplicate_rate(truth, 1000, seed=s) for s in range(200))
    ]
    assert 0.90 <= np.mean(covered) <= 0.99  # a 95 % interval, Wilson's near-nominal coverage


def test_precision_audit_reviews_matches_only() -> None:
    labelled = pd.DataFrame(
        {
            "customer_id_a": range(10),
            "customer_id_b": range(10, 20),
            "score": [0.95, 0.9, 0.85, 0.8, 0.75, 0.6, 0.55, 0.5, 0.4, 0.3],
            "is_true": [True, True, True, False, True, False, True, False, False, False],
        }
    )
    a = quality.precision_audit(labelled, 0.7, sample_size=100)
    assert (a["matches"], a["reviewed"], a["confirmed"]) == (5, 5, 4)
    assert a["true_precision"] == pytest.approx(0.8)
    assert (a["low"], a["high"]) == pytest.approx(_wilson(4, 5), abs=1e-12)


def test_consent_conflicts_counts_people_not_profiles() -> None:
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5, 6],
            "consent_email": [True, False, True, True, False, True],
            "opt_out": [False, True, False, False, False, False],
        }
    )
    # persons: 10 = {1, 2} (disagree on both), 20 = {3, 4} (agree), 30 = {5} alone, 40 = {6}
    truth = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6], "person_id": [10, 10, 20, 20, 30, 40]})
    out = quality.consent_conflicts(customers, truth, columns=["consent_email", "opt_out"])
    assert out["people_with_duplicates"].tolist() == [2, 2]
    assert out["conflicting"].tolist() == [1, 1]
    assert out["share"].tolist() == [0.5, 0.5]


def test_personal_data_inventory_flags_proxies_and_unknown_fields() -> None:
    inv = quality.personal_data_inventory(["email", "nationality", "religion"])
    assert inv.loc["nationality", "special_category"] == "racial or ethnic origin"
    assert inv.loc["email", "special_category"] == ""
    assert inv.loc["religion", "category"] == "unknown"  # a new field is reviewed, not assumed safe
    assert "health" in quality.GDPR_SPECIAL_CATEGORIES


@pytest.fixture(scope="module")
def course() -> sim.Dataset:
    return sim.course_dataset()


def test_course_duplicate_facts_against_the_truth(course: sim.Dataset) -> None:
    truth = course.truth
    rate = quality.duplicate_rate(truth)
    people = truth["person_id"].nunique()
    assert rate == pytest.approx(1 - people / len(truth))  # every duplicate adds one profile
    conflicts = quality.consent_conflicts(course.customers, truth)
    dup_people = int((truth.groupby("person_id").size() > 1).sum())
    assert conflicts["people_with_duplicates"].unique().tolist() == [dup_people]
    assert (conflicts["conflicting"] <= dup_people).all()
    labelled = quality.label_pairs(quality.find_duplicates(course.customers), truth)
    v = quality.audit_view(labelled, 0.7, 100, len(quality.true_pairs(truth)), len(truth))
    assert v["audit_true_precision"] == pytest.approx(v["precision"])
    assert v["audit_low"] <= v["audit_estimate"] <= v["audit_high"]


# --------------------------------------------------------------------------- 03 acquisition
def _leads() -> pd.DataFrame:
    t = pd.Timestamp("2024-01-10")
    rows = []
    for channel, n, won, cost in (("tv", 40, 2, 50.0), ("referral", 10, 5, 4.0)):
        for i in range(n):
            rows.append(
                {
                    "lead_id": len(rows) + 1,
                    "created_at": t,
                    "channel": channel,
                    "cost": cost,
                    "converted": i < won,
                    "converted_at": t + pd.Timedelta(days=3) if i < won else pd.NaT,
                }
            )
    return pd.DataFrame(rows)


def test_channel_rates_divide_cpl_by_the_conversion_bounds() -> None:
    r = acquisition.channel_rates(_leads())
    tv = r.loc["tv"]
    assert (tv["spend"], tv["leads"], tv["customers"]) == (2000.0, 40, 2)
    assert tv["cac"] == pytest.approx(1000.0)  # 2,000 EUR / 2 customers
    low, high = _wilson(2, 40)
    assert (tv["conversion_low"], tv["conversion_high"]) == pytest.approx((low, high), abs=1e-12)
    assert tv["cac_low"] == pytest.approx(50.0 / high)
    assert tv["cac_high"] == pytest.approx(50.0 / low)
    assert tv["cac_low"] < tv["cac"] < tv["cac_high"]


def test_value_by_channel_counts_the_first_months_of_fully_observed_customers() -> None:
    day = pd.Timestamp("2023-01-01")
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "acquisition_channel": ["tv", "tv", "referral", "referral"],
            "signup_date": [day, day, day, day + pd.Timedelta(days=300)],  # 4: not observed long
        }
    )
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 4],
            "order_date": [day, day + pd.Timedelta(days=100), day, day, day + pd.Timedelta(days=200),
                           day + pd.Timedelta(days=330)],
            "net_amount": [100.0, 50.0, 30.0, 200.0, 80.0, 999.0],
        }
    )  # fmt: skip
    v = acquisition.value_by_channel(
        customers, orders, months=6, margin=0.5, end=day + pd.Timedelta(days=365)
    )
    # months=6 → 182.6 days: customer 3's order at day 200 is outside, 4 is not observed for 6 months.
    assert v.loc["tv", "customers"] == 2 and v.loc["referral", "customers"] == 1
    assert v.loc["tv", "value"] == pytest.approx(0.5 * (150 + 30) / 2)
    assert v.loc["referral", "value"] == pytest.approx(0.5 * 200)
    per = np.array([75.0, 15.0])
    half = 12.706204736174707 * per.std(ddof=1) / math.sqrt(2)  # t(0.975, 1 df)
    assert v.loc["tv", "high"] - v.loc["tv", "value"] == pytest.approx(half)


def test_referrals_by_state_counts_who_recommended() -> None:
    customers = pd.DataFrame(
        {"customer_id": [1, 2, 3, 4, 5], "referred_by": pd.array([None, 1, 1, 2, None], "Int64")}
    )
    truth = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "initial_state": ["committed", "cooling", "cooling", "engaged", "engaged"],
        }
    )
    r = acquisition.referrals_by_state(customers, truth)
    assert r.loc["committed", "referrals"] == 2 and r.loc["committed", "per_customer"] == 2.0
    assert r.loc["cooling", "referrals"] == 1 and r.loc["cooling", "per_customer"] == 0.5
    assert r.loc["engaged", "referrals"] == 0


def test_plan_budget_follows_the_power_law_and_keeps_unpaid_channels() -> None:
    today = pd.DataFrame(
        {
            "spend": [600.0, 400.0, 50.0],
            "leads": [60.0, 20.0, 10.0],
            "conversion_rate": [0.1, 0.2, 0.5],
        },
        index=["paid_search", "tv", "referral"],
    )
    same = acquisition.plan_budget(today)
    assert same.loc[["paid_search", "tv", "referral"], "leads"].tolist() == [60.0, 20.0, 10.0]
    double = acquisition.plan_budget(today, budget=2.0, saturation=0.5)
    assert double.loc["paid_search", "leads"] == pytest.approx(60 * math.sqrt(2))
    assert double.loc["tv", "spend"] == pytest.approx(800.0)
    assert double.loc["referral", "spend"] == 50.0 and double.loc["referral", "leads"] == 10.0
    # All paid money on search (percentages): tv gets nothing, search 1,000 EUR.
    moved = acquisition.plan_budget(today, saturation=0.5, paid_search=100, tv=0)
    assert moved.loc["tv", "leads"] == 0.0
    assert moved.loc["paid_search", "leads"] == pytest.approx(60 * math.sqrt(1000 / 600))
    assert moved.loc["total", "customers"] == pytest.approx(
        0.1 * 60 * math.sqrt(1000 / 600) + 0.5 * 10
    )
    valued = acquisition.plan_budget(today, value={"paid_search": 100, "tv": 50, "referral": 80})
    assert valued.loc["total", "net"] == pytest.approx(6 * 100 + 4 * 50 + 5 * 80 - 1050)
    with pytest.raises(ValueError, match="shares: partners not among the paid channels"):
        acquisition.plan_budget(today, partners=10)
    with pytest.raises(ValueError, match=r"saturation: must be in \(0, 1\]"):
        acquisition.plan_budget(today, saturation=0)


def test_the_world_answers_a_budget_as_plan_budget_predicts() -> None:
    """Doubling the simulated brand's paid budget multiplies paid customers by about 2 ** saturation."""
    base = sim.preset("default").with_overrides({"population": {"customers": 3000}})
    sat = base.acquisition.saturation
    rich = base.with_overrides({"acquisition": {"budget": 2.0}})
    paid = list(PAID_CHANNELS)
    won = []
    for sc in (base, rich):
        leads = sim.simulate(sc, seed=0).leads
        won.append(int(leads.loc[leads["channel"].isin(paid), "converted"].sum()))
    ratio = won[1] / won[0]
    assert ratio == pytest.approx(2**sat, rel=0.08)


def test_course_channel_rates_intervals_hold_their_estimates(course: sim.Dataset) -> None:
    r = acquisition.channel_rates(course.leads, course.marketing_spend)
    assert (r["conversion_low"] <= r["conversion_rate"]).all()
    assert (r["conversion_rate"] <= r["conversion_high"]).all()
    for ch, row in r.iterrows():
        ci = wilson_interval(int(row["customers"]), int(row["leads"]))
        assert row["conversion_low"] == pytest.approx(ci["low"]), ch
    np.testing.assert_allclose(r["cac"], r["cpl"] / r["conversion_rate"], rtol=1e-12)


# --------------------------------------------------------------------------- the sheets
@pytest.mark.parametrize("sheet", ["02_data_quality", "03_acquisition"])
def test_sheet_mistakes_are_told_apart_from_the_right_answer(sheet: str) -> None:
    """On the class dataset every common mistake is judged wrong, and gets its own hint."""
    from sim.course.answer_key import compute_key
    from sim.course.checks import compare

    key = compute_key(sheet)
    assert len(key) >= 6  # at least six self-checked questions (plus a written one)
    assert key.spec.written, f"{sheet}: needs a written question with a rubric"
    hinted = 0
    for name, question in key.items():
        assert not question.error, f"{sheet} {name}: {question.error}"
        for hint, value in question.mistake_values().items():
            verdict, _ = compare(value, question)
            assert verdict != "right", f"{sheet} {name}: the mistake {hint!r} passes as right"
            assert question.diagnose(value) == hint, f"{sheet} {name}: {hint!r}"
            hinted += 1
    assert hinted >= 8
