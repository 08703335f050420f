"""The simulation checked against closed forms: Erlang C, Little's law, BG/NBD and Pareto/NBD.

The two validation presets reduce the brand to the textbook buy-till-you-die
models: ``pure_bgnbd`` (dropout right after a purchase) and ``pure_pareto_nbd``
(exponential lifetimes from acquisition). Their simulated purchases and
survival must match the closed forms with the true parameters within 3
standard errors.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import gammaln

from sim.analytics.clv import BGNBD, ParetoNBD
from sim.analytics.service import erlang_c
from sim.compose import simulate
from sim.scenario import preset
from sim.world.contact_centre import simulate_queue
from sim.world.purchases import expected_purchases

REPLICATIONS = 20


@pytest.fixture(scope="module")
def mmc_runs():
    # M/M/c with c = 10 agents at utilisation 0.8: handle 1 minute, 8 calls a minute.
    return [
        simulate_queue(
            arrival_rate=8.0,
            handle_time=1.0,
            agents=10,
            patience=None,
            horizon=2_200.0,
            warmup=200.0,
            seed=seed,
        )
        for seed in range(REPLICATIONS)
    ]


def test_mmc_wait_matches_erlang_c(mmc_runs):
    theory = erlang_c(8.0, 1.0, 10)  # A = 8 Erlangs, c = 10
    # Erlang C: P(wait) = 0.4092, Wq = P(wait) * h / (c - A) = 0.2046 minutes.
    assert theory.p_wait == pytest.approx(0.40918, abs=1e-4)
    waits = np.array([calls["wait"].mean() for calls, _ in mmc_runs])
    p_wait = np.array([(calls["wait"] > 0).mean() for calls, _ in mmc_runs])
    se = waits.std(ddof=1) / np.sqrt(len(waits))
    assert abs(waits.mean() - theory.mean_wait) < 3 * se
    assert p_wait.mean() == pytest.approx(theory.p_wait, rel=0.03)


def test_littles_law_in_every_replication(mmc_runs):
    for calls, monitor in mmc_runs:
        # Queue length measured by sampling vs arrival rate x mean wait.
        assert monitor["Lq"] == pytest.approx(
            monitor["arrival_rate"] * calls["wait"].mean(), rel=0.06
        )


def test_reneging_callers_hang_up():
    calls, _ = simulate_queue(8.0, 1.0, 10, patience=0.5, horizon=1_200.0, warmup=200.0, seed=1)
    assert calls["abandoned"].mean() > 0.05
    # Abandoned callers waited exactly until they gave up; none waited forever.
    assert calls.loc[calls["abandoned"], "wait"].max() < 10


def test_queue_rejects_bad_input():
    with pytest.raises(ValueError, match="agents"):
        simulate_queue(1.0, 1.0, 0)


# --------------------------------------------------------------------------- buy till you die
def _people(ds, sc) -> pd.DataFrame:
    """Per person: first and last purchase (days from the start), repeats x, age T, alive at T."""
    start = pd.Timestamp(sc.population.start_date)
    orders = ds.orders.merge(ds.truth[["customer_id", "person_id"]], on="customer_id")
    days = (orders["order_date"] - start).dt.total_seconds() / 86400
    by = days.groupby(orders["person_id"])
    out = pd.DataFrame({"first": by.min(), "last": by.max(), "x": by.size() - 1})
    out["t_x"] = out["last"] - out["first"]
    out["T"] = sc.horizon_days - out["first"]
    truth = ds.truth.drop_duplicates("person_id").set_index("person_id")
    gone = (truth["dropout_date"] - start).dt.total_seconds() / 86400
    # Alive at T: never lost, or lost after the end of the run.
    out["alive"] = ~(gone.reindex(out.index) <= sc.horizon_days)
    return out


def _repeats_within(ds, sc, t: float) -> np.ndarray:
    """Repeat purchases in (t0, t0 + t] of every person acquired early enough to be seen for t."""
    start = pd.Timestamp(sc.population.start_date)
    orders = ds.orders.merge(ds.truth[["customer_id", "person_id"]], on="customer_id")
    days = (orders["order_date"] - start).dt.total_seconds() / 86400
    first = days.groupby(orders["person_id"]).min()
    eligible = first[first <= sc.horizon_days - t - 1].index
    since = days - orders["person_id"].map(first)
    seen = (since > 0) & (since <= t) & orders["person_id"].isin(eligible)
    repeats = orders[seen].groupby("person_id").size()
    return repeats.reindex(eligible, fill_value=0).to_numpy()


def _mean_and_se(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def _check_p_alive(people: pd.DataFrame, p_alive: np.ndarray) -> list[tuple]:
    """Realised share alive vs mean predicted P(alive), overall and for x = 0 and x >= 3.

    Given the data, each customer is alive with the predicted probability, so
    the residuals ``alive - P(alive)`` have mean 0; their standard error is
    the tolerance's unit.
    """
    rows = []
    x = people["x"].to_numpy()
    alive = people["alive"].to_numpy(dtype=float)
    for label, mask in (("all", x >= 0), ("x = 0", x == 0), ("x >= 3", x >= 3)):
        _, se = _mean_and_se(alive[mask] - p_alive[mask])
        rows.append((label, int(mask.sum()), alive[mask].mean(), p_alive[mask].mean(), se))
    return rows


def _lost_at_purchase(ds) -> pd.Series:
    """For each move to *lost* in ``truth_states``: was it at one of the person's purchases?"""
    orders = ds.orders.merge(ds.truth[["customer_id", "person_id"]], on="customer_id")
    bought = pd.MultiIndex.from_frame(orders[["person_id", "order_date"]])
    lost = ds.truth_states[ds.truth_states["to_state"] == "lost"]
    at = pd.MultiIndex.from_frame(lost[["person_id", "timestamp"]]).isin(bought)
    return pd.Series(at, index=lost.index)


@pytest.fixture(scope="module")
def bgnbd_run():
    sc = preset("pure_bgnbd").with_overrides({"population": {"customers": 12_000, "years": 3.0}})
    return sc, simulate(sc, seed=21)


@pytest.mark.slow
def test_purchase_core_matches_bgnbd_expected_purchases(bgnbd_run):
    # With every experience effect switched off the simulated brand is a BG/NBD
    # process: compare mean repeat purchases in a person's first year with
    # E[X(t)] (Fader, Hardie & Lee 2005, eq. 7).
    sc, ds = bgnbd_run
    pu = sc.purchases
    t = 365.0
    x = _repeats_within(ds, sc, t)
    expected = expected_purchases(pu.r, pu.alpha, pu.a, pu.b, t)
    mean, se = _mean_and_se(x)
    assert len(x) > 5_000
    assert abs(mean - expected) < 3 * se, (mean, expected, se)


@pytest.mark.slow
def test_bgnbd_p_alive_matches_the_realised_share_alive(bgnbd_run):
    # P(alive | x, t_x, T) with the true parameters (Fader, Hardie & Lee 2005,
    # eq. 11) against who was really still alive at the end of the run.
    sc, ds = bgnbd_run
    pu = sc.purchases
    people = _people(ds, sc)
    model = BGNBD.from_params(r=pu.r, alpha=pu.alpha, a=pu.a, b=pu.b)
    p_alive = model.probability_alive(people["x"], people["t_x"], people["T"])
    for label, n, share, predicted, se in _check_p_alive(people, p_alive):
        assert n > 1_000, label
        if label == "x = 0":
            # No dropout at the first purchase: whoever never came back is alive.
            assert share == predicted == 1.0
            continue
        assert abs(share - predicted) < 3 * se, (label, n, share, predicted, se)


@pytest.mark.slow
def test_pure_bgnbd_loses_customers_only_at_a_purchase(bgnbd_run):
    _, ds = bgnbd_run
    states = ds.truth_states
    assert set(states["cause"]) == {"acquisition", "dropout"}
    lost = states["to_state"] == "lost"
    assert lost.sum() > 1_000
    assert (states.loc[lost, "cause"] == "dropout").all()
    assert _lost_at_purchase(ds).all()


# Pareto/NBD: the preset itself (s = 0.8 < 1) and a population with s > 1.
PARETO_CASES = {
    "preset": {},
    "s > 1": {"relationship": {"lifetime_s": 2.5, "lifetime_beta": 2_000.0}},
}


@pytest.fixture(scope="module", params=list(PARETO_CASES))
def pareto_run(request):
    size = {"population": {"customers": 40_000, "years": 4.0}}
    sc = preset("pure_pareto_nbd").with_overrides({**size, **PARETO_CASES[request.param]})
    rel, pu = sc.relationship, sc.purchases
    model = ParetoNBD.from_params(r=pu.r, alpha=pu.alpha, s=rel.lifetime_s, beta=rel.lifetime_beta)
    return sc, simulate(sc, seed=21), model


def pareto_nbd_expected_purchases(r: float, alpha: float, s: float, beta: float, t: float):
    """Pareto/NBD E[X(t)] (Schmittlein, Morrison & Colombo 1987).

    (r β) / (α (s − 1)) · [1 − (β / (β + t))^(s − 1)]; at s = 1 the limit
    (r β / α) · log(1 + t / β). Valid for any s > 0 (for s < 1 both factors
    are negative).
    """
    log1p = np.log1p(t / beta)
    if s == 1.0:
        return r * beta / alpha * log1p
    # 1 − (β/(β+t))^(s−1) as −expm1: no cancellation when s is close to 1.
    return r * beta / (alpha * (s - 1.0)) * -np.expm1(-(s - 1.0) * log1p)


@pytest.mark.parametrize("s", [0.8, 1.0 - 1e-9, 1.0, 1.0 + 1e-9, 2.5])
def test_pareto_nbd_expected_purchases_closed_form(s):
    # E[X(t)] = E[λ] · E[min(τ, t)] = (r / α) ∫_0^t P(τ > u) du, P(τ > u) = (β / (β + u))^s.
    r, alpha, beta, t = 0.55, 95.0, 900.0, 730.0
    survival = integrate.quad(lambda u: (beta / (beta + u)) ** s, 0.0, t)[0]
    closed = pareto_nbd_expected_purchases(r, alpha, s, beta, t)
    model = ParetoNBD.from_params(r=r, alpha=alpha, s=s, beta=beta)
    assert closed == pytest.approx(r / alpha * survival, rel=1e-8)
    assert float(model.expected_purchases(t)) == pytest.approx(closed, rel=1e-8)


def _p_alive_by_integration(r, alpha, s, beta, x, t_x, T) -> float:
    """P(alive | x, t_x, T) from the likelihood as Fader, Hardie & Lee (2005) derive it.

    Given λ and μ, alive at T contributes λ^x e^{−λT} e^{−μT} and death at
    τ in (t_x, T] contributes λ^x e^{−λτ} μ e^{−μτ}. Integrating λ ~ Gamma(r, α)
    and μ ~ Gamma(s, β) out gives A(α+T) (β/(β+T))^s for the first and
    ∫_{t_x}^T A(α+τ) s β^s (β+τ)^{−(s+1)} dτ for the second, with
    A(y) = Γ(r+x)/Γ(r) α^r y^{−(r+x)}; the integral is done numerically here
    (the library uses the hypergeometric closed form).
    """

    def log_a(y):
        return gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(y)

    def death_at(tau):
        return np.exp(log_a(alpha + tau) + np.log(s * beta**s) - (s + 1) * np.log(beta + tau))

    alive = np.exp(log_a(alpha + T) + s * np.log(beta / (beta + T)))
    dead = integrate.quad(death_at, t_x, T, epsabs=0, epsrel=1e-11)[0]
    return alive / (alive + dead)


@pytest.mark.parametrize("x, t_x, T", [(0, 0.0, 400.0), (2, 150.0, 700.0), (6, 600.0, 650.0)])
def test_pareto_nbd_p_alive_matches_the_likelihood(x, t_x, T):
    r, alpha, s, beta = 0.55, 95.0, 0.8, 900.0
    model = ParetoNBD.from_params(r=r, alpha=alpha, s=s, beta=beta)
    expected = _p_alive_by_integration(r, alpha, s, beta, x, t_x, T)
    assert float(model.probability_alive([x], [t_x], [T])[0]) == pytest.approx(expected, rel=1e-5)


@pytest.mark.slow
def test_pareto_nbd_core_matches_expected_purchases(pareto_run):
    # Mean repeat purchases in a person's first two years vs E[X(t)].
    sc, ds, model = pareto_run
    pu, rel = sc.purchases, sc.relationship
    t = 730.0
    x = _repeats_within(ds, sc, t)
    expected = pareto_nbd_expected_purchases(pu.r, pu.alpha, rel.lifetime_s, rel.lifetime_beta, t)
    assert float(model.expected_purchases(t)) == pytest.approx(expected, rel=1e-9)
    mean, se = _mean_and_se(x)
    assert len(x) > 10_000
    assert abs(mean - expected) < 3 * se, (mean, expected, se)
    # Sharp enough to see lifetimes: without dropout E[X(t)] would be r t / α.
    assert abs(mean - pu.r / pu.alpha * t) > 10 * se


@pytest.mark.slow
def test_pareto_nbd_p_alive_matches_the_realised_share_alive(pareto_run):
    # P(alive | x, t_x, T) with the true parameters (Fader, Hardie & Lee 2005)
    # against who was really still alive at the end of the run: overall, for
    # people who never came back and for the frequent buyers.
    sc, ds, model = pareto_run
    people = _people(ds, sc)
    p_alive = model.probability_alive(people["x"], people["t_x"], people["T"])
    for label, n, share, predicted, se in _check_p_alive(people, p_alive):
        assert n > 3_000, label
        assert abs(share - predicted) < 3 * se, (label, n, share, predicted, se)


@pytest.mark.slow
def test_pure_pareto_nbd_loses_customers_between_purchases(pareto_run):
    _, ds, _ = pareto_run
    states = ds.truth_states
    assert set(states["cause"]) == {"acquisition", "hazard"}
    lost = states["to_state"] == "lost"
    assert lost.sum() > 1_000
    # The lifetime clock rings in continuous time, not at a purchase.
    assert not _lost_at_purchase(ds).any()
