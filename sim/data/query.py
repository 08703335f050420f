"""SQL over a dataset's tables (DuckDB) and lazy datasets that read only what is asked.

Big datasets need not fit in memory to be explored: DuckDB answers SQL over the
Parquet files of a dataset folder, reading only the columns and row groups a
query needs, and :class:`LazyDataset` (``sim.load(path, lazy=True)``) reads a
table only when it is first used::

    ds = sim.load("datasets/big", lazy=True)     # reads the manifest only
    ds.sql("SELECT market, count(*) AS n FROM customers GROUP BY market")
    ds.read("orders", columns=["customer_id", "net_amount"])
    ds.orders                                     # the whole table, checked, then kept

Every table is a view of the same name (``customers``, ``orders``, ...). For an
in-memory :class:`~sim.data.dataset.Dataset`, :meth:`Dataset.sql` runs the same
SQL over its DataFrames.

A table is stored either as one file ``<table>.parquet`` or as several parts
``<table>/part-<market>.parquet``; the manifest's ``files`` list names them in
order, and :func:`table_files` reads the layout from it, so both work alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.data import schema
from sim.scenario import Scenario

__all__ = ["Checks", "LazyDataset", "QueryError", "connect", "sql", "table_files"]

_SUFFIX = ".parquet"


class QueryError(ValueError):
    """A SQL query failed: unknown table or column, or invalid SQL (the message names the tables)."""


@dataclass(frozen=True)
class Checks:
    """What a lazy dataset checks a table with, handed over by :func:`sim.data.dataset.load`.

    The dataset layer owns its errors, checksums and :class:`Dataset`; this
    module sits below it (the dataset layer imports it), so it receives them.
    """

    error: type[Exception]  # DatasetError
    schema_error: type[Exception]  # DatasetSchemaError
    checksum: Callable[[str, pd.DataFrame], str]  # table_checksum
    dataset: Callable[..., Any]  # Dataset._trusted(tables, scenario, seed, meta)
    # The dataset layer's own verified read of one whole table (parts and their
    # checksums included), so a lazy table is checked exactly as an eager one.
    read_table: Callable[[str], pd.DataFrame] | None = None


def _regenerate_hint(path: Path) -> str:
    return f"regenerate with `python -m sim regenerate {path}`"


# --------------------------------------------------------------------------- layout
def table_files(manifest: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each table's Parquet files, relative to the folder, in the manifest's order.

    An entry ``orders.parquet`` or ``orders/part-eu.parquet`` belongs to table
    ``orders`` (its first path component without ``.parquet``); entries of
    other tables or kinds (``manifest.json``, ``csv/…``) are left out. Every
    table of the data model has a key, with an empty list if no file is listed.
    """
    files: dict[str, list[str]] = {t: [] for t in schema.TABLES}
    for entry in manifest.get("files") or ():
        if not isinstance(entry, str) or not entry.endswith(_SUFFIX):
            continue
        head = entry.split("/", 1)[0]
        name = head.removesuffix(_SUFFIX)
        # "orders.parquet" alone, or "orders/<part>.parquet" under the table's folder
        if name in files and (head.endswith(_SUFFIX) == ("/" not in entry)):
            files[name].append(entry)
    return files


# --------------------------------------------------------------------------- SQL
def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(tables: Mapping[str, pd.DataFrame | Sequence[str | os.PathLike]]):
    """A DuckDB connection with one view per table.

    Parameters
    ----------
    tables
        Table name → a DataFrame (queried in place, not copied) or the list of
        Parquet files that hold the table, read by DuckDB only as a query needs.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    # Otherwise DuckDB would answer for an unknown table with any pandas
    # DataFrame of that name in the caller's variables.
    con.execute("SET python_enable_replacements = false")
    for name, source in tables.items():
        if isinstance(source, pd.DataFrame):
            con.register(name, source)
        else:
            paths = ", ".join(_quote_literal(os.fspath(p)) for p in source)
            con.execute(
                f"CREATE VIEW {_quote_ident(name)} AS SELECT * FROM read_parquet([{paths}])"
            )
    return con


def sql(con, query: str, names: Sequence[str]) -> pd.DataFrame:
    """Run ``query`` on connection ``con`` and return the answer as a DataFrame.

    Raises
    ------
    QueryError
        One line: an unknown table, or DuckDB's first line for any other
        error, with the list of tables ``names`` that can be queried.
    """
    import duckdb

    if not isinstance(query, str) or not query.strip():
        raise QueryError(f"query must be a non-empty SQL string; tables: {', '.join(names)}")
    try:
        return con.execute(query).df()
    except duckdb.CatalogException as err:
        first = str(err).splitlines()[0]
        prefix = "Catalog Error: Table with name "
        if first.startswith(prefix) and first.endswith(" does not exist!"):
            table = first[len(prefix) : -len(" does not exist!")]
            raise QueryError(
                f"unknown table {table!r} in the query; tables: {', '.join(names)}"
            ) from None
        raise QueryError(f"SQL error: {first}; tables: {', '.join(names)}") from None
    except duckdb.Error as err:
        first = str(err).splitlines()[0]
        raise QueryError(f"SQL error: {first}; tables: {', '.join(names)}") from None


def sql_over_frames(tables: Mapping[str, pd.DataFrame], query: str) -> pd.DataFrame:
    """Answer ``query`` over in-memory tables (one DuckDB view per DataFrame)."""
    con = connect(tables)
    try:
        return sql(con, query, list(tables))
    finally:
        con.close()


# --------------------------------------------------------------------------- reading
def _read_parts(
    files: Sequence[Path], columns: Sequence[str] | None, error: type[Exception]
) -> pd.DataFrame:
    """One table's parts, read with pyarrow and joined in order (integers as nullable Int64)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    parts = []
    for file in files:
        try:
            parts.append(pq.read_table(file, columns=list(columns) if columns else None))
        except (pa.ArrowException, OSError) as err:
            raise error(
                f"{file}: cannot read this Parquet file ({str(err).splitlines()[0]}) — "
                f"it is corrupt or truncated; {_regenerate_hint(file.parent)}"
            ) from err
    table = pa.concat_tables(parts, promote_options="default")
    # As load() does: nullable Int64 keeps missing ids; conforming narrows the others.
    mapper = {pa.int64(): pd.Int64Dtype()}.get
    return table.to_pandas(types_mapper=mapper)


def _footer_rows(file: Path, error: type[Exception]) -> int:
    """Rows of a Parquet file, from its footer (nothing else is read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(file).metadata.num_rows
    except (pa.ArrowException, OSError) as err:
        raise error(
            f"{file}: cannot read this Parquet file ({str(err).splitlines()[0]}) — "
            f"it is corrupt or truncated; {_regenerate_hint(file.parent)}"
        ) from err


class _LazyTables(Mapping):
    """``LazyDataset.tables``: the table names, each read on first access."""

    def __init__(self, owner: LazyDataset) -> None:
        self._owner = owner

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._owner[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._owner._files)

    def __len__(self) -> int:
        return len(self._owner._files)

    def __repr__(self) -> str:
        return f"<tables of {self._owner!r}>"


class LazyDataset:
    """A dataset folder whose tables are read on first use (``sim.load(path, lazy=True)``).

    It answers like a :class:`~sim.data.dataset.Dataset` (``ds.orders``,
    ``ds["orders"]``, ``list(ds)``, ``len(ds)``, ``ds.tables``, ``ds.scenario``,
    ``ds.seed``, ``ds.sql(...)``) but opens no table until asked. A whole
    table, once read, is checked against the data model and the manifest's
    row count and checksum, then kept; :meth:`read` with ``columns`` reads only
    those columns (row count and types checked; the checksum covers whole
    tables only). :meth:`sql` lets DuckDB read the files directly.

    Built by :func:`sim.load` once the manifest is verified; not meant to be
    constructed by hand.
    """

    def __init__(
        self, path: Path, manifest: Mapping[str, Any], scenario: Scenario, checks: Checks
    ) -> None:
        self.path = Path(path)
        self._checks = checks
        self._manifest = manifest
        self.scenario = scenario
        self.seed = int(manifest["seed"])
        self.meta: dict[str, Any] = {**dict(manifest.get("meta") or {}), "path": str(path)}
        layout = table_files(manifest)
        for name, rel in layout.items():
            if not rel and manifest["rows"].get(name) != 0:
                raise self._checks.error(
                    f"{self.path}: the manifest lists no file for table {name!r} "
                    f"(incomplete dataset); {_regenerate_hint(self.path)}"
                )
            for entry in rel:
                if not (self.path / entry).is_file():
                    raise self._checks.error(
                        f"{self.path}: {entry} is missing (incomplete dataset); "
                        f"{_regenerate_hint(self.path)}"
                    )
        self._files: dict[str, list[Path]] = {
            t: [self.path / entry for entry in rel] for t, rel in layout.items()
        }
        self._cache: dict[str, pd.DataFrame] = {}
        self._con = None

    # -- access ---------------------------------------------------------------
    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """Table name → table, each read on first access (iterating reads nothing)."""
        return _LazyTables(self)

    @property
    def loaded(self) -> tuple[str, ...]:
        """The tables read so far (and kept in memory)."""
        return tuple(self._cache)

    def _known(self, name: object) -> str:
        if not isinstance(name, str) or name not in self._files:
            raise KeyError(f"no table {name!r}; tables: {', '.join(self._files)}")
        return name

    def __getattr__(self, name: str) -> pd.DataFrame:
        # Only called when normal lookup fails; __dict__ guards copy/pickle probing.
        files = self.__dict__.get("_files")
        if files is not None and name in files:
            return self.read(name)
        raise AttributeError(
            f"{type(self).__name__} has no attribute or table {name!r}"
            + (f"; tables: {', '.join(files)}" if files is not None else "")
        )

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.read(self._known(name))

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._files))

    def __repr__(self) -> str:
        rows = ", ".join(f"{t}={self._manifest['rows'].get(t, 0):,}" for t in self._files)
        return f"<LazyDataset scenario={self.scenario.name!r} seed={self.seed}: {rows}>"

    def summary(self) -> pd.DataFrame:
        """Rows (from the manifest) and columns per table, indexed by table name; reads nothing."""
        return pd.DataFrame(
            {
                "rows": [int(self._manifest["rows"].get(t, 0)) for t in self._files],
                "columns": [len(schema.TABLES[t]) for t in self._files],
            },
            index=pd.Index(list(self._files), name="table"),
        )

    def read(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Table ``name``, whole (checked and kept) or only ``columns`` (read each time).

        Parameters
        ----------
        name
            A table of the data model.
        columns
            Documented columns of that table to read, in the order given;
            ``None`` reads the whole table.

        Raises
        ------
        KeyError
            Unknown table (the message lists the tables).
        ValueError
            A column the table does not have (the message lists its columns).
        DatasetError
            A file is unreadable, or its rows or checksum differ from the manifest.
        """
        name = self._known(name)
        if columns is not None:
            if isinstance(columns, str):
                columns = [columns]
            columns = list(columns)
            documented = schema.kinds(name)
            unknown = [c for c in columns if c not in documented]
            if unknown or not columns:
                raise ValueError(
                    f"columns: {', '.join(map(repr, unknown)) or 'none given'} "
                    f"{'not in' if unknown else 'for'} table {name!r}; "
                    f"its columns: {', '.join(documented)}"
                )
            if name in self._cache:
                return self._cache[name][columns].copy()
            return self._read_columns(name, columns)
        if name not in self._cache:
            self._cache[name] = self._read_whole(name)
        return self._cache[name]

    def _where(self, name: str) -> str:
        files = self._files[name]
        rel = [f.relative_to(self.path).as_posix() for f in files]
        return rel[0] if len(rel) == 1 else f"{name}/ ({len(rel)} parts)"

    def _check_rows(self, name: str, n: int) -> None:
        expected = self._manifest["rows"].get(name)
        if expected != n:
            raise self._checks.error(
                f"{self.path}: {self._where(name)} has {n:,} rows, the manifest says "
                f"{expected} — the file was changed or is corrupt; {_regenerate_hint(self.path)}"
            )

    def _read_whole(self, name: str) -> pd.DataFrame:
        if self._checks.read_table is not None and name in (self._manifest.get("parts") or {}):
            return self._checks.read_table(name)
        files = self._files[name]
        raw = _read_parts(files, None, self._checks.error) if files else schema.empty_table(name)
        try:
            df = schema.conform(name, raw)
        except schema.SchemaError as err:
            raise self._checks.schema_error(
                f"{self.path}: {self._where(name)} does not match the data model: {err}; "
                f"{_regenerate_hint(self.path)}"
            ) from None
        self._check_rows(name, len(df))
        if self._manifest["checksums"].get(name) != self._checks.checksum(name, df):
            raise self._checks.error(
                f"{self.path}: {self._where(name)} checksum mismatch — the file was changed "
                f"or is corrupt; {_regenerate_hint(self.path)}"
            )
        return df

    def _read_columns(self, name: str, columns: list[str]) -> pd.DataFrame:
        files = self._files[name]
        if files:
            raw = _read_parts(files, columns, self._checks.error)
        else:
            raw = schema.empty_table(name)[columns]
        where = f"{self.path}: {self._where(name)}"
        try:
            schema.check_columns(raw, name, columns, context=where)
            df = pd.DataFrame(
                {c: schema._cast(raw[c], schema.kinds(name)[c], f"{where}.{c}") for c in columns},
                index=pd.RangeIndex(len(raw)),
            )
        except schema.SchemaError as err:
            raise self._checks.schema_error(f"{err}; {_regenerate_hint(self.path)}") from None
        self._check_rows(name, len(df))
        return df

    # -- SQL ------------------------------------------------------------------
    def sql(self, query: str) -> pd.DataFrame:
        """Answer a SQL query with DuckDB over the Parquet files (one view per table).

        DuckDB reads only the columns and row groups the query needs, so this
        works on datasets larger than memory. The files' row counts are checked
        against the manifest once, when the first query opens them.

        Raises
        ------
        QueryError
            Unknown table or column, or invalid SQL (the message lists the tables).
        """
        if self._con is None:
            for name, files in self._files.items():
                self._check_rows(name, sum(_footer_rows(f, self._checks.error) for f in files))
            sources = {
                t: (files if files else schema.empty_table(t)) for t, files in self._files.items()
            }
            self._con = connect(sources)
        return sql(self._con, query, list(self._files))

    def to_dataset(self):
        """Every table read and checked: the same :class:`Dataset` as ``sim.load(path)``."""
        tables = {t: self.read(t) for t in self._files}
        return self._checks.dataset(tables, self.scenario, self.seed, dict(self.meta))
