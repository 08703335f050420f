"""A compact, append-only log of simulation events, one typed array per field.

The world appends millions of small records (orders, stage changes, messages).
Python tuples cost ~100 bytes each; typed ``array.array`` columns cost a few
bytes per field and turn into numpy arrays without copying element by element.
"""

from __future__ import annotations

from array import array

import numpy as np

__all__ = ["EventLog"]


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
