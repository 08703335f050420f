"""Putting CLV methods side by side, and the decisions CLV supports.

* :func:`reconcile_clv` — one table from the classroom formula to the
  customer-level models, each row changing one convention (first period
  counted or not, discounting, horizon, heterogeneity) so every difference
  has a named cause;
* :func:`retention_gap` — how much of the gap between the retention formula
  and the customer-level value is "lost" customers who are alive;
* :func:`programme_affordability` — whether a retention programme pays per
  tier, with a fixed cost per customer and with a cost proportional to CLV;
* :func:`value_given_back` — "CLV is backwards": what the brand returns to
  its customers next to what it earns from them;
* :func:`bgnbd_surface` — the BG/NBD explorer: (r, α, a, b) → P(alive) over
  (frequency, recency) and expected purchases of a new customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .bgnbd import BGNBD

__all__ = [
    "bgnbd_surface",
    "new_customer_clv",
    "programme_affordability",
    "reconcile_clv",
    "retention_gap",
    "value_given_back",
]


def _finite_retention(m: float, r: float, d: float, years: int, start: int) -> float:
    t = np.arange(start, start + years, dtype=float)
    return float(np.sum(m * (r / (1 + d)) ** t))


def reconcile_clv(
    annual_margin: float,
    retention: float,
    discount_rate: float,
    horizon_years: int,
    btyd_existing: float,
    btyd_new: float,
    first_year_margin_new: float | None = None,
) -> pd.DataFrame:
    """CLV by six conventions, each row one change away from the row above.

    Parameters
    ----------
    annual_margin
        Margin m per customer-year of an active customer (€).
    retention
        Yearly retention r (share of last year's active customers active this year).
    discount_rate
        Yearly discount rate d.
    horizon_years
        Horizon of the customer-level rows (whole years).
    btyd_existing
        Mean BG/NBD + Gamma-Gamma discounted margin of the same active customers
        over ``horizon_years`` (their next purchases only: t ≥ 1).
    btyd_new
        Discounted margin of a new customer over ``horizon_years``, first order included.
    first_year_margin_new
        The new customer's first-order margin (for the explanation).

    Returns
    -------
    pandas.DataFrame
        Rows ``method``; columns ``first_year`` (counted or not), ``discounted``,
        ``horizon``, ``clv`` (€), ``change`` (vs the row above) and ``why``.
    """
    m, r, d, h = float(annual_margin), float(retention), float(discount_rate), int(horizon_years)
    if not 0 <= r < 1:
        raise ValueError(f"retention: expected a share in [0, 1), got {r}")
    if not m >= 0:
        raise ValueError(f"annual_margin: expected a number >= 0, got {m}")
    if not d > -1 or h < 1:
        raise ValueError(f"discount_rate > -1 and horizon_years >= 1 needed, got {d}, {h}")
    lifespan = 1 / (1 - r)
    rows = [
        (
            "classroom: m × lifespan 1/(1−r)",
            "yes",
            "no",
            "lifetime",
            m * lifespan,
            f"value per year × expected lifespan {lifespan:.2f} years",
        ),
        (
            "retention formula Σ m r^t, t ≥ 0",
            "yes",
            "no",
            "lifetime",
            m / (1 - r),
            "geometric churn r^t has mean lifespan 1/(1−r): the same number as the classroom",
        ),
        (
            "retention formula Σ m r^t, t ≥ 1",
            "no",
            "no",
            "lifetime",
            m * r / (1 - r),
            f"the t ≥ 1 convention drops the first year's margin m = {m:,.0f} €",
        ),
        (
            "retention formula m r/(1+d−r), t ≥ 1",
            "no",
            "yes",
            "lifetime",
            m * r / (1 + d - r),
            f"discounting at {d:.0%} a year shrinks later margins",
        ),
        (
            f"retention formula, t = 1 … {h}",
            "no",
            "yes",
            f"{h} years",
            _finite_retention(m, r, d, h, 1),
            f"margins after year {h} are not counted",
        ),
        (
            f"BG/NBD + Gamma-Gamma, active customers, {h} years",
            "no",
            "yes",
            f"{h} years",
            float(btyd_existing),
            "each customer's own rate, dropout and spend instead of one average r and m; "
            "a customer who skips a year is not counted as lost",
        ),
        (
            f"new customer, {h} years (first order + repeats)",
            "yes",
            "yes",
            f"{h} years",
            float(btyd_new),
            "a new customer pays a first order now"
            + (f" ({first_year_margin_new:,.0f} € of margin)" if first_year_margin_new else "")
            + " but has not yet shown whether they will return",
        ),
    ]
    out = pd.DataFrame(
        rows, columns=["method", "first_year", "discounted", "horizon", "clv", "why"]
    )
    out.insert(5, "change", out["clv"].diff())
    return out.set_index("method")


def new_customer_clv(
    purchase_model,
    first_order_margin: float,
    repeat_margin: float,
    horizon_years: int,
    discount_rate: float,
    period: float = 52.0,
) -> float:
    """Discounted margin of a customer acquired today: first order now, repeats after.

    The first order's margin is earned at once (t = 0, undiscounted); year ``k``
    brings ``E[X(k·period)] − E[X((k−1)·period)]`` repeat purchases (the
    purchase model's expectation for a new customer), each worth
    ``repeat_margin``, discounted by ``(1 + d)^k``.
    """
    if int(horizon_years) != horizon_years or horizon_years < 1:
        raise ValueError(f"horizon_years: expected a whole number >= 1, got {horizon_years}")
    if not discount_rate > -1:
        raise ValueError(f"discount_rate: expected a number > -1, got {discount_rate}")
    k = np.arange(0, int(horizon_years) + 1, dtype=float)
    cumulative = np.asarray(purchase_model.expected_purchases(k * period), dtype=float)
    per_year = np.diff(cumulative)
    discounted = per_year / (1.0 + discount_rate) ** k[1:]
    return float(first_order_margin + repeat_margin * discounted.sum())


def programme_affordability(
    clv: pd.Series,
    uplift: float,
    fixed_cost: float,
    proportional_cost: float,
) -> pd.DataFrame:
    """Does a retention programme pay, tier by tier? Two ways to cost it.

    The programme raises each customer's CLV by the share ``uplift``. Costed
    at a **fixed** amount per customer, its net value ``uplift·CLV − cost``
    is positive only where CLV exceeds the break-even ``cost / uplift``.
    Costed as a **share of CLV**, its net value ``(uplift − share)·CLV`` has
    the same sign in every tier: such a programme is affordable everywhere or
    nowhere, so it cannot justify treating tiers differently.

    Parameters
    ----------
    clv
        CLV per customer, indexed by tier (€).
    uplift
        Relative CLV gain the programme causes (0.1 = +10 %).
    fixed_cost
        Cost per customer over the same horizon (€).
    proportional_cost
        Alternative costing as a share of CLV.
    """
    for name, v in (("uplift", uplift), ("proportional_cost", proportional_cost)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name}: expected a share between 0 and 1, got {v}")
    if not fixed_cost >= 0:
        raise ValueError(f"fixed_cost: expected a number >= 0, got {fixed_cost}")
    clv = pd.Series(clv, dtype=float)
    gain = uplift * clv
    out = pd.DataFrame(
        {
            "clv": clv,
            "gain": gain,
            "fixed_cost": float(fixed_cost),
            "net_fixed": gain - fixed_cost,
            "pays_fixed": gain > fixed_cost,
            "proportional_cost": proportional_cost * clv,
            "net_proportional": (uplift - proportional_cost) * clv,
            "pays_proportional": (uplift - proportional_cost) * clv > 0,
        }
    )
    out.attrs["break_even_clv"] = fixed_cost / uplift if uplift > 0 else np.inf
    return out


def value_given_back(
    orders: pd.DataFrame, segments: pd.Series, gross_margin: float
) -> pd.DataFrame:
    """Per segment: margin earned from customers and value given back to them, per customer.

    Given back = discounts granted on orders (``discount_amount``, which includes
    redeemed loyalty rewards); earned = ``gross_margin × net_amount``.
    """
    if not 0 < gross_margin <= 1:
        raise ValueError(f"gross_margin: expected a share in (0, 1], got {gross_margin}")
    for col in ("customer_id", "net_amount", "discount_amount"):
        if col not in orders.columns:
            raise ValueError(f"orders.{col}: required column missing")
    per = orders.groupby("customer_id")[["net_amount", "discount_amount"]].sum()
    per = per.reindex(segments.index, fill_value=0.0)
    grouped = per.groupby(segments)
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "margin_per_customer": gross_margin * grouped["net_amount"].mean(),
            "given_back_per_customer": grouped["discount_amount"].mean(),
        }
    )
    out["given_back_share"] = out["given_back_per_customer"] / (
        out["given_back_per_customer"] + out["margin_per_customer"]
    )
    return out


def bgnbd_surface(
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float = 52.0,
    max_frequency: int = 8,
    n_recency: int = 7,
    horizon: float = 104.0,
) -> dict:
    """P(alive) over (frequency, recency) at age T, and E[X(t)] of a new customer.

    Pure function of the BG/NBD parameters for the explorer: returns
    ``{"p_alive": DataFrame (x × t_x), "expected": Series E[X(t)] for t in weeks,
    "params": dict}``.
    """
    # E[X(t)] is written with 1/(a − 1) and 2F1(·, ·; a + b − 1; ·): both are
    # removable singularities, so a slider landing exactly on one is nudged off it.
    if abs(a - 1.0) < 1e-9:
        a = 1.0 + 1e-6
    if abs(a + b - 1.0) < 1e-9:
        b = b + 1e-6
    model = BGNBD.from_params(r=r, alpha=alpha, a=a, b=b)
    x = np.arange(0, int(max_frequency) + 1, dtype=float)
    rec = np.linspace(0.0, float(T), int(n_recency))
    xx, rr = np.meshgrid(x, rec, indexing="ij")
    rr = np.where(xx == 0, 0.0, rr)  # no repeat: recency is 0 by definition
    p = model.probability_alive(xx.ravel(), rr.ravel(), np.full(xx.size, float(T)))
    t = np.linspace(0.0, float(horizon), 9)
    return {
        "p_alive": pd.DataFrame(
            p.reshape(xx.shape),
            index=pd.Index(x.astype(int), name="frequency"),
            columns=pd.Index(rec, name="recency"),
        ),
        "expected": pd.Series(model.expected_purchases(t), index=pd.Index(t, name="weeks")),
        "params": {"r": r, "alpha": alpha, "a": a, "b": b, "T": T},
    }


def retention_gap(
    orders: pd.DataFrame,
    truth: pd.DataFrame,
    period1: tuple,
    period2: tuple,
    annual_margin: float,
    discount_rate: float,
    horizon_years: int,
    btyd_existing: float,
) -> pd.Series:
    """How much of the gap between the retention formula and the BTYD value is "lost" customers who are alive.

    The yearly retention ``r`` counts a customer active in ``period1`` as lost
    when they do not buy in ``period2``. In a non-contractual business many of
    them are alive, between purchases: the truth knows (alive just before the
    end of ``period2``, :func:`truly_alive`). Counting them as retained gives
    the survival the retention formula should have used,
    ``r_alive = (retained + alive among the lost) / active in period 1``.
    Survival alone is not the whole correction: ``m`` is the margin of a
    customer who *buys* in a year, and a survivor between purchases brings
    nothing that year. Of the survivors, the share ``buying = retained /
    (retained + alive among the lost) = r / r_alive`` bought, so a survivor's
    expected margin per year is ``m_alive = m · r / r_alive``. (Counting the
    silent survivors as retained *and* crediting each of them ``m`` would
    overstate the year-2 margin, ``m · r_alive`` instead of the ``m · r`` the
    period-1 customers actually brought.) The share of the gap
    ``btyd_existing − F(m, r)`` that ``F(m_alive, r_alive) − F(m, r)``
    closes, with ``F`` the discounted retention formula over ``horizon_years``
    (t = 1 … h, the reconciliation table's row), is ``explained``; the rest
    is what one average ``r`` and ``m`` cannot say about the mix of customers.

    Periods are half-open ``[start, end)`` date pairs.

    Returns
    -------
    pandas.Series
        ``active_period1``, ``retained``, ``lost``, ``alive_among_lost``
        (share), ``retention``, ``retention_alive``, ``buying`` (share of the
        survivors who bought), ``margin_alive``, ``formula``, ``formula_alive``,
        ``btyd``, ``gap``, ``explained`` (share of the gap).
    """
    for col in ("customer_id", "order_date"):
        if col not in orders.columns:
            raise ValueError(f"orders.{col}: required column missing")
    if "customer_id" not in truth.columns:
        raise ValueError("truth.customer_id: required column missing")
    (s1, e1), (s2, e2) = ((pd.Timestamp(a), pd.Timestamp(b)) for a, b in (period1, period2))
    if not (s1 < e1 <= s2 < e2):
        raise ValueError("period1, period2: expected two ordered [start, end) periods")
    d = orders["order_date"]
    in1 = pd.Index(orders.loc[(d >= s1) & (d < e1), "customer_id"].unique())
    in2 = pd.Index(orders.loc[(d >= s2) & (d < e2), "customer_id"].unique())
    if len(in1) == 0:
        raise ValueError("period1: no customer active")
    kept = in1.intersection(in2)
    lost = in1.difference(in2)
    tr = truth.drop_duplicates("customer_id").set_index("customer_id")
    from .diagnostics import truly_alive

    alive = truly_alive(tr.reindex(lost), e2).fillna(False).astype(bool)
    r = len(kept) / len(in1)
    r_alive = (len(kept) + int(alive.sum())) / len(in1)
    m, dr, h = float(annual_margin), float(discount_rate), int(horizon_years)
    buying = r / r_alive if r_alive > 0 else 1.0  # no survivor: F is 0 either way
    m_alive = m * buying
    f, f_alive = _finite_retention(m, r, dr, h, 1), _finite_retention(m_alive, r_alive, dr, h, 1)
    gap = float(btyd_existing) - f
    return pd.Series(
        {
            "active_period1": float(len(in1)),
            "retained": float(len(kept)),
            "lost": float(len(lost)),
            "alive_among_lost": float(alive.mean()) if len(lost) else np.nan,
            "retention": r,
            "retention_alive": r_alive,
            "buying": buying,
            "margin_alive": m_alive,
            "formula": f,
            "formula_alive": f_alive,
            "btyd": float(btyd_existing),
            "gap": gap,
            "explained": (f_alive - f) / gap if gap != 0 else np.nan,
        }
    )
