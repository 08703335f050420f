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
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table, require_columns

__all__ = [
    "ErlangC",
    "abandonment_rate",
    "advisor_contact_lift",
    "ces",
    "ces_easy_share",
    "churn_by_service_experience",
    "client_types",
    "csat",
    "csat_mean",
    "erlang_b",
    "erlang_c",
    "experience_summary",
    "nps",
    "observed_service_level",
    "phone_arrival_rate",
    "required_agents",
    "service_churn_truth",
    "service_level",
    "staffing_at",
    "staffing_table",
    "ticket_summary",
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
    customer gone for good (``dropout_date``) by ``created_at + window_days``.
    Anchors whose window ends after ``end`` (default: last ticket) are left out.

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
