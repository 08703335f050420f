"""Gamma-Gamma spend model, and discounted CLV on top of a purchase model.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer
base analysis", JMR 42(4). A customer's transactions are Gamma(p, ν) in value,
with ν ~ Gamma(q, γ) across customers, independent of the purchase process. The
model is fitted on repeat customers' average repeat spend ``z̄`` (``monetary``)
and number of repeat purchases ``x``. On CDNOW: p = 6.25, q = 3.74, γ = 15.44.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from ._fitting import (
    FittedParams,
    as_float_array,
    compress,
    factorize,
    worth_compressing,
)

__all__ = ["GammaGamma", "PurchaseModel", "simulate_gamma_gamma"]


class PurchaseModel(Protocol):
    """Anything that predicts purchases in the next ``t`` (BG/NBD, Pareto/NBD)."""

    def conditional_expected_purchases(
        self, t: float | ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray: ...


def _check_spend(frequency: ArrayLike, monetary: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = as_float_array(frequency, "frequency")
    z = as_float_array(monetary, "monetary")
    if len(x) != len(z):
        raise ValueError(
            f"frequency and monetary must have the same length (got {len(x)}, {len(z)})"
        )
    if (x < 0).any() or (x != np.round(x)).any():
        raise ValueError("frequency: expected whole numbers >= 0 (repeat purchases)")
    n_neg = int((z < 0).sum())
    if n_neg:
        raise ValueError(f"monetary: {n_neg} negative value(s) (min {z.min()})")
    return x, z


class _Design:
    """Repeat customers' ``(x, z̄)`` with their distinct ``x`` values.

    The gamma functions depend on ``x`` only, so they are evaluated on its few
    distinct values and gathered; ``log z̄`` and ``log x`` are computed once.
    """

    def __init__(self, x: np.ndarray, z: np.ndarray) -> None:
        self.x, self.z = x, z
        self.code_x, self.ux = factorize(x)
        self.log_z = np.log(z)
        # Per-customer constants, computed once rather than at every evaluation.
        self.xz = x * z
        self.log_xz = self.log_z + np.log(x)

    def log_likelihood(
        self, params: np.ndarray, grad: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-row log density of z̄ given x (all constants) and its log-parameter gradient.

        ``(px − 1) log z̄ + px log x − (px + q) log(v + x z̄)`` is evaluated as
        ``px (log z̄ + log x − log(v + x z̄)) − log z̄ − q log(v + x z̄)``: the
        bracket is shared with the gradient in p.
        """
        p, q, v = params
        x, ux, cx = self.x, self.ux, self.code_x
        px = p * x
        vxz = v + self.xz
        log_vxz = np.log(vxz)
        shared = self.log_xz - log_vxz
        gam = gammaln(p * ux + q) - gammaln(p * ux) - gammaln(q) + q * np.log(v)
        ll = gam[cx] + px * shared - self.log_z - q * log_vxz
        if not grad:
            return ll, None
        psi_sum = digamma(p * ux + q)
        d_p = x * ((psi_sum - digamma(p * ux))[cx] + shared)
        d_q = (psi_sum - digamma(q) + np.log(v))[cx] - log_vxz
        d_v = q / v - (px + q) / vxz
        return ll, np.stack([d_p * p, d_q * q, d_v * v])


class GammaGamma(FittedParams):
    """Gamma-Gamma model of average spend, fitted by maximum likelihood.

    Attributes
    ----------
    params_ : dict
        ``{"p", "q", "v"}`` after fitting; ``v`` is the scale γ of the paper.
    log_likelihood_ : float
        Total log-likelihood at the optimum (all constants included).
    n_customers_ : int
        Repeat customers used in the fit.
    """

    _param_names = ("p", "q", "v")
    _model_name = "Gamma-Gamma"

    def fit(self, frequency: ArrayLike, monetary: ArrayLike) -> GammaGamma:
        """Fit the model to repeat customers' purchase counts and average spend.

        Parameters
        ----------
        frequency
            Repeat purchases ``x``. Customers with ``x = 0`` carry no spend
            information in this model and are left out of the fit.
        monetary
            Average value of the repeat purchases ``z̄`` (> 0 for repeat customers).

        Returns
        -------
        GammaGamma
            ``self``, with ``params_`` and ``log_likelihood_`` set.
        """
        x, z = _check_spend(frequency, monetary)
        repeat = x > 0
        if not repeat.any():
            raise ValueError("frequency: no repeat customers (x > 0) to fit the spend model on")
        x, z = x[repeat], z[repeat]
        n_zero = int((z == 0).sum())
        if n_zero:
            raise ValueError(f"monetary: {n_zero} repeat customer(s) with zero average spend")
        if worth_compressing(x, z):
            (x, z), w = compress(x, z)
        else:
            w = np.ones(len(x))
        # Moment-style start: shape p from the spread of z̄, q > 1 so the mean exists.
        mean = float(w @ z) / w.sum()
        return self._fit_design(_Design(x, z), w, [1.0, 2.0, mean])

    def customer_log_likelihood(self, frequency: ArrayLike, monetary: ArrayLike) -> np.ndarray:
        """Log-density of each repeat customer's ``z̄`` given ``x`` (``x > 0`` rows only)."""
        x, z = _check_spend(frequency, monetary)
        if (x == 0).any() or (z == 0).any():
            raise ValueError("frequency, monetary: pass repeat customers only (x > 0, z̄ > 0)")
        return _Design(x, z).log_likelihood(np.array(self._params()), grad=False)[0]

    def conditional_expected_spend(self, frequency: ArrayLike, monetary: ArrayLike) -> np.ndarray:
        """E[Z | x, z̄]: expected average transaction value of each customer.

        A credibility-weighted mix of the population mean ``pγ/(q−1)`` and the
        customer's own ``z̄`` (weight ``px/(px+q−1)``); new customers (``x = 0``)
        get the population mean (infinite if ``q ≤ 1``).

        Parameters
        ----------
        frequency, monetary
            Repeat purchases and average repeat spend, as in :meth:`fit`.

        Returns
        -------
        numpy.ndarray
            ``p(γ + x z̄) / (px + q − 1)``.
        """
        p, q, v = self._params()
        x, z = _check_spend(frequency, monetary)
        with np.errstate(divide="ignore"):
            return p * (v + x * z) / (p * x + q - 1.0)

    def customer_lifetime_value(
        self,
        purchase_model: PurchaseModel,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        monetary: ArrayLike,
        horizon: float,
        discount_rate: float,
        step: float = 1.0,
        margin: float = 1.0,
    ) -> np.ndarray:
        """Discounted expected value of each customer's future purchases over ``horizon``.

        Discretised sum (the lifetimes convention): the horizon is cut into
        ``ceil(horizon / step)`` steps; step ``i`` contributes the purchases the
        model expects in it, ``E[Y(i·step)] − E[Y((i−1)·step)]``, times the
        expected spend and the margin, discounted by ``(1 + discount_rate)^i``
        (cash at the end of the step). The last step is shortened to end at
        ``horizon``.

        Parameters
        ----------
        purchase_model
            A fitted :class:`~sim.analytics.clv.BGNBD` or :class:`~sim.analytics.clv.ParetoNBD`.
        frequency, recency, T
            The customers' summaries, in the purchase model's time unit.
        monetary
            Average repeat spend (0 for customers without repeat purchases).
        horizon
            How far ahead to count, in the model's time unit (e.g. 52 weeks).
        discount_rate
            Discount rate per step (e.g. a monthly rate with ``step`` ≈ 4.35 weeks).
        step
            Length of one discounting step, in the model's time unit.
        margin
            Share of spend that is profit (1.0 counts revenue).

        Returns
        -------
        numpy.ndarray
            One discounted value per customer.
        """
        if not (horizon > 0 and step > 0):
            raise ValueError(f"horizon and step must be > 0 (got {horizon}, {step})")
        if discount_rate <= -1:
            raise ValueError(f"discount_rate must be > -1, got {discount_rate}")
        spend = self.conditional_expected_spend(frequency, monetary) * margin
        n_steps = math.ceil(horizon / step - 1e-12)
        value = np.zeros_like(spend)
        previous = np.zeros_like(spend)
        for i in range(1, n_steps + 1):
            cumulative = purchase_model.conditional_expected_purchases(
                min(i * step, horizon), frequency, recency, T
            )
            value += (cumulative - previous) * spend / (1.0 + discount_rate) ** i
            previous = cumulative
        return value


def simulate_gamma_gamma(
    frequency: ArrayLike,
    p: float,
    q: float,
    v: float,
    seed: int | np.random.Generator | None = None,
    return_truth: bool = False,
) -> pd.DataFrame:
    """Draw average spend ``z̄`` exactly from the Gamma-Gamma model.

    ν ~ Gamma(q, rate γ); each of the ``x`` transactions is Gamma(p, rate ν), so
    their sum is Gamma(px, rate ν) and ``z̄`` is that sum over ``x``.

    Parameters
    ----------
    frequency
        Number of repeat transactions per customer (0 gives ``monetary = 0``).
    p, q, v
        Model parameters (``v`` is the scale γ).
    seed
        Seed or generator (the only source of randomness).
    return_truth
        Also return each customer's true mean spend ``p / ν`` as ``mean_spend``.

    Returns
    -------
    pandas.DataFrame
        Columns ``frequency`` and ``monetary`` (and ``mean_spend`` on request).
    """
    rng = np.random.default_rng(seed)
    x = as_float_array(frequency, "frequency")
    nu = rng.gamma(q, 1.0 / v, len(x))
    total = rng.gamma(np.maximum(p * x, 1e-12), 1.0 / nu)
    z = np.where(x > 0, total / np.maximum(x, 1.0), 0.0)
    out = pd.DataFrame({"frequency": x.astype(np.int64), "monetary": z})
    if return_truth:
        out["mean_spend"] = p / nu
    return out
