"""A sweep's folder: its files, atomic writes, the lock, reading rows back, status.

See :mod:`sim.studio.sweep` for the layout of a sweep folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim.studio.sweep_spec import SpecError, SweepSpec, load_spec

__all__ = ["SweepError", "read_rows", "status"]

_SPEC_FILE, _TASKS, _FAILURES, _SUMMARY, _SENSITIVITY = (
    "spec.yaml", "tasks", "failures.json", "summary.csv", "sensitivity.csv",
)  # fmt: skip
_LOCK = ".sweep.lock"


class SweepError(SpecError):
    """A sweep that cannot start (folder, scheduler, workers): one line saying why."""


# --------------------------------------------------------------------------- the folder


def _task_path(out: Path, variant: str, seed: int) -> Path:
    return out / _TASKS / variant / f"seed-{seed}.json"


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _stored_spec(out: Path) -> SweepSpec:
    path = out / _SPEC_FILE
    if not path.is_file():
        raise SweepError(f"{out}: not a sweep folder (no {_SPEC_FILE})")
    try:
        return load_spec(path)
    except SpecError as err:
        raise SweepError(f"{path}: {err}") from None


def _first_difference(a: Any, b: Any, where: str = "spec") -> str:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in a or k not in b or a[k] != b[k]:
                if k in a and k in b:
                    return _first_difference(a[k], b[k], f"{where}.{k}")
                return f"{where}.{k}"
    return where


def _prepare(out: Path, spec: SweepSpec) -> None:
    """Check that ``out`` is empty, missing or holds this very sweep (before any work)."""
    spec_file = out / _SPEC_FILE
    if spec_file.exists():
        stored = _stored_spec(out)
        if stored.to_dict() != spec.to_dict():
            where = _first_difference(stored.to_dict(), spec.to_dict())
            raise SweepError(
                f"{out} holds a different sweep ({where} differs from its {_SPEC_FILE}): "
                "use another --out folder, or the same SPEC to resume"
            )
    elif out.exists():
        if not out.is_dir():
            raise SweepError(f"{out}: exists and is not a folder")
        if any(p.name != _LOCK for p in out.iterdir()):
            raise SweepError(
                f"{out}: folder is not empty and holds no sweep ({_SPEC_FILE}): "
                "give a new or empty folder"
            )


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Keep a second driver off the folder; the OS releases the lock if this process dies."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, run one at a time
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    fh = open(out / _LOCK, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SweepError(f"{out}: another sweep is running on this folder") from None
        yield
    finally:
        fh.close()


def _running(out: Path) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return False
    lock = out / _LOCK
    if not lock.exists():
        return False
    with open(lock, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def _clean_temporaries(out: Path) -> None:
    """Remove temporary files this module left when a driver was killed mid-write."""
    ours = [f".{name}.tmp-*" for name in (_SPEC_FILE, _FAILURES, _SUMMARY, _SENSITIVITY)]
    for tmp in [
        *(out / _TASKS).glob("*/.seed-*.json.tmp-*"),
        *(p for g in ours for p in out.glob(g)),
    ]:
        with contextlib.suppress(OSError):
            tmp.unlink()


def read_rows(out: str | os.PathLike, spec: SweepSpec | None = None) -> list[dict[str, Any]]:
    """Every finished task's row in a sweep folder, in the SPEC's task order."""
    out = Path(out)
    spec = spec if spec is not None else _stored_spec(out)
    rows = []
    for task in spec.tasks():
        path = _task_path(out, task.variant, task.seed)
        if path.is_file():
            rows.append(_read_json(path))
    return rows


def _failures(out: Path) -> list[dict[str, Any]]:
    path = out / _FAILURES
    return _read_json(path) if path.is_file() else []


def status(out: str | os.PathLike, spec: Any = None) -> dict[str, Any]:
    """A sweep folder's progress without running anything.

    ``spec`` (optional) describes a sweep whose folder may not exist yet:
    everything is then pending. A folder holding a different SPEC is refused.

    Returns
    -------
    dict
        ``done``, ``total``, ``failed`` (tasks that kept failing in the last
        run and have no result), ``pending`` (neither), ``running`` (a driver
        holds the folder now), ``out`` and ``variants`` (done per variant).
    """
    out = Path(out)
    if spec is not None:
        spec = load_spec(spec)
        _prepare(out, spec)
        if not (out / _SPEC_FILE).exists():
            n = len(spec.tasks())
            return {
                "out": str(out), "done": 0, "total": n, "failed": 0, "pending": n,
                "running": _running(out), "variants": dict.fromkeys(spec.variant_names, 0),
            }  # fmt: skip
    spec = _stored_spec(out)
    done = {(r["variant"], r["seed"]) for r in read_rows(out, spec)}
    failed = {(f["variant"], f["seed"]) for f in _failures(out)} - done
    total = len(spec.tasks())
    per_variant = dict.fromkeys(spec.variant_names, 0)
    for v, _ in done:
        per_variant[v] += 1
    return {
        "out": str(out),
        "done": len(done),
        "total": total,
        "failed": len(failed),
        "pending": total - len(done) - len(failed),
        "running": _running(out),
        "variants": per_variant,
    }


# --------------------------------------------------------------------------- summary inputs


def _values(rows: list[dict[str, Any]], kpis: tuple[str, ...]) -> pd.DataFrame:
    """Long table of finished values: index (variant, seed), one column per KPI."""
    records = [
        {"variant": r["variant"], "seed": r["seed"], **{k: r["kpis"].get(k) for k in kpis}}
        for r in rows
    ]
    table = pd.DataFrame.from_records(records, columns=["variant", "seed", *kpis])
    return table.set_index(["variant", "seed"]).astype(float)
