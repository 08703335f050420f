"""Dataset: the simulated brand's tables, saved and loaded as Parquet with a manifest.

A :class:`Dataset` holds one DataFrame per table of :data:`sim.data.schema.TABLES`,
conformed to the data model, plus the :class:`~sim.scenario.Scenario` and seed
that produced it. On disk a dataset is a folder::

    datasets/default/
        manifest.json        scenario, seed, package version, row counts, checksums
        customers.parquet    one file per table
        orders.parquet
        ...

Saving writes into a temporary sibling folder and renames it into place, so a
failed or interrupted run never leaves a half-written dataset. Loading checks
every table against the schema and the manifest's row counts and checksums.

Checksums hash the *content* of a table (column names, logical types and
values, in a canonical little-endian / UTF-8 encoding defined here), not the
Parquet bytes, so they do not change when pandas or pyarrow change how they
write files; see :func:`table_checksum`.

>>> ds = load("datasets/default")       # doctest: +SKIP
>>> ds.orders.head()                    # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.data import schema
from sim.scenario import Scenario, ScenarioError

__all__ = [
    "CHECKSUM_ALGORITHM",
    "FORMAT",
    "MANIFEST",
    "Dataset",
    "DatasetError",
    "DatasetSchemaError",
    "load",
    "package_version",
    "read_manifest",
    "schema_fingerprint",
    "table_checksum",
]

MANIFEST = "manifest.json"
FORMAT = "crm-workbench-dataset/1"
# Bump the suffix whenever the canonical encoding in _column_chunks changes:
# old manifests then get a clear "regenerate" error instead of a false mismatch.
CHECKSUM_ALGORITHM = "sha256-content-v1"

# Parquet writer settings, fixed so that the same tables give the same bytes
# with a given pyarrow version (checksums do not depend on them).
_PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 6,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",  # keeps nanosecond timestamps as such
}


class DatasetError(ValueError):
    """A dataset folder is missing, incomplete, corrupt or does not match its manifest."""


class DatasetSchemaError(DatasetError, schema.SchemaError):
    """A stored table does not match the data model (catchable as either parent type)."""


# --------------------------------------------------------------------------- helpers
def package_version() -> str:
    """Installed version of the crm-workbench package (``0+unknown`` if not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("crm-workbench")
    except PackageNotFoundError:
        return "0+unknown"


def schema_fingerprint() -> str:
    """Short hash of every table's column names and kinds (meanings excluded).

    Stored in the manifest as the schema version: editing a column's meaning
    keeps it, adding, removing, renaming or retyping a column changes it.
    """
    spec = [[t, [[c.name, c.kind] for c in cols]] for t, cols in schema.TABLES.items()]
    return hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:16]


def _regenerate_hint(path: Path) -> str:
    return f"regenerate with `python -m sim regenerate {path}`"


def _fresh_hint(path: Path) -> str:
    return f"create it with `python -m sim simulate --scenario default --out {path} --force`"


# --------------------------------------------------------------------------- checksums
def _column_chunks(series: pd.Series, kind: str) -> list[bytes | memoryview]:
    """Canonical bytes of one conformed column (independent of pandas/pyarrow internals)."""
    if kind == "str":
        import pyarrow as pa

        # Via Arrow for speed: UTF-8 byte lengths (int64) + the UTF-8 data,
        # whichever way pandas stores the strings.
        arr = pa.Array.from_pandas(series, type=pa.large_string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        _, offsets_buf, data_buf = arr.buffers()
        if offsets_buf is None or len(arr) == 0:
            return [b""]
        offsets = np.frombuffer(offsets_buf, dtype="<i8")[arr.offset : arr.offset + len(arr) + 1]
        data = memoryview(data_buf)[offsets[0] : offsets[-1]] if data_buf is not None else b""
        return [np.diff(offsets).astype("<i8").tobytes(), data]
    if kind == "int":
        return [series.to_numpy(dtype="<i8").tobytes()]
    if kind == "Int":
        mask = series.isna().to_numpy(dtype="u1")
        return [mask.tobytes(), series.to_numpy(dtype="<i8", na_value=0).tobytes()]
    if kind == "float":
        values = series.to_numpy(dtype="<f8", copy=True)
        values[np.isnan(values)] = np.nan  # one NaN bit pattern, whatever the payload
        return [values.tobytes()]
    if kind == "bool":
        return [series.to_numpy(dtype="u1").tobytes()]
    if kind == "datetime":
        # NaT is the minimum int64, distinct from every real timestamp.
        return [series.to_numpy(dtype="datetime64[ns]").view("<i8").tobytes()]
    raise schema.SchemaError(f"unknown column kind {kind!r}")


def table_checksum(name: str, df: pd.DataFrame) -> str:
    """SHA-256 of a conformed table's content.

    The hash covers the table name, row count, each column's name and kind,
    and each column's values encoded canonically: integers and timestamps as
    little-endian int64 (nanoseconds), floats as little-endian float64 with one
    NaN pattern, booleans as bytes, nullable integers as a null mask plus
    values, text as UTF-8 byte lengths plus the UTF-8 bytes. Every chunk is
    length-prefixed.
    It therefore does not depend on the Parquet bytes, the compression, or the
    pandas / pyarrow versions, only on the data.
    """
    h = hashlib.sha256()
    header = {"table": name, "rows": len(df), "algorithm": CHECKSUM_ALGORITHM}
    h.update(json.dumps(header, sort_keys=True).encode())
    for col in schema.TABLES[name]:
        label = f"{col.name}:{col.kind}".encode()
        h.update(len(label).to_bytes(8, "little") + label)
        for chunk in _column_chunks(df[col.name], col.kind):
            h.update(len(chunk).to_bytes(8, "little"))
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- atomic folders
def _replaceable(path: Path) -> bool:
    """True if ``path`` is a folder we may delete on overwrite (ours, or empty).

    Guards against ``--out ~ --force`` wiping an unrelated folder.
    """
    if not path.is_dir() or path.is_symlink():
        return False
    ours = {f"{t}.parquet" for t in schema.TABLES} | {f"{t}.csv" for t in schema.TABLES}
    entries = [p.name for p in path.iterdir()]
    return MANIFEST in entries or all(e in ours for e in entries)


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders (innermost first) if they are empty; ignore the rest."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _write_atomically(
    path: str | os.PathLike, overwrite: bool, fill: Callable[[Path], None]
) -> Path:
    """Create folder ``path`` by calling ``fill(tmp)`` on a temporary sibling, then rename.

    On any failure (including KeyboardInterrupt) the temporary folder is
    removed and an existing ``path`` is left untouched.
    """
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not overwrite:
            raise DatasetError(
                f"{path} already exists; pass overwrite=True (CLI: --force) to replace it"
            )
        if not _replaceable(path):
            raise DatasetError(
                f"refusing to replace {path}: it is not a dataset folder "
                f"(no {MANIFEST}, and it holds other files)"
            )
    parent = path.parent
    # Remember which parent folders we create, to remove them again on failure.
    created = [p for p in (parent, *parent.parents) if not p.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # Not tempfile.mkdtemp: its 0700 mode would stick to the renamed dataset.
        # os.mkdir applies the umask and fails if the name is taken.
        tmp = parent / f".{path.name}.tmp-{uuid.uuid4().hex[:12]}"
        os.mkdir(tmp)
    except OSError as err:
        _remove_empty(created)
        raise DatasetError(f"cannot write {path}: {err}") from err
    try:
        fill(tmp)
        if path.exists():
            # Rename the old folder aside first so that there is never a moment
            # without a complete dataset at `path` that we cannot roll back.
            old = parent / f".{path.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(path, old)
            try:
                os.rename(tmp, path)
            except BaseException:
                os.rename(old, path)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, path)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        if isinstance(err, OSError):
            raise DatasetError(f"cannot write {path}: {err}") from err
        raise
    return path


# --------------------------------------------------------------------------- parquet io
def _arrow_type(kind: str):
    import pyarrow as pa

    return {
        "int": pa.int64(),
        "Int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "datetime": pa.timestamp("ns"),
        "str": pa.string(),
    }[kind]


def _write_parquet(name: str, df: pd.DataFrame, file: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = schema.TABLES[name]
    arrays = [pa.Array.from_pandas(df[c.name], type=_arrow_type(c.kind)) for c in cols]
    fields = [pa.field(c.name, _arrow_type(c.kind), nullable=c.kind != "int") for c in cols]
    # An explicit schema without pandas metadata: no index or pandas-version
    # drift in the files, and the dtypes come from sim.data.schema on load anyway.
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    pq.write_table(table, file, **_PARQUET_OPTIONS)


def _read_parquet(name: str, file: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError) as err:
        raise DatasetError(
            f"{file}: cannot read this Parquet file ({str(err).splitlines()[0]}) — "
            f"it is corrupt or truncated; {_regenerate_hint(file.parent)}"
        ) from err
    # Integers come back as nullable Int64 so missing ids survive; conform()
    # then narrows the non-nullable ones to int64.
    mapper = {pa.int64(): pd.Int64Dtype()}.get
    return table.to_pandas(types_mapper=mapper)


def _write_csv(name: str, df: pd.DataFrame, file: Path) -> None:
    # utf-8-sig: Excel only detects UTF-8 (accented names) with a byte-order mark.
    df.to_csv(file, index=False, encoding="utf-8-sig", lineterminator="\n")


# --------------------------------------------------------------------------- Dataset
class Dataset:
    """The tables of one simulated brand, with the scenario and seed that made them.

    Parameters
    ----------
    tables
        One DataFrame per table of :data:`sim.data.schema.TABLES` (all of them);
        each is conformed (column order, canonical dtypes) on construction.
    scenario
        The scenario that produced the tables.
    seed
        The seed that produced the tables.
    meta
        Free-form run information (e.g. wall time); package version is added.

    Raises
    ------
    SchemaError
        If a table is missing or unknown, or a table does not match the data model.

    Examples
    --------
    >>> ds.orders is ds["orders"]              # doctest: +SKIP
    True
    """

    def __init__(
        self,
        tables: Mapping[str, pd.DataFrame],
        scenario: Scenario,
        seed: int,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(tables, Mapping):
            raise schema.SchemaError(
                f"tables must be a mapping of name -> DataFrame, got {type(tables).__name__}"
            )
        missing = [t for t in schema.TABLES if t not in tables]
        if missing:
            raise schema.SchemaError(f"dataset is missing table(s) {', '.join(missing)}")
        unknown = [t for t in tables if t not in schema.TABLES]
        if unknown:
            raise schema.SchemaError(
                f"unknown table(s) {', '.join(map(str, unknown))}; known tables: {', '.join(schema.TABLES)}"
            )
        conformed = {t: schema.conform(t, tables[t]) for t in schema.TABLES}
        self._setup(conformed, scenario, seed, meta)

    def _setup(
        self,
        tables: dict[str, pd.DataFrame],
        scenario: Scenario,
        seed: int,
        meta: Mapping[str, Any] | None,
    ) -> None:
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.tables: dict[str, pd.DataFrame] = tables
        self.scenario = scenario
        self.seed = int(seed)
        self.meta: dict[str, Any] = {"package_version": package_version(), **dict(meta or {})}

    @classmethod
    def _trusted(cls, tables, scenario, seed, meta) -> Dataset:
        """Build from tables already conformed (load() does it once, with file names)."""
        ds = cls.__new__(cls)
        ds._setup(tables, scenario, seed, meta)
        return ds

    # -- access ---------------------------------------------------------------
    def __getattr__(self, name: str) -> pd.DataFrame:
        # Only called when normal lookup fails; read __dict__ directly so that
        # copy/pickle probing before _setup cannot recurse.
        tables = self.__dict__.get("tables")
        if tables is not None and name in tables:
            return tables[name]
        raise AttributeError(f"{type(self).__name__} has no attribute or table {name!r}")

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"no table {name!r}; tables: {', '.join(self.tables)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __dir__(self) -> list[str]:
        # Tab completion in Jupyter shows the tables.
        return sorted(set(super().__dir__()) | set(self.tables))

    def __repr__(self) -> str:
        rows = ", ".join(f"{t}={len(df):,}" for t, df in self.tables.items())
        return f"<Dataset scenario={self.scenario.name!r} seed={self.seed}: {rows}>"

    def copy(self) -> Dataset:
        """A copy whose tables can be changed without touching this one.

        Cheap: pandas' copy-on-write only copies data when it is modified.
        """
        tables = {t: df.copy(deep=False) for t, df in self.tables.items()}
        return Dataset._trusted(tables, self.scenario, self.seed, dict(self.meta))

    def summary(self) -> pd.DataFrame:
        """Rows and columns per table, indexed by table name."""
        return pd.DataFrame(
            {
                "rows": [len(df) for df in self.tables.values()],
                "columns": [df.shape[1] for df in self.tables.values()],
            },
            index=pd.Index(list(self.tables), name="table"),
        )

    def checksums(self) -> dict[str, str]:
        """Per-table SHA-256 of the content (see :func:`table_checksum`)."""
        return {t: table_checksum(t, df) for t, df in self.tables.items()}

    def manifest(self) -> dict[str, Any]:
        """The manifest written beside the tables (JSON-ready)."""
        return {
            "format": FORMAT,
            "package_version": package_version(),
            "schema_version": schema_fingerprint(),
            "checksum_algorithm": CHECKSUM_ALGORITHM,
            "seed": self.seed,
            "scenario": self.scenario.to_dict(),
            "rows": {t: len(df) for t, df in self.tables.items()},
            "checksums": self.checksums(),
            "meta": _jsonable(self.meta),
        }

    # -- saving ---------------------------------------------------------------
    def save(self, path: str | os.PathLike, overwrite: bool = False, csv: bool = False) -> Path:
        """Write ``<table>.parquet`` files and ``manifest.json`` into folder ``path``.

        Parameters
        ----------
        path
            Dataset folder to create (its parent folders are created if needed).
        overwrite
            Replace an existing dataset folder. The new one is complete before
            the old one is removed; a folder that does not look like a dataset
            is never replaced.
        csv
            Also export every table to ``path/csv/<table>.csv`` (same atomic write).

        Returns
        -------
        Path
            The dataset folder.

        Raises
        ------
        DatasetError
            If ``path`` exists (without ``overwrite``) or cannot be written.
        """

        def fill(tmp: Path) -> None:
            for name, df in self.tables.items():
                _write_parquet(name, df, tmp / f"{name}.parquet")
            if csv:
                (tmp / "csv").mkdir()
                for name, df in self.tables.items():
                    _write_csv(name, df, tmp / "csv" / f"{name}.csv")
            # The manifest goes last: a folder with a manifest is a complete one.
            text = json.dumps(self.manifest(), indent=2, ensure_ascii=False) + "\n"
            (tmp / MANIFEST).write_text(text, encoding="utf-8")

        return _write_atomically(path, overwrite, fill)

    def to_csv(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Export one ``<table>.csv`` per table into folder ``path`` (for spreadsheets).

        UTF-8 with a byte-order mark (so Excel reads accents), no index column,
        ISO timestamps, empty cells for missing values. Written atomically like
        :meth:`save`.
        """

        def fill(tmp: Path) -> None:
            for name, df in self.tables.items():
                _write_csv(name, df, tmp / f"{name}.csv")

        return _write_atomically(path, overwrite, fill)


def _jsonable(value: Any) -> Any:
    """Best-effort plain-JSON version of meta values (numpy scalars, paths, times)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# --------------------------------------------------------------------------- loading
def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The parsed ``manifest.json`` of dataset folder ``path``, checked for required keys.

    Raises
    ------
    DatasetError
        If the folder or manifest is missing, unreadable, or lacks a required key.
    """
    path = Path(path)
    if not path.is_dir():
        raise DatasetError(f"{path}: no dataset folder here; {_fresh_hint(path)}")
    file = path / MANIFEST
    if not file.is_file():
        raise DatasetError(
            f"{path}: {MANIFEST} is missing (incomplete dataset); {_fresh_hint(path)}"
        )
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DatasetError(
            f"{file}: cannot read the manifest ({err}); {_fresh_hint(path)}"
        ) from err
    if not isinstance(manifest, dict):
        raise DatasetError(f"{file}: the manifest must be a JSON object; {_fresh_hint(path)}")
    for key, kind in (("seed", int), ("scenario", dict), ("rows", dict), ("checksums", dict)):
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            raise DatasetError(f"{file}: missing or invalid {key!r} entry; {_fresh_hint(path)}")
    return manifest


def _manifest_scenario(path: Path, manifest: Mapping[str, Any]) -> Scenario:
    try:
        return Scenario.from_dict(manifest["scenario"])
    except ScenarioError as err:
        raise DatasetError(f"{path / MANIFEST}: invalid scenario ({err})") from None


def load(path: str | os.PathLike) -> Dataset:
    """Load a dataset folder written by :meth:`Dataset.save`, verifying it.

    Every table is read, conformed to the data model, and checked against the
    manifest's row count and content checksum.

    Raises
    ------
    DatasetError
        Missing folder, manifest or table file; unreadable Parquet; row count
        or checksum mismatch. The message names the file and how to regenerate.
    DatasetSchemaError
        A table does not match the data model (also a :class:`~sim.data.schema.SchemaError`).
    """
    path = Path(path)
    manifest = read_manifest(path)
    algorithm = manifest.get("checksum_algorithm", CHECKSUM_ALGORITHM)
    if algorithm != CHECKSUM_ALGORITHM:
        raise DatasetError(
            f"{path}: written with checksum algorithm {algorithm!r}, this version uses "
            f"{CHECKSUM_ALGORITHM!r}; {_regenerate_hint(path)}"
        )
    scenario = _manifest_scenario(path, manifest)
    tables: dict[str, pd.DataFrame] = {}
    for name in schema.TABLES:
        file = path / f"{name}.parquet"
        if not file.is_file():
            raise DatasetError(
                f"{path}: {file.name} is missing (incomplete dataset); {_regenerate_hint(path)}"
            )
        raw = _read_parquet(name, file)
        try:
            df = schema.conform(name, raw)
        except schema.SchemaError as err:
            raise DatasetSchemaError(
                f"{path}: {file.name} does not match the data model: {err}; {_regenerate_hint(path)}"
            ) from None
        expected_rows = manifest["rows"].get(name)
        if expected_rows != len(df):
            raise DatasetError(
                f"{path}: {file.name} has {len(df):,} rows, the manifest says {expected_rows} — "
                f"the file was changed or is corrupt; {_regenerate_hint(path)}"
            )
        if manifest["checksums"].get(name) != table_checksum(name, df):
            raise DatasetError(
                f"{path}: {file.name} checksum mismatch — the file was changed or is corrupt; "
                f"{_regenerate_hint(path)}"
            )
        tables[name] = df
    meta = dict(manifest.get("meta") or {})
    meta["path"] = str(path)
    return Dataset._trusted(tables, scenario, manifest["seed"], meta)
