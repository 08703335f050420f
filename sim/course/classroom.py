"""A class of students: one dataset per student, the student release, JupyterLab without make.

``python -m sim.course class-datasets roster.csv --out class/`` builds every
student's dataset, the one their exercise sheets simulate (preset ``default``,
:data:`sim.compose.FRESH_CUSTOMERS` customers, seed
:func:`sim.course.student_seed` of the student id)::

    class/
        summary.csv          the roster's columns + seed, folder, rows, fingerprint, status
        ada.lovelace/        a dataset folder (Dataset.save): manifest.json + one Parquet per table
        grace.hopper/
        ...

The roster is a CSV file with a ``student_id`` column (other columns are kept
in the summary). It is checked as a whole before any simulation: a missing
column, an empty id or two ids that are the same after stripping and
case-folding (they would share a seed) stop the run with one error naming the
rows. Students are simulated in parallel (``--workers``, default: one per
core); a student whose folder already holds a dataset of the same scenario and
seed is skipped, so a rerun after an interruption builds only what is missing
(saves are atomic: a folder is complete or absent).

``python -m sim.course release --out DIR`` writes what students get: the
package source, the notebooks, the exercise sheets, the default and reference
datasets and the set-up files, never the solution sheets, with ``RELEASE.json``
(package version, datasets' fingerprints, every file's SHA-256).

:func:`lab` is ``python -m sim lab`` for students without make: it makes sure
the default dataset exists, then starts JupyterLab on the course like
``make lab``. After ``python -m pip install -e .`` it needs nothing else.

The fingerprint of a dataset (:func:`dataset_fingerprint`) is a SHA-256 over
its tables' content checksums, the same for a dataset on disk and one
simulated in memory, so a submission can name the dataset it was made on.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import hashlib
import json
import os
import re
import shutil
import sys
import tomllib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.data.dataset import (
    CHECKSUM_ALGORITHM,
    MANIFEST,
    Dataset,
    DatasetError,
    package_version,
    read_manifest,
)
from sim.scenario import Scenario, ScenarioError

from .students import student_seed

__all__ = [
    "MAIN_TABLES",
    "RELEASE_FORMAT",
    "RELEASE_MANIFEST",
    "SUMMARY",
    "ClassroomError",
    "ReleaseError",
    "RosterError",
    "Student",
    "class_datasets",
    "class_scenario",
    "dataset_fingerprint",
    "lab",
    "read_roster",
    "register",
    "register_lab",
    "release",
    "safe_folder_name",
]

REPO = Path(__file__).resolve().parents[2]
ID_COLUMN = "student_id"
SUMMARY = "summary.csv"
# The tables whose row counts the summary shows (all of them are in each manifest).
MAIN_TABLES = ("customers", "orders", "leads", "messages", "tickets", "surveys", "loyalty_ledger")
STATUSES = ("built", "skipped", "failed")
RELEASE_MANIFEST = "RELEASE.json"
RELEASE_FORMAT = "crm-workbench-release/1"
_SHOWN = 10  # problems or names listed in one error message


class ClassroomError(ValueError):
    """A class-datasets or release request cannot be carried out; the message says why."""


class RosterError(ClassroomError):
    """The roster CSV is unreadable or has a missing, empty or duplicate student id."""


class ReleaseError(ClassroomError):
    """The release folder may not be written, or the release would hold a solution."""


# --------------------------------------------------------------------------- fingerprints
def dataset_fingerprint(dataset: Dataset | Mapping[str, Any] | str | os.PathLike) -> str:
    """SHA-256 over a dataset's per-table content checksums: which data a result is about.

    Parameters
    ----------
    dataset
        A :class:`~sim.data.dataset.Dataset` (e.g. the one an exercise sheet
        simulated), a manifest (``read_manifest(path)``) or a dataset folder.

    Notes
    -----
    The hash covers ``{"algorithm": ..., "checksums": {table: sha256}}`` as
    compact JSON with sorted keys. It depends only on the tables' content,
    so a dataset saved, copied or re-simulated from the same scenario and
    seed has the same fingerprint.
    """
    if isinstance(dataset, Dataset):
        checksums, algorithm = dataset.checksums(), CHECKSUM_ALGORITHM
    else:
        manifest = dataset if isinstance(dataset, Mapping) else read_manifest(dataset)
        checksums = manifest["checksums"]
        algorithm = manifest.get("checksum_algorithm", CHECKSUM_ALGORITHM)
    text = json.dumps(
        {"algorithm": algorithm, "checksums": dict(checksums)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- roster
@dataclass(frozen=True)
class Student:
    """One roster row: the id, its seed, its folder name and the row's other columns."""

    student_id: str
    seed: int
    folder: str
    row: dict[str, str]
    line: int  # line of the CSV file, for messages


_UNSAFE = re.compile(r"[^a-z0-9._-]+")
# Names Windows refuses as files or folders, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(10)}


def safe_folder_name(student_id: str) -> str:
    """A folder name for a student id that works on Windows, macOS and Linux.

    The id is stripped and case-folded (as for its seed); letters, digits,
    ``.``, ``_`` and ``-`` are kept. When anything else had to change, a short
    hash of the id is appended, so two different ids never share a folder.

    >>> safe_folder_name("  Ada.Lovelace ")
    'ada.lovelace'
    >>> safe_folder_name("José Ñúñez")
    'jos_ez-72deeda4'
    """
    key = student_id.strip().casefold()
    name = _UNSAFE.sub("_", key).strip("._") or "student"
    if name != key or name.split(".")[0] in _RESERVED:
        name = f"{name[:40]}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:8]}"
    return name


def _problems(items: Sequence[str]) -> str:
    shown = "; ".join(items[:_SHOWN])
    more = len(items) - _SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def read_roster(path: str | os.PathLike, reserved: Iterable[str] = ()) -> list[Student]:
    """Read and check a roster CSV: one :class:`Student` per row, in file order.

    Parameters
    ----------
    path
        CSV file (UTF-8, a byte-order mark is fine) with a header row holding
        a ``student_id`` column; other columns are kept as text.
    reserved
        Column names the roster may not use (the summary adds them).

    Raises
    ------
    RosterError
        One message naming every problem's line: no ``student_id`` column, an
        empty id, or two ids equal after stripping and case-folding.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in (reader.fieldnames or [])]
            rows = [(reader.line_num, row) for row in reader]
    except FileNotFoundError:
        raise RosterError(f"roster {path} not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise RosterError(f"roster {path} cannot be read as UTF-8 CSV: {err}") from None
    if ID_COLUMN not in header:
        found = ", ".join(repr(h) for h in header) or "no header row"
        raise RosterError(
            f"roster {path} has no {ID_COLUMN!r} column (line 1 has {found}); "
            f"add a header row naming the ids' column {ID_COLUMN}"
        )
    clashes = sorted(set(header) & set(reserved))
    if clashes:
        raise RosterError(
            f"roster {path}: columns {clashes} clash with the summary's own columns; rename them"
        )
    if len(set(header)) != len(header):
        raise RosterError(f"roster {path}: line 1 names a column twice ({header})")
    problems: list[str] = []
    students: list[Student] = []
    first_line: dict[str, int] = {}
    folders: dict[str, int] = {}
    for line, raw in rows:
        row = {h.strip(): (v or "").strip() for h, v in raw.items() if h is not None}
        if None in raw:
            problems.append(f"line {line} has more cells than the header")
            continue
        sid = row.get(ID_COLUMN, "")
        if not sid:
            if any(row.values()):
                problems.append(f"line {line}: empty {ID_COLUMN}")
            continue  # a blank line is not a student
        key = sid.casefold()
        if key in first_line:
            problems.append(
                f"line {line}: {ID_COLUMN} {sid!r} repeats line {first_line[key]} "
                "(ids are compared stripped and case-folded)"
            )
            continue
        first_line[key] = line
        folder = safe_folder_name(sid)
        if folder.casefold() in folders:  # case-insensitive file systems (Windows, macOS)
            problems.append(
                f"line {line}: {sid!r} gets the same folder {folder!r} as line "
                f"{folders[folder.casefold()]}"
            )
            continue
        folders[folder.casefold()] = line
        students.append(Student(sid, student_seed(sid), folder, row, line))
    if problems:
        raise RosterError(f"roster {path}: {_problems(problems)}; nothing was built")
    if not students:
        raise RosterError(f"roster {path} lists no students; nothing was built")
    return students


# --------------------------------------------------------------------------- class datasets
def class_scenario(
    preset: str = "default", customers: int | None = None, years: float | None = None
) -> Scenario:
    """The scenario of every student's dataset: what an exercise sheet simulates.

    Preset ``preset`` with :data:`sim.compose.FRESH_CUSTOMERS` customers
    (``customers`` and ``years`` override, e.g. small ones for tests).
    """
    from sim.compose import FRESH_CUSTOMERS
    from sim.scenario import preset as load_preset

    population: dict[str, Any] = {"customers": customers or FRESH_CUSTOMERS}
    if years is not None:
        population["years"] = years
    return load_preset(preset).with_overrides({"population": population})


def _finished(folder: Path, scenario: Scenario, seed: int) -> tuple[dict[str, Any] | None, str]:
    """The manifest of a complete dataset of ``scenario`` and ``seed`` in ``folder``, or why not."""
    if not (folder / MANIFEST).is_file():
        return None, ""
    try:
        manifest = read_manifest(folder)
        same = (
            manifest["seed"] == seed
            and Scenario.from_dict(manifest["scenario"]) == scenario
            and all((folder / f).is_file() for f in manifest.get("files", []))
        )
    except (DatasetError, ScenarioError, KeyError, TypeError) as err:
        return None, f"{folder} holds no usable dataset ({err})"
    if not same:
        return None, f"{folder} holds a dataset of another scenario or seed"
    return manifest, ""


def _build_student(folder: str, scenario: Scenario, seed: int, overwrite: bool) -> dict[str, Any]:
    """Simulate and save one student's dataset; return its manifest (runs in a worker)."""
    from sim.compose import simulate

    ds = simulate(scenario, seed)
    ds.save(folder, overwrite=overwrite)
    return read_manifest(folder)


def _summary_row(
    student: Student, manifest: Mapping[str, Any] | None, status: str, error: str
) -> dict[str, str]:
    row = dict(student.row)
    row.update(seed=str(student.seed), folder=student.folder)
    rows = (manifest or {}).get("rows", {})
    row["package_version"] = str((manifest or {}).get("package_version", ""))
    row.update({f"rows_{t}": str(rows.get(t, "")) for t in MAIN_TABLES})
    row["fingerprint"] = dataset_fingerprint(manifest) if manifest else ""
    row.update(status=status, error=" ".join(error.split()))
    return row


_ADDED = ["seed", "folder", "package_version", *(f"rows_{t}" for t in MAIN_TABLES)]
_ADDED += ["fingerprint", "status", "error"]


def _write_summary(path: Path, header: Sequence[str], rows: Sequence[Mapping[str, str]]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # utf-8-sig: spreadsheets open it with the accents right, like Dataset.to_csv.
    with tmp.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.DictWriter(f, fieldnames=list(header))
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def _cores() -> int:
    """Cores this process may use (the container's share, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def class_datasets(
    roster: str | os.PathLike,
    out: str | os.PathLike,
    *,
    workers: int | None = None,
    preset: str = "default",
    customers: int | None = None,
    years: float | None = None,
    force: bool = False,
    progress: bool = True,
    builder: Callable[[str, Scenario, int, bool], Mapping[str, Any]] | None = None,
) -> list[dict[str, str]]:
    """Build every student's dataset into ``out/<folder>/``; write ``out/summary.csv``.

    Parameters
    ----------
    roster
        CSV with a ``student_id`` column (see :func:`read_roster`); checked
        before anything is simulated.
    out
        Class folder, created if needed.
    workers
        Parallel simulations (processes); default one per core. ``1`` builds
        in this process.
    preset, customers, years
        The scenario (see :func:`class_scenario`); keep the defaults so the
        datasets are the ones the exercise sheets simulate.
    force
        Replace a student's folder that holds a dataset of another scenario or
        seed (without it, that student fails with a message saying so).
    progress
        Show a progress bar (tqdm, on stderr).
    builder
        ``(folder, scenario, seed, overwrite) -> manifest``, for tests; must be
        picklable when ``workers > 1``.

    Returns
    -------
    list of dict
        The summary's rows, in roster order: the roster's columns, then seed,
        folder, package_version, ``rows_<table>`` for :data:`MAIN_TABLES`,
        fingerprint, status (``built``, ``skipped`` or ``failed``) and error.
    """
    from tqdm.auto import tqdm

    students = read_roster(roster, reserved=_ADDED)
    scenario = class_scenario(preset, customers, years)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    builder = builder or _build_student
    results: dict[str, dict[str, str]] = {}
    todo: list[tuple[Student, bool]] = []
    for s in students:  # finished ones are found here, before any worker starts
        manifest, why = _finished(out / s.folder, scenario, s.seed)
        if manifest is not None:
            results[s.folder] = _summary_row(s, manifest, "skipped", "")
        elif why and not force:
            hint = "pass --force to replace it, or use another --out"
            results[s.folder] = _summary_row(s, None, "failed", f"{why}; {hint}")
        else:
            todo.append((s, bool(why)))
    header = [*students[0].row.keys(), *_ADDED]
    bar = tqdm(
        total=len(todo), desc="class datasets", unit="student", disable=not (progress and todo)
    )

    def done(student: Student, manifest: Mapping[str, Any] | None, error: str) -> None:
        status = "failed" if error else "built"
        results[student.folder] = _summary_row(student, manifest, status, error)
        bar.update()

    try:
        workers = max(1, min(workers or _cores(), len(todo) or 1))
        if workers == 1:
            for s, overwrite in todo:
                try:
                    done(s, builder(str(out / s.folder), scenario, s.seed, overwrite), "")
                except Exception as err:  # one student's failure must not stop the class
                    done(s, None, f"{type(err).__name__}: {err}")
        elif todo:
            import multiprocessing

            # spawn, not fork: the same on Linux, macOS and Windows, and safe with threads.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = {
                    pool.submit(builder, str(out / s.folder), scenario, s.seed, overwrite): s
                    for s, overwrite in todo
                }
                try:
                    for future in as_completed(futures):
                        try:
                            done(futures[future], future.result(), "")
                        except Exception as err:
                            done(futures[future], None, f"{type(err).__name__}: {err}")
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
    finally:
        bar.close()
        # Also after Ctrl-C: what was built is listed; the rest is built by a rerun.
        rows = [
            results.get(s.folder) or _summary_row(s, None, "failed", "interrupted")
            for s in students
        ]
        _write_summary(out / SUMMARY, header, rows)
    return rows


# --------------------------------------------------------------------------- release
RELEASE_FILES = ("pyproject.toml", "README.md", "environment.yml", "Makefile")
RELEASE_TREES = ("sim", "notebooks", "exercises", "datasets/reference")
RELEASE_DATASETS = ("datasets/default",)
# Never in a release, wherever they are: solution sheets, caches, editor and OS debris.
EXCLUDED = (
    "solutions",
    "*_solutions*",
    "__pycache__",
    "*.pyc",
    ".ipynb_checkpoints",
    "Untitled*.ipynb",
    "*.egg-info",
    ".*",
)
# Found in a release folder after someone tried it out; --force may replace them.
_DEBRIS = ("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info", ".DS_Store", "Thumbs.db")
SOLUTION_MARKER = re.compile(r"^\s*(#+\s*(BEGIN|END) SOLUTION|<!--\s*(BEGIN|END) SOLUTION\s*-->)")
START_HERE = "START_HERE.md"


def _excluded(rel: str) -> bool:
    return any(fnmatch.fnmatch(part, pat) for part in rel.split("/") for pat in EXCLUDED)


def _release_sources(repo: Path) -> dict[str, Path]:
    """Release path (POSIX, relative) → source file, for everything a release holds."""
    files: dict[str, Path] = {}
    for name in RELEASE_FILES:
        if (repo / name).is_file():
            files[name] = repo / name
    readme = repo / "datasets" / "README.md"
    if readme.is_file():
        files["datasets/README.md"] = readme
    for tree in RELEASE_TREES:
        for path in sorted((repo / tree).rglob("*")):
            rel = path.relative_to(repo).as_posix()
            if path.is_file() and not path.is_symlink() and not _excluded(rel):
                files[rel] = path
    for folder in RELEASE_DATASETS:
        # Only the files the dataset's manifest lists (no lock or temporary files).
        manifest = read_manifest(repo / folder)
        for name in manifest.get("files") or [MANIFEST]:
            files[f"{folder}/{name}"] = repo / folder / name
    leaked = sorted(rel for rel in files if _excluded(rel))
    if leaked:  # pragma: no cover - the walk above already skips them
        raise ReleaseError(f"refusing to release solution or cache files: {leaked}")
    return files


def _solution_lines(path: Path) -> list[int]:
    """Lines of ``path`` that are solution markers (of its cells, for a notebook)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return []  # binary (Parquet): no markers
    if path.suffix == ".ipynb":
        sources = [c.get("source", "") for c in json.loads(text).get("cells", [])]
        text = "\n".join("".join(s) if isinstance(s, list) else s for s in sources)
    return [i for i, line in enumerate(text.splitlines(), 1) if SOLUTION_MARKER.match(line)]


def _version(repo: Path) -> str:
    try:
        return tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"][
            "version"
        ]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return package_version()


def _start_here(version: str) -> str:
    return f"""# CRM Workbench {version}: getting started

You need Python 3.11 or newer. In a terminal, in this folder (the same on
Windows, macOS and Linux):

```
python -m pip install -e .
python -m sim lab
```

The first command installs the workbench (use a virtual environment if you
like: `python -m venv .venv`, then `.venv\\Scripts\\activate` on Windows or
`source .venv/bin/activate` elsewhere). The second opens JupyterLab on the
course: start with `00_welcome.ipynb`. Where `make` is available, `make lab`
does both.

Exercise sheets are in `exercises/`: put your student id in the `student_id`
cell of a sheet to work on your own dataset.
"""


def _ours(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / RELEASE_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != RELEASE_FORMAT:
        return None
    return data if isinstance(data.get("files"), dict) else None


def _debris(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in _DEBRIS)


def _unlisted(folder: Path, listed: Iterable[str]) -> list[str]:
    """Entries of an earlier release that it did not write (sub-folders end in ``/``)."""
    listed = set(listed) | {RELEASE_MANIFEST}
    dirs = {"/".join(f.split("/")[:i]) for f in listed for i in range(1, f.count("/") + 1)}
    extra = []
    for root, dirnames, filenames in os.walk(folder):
        prefix = Path(root).relative_to(folder).as_posix()
        prefix = "" if prefix == "." else prefix + "/"
        extra += [f"{prefix}{d}/" for d in dirnames if prefix + d not in dirs and not _debris(d)]
        dirnames[:] = [d for d in dirnames if prefix + d in dirs]
        extra += [prefix + f for f in filenames if prefix + f not in listed and not _debris(f)]
    return sorted(extra)


def _check_release_target(out: Path, force: bool) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ReleaseError(f"{out} exists and is not a folder; choose another --out")
    if not out.exists() or not any(out.iterdir()):
        return
    manifest = _ours(out)
    if manifest is None:
        raise ReleaseError(
            f"{out} is not empty and was not written by `python -m sim.course release` "
            f"(no {RELEASE_MANIFEST}); nothing was changed: choose another --out"
        )
    if not force:
        raise ReleaseError(f"{out} already holds a release; pass --force to replace it")
    extra = _unlisted(out, manifest["files"])
    if extra:
        raise ReleaseError(
            f"refusing to replace {out}: it holds files the release did not write "
            f"({_problems(extra)}); nothing was changed: move them away first"
        )


def release(
    out: str | os.PathLike, *, repo: str | os.PathLike = REPO, force: bool = False
) -> dict[str, Any]:
    """Write the student release into folder ``out``; return its ``RELEASE.json`` content.

    Parameters
    ----------
    out
        Folder to create. An existing non-empty folder is refused, unless it
        holds an earlier release (its ``RELEASE.json``) and ``force`` is given;
        even then, files the release did not write stop it (caches such as
        ``__pycache__`` excepted).
    repo
        The course repository to release from.
    force
        Replace an earlier release in ``out``.

    Returns
    -------
    dict
        ``format``, ``package_version``, ``datasets`` (folder → fingerprint)
        and ``files`` (path → SHA-256) of the release.

    Raises
    ------
    ReleaseError
        The folder may not be written, or a file to release holds a
        solution marker (nothing is written then).
    DatasetError
        The default dataset is missing or broken (create it with ``make datasets``).
    """
    repo, out = Path(repo).resolve(), Path(out).absolute()
    _check_release_target(out, force)
    sources = _release_sources(repo)
    marked = {rel: lines for rel, src in sources.items() if (lines := _solution_lines(src))}
    if marked:
        shown = [f"{rel} (line {lines[0]})" for rel, lines in sorted(marked.items())]
        raise ReleaseError(f"refusing to release solution markers: {_problems(shown)}")
    version = _version(repo)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.release-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        tmp.mkdir()
        hashes: dict[str, str] = {}
        for rel, src in sorted(sources.items()):
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            hashes[rel] = hashlib.sha256(target.read_bytes()).hexdigest()
        (tmp / START_HERE).write_text(_start_here(version), encoding="utf-8")
        hashes[START_HERE] = hashlib.sha256((tmp / START_HERE).read_bytes()).hexdigest()
        info = {
            "format": RELEASE_FORMAT,
            "package_version": version,
            "datasets": {d: dataset_fingerprint(repo / d) for d in RELEASE_DATASETS},
            "files": dict(sorted(hashes.items())),
        }
        text = json.dumps(info, indent=2, ensure_ascii=False) + "\n"
        (tmp / RELEASE_MANIFEST).write_text(text, encoding="utf-8")
        _swap(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return info


def _swap(tmp: Path, out: Path) -> None:
    """Put the complete ``tmp`` in place of ``out`` (two renames; the old one is then deleted)."""
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        tmp.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    out.rename(old)
    try:
        tmp.rename(out)
    except OSError:
        old.rename(out)  # put the earlier release back
        raise
    shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- lab
def lab(port: int | None = None, browser: bool = True, extra: Sequence[str] = ()) -> int:
    """``python -m sim lab``: the default dataset, the course kernel, then JupyterLab.

    What ``make lab`` does after installing, for students without make
    (Windows, macOS): creates ``datasets/default`` if it is missing (as
    ``make datasets`` would), then runs :func:`sim.course.lab.main`, which registers
    the ``crm-workbench`` kernel and starts JupyterLab on ``notebooks/``.

    Returns
    -------
    int
        The exit status (JupyterLab's, or 2 with a message on stderr).
    """
    import subprocess

    from sim.compose import default_dataset_path
    from sim.course import lab as course_lab

    dataset = default_dataset_path()
    root = dataset.parents[1]
    if not (root / "notebooks" / course_lab.WELCOME).is_file():
        print(
            f"sim lab: the course notebooks are not next to the installed package ({root}); "
            "install the workbench from the course folder with `python -m pip install -e .`",
            file=sys.stderr,
        )
        return 2
    if not (dataset / MANIFEST).is_file():
        print(f"sim lab: creating the default course dataset in {dataset} (a minute or two)")
        # A child process, as make does: the command line imports this module.
        command = [sys.executable, "-m", "sim", "simulate", "--scenario", "default"]
        status = subprocess.call([*command, "--out", str(dataset)])
        if status != 0:
            return status
    argv = [*([f"--port={port}"] if port else []), *([] if browser else ["--no-browser"])]
    return course_lab.main([*argv, *extra])


# --------------------------------------------------------------------------- command line
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: expected a number >= 1")
    return value


def _cmd_class_datasets(args: argparse.Namespace) -> int:
    try:
        rows = class_datasets(
            args.roster,
            args.out,
            workers=args.workers,
            customers=args.customers,
            years=args.years,
            force=args.force,
            progress=not args.quiet,
        )
    except (ClassroomError, ScenarioError) as err:
        print(f"class-datasets: {err}", file=sys.stderr)
        return 2
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    for r in rows:
        if r["status"] == "failed":
            print(f"failed: {r[ID_COLUMN]}: {r['error']}", file=sys.stderr)
    print(
        f"{counts['built']} built, {counts['skipped']} skipped, {counts['failed']} failed; "
        f"summary: {Path(args.out) / SUMMARY}"
    )
    return 1 if counts["failed"] else 0


def _cmd_release(args: argparse.Namespace) -> int:
    try:
        info = release(args.out, force=args.force)
    except (ClassroomError, DatasetError) as err:
        print(f"release: {err}", file=sys.stderr)
        return 2
    print(
        f"release {info['package_version']}: {len(info['files'])} files in {args.out} "
        f"(see {Path(args.out) / RELEASE_MANIFEST})"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``class-datasets`` and ``release`` to ``python -m sim.course``'s subparsers.

    Each sets ``func``: call ``args.func(args)`` for the exit status.
    """
    p = subparsers.add_parser(
        "class-datasets",
        help="build every student's dataset from a roster CSV",
        description="Build one dataset per student of a roster (a CSV with a student_id "
        "column), in parallel; rerunning skips finished students. Writes OUT/summary.csv.",
    )
    p.add_argument("roster", type=Path, help="CSV file with a student_id column")
    p.add_argument("--out", type=Path, required=True, help="class folder to write")
    p.add_argument(
        "--workers", type=_positive_int, default=None, help="parallel simulations (cores)"
    )
    p.add_argument(
        "--customers", type=_positive_int, default=None, help="customers per dataset (5000)"
    )
    p.add_argument("--years", type=float, default=None, help="years simulated (the preset's)")
    p.add_argument(
        "--force", action="store_true", help="replace datasets of another scenario or seed"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_class_datasets)

    p = subparsers.add_parser(
        "release",
        help="write the student release (no solutions)",
        description="Copy what students get (package, notebooks, exercise sheets, datasets, "
        "set-up files; never solutions) into OUT, with RELEASE.json.",
    )
    p.add_argument("--out", type=Path, required=True, help="release folder to write")
    p.add_argument("--force", action="store_true", help="replace an earlier release in OUT")
    p.set_defaults(func=_cmd_release)


def register_lab(subparsers: argparse._SubParsersAction) -> None:
    """Add ``lab`` (see :func:`lab`) to a subparsers object, e.g. ``python -m sim``'s."""
    p = subparsers.add_parser(
        "lab", help="start JupyterLab on the course (creates the default dataset if missing)"
    )
    p.add_argument("--port", type=_positive_int, default=None, help="port (JupyterLab's default)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.set_defaults(func=lambda args: lab(port=args.port, browser=not args.no_browser))
