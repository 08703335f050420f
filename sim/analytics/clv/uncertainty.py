"""Uncertainty of buy-till-you-die estimates: bootstrap refits and posterior draws.

Two sources of uncertainty meet in a customer's predicted value:

* the **parameters** are estimated from a finite sample: :func:`bootstrap_params`
  refits a model on customer resamples (multinomial weights on the distinct
  summaries, warm-started at the estimate, so a replication costs a fraction
  of a fit);
* each customer's **latent** rate, dropout and spend are unknown even when the
  parameters are known: under BG/NBD and Gamma-Gamma their posterior is an
  exact conjugate mixture (:func:`posterior_draws_bgnbd`), so it is sampled
  rather than approximated.

:func:`segment_value_interval` combines both into an interval for a segment's
mean future spend (or discounted value), the quantity a budget per segment
rests on; :func:`truth_expected_spend` gives the same quantity from the
simulation's ``truth`` table, which is what the interval is checked against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from . import bgnbd as _bg
from . import gamma_gamma as _gg
from . import pareto_nbd as _pn
from ._fitting import ConvergenceError, check_frt

__all__ = [
    "actual_against_interval",
    "bootstrap_params",
    "individual_value",
    "param_intervals",
    "posterior_draws_bgnbd",
    "segment_value_interval",
    "truth_expected_spend",
]

_MODELS = {"BG/NBD": _bg.BGNBD, "Pareto/NBD": _pn.ParetoNBD, "Gamma-Gamma": _gg.GammaGamma}


def _check_level(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level: expected a share between 0 and 1, got {level}")
    return float(level)


def bootstrap_params(
    model,
    frequency,
    recency=None,
    T=None,
    monetary=None,
    replications: int = 40,
    seed: int = 0,
) -> pd.DataFrame:
    """Parameter draws from refitting ``model`` on bootstrap resamples of its customers.

    Parameters
    ----------
    model
        A fitted :class:`BGNBD`, :class:`ParetoNBD` (pass ``frequency, recency, T``)
        or :class:`GammaGamma` (pass ``frequency, monetary``; customers with
        ``frequency = 0`` are dropped, as in its fit).
    replications
        Number of resamples (>= 10). Each resample draws as many customers as
        there are, with replacement, keyed by ``seed``.

    Returns
    -------
    pandas.DataFrame
        One row per replication, one column per parameter. A replication whose
        refit does not converge is dropped (the count is in ``attrs["failed"]``).
    """
    if replications < 10:
        raise ValueError(f"replications: expected at least 10, got {replications}")
    start = list(model._params())
    if isinstance(model, _gg.GammaGamma):
        if monetary is None:
            raise ValueError("monetary: required for a Gamma-Gamma bootstrap")
        x, z = _gg._check_spend(frequency, monetary)
        keep = x > 0
        design, n = _gg._Design(x[keep], z[keep]), int(keep.sum())
        codes = np.arange(n)
    else:
        if recency is None or T is None:
            raise ValueError("recency, T: required for a purchase-model bootstrap")
        x, t_x, age = check_frt(frequency, recency, T)
        n = len(x)
        frame = pd.DataFrame({"x": x, "t": t_x, "T": age})
        codes = frame.groupby(["x", "t", "T"], sort=False).ngroup().to_numpy()
        first = pd.Series(np.arange(n)).groupby(codes).first().to_numpy()
        ux, ut, uT = x[first], t_x[first], age[first]
        if isinstance(model, _pn.ParetoNBD):
            design = _pn._Design(ux, ut, uT, np.ones_like(ux))
        else:
            design = _bg._Design(ux, ut, uT)
    rng = np.random.default_rng(seed)
    n_rows = int(codes.max()) + 1
    # Pareto/NBD's likelihood is the costly one (hypergeometrics on every pair):
    # its refits start from the estimate *and* its curvature, so BFGS takes
    # Newton-like steps from the first iteration instead of learning the
    # Hessian from an identity.
    hess_inv = (
        _inverse_hessian(design, np.bincount(codes, minlength=n_rows).astype(float), start)
        if isinstance(model, _pn.ParetoNBD)
        else None
    )
    rows, failed = [], 0
    for _ in range(replications):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        w = np.bincount(codes, weights=counts, minlength=n_rows)
        try:
            params = _refit(design, w, start, hess_inv)
            rows.append(dict(zip(model._param_names, params, strict=True)))
        except ConvergenceError:
            failed += 1
    out = pd.DataFrame(rows, columns=list(model._param_names))
    out.attrs["failed"] = failed
    return out


def _objective(design, w: np.ndarray):
    total = w.sum()

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        ll, jac = design.log_likelihood(np.exp(log_params), grad=True)
        return -float((w * ll).sum()) / total, -(jac * w).sum(axis=1) / total

    return objective


def _inverse_hessian(design, w: np.ndarray, start: list[float], step: float = 1e-4) -> np.ndarray:
    """Inverse Hessian of the mean negative log-likelihood at the estimate (log-parameters).

    Central differences of the analytic gradient; symmetrised, and replaced by
    the identity if it is not positive definite (then BFGS starts as usual).
    """
    objective = _objective(design, w)
    x0 = np.log(start)
    k = len(x0)
    hess = np.empty((k, k))
    with np.errstate(all="ignore"):
        for i in range(k):
            e = np.zeros(k)
            e[i] = step
            hess[i] = (objective(x0 + e)[1] - objective(x0 - e)[1]) / (2 * step)
    hess = (hess + hess.T) / 2
    try:
        inv = np.linalg.inv(hess)
        inv = (inv + inv.T) / 2
        np.linalg.cholesky(inv)
    except np.linalg.LinAlgError:
        return np.eye(k)
    return inv


def _refit(
    design, w: np.ndarray, start: list[float], hess_inv: np.ndarray | None = None
) -> np.ndarray:
    """Weighted refit from the estimate, to a tolerance far below the bootstrap's spread.

    The published-precision tolerances of a fit (``gtol`` 1e-9) would spend most
    iterations polishing digits that the resampling moves anyway. ``hess_inv``
    (the inverse Hessian at the estimate) seeds BFGS's curvature.
    """
    objective = _objective(design, w)
    options = {"maxiter": 500, "gtol": 1e-6}
    if hess_inv is not None:
        options["hess_inv0"] = hess_inv

    # BFGS rather than L-BFGS-B: the start is the estimate, so no bounds are needed,
    # and L-BFGS-B's Fortran step costs more than the likelihood itself on small data.
    # A line-search trial step may overflow; BFGS then backtracks, so silence it.
    with np.errstate(all="ignore"):
        res = minimize(
            objective,
            np.log(start),
            jac=True,
            method="BFGS",
            options=options,
        )
    if not (np.all(np.isfinite(res.x)) and np.isfinite(res.fun)) or np.any(np.abs(res.x) >= 29.9):
        raise ConvergenceError(f"bootstrap refit did not converge: {res.message}")
    return np.exp(res.x)


def param_intervals(model, draws: pd.DataFrame, level: float = 0.9) -> pd.DataFrame:
    """Estimate and percentile interval of each parameter from :func:`bootstrap_params` draws."""
    level = _check_level(level)
    lo, hi = draws.quantile([0.5 - level / 2, 0.5 + level / 2]).to_numpy()
    return pd.DataFrame(
        {"estimate": pd.Series(model.params_), "low": lo, "high": hi},
        index=list(model._param_names),
    ).rename_axis("parameter")


def posterior_draws_bgnbd(
    params: dict, frequency, recency, T, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One draw of each customer's latent ``(λ, p, alive)`` from its BG/NBD posterior.

    Given the parameters, the likelihood of ``(x, t_x, T)`` is a sum of two
    conjugate terms: alive at T, ``(1−p)^x λ^x e^{−λT}``, and gone after the
    last purchase, ``p (1−p)^{x−1} λ^x e^{−λ t_x}``. The posterior is the
    mixture of ``Gamma(r+x, α+T) × Beta(a, b+x)`` (alive, weight P(alive)) and
    ``Gamma(r+x, α+t_x) × Beta(a+1, b+x−1)`` (gone).
    """
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, age = check_frt(frequency, recency, T)
    p_alive = _bg.BGNBD.from_params(r=r, alpha=alpha, a=a, b=b).probability_alive(x, t_x, age)
    alive = rng.uniform(size=len(x)) < p_alive
    lam = rng.gamma(r + x, 1.0 / np.where(alive, alpha + age, alpha + t_x))
    p = rng.beta(np.where(alive, a, a + 1.0), np.where(alive, b + x, np.maximum(b + x - 1.0, 1e-9)))
    return lam, p, alive


def individual_value(
    lam: np.ndarray,
    p: np.ndarray,
    alive: np.ndarray,
    mean_spend: np.ndarray,
    horizon: float,
    discount_rate: float = 0.0,
    step: float | None = None,
) -> np.ndarray:
    """Expected spend of customers with *known* latent traits over the next ``horizon``.

    An alive BG/NBD customer with rate λ and dropout p makes
    ``(1 − e^{−λ p t}) / p`` purchases in expectation over the next ``t``; each
    is worth ``mean_spend`` on average. With ``discount_rate`` > 0 the horizon is
    cut into steps of length ``step`` (cash at the end of a step, discounted by
    ``(1 + d)^i``), as in :meth:`GammaGamma.customer_lifetime_value`.
    """
    lam, p = np.asarray(lam, float), np.asarray(p, float)
    rate = lam * p

    def cumulative(t: float) -> np.ndarray:
        return -np.expm1(-rate * t) / p

    if discount_rate == 0 or step is None:
        purchases = cumulative(horizon)
    else:
        purchases = np.zeros_like(lam)
        previous = np.zeros_like(lam)
        for i in range(1, int(np.ceil(horizon / step - 1e-12)) + 1):
            now = cumulative(min(i * step, horizon))
            purchases += (now - previous) / (1.0 + discount_rate) ** i
            previous = now
    return np.where(alive, purchases, 0.0) * np.asarray(mean_spend, float)


def segment_value_interval(
    summary: pd.DataFrame,
    segments: pd.Series,
    bgnbd_draws: pd.DataFrame,
    gg_draws: pd.DataFrame,
    horizon: float,
    discount_rate: float = 0.0,
    step: float | None = None,
    margin: float = 1.0,
    posterior_draws: int = 4,
    level: float = 0.9,
    seed: int = 0,
) -> pd.DataFrame:
    """Interval for each segment's mean future spend (or discounted margin) per customer.

    For every parameter draw (rows of ``bgnbd_draws`` and ``gg_draws``, paired
    by position), ``posterior_draws`` joint draws of every customer's latent
    rate, dropout, alive state and mean spend (``p/ν``, ``ν ~ Gamma(px+q,
    γ + x z̄)``) are turned into their expected value over ``horizon``
    (:func:`individual_value`) and averaged per segment. The percentile
    interval of those averages covers both the parameter and the
    customer-level uncertainty.

    Parameters
    ----------
    summary
        ``frequency, recency, T, monetary`` per customer (the model's time unit).
    segments
        Segment label per customer, aligned with ``summary``'s index.

    Returns
    -------
    pandas.DataFrame
        Per segment: ``customers``, ``estimate`` (mean of the draws), ``low``, ``high``.
    """
    level = _check_level(level)
    if len(bgnbd_draws) != len(gg_draws) or len(bgnbd_draws) == 0:
        raise ValueError(
            f"bgnbd_draws, gg_draws: need the same, non-zero number of draws "
            f"(got {len(bgnbd_draws)} and {len(gg_draws)})"
        )
    labels = pd.Series(segments).reindex(summary.index)
    if labels.isna().any():
        raise ValueError(f"segments: {int(labels.isna().sum())} customers of summary have no label")
    codes, names = pd.factorize(labels, sort=True)
    counts = np.bincount(codes, minlength=len(names)).astype(float)
    x = summary["frequency"].to_numpy(float)
    xz = x * summary["monetary"].to_numpy(float)
    rng = np.random.default_rng(seed)
    means = []
    for (_, bg), (_, gg) in zip(bgnbd_draws.iterrows(), gg_draws.iterrows(), strict=True):
        for _ in range(posterior_draws):
            lam, p, alive = posterior_draws_bgnbd(
                bg.to_dict(), x, summary["recency"], summary["T"], rng
            )
            nu = rng.gamma(gg["p"] * x + gg["q"], 1.0 / (gg["v"] + xz))
            value = individual_value(lam, p, alive, gg["p"] / nu, horizon, discount_rate, step)
            means.append(np.bincount(codes, weights=margin * value, minlength=len(names)) / counts)
    draws = np.array(means)
    lo, hi = np.quantile(draws, [0.5 - level / 2, 0.5 + level / 2], axis=0)
    return pd.DataFrame(
        {"customers": counts.astype(int), "estimate": draws.mean(axis=0), "low": lo, "high": hi},
        index=pd.Index(names, name="segment"),
    )


def actual_against_interval(
    interval: pd.DataFrame,
    actual: pd.Series,
    segments: pd.Series,
    level: float = 0.9,
) -> pd.DataFrame:
    """Read each segment's actual mean against the interval of its *expected* value, luck allowed.

    :func:`segment_value_interval` bounds a segment's expected value per
    customer; the actual mean adds each customer's luck (who happened to buy,
    and how much), so an actual outside that interval is not yet evidence
    of bias. The luck of a mean over ``n`` customers has the standard error
    ``se = s / √n``, with ``s`` the standard deviation of the actual values
    over the segment's customers. ``inside_with_luck`` widens the interval
    by ``z · se`` on each side (``z`` the normal quantile of ``level``, the
    interval's own level): a conservative band, since it adds the two
    widths instead of combining them. An actual outside even that band is a
    biased forecast for the segment, not merely an unlucky one.

    Parameters
    ----------
    interval
        :func:`segment_value_interval`'s table (``estimate``, ``low``, ``high``
        per segment).
    actual
        Actual value per customer (e.g. holdout spend, zeros included).
    segments
        Segment label per customer, aligned with ``actual``'s index.

    Returns
    -------
    pandas.DataFrame
        ``interval`` plus ``actual`` (mean per customer), ``actual_se``,
        ``actual_inside`` (inside the interval of the expected value) and
        ``inside_with_luck``.
    """
    from scipy import stats

    level = _check_level(level)
    labels = pd.Series(segments).reindex(pd.Series(actual).index)
    if labels.isna().any():
        raise ValueError(f"segments: {int(labels.isna().sum())} customers of actual have no label")
    groups = pd.Series(actual, dtype=float).groupby(labels, observed=True)
    out = interval.copy()
    out["actual"] = groups.mean().reindex(out.index)
    out["actual_se"] = (groups.std(ddof=1) / np.sqrt(groups.size())).reindex(out.index)
    z = stats.norm.ppf(0.5 + level / 2)
    out["actual_inside"] = out["actual"].between(out["low"], out["high"])
    out["inside_with_luck"] = out["actual"].between(
        out["low"] - z * out["actual_se"], out["high"] + z * out["actual_se"]
    )
    return out


def truth_expected_spend(
    truth: pd.DataFrame,
    alive: pd.Series | np.ndarray,
    horizon_days: float,
    spend_shape: float,
) -> pd.Series:
    """Each customer's expected spend over the next ``horizon_days`` given their true traits.

    From the ``truth`` table's latent columns (see ``sim.data.schema``):
    ``purchase_rate`` λ per day, ``dropout_prob`` p per purchase, ``spend_scale``
    ν (mean order ``spend_shape / ν``), and whether the customer is alive at the
    cut-off. It is the BG/NBD core of the process, ``1[alive] · (1 − e^{−λ p t}) / p
    · spend_shape / ν``: exact for data drawn from BG/NBD and Gamma-Gamma, and
    an approximation for the relationship world, whose states and calendar
    also move the rate.
    """
    for col in ("purchase_rate", "dropout_prob", "spend_scale"):
        if col not in truth.columns:
            raise ValueError(f"truth.{col}: required column missing")
    if not horizon_days > 0:
        raise ValueError(f"horizon_days: expected a number > 0, got {horizon_days}")
    value = individual_value(
        truth["purchase_rate"].to_numpy(float),
        truth["dropout_prob"].to_numpy(float),
        np.asarray(alive, dtype=bool),
        spend_shape / truth["spend_scale"].to_numpy(float),
        horizon_days,
    )
    return pd.Series(value, index=truth.index, name="expected_spend")
