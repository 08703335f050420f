"""Dataset: the simulated brand's tables, saved and loaded as Parquet with a manifest.

A :class:`Dataset` holds one DataFrame per table of :data:`sim.data.schema.TABLES`,
conformed to the data model, plus the :class:`~sim.scenario.Scenario` and seed
that produced it. On disk a dataset is a folder::

    datasets/default/
        manifest.json        format, scenario, seed, versions, rows, checksums, files
        customers.parquet    one file per table, or
        orders/part-<market>.parquet   one part per market shard (manifest order)
        ...
        csv/customers.csv    only with save(csv=True)

A sharded run (:func:`sim.compose.simulate`) keeps its tables in parts, one
per market in the scenario's market order; the manifest's ``parts`` entry lists
each table's part files in that order with their rows and checksums, and a
table is the concatenation of its parts (a table without an entry is the single
file ``<table>.parquet``). :func:`load` reads either layout into the same
DataFrames.

A folder counts as a dataset only if its ``manifest.json`` carries the
workbench's format marker and lists the files the workbench wrote there.
Overwriting replaces exactly those files: a folder that holds anything else
(notes, figures) or that the workbench did not write is refused, naming what is
in the way, and nothing is deleted.

Saving holds a lock on the output path (``PARENT/.NAME.lock``) from the
pre-flight check (:func:`writing`, taken by the CLI before it simulates)
through the final swap, and writes into a temporary sibling folder that is
swapped in at the end in one atomic step (Linux ``renameat2``; elsewhere two
renames with a journal that the next run rolls back), so a failed, interrupted
or killed run never leaves a half-written dataset, and of two runs writing the
same folder one fails at once with a clear message. A killed run's temporary
folder is removed by the next run on the same path, never while its writer lives. Loading checks the format, the schema version, and every
table against the schema and the manifest's row counts and checksums.

The manifest's bytes depend only on the scenario, the seed and the package
version: run information such as wall time (:data:`RUN_META_KEYS`) stays in
:attr:`Dataset.meta` in memory and is not written.

Checksums hash the *content* of a table (column names, logical types and
values, in a canonical little-endian / UTF-8 encoding defined here), not the
Parquet bytes, so they do not change when pandas or pyarrow change how they
write files; see :func:`table_checksum`.

>>> ds = load("datasets/default")       # doctest: +SKIP
>>> ds.orders.head()                    # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import re
import stat
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.data import schema
from sim.scenario import Scenario, ScenarioError

try:  # POSIX only; without it saving works but two runs can collide
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "CHECKSUM_ALGORITHM",
    "CSV_FORMAT",
    "FORMAT",
    "MANIFEST",
    "RUN_META_KEYS",
    "Dataset",
    "DatasetError",
    "DatasetSchemaError",
    "InterruptedAfterSave",
    "check_target",
    "load",
    "package_version",
    "parts_checksum",
    "read_table_file",
    "write_parts",
    "write_table_file",
    "read_manifest",
    "schema_fingerprint",
    "table_checksum",
    "writing",
]

MANIFEST = "manifest.json"
# Format markers: version 2 added the list of files written (and dropped run
# timings), so that a folder is recognised only by a manifest the workbench wrote.
FORMAT = "crm-workbench-dataset/2"
CSV_FORMAT = "crm-workbench-csv/2"  # the manifest of a Dataset.to_csv folder
_LEGACY_FORMATS = ("crm-workbench-dataset/1",)  # replaced and regenerated, never loaded
# Dataset.meta keys that describe one run rather than the data: kept in memory,
# left out of the manifest so its bytes are the same for the same scenario and seed.
RUN_META_KEYS = frozenset({"wall_seconds", "path"})
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
    return f"create it with `python -m sim simulate --scenario default --out {path}`"


def _replace_hint(path: Path) -> str:
    return f"replace it with `python -m sim simulate --scenario default --out {path} --force`"


def _not_ours_hint(path: Path) -> str:
    # --force would refuse such a folder: say so rather than suggest it.
    return (
        "the workbench only replaces folders whose manifest it wrote: "
        f"move {path} away or write to another folder"
    )


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


def parts_checksum(name: str, part_checksums: Sequence[str], rows: int) -> str:
    """SHA-256 of a table kept in parts: its name, rows and its parts' checksums, in order.

    Each part's checksum is :func:`table_checksum` of the part, so a table's
    checksum can be computed one part at a time, without the whole table.
    """
    header = {"table": name, "rows": int(rows), "algorithm": CHECKSUM_ALGORITHM}
    body = json.dumps({"header": header, "parts": list(part_checksums)}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


# --------------------------------------------------------------------------- safe folders
# Every write of folder PARENT/NAME (save, to_csv) holds an exclusive flock on
# PARENT/.NAME.lock from the pre-flight check (the CLI takes it before it
# simulates) through the final swap. Only the lock holder creates
# PARENT/.NAME.tmp-<pid>-<hex> (the new folder being filled) and
# PARENT/.NAME.old-<pid>-<hex> (the replaced folder, while a swap without
# renameat2 is under way), so whoever gets the lock knows that every such
# folder is a dead writer's leftover: a live writer's folders are never seen by
# anyone who could remove them. The lock file doubles as the journal of that
# two-step swap, so the next run puts back a dataset that a killed run had
# moved aside. Nothing is deleted unless a workbench manifest lists it.

# What a version-1 folder held (its manifest listed no files).
_LEGACY_FILES = frozenset(
    [MANIFEST] + [f"{t}.parquet" for t in schema.TABLES] + [f"csv/{t}.csv" for t in schema.TABLES]
)
# Every name the workbench writes into a folder; a dead writer's temporary
# folder (its manifest not yet written) holds only these.
_KNOWN_FILES = _LEGACY_FILES | {f"{t}.csv" for t in schema.TABLES}
# A table's parts: "<table>/part-<label>.parquet", the label a market's name.
_PART_FILE = re.compile(
    r"^(" + "|".join(map(re.escape, schema.TABLES)) + r")/part-[A-Za-z0-9_.-]+\.parquet$"
)


def _is_part_file(rel: str) -> bool:
    """True for a relative path the workbench writes a table's part to."""
    return _PART_FILE.match(rel) is not None


_SHOWN_NAMES = 5  # unlisted files named in a refusal


class InterruptedAfterSave(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM in the CLI) arrived once the folder was completely written.

    Still a :class:`KeyboardInterrupt`, so it stops a script or a notebook cell
    as usual; ``path`` names the folder, which holds the new data.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__(f"interrupted after {path} was completely written")
        self.path = Path(path)


def _reason(err: OSError) -> str:
    return err.strerror or str(err)


def _valid_entry(rel: object) -> bool:
    """True for a relative POSIX path inside the folder (no ``..``, no absolute path)."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


def _listed_files(folder: Path) -> tuple[frozenset[str] | None, str]:
    """The files the workbench wrote in ``folder`` per its manifest, or ``None`` and why not."""
    file = folder / MANIFEST
    if file.is_symlink() or not file.is_file():
        return None, f"no {MANIFEST}"
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # ValueError: bad JSON or bad UTF-8
        return None, f"its {MANIFEST} is unreadable"
    fmt = manifest.get("format") if isinstance(manifest, dict) else None
    if fmt in _LEGACY_FORMATS:
        return _LEGACY_FILES, ""
    if fmt not in (FORMAT, CSV_FORMAT):
        return None, f"its {MANIFEST} was not written by CRM Workbench"
    files = manifest.get("files")
    if not isinstance(files, list) or not all(_valid_entry(f) for f in files):
        return None, f"its {MANIFEST} has no valid list of the files it wrote"
    return frozenset(files) | {MANIFEST}, ""


def _walk_error(err: OSError) -> None:
    raise err  # an unreadable sub-folder must not pass for an empty one


def _relative(root: str, folder: Path) -> str:
    rel = Path(root).relative_to(folder).as_posix()
    return "" if rel == "." else rel + "/"


def _unlisted(folder: Path, listed: frozenset[str]) -> list[str]:
    """Entries of ``folder`` the workbench did not write (sub-folders end in ``/``)."""
    dirs = {"/".join(f.split("/")[:i]) for f in listed for i in range(1, f.count("/") + 1)}
    extra: list[str] = []
    for root, dirnames, filenames in os.walk(folder, onerror=_walk_error):
        prefix = _relative(root, folder)
        keep = []
        for d in sorted(dirnames):
            if prefix + d in dirs and not os.path.islink(os.path.join(root, d)):
                keep.append(d)
            else:
                extra.append(f"{prefix}{d}/")
        dirnames[:] = keep
        for f in filenames:
            mode = os.lstat(os.path.join(root, f)).st_mode
            if prefix + f not in listed or not stat.S_ISREG(mode):
                extra.append(prefix + f)
    return sorted(extra)


def _some(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN_NAMES])
    more = len(names) - _SHOWN_NAMES
    return f"{shown} and {more} more" if more > 0 else shown


@dataclass(frozen=True)
class _State:
    """What is at an output path: ``absent``, ``empty``, ``ours`` (a workbench folder) or ``other``."""

    kind: str
    unlisted: tuple[str, ...] = ()
    why: str = ""


def _inspect(path: Path) -> _State:
    if path.is_symlink():
        return _State("other", why="it is a symbolic link")
    if not path.exists():
        return _State("absent")
    if not path.is_dir():
        return _State("other", why="it is a file, not a folder")
    if not os.listdir(path):
        return _State("empty")
    listed, why = _listed_files(path)
    if listed is None:
        return _State("other", why=why)
    return _State("ours", tuple(_unlisted(path, listed)))


def _refusal(shown: Path, state: _State, overwrite: bool) -> str | None:
    """Why ``state`` may not be written over (``None`` if it may), in the user's terms."""
    if state.kind in ("absent", "empty"):
        return None
    if state.kind == "other":
        if overwrite:
            return (
                f"refusing to replace {shown}: it is not a dataset folder written by "
                f"CRM Workbench ({state.why}); nothing was changed — choose another folder"
            )
        return (
            f"{shown} already exists and is not a dataset folder written by CRM Workbench "
            f"({state.why}); choose another folder"
        )
    if state.unlisted:
        return (
            f"refusing to {'replace' if overwrite else 'write'} {shown}: it holds files "
            f"CRM Workbench did not write ({_some(state.unlisted)}); nothing was changed — "
            f"move them out of the folder or choose another one"
        )
    if not overwrite:
        return f"{shown} already exists; pass overwrite=True (CLI: --force) to replace it"
    return None


def _discard(folder: Path, kept_as: Path) -> None:
    """Delete the workbench's files in ``folder``, then the folder.

    Anything else found there (only possible if someone put it there during a
    swap) is never deleted: the folder is renamed to the visible ``kept_as``.
    """
    listed, _ = _listed_files(folder)
    ours = _KNOWN_FILES | (listed or frozenset())
    for root, dirnames, filenames in os.walk(folder, topdown=False):
        prefix = _relative(root, folder)
        for f in filenames:
            file = os.path.join(root, f)
            ours_ = prefix + f in ours or _is_part_file(prefix + f)
            if ours_ and stat.S_ISREG(os.lstat(file).st_mode):
                os.unlink(file)
        for d in dirnames:
            with contextlib.suppress(OSError):  # not empty, or a symlink: keep it
                os.rmdir(os.path.join(root, d))
    try:
        os.rmdir(folder)
    except OSError:
        os.rename(folder, kept_as)
        warnings.warn(
            f"{folder} held files CRM Workbench did not write; they were kept in {kept_as}",
            stacklevel=2,
        )


def _same_folder(path: Path, st: os.stat_result) -> bool:
    try:
        return os.path.samestat(os.stat(path), st)
    except OSError:
        return False


@functools.cache
def _renameat2() -> Any:
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not Linux, or a C library without it
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


def _exchange(a: Path, b: Path) -> bool:
    """Swap folders ``a`` and ``b`` in one atomic step; ``False`` where unsupported.

    Linux's ``renameat2(RENAME_EXCHANGE)``: there is no moment at which ``b``
    does not hold a complete folder, whatever kills the process.
    """
    fn = _renameat2()
    if fn is None:
        return False
    import ctypes

    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # kernel or file system
        return False
    raise OSError(code, os.strerror(code), str(b))


class _Target:
    """Output folder ``path``, locked for writing by this thread (see :func:`writing`)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.shown = Path(path)
        self.path = Path(os.path.abspath(path))
        if self.path.parent == self.path:
            raise DatasetError(f"cannot write {self.shown}: it is the root of the file system")
        self.parent, self.name = self.path.parent, self.path.name
        self.lockfile = self.parent / f".{self.name}.lock"
        self._leftover = re.compile(rf"\.{re.escape(self.name)}\.(?:tmp|old)-\d+-[0-9a-f]{{12}}")
        self.written = False
        self._fd: int | None = None
        self._journal: dict[str, Any] = {}
        # The parent folders this run creates, innermost first: removed again
        # (if still empty) when nothing gets written.
        self._created = [p for p in (self.parent, *self.parent.parents) if not p.exists()]

    # -- the lock ---------------------------------------------------------------
    def open(self) -> None:
        """Create the parent folders, take the lock, recover and clean a dead writer's leftovers."""
        try:
            try:
                self.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise DatasetError(
                    f"cannot write {self.shown}: {self._parent_problem(err)}"
                ) from None
            try:
                journal = self._lock()
            except OSError as err:
                raise DatasetError(
                    f"cannot write {self.shown}: cannot create files in {self._shown_parent()} "
                    f"({_reason(err)})"
                ) from None
            try:
                self._recover(journal)
                self._clean()
            except OSError as err:
                raise DatasetError(
                    f"cannot write {self.shown}: cannot tidy up after an earlier run "
                    f"({_reason(err)}: {err.filename})"
                ) from None
        except BaseException:
            self.close()
            raise

    def _parent_problem(self, err: OSError) -> str:
        # "File exists" from mkdir means a file sits where a folder is needed: name it.
        for folder in (self.shown.parent, *self.shown.parent.parents):
            if os.path.lexists(folder):
                if not folder.is_dir():
                    return f"{folder} is a file, not a folder"
                break
        return f"cannot create folder {self._shown_parent()} ({_reason(err)})"

    def _shown_parent(self) -> Path:
        return self.parent if str(self.shown.parent) == "." else self.shown.parent

    def _lock(self) -> dict[str, Any]:
        """Take the lock; return the journal a dead holder left in the lock file."""
        while True:
            fd = os.open(self.lockfile, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            if fcntl is None:  # no flock (Windows): no protection against a second writer
                break
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    pid = _read_json(fd).get("pid")
                    os.close(fd)
                    fd = -1
                    who = f"another run (process {pid})" if isinstance(pid, int) else "another run"
                    raise DatasetError(
                        f"{who} is writing {self.shown} right now; nothing was changed — "
                        f"wait for it to finish or choose another folder"
                    ) from None
                # The previous holder deletes the file when done: if it did so after
                # our open(), we locked a file nobody else will look at. Start over.
                try:
                    same = os.path.samestat(os.fstat(fd), os.stat(self.lockfile))
                except FileNotFoundError:
                    same = False
            except DatasetError:
                raise
            except BaseException:
                # Interrupted (a signal) while taking the lock: leave no lock file
                # behind if nobody else holds it.
                self._drop_unheld_lock(fd)
                raise
            if same:
                break
            os.close(fd)
        self._fd = fd
        journal = _read_json(fd)
        self._set_journal({})
        return journal

    def _drop_unheld_lock(self, fd: int) -> None:
        """Close ``fd``; remove the lock file if nobody else holds it (an interrupted take)."""
        if fd < 0:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.path.samestat(os.fstat(fd), os.stat(self.lockfile)):
                os.unlink(self.lockfile)
        except OSError:
            pass  # held by another run, or already gone: theirs to remove
        finally:
            os.close(fd)

    def _set_journal(self, journal: dict[str, Any]) -> None:
        assert self._fd is not None
        # lseek + write rather than pwrite: the same code runs where pwrite is missing.
        os.ftruncate(self._fd, 0)
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, json.dumps({"pid": os.getpid(), **journal}).encode())
        self._journal = journal

    def _recover(self, journal: Mapping[str, Any], announce: bool = True) -> None:
        """Put back a dataset that an interrupted two-step swap had moved aside."""
        aside = journal.get("aside")
        if isinstance(aside, str) and self._leftover.fullmatch(aside):
            old = self.parent / aside
            if not os.path.lexists(self.path) and old.is_dir() and not old.is_symlink():
                os.rename(old, self.path)
                if announce:  # another run's doing: tell the user why the folder is back
                    warnings.warn(
                        f"{self.shown}: put back the dataset that an interrupted run had "
                        "moved aside",
                        stacklevel=3,
                    )
        if self._fd is not None:
            self._set_journal({})

    def _clean(self) -> None:
        """Remove dead writers' temporary folders (we hold the lock, so no writer is alive)."""
        if fcntl is None:  # without flock a live writer's folder cannot be told from a dead one's
            return
        for entry in sorted(os.listdir(self.parent)):
            folder = self.parent / entry
            if self._leftover.fullmatch(entry) and folder.is_dir() and not folder.is_symlink():
                _discard(folder, self._kept_as())

    def _kept_as(self) -> Path:
        return self.parent / f"{self.name}.kept-{uuid.uuid4().hex[:8]}"

    def close(self) -> None:
        """Release the lock; remove the parent folders this run created if nothing was written."""
        if self._fd is not None:
            try:
                if not self._journal:  # a pending journal must survive for the next run
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.lockfile)
            finally:
                os.close(self._fd)
                self._fd = None
        if not self.written:
            for folder in self._created:
                try:
                    folder.rmdir()
                except OSError:
                    break

    # -- checks and the write ---------------------------------------------------
    def check(self, overwrite: bool) -> _State:
        """Raise :class:`DatasetError` if the folder may not be written now."""
        try:
            state = _inspect(self.path)
        except OSError as err:
            raise DatasetError(f"cannot inspect {self.shown}: {_reason(err)}") from None
        problem = _refusal(self.shown, state, overwrite)
        if problem:
            raise DatasetError(problem)
        if state.kind == "ours" and not os.access(self.path, os.W_OK | os.X_OK):
            raise DatasetError(f"cannot replace {self.shown}: the folder is read-only")
        return state

    def write(self, fill: Callable[[Path], None], overwrite: bool) -> None:
        """Fill a temporary folder with ``fill(tmp)`` and swap it in for the output folder."""
        self.check(overwrite)
        tmp = self.parent / f".{self.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        new: os.stat_result | None = None
        try:
            # Not tempfile.mkdtemp: its 0700 mode would stick to the dataset.
            os.mkdir(tmp)
            fill(tmp)
            new = os.stat(tmp)
            # Again: the folder may have changed while this run was simulating.
            state = self.check(overwrite)
            if state.kind == "ours":
                old = self._replace(tmp)
            else:
                # Fails (ENOTEMPTY) if anything was put in the folder meanwhile.
                os.rename(tmp, self.path)
                old = None
        except BaseException as err:
            if new is not None and _same_folder(self.path, new):
                # Interrupted just after the swap: the new folder is in place.
                self.written = True
                if isinstance(err, KeyboardInterrupt):
                    raise InterruptedAfterSave(self.shown) from err
                raise
            self._recover(self._journal, announce=False)  # undo our own half-done swap
            with contextlib.suppress(OSError):  # else the next run on this path removes it
                if tmp.is_dir():
                    _discard(tmp, self._kept_as())
            if isinstance(err, OSError):
                if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    raise DatasetError(
                        f"{self.shown} was filled by another program while this run was "
                        f"writing; this run's data was discarded and {self.shown} was left as it was"
                    ) from None
                raise DatasetError(
                    f"cannot write {self.shown}: {_reason(err)}; {self.shown} was left as it was"
                ) from None
            raise
        self.written = True
        if old is not None:
            try:
                _discard(old, self._kept_as())
            except KeyboardInterrupt as err:
                raise InterruptedAfterSave(self.shown) from err
            except OSError as err:
                warnings.warn(
                    f"{self.shown} was written, but the files it replaced could not all be "
                    f"removed from {old} ({_reason(err)}); the next run on {self.shown} removes them",
                    stacklevel=3,
                )

    def _replace(self, tmp: Path) -> Path:
        """Swap the filled ``tmp`` in for the dataset; return the folder now holding the old one."""
        if _exchange(tmp, self.path):
            return tmp
        # Two renames, with a journal: if the process dies between them, the
        # next run on this path finds the journal in the lock file and renames
        # the old dataset back.
        aside = self.parent / f".{self.name}.old-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._set_journal({"aside": aside.name})
        os.rename(self.path, aside)
        os.rename(tmp, self.path)
        self._set_journal({})
        return aside


def _read_json(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 65536) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_HELD: dict[tuple[str, str, int], _Target] = {}


@contextlib.contextmanager
def writing(path: str | os.PathLike, overwrite: bool = False) -> Iterator[_Target]:
    """Check that folder ``path`` may be written, and hold its lock until the block ends.

    The pre-flight of :meth:`Dataset.save` and :meth:`Dataset.to_csv`, for a
    caller with a long job to do first (the CLI simulates inside the block):
    every problem with ``path`` is reported before the job starts, and no other
    run can write ``path`` until the block ends. Saves to ``path`` inside the
    block (same thread) reuse the lock.

    Parameters
    ----------
    path
        Output folder. Its parent folders are created (and removed again if
        nothing is written).
    overwrite
        Whether an existing dataset folder may be replaced.

    Yields
    ------
    object
        The locked folder; its ``written`` attribute tells whether a save
        inside the block has replaced it.

    Raises
    ------
    DatasetError
        The parent cannot be created or written; ``path`` is a file, a symbolic
        link, a folder the workbench did not write, a dataset holding files the
        workbench did not write, or (without ``overwrite``) an existing
        dataset; or another run is writing ``path``.
    InterruptedAfterSave
        Ctrl-C arrived after a save inside the block had completed.

    Examples
    --------
    >>> with writing("data/mine", overwrite=True):      # doctest: +SKIP
    ...     ds = simulate(scenario, seed=1)
    ...     ds.save("data/mine", overwrite=True)
    """
    abspath = Path(os.path.abspath(path))
    key = (os.path.realpath(abspath.parent), abspath.name, threading.get_ident())
    held = _HELD.get(key)
    if held is not None:
        held.check(overwrite)
        yield held
        return
    target = _Target(path)
    target.open()
    _HELD[key] = target
    try:
        target.check(overwrite)
        yield target
    except KeyboardInterrupt as err:
        if target.written and not isinstance(err, InterruptedAfterSave):
            raise InterruptedAfterSave(target.shown) from err
        raise
    finally:
        del _HELD[key]
        target.close()


def check_target(path: str | os.PathLike, overwrite: bool = False) -> None:
    """Raise :class:`DatasetError` if folder ``path`` cannot be written now (see :func:`writing`)."""
    with writing(path, overwrite):
        pass


def _write_atomically(
    path: str | os.PathLike, overwrite: bool, fill: Callable[[Path], None]
) -> Path:
    """Create folder ``path`` by calling ``fill(tmp)`` on a temporary sibling, then swap it in.

    On any failure (including KeyboardInterrupt before the swap) the temporary
    folder is removed and an existing ``path`` is left untouched.
    """
    with writing(path, overwrite) as target:
        target.write(fill, overwrite)
    return Path(path)


def _files_in(folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted relative POSIX paths."""
    out = []
    for root, _, filenames in os.walk(folder, onerror=_walk_error):
        prefix = _relative(root, folder)
        out.extend(prefix + f for f in filenames)
    return sorted(out)


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
        parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
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
        self._setup(conformed, scenario, seed, meta, parts)

    def _setup(
        self,
        tables: dict[str, pd.DataFrame],
        scenario: Scenario,
        seed: int,
        meta: Mapping[str, Any] | None,
        parts: Mapping[str, Sequence[tuple[str, int]]] | None = None,
    ) -> None:
        if not isinstance(scenario, Scenario):
            raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.tables: dict[str, pd.DataFrame] = tables
        self.scenario = scenario
        self.seed = int(seed)
        self.meta: dict[str, Any] = {"package_version": package_version(), **dict(meta or {})}
        # Table -> [(part label, rows), ...]: how a sharded run's rows split by market.
        self.parts: dict[str, list[tuple[str, int]]] = {
            t: [(str(label), int(rows)) for label, rows in p] for t, p in (parts or {}).items()
        }

    @classmethod
    def _trusted(cls, tables, scenario, seed, meta, parts=None) -> Dataset:
        """Build from tables already conformed (load() does it once, with file names)."""
        ds = cls.__new__(cls)
        ds._setup(tables, scenario, seed, meta, parts)
        return ds

    def _parts_of(self, name: str) -> list[tuple[str, int]] | None:
        """The parts table ``name`` is saved in, or ``None`` for one file.

        Parts that no longer add up to the table (its rows were changed in
        memory) are dropped: the table is then saved as one file.
        """
        parts = self.parts.get(name)
        if not parts or sum(rows for _, rows in parts) != len(self.tables[name]):
            return None
        return parts

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
        return Dataset._trusted(tables, self.scenario, self.seed, dict(self.meta), self.parts)

    def summary(self) -> pd.DataFrame:
        """Rows and columns per table, indexed by table name."""
        return pd.DataFrame(
            {
                "rows": [len(df) for df in self.tables.values()],
                "columns": [df.shape[1] for df in self.tables.values()],
            },
            index=pd.Index(list(self.tables), name="table"),
        )

    def sql(self, query: str) -> pd.DataFrame:
        """Answer a SQL query with DuckDB, one view per table (``SELECT ... FROM orders``).

        The views read this dataset's DataFrames in place, so the answer
        reflects any change made to them. For data too big for memory, load
        the folder with ``sim.load(path, lazy=True)``, whose :meth:`sql` reads
        the Parquet files (see :mod:`sim.data.query`).

        Raises
        ------
        sim.data.query.QueryError
            Unknown table or column, or invalid SQL (the message lists the tables).
        """
        from sim.data.query import sql_over_frames

        return sql_over_frames(self.tables, query)

    def checksums(self) -> dict[str, str]:
        """Per-table SHA-256 of the content (:func:`table_checksum`; by part: :func:`parts_checksum`)."""
        out = {}
        entries = self._part_entries()
        for t, df in self.tables.items():
            if t in entries:
                out[t] = parts_checksum(t, [e["checksum"] for e in entries[t]], len(df))
            else:
                out[t] = table_checksum(t, df)
        return out

    def manifest(
        self, files: Sequence[str] | None = None, *, format: str = FORMAT
    ) -> dict[str, Any]:
        """The manifest written beside the tables (JSON-ready, deterministic).

        Parameters
        ----------
        files
            The files written into the folder, relative; default: the tables'
            Parquet files and the manifest (a :meth:`save` without ``csv``).
        format
            The format marker: :data:`FORMAT`, or :data:`CSV_FORMAT` for
            :meth:`to_csv`.

        Notes
        -----
        ``meta`` leaves out :data:`RUN_META_KEYS` (wall time, load path), so
        the same scenario and seed give the same bytes.
        """
        if files is None:
            files = [MANIFEST, *self._table_files()]
        meta = {k: v for k, v in self.meta.items() if k not in RUN_META_KEYS}
        out = {
            "format": format,
            "package_version": package_version(),
            "schema_version": schema_fingerprint(),
            "checksum_algorithm": CHECKSUM_ALGORITHM,
            "seed": self.seed,
            "scenario": self.scenario.to_dict(),
            "rows": {t: len(df) for t, df in self.tables.items()},
            "checksums": self.checksums(),
            "files": sorted(set(files) | {MANIFEST}),
            "meta": _jsonable(meta),
        }
        parts = self._part_entries()
        if parts and format == FORMAT:
            out["parts"] = parts
        return out

    def _slices(self, name: str) -> Iterator[tuple[str, pd.DataFrame]]:
        """``(file, rows)`` for each file table ``name`` is saved in (relative paths)."""
        df = self.tables[name]
        parts = self._parts_of(name)
        if parts is None:
            yield f"{name}.parquet", df
            return
        start = 0
        for label, rows in parts:
            yield f"{name}/part-{label}.parquet", df.iloc[start : start + rows]
            start += rows

    def _table_files(self) -> list[str]:
        out = []
        for name in self.tables:
            parts = self._parts_of(name)
            if parts is None:
                out.append(f"{name}.parquet")
            else:
                out.extend(f"{name}/part-{label}.parquet" for label, _ in parts)
        return out

    def _part_entries(self) -> dict[str, list[dict[str, Any]]]:
        """The manifest's ``parts``: per parted table, its files in order with rows and checksum."""
        out: dict[str, list[dict[str, Any]]] = {}
        for name in self.tables:
            if self._parts_of(name) is None:
                continue
            out[name] = [
                {"file": file, "rows": len(part), "checksum": table_checksum(name, part)}
                for file, part in self._slices(name)
            ]
        return out

    def _write_manifest(self, folder: Path, format: str) -> None:
        # Written last, listing every file written before it: a folder with a
        # manifest is complete, and the workbench knows exactly what is its own.
        manifest = self.manifest(_files_in(folder), format=format)
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (folder / MANIFEST).write_text(text, encoding="utf-8")

    # -- saving ---------------------------------------------------------------
    def save(self, path: str | os.PathLike, overwrite: bool = False, csv: bool = False) -> Path:
        """Write ``<table>.parquet`` files and ``manifest.json`` into folder ``path``.

        Parameters
        ----------
        path
            Dataset folder to create (its parent folders are created if needed).
        overwrite
            Replace an existing dataset folder. The new one is complete before
            it is swapped in, in one atomic step. Only a folder whose manifest
            the workbench wrote, holding nothing but the files it lists, is
            ever replaced.
        csv
            Also export every table to ``path/csv/<table>.csv`` (same atomic write).

        Returns
        -------
        Path
            The dataset folder.

        Raises
        ------
        DatasetError
            If ``path`` exists (without ``overwrite``), is not a workbench
            folder, holds files the workbench did not write, is being written
            by another run, or cannot be written (see :func:`writing`).
        InterruptedAfterSave
            Ctrl-C arrived after the new dataset was in place.
        """

        def fill(tmp: Path) -> None:
            for name in self.tables:
                for file, part in self._slices(name):
                    (tmp / file).parent.mkdir(exist_ok=True)
                    _write_parquet(name, part, tmp / file)
            if csv:
                (tmp / "csv").mkdir()
                for name, df in self.tables.items():
                    _write_csv(name, df, tmp / "csv" / f"{name}.csv")
            self._write_manifest(tmp, FORMAT)

        return _write_atomically(path, overwrite, fill)

    def to_csv(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Export one ``<table>.csv`` per table into folder ``path`` (for spreadsheets).

        UTF-8 with a byte-order mark (so Excel reads accents), no index column,
        ISO timestamps, empty cells for missing values. Written atomically like
        :meth:`save`, with a ``manifest.json`` of format :data:`CSV_FORMAT` so
        that the folder can be replaced later (:func:`load` does not read it).
        """

        def fill(tmp: Path) -> None:
            for name, df in self.tables.items():
                _write_csv(name, df, tmp / f"{name}.csv")
            self._write_manifest(tmp, CSV_FORMAT)

        return _write_atomically(path, overwrite, fill)


def write_parts(
    path: str | os.PathLike,
    scenario: Scenario,
    seed: int,
    fill: Callable[[Path], Mapping[str, Any]],
    overwrite: bool = False,
) -> Path:
    """Write a dataset folder whose tables ``fill`` writes itself, part by part.

    ``fill(tmp)`` writes every table into the temporary folder (with
    :func:`write_table_file`) and returns ``{"rows": {table: n}, "parts":
    {table: [{"file", "rows", "checksum"}, ...]}, "checksums": {table: sha}
    (single-file tables), "meta": {...}}``; the manifest is written from it,
    last, and the folder is swapped in atomically as by :meth:`Dataset.save`.
    Nothing needs the whole table in memory.
    """

    def write(tmp: Path) -> None:
        info = fill(tmp)
        parts = {t: list(e) for t, e in info["parts"].items()}
        checksums = dict(info["checksums"])
        for t, entries in parts.items():
            checksums[t] = parts_checksum(t, [e["checksum"] for e in entries], info["rows"][t])
        meta = {"package_version": package_version(), **dict(info.get("meta") or {})}
        meta = {k: v for k, v in meta.items() if k not in RUN_META_KEYS}
        manifest = {
            "format": FORMAT,
            "package_version": package_version(),
            "schema_version": schema_fingerprint(),
            "checksum_algorithm": CHECKSUM_ALGORITHM,
            "seed": int(seed),
            "scenario": scenario.to_dict(),
            "rows": {t: int(info["rows"][t]) for t in schema.TABLES},
            "checksums": {t: checksums[t] for t in schema.TABLES},
            "files": sorted(set(_files_in(tmp)) | {MANIFEST}),
            "meta": _jsonable(meta),
        }
        if parts:
            manifest["parts"] = {t: parts[t] for t in schema.TABLES if t in parts}
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (tmp / MANIFEST).write_text(text, encoding="utf-8")

    return _write_atomically(path, overwrite, write)


def write_table_file(name: str, df: pd.DataFrame, file: Path) -> str:
    """Write one conformed table (or part of one) to Parquet; return its :func:`table_checksum`."""
    file.parent.mkdir(exist_ok=True)
    _write_parquet(name, df, file)
    return table_checksum(name, df)


def read_table_file(name: str, file: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a Parquet file written by :func:`write_table_file`, conformed (or only ``columns``)."""
    if columns is not None:
        import pyarrow.parquet as pq

        return pq.read_table(file, columns=list(columns)).to_pandas()
    return schema.conform(name, _read_parquet(name, file))


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

    Accepts the current :data:`FORMAT` and older dataset formats (so that
    :func:`sim.compose.regenerate` can rewrite them); :func:`load` accepts
    only the current one.

    Raises
    ------
    DatasetError
        If the folder or manifest is missing or unreadable, was not written by
        the workbench (format marker), is a CSV export, or has a missing or
        invalid entry (e.g. a negative seed).
    """
    path = Path(path)
    if not path.is_dir():
        raise DatasetError(f"{path}: no dataset folder here; {_fresh_hint(path)}")
    file = path / MANIFEST
    if not file.is_file():
        if not any(path.iterdir()):
            raise DatasetError(f"{path}: empty folder, no dataset here; {_fresh_hint(path)}")
        raise DatasetError(
            f"{path}: {MANIFEST} is missing, so this is not a complete dataset; "
            f"{_not_ours_hint(path)}"
        )
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:  # ValueError: bad JSON or bad UTF-8
        raise DatasetError(
            f"{file}: cannot read the manifest ({err}); {_not_ours_hint(path)}"
        ) from None
    fmt = manifest.get("format") if isinstance(manifest, dict) else None
    if fmt == CSV_FORMAT:
        raise DatasetError(
            f"{path}: a CSV export (Dataset.to_csv), not a dataset folder; "
            "load the dataset it was exported from"
        )
    if fmt != FORMAT and fmt not in _LEGACY_FORMATS:
        raise DatasetError(
            f"{file}: not a CRM Workbench dataset manifest (format {fmt!r}, expected "
            f"{FORMAT!r}); {_not_ours_hint(path)}"
        )
    for key, kind in (("seed", int), ("scenario", dict), ("rows", dict), ("checksums", dict)):
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            raise DatasetError(f"{file}: missing or invalid {key!r} entry; {_replace_hint(path)}")
    if manifest["seed"] < 0:
        raise DatasetError(
            f"{file}: invalid seed {manifest['seed']} (a seed is a whole number >= 0); "
            f"{_replace_hint(path)}"
        )
    if fmt == FORMAT:
        files = manifest.get("files")
        if not isinstance(files, list) or not all(_valid_entry(f) for f in files):
            raise DatasetError(f"{file}: missing or invalid 'files' entry; {_not_ours_hint(path)}")
    return manifest


def _manifest_scenario(path: Path, manifest: Mapping[str, Any]) -> Scenario:
    try:
        return Scenario.from_dict(manifest["scenario"])
    except ScenarioError as err:
        raise DatasetError(f"{path / MANIFEST}: invalid scenario ({err})") from None


def _read_verified_table(
    path: Path,
    manifest: Mapping[str, Any],
    name: str,
    all_parts: Mapping[str, Any],
    parts_rows: dict[str, list[tuple[str, int]]],
) -> pd.DataFrame:
    """One table of dataset ``path``, read from its file or parts and checked against the manifest."""
    entries = all_parts.get(name) or [{"file": f"{name}.parquet"}]
    pieces = []
    for entry in entries:
        rel = entry["file"]
        file = path / rel
        if not file.is_file():
            raise DatasetError(
                f"{path}: {rel} is missing (incomplete dataset); {_regenerate_hint(path)}"
            )
        raw = _read_parquet(name, file)
        try:
            piece = schema.conform(name, raw)
        except schema.SchemaError as err:
            raise DatasetSchemaError(
                f"{path}: {rel} does not match the data model: {err}; {_regenerate_hint(path)}"
            ) from None
        if "checksum" in entry and (
            entry["rows"] != len(piece) or entry["checksum"] != table_checksum(name, piece)
        ):
            raise DatasetError(
                f"{path}: {rel} checksum mismatch — the file was changed or is corrupt; "
                f"{_regenerate_hint(path)}"
            )
        pieces.append(piece)
    file = path / (entries[0]["file"] if len(entries) == 1 else name)
    if len(pieces) == 1:
        df = pieces[0]
    else:
        df = pd.concat(pieces, ignore_index=True)
        # Ids unique across parts too (conform checks one part at a time).
        df = schema.conform(name, df)
    if name in all_parts:
        parts_rows[name] = [
            (e["file"].rsplit("/part-", 1)[1].removesuffix(".parquet"), e["rows"]) for e in entries
        ]
    expected_rows = manifest["rows"].get(name)
    if expected_rows != len(df):
        raise DatasetError(
            f"{path}: {file.name} has {len(df):,} rows, the manifest says {expected_rows} — "
            f"the file was changed or is corrupt; {_regenerate_hint(path)}"
        )
    if name in all_parts:
        actual = parts_checksum(name, [e["checksum"] for e in entries], len(df))
    else:
        actual = table_checksum(name, df)
    if manifest["checksums"].get(name) != actual:
        raise DatasetError(
            f"{path}: {file.name} checksum mismatch — the file was changed or is corrupt; "
            f"{_regenerate_hint(path)}"
        )
    return df


def load(path: str | os.PathLike, lazy: bool = False) -> Dataset:
    """Load a dataset folder written by :meth:`Dataset.save`, verifying it.

    The manifest's format and schema version must be this version's; every
    table is read, conformed to the data model, and checked against the
    manifest's row count and content checksum.

    With ``lazy=True`` only the manifest is read and verified (and the files
    it lists checked to exist): the result, a :class:`sim.data.query.LazyDataset`,
    reads and checks a table when it is first used, and its ``sql`` lets
    DuckDB query the files without loading them.

    Raises
    ------
    DatasetError
        Missing folder, manifest or table file; a manifest of another format or
        schema version; unreadable Parquet; row count or checksum mismatch.
        The message names the file and how to regenerate.
    DatasetSchemaError
        A table does not match the data model (also a :class:`~sim.data.schema.SchemaError`).
    """
    if not isinstance(lazy, bool):
        raise TypeError(f"lazy must be True or False, got {lazy!r}")
    path = Path(path)
    manifest = read_manifest(path)
    if manifest["format"] != FORMAT:
        raise DatasetError(
            f"{path}: written in an older dataset format ({manifest['format']!r}, this "
            f"version reads {FORMAT!r}); {_regenerate_hint(path)}"
        )
    stored_schema = manifest.get("schema_version")
    if stored_schema != schema_fingerprint():
        raise DatasetError(
            f"{path}: written for another data model (schema version {stored_schema!r}, "
            f"this version's is {schema_fingerprint()!r}); {_regenerate_hint(path)}"
        )
    algorithm = manifest.get("checksum_algorithm", CHECKSUM_ALGORITHM)
    if algorithm != CHECKSUM_ALGORITHM:
        raise DatasetError(
            f"{path}: written with checksum algorithm {algorithm!r}, this version uses "
            f"{CHECKSUM_ALGORITHM!r}; {_regenerate_hint(path)}"
        )
    scenario = _manifest_scenario(path, manifest)
    if lazy:
        from sim.data.query import Checks, LazyDataset

        all_parts = _manifest_parts(path, manifest)
        checks = Checks(
            DatasetError,
            DatasetSchemaError,
            table_checksum,
            Dataset._trusted,
            read_table=lambda name: _read_verified_table(path, manifest, name, all_parts, {}),
        )
        return LazyDataset(path, manifest, scenario, checks)  # type: ignore[return-value]
    tables: dict[str, pd.DataFrame] = {}
    all_parts = _manifest_parts(path, manifest)
    parts_rows: dict[str, list[tuple[str, int]]] = {}
    for name in schema.TABLES:
        tables[name] = _read_verified_table(path, manifest, name, all_parts, parts_rows)
    meta = dict(manifest.get("meta") or {})
    meta["path"] = str(path)
    return Dataset._trusted(tables, scenario, manifest["seed"], meta, parts_rows)


def _manifest_parts(path: Path, manifest: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The manifest's ``parts`` entry, checked (empty for a dataset of single files)."""
    parts = manifest.get("parts") or {}
    bad = DatasetError(f"{path / MANIFEST}: invalid 'parts' entry; {_regenerate_hint(path)}")
    if not isinstance(parts, dict):
        raise bad
    for name, entries in parts.items():
        if name not in schema.TABLES or not isinstance(entries, list) or not entries:
            raise bad
        for e in entries:
            if not (
                isinstance(e, dict)
                and isinstance(e.get("file"), str)
                and e["file"].startswith(f"{name}/part-")
                and _is_part_file(e["file"])
                and isinstance(e.get("rows"), int)
                and isinstance(e.get("checksum"), str)
            ):
                raise bad
    return parts
