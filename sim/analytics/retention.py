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
  truth, and the brand's own inputs to the uplift economics;
- :func:`truth_lifetimes`, :func:`inactivity_lifetimes` — lifetimes on one
  clock for churners and censored customers; :func:`greenwood_bands`,
  :func:`survival_at`, :func:`logrank_test`;
- :func:`sbg_check`, :func:`geometric_fit`, :func:`sbg_curve`,
  :data:`FADER_HARDIE_2007` — the sBG where it is identified, its geometric
  boundary, and the published series it is checked on;
- :func:`forward_outcome`, :func:`warning_scorecard`, :func:`warning_lesson`
  — warnings scored forward in time with Wilson intervals;
- :func:`uplift_claim`, :func:`claim_verdict` — "5 % more retention" as +5
  points of yearly retention, with a bootstrap interval;
- :func:`member_retention`, :func:`member_effect_on_survival` — loyalty
  members: naive, propensity-matched and causal comparisons;
- :func:`retention_claims`, :func:`bad_contact_effect`,
  :func:`selection_decomposition`, :func:`claims_lesson` — the source's
  claims computed on the brand, and what they say.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table, require_columns

__all__ = [
    "FADER_HARDIE_2007",
    "bad_contact_effect",
    "claim_verdict",
    "claims_lesson",
    "cohort_counts",
    "cohort_retention",
    "cohort_survivors",
    "customer_lifetimes",
    "early_warning_flags",
    "flag_scorecard",
    "forward_outcome",
    "geometric_fit",
    "greenwood_bands",
    "inactivity_lifetimes",
    "kaplan_meier",
    "logrank_test",
    "mean_time_between_purchases",
    "median_survival",
    "member_effect_on_survival",
    "member_retention",
    "period_retention",
    "period_retention_rates",
    "purchase_gaps",
    "repeat_purchase_rate",
    "retention_claims",
    "retention_economics_inputs",
    "retention_uplift_profit",
    "sbg_check",
    "sbg_curve",
    "selection_decomposition",
    "survival_at",
    "truth_lifetimes",
    "uplift_claim",
    "warning_lesson",
    "warning_scorecard",
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
    once, so the *relative* gain in profit is larger the larger the cost — one
    mechanism behind the claim that a 5 % increase in retention raises
    lifetime profits by about 50 % on average (up to 90 % in insurance). The
    course reads "5 % more retention" as ``uplift=0.05`` points.

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


# --------------------------------------------------------------------------- consistent survival


def truth_lifetimes(
    orders: pd.DataFrame, truth: pd.DataFrame, end: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Time from first order to the true loss of the relationship, censored at ``end``.

    One clock for everyone: the lifetime starts at the customer's first order
    and stops at the truth's ``first_dropout_date`` (the relationship was
    lost) when that is on or before ``end`` (``event`` True); every other
    customer is censored at ``end`` (the end of the data: last order by
    default), so a customer still alive counts as alive for the whole time
    they were observed. A loss dated before the profile's first order (a
    duplicate profile of a person already gone) gives a zero lifetime.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``: ``duration`` (days, float) and ``event`` (bool).
    """
    _check_orders(orders)
    require_columns(truth, ["customer_id", "first_dropout_date"], "truth")
    end_ts = orders["order_date"].max() if end is None else pd.Timestamp(end)
    past = orders.loc[orders["order_date"] <= end_ts]
    first = past.groupby("customer_id")["order_date"].min()
    lost = truth.drop_duplicates("customer_id").set_index("customer_id")["first_dropout_date"]
    lost = lost.reindex(first.index)
    event = lost.notna() & (lost <= end_ts)
    stop = lost.where(event, end_ts)
    days = ((stop - first).dt.total_seconds() / 86400.0).clip(lower=0.0)
    return pd.DataFrame({"duration": days.astype("float64"), "event": event.astype(bool)})


def inactivity_lifetimes(
    orders: pd.DataFrame, end: str | pd.Timestamp, inactivity_days: float = 365
) -> pd.DataFrame:
    """Lifetimes under an inactivity rule applied the same way to every customer.

    A customer is declared churned ``inactivity_days`` after their last order.
    If that date is on or before ``end`` the churn is observed (``event``
    True) and the lifetime runs first order → churn date; otherwise the rule
    has not fired yet and the customer is censored at ``end``. Both durations
    are read on the same clock (first order → the date the rule fires or
    the data stop), unlike "first → last order" for churners and "first order
    → end" for the others, which shortens every churner by the inactivity
    window and biases survival down.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``: ``duration`` (days, float) and ``event`` (bool).
    """
    _check_orders(orders)
    if not inactivity_days > 0:
        raise ValueError(f"inactivity_days: must be positive, got {inactivity_days}")
    end_ts = pd.Timestamp(end)
    past = orders.loc[orders["order_date"] <= end_ts]
    g = past.groupby("customer_id")["order_date"]
    first, last = g.min(), g.max()
    fires = last + pd.Timedelta(days=float(inactivity_days))
    event = fires <= end_ts
    stop = fires.where(event, end_ts)
    days = (stop - first).dt.total_seconds() / 86400.0
    return pd.DataFrame({"duration": days.astype("float64"), "event": event.astype(bool)})


def greenwood_bands(km: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier table with Greenwood standard errors and log(−log) confidence bands.

    Greenwood: Var Ŝ(t) = Ŝ(t)² Σ_{t_i ≤ t} d_i / (n_i (n_i − d_i)). The band
    is built on log(−log Ŝ) (it stays inside [0, 1]):
    Ŝ(t) ^ exp(± z · se_loglog), se_loglog = sqrt(Σ d/(n(n−d))) / |log Ŝ|.
    Where Ŝ = 1 (no event yet) the band is [1, 1]; where Ŝ = 0 it is [0, 0].

    Parameters
    ----------
    km
        A :func:`kaplan_meier` table (``at_risk``, ``events``, ``survival``).
    level
        Two-sided confidence level.

    Returns
    -------
    pandas.DataFrame
        ``km`` plus ``se`` (Greenwood), ``low`` and ``high``.
    """
    require_columns(km, ["at_risk", "events", "survival"], "km")
    if not 0 < level < 1:
        raise ValueError(f"level: a confidence level between 0 and 1, got {level}")
    from scipy import stats

    n = km["at_risk"].to_numpy(dtype=float)
    d = km["events"].to_numpy(dtype=float)
    s = km["survival"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
    cum = np.cumsum(np.where(np.isfinite(term), term, 0.0))
    out = km.copy()
    out["se"] = s * np.sqrt(cum)
    z = float(stats.norm.ppf(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(s)
        se_ll = np.sqrt(cum) / np.abs(log_s)
        low = s ** np.exp(z * se_ll)
        high = s ** np.exp(-z * se_ll)
    one, zero = s >= 1.0, s <= 0.0
    out["low"] = np.where(one, 1.0, np.where(zero, 0.0, low))
    out["high"] = np.where(one, 1.0, np.where(zero, 0.0, high))
    return out


def survival_at(km: pd.DataFrame, t: float) -> pd.Series:
    """The step function's row at time ``t``: survival (and its band, if present) at ``t``."""
    require_columns(km, ["survival"], "km")
    row = km.loc[km.index <= t]
    if row.empty:
        raise ValueError(f"t: must be >= {km.index.min()}, got {t}")
    return row.iloc[-1]


def logrank_test(
    durations: Sequence[float] | pd.Series,
    events: Sequence[bool] | pd.Series,
    groups: Sequence | pd.Series,
) -> pd.Series:
    """Log-rank test that two groups share one survival curve.

    At each distinct event time t with n at risk (n₁ in the first group) and
    d events (d₁ in the first group), the first group's expected events are
    E₁ = d · n₁ / n and the hypergeometric variance
    V = d (n₁/n)(1 − n₁/n)(n − d)/(n − 1). The statistic
    χ² = (Σ (d₁ − E₁))² / Σ V has one degree of freedom under the null.

    Parameters
    ----------
    durations, events
        As for :func:`kaplan_meier`.
    groups
        Two distinct labels; the first in sorted order is "group 1".

    Returns
    -------
    pandas.Series
        ``group_1``, ``group_2``, ``n_1``, ``n_2``, ``observed_1``,
        ``expected_1``, ``observed_2``, ``expected_2``, ``variance``,
        ``chi2`` and ``p_value``.
    """
    from scipy import stats

    df = pd.DataFrame(
        {
            "duration": np.asarray(durations),
            "event": np.asarray(events),
            "group": np.asarray(groups),
        }
    )
    check_table(df, "survival", non_negative=["duration"], flags=["event"])
    labels = sorted(pd.unique(df["group"]))
    if len(labels) != 2:
        raise ValueError(f"groups: need exactly two groups, got {len(labels)}: {labels[:5]}")
    df["event"] = df["event"].astype(bool)
    df["g1"] = df["group"] == labels[0]
    df["e1"] = df["event"] & df["g1"]
    table = df.groupby("duration")[["g1", "event", "e1"]].agg(["size", "sum"]).sort_index()
    table = pd.DataFrame(
        {
            "removed": table[("g1", "size")],
            "removed_1": table[("g1", "sum")],
            "d": table[("event", "sum")],
            "d1": table[("e1", "sum")],
        }
    )
    n = len(df) - table["removed"].cumsum().shift(1, fill_value=0)
    n1 = int(df["g1"].sum()) - table["removed_1"].cumsum().shift(1, fill_value=0)
    n, n1 = n.to_numpy(float), n1.to_numpy(float)
    d, d1 = table["d"].to_numpy(float), table["d1"].to_numpy(float)
    e1 = d * n1 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(n > 1, d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1), 0.0)
    o1, ex1, var = float(d1.sum()), float(e1.sum()), float(v.sum())
    chi2 = (o1 - ex1) ** 2 / var if var > 0 else math.nan
    total = float(d.sum())
    return pd.Series(
        {
            "group_1": labels[0],
            "group_2": labels[1],
            "n_1": int(df["g1"].sum()),
            "n_2": int((~df["g1"]).sum()),
            "observed_1": o1,
            "expected_1": ex1,
            "observed_2": total - o1,
            "expected_2": total - ex1,
            "variance": var,
            "chi2": chi2,
            "p_value": float(stats.chi2.sf(chi2, 1)) if var > 0 else math.nan,
        },
        dtype=object,
    )


# --------------------------------------------------------------------------- sBG where it fits

#: Fader & Hardie (2007), "How to project customer retention", Journal of
#: Interactive Marketing 21(1), Table 1: customers of a 1,000-strong cohort
#: still active at the start of years 0–12, and the sBG fitted on years 0–7.
FADER_HARDIE_2007 = {
    "regular": {
        "active": (1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173),
        "alpha": 0.704,
        "beta": 1.182,
    },
    "high end": {
        "active": (1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394),
        "alpha": 0.668,
        "beta": 3.806,
    },
}


def geometric_fit(active: Sequence[float]) -> tuple[float, float]:
    """Constant-churn (geometric) fit of a survivor series: (θ, log-likelihood).

    Churners of period t contribute θ(1 − θ)^(t−1), the last count survives
    T periods with (1 − θ)^T; the MLE is θ = D / (Σ t·d_t + T·n_T), D the churners.
    """
    n = np.asarray(active, dtype=float)
    if len(n) < 2 or n[0] <= 0 or (np.diff(n) > 0).any():
        raise ValueError("active: a non-increasing series of counts, cohort size first")
    lost = n[:-1] - n[1:]
    t = np.arange(1, len(n), dtype=float)
    periods = float(len(n) - 1)
    exposure = float(t @ lost + periods * n[-1])
    theta = float(lost.sum() / exposure)
    if theta <= 0 or theta >= 1:
        raise ValueError("active: nobody churned (or everybody at once); churn is not identified")
    ll = float(lost.sum() * math.log(theta) + (exposure - lost.sum()) * math.log(1 - theta))
    return theta, ll


def sbg_check(active: Sequence[float]) -> pd.Series:
    """Fit the sBG and its geometric limit to a survivor series, and say which the data support.

    Calls :func:`sim.analytics.clv.fit_sbg` (which reports a boundary fit) and
    :func:`geometric_fit`. The likelihood-ratio statistic
    LR = 2 (ℓ_sBG − ℓ_geometric) tests for heterogeneity in churn; the
    geometric model is the sBG's boundary (α, β → ∞), so under the null LR is
    a 50:50 mixture of 0 and χ²₁ and ``p_value = ½ P(χ²₁ > LR)``.

    Returns
    -------
    pandas.Series
        ``alpha``, ``beta``, ``mean_churn`` (α / (α + β)), ``theta`` (geometric
        churn), ``ll_sbg``, ``ll_geometric``, ``lr``, ``p_value``, ``boundary``
        (bool) and ``note`` (the fit's own note, or a sentence on the test).
    """
    from scipy import stats

    from sim.analytics.clv import fit_sbg

    model, note = fit_sbg(list(active))
    a, b = model.params_["alpha"], model.params_["beta"]
    theta, ll_geo = geometric_fit(active)
    n = np.asarray(active, dtype=float)
    surv = model.survival(np.arange(len(n)))
    p = np.clip(surv[:-1] - surv[1:], 1e-300, None)
    ll_sbg = float((n[:-1] - n[1:]) @ np.log(p) + n[-1] * math.log(max(surv[-1], 1e-300)))
    lr = max(0.0, 2 * (ll_sbg - ll_geo))
    pval = 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 0.5
    boundary = bool(note)
    if not note:
        verdict = "supports" if pval < 0.05 else "does not clearly support"
        note = (
            f"the sBG fit is interior (alpha {a:.3f}, beta {b:.3f}); against a constant churn of "
            f"{theta:.3f} a period the likelihood ratio is {lr:.1f} (p = {pval:.2g}): the series "
            f"{verdict} a spread of churn probabilities across customers."
        )
    return pd.Series(
        {
            "alpha": a,
            "beta": b,
            "mean_churn": a / (a + b),
            "theta": theta,
            "ll_sbg": ll_sbg,
            "ll_geometric": ll_geo,
            "lr": lr,
            "p_value": pval,
            "boundary": boundary,
            "note": note,
        },
        dtype=object,
    )


def period_retention_rates(active: Sequence[float]) -> np.ndarray:
    """Observed retention rate of each period: active[t] / active[t−1] (t = 1, 2, …)."""
    n = np.asarray(active, dtype=float)
    return n[1:] / n[:-1]


def sbg_curve(alpha: float, beta: float, periods: int = 12) -> pd.DataFrame:
    """sBG survival and retention rate by period beside a geometric model with the same first-period churn.

    A pure function for the heterogeneity explorer: with the same mean churn
    α / (α + β) in period 1, a small α + β (customers differ a lot) makes the
    retention rate climb as the likeliest churners leave; a large α + β
    (everybody alike) keeps it flat, which is the geometric model.

    Returns
    -------
    pandas.DataFrame
        Index ``period`` 0 … ``periods``: ``survival``, ``retention_rate``
        (NaN at 0), ``geometric_survival``, ``geometric_retention``.
    """
    for name, v in (("alpha", alpha), ("beta", beta)):
        if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name}: a positive number, got {v!r}")
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= 1000:
        raise ValueError(f"periods: a whole number from 1 to 1000, got {periods!r}")
    from scipy.special import betaln

    t = np.arange(periods + 1, dtype=float)
    surv = np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))
    rate = np.r_[np.nan, (beta + t[1:] - 1) / (alpha + beta + t[1:] - 1)]
    q = beta / (alpha + beta)
    return pd.DataFrame(
        {
            "survival": surv,
            "retention_rate": rate,
            "geometric_survival": q**t,
            "geometric_retention": np.r_[np.nan, np.full(periods, q)],
        },
        index=pd.Index(t.astype(int), name="period"),
    )


# --------------------------------------------------------------------------- warnings scored forward


def forward_outcome(
    truth: pd.DataFrame,
    truth_states: pd.DataFrame,
    as_of: str | pd.Timestamp,
    months: int = 6,
) -> pd.DataFrame:
    """Who is alive at a cut-off and who is lost in the months after it, from the truth.

    The relationship state at ``as_of`` is the person's last state change at
    or before it (``truth_states``); ``alive`` is every state but ``lost``
    (a won-back customer is alive again). ``lost_next`` is True when an alive
    person's relationship moves to ``lost`` in ``(as_of, as_of + months]``.
    Profiles map to people through ``truth.person_id`` (duplicates share a fate).

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id`` (every profile of a person acquired by ``as_of``):
        ``alive`` and ``lost_next`` (bool).
    """
    require_columns(truth, ["customer_id", "person_id"], "truth")
    require_columns(truth_states, ["person_id", "timestamp", "to_state"], "truth_states")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months: a whole number >= 1, got {months!r}")
    t0 = pd.Timestamp(as_of)
    t1 = t0 + pd.DateOffset(months=months)
    st = truth_states.sort_values(["person_id", "timestamp"], kind="stable")
    before = st.loc[st["timestamp"] <= t0]
    state = before.groupby("person_id")["to_state"].last()
    after = st.loc[(st["timestamp"] > t0) & (st["timestamp"] <= t1)]
    lost_people = pd.Index(after.loc[after["to_state"] == "lost", "person_id"].unique())
    people = truth.drop_duplicates("customer_id").set_index("customer_id")["person_id"]
    people = people[people.isin(state.index)]
    alive = (state.reindex(people.to_numpy()) != "lost").to_numpy()
    lost_next = alive & people.isin(lost_people).to_numpy()
    return pd.DataFrame({"alive": alive, "lost_next": lost_next}, index=people.index)


def warning_scorecard(
    flags: pd.DataFrame, outcome: pd.DataFrame, level: float = 0.95
) -> pd.DataFrame:
    """Warning flags scored forward: precision, recall and lift with Wilson intervals.

    Only customers ``alive`` at the cut-off are scored (a customer already
    gone cannot be warned about); the outcome is ``lost_next``. For each
    boolean flag: ``precision`` = lost among the flagged (Wilson interval
    ``precision_low``/``precision_high``), ``recall`` = flagged among the lost,
    ``base_rate`` = lost among all scored customers, ``lift`` = precision ÷
    base rate. ``lift_low``/``lift_high`` divide the precision's Wilson bounds by
    the base rate (whose own interval, much narrower because it is measured on
    every scored customer, is ``base_low``/``base_high``).

    Returns
    -------
    pandas.DataFrame
        One row per flag.
    """
    from sim.analytics.intervals import wilson_interval

    if not isinstance(flags, pd.DataFrame) or flags.empty:
        raise ValueError("flags: expected a non-empty DataFrame of boolean columns")
    require_columns(outcome, ["alive", "lost_next"], "outcome")
    cols = [c for c in flags.columns if pd.api.types.is_bool_dtype(flags[c])]
    if not cols:
        raise ValueError("flags: no boolean columns to score")
    scored = outcome.loc[outcome["alive"].astype(bool)].index.intersection(flags.index)
    if len(scored) == 0:
        raise ValueError("outcome: no flagged customer is alive at the cut-off")
    lost = outcome.loc[scored, "lost_next"].astype(bool)
    base = wilson_interval(int(lost.sum()), len(lost), level)
    rows = {}
    for c in cols:
        f = flags.loc[scored, c].astype(bool)
        n, tp = int(f.sum()), int((f & lost).sum())
        prec = wilson_interval(tp, n, level)
        b = base["estimate"]
        rows[c] = {
            "scored": len(f),
            "flagged": n,
            "lost": int(lost.sum()),
            "true_positives": tp,
            "precision": prec["estimate"],
            "precision_low": prec["low"],
            "precision_high": prec["high"],
            "recall": tp / int(lost.sum()) if lost.any() else math.nan,
            "base_rate": b,
            "base_low": base["low"],
            "base_high": base["high"],
            "lift": prec["estimate"] / b if b > 0 else math.nan,
            "lift_low": prec["low"] / b if b > 0 else math.nan,
            "lift_high": prec["high"] / b if b > 0 else math.nan,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "flag"
    return out


def warning_lesson(card: pd.DataFrame, combined: str = "at_risk") -> str:
    """What a forward scorecard says, in sentences chosen from its numbers."""
    require_columns(card, ["lift", "lift_low", "lift_high", "recall", "flagged"], "card")
    single = card.drop(index=[combined], errors="ignore")
    single = single.loc[single["flagged"] > 0]
    if single.empty:
        return "No flag fired on a customer alive at the cut-off: nothing to score."
    best = single["lift"].idxmax()
    b = single.loc[best]
    parts = []
    if b["lift_low"] > 1:
        parts.append(
            f"The sharpest signal is {best}: lift {b['lift']:.2f} (95 % interval "
            f"{b['lift_low']:.2f}–{b['lift_high']:.2f}), clearly better than picking customers "
            f"at random, but it catches only {b['recall']:.0%} of the customers lost next."
        )
    else:
        parts.append(
            f"No single flag is clearly better than chance: the best, {best}, has lift "
            f"{b['lift']:.2f} with an interval ({b['lift_low']:.2f}–{b['lift_high']:.2f}) "
            "that reaches 1."
        )
    noise = [
        f
        for f in single.index
        if f != best and single.loc[f, "lift_low"] <= 1 <= single.loc[f, "lift_high"]
    ]
    if noise:
        parts.append(f"Within noise of chance: {', '.join(noise)}.")
    below = [f for f in single.index if single.loc[f, "lift_high"] < 1]
    if below:
        parts.append(
            f"Flagged customers leave *less* often than average for {', '.join(below)}: "
            "those flags mark engaged customers, not leavers."
        )
    if combined in card.index:
        c = card.loc[combined]
        parts.append(
            f"'At least one flag' marks {c['flagged'] / c['scored']:.0%} of the live base, "
            f"catches {c['recall']:.0%} of the leavers at lift {c['lift']:.2f}."
        )
    return " ".join(parts)


# --------------------------------------------------------------------------- the 5 % claim


def uplift_claim(
    orders: pd.DataFrame,
    marketing_spend: pd.DataFrame,
    period1: Period,
    period2: Period,
    gross_margin: float,
    discount_rate: float,
    points: float = 0.05,
    *,
    replications: int = 400,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """ "5 % more retention" as +``points`` of yearly retention, valued with a bootstrap interval.

    The yearly retention ``r`` is :func:`period_retention` from ``period1``
    to ``period2``; the margin per active customer and the CAC are those of
    :func:`retention_economics_inputs`. The lifetime profit per acquired
    customer is :func:`retention_uplift_profit` (a geometric series in
    ``r / (1 + d)``) at ``r`` and at ``r + points``. Two rows: without the
    acquisition cost (lifetime margin) and with it (lifetime profit after
    CAC). The interval resamples customers (Poisson bootstrap with
    ``seed``) to re-measure ``r`` and the margin; the CAC is the booked
    spend ÷ new customers, held fixed.

    Returns
    -------
    pandas.DataFrame
        Index ``basis``: ``retention``, ``retention_uplifted``,
        ``pct_increase``, ``low``, ``high``.
    """
    if not 0 < points < 1:
        raise ValueError(f"points: a retention increase in points between 0 and 1, got {points}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 50:
        raise ValueError(f"replications: a whole number >= 50, got {replications!r}")
    inp = retention_economics_inputs(orders, marketing_spend, period1, period2, gross_margin)
    d = orders["order_date"]
    s1, e1 = pd.Timestamp(period1[0]), pd.Timestamp(period1[1])
    s2, e2 = pd.Timestamp(period2[0]), pd.Timestamp(period2[1])
    in1 = orders.loc[(d >= s1) & (d < e1), "customer_id"].unique()
    rev2 = orders.loc[(d >= s2) & (d < e2)].groupby("customer_id")["net_amount"].sum()
    ids = pd.Index(in1).union(rev2.index)
    a1 = ids.isin(in1).astype(float)
    a2 = ids.isin(rev2.index).astype(float)
    kept = a1 * a2
    money = rev2.reindex(ids, fill_value=0.0).to_numpy()
    rng = np.random.default_rng(seed)
    w = rng.poisson(1.0, size=(replications, len(ids))).astype(float)
    r_b = (w @ kept) / (w @ a1)
    m_b = (w @ money) / (w @ a2) * gross_margin

    def pct(m: np.ndarray, r: np.ndarray, cac: float) -> np.ndarray:
        q0, q1 = r / (1 + discount_rate), np.minimum(r + points, 1 - 1e-9) / (1 + discount_rate)
        base, up = m / (1 - q0) - cac, m / (1 - q1) - cac
        return np.where(base > 0, (up - base) / base, np.nan)

    rows = {}
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    for basis, cac in (("lifetime margin", 0.0), ("lifetime profit after CAC", inp["cac"])):
        est = retention_uplift_profit(
            inp["margin_per_customer"],
            inp["retention_rate"],
            points,
            discount_rate,
            acquisition_cost=cac,
        )
        boot = pct(m_b, r_b, cac)
        rows[basis] = {
            "retention": est["retention"],
            "retention_uplifted": est["retention_uplifted"],
            "pct_increase": est["pct_increase"],
            "low": float(np.nanquantile(boot, lo_q)),
            "high": float(np.nanquantile(boot, hi_q)),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "basis"
    return out


def claim_verdict(claim: pd.DataFrame, source_average: float = 0.50) -> str:
    """Compare the brand's uplift (an :func:`uplift_claim` table) with the source's average."""
    require_columns(claim, ["pct_increase", "low", "high"], "claim")
    parts = []
    for basis, row in claim.iterrows():
        where = (
            "below"
            if row["high"] < source_average
            else "above"
            if row["low"] > source_average
            else "compatible with"
        )
        parts.append(
            f"{basis}: {row['pct_increase']:+.1%} (95 % interval {row['low']:+.1%} to "
            f"{row['high']:+.1%}), {where} the source's average of {source_average:+.0%}"
        )
    return "; ".join(parts) + "."


# --------------------------------------------------------------------------- loyalty members


def member_retention(
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    truth: pd.DataFrame,
    days: float = 365,
    strata: int = 5,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Members' and non-members' true survival ``days`` after their first order: naive and stratified.

    Customers acquired at least ``days`` before ``end`` (default: last order)
    are kept; "survived" means the truth's ``first_dropout_date`` is missing
    or later than first order + ``days``. The naive gap compares all members
    with all non-members. Enrolment is self-selected, but the truth knows each
    person's enrolment chance (``enrol_propensity``), so the stratified gap
    compares members with non-members of the same propensity (``strata``
    quantile bins), weighted by the members in each bin (the effect on the
    members).

    Returns
    -------
    pandas.DataFrame
        Index ``comparison`` (``naive``, ``same propensity``): ``members``,
        ``non_members``, ``gap`` (points) and the customers counted.
    """
    _check_orders(orders)
    require_columns(customers, ["customer_id", "loyalty_member"], "customers")
    require_columns(truth, ["customer_id", "first_dropout_date", "enrol_propensity"], "truth")
    end_ts = orders["order_date"].max() if end is None else pd.Timestamp(end)
    first = orders.groupby("customer_id")["order_date"].min()
    first = first[first <= end_ts - pd.Timedelta(days=days)]
    tr = truth.drop_duplicates("customer_id").set_index("customer_id").reindex(first.index)
    member = (
        customers.set_index("customer_id")["loyalty_member"]
        .reindex(first.index, fill_value=False)
        .astype(bool)
    )
    survived = ~(tr["first_dropout_date"] <= first + pd.Timedelta(days=days))
    df = pd.DataFrame({"m": member, "s": survived.astype(float), "p": tr["enrol_propensity"]})
    df["bin"] = pd.qcut(df["p"].rank(method="first"), strata, labels=False)
    naive_m, naive_n = df.loc[df["m"], "s"].mean(), df.loc[~df["m"], "s"].mean()
    per = df.groupby(["bin", "m"])["s"].mean().unstack("m")
    weights = df.loc[df["m"]].groupby("bin").size()
    weights = weights / weights.sum()
    strat_m = float((per[True] * weights).sum())
    strat_n = float((per[False] * weights).sum())
    out = pd.DataFrame(
        {
            "members": [naive_m, strat_m],
            "non_members": [naive_n, strat_n],
            "gap": [naive_m - naive_n, strat_m - strat_n],
            "customers": [len(df), len(df)],
        },
        index=pd.Index(["naive", "same propensity"], name="comparison"),
    )
    return out


def member_effect_on_survival(
    factual: Mapping[str, pd.DataFrame],
    counterfactual: Mapping[str, pd.DataFrame],
    days: float = 365,
    level: float = 0.95,
) -> pd.Series:
    """The programme's causal effect on members' survival, from two runs with the same seed.

    ``factual`` and ``counterfactual`` hold the ``orders``, ``customers`` and
    ``truth`` tables of two simulations that differ only in the programme's
    effect (e.g. ``loyalty.member_effect`` at its value and at 1.0). With
    common random numbers the same people enrol in both, so the effect on the
    members is the paired difference of each member's survival ``days`` after
    the first order (members of both runs, acquired ``days`` before the end),
    matched by ``truth.person_id``.

    Returns
    -------
    pandas.Series
        ``members``, ``with_effect``, ``without_effect``, ``effect`` (points)
        and its paired interval ``low``/``high``.
    """
    from sim.analytics.intervals import paired_interval

    def survived(tables: Mapping[str, pd.DataFrame]) -> pd.Series:
        o, c, t = tables["orders"], tables["customers"], tables["truth"]
        first = o.groupby("customer_id")["order_date"].min()
        first = first[first <= o["order_date"].max() - pd.Timedelta(days=days)]
        members = c.set_index("customer_id")["loyalty_member"].reindex(
            first.index, fill_value=False
        )
        first = first[members.astype(bool)]
        tt = t.drop_duplicates("customer_id").set_index("customer_id").reindex(first.index)
        gone = tt["first_dropout_date"] <= first + pd.Timedelta(days=days)
        # Matched by person: profile ids follow the order of arrival, which may differ
        # between runs; the person is the unit common random numbers keep.
        out = pd.Series((~gone).astype(float).to_numpy(), index=tt["person_id"].to_numpy())
        return out[~out.index.duplicated()]

    a, b = survived(factual), survived(counterfactual)
    common = a.index.intersection(b.index)
    if len(common) < 2:
        raise ValueError("factual/counterfactual: fewer than two members in common")
    pi = paired_interval(a[common].to_numpy(), b[common].to_numpy(), level)
    return pd.Series(
        {
            "members": len(common),
            "with_effect": float(a[common].mean()),
            "without_effect": float(b[common].mean()),
            "effect": pi["estimate"],
            "low": pi["low"],
            "high": pi["high"],
        }
    )


# --------------------------------------------------------------------------- the source's claims


def _verdict(low: float, high: float, source_low: float, source_high: float) -> str:
    """Where a brand value (or its interval [low, high]) sits against the source's range."""
    if high < source_low:
        return "below the source: contradicts it"
    if low > source_high:
        return "above the source: contradicts it"
    if source_low <= low and high <= source_high:
        return "within the source's range: agrees"
    return "overlaps the source's range: compatible"


def retention_claims(
    inputs: pd.Series,
    service_truth: pd.DataFrame,
    level: float = 0.95,
) -> pd.DataFrame:
    """Two of the source's retention claims against the brand's own numbers.

    - "retention is 5–8× cheaper than acquisition": the brand's
      ``cost_ratio`` (CAC ÷ retention spend per retained customer, from
      :func:`retention_economics_inputs`). It divides booked spend, not a
      sample, so it has no sampling interval (``low = high`` = the value);
    - "more than 66 % would switch after an unsatisfying service
      experience": the share of customers whose first service contact went
      badly who were truly lost within the window
      (:func:`sim.analytics.service.service_churn_truth`), with its Wilson
      interval at ``level``. The source's range is (0.66, 1]: a stated
      intention, set against behaviour.

    ``verdict`` says where the brand's interval sits against the source's
    range: below or above it (the brand contradicts the source), inside it
    (agrees) or straddling an end (compatible).

    Returns
    -------
    pandas.DataFrame
        Index ``claim``: ``source_low``, ``source_high``, ``brand``, ``low``,
        ``high``, ``verdict``.
    """
    from sim.analytics.intervals import wilson_interval

    for key in ("cost_ratio",):
        if key not in inputs.index:
            raise ValueError(f"inputs.{key}: missing; pass retention_economics_inputs(...)")
    require_columns(service_truth, ["customers", "dropped"], "service_truth")
    if "bad" not in service_truth.index:
        raise ValueError("service_truth: needs a 'bad' row (service_churn_truth's output)")
    ratio = float(inputs["cost_ratio"])
    bad = service_truth.loc["bad"]
    lost = wilson_interval(int(bad["dropped"]), int(bad["customers"]), level)
    rows = {
        "retention 5–8× cheaper than acquisition": (5.0, 8.0, ratio, ratio, ratio),
        "over 66 % switch after unsatisfying service": (
            0.66,
            1.0,
            lost["estimate"],
            lost["low"],
            lost["high"],
        ),
    }
    out = pd.DataFrame(
        {
            claim: {
                "source_low": s_lo,
                "source_high": s_hi,
                "brand": value,
                "low": lo,
                "high": hi,
                "verdict": _verdict(lo, hi, s_lo, s_hi),
            }
            for claim, (s_lo, s_hi, value, lo, hi) in rows.items()
        }
    ).T
    out.index.name = "claim"
    return out.astype({c: float for c in ("source_low", "source_high", "brand", "low", "high")})


def bad_contact_effect(service_truth: pd.DataFrame, level: float = 0.95) -> pd.Series:
    """Loss after a bad versus a good first service contact: both shares and their difference.

    From :func:`sim.analytics.service.service_churn_truth`: ``bad`` and
    ``good`` shares lost within the window with Wilson intervals, and the
    difference in points with its normal (Wald) interval for two independent
    shares, se² = p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂. The difference, not the bad
    row alone, is what a bad contact adds: good contacts are lost too.

    Returns
    -------
    pandas.Series
        ``bad``, ``bad_low``, ``bad_high``, ``good``, ``good_low``,
        ``good_high``, ``difference``, ``difference_low``, ``difference_high``,
        ``ratio`` (bad ÷ good).
    """
    from scipy import stats

    from sim.analytics.intervals import wilson_interval

    require_columns(service_truth, ["customers", "dropped"], "service_truth")
    missing = {"bad", "good"} - set(service_truth.index)
    if missing:
        raise ValueError(f"service_truth: missing row(s) {sorted(missing)}")
    out = {}
    for name in ("bad", "good"):
        row = service_truth.loc[name]
        w = wilson_interval(int(row["dropped"]), int(row["customers"]), level)
        if not row["customers"] > 0:
            raise ValueError(f"service_truth: no customer with a {name} first contact")
        out |= {name: w["estimate"], f"{name}_low": w["low"], f"{name}_high": w["high"]}
    n1, n2 = (float(service_truth.loc[k, "customers"]) for k in ("bad", "good"))
    p1, p2 = out["bad"], out["good"]
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = float(stats.norm.ppf(0.5 + level / 2))
    out |= {
        "difference": p1 - p2,
        "difference_low": p1 - p2 - z * se,
        "difference_high": p1 - p2 + z * se,
        "ratio": p1 / p2 if p2 > 0 else math.nan,
    }
    return pd.Series(out)


def selection_decomposition(member_table: pd.DataFrame, causal: pd.Series) -> pd.Series:
    """How much of the members' naive survival gap is selection, and how much the programme.

    ``member_table`` is :func:`member_retention` (rows ``naive`` and ``same
    propensity``), ``causal`` is :func:`member_effect_on_survival`. Returns
    the ``naive_gap`` and ``matched_gap`` (points), ``removed_by_matching`` =
    (naive − matched) ÷ naive — the share of the naive gap that comparing
    customers of the same enrolment propensity explains as selection — the
    causal ``effect`` with ``effect_low``/``effect_high``, and
    ``causal_share`` = effect ÷ naive gap (with ``causal_share_low`` and
    ``causal_share_high`` from the effect's interval).
    """
    require_columns(member_table, ["gap"], "member_table")
    for row in ("naive", "same propensity"):
        if row not in member_table.index:
            raise ValueError(f"member_table: missing row {row!r} (member_retention's output)")
    for key in ("effect", "low", "high"):
        if key not in causal.index:
            raise ValueError(f"causal.{key}: missing; pass member_effect_on_survival(...)")
    naive = float(member_table.loc["naive", "gap"])
    matched = float(member_table.loc["same propensity", "gap"])
    if naive == 0:
        raise ValueError("member_table: the naive gap is zero; there is nothing to decompose")
    return pd.Series(
        {
            "naive_gap": naive,
            "matched_gap": matched,
            "removed_by_matching": (naive - matched) / naive,
            "effect": float(causal["effect"]),
            "effect_low": float(causal["low"]),
            "effect_high": float(causal["high"]),
            "causal_share": float(causal["effect"]) / naive,
            "causal_share_low": float(causal["low"]) / naive,
            "causal_share_high": float(causal["high"]) / naive,
        }
    )


def claims_lesson(claims: pd.DataFrame, contact: pd.Series, selection: pd.Series) -> str:
    """What the brand says about the source's claims, in sentences chosen from the numbers."""
    require_columns(claims, ["brand", "low", "high", "verdict", "source_low"], "claims")
    parts = []
    cost = claims.iloc[0]
    parts.append(
        f"Keeping a customer costs {cost['brand']:.1f}× less than winning one on these books — "
        + (
            "less than the source's 5–8×: the brand contradicts the claim."
            if cost["high"] < cost["source_low"]
            else "within or above the source's 5–8×."
            if cost["low"] >= cost["source_low"]
            else "at the edge of the source's 5–8×."
        )
    )
    lost = claims.iloc[1]
    parts.append(
        f"After a bad first service contact {lost['brand']:.1%} "
        f"[{lost['low']:.1%}, {lost['high']:.1%}] were truly lost within the window, "
        + (
            "far below the source's 'more than 66 % would switch': "
            "a stated intention overstates what customers do."
            if lost["high"] < lost["source_low"]
            else "in line with the source's 'more than 66 %'."
        )
        + f" A good first contact loses {contact['good']:.1%}: the bad contact adds "
        f"{100 * contact['difference']:+.1f} points [{100 * contact['difference_low']:+.1f}, "
        f"{100 * contact['difference_high']:+.1f}] ({contact['ratio']:.1f}× the loss)."
    )
    noise = selection["effect_low"] <= 0 <= selection["effect_high"]
    parts.append(
        f"Comparing members with non-members of the same enrolment propensity removes "
        f"{selection['removed_by_matching']:.0%} of the members' naive survival gap of "
        f"{selection['naive_gap']:+.1%}: that part is who joins. The programme's causal effect "
        f"is {selection['effect']:+.1%} [{selection['effect_low']:+.1%}, "
        f"{selection['effect_high']:+.1%}]"
        + (", within noise of zero at this size." if noise else ".")
    )
    return " ".join(parts)
