"""From an orders table to the per-customer RFM summary the CLV models take.

A customer's *first* purchase starts their clock; ``frequency`` counts the
*repeat* purchase days after it, ``recency`` is the age at the last purchase,
``T`` the age at the cut-off and ``monetary`` the average value of the repeat
purchases (0 without repeats). Orders on the same calendar day are merged into
one purchase (their amounts summed), as lifetimes'
``summary_data_from_transaction_data`` does, so times are whole days expressed
in the chosen unit.

>>> import pandas as pd
>>> orders = pd.DataFrame({
...     "customer_id": [1, 1, 1, 2],
...     "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"]),
...     "net_amount": [10.0, 5.0, 30.0, 20.0],
... })
>>> summary_from_orders(orders, cutoff="2024-01-29", time_unit="weeks")  # doctest: +NORMALIZE_WHITESPACE
             frequency  recency    T  monetary
customer_id
1                    1      2.0  4.0      30.0
2                    0      0.0  3.0       0.0
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table

__all__ = ["calibration_holdout_split", "summary_from_orders"]

TimeUnit = Literal["days", "weeks"]
_UNIT_DAYS = {"days": 1.0, "weeks": 7.0}


def _daily_purchases(
    orders: pd.DataFrame, customer_col: str, date_col: str, amount_col: str
) -> pd.DataFrame:
    """Validate the orders and merge same-day orders: one row per customer and day."""
    check_table(
        orders,
        "orders",
        columns=[customer_col],
        non_negative=[amount_col],
        datetime=[date_col],
    )
    if orders[customer_col].isna().any():
        raise ValueError(f"orders.{customer_col}: {int(orders[customer_col].isna().sum())} missing")
    day = orders[date_col].dt.floor("D").rename("day")
    daily = (
        orders[amount_col]
        .groupby([orders[customer_col].rename("customer_id"), day], sort=True)
        .sum()
        .rename("amount")
        .reset_index()
    )
    return daily


def _unit(time_unit: str) -> float:
    if time_unit not in _UNIT_DAYS:
        raise ValueError(f"time_unit: expected 'days' or 'weeks', got {time_unit!r}")
    return _UNIT_DAYS[time_unit]


def _summarise(daily: pd.DataFrame, cutoff: pd.Timestamp, unit: float) -> pd.DataFrame:
    """Frequency, recency, T, monetary from merged daily purchases up to ``cutoff``."""
    by = daily.groupby("customer_id", sort=True)
    first = by["day"].min()
    # Rows are sorted by customer then day, so the first row is the first purchase.
    first_amount = by["amount"].first()
    n_days = by["day"].size()
    frequency = (n_days - 1).astype(np.int64)
    repeat_total = by["amount"].sum() - first_amount
    monetary = (repeat_total / frequency.where(frequency > 0)).fillna(0.0)
    out = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (by["day"].max() - first).dt.days / unit,
            "T": (cutoff - first).dt.days / unit,
            "monetary": monetary.astype(float),
        }
    )
    out.index.name = "customer_id"
    # A customer whose first purchase is on the cut-off day has age T = 0: no
    # time observed, nothing for a model to learn from (and BG/NBD needs T > 0).
    return out[out["T"] > 0]


def summary_from_orders(
    orders: pd.DataFrame,
    cutoff: str | pd.Timestamp | None = None,
    time_unit: TimeUnit = "weeks",
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "net_amount",
) -> pd.DataFrame:
    """Per-customer ``frequency, recency, T, monetary`` at a cut-off date.

    Parameters
    ----------
    orders
        One row per order, with customer id, order datetime and amount
        (``sim.data.schema`` "orders": ``customer_id``, ``order_date``, ``net_amount``).
    cutoff
        End of the observation period (inclusive, by calendar day); orders after it
        are ignored. Default: the last order's day.
    time_unit
        ``"days"`` or ``"weeks"`` (7 days) for ``recency`` and ``T``.
    customer_col, date_col, amount_col
        Column names, if they differ from the schema's.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``frequency`` (repeat purchase days),
        ``recency`` and ``T`` (in ``time_unit``), ``monetary`` (mean repeat spend).
        Customers whose first purchase falls on the cut-off day (``T = 0``) are
        left out: no time has been observed for them.
    """
    unit = _unit(time_unit)
    daily = _daily_purchases(orders, customer_col, date_col, amount_col)
    end = daily["day"].max() if cutoff is None else pd.Timestamp(cutoff).floor("D")
    daily = daily[daily["day"] <= end]
    if daily.empty:
        raise ValueError(f"cutoff: no orders on or before {end.date()}")
    return _summarise(daily, end, unit)


def calibration_holdout_split(
    orders: pd.DataFrame,
    calibration_end: str | pd.Timestamp,
    holdout_end: str | pd.Timestamp | None = None,
    time_unit: TimeUnit = "weeks",
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    amount_col: str = "net_amount",
) -> pd.DataFrame:
    """Calibration summary plus what each calibration customer did in the holdout period.

    Parameters
    ----------
    orders
        One row per order (see :func:`summary_from_orders`).
    calibration_end
        Last day of the calibration period (inclusive).
    holdout_end
        Last day of the holdout period (inclusive). Default: the last order's day.
    time_unit
        ``"days"`` or ``"weeks"``.
    customer_col, date_col, amount_col
        Column names, if they differ from the schema's.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (customers whose first purchase is in the
        calibration period, before its last day): ``frequency_cal, recency_cal, T_cal, monetary_cal``,
        ``frequency_holdout`` (purchase days in the holdout), ``monetary_holdout``
        (their mean value, 0 if none) and ``duration_holdout`` (its length).
    """
    unit = _unit(time_unit)
    daily = _daily_purchases(orders, customer_col, date_col, amount_col)
    cal_end = pd.Timestamp(calibration_end).floor("D")
    hold_end = daily["day"].max() if holdout_end is None else pd.Timestamp(holdout_end).floor("D")
    if hold_end <= cal_end:
        raise ValueError(
            f"holdout_end: {hold_end.date()} must come after calibration_end {cal_end.date()}"
        )
    cal = daily[daily["day"] <= cal_end]
    if cal.empty:
        raise ValueError(f"calibration_end: no orders on or before {cal_end.date()}")
    out = _summarise(cal, cal_end, unit).add_suffix("_cal")
    hold = daily[(daily["day"] > cal_end) & (daily["day"] <= hold_end)]
    hold = hold[hold["customer_id"].isin(out.index)].groupby("customer_id")["amount"]
    out["frequency_holdout"] = hold.size().reindex(out.index, fill_value=0).astype(np.int64)
    out["monetary_holdout"] = hold.mean().reindex(out.index, fill_value=0.0).astype(float)
    out["duration_holdout"] = (hold_end - cal_end).days / unit
    return out
