"""Do the segment intervals of notebook 05 cover the truth as often as they claim?

Each replication draws a small population from BG/NBD + Gamma-Gamma with a
truth table (latent λ, p, ν and whether each customer is alive at the
cut-off), fits both models on the calibration summary, and builds the 90 %
interval for the repeat customers' mean spend over the next 39 weeks
(:func:`clv.segment_value_interval`: bootstrap refits for the parameters,
posterior draws for each customer's latent traits).

The truth's expected value is computed from the truth table's columns as
``sim.data.schema`` documents them, by :func:`clv.truth_expected_spend`:
each customer's ``1[alive at the cut-off] · (1 − e^{−λ p t}) / p`` purchases
(λ = ``purchase_rate``, p = ``dropout_prob``), each worth on average
``spend_p / ν`` (ν = ``spend_scale``), averaged over the segment. It is an
expectation given the latent traits, not the realised holdout spend, so the
interval is judged against what a model could at best know.
"""

import numpy as np
import pandas as pd
import pytest

from sim.analytics import clv

BG = {"r": 0.6, "alpha": 8.0, "a": 0.8, "b": 2.5}
GG = {"p": 6.0, "q": 4.0, "v": 15.0}
HOLDOUT = 39.0


def _replication(seed: int, n: int = 500, boot: int = 20) -> tuple[float, float, float]:
    rng = np.random.default_rng([2026, seed])
    ages = rng.uniform(4.0, 52.0, n)
    draw = clv.simulate_bgnbd(ages, **BG, seed=rng, return_truth=True)
    spend = clv.simulate_gamma_gamma(draw["frequency"], **GG, seed=rng, return_truth=True)
    summary = pd.DataFrame(
        {
            "frequency": draw["frequency"],
            "recency": draw["recency"],
            "T": draw["T"],
            "monetary": spend["monetary"],
        }
    )
    # The generator's latent draws, written as the truth table's columns.
    truth = pd.DataFrame(
        {
            "purchase_rate": draw["lam"],
            "dropout_prob": draw["p"],
            "spend_scale": GG["p"] / spend["mean_spend"],
        }
    )
    segment = np.where(summary["frequency"] > 0, "repeat", "one-off")
    bg = clv.BGNBD().fit(summary["frequency"], summary["recency"], summary["T"])
    rep = summary[summary["frequency"] > 0]
    gg = clv.GammaGamma().fit(rep["frequency"], rep["monetary"])
    bg_draws = clv.bootstrap_params(
        bg, summary["frequency"], summary["recency"], summary["T"], replications=boot, seed=seed
    )
    gg_draws = clv.bootstrap_params(
        gg, summary["frequency"], monetary=summary["monetary"], replications=boot, seed=seed
    )
    k = min(len(bg_draws), len(gg_draws))
    table = clv.segment_value_interval(
        summary,
        pd.Series(segment, index=summary.index),
        bg_draws.iloc[:k],
        gg_draws.iloc[:k],
        horizon=HOLDOUT,
        posterior_draws=8,
        level=0.9,
        seed=seed,
    )
    expected = clv.truth_expected_spend(truth, draw["alive"], HOLDOUT, spend_shape=GG["p"])
    target = float(expected[segment == "repeat"].mean())
    row = table.loc["repeat"]
    return float(row["low"]), float(row["high"]), target


@pytest.mark.slow
def test_segment_interval_covers_the_truth_80_to_97_percent():
    results = [_replication(seed) for seed in range(60)]
    covered = [lo <= t <= hi for lo, hi, t in results]
    rate = float(np.mean(covered))
    assert 0.80 <= rate <= 0.97, f"coverage {rate:.0%} over {len(results)} replications"
    # The interval is not trivially wide: its mean width is a fraction of the value.
    widths = [(hi - lo) / t for lo, hi, t in results]
    assert float(np.mean(widths)) < 0.6


def test_posterior_draws_average_to_the_model_expectation():
    # The conjugate posterior sampler is exact: averaged over draws, the
    # customer-level expectation equals BG/NBD's closed-form E[Y(t) | x, t_x, T].
    data = clv.load_cdnow_summary().iloc[:400]
    model = clv.BGNBD.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    rng = np.random.default_rng(7)
    draws = 2000
    total = np.zeros(len(data))
    for _ in range(draws):
        lam, p, alive = clv.posterior_draws_bgnbd(
            model.params_, data["frequency"], data["recency"], data["T"], rng
        )
        total += clv.individual_value(lam, p, alive, 1.0, 39.0)
    closed = model.conditional_expected_purchases(
        39.0, data["frequency"], data["recency"], data["T"]
    )
    assert total.sum() / draws == pytest.approx(closed.sum(), rel=0.01)


def test_truth_expected_spend_hand_values():
    truth = pd.DataFrame(
        {
            "purchase_rate": [0.1, 0.2, 0.5],
            "dropout_prob": [0.5, 0.25, 0.1],
            "spend_scale": [0.1, 0.2, 0.05],
        }
    )
    got = clv.truth_expected_spend(truth, [True, True, False], 10.0, spend_shape=6.0)
    # (1 − e^{−0.05·10}) / 0.5 · 60 and (1 − e^{−0.05·10}) / 0.25 · 30; the third is gone.
    want = [(1 - np.exp(-0.5)) / 0.5 * 60, (1 - np.exp(-0.5)) / 0.25 * 30, 0.0]
    np.testing.assert_allclose(got.to_numpy(), want)
    with pytest.raises(ValueError, match="truth.spend_scale"):
        clv.truth_expected_spend(truth.drop(columns="spend_scale"), [True] * 3, 10.0, 6.0)
