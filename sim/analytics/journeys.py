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
from sim.vocab import IMPRESSIONS, STAGES

__all__ = [
    "ACTIVITY_PHASES",
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
    """Per repair outcome: repairs, share, mean lead time, updates, advisor calls, NPS.

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
            "mean_nps": g["nps"].mean(),
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
        journeys["nps"].mean(),
    ]
    out["repairs"] = out["repairs"].astype("int64")
    out["share"] = out["repairs"] / max(len(journeys), 1)
    out.index.name = "outcome"
    return out
