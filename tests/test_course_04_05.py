"""What notebooks 04 and 05 compute, checked against hand values, published results and the truth."""

import numpy as np
import pandas as pd
import pytest

from sim.analytics import clv

# --------------------------------------------------------------------------- 05: reconciliation


def test_reconcile_names_the_first_period_as_the_classroom_gap():
    m, r, d = 500.0, 0.6, 0.1
    table = clv.reconcile_clv(m, r, d, 3, btyd_existing=700.0, btyd_new=900.0)
    v = table["clv"].to_numpy()
    # Classroom m/(1-r) = 1250; geometric churn with t >= 0 is the same number.
    assert v[0] == pytest.approx(1250.0) and v[1] == pytest.approx(1250.0)
    # t >= 1 drops exactly one year's margin: m r/(1-r) = 750 = 1250 - m.
    assert v[2] == pytest.approx(750.0) and table["change"].iloc[2] == pytest.approx(-m)
    # Discounted: m r / (1 + d - r) = 300 / 0.5 = 600.
    assert v[3] == pytest.approx(600.0)
    # Three years, t = 1..3: 500 (0.6/1.1 + 0.6²/1.1² + 0.6³/1.1³).
    q = 0.6 / 1.1
    assert v[4] == pytest.approx(500 * (q + q**2 + q**3))
    assert v[4] == pytest.approx(clv.retention_clv_finite(m, r, d, 3))
    assert list(v[5:]) == [700.0, 900.0]
    assert "first year's margin" in table["why"].iloc[2]
    with pytest.raises(ValueError, match="retention"):
        clv.reconcile_clv(m, 1.0, d, 3, 1.0, 1.0)


def test_new_customer_clv_counts_the_first_order_now_and_discounts_repeats():
    model = clv.BGNBD.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    e = model.expected_purchases([0.0, 52.0, 104.0])
    want = 100.0 + 20.0 * ((e[1] - e[0]) / 1.1 + (e[2] - e[1]) / 1.1**2)
    assert clv.new_customer_clv(model, 100.0, 20.0, 2, 0.1) == pytest.approx(want)
    # Undiscounted, the repeats are E[X(2 years)].
    assert clv.new_customer_clv(model, 0.0, 1.0, 2, 0.0) == pytest.approx(e[2])


def test_programme_cost_proportional_to_clv_is_equally_affordable_for_every_tier():
    tiers = pd.Series({"top": 5000.0, "middle": 600.0, "tail": 150.0})
    out = clv.programme_affordability(tiers, uplift=0.10, fixed_cost=40.0, proportional_cost=0.05)
    # Proportional: (0.10 - 0.05) · CLV > 0 in every tier; the same verdict everywhere.
    assert out["pays_proportional"].all()
    np.testing.assert_allclose(out["net_proportional"], 0.05 * tiers)
    more = clv.programme_affordability(tiers, 0.10, 40.0, proportional_cost=0.12)
    assert not more["pays_proportional"].any()
    # Fixed cost 40 € at a 10 % uplift breaks even at CLV 400: pays for top and middle only.
    assert out.attrs["break_even_clv"] == pytest.approx(400.0)
    assert out["pays_fixed"].to_dict() == {"top": True, "middle": True, "tail": False}
    np.testing.assert_allclose(out["net_fixed"], [460.0, 20.0, -25.0])


def test_value_given_back_per_segment():
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "net_amount": [100.0, 300.0, 50.0, 0.0],
            "discount_amount": [10.0, 30.0, 0.0, 5.0],
        }
    )
    seg = pd.Series(["a", "b", "b"], index=pd.Index([1, 2, 3], name="customer_id"))
    out = clv.value_given_back(orders, seg, gross_margin=0.5)
    assert out.loc["a", "margin_per_customer"] == pytest.approx(200.0)
    assert out.loc["a", "given_back_per_customer"] == pytest.approx(40.0)
    assert out.loc["b", "margin_per_customer"] == pytest.approx(12.5)
    assert out.loc["a", "given_back_share"] == pytest.approx(40 / 240)


# --------------------------------------------------------------------------- 05: diagnostics


@pytest.fixture(scope="module")
def cdnow_cal():
    tx = clv.load_cdnow_transactions()
    cal = clv.calibration_holdout_split(tx, "1997-09-30", "1998-06-30", time_unit="weeks")
    models = {
        "BG/NBD": clv.BGNBD.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426),
        "Pareto/NBD": clv.ParetoNBD.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669),
    }
    return tx, cal, models


def test_cdnow_fit_from_transactions_reproduces_the_published_parameters(cdnow_cal):
    _, cal, _ = cdnow_cal
    bg = clv.BGNBD().fit(cal["frequency_cal"], cal["recency_cal"], cal["T_cal"])
    assert {k: round(v, 3) for k, v in bg.params_.items()} == {
        "r": 0.243,
        "alpha": 4.414,
        "a": 0.793,
        "b": 2.426,
    }
    assert cal["duration_holdout"].iloc[0] == 39.0


def test_tracking_table_counts_repeats_and_sums_expectations(cdnow_cal):
    tx, cal, models = cdnow_cal
    track = clv.tracking_table(tx, models, "1997-09-30", "1998-06-30")
    # 78 weeks; the actual cumulative count at the end is every repeat purchase day.
    assert len(track) == 78 and track["calibration"].sum() == 39
    assert track["actual"].iloc[38] == cal["frequency_cal"].sum()
    assert track["actual"].iloc[-1] == cal["frequency_cal"].sum() + cal["frequency_holdout"].sum()
    # At the end of calibration, the model's cumulative expectation is Σ E[X(T_i)].
    bg = models["BG/NBD"]
    assert track["BG/NBD"].iloc[38] == pytest.approx(bg.expected_purchases(cal["T_cal"]).sum())
    # FHL (2005) figure: the BG/NBD tracks the 78-week total within a few percent.
    assert abs(track["BG/NBD"].iloc[-1] / track["actual"].iloc[-1] - 1) < 0.06


def test_frequency_histogram_matches_the_bgnbd_closed_form(cdnow_cal):
    from scipy.special import betaln, gammaln, hyp2f1  # noqa: F401

    _, cal, models = cdnow_cal
    hist = clv.frequency_histogram(models, cal["frequency_cal"], cal["T_cal"], 3, replications=40)
    assert hist["actual"].sum() == len(cal) and hist["actual"].iloc[0] == 1411
    r, alpha, a, b = (models["BG/NBD"].params_[k] for k in ("r", "alpha", "a", "b"))

    def p_x(x, t):  # FHL (2005) eq. 8
        head = (
            np.exp(betaln(a, b + x) - betaln(a, b) + gammaln(r + x) - gammaln(r) - gammaln(x + 1))
            * (alpha / (alpha + t)) ** r
            * (t / (alpha + t)) ** x
        )
        tail = 0.0
        if x > 0:
            j = np.arange(x)
            terms = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1))[:, None] * (
                (t / (alpha + t))[None, :] ** j[:, None]
            )
            tail = np.exp(betaln(a + 1, b + x - 1) - betaln(a, b)) * (
                1 - (alpha / (alpha + t)) ** r * terms.sum(axis=0)
            )
        return head + tail

    t = cal["T_cal"].to_numpy()
    closed = [p_x(x, t).sum() for x in range(3)]
    closed.append(len(t) - sum(closed))
    np.testing.assert_allclose(hist["BG/NBD"], closed, rtol=0.03)


def test_holdout_by_frequency_and_iso_value(cdnow_cal):
    _, cal, models = cdnow_cal
    table = clv.holdout_by_frequency(cal, models, 7)
    assert table["customers"].sum() == len(cal)
    zero = cal["frequency_cal"] == 0
    assert table.loc["0", "actual"] == pytest.approx(cal.loc[zero, "frequency_holdout"].mean())
    grid = clv.iso_value_grid(models["BG/NBD"], 39.0, 52.0, max_frequency=5, n_recency=5)
    assert grid.shape == (5, 5)
    # More recent is worth more at every frequency.
    assert (np.diff(grid.to_numpy(), axis=1) > 0).all()


def test_bgnbd_gives_one_time_buyers_p_alive_one_and_misses_between_purchase_dropout():
    # A Pareto/NBD world: lifetimes end between purchases. BG/NBD cannot see it in x = 0.
    draw = clv.simulate_pareto_nbd(
        np.full(4000, 52.0), 0.8, 8.0, 1.0, 40.0, seed=3, return_truth=True
    )
    cal = pd.DataFrame(
        {
            "frequency_cal": draw["frequency"],
            "recency_cal": draw["recency"],
            "T_cal": draw["T"],
        }
    )
    bg = clv.BGNBD().fit(draw["frequency"], draw["recency"], draw["T"])
    pn = clv.ParetoNBD().fit(draw["frequency"], draw["recency"], draw["T"])
    p = {
        m: x.probability_alive(draw["frequency"], draw["recency"], draw["T"])
        for m, x in (("BG/NBD", bg), ("Pareto/NBD", pn))
    }
    table = clv.alive_by_frequency(cal, p, draw["alive"], 3)
    assert table.loc["0", "BG/NBD"] == 1.0
    assert table.loc["0", "truly_alive"] < 0.8
    assert abs(table.loc["0", "Pareto/NBD"] - table.loc["0", "truly_alive"]) < 0.08
    verdict = clv.model_verdict(table, ["BG/NBD", "Pareto/NBD"])
    assert verdict.startswith("BG/NBD overstates") and "0 calibration purchases" in verdict


def test_truly_alive_and_loss_timing_read_the_truth():
    t = pd.to_datetime
    truth = pd.DataFrame(
        {
            "first_dropout_date": t(["2024-01-01", None, "2024-01-01", "2025-06-01"]),
            "won_back_date": t(["2024-03-01", None, None, None]),
            "dropout_date": t([None, None, "2024-01-01", "2025-06-01"]),
        }
    )
    assert clv.truly_alive(truth, "2025-01-01").tolist() == [True, True, False, True]
    states = pd.DataFrame(
        {
            "to_state": ["lost", "lost", "lost", "cooling"],
            "cause": ["hazard", "dropout", "purchase", "drift"],
            "timestamp": t(["2024-01-01"] * 4),
        }
    )
    out = clv.loss_timing(states)
    assert (out["losses"], out["at a purchase"], out["between purchases"]) == (3, 2, 1)


# --------------------------------------------------------------------------- 05: intervals


def test_bootstrap_params_cover_the_published_fit_and_are_reproducible():
    data = clv.load_cdnow_summary()
    bg = clv.BGNBD.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    draws = clv.bootstrap_params(
        bg, data["frequency"], data["recency"], data["T"], replications=12, seed=1
    )
    again = clv.bootstrap_params(
        bg, data["frequency"], data["recency"], data["T"], replications=12, seed=1
    )
    pd.testing.assert_frame_equal(draws, again)
    table = clv.param_intervals(bg, draws, level=0.9)
    assert (table["low"] < table["estimate"]).all() and (table["estimate"] < table["high"]).all()
    with pytest.raises(ValueError, match="replications"):
        clv.bootstrap_params(bg, data["frequency"], data["recency"], data["T"], replications=3)


def test_bgnbd_surface_is_pure_and_matches_the_model():
    out = clv.bgnbd_surface(0.3, 9.0, 0.5, 2.0, T=52.0)
    again = clv.bgnbd_surface(0.3, 9.0, 0.5, 2.0, T=52.0)
    pd.testing.assert_frame_equal(out["p_alive"], again["p_alive"])
    model = clv.BGNBD.from_params(r=0.3, alpha=9.0, a=0.5, b=2.0)
    assert (out["p_alive"].loc[0] == 1.0).all()
    rec = float(out["p_alive"].columns[3])
    assert out["p_alive"].loc[4].iloc[3] == pytest.approx(
        float(model.probability_alive([4], [rec], [52.0])[0])
    )
    assert out["expected"].iloc[-1] == pytest.approx(float(model.expected_purchases(104.0)))
    # On the removable singularity a = 1 the surface is still finite.
    assert np.isfinite(clv.bgnbd_surface(0.3, 9.0, 1.0, 2.0)["expected"]).all()


# --------------------------------------------------------------------------- 04: segmentation


def _orders():
    t = pd.to_datetime
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 3, 4, 5],
            "order_date": t(
                [
                    "2024-01-05",
                    "2024-06-01",
                    "2024-11-20",
                    "2024-03-01",
                    "2024-12-15",
                    "2023-05-01",
                    "2024-12-30",
                    "2025-02-01",
                ]
            ),
            "net_amount": [5000.0, 300.0, 800.0, 120.0, 90.0, 60.0, 4500.0, 50.0],
            "channel": [
                "store",
                "ecommerce",
                "store",
                "store",
                "store",
                "social_commerce",
                "store",
                "store",
            ],
        }
    )


def test_channels_per_customer_counts_distinct_channels_before_the_date():
    from sim.analytics import rfm

    got = rfm.channels_per_customer(_orders(), before="2025-01-01")
    assert got.to_dict() == {1: 2, 2: 1, 3: 1, 4: 1}


def test_segment_rates_are_wilson_intervals():
    from sim.analytics import rfm
    from sim.analytics.intervals import wilson_interval

    idx = pd.Index(range(30), name="customer_id")
    groups = pd.Series(["a"] * 20 + ["b"] * 10, index=idx)
    outcome = pd.Series([True] * 3 + [False] * 17 + [True] * 9 + [False], index=idx)
    out = rfm.segment_rates(groups, outcome, level=0.9)
    for g, k, n in (("a", 3, 20), ("b", 9, 10)):
        want = wilson_interval(k, n, 0.9)
        assert out.loc[g, "rate"] == pytest.approx(k / n)
        assert out.loc[g, "low"] == pytest.approx(want["low"])
        assert out.loc[g, "high"] == pytest.approx(want["high"])


def test_backtest_cutoffs_match_rfm_scores_and_count_returns():
    from sim.analytics import rfm

    orders = _orders()
    then = rfm.rfm_table(orders, "2025-01-01")
    active = pd.Series(then.index.isin([1, 4]), index=then.index)
    out = rfm.backtest_cutoffs(then, active, recent_days=30, frequent_orders=2, high_spend=4000)
    scored = rfm.rfm_scores(
        then,
        recency_cuts=rfm.ladder_cuts(30, higher_is_better=False),
        frequency_cuts=rfm.ladder_cuts(2),
        monetary_cuts=rfm.ladder_cuts(4000),
    )
    counts = scored["segment"].value_counts().reindex(list(rfm.SEGMENTS), fill_value=0)
    assert out["customers"].tolist() == counts.tolist()
    for seg, members in scored.groupby("segment").groups.items():
        assert out.loc[seg, "active_next"] == pytest.approx(active.loc[members].mean())
    assert out["revenue_share"].sum() == pytest.approx(1.0)


def test_segment_nps_uses_the_definition():
    from sim.analytics import rfm

    groups = pd.Series(["x", "x", "y"], index=pd.Index([1, 2, 3], name="customer_id"))
    surveys = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3], "nps": [10, 9, 3, 8, 6]})
    out = rfm.segment_nps(groups, surveys)
    # x: 2 promoters, 1 detractor of 3 → +33.3; y: 0 promoters, 1 detractor of 2 → −50.
    assert out.loc["x", "nps"] == pytest.approx(100 / 3)
    assert out.loc["y", "nps"] == pytest.approx(-50.0)
    assert out.loc["x", "responses"] == 3


# --------------------------------------------------------------------------- 05: the exercise sheet


@pytest.fixture(scope="module")
def clv_sheet_key():
    from sim.course.answer_key import compute_key

    return compute_key("05_clv")


def _judge(question, answer):
    from sim.course.checks import Checker

    return Checker({question.question: question}).check(question.question, answer, show=False)


def test_05_q2_rejects_the_actual_holdout_count_with_a_hint(clv_sheet_key):
    """Issue 9 §5: pasting what the one-time buyers actually did is not the model's prediction."""
    import sim
    from sim.course import seed_for

    q = clv_sheet_key["q2"]
    ds = sim.course_dataset(seed=seed_for("", 0))
    cal = clv.calibration_holdout_split(ds.orders, "2024-12-31", time_unit="weeks")
    shortcut = float(cal.loc[cal["frequency_cal"] == 0, "frequency_holdout"].sum())
    predicted = q.expected_value()
    # the prediction is the Pareto/NBD sum, not the count: they differ far beyond the tolerance
    assert abs(shortcut / predicted - 1) > 10 * q.rtol
    verdict = _judge(q, shortcut)
    assert verdict.status == "wrong" and verdict.points == 0
    assert "actual holdout count" in verdict.message
    for shown in (f"{predicted:.0f}", f"{predicted:,.0f}", f"{predicted:.1f}"):
        assert shown not in verdict.message
    assert _judge(q, predicted).status == "right"


def test_05_q7_relative_widths_of_the_bgnbd_intervals(clv_sheet_key):
    """The key is (high − low) / estimate of the 90 % bootstrap intervals; each slip has its hint."""
    q = clv_sheet_key["q7"]
    widths = q.expected_value()
    assert list(widths.index) == ["r", "alpha", "a", "b"]
    assert (widths > 0).all()
    hints = q.mistake_values()
    # the half-width is exactly half; a 95 % interval is wider than the 90 % one
    half = hints["did you take the half-width? The width runs from low to high"]
    np.testing.assert_allclose(half, widths / 2, rtol=1e-12)
    assert (hints["the question asks for 90 % intervals (level=0.9)"] >= widths).all()
    for hint, value in hints.items():
        verdict = _judge(q, value)
        assert verdict.status == "wrong" and hint in verdict.message, hint
    assert _judge(q, 100 * widths).status == "factor"  # percent instead of a share


def test_05_every_mistake_is_told_apart_from_the_right_answer(clv_sheet_key):
    from sim.course.checks import compare

    assert len(clv_sheet_key) >= 6
    for name, question in clv_sheet_key.items():
        assert not question.error, f"{name}: {question.error}"
        for hint, value in question.mistake_values().items():
            assert compare(value, question)[0] != "right", f"{name}: {hint!r} passes as right"
            assert question.diagnose(value) == hint, f"{name}: {hint!r}"
