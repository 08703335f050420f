"""Parameter recovery on data drawn by the exact generators, and analytic checks of E[X(t)]."""

import numpy as np
import pytest

from sim.analytics import clv

N = 20_000
SEED = 1


def _ages(n: int, seed: int) -> np.ndarray:
    """Customer ages between 30 and 80 weeks, in whole days expressed in weeks."""
    return np.random.default_rng(seed).integers(30 * 7, 80 * 7, n) / 7


def _whole_days(data):
    """Record purchase times to the nearest day, as an orders table does (rounding: no bias)."""
    data["recency"] = np.round(data["recency"] * 7) / 7
    return data


def _assert_recovered(fitted: dict, truth: dict, rel: float) -> None:
    for name, value in truth.items():
        assert fitted[name] == pytest.approx(value, rel=rel), f"{name}: {fitted[name]} vs {value}"


def test_bgnbd_recovers_parameters():
    truth = {"r": 0.8, "alpha": 6.0, "a": 1.5, "b": 4.0}
    data = clv.simulate_bgnbd(_ages(N, SEED), **truth, seed=SEED)
    model = clv.BGNBD().fit(data["frequency"], data["recency"], data["T"])
    _assert_recovered(model.params_, truth, rel=0.10)


def test_pareto_nbd_recovers_parameters():
    truth = {"r": 0.8, "alpha": 6.0, "s": 1.2, "beta": 20.0}
    data = _whole_days(clv.simulate_pareto_nbd(_ages(N, SEED), **truth, seed=SEED))
    model = clv.ParetoNBD().fit(data["frequency"], data["recency"], data["T"])
    _assert_recovered(model.params_, truth, rel=0.10)


def test_gamma_gamma_recovers_parameters():
    truth = {"p": 6.0, "q": 4.0, "v": 15.0}
    x = np.random.default_rng(SEED).integers(1, 10, N)
    data = clv.simulate_gamma_gamma(x, **truth, seed=SEED)
    model = clv.GammaGamma().fit(data["frequency"], data["monetary"])
    _assert_recovered(model.params_, truth, rel=0.10)


def test_sbg_recovers_parameters():
    truth = {"alpha": 0.7, "beta": 1.2}
    active = clv.simulate_sbg(N, 10, **truth, seed=SEED)
    assert active[0] == N and (np.diff(active) <= 0).all()
    model = clv.ShiftedBetaGeometric().fit(active)
    _assert_recovered(model.params_, truth, rel=0.05)


@pytest.mark.parametrize("t", [5.0, 40.0])
def test_bgnbd_expected_purchases_matches_simulation(t):
    params = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    data = clv.simulate_bgnbd(np.full(200_000, t), **params, seed=3)
    expected = float(clv.BGNBD.from_params(**params).expected_purchases(t))
    se = data["frequency"].std() / np.sqrt(len(data))
    assert data["frequency"].mean() == pytest.approx(expected, abs=4 * se)


@pytest.mark.parametrize("t", [5.0, 40.0])
def test_pareto_nbd_expected_purchases_matches_simulation(t):
    params = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    data = clv.simulate_pareto_nbd(np.full(200_000, t), **params, seed=4)
    expected = float(clv.ParetoNBD.from_params(**params).expected_purchases(t))
    se = data["frequency"].std() / np.sqrt(len(data))
    assert data["frequency"].mean() == pytest.approx(expected, abs=4 * se)


def test_probability_alive_is_calibrated():
    """Mean P(alive) matches the share truly alive, for both models at their true parameters."""
    ages = _ages(100_000, 5)
    bg = {"r": 0.8, "alpha": 6.0, "a": 1.5, "b": 4.0}
    data = clv.simulate_bgnbd(ages, **bg, seed=5, return_truth=True)
    p = clv.BGNBD.from_params(**bg).probability_alive(data["frequency"], data["recency"], ages)
    assert p.mean() == pytest.approx(data["alive"].mean(), abs=0.01)
    pn = {"r": 0.8, "alpha": 6.0, "s": 1.2, "beta": 20.0}
    data = clv.simulate_pareto_nbd(ages, **pn, seed=5, return_truth=True)
    model = clv.ParetoNBD.from_params(**pn)
    p = model.probability_alive(data["frequency"], data["recency"], ages)
    assert p.mean() == pytest.approx(data["alive"].mean(), abs=0.01)


@pytest.mark.slow
def test_bgnbd_and_pareto_recover_tightly_on_large_samples():
    ages = _ages(300_000, 11)
    truth = {"r": 0.8, "alpha": 6.0, "a": 1.5, "b": 4.0}
    data = _whole_days(clv.simulate_bgnbd(ages, **truth, seed=11))
    model = clv.BGNBD().fit(data["frequency"], data["recency"], data["T"])
    _assert_recovered(model.params_, truth, rel=0.05)
    truth = {"r": 0.8, "alpha": 6.0, "s": 1.2, "beta": 20.0}
    data = _whole_days(clv.simulate_pareto_nbd(ages, **truth, seed=11))
    model = clv.ParetoNBD().fit(data["frequency"], data["recency"], data["T"])
    _assert_recovered(model.params_, truth, rel=0.05)
