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

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, hyp2f1

from ._fitting import ConvergenceError, FittedParams, as_float_array, fit_log_params

__all__ = ["ShiftedBetaGeometric", "fit_sbg", "simulate_sbg"]


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
