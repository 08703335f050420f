"""Service and customer experience: NPS, CSAT, CES, call-centre KPIs and Erlang C staffing.

Survey scores come from the ``surveys`` table (``nps`` 0–10, ``csat`` 1–5,
``ces`` 1–7 with 1 = very easy), contact KPIs from the ``tickets`` table. The
Erlang C functions size a call centre: given an arrival rate, a mean handle
time and a number of agents, how likely is a caller to wait, how long, and
what share is answered within a threshold. Time units are the caller's
choice as long as ``arrival_rate`` and ``handle_time`` use the same one
(e.g. calls per minute and minutes); waits come back in that unit.

>>> round(nps(pd.Series([10, 9, 8, 3])), 1)
25.0
>>> round(erlang_c(arrival_rate=2.0, handle_time=1.0, agents=3).p_wait, 4)
0.4444
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table, require_columns
from sim.analytics.intervals import mean_interval, nps_interval, wilson_interval
from sim.analytics.journeys import negative_shares

__all__ = [
    "app_adoption",
    "sentiment_like_for_like",
    "ErlangA",
    "ErlangC",
    "abandonment_rate",
    "advisor_contact_lift",
    "advisor_effect",
    "advisor_effect_by_window",
    "advisor_truth_check",
    "against_claim",
    "ces",
    "ces_easy_share",
    "churn_by_service_experience",
    "client_types",
    "csat",
    "csat_mean",
    "effort_by_channel",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "experience_summary",
    "nps",
    "nps_by",
    "observed_service_level",
    "phone_arrival_rate",
    "required_agents",
    "service_churn_truth",
    "service_level",
    "staffing_at",
    "staffing_curves",
    "staffing_table",
    "ticket_summary",
    "touchpoint_sentiment",
]

_RANGES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


# --------------------------------------------------------------------------- scores


def _scores(data: pd.DataFrame | pd.Series, column: str, name: str = "surveys") -> pd.Series:
    """The validated score column: numeric, whole numbers, inside the scale's range."""
    if isinstance(data, pd.Series):
        data = data.to_frame(column)
    check_table(data, name, numeric=[column])
    s = data[column].astype("float64")
    lo, hi = _RANGES[column]
    bad = s[(s < lo) | (s > hi) | (s != np.floor(s))]
    if len(bad):
        raise ValueError(
            f"{name}.{column}: {len(bad)} value(s) outside the whole numbers {lo}–{hi} "
            f"(e.g. {bad.iloc[0]:g})"
        )
    return s


def nps(surveys: pd.DataFrame | pd.Series, column: str = "nps") -> float:
    """Net Promoter Score in points (−100..100): % promoters (9–10) minus % detractors (0–6).

    ``surveys`` is the surveys table (its ``nps`` column is used) or a Series of scores.
    """
    s = _scores(surveys, column)
    return float(100.0 * ((s >= 9).mean() - (s <= 6).mean()))


def client_types(surveys: pd.DataFrame | pd.Series, column: str = "nps") -> pd.DataFrame:
    """Counts and shares of detractors (0–6), passives (7–8) and promoters (9–10)."""
    s = _scores(surveys, column)
    kind = pd.cut(s, bins=[-0.5, 6.5, 8.5, 10.5], labels=["detractors", "passives", "promoters"])
    counts = kind.value_counts().reindex(["detractors", "passives", "promoters"], fill_value=0)
    out = pd.DataFrame({"count": counts.astype("int64"), "share": counts / len(s)})
    out.index.name = "client_type"
    return out


def csat(surveys: pd.DataFrame | pd.Series, column: str = "csat") -> float:
    """CSAT as the share (0–1) of satisfied answers: 4 or 5 on the 1–5 scale."""
    return float((_scores(surveys, column) >= 4).mean())


def csat_mean(surveys: pd.DataFrame | pd.Series, column: str = "csat") -> float:
    """Mean satisfaction on the 1–5 scale."""
    return float(_scores(surveys, column).mean())


def ces(surveys: pd.DataFrame | pd.Series, column: str = "ces") -> float:
    """Mean customer effort score on the 1–7 scale (lower is easier)."""
    return float(_scores(surveys, column).mean())


def ces_easy_share(
    surveys: pd.DataFrame | pd.Series, column: str = "ces", easy_max: int = 3
) -> float:
    """Share (0–1) of "easy" answers: effort at most ``easy_max`` (default 1–3 of 1–7)."""
    return float((_scores(surveys, column) <= easy_max).mean())


def experience_summary(surveys: pd.DataFrame, by: str | list[str] | None = None) -> pd.DataFrame:
    """NPS, client-type shares, CSAT and CES in one table, overall or per group.

    Parameters
    ----------
    surveys
        The surveys table (``nps``, ``csat``, ``ces`` columns).
    by
        Optional grouping column(s), e.g. ``"trigger"``. Without it, one row ``"all"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``responses, nps, detractors, passives, promoters, csat,
        csat_mean, ces_mean, ces_easy`` (shares in 0–1, NPS in points).
    """
    check_table(surveys, "surveys", numeric=["nps", "csat", "ces"])
    for col in ("nps", "csat", "ces"):
        _scores(surveys, col)
    groups = [("all", surveys)] if by is None else list(surveys.groupby(by, sort=True))
    rows = {}
    for key, g in groups:
        n = g["nps"]
        rows[key] = {
            "responses": len(g),
            "nps": 100.0 * ((n >= 9).mean() - (n <= 6).mean()),
            "detractors": (n <= 6).mean(),
            "passives": n.between(7, 8).mean(),
            "promoters": (n >= 9).mean(),
            "csat": (g["csat"] >= 4).mean(),
            "csat_mean": g["csat"].mean(),
            "ces_mean": g["ces"].mean(),
            "ces_easy": (g["ces"] <= 3).mean(),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by if isinstance(by, str) else None
    return out


# --------------------------------------------------------------------------- tickets


def _queued(tickets: pd.DataFrame, channel: str | None) -> pd.DataFrame:
    check_table(tickets, "tickets", columns=["channel"], flags=["abandoned"])
    out = tickets if channel is None else tickets[tickets["channel"] == channel]
    if out.empty:
        raise ValueError(f"tickets.channel: no contacts on channel {channel!r}")
    return out


def abandonment_rate(tickets: pd.DataFrame, channel: str | None = "phone") -> float:
    """Share of contacts abandoned (caller hung up before being answered).

    Only the queued ``channel`` counts (default ``"phone"``; ``None`` for all tickets).
    """
    return float(_queued(tickets, channel)["abandoned"].astype(bool).mean())


def observed_service_level(
    tickets: pd.DataFrame, threshold_minutes: float = 20 / 60, channel: str | None = "phone"
) -> float:
    """Share of contacts answered within ``threshold_minutes`` (default 20 s, the "80/20" rule).

    Abandoned contacts count as *not answered*, whatever their wait: the
    denominator is every offered contact on the channel, the numerator the
    answered ones with ``wait_minutes <= threshold_minutes``. (Some call
    centres drop short abandons from the denominator; we do not, so the figure
    is comparable with Erlang C, which has no abandonment.)
    """
    if not threshold_minutes >= 0:
        raise ValueError(f"threshold_minutes: must be >= 0, got {threshold_minutes}")
    t = _queued(tickets, channel)
    check_table(t, "tickets", non_negative=["wait_minutes"])
    answered = ~t["abandoned"].astype(bool) & (t["wait_minutes"] <= threshold_minutes)
    return float(answered.mean())


def ticket_summary(tickets: pd.DataFrame, by: str | list[str] = "channel") -> pd.DataFrame:
    """Contact KPIs per group: volume, abandonment, mean wait, first-contact resolution, effort.

    ``fcr`` is the share resolved with one contact (``resolved`` and
    ``contacts_to_resolve == 1``); ``mean_wait`` is over all contacts in minutes.
    """
    check_table(
        tickets,
        "tickets",
        columns=[by] if isinstance(by, str) else by,
        numeric=["effort_score", "contacts_to_resolve"],
        non_negative=["wait_minutes"],
        flags=["abandoned", "resolved"],
    )
    t = tickets.assign(
        _fcr=tickets["resolved"].astype(bool) & (tickets["contacts_to_resolve"] == 1),
        _abandoned=tickets["abandoned"].astype(bool),
        _resolved=tickets["resolved"].astype(bool),
    )
    return t.groupby(by, sort=True).agg(
        contacts=("_abandoned", "size"),
        abandonment=("_abandoned", "mean"),
        mean_wait=("wait_minutes", "mean"),
        resolved=("_resolved", "mean"),
        fcr=("_fcr", "mean"),
        mean_contacts=("contacts_to_resolve", "mean"),
        mean_effort=("effort_score", "mean"),
    )


def _check_tickets(tickets: pd.DataFrame, window_days: float) -> None:
    check_table(
        tickets,
        "tickets",
        columns=["customer_id"],
        numeric=["effort_score"],
        datetime=["created_at"],
        flags=["abandoned"],
    )
    if not window_days > 0:
        raise ValueError(f"window_days: must be > 0, got {window_days!r}")


def _first_contacts(
    tickets: pd.DataFrame, window: pd.Timedelta, end: pd.Timestamp, effort_threshold: int
) -> pd.DataFrame:
    """Each customer's first ticket whose window fits before ``end``, marked bad or good.

    Bad: abandoned, or ``effort_score >= effort_threshold``.
    """
    first = tickets.sort_values(["customer_id", "created_at"], kind="stable")
    first = first.drop_duplicates("customer_id")[
        ["customer_id", "created_at", "abandoned", "effort_score"]
    ]
    first = first[first["created_at"] + window <= end]
    bad = first["abandoned"].astype(bool) | (first["effort_score"] >= effort_threshold)
    return first.assign(experience=np.where(bad, "bad", "good"))


def churn_by_service_experience(
    tickets: pd.DataFrame,
    orders: pd.DataFrame,
    window_days: float = 180,
    effort_threshold: int = 5,
    end: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Repeat-purchase rate after a bad versus a good first service contact.

    Method: each customer's *first* ticket is the anchor. It is a ``bad``
    experience when the contact was abandoned or its ``effort_score`` is at
    least ``effort_threshold`` (5–7 of 1–7 by default), otherwise ``good``. The
    customer "repeats" when they place an order in the ``window_days`` after the
    anchor (``created_at < order_date <= created_at + window``). Anchors whose
    window ends after ``end`` (default: the latest order or ticket date) are
    dropped, so every customer counted had the full window to come back. This
    is an observational comparison — it shows association, not a causal effect.

    Returns
    -------
    pandas.DataFrame
        Index ``experience`` (``bad``, ``good``), columns ``customers``,
        ``repeaters``, ``repeat_rate`` (0–1; NaN for an empty group).
    """
    _check_tickets(tickets, window_days)
    check_table(orders, "orders", columns=["customer_id"], datetime=["order_date"])
    end_ts = (
        max(orders["order_date"].max(), tickets["created_at"].max())
        if end is None
        else pd.Timestamp(end)
    )
    window = pd.Timedelta(days=window_days)
    first = _first_contacts(tickets, window, end_ts, effort_threshold)
    m = first.merge(orders[["customer_id", "order_date"]], on="customer_id", how="left")
    hit = (m["order_date"] > m["created_at"]) & (m["order_date"] <= m["created_at"] + window)
    repeat = m.assign(_hit=hit).groupby("customer_id")["_hit"].any()
    first = first.assign(repeat=first["customer_id"].map(repeat).fillna(False).astype(bool))
    out = (
        first.groupby("experience")["repeat"]
        .agg(customers="size", repeaters="sum")
        .reindex(["bad", "good"], fill_value=0)
        .astype("int64")
    )
    out["repeat_rate"] = out["repeaters"] / out["customers"].where(out["customers"] > 0)
    return out


# --------------------------------------------------------------------------- Erlang C


@dataclass(frozen=True)
class ErlangC:
    """Steady-state M/M/c queue: offered load, P(wait), mean wait and occupancy.

    ``mean_wait`` is the mean queueing delay over *all* callers (Wq), in the
    unit of ``handle_time``; ``occupancy`` is the share of agent time busy (A/c).
    """

    arrival_rate: float
    handle_time: float
    agents: int
    traffic: float  # offered load A = arrival_rate × handle_time, in Erlangs
    p_wait: float
    mean_wait: float
    occupancy: float

    def service_level(self, threshold: float) -> float:
        """Share answered within ``threshold``: 1 − P(wait)·exp(−(c − A)·t / h)."""
        if not (isinstance(threshold, int | float) and math.isfinite(threshold) and threshold >= 0):
            raise ValueError(f"threshold: must be a finite number >= 0, got {threshold!r}")
        decay = math.exp(-(self.agents - self.traffic) * threshold / self.handle_time)
        return 1.0 - self.p_wait * decay


def _positive(value: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{field}: expected a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{field}: must be a finite number > 0, got {value!r}")
    return float(value)


def _agents(agents: int) -> int:
    if isinstance(agents, bool) or not isinstance(agents, int | np.integer) or agents < 1:
        raise ValueError(f"agents: must be a whole number >= 1, got {agents!r}")
    return int(agents)


def erlang_b(traffic: float, agents: int) -> float:
    """Erlang B blocking probability, by the stable recursion B(k) = A·B(k−1) / (k + A·B(k−1))."""
    a, c = _positive(traffic, "traffic"), _agents(agents)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(arrival_rate: float, handle_time: float, agents: int) -> ErlangC:
    """Erlang C for ``agents`` servers: P(wait) = c·B / (c − A·(1 − B)), B from Erlang B.

    Raises ``ValueError`` when the queue is unstable (A = arrival_rate × handle_time ≥ c),
    because the queue then grows without bound and no steady state exists.
    """
    lam, h, c = (
        _positive(arrival_rate, "arrival_rate"),
        _positive(handle_time, "handle_time"),
        _agents(agents),
    )
    a = lam * h
    if a >= c:
        raise ValueError(
            f"agents: {c} agent(s) cannot carry {a:g} Erlangs (arrival_rate × handle_time); "
            f"the queue is unstable, use at least {math.floor(a) + 1}"
        )
    b = erlang_b(a, c)
    p_wait = c * b / (c - a * (1.0 - b))
    return ErlangC(lam, h, c, a, p_wait, p_wait * h / (c - a), a / c)


def service_level(arrival_rate: float, handle_time: float, agents: int, threshold: float) -> float:
    """Share of callers answered within ``threshold`` (same time unit as ``handle_time``)."""
    return erlang_c(arrival_rate, handle_time, agents).service_level(threshold)


def required_agents(
    arrival_rate: float,
    handle_time: float,
    target_service_level: float,
    threshold: float,
    max_agents: int = 100_000,
) -> int:
    """Smallest number of agents whose service level within ``threshold`` reaches the target.

    ``target_service_level`` is a share strictly between 0 and 1 (e.g. 0.8 for "80/20").
    """
    if not (isinstance(target_service_level, int | float) and 0 < target_service_level < 1):
        raise ValueError(
            f"target_service_level: must be strictly between 0 and 1, got {target_service_level!r}"
        )
    a = _positive(arrival_rate, "arrival_rate") * _positive(handle_time, "handle_time")
    c = math.floor(a) + 1
    while c <= max_agents:
        if service_level(arrival_rate, handle_time, c, threshold) >= target_service_level:
            return c
        c += 1
    raise ValueError(f"max_agents: target not reached with {max_agents} agents")


def staffing_table(
    arrival_rate: float,
    handle_time: float,
    threshold: float,
    agents: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Erlang C KPIs for a range of agent counts (for a staffing widget or plot).

    Parameters
    ----------
    arrival_rate, handle_time
        Offered calls per time unit and mean handle time in the same unit.
    threshold
        Answer-time target for the service level, same unit.
    agents
        Agent counts to tabulate; default the first stable count and the next 10.

    Returns
    -------
    pandas.DataFrame
        One row per agent count: ``agents, stable, occupancy, p_wait, mean_wait,
        service_level``. Unstable rows (A ≥ c) show the limits: every caller
        waits (``p_wait`` 1, ``service_level`` 0), ``mean_wait`` infinite,
        occupancy 1.
    """
    a = _positive(arrival_rate, "arrival_rate") * _positive(handle_time, "handle_time")
    if agents is None:
        first = math.floor(a) + 1
        agents = range(first, first + 11)
    rows = []
    for c in agents:
        c = _agents(c)
        if a >= c:
            rows.append((c, False, 1.0, 1.0, math.inf, 0.0))
            continue
        r = erlang_c(arrival_rate, handle_time, c)
        rows.append((c, True, r.occupancy, r.p_wait, r.mean_wait, r.service_level(threshold)))
    return pd.DataFrame(
        rows, columns=["agents", "stable", "occupancy", "p_wait", "mean_wait", "service_level"]
    )


# --------------------------------------------------------------------------- additions for the course


def phone_arrival_rate(
    tickets: pd.DataFrame,
    open_hours: float,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    channel: str = "phone",
) -> float:
    """Offered calls per open minute: phone contacts ÷ (days observed × open hours × 60).

    ``start``/``end`` default to the first and last contact; the count covers
    ``[start, end]`` and the days are ``(end − start)`` in days (at least one).
    """
    t = _queued(tickets, channel)
    check_table(t, "tickets", datetime=["created_at"])
    if not (isinstance(open_hours, int | float) and 0 < open_hours <= 24):
        raise ValueError(f"open_hours: a number in (0, 24], got {open_hours!r}")
    s = t["created_at"].min() if start is None else pd.Timestamp(start)
    e = t["created_at"].max() if end is None else pd.Timestamp(end)
    n = int(((t["created_at"] >= s) & (t["created_at"] <= e)).sum())
    days = max((e - s).total_seconds() / 86400.0, 1.0)
    return n / (days * open_hours * 60.0)


def staffing_at(table: pd.DataFrame, agents: int) -> pd.DataFrame:
    """One agent count of :func:`simulated_staffing_table`, analytic and simulated side by side.

    Returns
    -------
    pandas.DataFrame
        Rows ``Erlang C`` and ``simulation``; columns ``p_wait``, ``mean_wait``
        (minutes), ``service_level`` and ``abandonment`` (0 for Erlang C, which
        has no hang-ups).
    """
    require_columns(table, ["p_wait", "mean_wait", "service_level", "sim_p_wait"], "table")
    if agents not in table.index:
        raise ValueError(f"agents: {agents!r} not in the table (has {list(table.index)})")
    r = table.loc[agents]
    return pd.DataFrame(
        {
            "p_wait": [r["p_wait"], r["sim_p_wait"]],
            "mean_wait": [r["mean_wait"], r["sim_mean_wait"]],
            "service_level": [r["service_level"], r["sim_service_level"]],
            "abandonment": [0.0, r["sim_abandonment"]],
        },
        index=pd.Index(["Erlang C", "simulation"], name=f"{agents} agents"),
    )


def service_churn_truth(
    tickets: pd.DataFrame,
    truth: pd.DataFrame,
    window_days: float = 180,
    effort_threshold: int = 5,
    end: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Truth table: bad versus good first service contact × truly dropped within the window.

    The anchor is each customer's first ticket, ``bad`` as in
    :func:`churn_by_service_experience` (abandoned, or effort ≥
    ``effort_threshold``). "Dropped" means the simulation's ``truth`` has the
    customer gone for good (``dropout_date``) after the contact and by
    ``created_at + window_days``. Scoring is forward: customers already gone on
    the day of their first contact (``dropout_date <= created_at``; a lost
    customer may still call about an old order) are left out, because their
    loss cannot be the contact's consequence. Anchors whose window ends after
    ``end`` (default: last ticket) are left out too.

    Returns
    -------
    pandas.DataFrame
        Index ``experience`` (``bad``, ``good``): ``customers``, ``dropped``,
        ``stayed`` and ``dropped_share``.
    """
    _check_tickets(tickets, window_days)
    require_columns(truth, ["customer_id", "dropout_date"], "truth")
    end_ts = tickets["created_at"].max() if end is None else pd.Timestamp(end)
    window = pd.Timedelta(days=window_days)
    first = _first_contacts(tickets, window, end_ts, effort_threshold)
    gone = truth.drop_duplicates("customer_id").set_index("customer_id")["dropout_date"]
    when = first["customer_id"].map(gone)
    alive = when.isna() | (when > first["created_at"])
    first, when = first[alive], when[alive]
    dropped = when.notna() & (when <= first["created_at"] + window)
    frame = pd.DataFrame({"experience": first["experience"], "dropped": dropped})
    out = (
        frame.groupby("experience")["dropped"]
        .agg(customers="size", dropped="sum")
        .reindex(["bad", "good"], fill_value=0)
        .astype("int64")
    )
    out["stayed"] = out["customers"] - out["dropped"]
    out["dropped_share"] = out["dropped"] / out["customers"].where(out["customers"] > 0)
    return out


def advisor_contact_lift(
    orders: pd.DataFrame, advisor_tasks: pd.DataFrame, window_days: float = 28
) -> pd.DataFrame:
    """Do clients buy more after an advisor reaches them? Orders within the window by task outcome.

    For every advisor task done at ``done_at``, the client's orders with
    ``done_at < order_date <= done_at + window_days`` are counted. Tasks whose
    advisor did *not* reach the client (``no_answer``) are a natural comparison
    group for the ``reached`` ones: same selection by the CRM, no conversation.

    Returns
    -------
    pandas.DataFrame
        Index ``outcome``: ``tasks``, ``buyers`` (tasks followed by ≥ 1 order),
        ``buy_rate``, ``revenue`` and ``revenue_per_task`` (EUR), and
        ``lift_vs_no_answer`` (revenue per task ÷ that of ``no_answer`` − 1).
    """
    check_table(
        orders, "orders", columns=["customer_id"], numeric=["net_amount"], datetime=["order_date"]
    )
    check_table(
        advisor_tasks,
        "advisor_tasks",
        columns=["task_id", "customer_id", "outcome"],
        datetime=["done_at"],
    )
    if not window_days > 0:
        raise ValueError(f"window_days: must be > 0, got {window_days!r}")
    tasks = advisor_tasks[["task_id", "customer_id", "done_at", "outcome"]]
    m = tasks.merge(orders[["customer_id", "order_date", "net_amount"]], on="customer_id")
    window = pd.Timedelta(days=window_days)
    m = m[(m["order_date"] > m["done_at"]) & (m["order_date"] <= m["done_at"] + window)]
    per_task = m.groupby("task_id")["net_amount"].sum()
    t = tasks.assign(_rev=tasks["task_id"].map(per_task).fillna(0.0))
    t = t.assign(_buy=t["task_id"].isin(per_task.index))
    out = t.groupby("outcome", sort=True).agg(
        tasks=("task_id", "size"), buyers=("_buy", "sum"), revenue=("_rev", "sum")
    )
    out["buyers"] = out["buyers"].astype("int64")
    out["buy_rate"] = out["buyers"] / out["tasks"]
    out["revenue_per_task"] = out["revenue"] / out["tasks"]
    base = out["revenue_per_task"].get("no_answer", math.nan)
    out["lift_vs_no_answer"] = out["revenue_per_task"] / base - 1 if base else math.nan
    return out[["tasks", "buyers", "buy_rate", "revenue", "revenue_per_task", "lift_vs_no_answer"]]


# --------------------------------------------------------------------------- intervals by group


def nps_by(surveys: pd.DataFrame, by: str = "trigger", level: float = 0.95) -> pd.DataFrame:
    """NPS by definition (% promoters 9–10 − % detractors 0–6) per group, with its interval.

    Returns one row per group plus ``"all"``: ``responses``, ``promoters``,
    ``detractors`` (shares), ``nps``, ``low``, ``high`` (points).
    """
    check_table(surveys, "surveys", columns=[by], numeric=["nps"])
    _scores(surveys, "nps")
    groups = list(surveys.groupby(by, sort=True)) + [("all", surveys)]
    rows = {}
    for key, g in groups:
        r = nps_interval(g["nps"].to_numpy(), level)
        rows[key] = {
            "responses": r["n"],
            "promoters": r["promoters"],
            "detractors": r["detractors"],
            "nps": r["estimate"],
            "low": r["low"],
            "high": r["high"],
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    return out


def effort_by_channel(tickets: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Customer effort (1 very easy – 7 very hard) per contact channel, with Student-t intervals.

    Also the share of easy contacts (effort 1–3) with its Wilson interval, and
    first-contact resolution. Online channels (chat, e-mail) stand beside the
    phone line and the store: effort is measurable online too.
    """
    check_table(
        tickets,
        "tickets",
        columns=["channel"],
        numeric=["effort_score", "contacts_to_resolve"],
        flags=["resolved"],
    )
    rows = {}
    for ch, g in tickets.groupby("channel", sort=True):
        m = mean_interval(g["effort_score"].to_numpy(dtype=float), level)
        easy = wilson_interval(int((g["effort_score"] <= 3).sum()), len(g), level)
        fcr = g["resolved"].astype(bool) & (g["contacts_to_resolve"] == 1)
        rows[ch] = {
            "contacts": len(g),
            "ces_mean": m["estimate"],
            "ces_low": m["low"],
            "ces_high": m["high"],
            "easy_share": easy["estimate"],
            "easy_low": easy["low"],
            "easy_high": easy["high"],
            "fcr": float(fcr.mean()),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "channel"
    return out.sort_values("ces_mean")


def touchpoint_sentiment(touchpoints: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Share of negative and positive impressions per touchpoint channel, with Wilson intervals.

    Every channel is listed with its own counts; bookkeeping channels (``crm``)
    carry only neutral rows. Sorted by the share of negative impressions.
    """
    check_table(touchpoints, "touchpoints", columns=["channel", "impression"])
    rows = {}
    for ch, g in touchpoints.groupby("channel", sort=True):
        n = len(g)
        neg = int((g["impression"] == "negative").sum())
        pos = int((g["impression"] == "positive").sum())
        wn = wilson_interval(neg, n, level)
        rows[ch] = {
            "touchpoints": n,
            "positive": pos / n,
            "negative": neg / n,
            "negative_low": wn["low"],
            "negative_high": wn["high"],
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "channel"
    return out.sort_values("negative", ascending=False)


# --------------------------------------------------------------------------- Erlang A


@dataclass(frozen=True)
class ErlangA:
    """Steady-state M/M/c+M queue (Erlang A): callers hang up after an exponential patience.

    Shares are of all offered calls: ``p_wait`` (found every agent busy),
    ``abandonment`` (hung up before an answer), ``service_level`` (answered
    within ``threshold``); ``mean_wait`` is the mean time in queue over all
    callers, in the unit of ``handle_time``.
    """

    arrival_rate: float
    handle_time: float
    agents: int
    patience: float
    threshold: float
    traffic: float
    p_wait: float
    abandonment: float
    service_level: float
    mean_wait: float
    occupancy: float


def _waiting_then_answered(
    down: np.ndarray, theta: float, ever: np.ndarray, t: float
) -> np.ndarray:
    """e^{G t}·ever for the tagged caller's pure-death chain G, by uniformisation.

    G has −(down[k] + θ) on the diagonal and down[k] below it (k ahead → k − 1).
    With Λ ≥ every exit rate, e^{Gt} = Σₙ Poisson(n; Λt)·Pⁿ, P = I + G/Λ.
    """
    if t == 0:
        return ever.copy()
    lam_max = float(down[-1] + theta)
    stay = 1.0 - (down + theta) / lam_max
    step = down / lam_max
    mean = lam_max * t
    n_max = int(mean + 12.0 * math.sqrt(mean) + 20)
    v = ever.astype(float)
    log_w = -mean  # log Poisson(n; Λt), updated term by term (no underflow)
    out = np.zeros_like(v)
    for n in range(n_max + 1):
        if n:
            shifted = np.empty_like(v)
            shifted[0] = 0.0
            shifted[1:] = v[:-1]
            v = stay * v + step * shifted
            log_w += math.log(mean / n)
        out += math.exp(log_w) * v
    return out


def erlang_a(
    arrival_rate: float,
    handle_time: float,
    agents: int,
    patience: float,
    threshold: float,
    tol: float = 1e-12,
) -> ErlangA:
    """Exact Erlang A (M/M/c+M) figures from the birth–death chain of the number in system.

    The stationary law is π(n) ∝ Aⁿ/n! up to ``agents`` = c, and beyond it each
    step multiplies by λ / (cμ + (n − c)θ), θ = 1/``patience``; the chain is
    cut where the remaining mass falls below ``tol``. Abandonment is
    θ·E[queue]/λ. A caller who finds j callers ahead is answered within t when
    the j + 1 departures ahead of them (rate cμ + kθ with k still ahead)
    happen before t and before their own patience runs out; that is the
    absorption of a small pure-death chain, solved with one matrix exponential.
    ``patience = inf`` gives Erlang C (nobody hangs up; needs A < c).
    """
    lam = _positive(arrival_rate, "arrival_rate")
    h = _positive(handle_time, "handle_time")
    c = _agents(agents)
    if isinstance(patience, bool) or not isinstance(patience, int | float | np.number):
        raise ValueError(
            f"patience: expected a number > 0 (inf: nobody hangs up), got {patience!r}"
        )
    if not patience > 0:
        raise ValueError(f"patience: must be > 0 (inf: nobody hangs up), got {patience!r}")
    if not (isinstance(threshold, int | float) and math.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold: must be a finite number >= 0, got {threshold!r}")
    a = lam * h
    if math.isinf(patience):
        r = erlang_c(lam, h, c)
        sl = r.service_level(threshold)
        return ErlangA(lam, h, c, math.inf, threshold, a, r.p_wait, 0.0, sl, r.mean_wait, a / c)
    mu, theta = 1.0 / h, 1.0 / float(patience)
    # Unnormalised π(n), n = 0..c, by the stable ratio π(n)/π(n−1) = A/n.
    head = np.empty(c + 1)
    head[0] = 1.0
    for n in range(1, c + 1):
        head[n] = head[n - 1] * a / n
    scale = head.max()
    head /= scale
    tail = [head[c]]
    k = 0
    while True:
        k += 1
        nxt = tail[-1] * lam / (c * mu + k * theta)
        tail.append(nxt)
        if nxt < tol * (head.sum() + sum(tail)) and lam < c * mu + k * theta:
            break
    tail = np.asarray(tail)  # tail[j] = π(c + j)
    total = head[:c].sum() + tail.sum()
    pi_head, pi_tail = head[:c] / total, tail / total
    queue = np.arange(len(tail))
    p_wait = float(pi_tail.sum())
    mean_queue = float(queue @ pi_tail)
    abandonment = theta * mean_queue / lam
    busy = float(np.arange(c) @ pi_head + c * p_wait)
    # Tagged caller with j ahead: states j..0, leaving state k at rate cμ + kθ (one fewer
    # ahead, or their own answer when k = 0) or θ (they hang up).
    down = c * mu + queue * theta
    # Answered at all from j ahead: every step down comes before the caller's own patience.
    ever = np.cumprod(down / (down + theta))
    # Answered by t = answered at all − (still waiting at t, then answered later):
    # e^{Gt}·ever by uniformisation, G the pure-death generator (bidiagonal, so cheap).
    answered_by_t = ever - _waiting_then_answered(down, theta, ever, threshold)
    service_level = float(pi_head.sum() + pi_tail @ answered_by_t)
    return ErlangA(
        lam, h, c, float(patience), float(threshold), a, p_wait, float(abandonment),
        service_level, mean_queue / lam, busy / c,
    )  # fmt: skip


def staffing_curves(
    offered_load: float,
    handle_time: float,
    patience: float,
    threshold: float,
    agents: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Erlang C and Erlang A per agent count for one offered load (Erlangs): the explorer's table.

    ``agents`` defaults to a band around the load (from a little below it, where
    Erlang C has no steady state, to well above). Columns: ``agents``,
    ``erlang_c_service_level`` and ``erlang_c_p_wait`` (NaN where the queue is
    unstable, A ≥ c), ``service_level``, ``abandonment``, ``p_wait``,
    ``mean_wait`` and ``occupancy`` from Erlang A.
    """
    load = _positive(offered_load, "offered_load")
    h = _positive(handle_time, "handle_time")
    if agents is None:
        lo = max(1, math.floor(load) - 2)
        agents = range(lo, math.ceil(load) + 9)
    rate = load / h
    rows = []
    for c in agents:
        c = _agents(c)
        ea = erlang_a(rate, h, c, patience, threshold)
        if load < c:
            ec = erlang_c(rate, h, c)
            ec_sl, ec_pw = ec.service_level(threshold), ec.p_wait
        else:
            ec_sl = ec_pw = math.nan
        rows.append(
            (c, ec_sl, ec_pw, ea.service_level, ea.abandonment, ea.p_wait, ea.mean_wait,
             ea.occupancy)
        )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=[
            "agents", "erlang_c_service_level", "erlang_c_p_wait", "service_level",
            "abandonment", "p_wait", "mean_wait", "occupancy",
        ],
    ).set_index("agents")  # fmt: skip


# --------------------------------------------------------------------------- clienteling: attribution vs effect


def _task_revenue(
    orders: pd.DataFrame, advisor_tasks: pd.DataFrame, window_days: float
) -> pd.DataFrame:
    """Each task with the revenue and orders its client placed in ``(done_at, done_at + window]``."""
    check_table(
        orders, "orders", columns=["order_id", "customer_id"], numeric=["net_amount"],
        datetime=["order_date"],
    )  # fmt: skip
    check_table(
        advisor_tasks, "advisor_tasks", columns=["task_id", "customer_id", "outcome"],
        datetime=["done_at"],
    )  # fmt: skip
    if not (isinstance(window_days, int | float) and window_days > 0):
        raise ValueError(f"window_days: must be a number > 0, got {window_days!r}")
    tasks = advisor_tasks[["task_id", "customer_id", "done_at", "outcome"]]
    m = tasks.merge(
        orders[["order_id", "customer_id", "order_date", "net_amount"]], on="customer_id"
    )
    window = pd.Timedelta(days=window_days)
    m = m[(m["order_date"] > m["done_at"]) & (m["order_date"] <= m["done_at"] + window)]
    per = m.groupby("task_id")["net_amount"].agg(["sum", "size"])
    return tasks.assign(
        revenue=tasks["task_id"].map(per["sum"]).fillna(0.0).to_numpy(),
        bought=tasks["task_id"].isin(per.index).to_numpy(),
    ), m


def advisor_effect(
    orders: pd.DataFrame,
    advisor_tasks: pd.DataFrame,
    window_days: float = 28,
    level: float = 0.95,
    replications: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Attribution share, lift over unanswered calls and causal share of advisor sales, with intervals.

    Definitions (revenue = ``net_amount``; the period is that of the tasks,
    first to last ``done_at`` plus the window):

    - **attribution share** — what a clienteling report quotes: revenue of
      orders placed within ``window_days`` after a *reached* contact (each
      order once), over all the brand's revenue in the period;
    - **lift over unanswered** — revenue per reached task ÷ revenue per
      ``no_answer`` task − 1, within the same window. Whether a call reaches
      the client is a chance the advisor does not choose, so the unanswered
      tasks are a comparison group selected exactly like the reached ones;
    - **causal share** — the incremental revenue, (revenue per reached task −
      revenue per unanswered task) × reached tasks, over the same total;
    - **gap** — attribution share − causal share: the attributed sales that
      would have happened anyway.

    Intervals are percentile bootstrap intervals resampling *clients* (all
    their tasks together, since one client's tasks are not independent); the
    brand's total revenue is held fixed.

    Returns
    -------
    pandas.DataFrame
        Rows ``attribution_share``, ``lift_vs_no_answer``, ``causal_share``,
        ``gap``, ``buy_rate_reached``, ``buy_rate_no_answer``; columns
        ``estimate``, ``low``, ``high``.
    """
    if not (isinstance(replications, int) and replications >= 20):
        raise ValueError(f"replications: a whole number >= 20, got {replications!r}")
    if not 0 < level < 1:
        raise ValueError(f"level: must be strictly between 0 and 1, got {level!r}")
    tasks, m = _task_revenue(orders, advisor_tasks, window_days)
    if not {"reached", "no_answer"} <= set(tasks["outcome"]):
        raise ValueError("advisor_tasks.outcome: needs both reached and no_answer tasks")
    start = tasks["done_at"].min()
    end = tasks["done_at"].max() + pd.Timedelta(days=window_days)
    in_period = (orders["order_date"] > start) & (orders["order_date"] <= end)
    total = float(orders.loc[in_period, "net_amount"].sum())
    # Attributed orders: each order once, if any reached contact precedes it within the window.
    reached_m = m.merge(tasks.loc[tasks["outcome"] == "reached", ["task_id"]], on="task_id")
    attributed = reached_m.drop_duplicates("order_id")
    clients = pd.Index(tasks["customer_id"].unique())
    code = clients.get_indexer(tasks["customer_id"])
    n = len(clients)
    is_r = (tasks["outcome"] == "reached").to_numpy()
    is_u = (tasks["outcome"] == "no_answer").to_numpy()
    rev = tasks["revenue"].to_numpy()
    buy = tasks["bought"].to_numpy().astype(float)

    def per_client(mask, x):
        return np.bincount(code[mask], weights=x[mask], minlength=n)

    parts = np.vstack(
        [
            np.bincount(
                clients.get_indexer(attributed["customer_id"]),
                weights=attributed["net_amount"].to_numpy(),
                minlength=n,
            ),
            per_client(is_r, np.ones_like(rev)), per_client(is_r, rev), per_client(is_r, buy),
            per_client(is_u, np.ones_like(rev)), per_client(is_u, rev), per_client(is_u, buy),
        ]
    )  # fmt: skip

    def stats_of(s: np.ndarray) -> np.ndarray:
        att, nr, rr, br, nu, ru, bu = s
        per_r, per_u = rr / nr, ru / nu
        causal = (per_r - per_u) * nr / total
        return np.array([att / total, per_r / per_u - 1, causal, att / total - causal,
                         br / nr, bu / nu])  # fmt: skip

    est = stats_of(parts.sum(axis=1))
    rng = np.random.default_rng(seed)
    draws = np.empty((replications, len(est)))
    # A resample may miss every unanswered task of a tiny table: that draw is NaN, ignored.
    with np.errstate(divide="ignore", invalid="ignore"):
        for b in range(replications):
            w = np.bincount(rng.integers(0, n, n), minlength=n)
            draws[b] = stats_of(parts @ w)
        lo, hi = np.nanquantile(draws, [0.5 - level / 2, 0.5 + level / 2], axis=0)
    names = ["attribution_share", "lift_vs_no_answer", "causal_share", "gap",
             "buy_rate_reached", "buy_rate_no_answer"]  # fmt: skip
    return pd.DataFrame({"estimate": est, "low": lo, "high": hi}, index=pd.Index(names))


def advisor_effect_by_window(
    orders: pd.DataFrame,
    advisor_tasks: pd.DataFrame,
    windows: Iterable[float] = (28, 90, 180),
    level: float = 0.95,
    replications: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`advisor_effect` over several windows: a sale brought forward shows up early, then not.

    One row per window: attribution and causal share with their intervals.
    """
    rows = {}
    for w in windows:
        e = advisor_effect(orders, advisor_tasks, w, level, replications, seed)
        rows[w] = {
            "attribution_share": e.loc["attribution_share", "estimate"],
            "causal_share": e.loc["causal_share", "estimate"],
            "causal_low": e.loc["causal_share", "low"],
            "causal_high": e.loc["causal_share", "high"],
            "lift_vs_no_answer": e.loc["lift_vs_no_answer", "estimate"],
            "lift_low": e.loc["lift_vs_no_answer", "low"],
            "lift_high": e.loc["lift_vs_no_answer", "high"],
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "window_days"
    return out


def advisor_truth_check(
    orders: pd.DataFrame,
    advisor_tasks: pd.DataFrame,
    truth: pd.DataFrame,
    responsive: float,
    window_days: float = 28,
    level: float = 0.95,
) -> pd.DataFrame:
    """The extra buyers the world's mechanism implies, beside the randomised estimate.

    In the world, a reached client who is still in a relationship (per the
    ``truth``: not lost at ``done_at``) answers with probability
    ``responsive`` by bringing their next purchase forward into the window. A
    client who would have bought in the window anyway buys no more, so the
    mechanism predicts an extra buy rate of about ``responsive`` × share of
    reached tasks with a living client × (1 − the unanswered living clients'
    buy rate). The measured difference of buy rates (reached − unanswered) has
    a normal interval for a difference of two shares. (The call's positive
    impression can add a little on top: the prediction is a floor.)

    Returns
    -------
    pandas.DataFrame
        Rows ``mechanism`` (prediction) and ``measured``: ``extra_buy_rate``,
        ``low``, ``high`` (NaN for the prediction), and ``alive_share``.
    """
    from scipy import stats

    if not 0 <= responsive <= 1:
        raise ValueError(f"responsive: a share in [0, 1], got {responsive!r}")
    require_columns(
        truth, ["customer_id", "dropout_date", "first_dropout_date", "won_back_date"], "truth"
    )
    tasks, _ = _task_revenue(orders, advisor_tasks, window_days)
    t = truth.drop_duplicates("customer_id").set_index("customer_id")
    when = tasks["done_at"]
    gone = tasks["customer_id"].map(t["dropout_date"])
    first = tasks["customer_id"].map(t["first_dropout_date"])
    back = tasks["customer_id"].map(t["won_back_date"])
    lost_now = (gone.notna() & (gone <= when)) | (
        first.notna() & (first <= when) & (back.isna() | (back > when))
    )
    alive = ~lost_now.to_numpy()
    r = (tasks["outcome"] == "reached").to_numpy()
    u = (tasks["outcome"] == "no_answer").to_numpy()
    b = tasks["bought"].to_numpy()
    base_alive = b[u & alive].mean()
    alive_share = alive[r].mean()
    predicted = responsive * alive_share * (1 - base_alive)
    pr, pu = b[r].mean(), b[u].mean()
    se = math.sqrt(pr * (1 - pr) / r.sum() + pu * (1 - pu) / u.sum())
    z = float(stats.norm.ppf(0.5 + level / 2))
    d = pr - pu
    return pd.DataFrame(
        {
            "extra_buy_rate": [predicted, d],
            "low": [math.nan, d - z * se],
            "high": [math.nan, d + z * se],
            "alive_share": [alive_share, alive[r | u].mean()],
        },
        index=pd.Index(["mechanism", "measured"], name="extra buyers per reached task"),
    )


def against_claim(low: float, high: float, claim: float) -> str:
    """How an interval stands against a claimed value: "above", "below" or "consistent with".

    ``consistent with`` means the claim lies inside ``[low, high]``: the data
    cannot tell them apart.
    """
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise ValueError(f"low, high: need finite bounds with low <= high, got {low!r}, {high!r}")
    if low > claim:
        return "above"
    if high < claim:
        return "below"
    return "consistent with"


# --------------------------------------------------------------------------- like-for-like claims


def sentiment_like_for_like(
    touchpoints: pd.DataFrame, channels: Sequence[str] = ("social", "email"), level: float = 0.95
) -> pd.DataFrame:
    """Negative-impression share of ``channels``, counted on the touchpoint kinds they all carry.

    E-mail also carries service contacts and surveys, which social does not: a
    comparison over all touchpoints would compare different moments, not
    channels. Restricting to the kinds every channel in ``channels`` carries
    makes it like for like. ``attrs["kinds"]`` lists those kinds.

    Returns
    -------
    pandas.DataFrame
        Index ``channel``: ``touchpoints``, ``negative`` (count), ``share`` and
        its Wilson interval ``low`` / ``high``.
    """
    check_table(touchpoints, "touchpoints", columns=["channel", "touchpoint", "impression"])
    channels = list(channels)
    if len(channels) < 2:
        raise ValueError(f"channels: need at least two channels to compare, got {channels!r}")
    tp = touchpoints[touchpoints["channel"].isin(channels)]
    missing = sorted(set(channels) - set(tp["channel"]))
    if missing:
        raise ValueError(f"channels: no touchpoints in {', '.join(missing)}")
    kinds = set.intersection(*(set(g["touchpoint"]) for _, g in tp.groupby("channel")))
    tp = tp[tp["touchpoint"].isin(kinds)]
    out = negative_shares(tp, "channel", groups=channels, level=level)
    out.attrs["kinds"] = sorted(kinds)
    return out


def app_adoption(advisor_tasks: pd.DataFrame, level: float = 0.95) -> dict[str, float]:
    """Share of advisors on the clienteling app (an advisor is on it when their tasks go via the app).

    The team is small, so the Wilson interval is wide: with a dozen advisors a
    share of two thirds is compatible with anything from well under half to
    most of the team.

    Returns
    -------
    dict
        ``advisors``, ``on_app``, ``estimate``, ``low``, ``high``.
    """
    check_table(advisor_tasks, "advisor_tasks", columns=["advisor_id"], flags=["via_app"])
    per = advisor_tasks.groupby("advisor_id")["via_app"].any()
    w = wilson_interval(int(per.sum()), len(per), level)
    return {
        "advisors": len(per),
        "on_app": int(per.sum()),
        "estimate": w["estimate"],
        "low": w["low"],
        "high": w["high"],
    }
