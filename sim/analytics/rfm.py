"""RFM analysis and value tiers: who the best customers are, and how much they are worth.

From an orders table (``customer_id``, ``order_date``, ``net_amount``) at a
reference date:

1. :func:`rfm_table` — recency (days since the last order), frequency (number of
   orders) and monetary value (total net spend) per customer;
2. :func:`rfm_scores` — 1–5 scores, by quintile or by custom cut-offs (a widget
   can move the cut-offs), and the named segment of each customer;
3. :func:`segment_summary` — size, share, revenue share and mean R/F/M per
   segment (or per value tier, or any other column);
4. :func:`value_tiers`, :func:`pareto_curve`, :func:`pareto_share` — the 80/20
   view: revenue concentrated in the top customers.

Scores
------
Quintile scores rank customers with ``rank(method="first")`` (ties broken by
``customer_id`` order, so every quintile has the same number of customers even
when many customers share a value, e.g. one order) and cut the ranks into five
equal-count groups: ``score = 1 + floor(5 * (rank - 1) / n)``, which equals
``pd.qcut(rank, 5, labels=[1, 2, 3, 4, 5])`` whenever ``n`` is a multiple of 5.
Recency is reversed: 5 = most recent buyers. Frequency and monetary: 5 = highest.

Segments (the usual R × FM grid)
--------------------------------
``fm_score`` is the mean of F and M rounded half up. Each (R, FM) cell maps to a
segment (rows R = 5 at the top, columns FM = 1..5)::

    R\\FM  1               2                  3                  4          5
    5     New             Potential loyalist Potential loyalist Champions  Champions
    4     Promising       Potential loyalist Potential loyalist Loyal      Loyal
    3     About to sleep  About to sleep     Need attention     Loyal      Loyal
    2     Hibernating     Hibernating        At risk            At risk    Cannot lose them
    1     Lost            Lost               At risk            At risk    Cannot lose them

The map is :data:`SEGMENT_MAP`; pass another to :func:`assign_segments` to try
your own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table, require_columns

__all__ = [
    "DEFAULT_TIERS",
    "backtest_cutoffs",
    "channels_per_customer",
    "segment_nps",
    "segment_rates",
    "SEGMENTS",
    "SEGMENT_MAP",
    "assign_segments",
    "pareto_curve",
    "pareto_share",
    "quintile_scores",
    "rfm_scores",
    "rfm_table",
    "segment_summary",
    "value_tiers",
]

SEGMENT_MAP: dict[tuple[int, int], str] = {}
"""(R score, FM score) → segment name, for all 25 cells of the grid in the module docstring."""

_GRID = {  # segment: (R scores, FM scores)
    "Champions": ((5,), (4, 5)),
    "Loyal": ((3, 4), (4, 5)),
    "Potential loyalist": ((4, 5), (2, 3)),
    "New": ((5,), (1,)),
    "Promising": ((4,), (1,)),
    "Need attention": ((3,), (3,)),
    "About to sleep": ((3,), (1, 2)),
    "At risk": ((1, 2), (3, 4)),
    "Cannot lose them": ((1, 2), (5,)),
    "Hibernating": ((2,), (1, 2)),
    "Lost": ((1,), (1, 2)),
}
for _seg, (_rs, _fms) in _GRID.items():
    for _r in _rs:
        for _fm in _fms:
            SEGMENT_MAP[(_r, _fm)] = _seg

SEGMENTS: tuple[str, ...] = tuple(_GRID)
"""Segment names, best first (the row order of :func:`segment_summary`)."""

DEFAULT_TIERS: tuple[tuple[str, float], ...] = (
    ("Top 1%", 0.01),
    ("Top 10%", 0.10),
    ("Next 40%", 0.50),
    ("Rest", 1.00),
)
"""Value tiers as (name, cumulative share of customers ranked by value, best first)."""


def _check_orders(orders: pd.DataFrame) -> pd.DataFrame:
    return check_table(
        orders,
        "orders",
        columns=["customer_id"],
        datetime=["order_date"],
        non_negative=["net_amount"],
    )


def rfm_table(
    orders: pd.DataFrame, reference_date: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Recency, frequency and monetary value per customer at ``reference_date``.

    Parameters
    ----------
    orders
        Orders table with ``customer_id``, ``order_date`` (datetime) and
        ``net_amount`` (EUR, non-negative).
    reference_date
        The "today" of the analysis. Orders on or after it are ignored (so the
        same data gives the RFM table at any past date). Default: the day after
        the last order.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), columns ``recency_days`` (whole
        days from the last order to the reference date), ``frequency`` (number
        of orders) and ``monetary`` (total net spend).

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 2],
    ...     "order_date": pd.to_datetime(["2024-01-01", "2024-01-21", "2024-01-11"]),
    ...     "net_amount": [100.0, 50.0, 80.0]})
    >>> rfm_table(orders, "2024-01-31")  # doctest: +NORMALIZE_WHITESPACE
                 recency_days  frequency  monetary
    customer_id
    1                      10          2     150.0
    2                      20          1      80.0
    """
    _check_orders(orders)
    ref = (
        orders["order_date"].max().normalize() + pd.Timedelta(days=1)
        if reference_date is None
        else pd.Timestamp(reference_date)
    )
    past = orders.loc[orders["order_date"] < ref]
    if past.empty:
        raise ValueError(f"orders: no orders before the reference date {ref.date()}")
    g = past.groupby("customer_id", sort=True)
    last = g["order_date"].max()
    out = pd.DataFrame(
        {
            "recency_days": (ref - last).dt.days.astype("int64"),
            "frequency": g.size().astype("int64"),
            "monetary": g["net_amount"].sum().astype("float64"),
        }
    )
    return out


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True, q: int = 5) -> pd.Series:
    """Equal-count 1..q scores by rank; ties broken by position (``rank(method="first")``).

    ``score = 1 + floor(q * (rank - 1) / n)`` where rank 1 is the worst value.
    """
    n = len(values)
    if n == 0:
        return pd.Series([], index=values.index, dtype="int64")
    key = values if higher_is_better else -values
    rank = key.rank(method="first").to_numpy()
    scores = 1 + np.floor(q * (rank - 1) / n).astype("int64")
    return pd.Series(scores, index=values.index, dtype="int64", name=values.name)


def _cut_scores(
    values: pd.Series, cuts: Sequence[float], higher_is_better: bool, what: str
) -> pd.Series:
    cuts = [float(c) for c in cuts]
    if len(cuts) != 4:
        raise ValueError(f"{what}: need 4 cut-offs for scores 1–5, got {len(cuts)}")
    if any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
        raise ValueError(f"{what}: cut-offs must be strictly increasing, got {cuts}")
    # number of cut-offs strictly below the value: 0..4
    above = np.searchsorted(np.asarray(cuts), values.to_numpy(dtype=float), side="left")
    scores = 1 + above if higher_is_better else 5 - above
    return pd.Series(scores.astype("int64"), index=values.index)


def rfm_scores(
    rfm: pd.DataFrame,
    *,
    recency_cuts: Sequence[float] | None = None,
    frequency_cuts: Sequence[float] | None = None,
    monetary_cuts: Sequence[float] | None = None,
    segment_map: Mapping[tuple[int, int], str] | None = None,
) -> pd.DataFrame:
    """Add 1–5 R/F/M scores, the ``fm_score``, the ``rfm_cell`` ("545") and the segment.

    Parameters
    ----------
    rfm
        Output of :func:`rfm_table` (``recency_days``, ``frequency``, ``monetary``).
    recency_cuts, frequency_cuts, monetary_cuts
        Optional custom cut-offs in the column's own units: four increasing
        numbers. A value ``<= cuts[0]`` is in the lowest band, ``<= cuts[1]``
        the next, …, ``> cuts[3]`` the highest. For frequency and monetary the
        bands score 1..5; for recency they score 5..1 (a recent buyer scores 5).
        E.g. ``recency_cuts=[30, 90, 180, 365]`` gives R = 5 to buyers of the
        last 30 days and R = 1 beyond a year. ``None`` (default): quintiles.
    segment_map
        (R, FM) → segment name; default :data:`SEGMENT_MAP`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``rfm`` with ``r_score``, ``f_score``, ``m_score``,
        ``fm_score``, ``rfm_cell`` and ``segment`` columns.
    """
    check_table(rfm, "rfm", non_negative=["recency_days", "frequency", "monetary"])
    out = rfm.copy()
    if recency_cuts is None:
        out["r_score"] = quintile_scores(rfm["recency_days"], higher_is_better=False)
    else:
        out["r_score"] = _cut_scores(rfm["recency_days"], recency_cuts, False, "recency_cuts")
    for col, cuts, name in (
        ("frequency", frequency_cuts, "f_score"),
        ("monetary", monetary_cuts, "m_score"),
    ):
        if cuts is None:
            out[name] = quintile_scores(rfm[col])
        else:
            out[name] = _cut_scores(rfm[col], cuts, True, f"{col}_cuts")
    # mean of F and M, rounded half up (F=1, M=2 → 2)
    out["fm_score"] = np.floor((out["f_score"] + out["m_score"]) / 2 + 0.5).astype("int64")
    out["rfm_cell"] = (
        out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    )
    return assign_segments(out, segment_map)


def assign_segments(
    scored: pd.DataFrame, segment_map: Mapping[tuple[int, int], str] | None = None
) -> pd.DataFrame:
    """Return a copy of ``scored`` with a ``segment`` column looked up from (r_score, fm_score).

    Raises ``ValueError`` if a (R, FM) pair present in the data is missing from the map.
    """
    require_columns(scored, ["r_score", "fm_score"], "rfm")
    seg_map = SEGMENT_MAP if segment_map is None else dict(segment_map)
    keys = list(zip(scored["r_score"].astype(int), scored["fm_score"].astype(int), strict=True))
    missing = sorted({k for k in keys if k not in seg_map})
    if missing:
        raise ValueError(f"segment_map: no segment for (R, FM) cell(s) {missing}")
    out = scored.copy()
    out["segment"] = pd.Series([seg_map[k] for k in keys], index=scored.index, dtype="str")
    return out


def segment_summary(table: pd.DataFrame, by: str = "segment") -> pd.DataFrame:
    """Size, customer share, revenue, revenue share and mean R/F/M per segment (or tier).

    Parameters
    ----------
    table
        One row per customer with ``recency_days``, ``frequency``, ``monetary``
        and the grouping column ``by`` (e.g. from :func:`rfm_scores` or
        :func:`value_tiers`). Score columns (``r_score`` …) are averaged too when present.
    by
        Grouping column: ``"segment"`` (default) or ``"tier"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, columns ``customers``, ``customer_share``, ``revenue``
        (sum of ``monetary``), ``revenue_share``, ``revenue_per_customer``,
        ``recency_days``, ``frequency``, ``monetary`` (means) and mean scores.
        Default segments are listed in :data:`SEGMENTS` order and categorical
        groups (tiers) in category order, empty ones with 0 customers, so a
        widget's table keeps its rows when cut-offs move.
    """
    check_table(table, "rfm", columns=[by], non_negative=["recency_days", "frequency", "monetary"])
    means = [
        c
        for c in ("recency_days", "frequency", "monetary", "r_score", "f_score", "m_score")
        if c in table.columns
    ]
    g = table.groupby(by, sort=False, observed=False)
    out = pd.DataFrame({"customers": g.size(), "revenue": g["monetary"].sum()})
    out = out.join(g[means].mean())
    if by == "segment" and table[by].isin(SEGMENTS).all():
        out = out.reindex(list(SEGMENTS))  # all 11 rows, empty ones with 0 customers
    elif isinstance(table[by].dtype, pd.CategoricalDtype):
        out = out.reindex(table[by].cat.categories)
    out["customers"] = out["customers"].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0)
    n, total = out["customers"].sum(), out["revenue"].sum()
    out["customer_share"] = out["customers"] / n
    out["revenue_share"] = out["revenue"] / total if total > 0 else np.nan
    out["revenue_per_customer"] = out["revenue"] / out["customers"].where(out["customers"] > 0)
    out.index.name = by
    first = ["customers", "customer_share", "revenue", "revenue_share", "revenue_per_customer"]
    return out[first + means]


def _values(orders_or_values: pd.DataFrame | pd.Series, name: str = "values") -> pd.Series:
    """Customer values from an orders table (sum of net_amount) or a Series of values."""
    if isinstance(orders_or_values, pd.DataFrame):
        check_table(
            orders_or_values, "orders", columns=["customer_id"], non_negative=["net_amount"]
        )
        return orders_or_values.groupby("customer_id")["net_amount"].sum()
    if not isinstance(orders_or_values, pd.Series):
        raise ValueError(f"{name}: expected an orders DataFrame or a Series of customer values")
    frame = orders_or_values.rename("value").to_frame()
    check_table(frame, name, non_negative=["value"])
    return frame["value"]


def value_tiers(
    table: pd.DataFrame,
    tiers: Sequence[tuple[str, float]] = DEFAULT_TIERS,
    value: str = "monetary",
) -> pd.DataFrame:
    """Add a ``tier`` column: named tiers of customers ranked by value, best first.

    Parameters
    ----------
    table
        One row per customer (e.g. :func:`rfm_table`) with the ``value`` column.
    tiers
        (name, cumulative share of customers) pairs, increasing, the last 1.0.
        A customer ranked ``i``-th of ``n`` (1 = highest value, ties broken by
        row order) belongs to the first tier whose share is ``>= i / n``. With
        :data:`DEFAULT_TIERS` and 1 000 customers: 10 in "Top 1%", the next 90
        in "Top 10%", 400 in "Next 40%", 500 in "Rest". Small tables can leave a
        tier empty (no one is in the top 1 % of 50 customers).
    value
        Column to rank by.

    Returns
    -------
    pandas.DataFrame
        A copy with an ordered categorical ``tier`` column (best tier first).
    """
    check_table(table, "customers", non_negative=[value])
    names = [t[0] for t in tiers]
    bounds = np.array([float(t[1]) for t in tiers])
    if len(tiers) == 0 or len(set(names)) != len(names):
        raise ValueError("tiers: need at least one tier and unique tier names")
    if np.any(np.diff(bounds) <= 0) or bounds[0] <= 0 or not math.isclose(bounds[-1], 1.0):
        raise ValueError(
            f"tiers: cumulative shares must increase from >0 to 1.0, got {list(bounds)}"
        )
    n = len(table)
    rank = (-table[value]).rank(method="first").to_numpy()  # 1 = highest value
    idx = np.searchsorted(bounds, rank / n - 1e-12, side="left")
    out = table.copy()
    out["tier"] = pd.Categorical.from_codes(idx, categories=names, ordered=True)
    return out


def pareto_curve(orders_or_values: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Cumulative revenue share against cumulative customer share, best customers first.

    Input is an orders table (values = total ``net_amount`` per customer) or a
    Series of customer values. The first row is (0, 0); row ``k`` is the share
    of customers and of revenue held by the ``k`` most valuable customers.
    """
    v = np.sort(_values(orders_or_values).to_numpy(dtype=float))[::-1]
    n, total = len(v), v.sum()
    if total <= 0:
        raise ValueError("values: total revenue is zero, shares are undefined")
    return pd.DataFrame(
        {
            "customers": np.arange(n + 1),
            "customer_share": np.arange(n + 1) / n,
            "revenue_share": np.concatenate([[0.0], np.cumsum(v) / total]),
        }
    )


def pareto_share(orders_or_values: pd.DataFrame | pd.Series, top: float = 0.2) -> float:
    """Share of revenue from the top ``top`` fraction of customers (0.2 → the "80/20" number).

    Linear interpolation between customers: with 5 customers worth 50, 30, 10,
    5, 5, ``top=0.2`` is the first customer → 0.5, and ``top=0.3`` is 1.5
    customers → (50 + 0.5 × 30) / 100 = 0.65.

    >>> pareto_share(pd.Series([50.0, 30.0, 10.0, 5.0, 5.0]), top=0.3)
    0.65
    """
    if not 0 <= top <= 1:
        raise ValueError(f"top: must be a share between 0 and 1, got {top}")
    curve = pareto_curve(orders_or_values)
    return float(np.interp(top, curve["customer_share"], curve["revenue_share"]))


# --------------------------------------------------------------------------- cut-off ladders
__all__ += ["ladder_cuts", "segment_kpis", "segments_at_cutoffs"]


def ladder_cuts(top: float, *, higher_is_better: bool = True, ratio: float = 2.0) -> list[float]:
    """Four cut-offs for 1–5 scores, each band ``ratio`` times wider than the next.

    ``top`` is the bar for the best score. For frequency or monetary
    (``higher_is_better=True``) a 5 means *more than* ``top``, and the cut-offs are
    ``[top/ratio³, top/ratio², top/ratio, top]``; for recency
    (``higher_is_better=False``) a 5 means *within* ``top`` days, and the cut-offs
    are ``[top, top·ratio, top·ratio², top·ratio³]``.

    >>> ladder_cuts(4000)
    [500.0, 1000.0, 2000.0, 4000.0]
    >>> ladder_cuts(30, higher_is_better=False)
    [30.0, 60.0, 120.0, 240.0]
    """
    top, ratio = float(top), float(ratio)
    if not np.isfinite(top) or top <= 0:
        raise ValueError(f"top: must be a positive number, got {top}")
    if not np.isfinite(ratio) or ratio <= 1:
        raise ValueError(f"ratio: must be a number above 1, got {ratio}")
    if higher_is_better:
        return [top / ratio**k for k in (3, 2, 1, 0)]
    return [top * ratio**k for k in (0, 1, 2, 3)]


def segments_at_cutoffs(
    rfm: pd.DataFrame,
    recent_days: float = 60,
    frequent_orders: float = 8,
    high_spend: float = 4000,
    ratio: float = 2.0,
) -> pd.DataFrame:
    """Segment sizes and revenue shares when R, F and M are scored on cut-off ladders.

    A pure function for an explorer: the scores use :func:`ladder_cuts` —
    R = 5 for a last order within ``recent_days`` (4 within ``ratio`` × that,
    …), F = 5 for more than ``frequent_orders`` orders, M = 5 for more than
    ``high_spend`` EUR — and the segments :data:`SEGMENT_MAP`.

    Parameters
    ----------
    rfm
        Output of :func:`rfm_table` (computed once, outside the explorer).
    recent_days, frequent_orders, high_spend
        The bar for a top score on each dimension.
    ratio
        How much wider each lower band is.

    Returns
    -------
    pandas.DataFrame
        Indexed by segment (all of :data:`SEGMENTS`, in order): ``customers``,
        ``customer_share``, ``revenue_share`` and ``revenue_per_customer``.
    """
    scored = rfm_scores(
        rfm,
        recency_cuts=ladder_cuts(recent_days, higher_is_better=False, ratio=ratio),
        frequency_cuts=ladder_cuts(frequent_orders, ratio=ratio),
        monetary_cuts=ladder_cuts(high_spend, ratio=ratio),
    )
    summary = segment_summary(scored)
    return summary[["customers", "customer_share", "revenue_share", "revenue_per_customer"]]


def segment_kpis(
    table: pd.DataFrame,
    orders: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    *,
    by: str = "segment",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """KPIs per segment (or tier): size, value, repeat rate, what happened next, NPS.

    Parameters
    ----------
    table
        One row per customer, indexed by ``customer_id``, with ``frequency``,
        ``monetary`` and the grouping column ``by`` (e.g. :func:`rfm_scores`).
    orders
        Optional orders table. With ``start``, the orders in ``[start, end)``
        (``end`` default: no limit) give ``active_next`` (share of the group's
        customers with at least one order in the window — a retention rate when
        ``start`` is the RFM reference date) and ``revenue_next_per_customer``.
    surveys
        Optional surveys table (``customer_id``, ``nps``): ``nps`` is the Net
        Promoter Score (−100..100) of the group's responses, ``nps_responses``
        their number (pass the responses you want counted, e.g. those before
        the reference date).
    by
        Grouping column.
    start, end
        The "next period" window for ``orders``.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, in :func:`segment_summary` order: ``customers``,
        ``customer_share``, ``revenue_share``, ``revenue_per_customer``,
        ``repeat_rate`` (share with 2+ orders), then the optional columns.
        Rates of empty groups are ``NaN``.
    """
    check_table(table, "rfm", columns=[by], non_negative=["frequency", "monetary"])
    summary = segment_summary(table.assign(recency_days=0), by=by)
    out = summary[["customers", "customer_share", "revenue_share", "revenue_per_customer"]].copy()
    group = table[by]
    g_repeat = (table["frequency"] >= 2).groupby(group, observed=False).mean()
    out["repeat_rate"] = g_repeat.reindex(out.index)
    if orders is not None:
        if start is None:
            raise ValueError("start: give the first day of the next period to use orders")
        check_table(orders, "orders", columns=["customer_id"], datetime=["order_date"])
        lo = pd.Timestamp(start)
        window = orders["order_date"] >= lo
        if end is not None:
            window &= orders["order_date"] < pd.Timestamp(end)
        nxt = orders.loc[window]
        bought = pd.Series(table.index.isin(nxt["customer_id"]), index=table.index)
        spent = nxt.groupby("customer_id")["net_amount"].sum().reindex(table.index, fill_value=0.0)
        out["active_next"] = bought.groupby(group, observed=False).mean().reindex(out.index)
        out["revenue_next_per_customer"] = (
            spent.groupby(group, observed=False).mean().reindex(out.index)
        )
    if surveys is not None:
        check_table(surveys, "surveys", columns=["customer_id"], numeric=["nps"])
        resp = surveys.loc[surveys["customer_id"].isin(table.index)]
        resp_group = group.reindex(resp["customer_id"]).to_numpy()
        score = resp["nps"].to_numpy(dtype=float)
        frame = pd.DataFrame({"group": resp_group, "promoter": score >= 9, "detractor": score <= 6})
        g = frame.groupby("group", observed=False)
        out["nps"] = (100.0 * (g["promoter"].mean() - g["detractor"].mean())).reindex(out.index)
        out["nps_responses"] = g.size().reindex(out.index).fillna(0).astype("int64")
    return out


def channels_per_customer(
    orders: pd.DataFrame, before: str | pd.Timestamp | None = None, column: str = "channel"
) -> pd.Series:
    """Distinct sales channels (or any other ``column``) each customer has bought through.

    Breadth across channels (store, e-commerce, social commerce); for
    "products per customer" count ``column="category"``, or use
    :func:`breadth_by_group` for the KPI per tier with its interval.
    """
    check_table(orders, "orders", columns=["customer_id", column], datetime=["order_date"])
    sub = orders if before is None else orders[orders["order_date"] < pd.Timestamp(before)]
    return sub.groupby("customer_id")[column].nunique().rename(f"{column}s")


def _wilson(k: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson score interval (``sim.analytics.intervals.wilson_interval``'s formula)."""
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + level / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def segment_rates(groups: pd.Series, outcome: pd.Series, level: float = 0.95) -> pd.DataFrame:
    """Share of each group with ``outcome`` True, with its Wilson interval.

    Parameters
    ----------
    groups
        Group label per customer (segment or tier), indexed by customer.
    outcome
        True/False per customer, same index (e.g. bought again next year).
    level
        Interval coverage.

    Returns
    -------
    pandas.DataFrame
        Per group (categories in order, empty groups kept): ``customers``,
        ``successes``, ``rate``, ``low``, ``high``.
    """
    if not 0 < level < 1:
        raise ValueError(f"level: expected a share between 0 and 1, got {level}")
    y = pd.Series(outcome).reindex(groups.index)
    if y.isna().any():
        raise ValueError(f"outcome: {int(y.isna().sum())} customers of groups have no outcome")
    g = y.astype(float).groupby(groups, observed=False, sort=False)
    out = pd.DataFrame({"customers": g.size(), "successes": g.sum()})
    if groups.isin(SEGMENTS).all() and not isinstance(groups.dtype, pd.CategoricalDtype):
        out = out.reindex([s for s in SEGMENTS if s in out.index])
    elif isinstance(groups.dtype, pd.CategoricalDtype):
        out = out.reindex(groups.cat.categories)
    n = out["customers"].fillna(0).to_numpy(float)
    k = out["successes"].fillna(0).to_numpy(float)
    out["customers"], out["successes"] = n.astype("int64"), k.astype("int64")
    out["rate"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    out["low"], out["high"] = _wilson(k, n, level)
    return out


_SEGMENT_CODES = {name: i for i, name in enumerate(SEGMENTS)}
_CELL_CODE = np.zeros((6, 6), dtype=np.int64)
for (_r, _fm), _seg in SEGMENT_MAP.items():
    _CELL_CODE[_r, _fm] = _SEGMENT_CODES[_seg]


def _fast_segments(
    rfm: pd.DataFrame, recent_days: float, frequent_orders: float, high_spend: float
) -> np.ndarray:
    """Segment code per customer on the cut-off ladders (what :func:`rfm_scores` does, in numpy)."""

    def score(values: np.ndarray, cuts: list[float], higher: bool) -> np.ndarray:
        above = np.searchsorted(np.asarray(cuts), values, side="left")
        return 1 + above if higher else 5 - above

    r = score(
        rfm["recency_days"].to_numpy(float), ladder_cuts(recent_days, higher_is_better=False), False
    )
    f = score(rfm["frequency"].to_numpy(float), ladder_cuts(frequent_orders), True)
    m = score(rfm["monetary"].to_numpy(float), ladder_cuts(high_spend), True)
    fm = np.floor((f + m) / 2 + 0.5).astype(np.int64)
    return _CELL_CODE[r, fm]


def backtest_cutoffs(
    rfm_then: pd.DataFrame,
    active_next: pd.Series,
    recent_days: float = 60,
    frequent_orders: float = 8,
    high_spend: float = 4000,
    level: float = 0.9,
) -> pd.DataFrame:
    """What RFM cut-offs chosen on a past date say about the next year, segment by segment.

    A pure function for an explorer: scores ``rfm_then`` (an :func:`rfm_table`
    on the backtest date) on the cut-off ladders of :func:`segments_at_cutoffs`
    and returns each segment's ``customers``, ``customer_share``,
    ``revenue_share`` and the share of its customers active in the following
    year (``active_next``, True/False per customer) with its Wilson interval
    (``low``, ``high``). Segments are listed in :data:`SEGMENTS` order.
    """
    if not 0 < level < 1:
        raise ValueError(f"level: expected a share between 0 and 1, got {level}")
    codes = _fast_segments(rfm_then, recent_days, frequent_orders, high_spend)
    k = len(SEGMENTS)
    y = active_next.reindex(rfm_then.index, fill_value=False).to_numpy(bool)
    n = np.bincount(codes, minlength=k).astype(float)
    hits = np.bincount(codes, weights=y, minlength=k)
    revenue = np.bincount(codes, weights=rfm_then["monetary"].to_numpy(float), minlength=k)
    low, high = _wilson(hits, n, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, hits / n, np.nan)
    out = pd.DataFrame(
        {
            "customers": n.astype("int64"),
            "customer_share": n / n.sum(),
            "revenue_share": revenue / revenue.sum(),
            "active_next": rate,
            "low": low,
            "high": high,
        },
        index=pd.Index(list(SEGMENTS), name="segment"),
    )
    return out


def segment_nps(groups: pd.Series, surveys: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """NPS (% promoters 9–10 − % detractors 0–6) per group, with its interval.

    ``groups`` labels customers (index ``customer_id``); ``surveys`` has
    ``customer_id`` and ``nps`` (0–10). Uses
    :func:`sim.analytics.intervals.nps_interval` per group, so small groups get
    the wide intervals they deserve.
    """
    from sim.analytics.intervals import nps_interval

    check_table(surveys, "surveys", columns=["customer_id"], numeric=["nps"])
    resp = surveys[surveys["customer_id"].isin(groups.index) & surveys["nps"].notna()]
    label = groups.reindex(resp["customer_id"]).to_numpy()
    order = (
        list(groups.cat.categories)
        if isinstance(groups.dtype, pd.CategoricalDtype)
        else [s for s in SEGMENTS if s in set(groups)] or sorted(set(groups))
    )
    rows = {}
    for name in order:
        scores = resp["nps"].to_numpy(float)[label == name]
        est = nps_interval(scores, level)
        rows[name] = {
            "responses": est["n"],
            "nps": est["estimate"],
            "low": est["low"],
            "high": est["high"],
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(groups.name or "group")


__all__ += ["breadth_by_group", "breadth_verdict", "relationship_on"]


def breadth_by_group(
    orders: pd.DataFrame,
    groups: pd.Series,
    *,
    before: str | pd.Timestamp | None = None,
    column: str = "category",
    level: float = 0.95,
) -> pd.DataFrame:
    """Distinct product categories per customer (the "products per customer" KPI) by group.

    Parameters
    ----------
    orders
        Orders with ``customer_id``, ``order_date`` and ``column``.
    groups
        Group label (tier, state, segment) per customer, indexed by ``customer_id``.
        A customer without orders (before ``before``) counts 0 categories.
    before
        Count only the orders before this date (e.g. the day the tiers were scored).
    column
        What breadth counts (``"channel"`` for channels per customer).
    level
        Coverage of the Student-t interval of each group's mean.

    Returns
    -------
    pandas.DataFrame
        Per group (categorical groups in their order, empty ones kept):
        ``customers``, ``per_customer`` (mean distinct values), ``se``, ``low``,
        ``high`` and ``multi_share`` (share of customers with 2 or more).
    """
    from sim.analytics.intervals import mean_interval

    if not 0 < level < 1:
        raise ValueError(f"level: expected a share between 0 and 1, got {level}")
    check_table(orders, "orders", columns=["customer_id", column], datetime=["order_date"])
    if not isinstance(groups, pd.Series):
        raise ValueError("groups: expected a Series of group labels indexed by customer_id")
    sub = orders if before is None else orders[orders["order_date"] < pd.Timestamp(before)]
    count = sub.groupby("customer_id")[column].nunique().reindex(groups.index, fill_value=0)
    if isinstance(groups.dtype, pd.CategoricalDtype):
        names = list(groups.cat.categories)
    else:
        names = sorted(groups.dropna().unique().tolist(), key=str)
    rows = {}
    for name in names:
        x = count[(groups == name).to_numpy()].to_numpy(dtype=float)
        est = mean_interval(x, level)
        rows[name] = {
            "customers": len(x),
            "per_customer": est["estimate"],
            "se": est["se"],
            "low": est["low"],
            "high": est["high"],
            "multi_share": float((x >= 2).mean()) if len(x) else np.nan,
        }
    cols = ["customers", "per_customer", "se", "low", "high", "multi_share"]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    out["customers"] = out["customers"].astype("int64")
    return out.rename_axis(groups.name or "group")


def breadth_verdict(table: pd.DataFrame, first, second, level: float = 0.95) -> dict:
    """Is the gap in breadth between two groups of :func:`breadth_by_group` larger than noise?

    The gap ``first − second`` gets a Welch t interval (each group's mean
    with its own variance, Welch–Satterthwaite degrees of freedom); the gap is
    within noise when the interval contains zero.

    Returns
    -------
    dict
        ``gap``, ``low``, ``high``, ``within_noise`` and ``text``, a sentence
        saying both means and the verdict.
    """
    from scipy import stats

    if not 0 < level < 1:
        raise ValueError(f"level: expected a share between 0 and 1, got {level}")
    for name in (first, second):
        if name not in table.index:
            raise ValueError(f"group {name!r} is not in the table; groups: {list(table.index)}")
    a, b = table.loc[first], table.loc[second]
    gap = float(a["per_customer"] - b["per_customer"])
    va, vb = float(a["se"]) ** 2, float(b["se"]) ** 2
    se = math.sqrt(va + vb)
    if not (se > 0):
        low = high = math.nan
        within = True
    else:
        df = (va + vb) ** 2 / (
            va**2 / max(int(a["customers"]) - 1, 1) + vb**2 / max(int(b["customers"]) - 1, 1)
        )
        half = float(stats.t.ppf(0.5 + level / 2, df)) * se
        low, high = gap - half, gap + half
        within = bool(low <= 0 <= high)
    verdict = (
        "within noise (the interval of the gap contains zero)"
        if within
        else "larger than noise (the interval of the gap excludes zero)"
    )
    text = (
        f"{first}: {a['per_customer']:.2f} per customer ({int(a['customers'])} customers) vs "
        f"{second}: {b['per_customer']:.2f} ({int(b['customers'])}); gap {gap:+.2f} "
        f"({level:.0%} interval {low:+.2f} to {high:+.2f}) is {verdict}."
    )
    return {"gap": gap, "low": low, "high": high, "within_noise": within, "text": text}


def relationship_on(
    truth_states: pd.DataFrame,
    when,
    person_id=None,
    *,
    before: bool = False,
):
    """The relationship state of each person at a date, read from ``truth_states``.

    Parameters
    ----------
    truth_states
        The truth's state changes (``person_id``, ``timestamp``, ``from_state``,
        ``to_state``); a person's first row (``from_state`` ``"-"``) is their
        acquisition.
    when
        One date (the state of every person acquired by then), or one date per
        row of ``person_id``.
    person_id
        With an array of dates: the person of each date (e.g. the buyer of each
        order).
    before
        Take the changes strictly before ``when`` (the state an event *met*, e.g.
        the one an order was placed in, not the one it left); the acquisition
        still counts at its own time.

    Returns
    -------
    pandas.Series or numpy.ndarray
        For one date, the state per ``person_id`` (index); for dates per row, the
        state of each row (``None`` before the person's acquisition).
    """
    check_table(
        truth_states, "truth_states", columns=["person_id", "from_state", "to_state"],
        datetime=["timestamp"],
    )  # fmt: skip
    ch = truth_states.sort_values("timestamp", kind="stable")
    acq = ch["from_state"] == "-"
    if person_id is None:
        at = pd.Timestamp(when)
        keep = (ch["timestamp"] < at) | (ch["timestamp"] == at) & (acq | (not before))
        return ch.loc[keep].groupby("person_id")["to_state"].last().rename("state")
    when = pd.to_datetime(pd.Series(np.asarray(when))).astype("datetime64[ns]")
    q = pd.DataFrame({"person_id": np.asarray(person_id, dtype=np.int64), "timestamp": when})
    q["row"] = np.arange(len(q))
    q = q.sort_values("timestamp", kind="stable")
    right = ch[["person_id", "timestamp", "to_state"]].astype({"person_id": "int64"})
    right = right.assign(timestamp=right["timestamp"].astype("datetime64[ns]"))
    moved = pd.merge_asof(
        q, right[~acq.to_numpy()], on="timestamp", by="person_id", allow_exact_matches=not before
    )
    start = pd.merge_asof(q, right[acq.to_numpy()], on="timestamp", by="person_id")
    state = moved["to_state"].where(moved["to_state"].notna(), start["to_state"])
    out = np.empty(len(q), dtype=object)
    out[moved["row"].to_numpy()] = state.to_numpy(dtype=object)
    out[pd.isna(out)] = None
    return out
