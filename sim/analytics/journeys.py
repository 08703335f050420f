"""Customer journeys: lifecycle transitions, time in stage, paths, moments of truth, attribution.

Works on the ``touchpoints`` table (one row per interaction: ``timestamp``,
``channel``, ``touchpoint``, the lifecycle ``stage`` after it and the
``impression`` it left). Within a customer, touchpoints are ordered by
``timestamp`` and then ``touchpoint_id``. Attribution joins ``orders`` (first-
or last-touch within a lookback window) and ``advisor_tasks`` ("sales
attributed to a reached advisor contact within 28 days").

The relationship functions read the simulation's ``truth_states`` (each
person's latent state — committed, engaged, cooling, lost — and the cause of
every change): :func:`moments_of_truth` ranks touchpoints by their share of
negative impressions, :func:`stage_migration` / :func:`state_migration` give
per-period migration matrices that count staying, :func:`nps_by` reports NPS
as % promoters − % detractors with its interval, :func:`state_effects` and
:func:`state_moves_by_cause` follow the moment of truth → state → word of mouth
chain, and :class:`RelationshipChain` / :func:`relationship_value` turn up /
down probabilities into a retention curve and an expected value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table
from sim.analytics.intervals import nps_interval, rate_ratio_interval, wilson_interval
from sim.vocab import IMPRESSIONS, STAGES

__all__ = [
    "ACTIVITY_PHASES",
    "BOOKKEEPING",
    "RELATIONSHIP_STATES",
    "REPORTS",
    "RelationshipChain",
    "chain_from_migration",
    "matrix_value",
    "migration_matrix",
    "moments_of_truth",
    "nps_by",
    "relationship_value",
    "stage_migration",
    "state_effects",
    "state_migration",
    "state_moves_by_cause",
    "state_values",
    "states_at",
    "worst_moment_sentence",
    "phase_negatives",
    "negative_shares",
    "referral_ratio",
    "ENGAGEMENT_TOUCHPOINTS",
    "FUNNEL_STAGES",
    "NO_TOUCH",
    "REPAIR_STEPS",
    "STAGES",
    "activity_cycle",
    "activity_phases",
    "advisor_attribution",
    "customer_journey",
    "lifecycle_funnel",
    "repair_journeys",
    "repair_summary",
    "segment_funnel",
    "impressions_summary",
    "journey_paths",
    "stage_funnel",
    "stage_transitions",
    "time_in_stage",
    "top_journeys",
    "touch_attribution",
]

#: Channel label for orders with no touchpoint in the lookback window.
NO_TOUCH = "(none)"
_IMPRESSIONS = IMPRESSIONS


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


# --------------------------------------------------------------------------- course additions
# Lifecycle funnel, activity cycle, one customer's journey, segment funnels and
# the repair journey (appended for notebook 01; the functions above are unchanged).

#: Stages of the CRM funnel, top first.
FUNNEL_STAGES: tuple[str, ...] = (
    "awareness",
    "acquisition",
    "conversion",
    "engagement",
    "retention",
    "win_back",
)
#: Touchpoint kinds that count as engagement or service after the first purchase.
ENGAGEMENT_TOUCHPOINTS: tuple[str, ...] = (
    "message_click",
    "service_contact",
    "advisor_contact",
    "survey",
    "repair",
)
#: Phases of the customer activity cycle, in order.
ACTIVITY_PHASES: tuple[str, ...] = ("pre", "during", "post", "between")
#: The planned steps of a repair journey, by workshop outcome.
REPAIR_STEPS: dict[str, str] = {
    "completed": "received > completed & shipped > thank you",
    "delayed": "received > delay apology > completed & shipped > thank you",
    "rejected": "received > not repairable > advisor call",
}


def lifecycle_funnel(
    leads: pd.DataFrame, orders: pd.DataFrame, touchpoints: pd.DataFrame
) -> pd.DataFrame:
    """The CRM funnel from awareness to win-back, counted from leads, orders and touchpoints.

    Stages (people counted at each):

    - ``awareness`` — every lead: a prospect who noticed the brand and left a trace;
    - ``acquisition`` — leads who engaged (opened a nurturing e-mail or came to an event);
    - ``conversion`` — leads who made a first purchase (became customers);
    - ``engagement`` — converted customers with an engagement or service touchpoint
      (:data:`ENGAGEMENT_TOUCHPOINTS`) after their first order;
    - ``retention`` — converted customers with a second order;
    - ``win_back`` — converted customers who lapsed or were at risk and were won back
      (reached stage ``won_back``).

    Only profiles created from a lead count from ``conversion`` on (duplicate
    registrations have no lead). The stages are not strictly nested (a buyer
    may convert without opening an e-mail), so ``step`` is the ratio of
    consecutive counts.

    Returns
    -------
    pandas.DataFrame
        Indexed by stage (:data:`FUNNEL_STAGES`): ``people``, ``share_of_leads``,
        ``step`` (people / previous stage's people; 1 for awareness), ``definition``.
    """
    check_table(
        leads, "leads", columns=["lead_id", "email_opens", "customer_id"],
        flags=["attended_event", "converted"],
    )  # fmt: skip
    check_table(orders, "orders", columns=["customer_id", "order_id"], datetime=["order_date"])
    tp = _touchpoints(touchpoints, "touchpoint", "stage")
    engaged = (leads["email_opens"] > 0) | leads["attended_event"].astype(bool)
    converted = leads["converted"].astype(bool) & leads["customer_id"].notna()
    buyers = set(leads.loc[converted, "customer_id"].astype("int64").tolist())
    first = orders.groupby("customer_id")["order_date"].min()
    eng = tp[tp["touchpoint"].isin(list(ENGAGEMENT_TOUCHPOINTS))]
    eng = eng[eng["timestamp"] > eng["customer_id"].map(first)]
    repeat = orders.groupby("customer_id").size()
    won = tp.loc[tp["stage"] == "won_back", "customer_id"]
    counts = {
        "awareness": len(leads),
        "acquisition": int(engaged.sum()),
        "conversion": len(buyers),
        "engagement": len(buyers & set(eng["customer_id"].tolist())),
        "retention": len(buyers & set(repeat.index[repeat >= 2].tolist())),
        "win_back": len(buyers & set(won.tolist())),
    }
    definitions = {
        "awareness": "leads (prospects who showed interest)",
        "acquisition": "leads who opened a nurturing e-mail or came to an event",
        "conversion": "leads who made a first purchase",
        "engagement": "customers who clicked, called, answered a survey or met an advisor after buying",
        "retention": "customers with a second order",
        "win_back": "customers who lapsed and were won back",
    }
    out = pd.DataFrame({"people": pd.Series(counts, dtype="int64")})
    out.index.name = "stage"
    top = out["people"].iloc[0]
    out["share_of_leads"] = out["people"] / top if top else np.nan
    prev = out["people"].shift(1)
    step = out["people"] / prev.where(prev > 0)
    step.iloc[0] = 1.0
    out["step"] = step
    out["definition"] = pd.Series(definitions)
    return out


def activity_phases(touchpoints: pd.DataFrame, window_days: float = 14) -> pd.DataFrame:
    """Place every touchpoint in the customer activity cycle around the nearest purchase.

    ``during`` — the purchase itself; ``pre`` (deciding) — a touchpoint at most
    ``window_days`` before the customer's next purchase; ``post`` (reviewing,
    using, getting service) — at most ``window_days`` after their last purchase;
    when both apply the nearer purchase wins (ties go to ``post``);
    ``between`` — everything else. Stage changes are left out (the CRM system
    records them, the customer does not live them).

    Returns
    -------
    pandas.DataFrame
        The touchpoints (without stage changes) with a ``phase`` column.
    """
    if not window_days > 0:
        raise ValueError(f"window_days: must be > 0, got {window_days!r}")
    tp = _touchpoints(touchpoints, "touchpoint")
    tp = tp[tp["touchpoint"] != "stage_change"].reset_index(drop=True)
    buys = tp.loc[tp["touchpoint"] == "purchase", ["customer_id", "timestamp"]]
    buys = buys.assign(buy_at=buys["timestamp"]).sort_values("timestamp", kind="stable")
    left = tp[["customer_id", "timestamp"]].assign(_row=np.arange(len(tp)))
    left = left.sort_values("timestamp", kind="stable")
    prev = pd.merge_asof(left, buys, on="timestamp", by="customer_id", direction="backward")
    nxt = pd.merge_asof(left, buys, on="timestamp", by="customer_id", direction="forward")
    since = (prev["timestamp"] - prev["buy_at"]).dt.total_seconds().to_numpy() / 86_400
    until = (nxt["buy_at"] - nxt["timestamp"]).dt.total_seconds().to_numpy() / 86_400
    since_row = np.full(len(tp), np.nan)
    until_row = np.full(len(tp), np.nan)
    since_row[prev["_row"].to_numpy()] = since
    until_row[nxt["_row"].to_numpy()] = until
    with np.errstate(invalid="ignore"):
        post = since_row <= window_days
        pre = until_row <= window_days
        pre_wins = pre & ~(post & (since_row <= until_row))
    phase = np.where(pre_wins, "pre", np.where(post, "post", "between"))
    phase = np.where(tp["touchpoint"].to_numpy() == "purchase", "during", phase)
    return tp.assign(phase=phase)


def activity_cycle(
    touchpoints: pd.DataFrame, window_days: float = 14, by: str = "touchpoint"
) -> pd.DataFrame:
    """Touchpoints per activity-cycle phase (pre / during / post / between) by ``by``.

    See :func:`activity_phases` for the phases. Rows: the values of ``by``
    (``"touchpoint"`` or ``"channel"``); columns: :data:`ACTIVITY_PHASES`
    (counts) plus ``total``.
    """
    ph = activity_phases(touchpoints, window_days)
    if by not in ph.columns:
        raise ValueError(f"by: expected a touchpoints column such as 'touchpoint', got {by!r}")
    out = pd.crosstab(ph[by], ph["phase"]).reindex(columns=list(ACTIVITY_PHASES), fill_value=0)
    out.columns.name = "phase"
    out["total"] = out.sum(axis=1)
    return out.sort_values("total", ascending=False, kind="stable")


def negative_shares(
    touchpoints: pd.DataFrame, by: str, groups: Sequence[str] | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Share of negative impressions per group of ``by``, with its Wilson interval.

    Parameters
    ----------
    touchpoints
        Rows with an ``impression`` column and the ``by`` column.
    by
        The column to group on (e.g. ``phase`` or ``channel``).
    groups
        The groups to report, in this order; default: every group, sorted.

    Returns
    -------
    pandas.DataFrame
        Index ``by``: ``touchpoints``, ``negative`` (count), ``share`` and its
        Wilson interval ``low`` / ``high``.
    """
    if groups is None:
        groups = sorted(touchpoints[by].unique())
    rows = {}
    for name in groups:
        g = touchpoints[touchpoints[by] == name]
        k = int((g["impression"] == "negative").sum())
        w = wilson_interval(k, len(g), level)
        rows[name] = {
            "touchpoints": len(g),
            "negative": k,
            "share": w["estimate"],
            "low": w["low"],
            "high": w["high"],
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    return out


def phase_negatives(
    touchpoints: pd.DataFrame,
    window_days: float = 14,
    exclude: Sequence[str] = ("stage_change", "survey", "message_complaint"),
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of negative impressions per activity-cycle phase, lived touchpoints only, with intervals.

    Phases as in :func:`activity_phases`. Kinds in ``exclude`` are left out
    before counting, as in :func:`moments_of_truth`: the CRM's stage changes
    (not lived), survey answers and complaints (the customer *reports* an
    impression formed at another touchpoint: a survey sent after a repair would
    otherwise count the repair twice, in the phase of the survey).

    Returns
    -------
    pandas.DataFrame
        Index ``phase``: ``touchpoints``, ``negative`` (count), ``share`` and its
        Wilson interval ``low`` / ``high``; sorted by ``share`` descending.
        ``clear`` (attribute ``attrs["clear"]``) is True when the worst phase's
        interval lies above the next one's.
    """
    ph = activity_phases(touchpoints, window_days)
    ph = ph[~ph["touchpoint"].isin(list(exclude))]
    if ph.empty:
        raise ValueError(
            "touchpoints: no lived touchpoint left after excluding " + ", ".join(exclude)
        )
    out = negative_shares(ph, "phase", level=level)
    out = out.sort_values("share", ascending=False, kind="stable")
    out.attrs["clear"] = bool(len(out) > 1 and out["low"].iloc[0] > out["high"].iloc[1])
    return out


def referral_ratio(
    effects: pd.DataFrame, a: str = "committed", b: str = "cooling", level: float = 0.95
) -> dict[str, float]:
    """How many times as many new customers state ``a`` refers per person-year as state ``b``.

    ``effects`` is :func:`state_effects`; the ratio of the two Poisson rates
    gets its exact conditional interval
    (:func:`sim.analytics.intervals.rate_ratio_interval`): referrals are rare,
    so a ratio printed without its range overstates what the data know.
    """
    for s in (a, b):
        if s not in effects.index:
            raise ValueError(
                f"state: {s!r} is not in the effects table ({', '.join(effects.index)})"
            )
    return rate_ratio_interval(
        int(effects.loc[a, "referrals"]),
        float(effects.loc[a, "person_years"]),
        int(effects.loc[b, "referrals"]),
        float(effects.loc[b, "person_years"]),
        level,
    )


def customer_journey(touchpoints: pd.DataFrame, customer_id: int) -> pd.DataFrame:
    """One customer's touchpoints in time order, with ``day`` (days since their first one).

    Raises ``KeyError`` if the customer has no touchpoint.
    """
    tp = touchpoints[touchpoints["customer_id"].to_numpy() == int(customer_id)]
    if tp.empty:
        raise KeyError(f"customer_id {customer_id} has no touchpoints")
    tp = _touchpoints(tp, "channel", "touchpoint", "stage", "impression")
    start = tp["timestamp"].iloc[0]
    return tp.assign(day=(tp["timestamp"] - start).dt.total_seconds() / 86_400)


def segment_funnel(touchpoints: pd.DataFrame, customer_ids) -> pd.DataFrame:
    """Share of a segment's customers that ever reached each lifecycle stage, beside everyone's.

    Returns
    -------
    pandas.DataFrame
        Indexed by stage (:data:`STAGES`): ``segment`` and ``everyone`` shares
        (0–1), ``difference`` (segment − everyone) and ``customers`` in the segment.
    """
    ids = pd.Index(pd.Series(list(customer_ids), dtype="int64").unique())
    everyone = stage_funnel(touchpoints)
    seg = touchpoints[touchpoints["customer_id"].isin(ids)]
    if seg.empty:
        raise ValueError("customer_ids: none of these customers has a touchpoint")
    mine = stage_funnel(seg)
    out = pd.DataFrame(
        {"segment": mine["share"], "everyone": everyone["share"]}, index=everyone.index
    )
    out["difference"] = out["segment"] - out["everyone"]
    out["customers"] = int(seg["customer_id"].nunique())
    return out


def repair_journeys(
    tickets: pd.DataFrame,
    messages: pd.DataFrame,
    advisor_tasks: pd.DataFrame | None = None,
    surveys: pd.DataFrame | None = None,
    slack_days: float = 2,
) -> pd.DataFrame:
    """One row per repair: outcome, lead time and the messages, calls and survey around it.

    A repair starts when the item is received (``created_at`` of a ticket with
    reason ``repair``) and ends ``repair_days`` later. ``updates`` counts the
    customer's ``repair_update`` messages from reception to the end plus
    ``slack_days`` (overlapping repairs of one customer share them);
    ``advisor_call`` is a ``repair_call`` task for the customer in that window
    plus 14 days; ``nps`` is the answer to the survey about the ticket (NaN if
    none). ``planned_steps`` spells the journey the brand designed for that
    outcome (:data:`REPAIR_STEPS`).
    """
    check_table(
        tickets, "tickets", columns=["ticket_id", "customer_id", "reason", "repair_outcome"],
        datetime=["created_at"], allow_empty=True,
    )  # fmt: skip
    check_table(
        messages, "messages", columns=["customer_id", "message_type", "channel"],
        datetime=["sent_at"], allow_empty=True,
    )  # fmt: skip
    rep = tickets.loc[tickets["reason"] == "repair"].copy()
    cols = ["ticket_id", "customer_id", "received", "outcome", "repair_days", "ready"]
    rep["received"] = rep["created_at"]
    rep["outcome"] = rep["repair_outcome"]
    rep["repair_days"] = rep["repair_days"].astype("float64").fillna(0.0)
    rep["ready"] = rep["received"] + pd.to_timedelta(rep["repair_days"], unit="D")
    rep = rep[cols].reset_index(drop=True)
    upd = messages.loc[
        messages["message_type"] == "repair_update", ["customer_id", "sent_at", "channel"]
    ]
    m = rep[["ticket_id", "customer_id", "received", "ready"]].merge(upd, on="customer_id")
    slack = pd.Timedelta(days=slack_days)
    m = m[(m["sent_at"] >= m["received"]) & (m["sent_at"] <= m["ready"] + slack)]
    rep["updates"] = rep["ticket_id"].map(m.groupby("ticket_id").size()).fillna(0).astype("int64")
    chans = m.groupby("ticket_id")["channel"].agg(lambda s: ", ".join(sorted(set(s))))
    rep["update_channels"] = rep["ticket_id"].map(chans).fillna("-")
    rep["advisor_call"] = False
    if advisor_tasks is not None and len(advisor_tasks):
        calls = advisor_tasks.loc[
            advisor_tasks["task_type"] == "repair_call", ["customer_id", "created_at"]
        ]
        c = rep[["ticket_id", "customer_id", "received", "ready"]].merge(calls, on="customer_id")
        c = c[
            (c["created_at"] >= c["received"])
            & (c["created_at"] <= c["ready"] + pd.Timedelta(days=14))
        ]
        rep["advisor_call"] = rep["ticket_id"].isin(c["ticket_id"])
    rep["nps"] = np.nan
    if surveys is not None and len(surveys):
        nps = surveys.dropna(subset=["ticket_id"]).groupby("ticket_id")["nps"].mean()
        rep["nps"] = rep["ticket_id"].map(nps).astype("float64")
    rep["planned_steps"] = rep["outcome"].map(REPAIR_STEPS).fillna("-")
    return rep


def repair_summary(journeys: pd.DataFrame) -> pd.DataFrame:
    """Per repair outcome: repairs, share, mean lead time, updates, advisor calls, NPS with interval.

    NPS is % promoters (9–10) − % detractors (0–6) of the repair surveys, in
    points, with its 95 % interval (``nps_low``, ``nps_high``) and ``answers``.

    Takes the output of :func:`repair_journeys`. Rows in the order completed,
    delayed, rejected (those present), then ``all``.
    """
    check_table(
        journeys, "repair journeys", columns=["ticket_id", "outcome"],
        numeric=["repair_days", "updates"], flags=["advisor_call"], allow_empty=True,
    )  # fmt: skip
    g = journeys.groupby("outcome")
    out = pd.DataFrame(
        {
            "repairs": g.size(),
            "mean_days": g["repair_days"].mean(),
            "updates_per_repair": g["updates"].mean(),
            "advisor_call_share": g["advisor_call"].mean(),
        }
    )
    order = [o for o in REPAIR_STEPS if o in out.index] + [
        o for o in out.index if o not in REPAIR_STEPS
    ]
    out = out.reindex(order)
    out.loc["all"] = [
        len(journeys),
        journeys["repair_days"].mean(),
        journeys["updates"].mean(),
        journeys["advisor_call"].mean(),
    ]
    out["repairs"] = out["repairs"].astype("int64")
    out["share"] = out["repairs"] / max(len(journeys), 1)
    # NPS by its definition (% promoters − % detractors), never the mean score
    scores = journeys[["outcome", "nps"]].dropna() if "nps" in journeys else None
    if scores is not None:
        nps = nps_by(scores, "outcome") if len(scores) else pd.DataFrame()
        nps = pd.concat([nps, nps_by(scores)]) if len(scores) else nps
        for col in ("answers", "nps", "nps_low", "nps_high"):
            out[col] = nps[col].reindex(out.index) if col in nps else np.nan
        out["answers"] = out["answers"].fillna(0).astype("int64")
    out.index.name = "outcome"
    return out


# --------------------------------------------------------------------------- relationships
# Moments of truth ranked by what they name, migration matrices that include
# staying, NPS by its definition, and the relationship-state chain of the world
# (committed / engaged / cooling / lost) with its retention and value.

#: Touchpoint kinds the CRM system records but the customer does not live.
BOOKKEEPING: tuple[str, ...] = ("stage_change",)
#: Touchpoint kinds where the customer *reports* an impression formed elsewhere
#: (a survey answer, an unsubscribe or spam complaint): not moments the brand delivers.
REPORTS: tuple[str, ...] = ("survey", "message_complaint")
#: The world's relationship states, best first.
RELATIONSHIP_STATES: tuple[str, ...] = ("committed", "engaged", "cooling", "lost")
_STATE_RANK = {s: i for i, s in enumerate(RELATIONSHIP_STATES)}


def moments_of_truth(
    touchpoints: pd.DataFrame,
    by: str | list[str] = "touchpoint",
    exclude: Sequence[str] = BOOKKEEPING + REPORTS,
    level: float = 0.95,
) -> pd.DataFrame:
    """Touchpoints ranked worst first by their **share of negative impressions**, with intervals.

    A moment of truth is bad when it leaves many customers with a negative
    impression; a net score (positive − negative) would instead rank an
    all-neutral bookkeeping event worst. Kinds in ``exclude`` are left out
    (by default the CRM's stage changes, and surveys and complaints, where the
    customer reports an impression rather than forms one).

    Returns
    -------
    pandas.DataFrame
        Per group of ``by``: ``touchpoints``, ``positive``, ``neutral``,
        ``negative`` (shares 0–1), ``negative_low`` / ``negative_high`` (Wilson
        interval at ``level``) and ``net``; sorted by ``negative`` descending
        (ties: more touchpoints first).
    """
    tp = touchpoints
    if "touchpoint" in tp.columns and len(exclude):
        tp = tp[~tp["touchpoint"].isin(list(exclude))]
    if tp.empty:
        raise ValueError("touchpoints: no touchpoint left after excluding " + ", ".join(exclude))
    out = impressions_summary(tp, by=by)
    neg = np.rint(out["negative"] * out["touchpoints"]).astype("int64")
    ci = [
        wilson_interval(int(k), int(n), level) for k, n in zip(neg, out["touchpoints"], strict=True)
    ]
    out["negative_low"] = [c["low"] for c in ci]
    out["negative_high"] = [c["high"] for c in ci]
    out = out[
        ["touchpoints", "positive", "neutral", "negative", "negative_low", "negative_high", "net"]
    ]
    return out.sort_values(["negative", "touchpoints"], ascending=[False, False], kind="stable")


def worst_moment_sentence(moments: pd.DataFrame) -> str:
    """One sentence naming the worst moment of truth and whether it is clearly worse than the next."""
    if len(moments) == 0:
        return "No touchpoint to rank."
    first = moments.iloc[0]
    name = (
        " / ".join(map(str, moments.index[0]))
        if isinstance(moments.index[0], tuple)
        else str(moments.index[0])
    )
    text = (
        f"Worst moment of truth: {name}, {first['negative']:.1%} negative impressions "
        f"(95 % interval {first['negative_low']:.1%}–{first['negative_high']:.1%}, "
        f"{int(first['touchpoints']):,} touchpoints)"
    )
    if len(moments) > 1:
        second = moments.iloc[1]
        other = (
            " / ".join(map(str, moments.index[1]))
            if isinstance(moments.index[1], tuple)
            else str(moments.index[1])
        )
        clear = first["negative_low"] > second["negative_high"]
        text += (
            f"; {'clearly' if clear else 'not clearly (the intervals overlap)'} worse than "
            f"the next, {other} ({second['negative']:.1%})."
        )
    return text if text.endswith(".") else text + "."


def _boundaries(start: pd.Timestamp, end: pd.Timestamp, period_days: float) -> pd.DatetimeIndex:
    if not period_days > 0:
        raise ValueError(f"period_days: must be > 0, got {period_days!r}")
    step = pd.Timedelta(days=period_days)
    n = int((end - start) / step)
    if n < 1:
        raise ValueError(
            f"period_days: {period_days} is longer than the data ({(end - start).days} days)"
        )
    return pd.DatetimeIndex([start + k * step for k in range(n + 1)])


def states_at(
    events: pd.DataFrame, when: Sequence, id_col: str, state_col: str, time_col: str = "timestamp"
) -> pd.DataFrame:
    """Each id's state at each moment of ``when``: the state of its last event at or before it.

    Returns a long table ``id_col, at, state`` (ids with no event yet at a
    moment are left out for that moment).
    """
    ev = events[[id_col, time_col, state_col]].dropna(subset=[time_col])
    ev = ev.sort_values(time_col, kind="stable")
    ids = ev[id_col].unique()
    when = pd.DatetimeIndex(when)
    grid = pd.DataFrame(
        {id_col: np.repeat(ids, len(when)), "at": np.tile(when.to_numpy(), len(ids))}
    ).sort_values("at", kind="stable")
    got = pd.merge_asof(
        grid, ev.rename(columns={time_col: "at"}), on="at", by=id_col, direction="backward"
    )
    got = got.dropna(subset=[state_col]).rename(columns={state_col: "state"})
    return got.sort_values([id_col, "at"], kind="stable", ignore_index=True)


def migration_matrix(
    events: pd.DataFrame,
    id_col: str,
    state_col: str,
    states: Sequence[str],
    period_days: float = 91,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    time_col: str = "timestamp",
    normalize: bool = True,
) -> pd.DataFrame:
    """Per-period migration matrix: P(state at the next boundary | state at this one), staying included.

    The horizon is cut into periods of ``period_days`` from ``start`` (default:
    the first event); everyone whose state is known at a boundary counts once
    per period in the row of that state, whether they moved or stayed, so each
    row sums to one and the diagonal is the share who stayed. A matrix of
    observed *moves* only (no staying) would say "lapsed → won back 100 %"
    when most lapsed customers simply stay lapsed.

    Returns
    -------
    pandas.DataFrame
        Rows ``from``, columns ``to`` in ``states`` order: row shares
        (``normalize=True``) or person-period counts; the counts of each row
        are in the column ``n`` when normalised.
    """
    ev = events
    start = pd.Timestamp(start) if start is not None else ev[time_col].min()
    end = pd.Timestamp(end) if end is not None else ev[time_col].max()
    bounds = _boundaries(start, end, period_days)
    at = states_at(ev, bounds, id_col, state_col, time_col)
    bad = ~at["state"].isin(list(states))
    if bad.any():
        raise ValueError(
            f"{state_col}: value {at.loc[bad, 'state'].iloc[0]!r} not in {', '.join(states)}"
        )
    nxt = at.groupby(id_col)["state"].shift(-1)
    pair = nxt.notna()
    counts = pd.crosstab(
        pd.Categorical(at.loc[pair, "state"], categories=list(states)),
        pd.Categorical(nxt[pair], categories=list(states)),
        dropna=False,
    )
    counts.index.name, counts.columns.name = "from", "to"
    counts.index, counts.columns = list(states), list(states)
    counts.index.name, counts.columns.name = "from", "to"
    if not normalize:
        return counts.astype("int64")
    totals = counts.sum(axis=1)
    out = counts.div(totals.where(totals > 0), axis=0)
    out["n"] = totals.astype("int64")
    return out


def stage_migration(
    touchpoints: pd.DataFrame, period_days: float = 91, normalize: bool = True
) -> pd.DataFrame:
    """:func:`migration_matrix` of the lifecycle stages recorded on the touchpoints."""
    tp = _stages(touchpoints)
    return migration_matrix(
        tp, "customer_id", "stage", STAGES, period_days=period_days, normalize=normalize
    )


def state_migration(
    truth_states: pd.DataFrame,
    period_days: float = 91,
    end: pd.Timestamp | str | None = None,
    normalize: bool = True,
) -> pd.DataFrame:
    """:func:`migration_matrix` of the world's relationship states (``truth_states.to_state``)."""
    check_table(
        truth_states, "truth_states", columns=["person_id", "to_state"], datetime=["timestamp"]
    )
    return migration_matrix(
        truth_states, "person_id", "to_state", RELATIONSHIP_STATES,
        period_days=period_days, end=end, normalize=normalize,
    )  # fmt: skip


def nps_by(
    surveys: pd.DataFrame, by: str | Sequence[str] | None = None, level: float = 0.95
) -> pd.DataFrame:
    """NPS (% promoters 9–10 − % detractors 0–6) per group, with its interval.

    Returns
    -------
    pandas.DataFrame
        Per group (or one row ``all``): ``answers``, ``promoters``,
        ``detractors`` (shares 0–1), ``nps`` (points, −100 to 100),
        ``nps_low`` / ``nps_high`` (:func:`sim.analytics.intervals.nps_interval`).
    """
    cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    check_table(surveys, "surveys", columns=["nps", *cols], allow_empty=True)

    def one(scores: pd.Series) -> dict:
        r = nps_interval(scores.dropna().to_numpy(dtype="float64"), level)
        return {
            "answers": int(r["n"]),
            "promoters": r["promoters"],
            "detractors": r["detractors"],
            "nps": r["estimate"],
            "nps_low": r["low"],
            "nps_high": r["high"],
        }

    if not cols:
        return pd.DataFrame([one(surveys["nps"])], index=pd.Index(["all"]))
    keys = cols[0] if len(cols) == 1 else cols
    rows = {key: one(g["nps"]) for key, g in surveys.groupby(keys, sort=True)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = cols if len(cols) > 1 else [cols[0]]
    return out


def _person_states(truth_states: pd.DataFrame) -> pd.DataFrame:
    check_table(
        truth_states, "truth_states", columns=["person_id", "from_state", "to_state", "cause"],
        datetime=["timestamp"],
    )  # fmt: skip
    return truth_states.sort_values(["timestamp", "person_id"], kind="stable")


def state_moves_by_cause(truth_states: pd.DataFrame) -> pd.DataFrame:
    """What moves relationships: per cause, the state changes up, down, and the share down.

    Up / down are by the order :data:`RELATIONSHIP_STATES` (committed best);
    acquisitions are left out (no state before).
    """
    ts = _person_states(truth_states)
    ts = ts[ts["from_state"].isin(RELATIONSHIP_STATES)]
    step = ts["to_state"].map(_STATE_RANK) - ts["from_state"].map(_STATE_RANK)
    out = (
        pd.DataFrame(
            {
                "changes": ts.groupby("cause").size(),
                "up": (step < 0).groupby(ts["cause"]).sum(),
                "down": (step > 0).groupby(ts["cause"]).sum(),
            }
        )
        .fillna(0)
        .astype("int64")
    )
    out["down_share"] = out["down"] / out["changes"]
    out.index.name = "cause"
    return out.sort_values(["down_share", "changes"], ascending=[False, False])


def _state_person_time(truth_states: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """Person-years spent in each state up to ``end``."""
    ts = _person_states(truth_states).sort_values(["person_id", "timestamp"], kind="stable")
    nxt = ts.groupby("person_id")["timestamp"].shift(-1).fillna(end)
    years = (nxt.clip(upper=end) - ts["timestamp"]).dt.total_seconds().clip(lower=0) / (
        365.25 * 86_400
    )
    return years.groupby(ts["to_state"]).sum().reindex(list(RELATIONSHIP_STATES), fill_value=0.0)


def _state_of(truth_states: pd.DataFrame, person: pd.Series, when: pd.Series) -> pd.Series:
    """The relationship state of each (person, moment), just before the moment."""
    ts = _person_states(truth_states)[["person_id", "timestamp", "to_state"]]
    left = pd.DataFrame({"person_id": person.to_numpy(), "at": pd.DatetimeIndex(when)})
    left["_row"] = np.arange(len(left))
    left = left.dropna(subset=["person_id", "at"]).astype({"person_id": "int64"})
    left = left.sort_values("at", kind="stable")
    got = pd.merge_asof(
        left, ts.rename(columns={"timestamp": "at"}), on="at", by="person_id",
        direction="backward", allow_exact_matches=False,
    )  # fmt: skip
    out = pd.Series(np.full(len(person), None, dtype=object))
    out.iloc[got["_row"].to_numpy()] = got["to_state"].to_numpy()
    return out


def _poisson_interval(k: int, exposure: float, level: float) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson rate k / exposure."""
    from scipy import stats

    if exposure <= 0:
        return (np.nan, np.nan)
    a = 1 - level
    low = stats.chi2.ppf(a / 2, 2 * k) / 2 if k > 0 else 0.0
    high = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2
    return (low / exposure, high / exposure)


def state_effects(
    truth_states: pd.DataFrame,
    truth: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    level: float = 0.95,
) -> pd.DataFrame:
    """What each relationship state does to buying and to word of mouth, per person-year.

    ``orders_per_year`` counts orders placed while the buyer was in the state
    (the state just before the order); ``referrals_per_year`` counts new
    profiles referred (``customers.referred_by``) while the referrer was in it;
    both per person-year spent in the state, with exact Poisson intervals.
    Revenue per person-year is ``revenue_per_year``.
    """
    check_table(truth, "truth", columns=["customer_id", "person_id"])
    check_table(
        orders, "orders", columns=["customer_id"], numeric=["net_amount"], datetime=["order_date"]
    )
    check_table(
        customers, "customers", columns=["customer_id", "referred_by"], datetime=["signup_date"]
    )
    pid = truth.set_index("customer_id")["person_id"]
    end = max(truth_states["timestamp"].max(), orders["order_date"].max())
    years = _state_person_time(truth_states, end)
    o_state = _state_of(truth_states, orders["customer_id"].map(pid), orders["order_date"])
    ref = customers.dropna(subset=["referred_by"])
    r_state = _state_of(
        truth_states, ref["referred_by"].astype("int64").map(pid), ref["signup_date"]
    )
    n_orders = o_state.value_counts().reindex(list(RELATIONSHIP_STATES), fill_value=0)
    revenue = (
        pd.Series(orders["net_amount"].to_numpy()).groupby(o_state.to_numpy()).sum()
        .reindex(list(RELATIONSHIP_STATES), fill_value=0.0)
    )  # fmt: skip
    n_ref = r_state.value_counts().reindex(list(RELATIONSHIP_STATES), fill_value=0)
    out = pd.DataFrame({"person_years": years, "orders": n_orders, "referrals": n_ref})
    out["orders_per_year"] = out["orders"] / out["person_years"].where(out["person_years"] > 0)
    out["revenue_per_year"] = revenue / out["person_years"].where(out["person_years"] > 0)
    out["referrals_per_year"] = out["referrals"] / out["person_years"].where(
        out["person_years"] > 0
    )
    ci = [
        _poisson_interval(int(k), float(t), level)
        for k, t in zip(out["referrals"], out["person_years"], strict=True)
    ]
    out["referrals_low"] = [c[0] for c in ci]
    out["referrals_high"] = [c[1] for c in ci]
    out.index.name = "state"
    return out


# ----------------------------------------------------------------- the relationship chain


@dataclass(frozen=True)
class RelationshipChain:
    """A Markov chain of relationship states per period, for the retention/value explorer.

    Each period a customer in committed, engaged or cooling moves one state up
    with probability ``up`` (committed stays), one state down with probability
    ``down`` (cooling → lost), else stays; a lost customer is won back (to
    cooling) with probability ``win_back``. ``start`` is the share of new
    customers in committed, engaged, cooling; ``value`` the revenue per period
    of a customer in committed, engaged, cooling (lost is worth nothing);
    ``discount`` the discount rate per period.
    """

    up: float = 0.1
    down: float = 0.1
    win_back: float = 0.0
    periods: int = 12
    start: tuple[float, float, float] = (0.15, 0.5, 0.35)
    value: tuple[float, float, float] = (300.0, 150.0, 50.0)
    discount: float = 0.02

    def __post_init__(self) -> None:
        for name in ("up", "down", "win_back"):
            p = getattr(self, name)
            if not 0 <= p <= 1:
                raise ValueError(f"{name}: a probability per period in [0, 1], got {p!r}")
        if self.up + self.down > 1:
            raise ValueError(f"up + down: at most 1 per period, got {self.up + self.down!r}")
        if not (isinstance(self.periods, int) and self.periods >= 1):
            raise ValueError(f"periods: a whole number >= 1, got {self.periods!r}")
        if len(self.start) != 3 or min(self.start) < 0 or not np.isclose(sum(self.start), 1):
            raise ValueError(
                f"start: three shares (committed, engaged, cooling) summing to 1, got {self.start!r}"
            )
        if len(self.value) != 3:
            raise ValueError(
                f"value: three values (committed, engaged, cooling), got {self.value!r}"
            )
        if not self.discount > -1:
            raise ValueError(f"discount: a rate per period > -1, got {self.discount!r}")

    def matrix(self) -> np.ndarray:
        """The 4×4 transition matrix (rows from, columns to; committed, engaged, cooling, lost)."""
        u, d, w = self.up, self.down, self.win_back
        return np.array(
            [
                [1 - d, d, 0, 0],
                [u, 1 - u - d, d, 0],
                [0, u, 1 - u - d, d],
                [0, 0, w, 1 - w],
            ]
        )


def chain_from_migration(
    matrix: pd.DataFrame, periods: int = 12, start=None, value=None, discount: float = 0.02
) -> RelationshipChain:
    """The up / down / win-back probabilities of a measured :func:`state_migration` matrix.

    ``up`` and ``down`` are the person-period-weighted means of the one-step
    moves out of the three living states (rows ``n``); ``win_back`` is lost →
    any living state. Moves of two states at once count as one step.
    """
    m = matrix
    n = m["n"].astype("float64")
    living = ["committed", "engaged", "cooling"]
    ups = {
        "engaged": m.loc["engaged", "committed"],
        "cooling": m.loc["cooling", ["engaged", "committed"]].sum(),
    }
    downs = {
        "committed": m.loc["committed", ["engaged", "cooling", "lost"]].sum(),
        "engaged": m.loc["engaged", ["cooling", "lost"]].sum(),
        "cooling": m.loc["cooling", "lost"],
    }
    up = float(sum(ups[s] * n[s] for s in ups) / n[list(ups)].sum())
    down = float(sum(downs[s] * n[s] for s in living) / n[living].sum())
    win = float(1 - m.loc["lost", "lost"]) if n["lost"] > 0 else 0.0
    kwargs = {"up": up, "down": down, "win_back": win, "periods": periods, "discount": discount}
    if start is not None:
        kwargs["start"] = tuple(float(x) for x in start)
    if value is not None:
        kwargs["value"] = tuple(float(x) for x in value)
    return RelationshipChain(**kwargs)


def _propagate(t: np.ndarray, start, value, periods: int, discount: float) -> pd.DataFrame:
    p = np.zeros((periods + 1, 4))
    p[0, :3] = start
    for k in range(periods):
        p[k + 1] = p[k] @ t
    per = p[:, :3] @ np.asarray(value, dtype="float64")
    disc = (1 + discount) ** -np.arange(periods + 1)
    out = pd.DataFrame(p, columns=list(RELATIONSHIP_STATES))
    out.index.name = "period"
    out["retained"] = 1 - out["lost"]
    out["value"] = per * disc
    out["cumulative_value"] = out["value"].cumsum()
    return out


def relationship_value(chain: RelationshipChain) -> pd.DataFrame:
    """Retention curve and expected value of a new customer under ``chain`` (pure, fast).

    Returns
    -------
    pandas.DataFrame
        One row per period 0..``periods``: the share in each state at the start
        of the period, ``retained`` (= 1 − lost), ``value`` (expected revenue in
        the period, discounted to period 0) and ``cumulative_value``.
    """
    return _propagate(chain.matrix(), chain.start, chain.value, chain.periods, chain.discount)


def matrix_value(matrix: pd.DataFrame, chain: RelationshipChain) -> pd.DataFrame:
    """:func:`relationship_value` with a measured migration matrix in place of the chain's.

    ``matrix`` is :func:`state_migration` (its ``n`` column is ignored); the
    start shares, values, horizon and discount come from ``chain``.
    """
    t = matrix[list(RELATIONSHIP_STATES)].reindex(list(RELATIONSHIP_STATES)).to_numpy(float)
    if not np.allclose(t.sum(axis=1), 1):
        raise ValueError("matrix: every row must sum to 1 (a migration matrix with staying)")
    return _propagate(t, chain.start, chain.value, chain.periods, chain.discount)


def state_values(
    truth_states: pd.DataFrame,
    truth: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    period_days: float = 91,
) -> tuple[float, float, float]:
    """Revenue per period of a customer in committed, engaged, cooling (from :func:`state_effects`)."""
    eff = state_effects(truth_states, truth, orders, customers)
    per = eff["revenue_per_year"].reindex(["committed", "engaged", "cooling"]).fillna(0.0)
    return tuple(float(v) * period_days / 365.25 for v in per)
