"""Shared input checks for the analytics: clear errors that name the table and column.

Every analytics function takes DataFrames that may come from a simulated dataset,
a CSV a student edited, or a hand-made test table. These helpers turn a bad
input into a ``ValueError`` whose message says *which* table, *which* column and
*what* is wrong, e.g. ``orders.net_amount: 1 negative value(s) (min -5.0)``.

The API is deliberately small and stable (other analytics modules import it):

- :func:`require_columns` — the table is a DataFrame and has these columns;
- :func:`require_nonempty` — the table has at least one row;
- :func:`require_numeric` — columns hold numbers (not text, bool or dates), no missing;
- :func:`require_non_negative` — numeric columns have no value below zero;
- :func:`require_datetime` — columns hold datetimes (missing allowed on request);
- :func:`require_flags` — columns hold booleans (or 0/1 numbers), no missing;
- :func:`check_table` — all of the above in one call, returning the table.

Each check returns ``None`` and raises ``ValueError`` on the first problem.

Types are judged by the data dictionary's one rule, :func:`sim.data.schema.kind_problem`,
the same one that conforms datasets: :func:`check_table` checks each named
column of a documented table (``"orders"``, ``"surveys"`` …) against its
documented kind, and the ``require_*`` checks use the matching kind (numbers
are ``float``, dates ``datetime``, flags ``bool``) for any table, documented or
not. Only the named columns are looked at, so partial tables work. The errors
are :class:`~sim.data.schema.SchemaError`, a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from sim.data import schema

__all__ = [
    "check_table",
    "require_columns",
    "require_datetime",
    "require_flags",
    "require_non_negative",
    "require_nonempty",
    "require_numeric",
]


def _as_list(cols: str | Iterable[str]) -> list[str]:
    return [cols] if isinstance(cols, str) else list(cols)


def require_columns(df: object, cols: str | Iterable[str], name: str) -> None:
    """Raise ``ValueError`` unless ``df`` is a DataFrame holding every column in ``cols``.

    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "orders")
    Traceback (most recent call last):
    ...
    ValueError: orders: missing column(s) b (has: a)
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in _as_list(cols) if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns)) or "no columns"
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)} (has: {have})")


def require_nonempty(df: pd.DataFrame, name: str) -> None:
    """Raise ``ValueError`` if the table has no rows."""
    if len(df) == 0:
        raise ValueError(f"{name}: table is empty (no rows)")


def require_numeric(df: pd.DataFrame, cols: str | Iterable[str], name: str) -> None:
    """Raise ``ValueError`` unless each column holds numbers with no missing values.

    Booleans, text and datetimes are rejected: a money or count column that
    arrives as text (e.g. ``"12,50"`` from a spreadsheet) must be fixed upstream.
    """
    for c in _as_list(cols):
        schema.check_kind(df[c], "float", f"{name}.{c}")
        n_missing = int(df[c].isna().sum())
        if n_missing:
            raise schema.SchemaError(f"{name}.{c}: {n_missing} missing value(s)")


def require_non_negative(df: pd.DataFrame, cols: str | Iterable[str], name: str) -> None:
    """Raise ``ValueError`` if a numeric column has a value below zero (checks numeric first)."""
    for c in _as_list(cols):
        require_numeric(df, c, name)
        s = df[c]
        n_neg = int((s < 0).sum())
        if n_neg:
            raise schema.SchemaError(f"{name}.{c}: {n_neg} negative value(s) (min {s.min()})")


def require_datetime(
    df: pd.DataFrame, cols: str | Iterable[str], name: str, *, allow_missing: bool = False
) -> None:
    """Raise ``ValueError`` unless each column has a datetime dtype (and no missing values).

    Set ``allow_missing=True`` for columns such as ``leads.converted_at`` that are
    legitimately empty for some rows.
    """
    for c in _as_list(cols):
        schema.check_kind(df[c], "datetime", f"{name}.{c}")
        n_missing = int(df[c].isna().sum())
        if n_missing and not allow_missing:
            raise schema.SchemaError(f"{name}.{c}: {n_missing} missing date(s)")


def require_flags(df: pd.DataFrame, cols: str | Iterable[str], name: str) -> None:
    """Raise ``ValueError`` unless each column holds booleans (or numbers 0/1), no missing."""
    for c in _as_list(cols):
        schema.check_kind(df[c], "bool", f"{name}.{c}")


def check_table(
    df: object,
    name: str,
    *,
    columns: Iterable[str] = (),
    numeric: Iterable[str] = (),
    non_negative: Iterable[str] = (),
    datetime: Iterable[str] = (),
    flags: Iterable[str] = (),
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Run the usual checks on one table and return it unchanged.

    Parameters
    ----------
    df
        The table to check.
    name
        Table name used in error messages (e.g. ``"orders"``). When it names a
        table of the data dictionary (:data:`sim.data.schema.TABLES`), every
        listed column the dictionary documents must also have its documented
        kind (``orders.order_date`` a datetime, ``orders.customer_id`` an
        integer …); other columns and other tables get only the checks asked for.
    columns
        Columns that must exist. Columns listed under ``numeric``,
        ``non_negative``, ``datetime`` or ``flags`` are required too.
    numeric, non_negative, datetime, flags
        Columns checked with the matching ``require_*`` function.
    allow_empty
        Accept a table with no rows (otherwise ``ValueError``).

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, so a caller can write ``df = check_table(df, ...)``.
    """
    numeric, non_negative = list(numeric), list(non_negative)
    datetime, flags = list(datetime), list(flags)
    needed = dict.fromkeys([*columns, *numeric, *non_negative, *datetime, *flags])
    require_columns(df, list(needed), name)
    assert isinstance(df, pd.DataFrame)
    if not allow_empty:
        require_nonempty(df, name)
    # The checks asked for first, so their messages say what the caller expects;
    # then the data dictionary's kinds for the other documented columns named.
    require_numeric(df, numeric, name)
    require_non_negative(df, non_negative, name)
    require_datetime(df, datetime, name)
    require_flags(df, flags, name)
    documented = schema.kinds(name)
    if documented:
        schema.check_columns(df, name, [c for c in needed if c in documented])
    return df
