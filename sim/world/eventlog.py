"""The run's records: compact append-only event logs, and the bundle a run hands over.

The world appends millions of small records (orders, stage changes, messages).
Python tuples cost ~100 bytes each; typed ``array.array`` columns cost a few
bytes per field and turn into numpy arrays without copying element by element.
Service contacts are fewer and richer: each is a named :class:`Ticket`.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["EventLog", "RunRecords", "Ticket", "ticket_records"]


class EventLog:
    """Columns of one record type, e.g. ``EventLog(person="q", t="d")``.

    Type codes are those of :mod:`array`: ``q`` 64-bit int, ``d`` float,
    ``b`` small int or bool.

    >>> log = EventLog(person="q", t="d")
    >>> log.append(3, 1.5)
    >>> len(log), log.to_numpy()["t"].tolist()
    (1, [1.5])
    """

    def __init__(self, **fields: str) -> None:
        self.names = tuple(fields)
        self._cols = [array(code) for code in fields.values()]
        # Bound methods, looked up once: append sits on the hot path, so the
        # usual widths get an appender without a Python loop.
        adds = [col.append for col in self._cols]
        self._appends = adds
        fast = _APPENDERS.get(len(adds))
        if fast is not None:
            self.append = fast(*adds)  # type: ignore[method-assign]

    def append(self, *values) -> None:
        """Add one record (values in field order)."""
        for add, value in zip(self._appends, values, strict=True):
            add(value)

    def __len__(self) -> int:
        return len(self._cols[0])

    def to_numpy(self) -> dict[str, np.ndarray]:
        """The log as numpy arrays by field name."""
        return {
            name: np.array(col, dtype=col.typecode)
            for name, col in zip(self.names, self._cols, strict=True)
        }


def _append2(a, b):
    return lambda x, y: (a(x), b(y))


def _append3(a, b, c):
    return lambda x, y, z: (a(x), b(y), c(z))


def _append4(a, b, c, d):
    return lambda x, y, z, w: (a(x), b(y), c(z), d(w))


def _append5(a, b, c, d, e):
    return lambda x, y, z, w, v: (a(x), b(y), c(z), d(w), e(v))


def _append6(a, b, c, d, e, f):
    return lambda x, y, z, w, v, u: (a(x), b(y), c(z), d(w), e(v), f(u))


def _append7(a, b, c, d, e, f, g):
    return lambda x, y, z, w, v, u, s: (a(x), b(y), c(z), d(w), e(v), f(u), g(s))


def _append8(a, b, c, d, e, f, g, h):
    return lambda x, y, z, w, v, u, s, r: (a(x), b(y), c(z), d(w), e(v), f(u), g(s), h(r))


def _append9(a, b, c, d, e, f, g, h, k):
    # The messenger's log of single sends (campaign, profile, time and six outcomes).
    return lambda x, y, z, w, v, u, s, r, q: (
        a(x), b(y), c(z), d(w), e(v), f(u), g(s), h(r), k(q)
    )  # fmt: skip


_APPENDERS = {
    2: _append2, 3: _append3, 4: _append4, 5: _append5,
    6: _append6, 7: _append7, 8: _append8, 9: _append9,
}  # fmt: skip


class Ticket(NamedTuple):
    """One service contact as the world records it (times in days, durations in minutes).

    The first eleven fields describe the contact; ``repair_outcome`` and
    ``repair_days`` are ``"-"`` and NaN for a question that is not a repair.
    The last four are the world's own: the candidate purchase the contact is
    about (its key for keyed draws) and what was drawn for it — a caller's
    patience and handling time (minutes), a repair's work content (days) —
    whatever the queue then made of them (NaN where nothing was drawn).
    """

    person: int
    customer_id: int  # the profile the customer used (0-based; ticket_records adds 1)
    order: int  # index of the order in the run's order log
    t: float
    channel: str
    reason: str
    wait_minutes: float
    abandoned: bool
    handle_minutes: float
    contacts_to_resolve: int
    effort_score: int
    repair_outcome: str
    repair_days: float
    candidate: int
    patience_drawn: float
    handle_drawn: float
    work_drawn: float


def ticket_records(tickets: list[Ticket]) -> pd.DataFrame:
    """The run's service contacts as a table (times in days), in time order."""
    cols = list(Ticket._fields)
    tk = pd.DataFrame(tickets, columns=cols)
    tk = tk.astype(
        {
            "customer_id": "int64",
            "order": "int64",
            "t": "float64",
            "wait_minutes": "float64",
            "abandoned": bool,
            "handle_minutes": "float64",
            "contacts_to_resolve": "int64",
            "effort_score": "int64",
            "repair_days": "float64",
            "candidate": "int64",
            "patience_drawn": "float64",
            "handle_drawn": "float64",
            "work_drawn": "float64",
        }
    )
    tk["customer_id"] += 1
    tk = tk.sort_values(["t", "customer_id"], kind="stable").reset_index(drop=True)
    tk.insert(0, "ticket_id", np.arange(1, len(tk) + 1))
    tk["order_id"] = pd.Series(tk.pop("order") + 1, dtype="Int64")
    tk["resolved"] = tk["repair_outcome"] != "rejected"
    tk["wait_minutes"] = tk["wait_minutes"].round(2)
    tk["handle_minutes"] = tk["handle_minutes"].round(2)
    tk["repair_days"] = tk["repair_days"].round(2)
    return tk


@dataclass(frozen=True)
class RunRecords:
    """Everything one run of the world recorded, as plain arrays and DataFrames.

    Times are in days from the scenario's start date; people are indexed
    ``0..n-1`` and profiles ``0..len(profiles)-1`` (the first ``n`` are each
    person's first profile, then the second registrations). This is the whole
    interface between the world and :func:`sim.data.tables.build_tables`: the
    tables are derived from it without the world.
    """

    n: int
    horizon: float
    events: int
    profiles: pd.DataFrame  # identities per profile (population.build_identities)
    profile_person: np.ndarray  # person behind each profile
    dup_people: np.ndarray  # people with a second profile
    dup_time: np.ndarray  # per person: when the second profile was made (inf: never)
    people: dict[str, np.ndarray]  # per person: lam, p, nu, t0, acq_channel, member, ...
    consent: dict[str, np.ndarray]  # per profile and channel
    opt_out: np.ndarray  # per profile
    orders: pd.DataFrame
    ledger: pd.DataFrame
    tickets: pd.DataFrame
    surveys: pd.DataFrame
    leads: pd.DataFrame
    referrer: np.ndarray  # per person: referring customer_id, -1 for none
    advisor_tasks: pd.DataFrame
    messages: pd.DataFrame
    campaigns: pd.DataFrame
    stages: dict[str, np.ndarray]  # person, t, stage (index in sim.vocab.STAGES)
    # person, t, before, after (indices in sim.vocab.RELATIONSHIP_STATES; before -1
    # at acquisition), cause (index in sim.vocab.TOUCHPOINT_CAUSES)
    states: dict[str, np.ndarray]
    markets: pd.DataFrame  # market, expected_share, agents, benches, advisors, app_users
