"""Retention and churn: cohorts, period retention, survival, early warnings and their economics.

All functions take an orders table (``customer_id``, ``order_date``, and
``net_amount`` where money matters) and return DataFrames or numbers:

- :func:`cohort_counts` / :func:`cohort_retention` — acquisition month ×
  months since acquisition: customers (share of the cohort) with ≥ 1 order;
- :func:`period_retention` — of the customers active in period 1, how many are
  active again in period 2 (retention rate) and how many are not (churn rate);
- :func:`repeat_purchase_rate`, :func:`purchase_gaps`,
  :func:`mean_time_between_purchases`;
- :func:`kaplan_meier`, :func:`median_survival`, :func:`customer_lifetimes` —
  survival of customer lifetimes with censoring (no lifelines needed);
- :func:`early_warning_flags` — per-customer churn warnings;
- :func:`retention_uplift_profit` — what a retention uplift is worth, computed;
- :func:`cohort_survivors`, :func:`flag_scorecard`, :func:`retention_economics_inputs`
  — a cohort's survivors for the sBG model, warning flags scored against the
  truth, and the brand's own inputs to the uplift economics.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table, require_columns

__all__ = [
    "cohort_counts",
    "cohort_retention",
    "cohort_survivors",
    "customer_lifetimes",
    "early_warning_flags",
    "flag_scorecard",
    "kaplan_meier",
    "mean_time_between_purchases",
    "median_survival",
    "period_retention",
    "purchase_gaps",
    "repeat_purchase_rate",
    "retention_economics_inputs",
    "retention_uplift_profit",
]

Period = tuple[str | pd.Timestamp, str | pd.Timestamp]


def _check_orders(orders: pd.DataFrame, money: bool = False) -> pd.DataFrame:
    return check_table(
        orders,
        "orders",
        columns=["customer_id"],
        datetime=["order_date"],
        non_negative=["net_amount"] if money else [],
    )


def _month_number(dates: pd.Series) -> pd.Series:
    return dates.dt.year * 12 + dates.dt.month - 1


# --------------------------------------------------------------------------- cohorts


def cohort_counts(orders: pd.DataFrame, end: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Active customers per acquisition cohort and month since acquisition.

    Parameters
    ----------
    orders
        Orders table (``customer_id``, ``order_date``).
    end
        Last date observed (default: the last order). Cells after ``end`` are
        missing (``<NA>``), not zero: a cohort acquired in March cannot be seen
        12 months later if the data stop in June.

    Returns
    -------
    pandas.DataFrame
        Index ``cohort`` (first day of the month of each customer's first order),
        columns ``0, 1, 2, …`` (``months_since``: calendar months between the
        first-order month and the order month), values = number of customers
        of the cohort with at least one order in that month (nullable ints).
        Column 0 is the cohort size.
    """
    _check_orders(orders)
    end_ts = orders["order_date"].max() if end is None else pd.Timestamp(end)
    month = _month_number(orders["order_date"])
    first = month.groupby(orders["customer_id"]).transform("min")
    active = pd.DataFrame(
        {"customer_id": orders["customer_id"], "cohort": first, "since": month - first}
    ).drop_duplicates()
    counts = active.groupby(["cohort", "since"]).size().unstack("since", fill_value=0)
    last = int(end_ts.year * 12 + end_ts.month - 1)
    width = last - int(counts.index.min()) + 1
    counts = counts.reindex(columns=range(width), fill_value=0).astype("Int64")
    observable = last - counts.index.to_numpy()[:, None] >= np.arange(width)[None, :]
    counts = counts.where(observable)
    counts.index = pd.to_datetime(
        {"year": counts.index // 12, "month": counts.index % 12 + 1, "day": 1}
    ).rename("cohort")
    counts.columns = pd.Index(range(width), name="months_since")
    return counts


def cohort_retention(orders: pd.DataFrame, end: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Share of each acquisition cohort with ≥ 1 order in each month since acquisition.

    :func:`cohort_counts` divided by the cohort size (column 0 is therefore 1.0);
    unobservable cells are ``NaN``. Note that a customer may be absent in month 1
    and active again in month 2: this is "active in month k", not survival.

    >>> orders = pd.DataFrame({"customer_id": [1, 2, 1],
    ...     "order_date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-02-03"])})
    >>> cohort_retention(orders).to_numpy().tolist()
    [[1.0, 0.5]]
    """
    counts = cohort_counts(orders, end)
    return counts.astype("float64").div(counts[0].astype("float64"), axis=0)


# --------------------------------------------------------------------------- rates


def _active(orders: pd.DataFrame, period: Period, name: str) -> set:
    start, stop = pd.Timestamp(period[0]), pd.Timestamp(period[1])
    if stop <= start:
        raise ValueError(f"{name}: end {stop.date()} must be after start {start.date()}")
    d = orders["order_date"]
    return set(orders.loc[(d >= start) & (d < stop), "customer_id"])


def period_retention(orders: pd.DataFrame, period1: Period, period2: Period) -> pd.Series:
    """Retention and churn rate: of customers active in period 1, who is active in period 2.

    Periods are half-open ``[start, end)`` date pairs; "active" means at least
    one order in the period. ``retention_rate = retained / active_period1``,
    ``churn_rate = 1 - retention_rate`` (``NaN`` when nobody was active in period 1).

    Returns
    -------
    pandas.Series
        ``active_period1``, ``retained``, ``churned``, ``retention_rate``, ``churn_rate``.
    """
    _check_orders(orders)
    a1 = _active(orders, period1, "period1")
    a2 = _active(orders, period2, "period2")
    n1, kept = len(a1), len(a1 & a2)
    rate = kept / n1 if n1 else math.nan
    return pd.Series(
        {
            "active_period1": n1,
            "retained": kept,
            "churned": n1 - kept,
            "retention_rate": rate,
            "churn_rate": 1 - rate,
        }
    )


def repeat_purchase_rate(orders: pd.DataFrame) -> float:
    """Share of customers who ordered at least twice (orders on the same day count separately)."""
    _check_orders(orders)
    n_orders = orders.groupby("customer_id").size()
    return float((n_orders >= 2).mean())


def purchase_gaps(orders: pd.DataFrame) -> pd.Series:
    """Days between consecutive orders of the same customer (index ``customer_id``).

    One-order customers contribute no gap; orders on the same day give 0.
    """
    _check_orders(orders)
    ordered = orders.sort_values(["customer_id", "order_date"], kind="stable")
    gaps = ordered.groupby("customer_id")["order_date"].diff().dropna()
    out = gaps.dt.total_seconds() / 86400.0
    out.index = ordered.loc[gaps.index, "customer_id"].to_numpy()
    out.index.name = "customer_id"
    return out.rename("gap_days")


def mean_time_between_purchases(orders: pd.DataFrame) -> float:
    """Mean inter-purchase time in days, pooled over all consecutive order pairs.

    ``NaN`` if no customer ordered twice.
    """
    gaps = purchase_gaps(orders)
    return float(gaps.mean()) if len(gaps) else math.nan


# --------------------------------------------------------------------------- survival


def kaplan_meier(
    durations: Sequence[float] | pd.Series, events: Sequence[bool] | pd.Series
) -> pd.DataFrame:
    """Kaplan–Meier survival table of customer lifetimes.

    Parameters
    ----------
    durations
        Observed lifetime of each customer (e.g. days), non-negative.
    events
        True if the end was observed (the customer churned), False if censored
        (still active when observation stopped).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``time``: a first row at 0 (survival 1) and one row per
        distinct observed duration, with ``at_risk`` (durations ≥ t), ``events``
        and ``censored`` at t, and ``survival`` = Π over event times ≤ t of
        (1 − events / at_risk).
    """
    df = pd.DataFrame({"duration": np.asarray(durations), "event": np.asarray(events)})
    check_table(df, "survival", non_negative=["duration"], flags=["event"])
    df["event"] = df["event"].astype(bool)
    g = df.groupby("duration")["event"]
    table = pd.DataFrame({"events": g.sum().astype("int64"), "removed": g.size()})
    if 0 not in table.index:
        table.loc[0.0] = [0, 0]
        table = table.sort_index()
    table["censored"] = table["removed"] - table["events"]
    table["at_risk"] = len(df) - table["removed"].cumsum().shift(1, fill_value=0)
    table["survival"] = (1 - table["events"] / table["at_risk"]).cumprod()
    table.index = pd.Index(table.index.astype("float64"), name="time")
    return table[["at_risk", "events", "censored", "survival"]].astype(
        {"at_risk": "int64", "events": "int64", "censored": "int64"}
    )


def median_survival(km: pd.DataFrame) -> float:
    """Median lifetime: the first time at which survival is ≤ 0.5 (``inf`` if never)."""
    require_columns(km, ["survival"], "km")
    below = km.index[km["survival"] <= 0.5]
    return float(below[0]) if len(below) else math.inf


def customer_lifetimes(
    orders: pd.DataFrame, end: str | pd.Timestamp, inactivity_days: float = 365
) -> pd.DataFrame:
    """Durations and churn events per customer, ready for :func:`kaplan_meier`.

    A customer is counted as churned (``event`` True) when no order came in the
    ``inactivity_days`` before ``end``; the lifetime is then first → last order.
    Otherwise the customer is censored and the lifetime runs first order → ``end``.
    """
    _check_orders(orders)
    if inactivity_days <= 0:
        raise ValueError(f"inactivity_days: must be positive, got {inactivity_days}")
    end_ts = pd.Timestamp(end)
    past = orders.loc[orders["order_date"] <= end_ts]
    g = past.groupby("customer_id")["order_date"]
    first, last = g.min(), g.max()
    churned = (end_ts - last).dt.days > inactivity_days
    stop = last.where(churned, end_ts)
    return pd.DataFrame({"duration": (stop - first).dt.days.astype("float64"), "event": churned})


# --------------------------------------------------------------------------- early warning


def early_warning_flags(
    orders: pd.DataFrame,
    previous: str | pd.Timestamp,
    as_of: str | pd.Timestamp,
    *,
    tickets: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    high_effort: int = 5,
    min_messages: int = 2,
    score_cuts: Mapping[str, Sequence[float]] | None = None,
) -> pd.DataFrame:
    """Churn warning flags per customer, from behaviour between ``previous`` and ``as_of``.

    Flags (each True/False, missing tables give False):

    - ``rfm_falling``: the R + F + M score sum (quintiles, see
      :func:`sim.analytics.rfm.rfm_scores`) is lower at ``as_of`` than at
      ``previous`` (customers with no order before ``previous`` are never flagged).
      Quintile scores are relative: a customer can fall because others rose, and
      ties are broken by ``customer_id``. Pass ``score_cuts`` (keyword arguments
      of ``rfm_scores``, e.g. ``{"recency_cuts": [30, 90, 180, 365]}``) to score
      both dates on the same fixed cut-offs, so a fall is an absolute decline;
    - ``bad_service``: a ticket created in ``[previous, as_of)`` that is
      unresolved, or has ``effort_score >= high_effort``, or a repair that was
      ``delayed`` or ``rejected``;
    - ``negative_survey``: a survey in the window with NPS ≤ 6 (detractor) or CSAT ≤ 2;
    - ``no_response``: at least ``min_messages`` targeted messages (every type
      but ``newsletter``) delivered in the window and none clicked.

    Returns
    -------
    pandas.DataFrame
        One row per customer with an order before ``as_of`` (index
        ``customer_id``): the four flags, ``n_flags`` and ``at_risk`` (≥ 1 flag).
    """
    from sim.analytics.rfm import rfm_scores, rfm_table

    _check_orders(orders, money=True)
    t0, t1 = pd.Timestamp(previous), pd.Timestamp(as_of)
    if t1 <= t0:
        raise ValueError(f"as_of {t1.date()} must be after previous {t0.date()}")
    cuts = dict(score_cuts or {})
    now = rfm_scores(rfm_table(orders, t1), **cuts)
    out = pd.DataFrame(index=now.index)
    score_now = now[["r_score", "f_score", "m_score"]].sum(axis=1)
    if (orders["order_date"] < t0).any():
        before = rfm_scores(rfm_table(orders, t0), **cuts)
        score_before = before[["r_score", "f_score", "m_score"]].sum(axis=1)
        out["rfm_falling"] = (score_now.reindex(before.index) < score_before).reindex(
            out.index, fill_value=False
        )
    else:
        out["rfm_falling"] = False

    def window(df: pd.DataFrame, col: str) -> pd.DataFrame:
        return df.loc[(df[col] >= t0) & (df[col] < t1)]

    def flagged(ids: Iterable) -> pd.Series:
        return out.index.isin(pd.Index(list(ids)))

    out["bad_service"] = False
    if tickets is not None:
        check_table(
            tickets,
            "tickets",
            columns=["customer_id", "repair_outcome"],
            datetime=["created_at"],
            flags=["resolved"],
            numeric=["effort_score"],
            allow_empty=True,
        )
        t = window(tickets, "created_at")
        bad = (
            ~t["resolved"].astype(bool)
            | (t["effort_score"] >= high_effort)
            | t["repair_outcome"].isin(["delayed", "rejected"])
        )
        out["bad_service"] = flagged(t.loc[bad, "customer_id"])
    out["negative_survey"] = False
    if surveys is not None:
        check_table(
            surveys,
            "surveys",
            columns=["customer_id"],
            datetime=["responded_at"],
            numeric=["nps", "csat"],
            allow_empty=True,
        )
        s = window(surveys, "responded_at")
        out["negative_survey"] = flagged(s.loc[(s["nps"] <= 6) | (s["csat"] <= 2), "customer_id"])
    out["no_response"] = False
    if messages is not None:
        check_table(
            messages,
            "messages",
            columns=["customer_id", "message_type"],
            datetime=["sent_at"],
            flags=["delivered", "clicked"],
            allow_empty=True,
        )
        m = window(messages, "sent_at")
        m = m.loc[(m["message_type"] != "newsletter") & m["delivered"].astype(bool)]
        per = m.groupby("customer_id")["clicked"].agg(["size", "sum"])
        silent = per.index[(per["size"] >= min_messages) & (per["sum"] == 0)]
        out["no_response"] = flagged(silent)
    flags = ["rfm_falling", "bad_service", "negative_survey", "no_response"]
    out = out[flags].astype(bool)
    out["n_flags"] = out[flags].sum(axis=1).astype("int64")
    out["at_risk"] = out["n_flags"] >= 1
    return out


# --------------------------------------------------------------------------- economics


def _cohort_value(margin: float, q: float, horizon: float) -> float:
    """Σ_{t=0}^{H-1} margin · q^t with q = r / (1 + d), in closed form."""
    if math.isinf(horizon):
        return margin / (1 - q)
    if q == 1:
        return margin * horizon
    return margin * (1 - q**horizon) / (1 - q)


def retention_uplift_profit(
    margin: float,
    retention: float,
    uplift: float,
    discount_rate: float,
    horizon: float = math.inf,
    acquisition_cost: float = 0.0,
    *,
    uplift_kind: str = "points",
) -> pd.Series:
    """Profit per acquired customer under retention ``r`` versus the uplifted retention.

    Model (the classic customer-lifetime-value geometric series): a customer
    brings ``margin`` per period while active, the first period for sure; each
    later period they are still there with probability ``r`` (retention per
    period), and cash is discounted at ``discount_rate`` per period::

        profit(r) = Σ_{t=0}^{H-1} margin · r^t / (1 + d)^t  −  acquisition_cost
                  = margin · (1 − q^H) / (1 − q) − acquisition_cost,   q = r / (1 + d)

    (``margin / (1 − q)`` for an infinite horizon). The acquisition cost is paid
    once, so the *relative* gain in profit is larger the larger the cost — the
    mechanism behind the claim that "5 % more retention gives 25–95 % more profit".

    Parameters
    ----------
    margin
        Contribution margin per customer per period (EUR).
    retention
        Baseline retention per period, 0 ≤ r < 1 (r = 1 only with a finite horizon).
    uplift
        The retention improvement. With ``uplift_kind="points"`` (default) it is
        added: 0.80 + 0.05 → 0.85. With ``uplift_kind="relative"`` it multiplies:
        0.80 × (1 + 0.05) → 0.84.
    discount_rate
        Per-period discount rate d ≥ 0.
    horizon
        Number of periods H (a positive number, ``math.inf`` by default).
    acquisition_cost
        One-off cost per acquired customer, subtracted from both profits.

    Returns
    -------
    pandas.Series
        ``retention``, ``retention_uplifted``, ``baseline_profit``,
        ``uplifted_profit``, ``profit_increase`` and ``pct_increase`` (a share:
        0.2 = +20 %; ``NaN`` when the baseline profit is not positive).

    Examples
    --------
    >>> out = retention_uplift_profit(100, 0.80, 0.05, 0.10)
    >>> round(float(out["baseline_profit"]), 2), round(float(out["uplifted_profit"]), 2)
    (366.67, 440.0)
    >>> round(float(out["pct_increase"]), 3)
    0.2
    """
    if uplift_kind not in ("points", "relative"):
        raise ValueError(f"uplift_kind: 'points' or 'relative', got {uplift_kind!r}")
    for name, val in (
        ("margin", margin),
        ("discount_rate", discount_rate),
        ("acquisition_cost", acquisition_cost),
    ):
        if not np.isfinite(val) or val < 0:
            raise ValueError(f"{name}: must be a non-negative number, got {val}")
    if not (horizon > 0):
        raise ValueError(f"horizon: must be positive, got {horizon}")
    r2 = retention + uplift if uplift_kind == "points" else retention * (1 + uplift)
    limit = 1.0 if not math.isinf(horizon) else 1.0 - 1e-12
    for name, r in (("retention", retention), ("uplifted retention", r2)):
        if not 0 <= r <= limit:
            bound = "≤ 1" if limit == 1.0 else "< 1 with an infinite horizon"
            raise ValueError(f"{name}: must be between 0 and 1 ({bound}), got {r:.4g}")
    base = _cohort_value(margin, retention / (1 + discount_rate), horizon) - acquisition_cost
    up = _cohort_value(margin, r2 / (1 + discount_rate), horizon) - acquisition_cost
    return pd.Series(
        {
            "retention": float(retention),
            "retention_uplifted": float(r2),
            "baseline_profit": base,
            "uplifted_profit": up,
            "profit_increase": up - base,
            "pct_increase": (up - base) / base if base > 0 else math.nan,
        }
    )


# --------------------------------------------------------------------------- additions for the course


def cohort_survivors(
    orders: pd.DataFrame,
    truth: pd.DataFrame,
    cohort_start: str | pd.Timestamp,
    cohort_end: str | pd.Timestamp,
    period_months: int = 3,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Survivors of one acquisition cohort at the start of each period (for the sBG model).

    The cohort is every customer whose first order falls in
    ``[cohort_start, cohort_end)``. Period ``k`` starts ``k × period_months``
    months after ``cohort_start``; only periods that start on or before ``end``
    (default: the last order) are returned. Two counts per period:

    - ``true_active``: cohort members not yet gone for good, from the
      simulation's ``truth`` table (``first_dropout_date`` missing or after the
      period start) — what a contract would show, and what really happened;
    - ``seen_active``: members whose *last* order is on or after the period
      start — all a non-contractual business can see. It falls too fast near
      ``end``, because live customers simply have not bought again yet.

    Row 0 is the cohort size in both columns.

    Returns
    -------
    pandas.DataFrame
        Index ``period`` (0, 1, …): ``period_start``, ``true_active``, ``seen_active``.
    """
    _check_orders(orders)
    require_columns(truth, ["customer_id", "first_dropout_date"], "truth")
    if isinstance(period_months, bool) or not isinstance(period_months, int) or period_months < 1:
        raise ValueError(f"period_months: a whole number >= 1, got {period_months!r}")
    t0, t1 = pd.Timestamp(cohort_start), pd.Timestamp(cohort_end)
    if t1 <= t0:
        raise ValueError(f"cohort_end {t1.date()} must be after cohort_start {t0.date()}")
    end_ts = orders["order_date"].max() if end is None else pd.Timestamp(end)
    g = orders.groupby("customer_id")["order_date"]
    first, last = g.min(), g.max()
    members = first.index[(first >= t0) & (first < t1)]
    if len(members) == 0:
        raise ValueError(f"no customer has a first order in [{t0.date()}, {t1.date()})")
    gone = truth.drop_duplicates("customer_id").set_index("customer_id")["first_dropout_date"]
    gone = gone.reindex(members)
    seen = last.reindex(members)
    rows = []
    k = 0
    while True:
        start = t0 + pd.DateOffset(months=k * period_months)
        if k > 0 and start > end_ts:
            break
        if k == 0:
            rows.append((k, start, len(members), len(members)))
        else:
            alive = int((gone.isna() | (gone > start)).sum())
            rows.append((k, start, alive, int((seen >= start).sum())))
        k += 1
    out = pd.DataFrame(rows, columns=["period", "period_start", "true_active", "seen_active"])
    return out.set_index("period")


def flag_scorecard(flags: pd.DataFrame, dropped: pd.Series) -> pd.DataFrame:
    """How well each warning flag picks out the customers who truly dropped.

    Parameters
    ----------
    flags
        Boolean columns per customer (e.g. :func:`early_warning_flags`; its
        ``n_flags`` count is ignored), indexed by ``customer_id``.
    dropped
        True for customers who really left (e.g. from the ``truth`` table),
        indexed by ``customer_id``; customers missing from it count as stayed.

    Returns
    -------
    pandas.DataFrame
        One row per flag: ``flagged`` (customers), ``flagged_share``,
        ``true_positives`` (flagged and dropped), ``precision`` (share of the
        flagged who dropped), ``recall`` (share of the dropped who were flagged)
        and ``lift`` (precision ÷ the base rate of dropping among all customers).
    """
    if not isinstance(flags, pd.DataFrame) or flags.empty:
        raise ValueError("flags: expected a non-empty DataFrame of boolean columns")
    cols = [c for c in flags.columns if pd.api.types.is_bool_dtype(flags[c])]
    if not cols:
        raise ValueError("flags: no boolean columns to score")
    actual = pd.Series(dropped).reindex(flags.index).fillna(False).astype(bool)
    base = float(actual.mean())
    rows = {}
    for c in cols:
        f = flags[c].astype(bool)
        n, tp = int(f.sum()), int((f & actual).sum())
        precision = tp / n if n else math.nan
        rows[c] = {
            "flagged": n,
            "flagged_share": n / len(f),
            "true_positives": tp,
            "precision": precision,
            "recall": tp / int(actual.sum()) if actual.any() else math.nan,
            "lift": precision / base if base > 0 else math.nan,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "flag"
    return out


def retention_economics_inputs(
    orders: pd.DataFrame,
    marketing_spend: pd.DataFrame,
    period1: Period,
    period2: Period,
    gross_margin: float,
) -> pd.Series:
    """The brand's own inputs for :func:`retention_uplift_profit`, measured on its data.

    - ``retention_rate``: :func:`period_retention` from ``period1`` to ``period2``;
    - ``margin_per_customer``: revenue in ``period2`` per customer active in it,
      times ``gross_margin`` (contribution per active customer per period);
    - ``new_customers``: customers whose first order falls in ``period2``;
    - ``acquisition_spend`` / ``retention_spend``: ``marketing_spend`` of that
      purpose with ``month`` in ``period2``;
    - ``cac`` = acquisition spend / new customers;
    - ``retention_cost`` = retention spend / retained customers;
    - ``cost_ratio`` = cac / retention_cost ("retention is N× cheaper").

    Returns
    -------
    pandas.Series
        The values above, plus ``active_period2`` and ``retained``.
    """
    _check_orders(orders, money=True)
    check_table(
        marketing_spend,
        "marketing_spend",
        columns=["purpose"],
        datetime=["month"],
        non_negative=["spend"],
    )
    if not 0 <= gross_margin <= 1:
        raise ValueError(f"gross_margin: a share between 0 and 1, got {gross_margin}")
    pr = period_retention(orders, period1, period2)
    s, e = pd.Timestamp(period2[0]), pd.Timestamp(period2[1])
    d = orders["order_date"]
    in2 = orders.loc[(d >= s) & (d < e)]
    active2 = in2["customer_id"].nunique()
    first = orders.groupby("customer_id")["order_date"].min()
    new = int(((first >= s) & (first < e)).sum())
    m = marketing_spend.loc[(marketing_spend["month"] >= s) & (marketing_spend["month"] < e)]
    acq = float(m.loc[m["purpose"] == "acquisition", "spend"].sum())
    ret = float(m.loc[m["purpose"] == "retention", "spend"].sum())
    cac = acq / new if new else math.nan
    retained = int(pr["retained"])
    ret_cost = ret / retained if retained else math.nan
    return pd.Series(
        {
            "retention_rate": float(pr["retention_rate"]),
            "active_period2": float(active2),
            "retained": float(retained),
            "margin_per_customer": (
                float(in2["net_amount"].sum()) / active2 * gross_margin if active2 else math.nan
            ),
            "new_customers": float(new),
            "acquisition_spend": acq,
            "retention_spend": ret,
            "cac": cac,
            "retention_cost": ret_cost,
            "cost_ratio": cac / ret_cost if ret_cost and not math.isnan(ret_cost) else math.nan,
        }
    )
