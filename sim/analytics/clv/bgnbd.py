"""BG/NBD: the beta-geometric / negative binomial "buy till you die" model.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
alternative to the Pareto/NBD model", Marketing Science 24(2). While alive a
customer buys at Poisson rate λ ~ Gamma(r, α); after each repeat purchase they
drop out with probability p ~ Beta(a, b). On CDNOW (weeks) the published fit is
r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.

>>> from sim.analytics import clv
>>> data = clv.load_cdnow_summary()
>>> model = clv.BGNBD().fit(data["frequency"], data["recency"], data["T"])
>>> round(model.params_["r"], 3), round(model.log_likelihood_, 1)
(0.243, -9582.4)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import digamma, expit, gammaln, hyp2f1

from ._fitting import (
    FittedParams,
    as_float_array,
    check_frt,
    compress,
    factorize,
    require_repeat,
)

__all__ = ["BGNBD", "simulate_bgnbd"]


class _Design:
    """Distinct customers, with the distinct x, t_x and T values they index into.

    The special functions depend on one column each, so they are evaluated on
    the few distinct values and gathered: a million customers cost little more
    than their distinct ``(x, t_x, T)`` rows.
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> None:
        self.x, self.repeat = x, x > 0
        self.code_x, self.ux = factorize(x)
        self.code_rec, self.urec = factorize(t_x)
        self.code_age, self.uage = factorize(age)

    def log_likelihood(
        self, params: np.ndarray, grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-row log-likelihood (eq. 6 of FHL 2005, all constants) and its gradient."""
        r, alpha, a, b = params
        x, ux, repeat = self.x, self.ux, self.repeat
        cx, crec, cage = self.code_x, self.code_rec, self.code_age
        a12 = (
            gammaln(r + ux)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + ux)
            - gammaln(b)
            - gammaln(a + b + ux)
        )
        log_age = np.log(alpha + self.uage)
        log_rec = np.log(alpha + self.urec)
        a3 = -(r + x) * log_age[cage]
        # The "dropped out after the last purchase" term exists only for x > 0;
        # b + x - 1 can be negative at x = 0, so evaluate it on a safe value.
        bx1 = np.where(ux > 0, b + ux - 1.0, 1.0)
        a4 = (np.log(a) - np.log(bx1))[cx] - (r + x) * log_rec[crec]
        a4 = np.where(repeat, a4, -np.inf)
        ll = a12[cx] + np.logaddexp(a3, a4)
        if not grad:
            return ll, None
        w4 = np.where(repeat, expit(a4 - np.where(repeat, a3, 0.0)), 0.0)
        w3 = 1.0 - w4
        d_r = (digamma(r + ux) - digamma(r) + np.log(alpha))[cx]
        d_r -= w3 * log_age[cage] + w4 * log_rec[crec]
        inv_age, inv_rec = (1.0 / (alpha + self.uage))[cage], (1.0 / (alpha + self.urec))[crec]
        d_alpha = r / alpha - (r + x) * (w3 * inv_age + w4 * inv_rec)
        d_a = (digamma(a + b) - digamma(a + b + ux))[cx] + w4 / a
        d_b = (digamma(a + b) + digamma(b + ux) - digamma(b) - digamma(a + b + ux))[cx]
        d_b -= w4 / bx1[cx]
        jac = np.stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return ll, jac


class BGNBD(FittedParams):
    """BG/NBD model fitted by maximum likelihood; scikit-style ``fit`` returning self.

    Attributes
    ----------
    params_ : dict
        ``{"r", "alpha", "a", "b"}`` after fitting (time unit of the inputs).
    log_likelihood_ : float
        Total log-likelihood at the optimum, as published (all constants included).
    n_customers_ : int
        Customers used in the fit.
    """

    _param_names = ("r", "alpha", "a", "b")
    _model_name = "BG/NBD"

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BGNBD:
        """Fit the model to per-customer summaries.

        Parameters
        ----------
        frequency
            Repeat purchases (whole numbers >= 0).
        recency
            Time of the last purchase since the first (0 if no repeat).
        T
            Customer age: time since the first purchase; same unit as ``recency``.

        Returns
        -------
        BGNBD
            ``self``, with ``params_`` and ``log_likelihood_`` set.
        """
        x, t_x, age = check_frt(frequency, recency, T)
        require_repeat(x, "BG/NBD")
        (x, t_x, age), w = compress(x, t_x, age)
        # Start at a mean rate matching the data's mean purchase rate.
        rate = max(float(w @ x) / float(w @ age), 1e-3)
        return self._fit_design(_Design(x, t_x, age), w, [1.0, 1.0 / rate, 1.0, 1.0])

    def customer_log_likelihood(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Log-likelihood of each customer's ``(x, t_x, T)`` at the model's parameters."""
        x, t_x, age = check_frt(frequency, recency, T)
        return _Design(x, t_x, age).log_likelihood(np.array(self._params()), grad=False)[0]

    def expected_purchases(self, t: ArrayLike) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer in a period of length ``t``.

        Parameters
        ----------
        t
            Period length(s), in the fitting time unit.

        Returns
        -------
        numpy.ndarray
            Expected purchases, eq. 7 of FHL (2005).
        """
        r, alpha, a, b = self._params()
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        head = (a + b - 1.0) / (a - 1.0)
        return head * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1.0, z))

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """P(alive | x, t_x, T): probability each customer is still active at age T."""
        r, alpha, a, b = self._params()
        x, t_x, age = check_frt(frequency, recency, T)
        bx1 = np.where(x > 0, b + x - 1.0, 1.0)
        log_odds = np.log(a) - np.log(bx1) + (r + x) * np.log((alpha + age) / (alpha + t_x))
        return np.where(x > 0, expit(-log_odds), 1.0)

    def conditional_expected_purchases(
        self, t: float | ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases of each customer in the next ``t``.

        Parameters
        ----------
        t
            Length of the future period (scalar or one per customer).
        frequency, recency, T
            The customers' summaries, as in :meth:`fit`.

        Returns
        -------
        numpy.ndarray
            Expected purchases in ``(T, T + t]``, eq. 10 of FHL (2005).
        """
        r, alpha, a, b = self._params()
        x, t_x, age = check_frt(frequency, recency, T)
        t = np.asarray(t, dtype=float)
        z = t / (alpha + age + t)
        head = (a + b + x - 1.0) / (a - 1.0)
        body = 1.0 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1.0, z
        )
        return head * body * self.probability_alive(x, t_x, age)


def simulate_bgnbd(
    T: ArrayLike,
    r: float,
    alpha: float,
    a: float,
    b: float,
    seed: int | np.random.Generator | None = None,
    return_truth: bool = False,
) -> pd.DataFrame:
    """Draw ``(frequency, recency, T)`` exactly from the BG/NBD process.

    Each customer has λ ~ Gamma(r, rate α) and p ~ Beta(a, b); repeat purchases
    arrive at Poisson(λ) times and after each one the customer drops out with
    probability p. Exactness without a loop: the purchases the customer would
    make before dropping out, K, are Geometric(p) on {1, 2, ...}; the arrivals
    in (0, T] are N ~ Poisson(λT); so x = min(K, N), and the x-th arrival among N
    uniform arrival times sits at T·Beta(x, N − x + 1).

    Parameters
    ----------
    T
        Age of each customer (one per customer; its length is the sample size).
    r, alpha, a, b
        Model parameters.
    seed
        Seed or generator (the only source of randomness).
    return_truth
        Also return each customer's ``lam``, ``p`` and ``alive`` at T.

    Returns
    -------
    pandas.DataFrame
        Columns ``frequency``, ``recency``, ``T`` (and the truth columns on request).
    """
    rng = np.random.default_rng(seed)
    age = as_float_array(T, "T")
    n = len(age)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    k = rng.geometric(p)
    arrivals = rng.poisson(lam * age)
    x = np.minimum(k, arrivals)
    order = rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1))
    t_x = np.where(x > 0, age * order, 0.0)
    out = pd.DataFrame({"frequency": x.astype(np.int64), "recency": t_x, "T": age})
    if return_truth:
        out["lam"], out["p"], out["alive"] = lam, p, k > arrivals
    return out
