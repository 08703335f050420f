"""Customer journeys: lifecycle transitions, time in stage, paths, moments of truth, attribution.

Works on the ``touchpoints`` table (one row per interaction: ``timestamp``,
``channel``, ``touchpoint``, the lifecycle ``stage`` after it and the
``impression`` it left). Within a customer, touchpoints are ordered by
``timestamp`` and then ``touchpoint_id``. Attribution joins ``orders`` (first-
or last-touch within a lookback window) and ``advisor_tasks`` ("sales
attributed to a reached advisor contact within 28 days").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table

__all__ = [
    "NO_TOUCH",
    "STAGES",
    "advisor_attribution",
    "impressions_summary",
    "journey_paths",
    "stage_funnel",
    "stage_transitions",
    "time_in_stage",
    "top_journeys",
    "touch_attribution",
]

#: Lifecycle stages in their natural order.
STAGES: tuple[str, ...] = ("prospect", "new", "active", "at_risk", "lapsed", "won_back")
#: Channel label for orders with no touchpoint in the lookback window.
NO_TOUCH = "(none)"
_IMPRESSIONS = ("positive", "neutral", "negative")


def _touchpoints(touchpoints: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """Checked touchpoints, sorted per customer in time order (ties by touchpoint_id)."""
    check_table(touchpoints, "touchpoints", columns=["customer_id", *cols], datetime=["timestamp"])
    order = ["customer_id", "timestamp"]
    if "touchpoint_id" in touchpoints.columns:
        order.append("touchpoint_id")
    return touchpoints.sort_values(order, kind="stable", ignore_index=True)


def _stages(tp: pd.DataFrame) -> pd.DataFrame:
    tp = _touchpoints(tp, "stage")
    bad = ~tp["stage"].isin(STAGES)
    if bad.any():
        raise ValueError(
            f"touchpoints.stage: {int(bad.sum())} value(s) not in {', '.join(STAGES)} "
            f"(e.g. {tp.loc[bad, 'stage'].iloc[0]!r})"
        )
    return tp


def _episodes(tp: pd.DataFrame) -> pd.DataFrame:
    """Runs of the same stage per customer: customer_id, stage, start (first touchpoint)."""
    new_run = (tp["stage"] != tp["stage"].shift()) | (
        tp["customer_id"] != tp["customer_id"].shift()
    )
    return tp.loc[new_run, ["customer_id", "stage", "timestamp"]].rename(
        columns={"timestamp": "start"}
    )


def stage_transitions(
    touchpoints: pd.DataFrame, normalize: bool = False, collapse_repeats: bool = True
) -> pd.DataFrame:
    """Lifecycle transition matrix: from-stage rows × to-stage columns, in :data:`STAGES` order.

    Transitions are between consecutive touchpoints of the same customer. With
    ``collapse_repeats`` (default) runs of the same stage count once, so the
    matrix holds stage *changes* and its diagonal is zero; otherwise the
    diagonal counts the stay-in-stage steps too. ``normalize=True`` turns each
    row into probabilities (rows with no transition are all zero).
    """
    tp = _stages(touchpoints)
    seq = _episodes(tp) if collapse_repeats else tp[["customer_id", "stage"]]
    nxt = seq["stage"].shift(-1)
    same = seq["customer_id"] == seq["customer_id"].shift(-1)
    counts = pd.crosstab(
        pd.Categorical(seq.loc[same, "stage"], categories=STAGES),
        pd.Categorical(nxt[same], categories=STAGES),
        dropna=False,
    )
    counts.index.name, counts.columns.name = "from", "to"
    if not normalize:
        return counts.astype("int64")
    totals = counts.sum(axis=1)
    return counts.div(totals.where(totals > 0), axis=0).fillna(0.0)


def time_in_stage(touchpoints: pd.DataFrame, end: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Days spent in each stage: episodes, mean and median.

    An episode starts at the first touchpoint of a run of the same stage and
    ends at the first touchpoint of the next stage. A customer's last episode
    is still open: it is left out by default, or closed at ``end`` when given
    (then its duration is a lower bound — right-censored).

    Returns
    -------
    pandas.DataFrame
        Indexed by stage (:data:`STAGES` order), columns ``episodes,
        mean_days, median_days`` (NaN when a stage has no episode).
    """
    ep = _episodes(_stages(touchpoints))
    nxt = ep["start"].shift(-1).where(ep["customer_id"] == ep["customer_id"].shift(-1))
    if end is not None:
        nxt = nxt.fillna(pd.Timestamp(end))
    days = (nxt - ep["start"]).dt.total_seconds() / 86_400
    ep = ep.assign(days=days).dropna(subset=["days"])
    out = ep.groupby("stage")["days"].agg(episodes="size", mean_days="mean", median_days="median")
    out = out.reindex(list(STAGES))
    out["episodes"] = out["episodes"].fillna(0).astype("int64")
    out.index.name = "stage"
    return out


def journey_paths(
    touchpoints: pd.DataFrame, k: int = 5, column: str = "touchpoint", sep: str = " > "
) -> pd.Series:
    """Each customer's first ``k`` touchpoints as one string, e.g. ``"purchase > survey"``.

    ``column`` picks what to spell the path with (``"touchpoint"``,
    ``"channel"`` or ``"stage"``). Indexed by ``customer_id``.
    """
    if not (isinstance(k, int) and k >= 1):
        raise ValueError(f"k: must be a whole number >= 1, got {k!r}")
    tp = _touchpoints(touchpoints, column)
    first = tp[tp.groupby("customer_id").cumcount() < k]
    return first.groupby("customer_id")[column].agg(lambda s: sep.join(map(str, s))).rename("path")


def top_journeys(
    touchpoints: pd.DataFrame, k: int = 5, n: int = 10, column: str = "touchpoint"
) -> pd.DataFrame:
    """The ``n`` most common paths of the first ``k`` touchpoints: customers and share.

    Ties in the count are listed alphabetically by path.
    """
    paths = journey_paths(touchpoints, k, column)
    counts = paths.value_counts().rename_axis("path").reset_index(name="customers")
    counts = counts.sort_values(["customers", "path"], ascending=[False, True], ignore_index=True)
    counts["share"] = counts["customers"] / len(paths)
    return counts.head(n)


def impressions_summary(
    touchpoints: pd.DataFrame, by: str | list[str] = "touchpoint"
) -> pd.DataFrame:
    """Moments of truth: share of positive, neutral and negative impressions per group.

    Returns
    -------
    pandas.DataFrame
        Per group of ``by``: ``touchpoints`` (count), ``positive``,
        ``neutral``, ``negative`` (shares 0–1) and ``net`` = positive −
        negative; sorted by ``net`` ascending, so the worst moments come first.
    """
    cols = [by] if isinstance(by, str) else list(by)
    tp = _touchpoints(touchpoints, "impression", *cols)
    bad = ~tp["impression"].isin(_IMPRESSIONS)
    if bad.any():
        raise ValueError(
            f"touchpoints.impression: {int(bad.sum())} value(s) not positive/neutral/negative "
            f"(e.g. {tp.loc[bad, 'impression'].iloc[0]!r})"
        )
    shares = pd.crosstab([tp[c] for c in cols], tp["impression"], normalize="index")
    shares = shares.reindex(columns=list(_IMPRESSIONS), fill_value=0.0)
    shares.columns.name = None
    out = pd.concat([tp.groupby(cols).size().rename("touchpoints"), shares], axis=1)
    out["net"] = out["positive"] - out["negative"]
    return out.sort_values(["net", "touchpoints"], ascending=[True, False], kind="stable")


def stage_funnel(touchpoints: pd.DataFrame) -> pd.DataFrame:
    """How many customers ever reached each lifecycle stage.

    Returns
    -------
    pandas.DataFrame
        Indexed by stage (:data:`STAGES` order): ``customers`` who reached
        it and their ``share`` of all customers in the table. Stages are not a
        strict funnel (a new customer may lapse without ever being active), so
        no step-to-step conversion is given.
    """
    tp = _stages(touchpoints)
    reached = tp.drop_duplicates(["customer_id", "stage"])["stage"].value_counts()
    out = pd.DataFrame({"customers": reached.reindex(list(STAGES), fill_value=0).astype("int64")})
    out.index.name = "stage"
    out["share"] = out["customers"] / tp["customer_id"].nunique()
    return out


def touch_attribution(
    orders: pd.DataFrame,
    touchpoints: pd.DataFrame,
    model: str = "last",
    lookback_days: float = 30,
    exclude: Sequence[str] = ("purchase", "stage_change"),
) -> pd.DataFrame:
    """First- or last-touch attribution of order revenue to channels.

    For each order, the customer's touchpoints in the lookback window
    ``[order_date − lookback_days, order_date)`` are candidates — strictly
    before the order, so the order's own ``purchase`` touchpoint and anything
    it triggered never take the credit; touchpoint kinds in ``exclude`` are
    ignored as well (purchases and stage changes are not marketing touches).
    ``model="first"`` credits the earliest candidate, ``"last"`` the latest.
    Ties (several touchpoints at the same time) go to the one that comes first
    (``first``) or last (``last``) in ``touchpoint_id`` order. Orders without a
    candidate are credited to :data:`NO_TOUCH`.

    Returns
    -------
    pandas.DataFrame
        Per channel: ``orders``, ``revenue`` (sum of ``net_amount``),
        ``order_share`` and ``revenue_share``, sorted by revenue.
    """
    if model not in ("first", "last"):
        raise ValueError(f"model: expected 'first' or 'last', got {model!r}")
    if not lookback_days > 0:
        raise ValueError(f"lookback_days: must be > 0, got {lookback_days!r}")
    check_table(
        orders, "orders", columns=["order_id", "customer_id"], numeric=["net_amount"],
        datetime=["order_date"],
    )  # fmt: skip
    tp = _touchpoints(touchpoints, "channel", "touchpoint")
    tp = tp.assign(_seq=np.arange(len(tp)))  # time order, ties by touchpoint_id
    tp = tp[~tp["touchpoint"].isin(list(exclude))]
    window = pd.Timedelta(days=lookback_days)
    o = orders[["order_id", "customer_id", "order_date", "net_amount"]]
    m = o.merge(tp[["customer_id", "timestamp", "channel", "_seq"]], on="customer_id")
    m = m[(m["timestamp"] >= m["order_date"] - window) & (m["timestamp"] < m["order_date"])]
    m = m.sort_values(["order_id", "_seq"], kind="stable")
    credit = m.drop_duplicates("order_id", keep="first" if model == "first" else "last")
    channel = o["order_id"].map(credit.set_index("order_id")["channel"]).fillna(NO_TOUCH)
    out = (
        o.assign(channel=channel.to_numpy())
        .groupby("channel")["net_amount"]
        .agg(orders="size", revenue="sum")
    )
    out["order_share"] = out["orders"] / out["orders"].sum()
    total = out["revenue"].sum()
    out["revenue_share"] = out["revenue"] / total if total else np.nan
    return out.sort_values(["revenue", "orders"], ascending=False)


def advisor_attribution(
    orders: pd.DataFrame, advisor_tasks: pd.DataFrame, window_days: float = 28
) -> pd.DataFrame:
    """Sales attributed to a reached advisor contact within ``window_days`` (default 28).

    An order is attributed when the same customer was *reached* by an advisor
    (``outcome == "reached"``) on a day ``done_at`` with
    ``done_at <= order_date <= done_at + window_days``. Each order counts once,
    credited to the most recent reached contact before it (its ``task_type``).

    Returns
    -------
    pandas.DataFrame
        One row per ``task_type`` plus ``"all"``: ``contacts`` (reached),
        ``orders`` and ``revenue`` attributed, ``order_share`` and
        ``revenue_share`` of all orders / revenue in ``orders``, and
        ``revenue_per_contact``.
    """
    if not window_days > 0:
        raise ValueError(f"window_days: must be > 0, got {window_days!r}")
    check_table(
        orders, "orders", columns=["order_id", "customer_id"], numeric=["net_amount"],
        datetime=["order_date"],
    )  # fmt: skip
    check_table(
        advisor_tasks, "advisor_tasks", columns=["customer_id", "task_type", "outcome"],
        datetime=["done_at"], allow_empty=True,
    )  # fmt: skip
    reached = advisor_tasks.loc[
        advisor_tasks["outcome"] == "reached", ["customer_id", "done_at", "task_type"]
    ]
    m = orders[["order_id", "customer_id", "order_date", "net_amount"]].merge(
        reached, on="customer_id"
    )
    window = pd.Timedelta(days=window_days)
    m = m[(m["done_at"] <= m["order_date"]) & (m["order_date"] <= m["done_at"] + window)]
    m = m.sort_values(["order_id", "done_at"], kind="stable").drop_duplicates(
        "order_id", keep="last"
    )
    types = sorted(reached["task_type"].unique())
    per = pd.DataFrame(
        {
            "contacts": reached.groupby("task_type").size(),
            "orders": m.groupby("task_type").size(),
            "revenue": m.groupby("task_type")["net_amount"].sum(),
        }
    ).reindex(types)
    per.loc["all"] = per.sum()
    per = per.fillna(0)
    per[["contacts", "orders"]] = per[["contacts", "orders"]].astype("int64")
    per["order_share"] = per["orders"] / len(orders)
    total = orders["net_amount"].sum()
    per["revenue_share"] = per["revenue"] / total if total else np.nan
    per["revenue_per_contact"] = per["revenue"] / per["contacts"].where(per["contacts"] > 0)
    per.index.name = "task_type"
    return per
