"""Classroom CLV formulas: the back-of-the-envelope values taught before the models.

Two families:

* the *average* approach: customer value = average purchase value × purchase
  frequency (per year, say), and CLV = customer value × average lifespan;
* the *retention-margin* approach: a customer who yields margin ``m`` per
  period, stays with probability ``r`` per period, discounted at ``d``, is worth
  ``m·r / (1 + d − r)`` (margins paid at the end of each period survived), or a
  finite-horizon sum of ``m r^t / (1+d)^t``.

>>> round(customer_value(2020 / 11, 1.0), 2)
183.64
>>> round(customer_lifetime_value(2020 / 11, 1.0, 10))
1836
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = [
    "customer_lifetime_value",
    "customer_value",
    "retention_clv",
    "retention_clv_finite",
]


def _positive(value: float, name: str, allow_zero: bool = True) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        rule = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: expected a finite number {rule}, got {value}")
    return value


def customer_value(average_purchase_value: float, purchase_frequency: float) -> float:
    """Customer value per period: average purchase value × purchases per period.

    Parameters
    ----------
    average_purchase_value
        Revenue (or margin) per purchase, e.g. € per order.
    purchase_frequency
        Purchases per period (e.g. per year).

    Returns
    -------
    float
        Value per period, e.g. € per year.
    """
    apv = _positive(average_purchase_value, "average_purchase_value")
    return apv * _positive(purchase_frequency, "purchase_frequency")


def customer_lifetime_value(
    average_purchase_value: float, purchase_frequency: float, average_lifespan: float
) -> float:
    """Undiscounted CLV: customer value per period × average lifespan in periods.

    Parameters
    ----------
    average_purchase_value
        Revenue (or margin) per purchase.
    purchase_frequency
        Purchases per period.
    average_lifespan
        Expected number of periods a customer stays.

    Returns
    -------
    float
        Lifetime value (same money unit as ``average_purchase_value``).
    """
    value = customer_value(average_purchase_value, purchase_frequency)
    return value * _positive(average_lifespan, "average_lifespan")


def _check_retention(margin: float, retention: float, discount_rate: float) -> None:
    if not np.isfinite(margin):
        raise ValueError(f"margin: expected a finite number, got {margin}")
    if not 0 <= retention <= 1:
        raise ValueError(f"retention: expected a probability in [0, 1], got {retention}")
    if not (np.isfinite(discount_rate) and discount_rate > -1):
        raise ValueError(f"discount_rate: expected a finite number > -1, got {discount_rate}")


def retention_clv(margin: float, retention: float, discount_rate: float) -> float:
    """Infinite-horizon CLV with constant retention: ``m · r / (1 + d − r)``.

    The margin ``m`` is received at the end of each period the customer is
    retained (period ``t = 1, 2, ...`` with probability ``r^t``), discounted by
    ``(1 + d)^t``: ``Σ_{t≥1} m r^t / (1+d)^t = m r / (1 + d − r)``. Add ``m`` for
    a margin already earned today (the ``t = 0`` term).

    Parameters
    ----------
    margin
        Margin per period.
    retention
        Probability of staying one more period, in [0, 1].
    discount_rate
        Discount rate per period; must exceed ``retention − 1``.

    Returns
    -------
    float
        Expected discounted value.
    """
    _check_retention(margin, retention, discount_rate)
    if 1 + discount_rate - retention <= 0:
        raise ValueError("discount_rate: the sum diverges unless 1 + discount_rate > retention")
    return margin * retention / (1 + discount_rate - retention)


def retention_clv_finite(
    margin: float,
    retention: float,
    discount_rate: float,
    periods: int,
    start: Literal[0, 1] = 1,
) -> float:
    """Finite-horizon CLV with constant retention: ``Σ m r^t / (1+d)^t`` over ``periods`` terms.

    Convention (``start``): with ``start=1`` (default) the sum runs over
    ``t = 1 … periods`` — margins at the end of each retained period, matching
    :func:`retention_clv`, to which it converges. With ``start=0`` it runs over
    ``t = 0 … periods−1`` — the first margin is earned now, undiscounted.

    Parameters
    ----------
    margin
        Margin per period.
    retention
        Probability of staying one more period, in [0, 1].
    discount_rate
        Discount rate per period.
    periods
        Number of terms (periods) to count, >= 0.
    start
        First period of the sum, 0 or 1 (see above).

    Returns
    -------
    float
        Expected discounted value over the horizon.
    """
    _check_retention(margin, retention, discount_rate)
    if start not in (0, 1):
        raise ValueError(f"start: expected 0 or 1, got {start}")
    if int(periods) != periods or periods < 0:
        raise ValueError(f"periods: expected a whole number >= 0, got {periods}")
    t = np.arange(start, start + int(periods), dtype=float)
    return float(np.sum(margin * (retention / (1 + discount_rate)) ** t))
