"""The run's records: compact append-only event logs, and the bundle a run hands over.

The world appends millions of small records (orders, stage changes, messages).
Python tuples cost ~100 bytes each; typed ``array.array`` columns cost a few
bytes per field and turn into numpy arrays without copying element by element.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["EventLog", "RunRecords"]


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
        # Bound methods, looked up once: append sits on the hot path.
        self._appends = [col.append for col in self._cols]

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
