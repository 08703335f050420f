"""The loyalty programme's points ledger: earn, burn (redeem) and expire.

Members earn points on what they pay, redeem a reward (``reward_threshold``
points for a discount of ``reward_threshold × point_value`` euros) at a later
order when they have enough points, and lose their whole balance after
``expiry_days`` without activity. Their tier follows their spend over the last
365 days. The ledger is replayed member by member in time order, so the running
balance is exact and never negative.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pandas as pd

from sim.scenario import Loyalty
from sim.world.seeding import uniforms

__all__ = ["ledger_records", "replay_ledger", "tier_for"]


def tier_for(spend: float, thresholds: dict[str, float]) -> str:
    """The highest tier whose annual-spend threshold ``spend`` reaches."""
    name, best = "", -1.0
    for tier, level in thresholds.items():
        if best < level <= spend:
            name, best = tier, level
    return name


def replay_ledger(
    orders: pd.DataFrame,
    members: pd.Series,
    cfg: Loyalty,
    horizon: float,
    u_redeem: np.ndarray,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Replay members' orders into ledger entries and the discount each reward gave.

    Parameters
    ----------
    orders : columns ``order_id, customer_id, t`` (days), ``gross_amount``,
        ``discount_amount`` (promotions), in any order.
    members : enrolment day by ``customer_id`` for members.
    cfg : the programme's parameters.
    horizon : last day of the simulation (expiries after it are not booked).
    u_redeem : one uniform per row of ``orders`` for its redeem-or-not
        decision, drawn for the order itself (not in replay order), so a
        member's choices do not depend on the other members.

    Returns
    -------
    ledger : rows ``customer_id, t, kind, points, balance, order_id, tier``.
    reward_discount : euros of reward discount per row of ``orders``.
    """
    reward_discount = np.zeros(len(orders))
    rows: list[tuple] = []
    if not cfg.enabled or members.empty or orders.empty:
        return _frame(rows), reward_discount
    tiers = dict(cfg.tier_thresholds)
    first_tier = tier_for(0.0, tiers)
    is_member = orders["customer_id"].isin(members.index).to_numpy()
    idx = np.flatnonzero(is_member)
    # Walk member by member, each in time order.
    idx = idx[np.lexsort((orders["t"].to_numpy()[idx], orders["customer_id"].to_numpy()[idx]))]
    # Plain Python values: this loop is scalar work, where numpy scalars are slow.
    u = np.asarray(u_redeem, dtype=float)[idx].tolist()
    cust = orders["customer_id"].to_numpy()[idx].tolist()
    t_arr = orders["t"].to_numpy()[idx].tolist()
    gross = orders["gross_amount"].to_numpy()[idx].tolist()
    promo = orders["discount_amount"].to_numpy()[idx].tolist()
    oid = orders["order_id"].to_numpy()[idx].tolist()
    enrolled = dict(zip(members.index.tolist(), members.tolist(), strict=True))
    row_of = idx.tolist()
    reward_points = cfg.reward_threshold
    reward_value = cfg.reward_threshold * cfg.point_value
    current = None
    balance = 0
    last = 0.0
    window: deque[tuple[float, float]] = deque()
    spend = 0.0
    tier = first_tier

    def close(customer, balance, last, tier):
        if balance > 0 and last + cfg.expiry_days < horizon:
            rows.append((customer, last + cfg.expiry_days, "expire", -balance, 0, None, tier))

    for k in range(len(idx)):
        c, t = cust[k], t_arr[k]
        if c != current:
            if current is not None:
                close(current, balance, last, tier)
            current, balance, last, spend, tier = c, 0, t, 0.0, first_tier
            window.clear()
        if t < enrolled[c]:
            continue  # orders before enrolment earn nothing
        if balance > 0 and t - last > cfg.expiry_days:
            rows.append((c, last + cfg.expiry_days, "expire", -balance, 0, None, tier))
            balance = 0
        paid = gross[k] - promo[k]
        if balance >= reward_points and u[k] < cfg.redemption_prob and paid > 0:
            value = min(reward_value, paid)
            reward_discount[row_of[k]] = value
            paid -= value
            balance -= reward_points
            rows.append((c, t, "burn", -reward_points, balance, oid[k], tier))
        window.append((t, paid))
        spend += paid
        while window and window[0][0] <= t - 365.0:
            spend -= window.popleft()[1]
        tier = tier_for(spend, tiers)
        earned = math.floor(paid * cfg.points_per_eur)
        if earned > 0:
            balance += earned
            rows.append((c, t, "earn", earned, balance, oid[k], tier))
        last = t
    if current is not None:
        close(current, balance, last, tier)
    return _frame(rows), reward_discount


_COLS = ["customer_id", "t", "kind", "points", "balance", "order_id", "tier"]


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """Ledger rows as a DataFrame, typed even when there are none (programme off)."""
    if rows:
        return pd.DataFrame(rows, columns=_COLS)
    return pd.DataFrame(
        {
            "customer_id": pd.Series([], dtype="int64"),
            "t": pd.Series([], dtype="float64"),
            "kind": pd.Series([], dtype=object),
            "points": pd.Series([], dtype="int64"),
            "balance": pd.Series([], dtype="int64"),
            "order_id": pd.Series([], dtype="float64"),
            "tier": pd.Series([], dtype=object),
        }
    )


def ledger_records(
    orders: pd.DataFrame,
    member: np.ndarray,
    enrol_day: np.ndarray,
    cfg: Loyalty,
    horizon: float,
    seed: int,
) -> pd.DataFrame:
    """The run's points ledger (times in days); books each reward as a discount on ``orders``.

    ``orders`` (from :func:`sim.world.purchases.order_records`, with its
    ``candidate`` column) gains the
    columns ``reward`` and ``net_amount``, and its ``discount_amount``
    includes the rewards. ``member`` and ``enrol_day`` are indexed by person.
    """
    members = np.flatnonzero(member)
    enrol = pd.Series(enrol_day[members], index=members + 1)
    # Redeem-or-not is keyed by the order's candidate purchase.
    u_redeem = uniforms(seed, "loyalty-redeem", orders["candidate"].to_numpy())
    ledger, reward = replay_ledger(orders, enrol, cfg, horizon, u_redeem)
    orders["reward"] = reward  # kept for the programme's cost in marketing_spend
    orders["discount_amount"] = np.round(orders["discount_amount"].to_numpy() + reward, 2)
    orders["net_amount"] = np.round(orders["gross_amount"] - orders["discount_amount"], 2)
    ledger = ledger.sort_values(["customer_id", "t"], kind="stable").reset_index(drop=True)
    ledger.insert(0, "entry_id", np.arange(1, len(ledger) + 1))
    has_order = ledger["order_id"].notna()
    ledger["order_id"] = pd.Series(
        ledger["order_id"].fillna(0).astype(np.int64), dtype="Int64"
    ).where(has_order)
    return ledger
