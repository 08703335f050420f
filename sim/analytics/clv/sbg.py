"""Shifted-beta-geometric (sBG): retention of a contractual cohort.

Fader & Hardie (2007), "How to project customer retention", Journal of
Interactive Marketing 21(1). Each customer renews every period with a constant
churn probability θ ~ Beta(α, β); the cohort's retention rate rises over time
because the likeliest churners leave first. On the paper's "regular" cohort
(1000, 631, 468, 382, 326, 289, 262, 241) the fit is α = 0.704, β = 1.182.

>>> from sim.analytics import clv
>>> model = clv.ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
>>> round(model.params_["alpha"], 3), round(model.params_["beta"], 3)
(0.704, 1.182)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import betaln, digamma, hyp2f1

from ._fitting import ConvergenceError, FittedParams, as_float_array, fit_log_params

__all__ = ["ShiftedBetaGeometric", "fit_sbg", "sbg_intervals", "simulate_sbg"]


def _check_active(active: ArrayLike) -> np.ndarray:
    n = as_float_array(active, "active")
    if len(n) < 2:
        raise ValueError("active: need at least two periods (cohort size and one renewal count)")
    if (n < 0).any() or (n != np.round(n)).any():
        raise ValueError("active: expected whole numbers of customers >= 0")
    if n[0] <= 0:
        raise ValueError("active: active[0] is the cohort size and must be > 0")
    if (np.diff(n) > 0).any():
        raise ValueError("active: counts must not increase (a cohort only loses customers)")
    if n[-1] == n[0]:
        raise ValueError("active: no customer churned; the sBG model is not identified")
    return n


class ShiftedBetaGeometric(FittedParams):
    """sBG retention model fitted by maximum likelihood on one cohort's active counts.

    Attributes
    ----------
    params_ : dict
        ``{"alpha", "beta"}`` of the Beta distribution of the churn probability.
    log_likelihood_ : float
        Total log-likelihood at the optimum.
    """

    _param_names = ("alpha", "beta")
    _model_name = "sBG"

    def fit(self, active: ArrayLike) -> ShiftedBetaGeometric:
        """Fit the model to a cohort's survivor counts.

        Parameters
        ----------
        active
            ``active[i]`` customers still active at the start of period ``i``;
            ``active[0]`` is the cohort size. ``active[i-1] − active[i]``
            churned in period ``i``; the last count is right-censored.

        Returns
        -------
        ShiftedBetaGeometric
            ``self``, with ``params_`` and ``log_likelihood_`` set.
        """
        n = _check_active(active)
        lost = n[:-1] - n[1:]
        t = np.arange(1, len(n), dtype=float)
        t_end = float(len(n) - 1)
        still = n[-1]

        def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            a, b = np.exp(log_params)
            ll, jac = _log_likelihood(a, b, lost, t, still, t_end)
            return -ll / n[0], -jac / n[0]

        params = fit_log_params(objective, [1.0, 1.0], self._param_names, "sBG")
        self.params_ = dict(zip(self._param_names, params.tolist(), strict=True))
        self.log_likelihood_ = float(_log_likelihood(*params, lost, t, still, t_end)[0])
        return self

    def churn_probability(self, t: ArrayLike) -> np.ndarray:
        """P(T = t): probability a new customer churns in period ``t`` (t = 1, 2, ...)."""
        a, b = self._params()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(a + 1.0, b + t - 1.0) - betaln(a, b))

    def survival(self, t: ArrayLike) -> np.ndarray:
        """S(t) = P(T > t): share of the cohort still active after ``t`` periods (S(0) = 1)."""
        a, b = self._params()
        t = np.asarray(t, dtype=float)
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def retention_rate(self, t: ArrayLike) -> np.ndarray:
        """r(t) = S(t) / S(t−1) = (β + t − 1) / (α + β + t − 1): renewal rate in period ``t``."""
        a, b = self._params()
        t = np.asarray(t, dtype=float)
        return (b + t - 1.0) / (a + b + t - 1.0)

    def expected_active(self, t: ArrayLike, cohort_size: float) -> np.ndarray:
        """Expected customers of a cohort of ``cohort_size`` still active at the start of ``t``."""
        return cohort_size * self.survival(t)

    def expected_lifetime_value(
        self, margin: float, discount_rate: float, periods: int | None = None
    ) -> float:
        """Discounted expected value of a new customer paying ``margin`` each active period.

        Convention: the customer pays at the start of every period they are
        active, the first one at ``t = 0`` undiscounted, so the value is
        ``m · Σ_{t=0}^{periods−1} S(t) / (1+d)^t``. With ``periods=None`` the sum is
        infinite and has the closed form ``m · 2F1(1, β; α+β; 1/(1+d))`` (Fader &
        Hardie's discounted expected lifetime).

        Parameters
        ----------
        margin
            Margin per active period.
        discount_rate
            Discount rate per period (> 0 for the infinite horizon).
        periods
            Number of periods to count, or ``None`` for all.

        Returns
        -------
        float
            Expected discounted value.
        """
        a, b = self._params()
        if periods is None:
            if discount_rate <= 0:
                raise ValueError("discount_rate must be > 0 for an infinite horizon")
            return float(margin * hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount_rate)))
        t = np.arange(periods, dtype=float)
        return float(margin * np.sum(self.survival(t) / (1.0 + discount_rate) ** t))


def _log_likelihood(
    a: float, b: float, lost: np.ndarray, t: np.ndarray, still: float, t_end: float
) -> tuple[float, np.ndarray]:
    """Cohort log-likelihood and its gradient with respect to (log α, log β)."""
    base = betaln(a, b)
    log_p = betaln(a + 1.0, b + t - 1.0) - base
    log_s = betaln(a, b + t_end) - base
    ll = float(lost @ log_p + still * log_s)
    dab = digamma(a + b)
    dp_a = digamma(a + 1.0) - digamma(a + b + t) - digamma(a) + dab
    dp_b = digamma(b + t - 1.0) - digamma(a + b + t) - digamma(b) + dab
    ds_a = dab - digamma(a + b + t_end)
    ds_b = digamma(b + t_end) - digamma(a + b + t_end) - digamma(b) + dab
    grad = np.array([a * (lost @ dp_a + still * ds_a), b * (lost @ dp_b + still * ds_b)])
    return ll, grad


def simulate_sbg(
    cohort_size: int,
    periods: int,
    alpha: float,
    beta: float,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Draw a cohort's active counts exactly from the sBG model.

    Each customer's churn probability is θ ~ Beta(α, β) and their lifetime
    Geometric(θ) on {1, 2, ...}: they are active at the start of period ``i``
    while their lifetime exceeds ``i``.

    Parameters
    ----------
    cohort_size
        Customers in the cohort.
    periods
        Number of counts to return (``active[0] … active[periods−1]``).
    alpha, beta
        Model parameters.
    seed
        Seed or generator (the only source of randomness).

    Returns
    -------
    numpy.ndarray
        ``active`` counts, ``active[0] = cohort_size``.
    """
    rng = np.random.default_rng(seed)
    lifetime = rng.geometric(rng.beta(alpha, beta, cohort_size))
    return (lifetime[None, :] > np.arange(periods)[:, None]).sum(axis=1)


def fit_sbg(active: ArrayLike) -> tuple[ShiftedBetaGeometric, str]:
    """Fit the sBG to an active-customer series, or say why the data do not identify it.

    When the fit runs to the boundary (α, β → ∞ with α / (α + β) fixed: every
    customer has the same churn probability, so there is no heterogeneity for
    the Beta to describe) the series is a plain geometric decay; the model
    returned is then that limit — an sBG with α + β = 10⁶ and α / (α + β) = θ,
    θ the constant churn per period fitted to the series — and the note says
    so. A fit that converges with alpha + beta >= :data:`BOUNDARY` is the same
    limit, reached: it is returned with the same kind of note. Otherwise the
    note is empty.

    Returns
    -------
    (model, note)
    """
    a = _check_active(active)
    try:
        model = ShiftedBetaGeometric().fit(a)
    except ConvergenceError as err:
        periods = len(a) - 1
        theta = 1.0 - (a[-1] / a[0]) ** (1.0 / periods)
        scale = 1e6
        model = ShiftedBetaGeometric.from_params(alpha=theta * scale, beta=(1 - theta) * scale)
        note = (
            f"the sBG fit does not converge ({err}): the series loses about the same share every "
            f"period, so the data do not identify a spread of churn probabilities. Its limit "
            f"(alpha, beta -> infinity) is a geometric model with churn {theta:.3f} a period."
        )
        return model, note
    alpha, beta = model.params_["alpha"], model.params_["beta"]
    if alpha + beta >= BOUNDARY:
        theta = alpha / (alpha + beta)
        return model, (
            f"the sBG fit runs to the boundary (alpha + beta = {alpha + beta:,.0f}): the "
            f"series loses about the same share every period, so the data do not identify a "
            f"spread of churn probabilities; in effect a geometric model with churn "
            f"{theta:.3f} a period."
        )
    return model, ""


#: alpha + beta beyond which a fitted Beta has no spread worth the name (sd of churn < 1 %).
BOUNDARY = 1e4


def _geometric_churn(n: np.ndarray) -> float:
    """MLE of a constant churn per period: churners ÷ customer-periods at risk."""
    lost = n[:-1] - n[1:]
    exposure = np.arange(1, len(n)) @ lost + (len(n) - 1) * n[-1]
    return float(lost.sum() / exposure)


def _refit(n: np.ndarray, start: np.ndarray) -> tuple[float, float, float]:
    """(α, β, first-period churn) of a resample, warm-started at ``start`` (log α, log β).

    A bootstrap refit only needs the bootstrap's precision, and it starts next
    to its optimum, so BFGS from the full-sample fit replaces the full fit's
    L-BFGS-B from (1, 1), whose Fortran steps cost more than the likelihood.
    A refit that runs past :data:`BOUNDARY` (or away) is the boundary:
    α = β = ∞ and the churn is the geometric MLE.
    """
    lost = n[:-1] - n[1:]
    t = np.arange(1, len(n), dtype=float)
    t_end, still = float(len(n) - 1), n[-1]

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = np.exp(log_params)
        ll, jac = _log_likelihood(a, b, lost, t, still, t_end)
        return -ll / n[0], -jac / n[0]

    limit = math.log(BOUNDARY)

    def stop_at_boundary(xk: np.ndarray) -> None:
        # The walk out to the boundary is slow (the likelihood flattens); once
        # α + β passes BOUNDARY the answer is known.
        if np.logaddexp(*xk) >= limit:
            raise StopIteration

    with np.errstate(all="ignore"):
        res = minimize(
            objective,
            start,
            jac=True,
            method="BFGS",
            callback=stop_at_boundary,
            options={"maxiter": 200, "gtol": 1e-8},
        )
    x = res.x
    if not np.all(np.isfinite(x)) or np.any(np.abs(x) >= 29.9) or np.logaddexp(*x) >= limit:
        return math.inf, math.inf, _geometric_churn(n)
    a, b = np.exp(x)
    return float(a), float(b), float(a / (a + b))


def _batch_objective(x: np.ndarray, lost: np.ndarray, still: np.ndarray, size: float):
    """Mean negative log-likelihood (R,) and gradient (R, 2) of R cohorts at log-params x (R, 2)."""
    a, b = np.exp(x[:, 0])[:, None], np.exp(x[:, 1])[:, None]
    t = np.arange(1, lost.shape[1] + 1, dtype=float)[None, :]
    t_end = float(lost.shape[1])
    base = betaln(a, b)
    log_p = betaln(a + 1.0, b + t - 1.0) - base
    log_s = (betaln(a, b + t_end) - base)[:, 0]
    ll = (lost * log_p).sum(axis=1) + still * log_s
    dab = digamma(a + b)
    dp_a = digamma(a + 1.0) - digamma(a + b + t) - digamma(a) + dab
    dp_b = digamma(b + t - 1.0) - digamma(a + b + t) - digamma(b) + dab
    ds_a = (dab - digamma(a + b + t_end))[:, 0]
    ds_b = (digamma(b + t_end) - digamma(a + b + t_end) - digamma(b) + dab)[:, 0]
    ga = a[:, 0] * ((lost * dp_a).sum(axis=1) + still * ds_a)
    gb = b[:, 0] * ((lost * dp_b).sum(axis=1) + still * ds_b)
    return -ll / size, -np.column_stack([ga, gb]) / size


def _refit_batch(counts: np.ndarray, start: np.ndarray) -> np.ndarray:
    """:func:`_refit` for many resamples at once: (R, 3) rows of α, β, first-period churn.

    Damped Newton steps on all resamples together (the 2 × 2 Hessian from
    central differences of the analytic gradient, a halving line search),
    from the full-sample fit. A resample whose α + β passes :data:`BOUNDARY`
    is the boundary; one that has not converged after the iterations (or
    whose Hessian stays indefinite) is refitted alone by :func:`_refit`.
    """
    counts = np.asarray(counts, dtype=float)
    lost, still, size = counts[:, :-1] - counts[:, 1:], counts[:, -1], float(counts[0, 0])
    reps = len(counts)
    x = np.tile(np.asarray(start, dtype=float), (reps, 1))
    limit = math.log(BOUNDARY)
    active = np.ones(reps, dtype=bool)
    boundary = np.zeros(reps, dtype=bool)
    converged = np.zeros(reps, dtype=bool)
    h = 1e-5
    with np.errstate(all="ignore"):
        for _ in range(60):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            xi, li, si = x[idx], lost[idx], still[idx]
            f, g = _batch_objective(xi, li, si, size)
            gmax = np.abs(g).max(axis=1)
            done = gmax < 1e-8
            hess = np.empty((idx.size, 2, 2))
            for k in range(2):
                e = np.zeros(2)
                e[k] = h
                hess[:, k, :] = (
                    _batch_objective(xi + e, li, si, size)[1]
                    - _batch_objective(xi - e, li, si, size)[1]
                ) / (2 * h)
            hess = (hess + hess.transpose(0, 2, 1)) / 2
            # Newton along directions of positive curvature; along a direction of
            # negative or no curvature (the ridge towards the boundary, where the
            # likelihood flattens) a unit step downhill, so the walk is fast.
            lam, vec = np.linalg.eigh(hess)
            along = np.einsum("rij,ri->rj", vec, g)  # gradient in the eigenbasis
            curved = lam > 1e-8
            coef = np.where(curved, -along / np.where(curved, lam, 1.0), -np.sign(along))
            step = np.einsum("rij,rj->ri", vec, coef)
            # Cap a step at one unit of log-parameter: Newton on a flat ridge overshoots.
            step /= np.maximum(1.0, np.abs(step).max(axis=1))[:, None]
            scale = np.ones(idx.size)
            accepted = np.zeros(idx.size, dtype=bool)
            for _ in range(30):
                trial = xi + scale[:, None] * step
                ft = _batch_objective(trial, li, si, size)[0]
                ok = np.isfinite(ft) & (ft <= f + 1e-14) & ~accepted
                xi = np.where(ok[:, None], trial, xi)
                accepted |= ok
                if accepted.all():
                    break
                scale = np.where(accepted, scale, scale / 2)
            x[idx] = xi
            out = np.logaddexp(xi[:, 0], xi[:, 1]) >= limit
            boundary[idx[out]] = True
            converged[idx[done & ~out]] = True
            stuck = ~accepted & ~done & ~out
            # No decrease left to find in double precision: converged if the gradient is
            # already negligible for the bootstrap (a refit alone otherwise).
            converged[idx[stuck & (gmax < 1e-6)]] = True
            active[idx[done | out | stuck]] = False
    rows = np.empty((reps, 3))
    for i in range(reps):
        if boundary[i]:
            rows[i] = (math.inf, math.inf, _geometric_churn(counts[i]))
        elif converged[i]:
            a, b = np.exp(x[i])
            rows[i] = (a, b, a / (a + b))
        else:
            rows[i] = _refit(counts[i], np.asarray(start, dtype=float))
    return rows


def _quantiles(values: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """Percentiles of draws that may hold +∞ (a boundary refit): ∞ sorts last and stays ∞."""
    big = np.finfo(float).max / 4
    out = np.quantile(np.where(np.isinf(values), big, values), probs)
    return np.where(out >= big / 2, math.inf, out)


def sbg_intervals(
    active: ArrayLike,
    replications: int = 400,
    level: float = 0.9,
    seed: int = 0,
    project: Sequence[int] = (),
) -> pd.DataFrame:
    """Bootstrap intervals for an sBG fit: α, β, the first period's churn and projections.

    The cohort is resampled customer by customer: each of ``active[0]``
    customers churned in period 1, 2, …, T or survived past T, so a resample
    is one multinomial draw of those T + 1 counts with the observed shares
    (keyed by ``seed``), turned back into a survivors curve and refitted with
    :func:`fit_sbg` (all resamples at once, by Newton steps from the
    full-sample fit). A refit that reaches the boundary (no heterogeneity:
    α, β → ∞ with α / (α + β) fixed) is recorded as α = β = ∞, so an interval
    that reaches the boundary has an infinite upper end — the data cannot rule
    out "everybody churns alike". The first period's churn α / (α + β) — the
    constant churn θ at the boundary — is finite in every refit, so its
    interval always is.

    Parameters
    ----------
    active
        Survivor counts, cohort size first (see :meth:`ShiftedBetaGeometric.fit`).
    replications
        Number of resamples (>= 50).
    level
        Coverage of the percentile intervals, between 0 and 1.
    seed
        Seed of the resampling.
    project
        Periods ``t`` at which to project the active customers
        ``active[0] · S(t)`` (rows ``active_<t>``), e.g. beyond the data.

    Returns
    -------
    pandas.DataFrame
        Index ``quantity`` (``alpha``, ``beta``, ``churn_1``, ``active_<t>`` …):
        ``estimate`` (the fit on the data; ∞ for α and β of a boundary fit),
        ``low``, ``high``, and ``boundary_share`` (share of the refits at the
        boundary, the same on every row). ``attrs["boundary"]`` says whether the
        fit on the data itself is at the boundary.

    Examples
    --------
    >>> out = sbg_intervals([1000, 631, 468, 382, 326, 289, 262, 241], replications=200)
    >>> round(float(out.loc["alpha", "estimate"]), 3), bool(out.loc["alpha", "high"] < 1)
    (0.704, True)
    """
    n = _check_active(active)
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 50:
        raise ValueError(f"replications: a whole number >= 50, got {replications!r}")
    if not 0 < level < 1:
        raise ValueError(f"level: a share strictly between 0 and 1, got {level!r}")
    periods = [int(t) for t in project]
    if any(t < 0 for t in periods) or any(t != p for t, p in zip(periods, project, strict=True)):
        raise ValueError(f"project: whole numbers of periods >= 0, got {list(project)!r}")
    size = int(n[0])
    shares = np.r_[n[:-1] - n[1:], n[-1]] / n[0]
    t = np.asarray(periods, dtype=float)

    def survivors(a: float, b: float) -> np.ndarray:
        if math.isinf(a):
            return size * (1.0 - b) ** t  # b holds θ at the boundary
        return size * np.exp(betaln(a, b + t) - betaln(a, b))

    model, note = fit_sbg(n)
    if note:
        a0, b0, churn0 = math.inf, math.inf, _geometric_churn(n)
        # Start the refits inside the parameter space, at the same mean churn
        # with little spread: a resample that supports heterogeneity walks
        # inwards, one that does not walks out to the boundary.
        start = np.log([churn0 * 1e3, (1 - churn0) * 1e3])
    else:
        a0, b0 = model.params_["alpha"], model.params_["beta"]
        churn0 = a0 / (a0 + b0)
        start = np.log([a0, b0])

    def row(a: float, b: float, churn: float) -> np.ndarray:
        return np.r_[a, b, churn, survivors(a, churn if math.isinf(a) else b)]

    estimate = row(a0, b0, churn0)
    rng = np.random.default_rng(seed)
    lost = rng.multinomial(size, shares, size=replications)
    counts = size - np.column_stack([np.zeros(replications), np.cumsum(lost[:, :-1], axis=1)])
    counts = counts[counts[:, -1] < counts[:, 0]]  # a resample without a churner identifies nothing
    if len(counts) == 0:
        raise ValueError("active: no resample has a churner; the sBG model is not identified")
    draws = np.array([row(*fit) for fit in _refit_batch(counts, start)])
    probs = [0.5 - level / 2, 0.5 + level / 2]
    bounds = np.array([_quantiles(draws[:, j], probs) for j in range(draws.shape[1])])
    names = ["alpha", "beta", "churn_1", *(f"active_{p}" for p in periods)]
    out = pd.DataFrame(
        {
            "estimate": estimate,
            "low": bounds[:, 0],
            "high": bounds[:, 1],
            "boundary_share": float(np.isinf(draws[:, 0]).mean()),
        },
        index=pd.Index(names, name="quantity"),
    )
    out.attrs["boundary"] = bool(math.isinf(estimate[0]))
    out.attrs["replications"] = len(draws)
    return out
