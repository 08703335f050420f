"""Sweeps: a baseline and its variants over replications, on local workers or Dask, resumable.

>>> from sim.studio.sweep import load_spec, run_sweep          # doctest: +SKIP
>>> result = run_sweep(load_spec("sweep.yaml"), out="sweeps/retention")  # doctest: +SKIP
>>> result.summary.query("kpi == 'profit'")                    # doctest: +SKIP

The SPEC (baseline, variants, a grid, Latin hypercube or Morris design, seeds, KPIs) is
described in :mod:`sim.studio.sweep_spec`. A sweep folder holds::

    spec.yaml                    the normalised SPEC (a different SPEC is refused)
    tasks/<variant>/seed-<k>.json  one finished task: its KPIs and monthly revenue
    failures.json                tasks that kept failing: variant, seed, error
    summary.csv                  per variant and KPI: mean, se, interval, paired diff
    sensitivity.csv              for grid, LHS and Morris designs (sim.studio.sensitivity)

Each task's file is written atomically (temporary file in the same folder,
fsync, rename) by the driver as soon as the task finishes, so a sweep stopped
in any way (Ctrl-C, SIGKILL of the driver, a killed worker) resumes where it
stopped: running the same SPEC on the same folder skips every finished task.
The summary is computed from the task files alone, so a resumed sweep's
table equals an uninterrupted one's.

Where tasks run: ``workers=1`` in this process; ``workers=N`` (default: the
machine's cores) on N local worker processes (spawned, each watching its
parent so that none outlives a killed driver); ``client=`` an existing
:class:`distributed.Client`, or ``scheduler="tcp://host:port"`` to connect to
a Dask cluster. Dask workers only return results to the driver, so they need
the ``sim`` package but no shared folder.

Test hook (documented so that it is not a surprise): when the environment
variable ``SIM_SWEEP_FAULTS`` names a folder, a task whose file
``crash-once.<variant>.<seed>`` exists there deletes it and kills its worker
process (``os._exit``), and a task whose file ``fail.<variant>.<seed>``
exists raises an error on every attempt (only tasks that are simulated: a run
the driver already holds is not). The tests use it to check retries.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.scenario import ScenarioError
from sim.studio.sensitivity import sensitivity
from sim.studio.sweep_folder import (
    _FAILURES,
    _SPEC_FILE,
    _SUMMARY,
    SweepError,
    _clean_temporaries,
    _locked,
    _prepare,
    _stored_spec,
    _task_path,
    _values,
    _write_atomic,
    read_rows,
    status,
)
from sim.studio.sweep_spec import BASELINE, SpecError, SweepSpec, Task, load_spec

__all__ = [
    "FAULTS_ENV",
    "SUMMARY_COLUMNS",
    "SweepError",
    "SweepResult",
    "SweepSpec",
    "Task",
    "execute",
    "load_spec",
    "monthly_revenue",
    "read_rows",
    "run_sweep",
    "sensitivity",
    "status",
    "summarise",
]

#: The columns of ``summary.csv`` (``within_noise``, ``n`` and ``n_paired`` follow them).
SUMMARY_COLUMNS = ("variant", "kpi", "mean", "se", "ci_low", "ci_high", "diff", "diff_low",
                   "diff_high")  # fmt: skip
#: Environment variable naming the test hook's folder (see the module docs).
FAULTS_ENV = "SIM_SWEEP_FAULTS"


@dataclass(frozen=True)
class SweepResult:
    """What :func:`run_sweep` returns: the summary, sensitivity, failures and the folder."""

    out: Path
    summary: pd.DataFrame
    sensitivity: pd.DataFrame | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)
    spec: SweepSpec | None = None
    #: False when the run was stopped (``stop`` set) before every task was tried.
    complete: bool = True


# --------------------------------------------------------------------------- one task


def _faults(variant: str, seed: int, folder: str | None) -> None:
    """The test hook: crash this worker once, or fail every time (see the module docs)."""
    if not folder:
        return
    base = Path(folder)
    crash = base / f"crash-once.{variant}.{seed}"
    try:
        crash.unlink()
    except FileNotFoundError:
        pass
    else:
        os._exit(17)
    if (base / f"fail.{variant}.{seed}").exists():
        raise RuntimeError(f"injected failure for {variant} seed {seed}")


def execute(task: Task, kpis: tuple[str, ...], faults: str | None = None) -> dict[str, Any]:
    """Simulate one task and return its row: KPIs and monthly revenue (what a task file holds).

    A run this process already holds in :data:`sim.studio.whatif.RUNS` (the
    same scenario and seed, e.g. a notebook's baseline) is used instead of
    simulating it again: a run is a pure function of its scenario and seed.
    """
    from sim.compose import simulate
    from sim.studio.whatif import RUNS
    from sim.studio.whatif import kpis as kpi_values

    started, cpu = time.perf_counter(), time.process_time()
    ds = RUNS.peek(task.scenario, task.seed)
    reused = ds is not None
    if ds is None:
        _faults(task.variant, task.seed, faults)  # the test hook acts on simulations
        ds = simulate(task.scenario, task.seed)
    values = kpi_values(ds)
    orders = ds.orders
    monthly = orders.groupby(orders["order_date"].dt.to_period("M"))["net_amount"].sum()
    return {
        "variant": task.variant,
        "seed": int(task.seed),
        "kpis": {k: _json_number(values[k]) for k in kpis},
        "monthly_revenue": {str(m): float(v) for m, v in monthly.items()},
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "pid": os.getpid(),
        "reused": reused,
    }


def _json_number(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None  # JSON has no NaN


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


# --------------------------------------------------------------------------- summary


def summarise(out: str | os.PathLike, spec: SweepSpec | None = None) -> pd.DataFrame:
    """The result table of a sweep folder, from its finished task files only.

    Per variant (the baseline first) and KPI: ``mean``, ``se`` and the
    interval ``ci_low``–``ci_high`` over the replications that finished
    (Student t, :func:`sim.analytics.intervals.mean_interval`), and the paired
    difference against the baseline over the seeds both finished, with its
    interval (:func:`~sim.analytics.intervals.paired_interval`); the
    baseline's diff columns are empty. Then ``within_noise`` (the difference's
    interval contains 0, or too few pairs to tell), ``n`` (replications) and
    ``n_paired``. A KPI without a value in a run (no survey: no NPS) is left
    out of that run's count. Written to ``summary.csv`` by :func:`run_sweep`.
    """
    from sim.analytics.intervals import mean_interval, paired_interval

    out = Path(out)
    spec = load_spec(spec) if spec is not None else _stored_spec(out)
    values = _values(read_rows(out, spec), spec.kpis)
    base = values.xs(BASELINE, level="variant") if BASELINE in values.index else None
    rows = []
    for variant in spec.variant_names:
        mine = values.xs(variant, level="variant") if variant in values.index else None
        for kpi in spec.kpis:
            x = mine[kpi].dropna() if mine is not None else pd.Series(dtype=float)
            m = mean_interval(x.to_numpy(), spec.level)
            row = {
                "variant": variant,
                "kpi": kpi,
                "mean": m["estimate"],
                "se": m["se"],
                "ci_low": m["low"],
                "ci_high": m["high"],
                "diff": math.nan,
                "diff_low": math.nan,
                "diff_high": math.nan,
                "within_noise": pd.NA,
                "n": int(m["n"]),
                "n_paired": pd.NA,
            }
            if variant != BASELINE:
                b = base[kpi].dropna() if base is not None else pd.Series(dtype=float)
                seeds = x.index.intersection(b.index)
                row["n_paired"] = len(seeds)
                if len(seeds):
                    d = paired_interval(x[seeds].to_numpy(), b[seeds].to_numpy(), spec.level)
                    row.update(
                        diff=d["estimate"],
                        diff_low=d["low"],
                        diff_high=d["high"],
                        within_noise=d["within_noise"],
                    )
            rows.append(row)
    table = pd.DataFrame(rows)
    table["within_noise"] = table["within_noise"].astype("boolean")
    table["n_paired"] = table["n_paired"].astype("Int64")
    return table


def monthly_revenue(out: str | os.PathLike, spec: SweepSpec | None = None) -> pd.DataFrame:
    """Mean revenue per calendar month over the finished replications, one column per variant."""
    out = Path(out)
    spec = load_spec(spec) if spec is not None else _stored_spec(out)
    cols: dict[str, pd.Series] = {}
    for variant in spec.variant_names:
        series = [
            pd.Series(r["monthly_revenue"], dtype=float)
            for r in read_rows(out, spec)
            if r["variant"] == variant
        ]
        if series:
            cols[variant] = pd.concat(series, axis=1).fillna(0.0).mean(axis=1)
    table = pd.DataFrame(cols).fillna(0.0)
    table.index = pd.PeriodIndex(table.index, freq="M") if len(table) else table.index
    table.index.name = "month"
    return table.sort_index()


def _csv(table: pd.DataFrame, path: Path) -> None:
    _write_atomic(path, table.to_csv(index=False))


# --------------------------------------------------------------------------- executors


class _Attempts:
    """Counts each task's attempts and decides: retry, or report a failure."""

    def __init__(self, retries: int) -> None:
        self.retries = retries
        self.tries: dict[str, int] = {}
        self.failures: dict[str, dict[str, Any]] = {}

    def failed(self, task: Task, error: str) -> bool:
        """Record a failed attempt; True when the task should be tried again."""
        n = self.tries[task.key] = self.tries.get(task.key, 0) + 1
        if n <= self.retries:
            return True
        self.failures[task.key] = {
            "variant": task.variant,
            "seed": task.seed,
            "error": error,
            "attempts": n,
        }
        return False


def _stopped(stop: Any) -> bool:
    return stop is not None and stop.is_set()


def _run_inline(tasks, kpis, faults, attempts, done, stop) -> None:
    for task in tasks:
        if _stopped(stop):
            return
        while True:
            try:
                row = execute(task, kpis, faults)
            except Exception as err:  # a task's failure must not stop the others
                if attempts.failed(task, _one_line(err)):
                    continue
                break
            done(task, row)
            break


def _worker_main(conn, faults: str | None) -> None:
    """A local worker: run tasks from the pipe until told to stop or the driver dies."""
    import multiprocessing
    import multiprocessing.connection
    import signal

    # Ctrl-C reaches the whole process group: the driver decides, and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    parent_pid = os.getppid()

    def watch() -> None:
        # A killed driver (SIGKILL) cannot stop its workers: each worker stops itself.
        sentinel = getattr(parent, "sentinel", None)
        while True:
            if sentinel is not None:
                if multiprocessing.connection.wait([sentinel], timeout=1.0):
                    os._exit(3)
            elif os.getppid() != parent_pid:
                os._exit(3)
            else:
                time.sleep(1.0)

    threading.Thread(target=watch, daemon=True).start()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        task, kpis = message
        try:
            reply = ("ok", execute(task, kpis, faults))
        except Exception as err:
            reply = ("error", _one_line(err) + " | " + traceback.format_exc(limit=-1).strip())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class _LocalPool:
    """N spawned worker processes, one task each at a time, so a dead worker names its task."""

    def __init__(self, n: int, faults: str | None) -> None:
        import multiprocessing

        self.ctx = multiprocessing.get_context("spawn")
        self.faults = faults
        self.workers: list[tuple[Any, Any]] = [self._start() for _ in range(n)]

    def _start(self) -> tuple[Any, Any]:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker_main, args=(child, self.faults), daemon=True)
        proc.start()
        child.close()
        return proc, parent

    def run(self, tasks, kpis, attempts, done, stop) -> None:
        from multiprocessing.connection import wait

        queue = list(tasks)
        busy: dict[int, Task] = {}  # worker index -> task
        while queue or busy:
            if _stopped(stop):
                return  # the caller kills the workers and their unfinished tasks
            for i in range(len(self.workers)):
                if i not in busy and queue:
                    task = queue.pop(0)
                    try:
                        self.workers[i][1].send((task, kpis))
                    except (BrokenPipeError, OSError):
                        self._replace(i)
                        queue.insert(0, task)
                        continue
                    busy[i] = task
            if not busy:
                continue
            handles = {}
            for i in busy:
                proc, conn = self.workers[i]
                handles[conn] = i
                handles[proc.sentinel] = i
            # A timeout, so that a stop request is seen while every worker is busy.
            for ready in wait(list(handles), timeout=None if stop is None else 0.2):
                i = handles[ready]
                if i not in busy:
                    continue  # its pipe and its sentinel were both ready
                proc, conn = self.workers[i]
                task = busy.pop(i)
                reply = None
                try:
                    if conn.poll():
                        reply = conn.recv()
                except (EOFError, OSError):
                    reply = None
                if reply is None:
                    proc.join(timeout=5)
                    error = f"worker process died (exit code {proc.exitcode})"
                    self._replace(i)
                    if attempts.failed(task, error):
                        queue.insert(0, task)
                elif reply[0] == "ok":
                    done(task, reply[1])
                elif attempts.failed(task, reply[1]):
                    queue.insert(0, task)

    def _replace(self, i: int) -> None:
        proc, conn = self.workers[i]
        with contextlib.suppress(Exception):
            conn.close()
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
        self.workers[i] = self._start()

    def close(self, now: bool = False) -> None:
        """Stop the workers: after their task, or at once (``now``: interrupted, failing)."""
        for proc, conn in self.workers:
            with contextlib.suppress(Exception):
                conn.send(None)
            with contextlib.suppress(Exception):
                conn.close()
            if now and proc.is_alive():
                proc.kill()
        deadline = time.monotonic() + 5
        for proc, _ in self.workers:
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)


def _run_dask(client, tasks, kpis, faults, attempts, done, stop) -> None:
    from distributed import as_completed

    def submit(task: Task):
        return client.submit(execute, task, kpis, faults, pure=False, retries=0)

    futures = {submit(t): t for t in tasks}
    pending = as_completed(list(futures))
    try:
        for fut in pending:
            if _stopped(stop):
                return
            task = futures.pop(fut)
            if fut.status == "finished":
                done(task, fut.result())
                continue
            try:
                err = fut.exception()
                error = _one_line(err) if err is not None else f"task {fut.status}"
            except Exception as exc:  # e.g. the future was lost with its worker
                error = _one_line(exc)
            if attempts.failed(task, error):
                new = submit(task)
                futures[new] = task
                pending.add(new)
    finally:
        for fut in futures:
            fut.cancel()


def _connect(scheduler: str):
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise SweepError(
            f"scheduler = {scheduler!r} is not allowed: expected an address like tcp://host:8786"
        )
    try:
        from distributed import Client

        return Client(scheduler, timeout="10s", set_as_default=False)
    except Exception as err:  # OSError, TimeoutError, a bad address
        raise SweepError(f"scheduler {scheduler}: cannot connect ({_one_line(err)})") from None


def _check_fits(spec: SweepSpec, n_workers: int) -> None:
    """Refuse, before any task, a sweep whose runs cannot fit in this machine's memory at once."""
    from sim.scenario import available_memory, check_fits

    memory = available_memory()
    if memory is None:
        return
    for v in spec.variants:
        try:
            check_fits(v.scenario, memory // n_workers)
        except SpecError:
            raise
        except ScenarioError as err:
            share = (
                f" (each of {n_workers} workers gets 1/{n_workers} of it)" if n_workers > 1 else ""
            )
            raise SweepError(f"variant {v.name}{share}: {err}") from None


def _workers(workers: Any) -> int:
    if workers is None:
        return max(1, os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise SweepError(f"workers = {workers!r} is not allowed: expected a whole number >= 1")
    return int(workers)


# --------------------------------------------------------------------------- run


def run_sweep(
    spec: Any,
    out: str | os.PathLike,
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    progress: bool = True,
    on_task: Callable[[dict[str, Any]], None] | None = None,
    retries: int = 2,
    stop: Any = None,
) -> SweepResult:
    """Run (or resume) a sweep into the folder ``out`` and return its result tables.

    Parameters
    ----------
    spec
        A :class:`SweepSpec`, or anything :func:`load_spec` reads (a YAML file,
        YAML text, a mapping). Validated, with every scenario built, before
        anything is written.
    out
        The sweep folder: new or empty, or one holding the same SPEC (its
        finished tasks are skipped, none is recomputed). A folder holding a
        different SPEC is refused.
    workers
        Local processes; ``None`` uses every core, ``1`` runs in this process.
    client, scheduler
        A :class:`distributed.Client`, or the address of a Dask scheduler to
        connect to (an unreachable one is an error before any task runs).
    progress
        Show one tqdm bar: tasks done / total, with an ETA.
    on_task
        Called in this process with each finished task's row (the content of
        its task file: ``variant``, ``seed``, ``kpis`` (a dict KPI -> value,
        ``None`` for a KPI without data), ``monthly_revenue`` (``"YYYY-MM"`` ->
        EUR), ``seconds``, ``cpu_seconds``, ``pid``, ``reused`` (true when the
        run was one this process already held in :data:`sim.studio.whatif.RUNS`,
        computed here without a worker), ``finished_at``, ``attempts``), as soon
        as the file is written.
    retries
        How many times a failing task is tried again (a worker that dies
        counts as a failure); then it is reported in ``failures.json`` and the
        others carry on.
    stop
        Optional :class:`threading.Event` (anything with ``is_set()``): when
        set, e.g. by an app running the sweep in a thread, no new task starts,
        running ones are abandoned (their workers stopped; in this process,
        with ``workers=1``, the running task finishes first) and the result
        holds what finished, with ``complete=False``. Rerun to resume.
    """
    spec = load_spec(spec)
    out = Path(out).expanduser()
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise SweepError(f"retries = {retries!r} is not allowed: expected a whole number >= 0")
    if client is not None and scheduler is not None:
        raise SweepError("give client or scheduler, not both")
    if (client is not None or scheduler is not None) and workers is not None:
        raise SweepError("workers: not used with a Dask client or scheduler (it has its own)")
    n_workers = _workers(workers) if client is None and scheduler is None else 0
    if n_workers:
        _check_fits(spec, n_workers)
    _prepare(out, spec)
    own_client = _connect(scheduler) if scheduler is not None else None
    client = own_client or client
    faults = os.environ.get(FAULTS_ENV) or None
    try:
        with _locked(out):
            _prepare(out, spec)  # again, now that no other driver can write
            _clean_temporaries(out)
            if not (out / _SPEC_FILE).exists():
                _write_atomic(out / _SPEC_FILE, spec.to_yaml())
            all_tasks = spec.tasks()
            todo = [
                t for t in all_tasks if not _task_path(out, t.variant, t.seed).is_file()
            ]  # fmt: skip
            attempts = _Attempts(retries)
            bar = None
            if progress:
                from tqdm.auto import tqdm

                bar = tqdm(
                    total=len(all_tasks), initial=len(all_tasks) - len(todo), unit="task",
                    desc="Sweep", dynamic_ncols=True,
                )  # fmt: skip

            def done(task: Task, row: dict[str, Any]) -> None:
                row = {
                    **row,
                    "finished_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                }
                row["attempts"] = attempts.tries.get(task.key, 0) + 1
                _write_atomic(_task_path(out, task.variant, task.seed), json.dumps(row, indent=1))
                if bar is not None:
                    bar.update(1)
                if on_task is not None:
                    on_task(row)

            try:
                # Runs this process already holds need no simulation and no worker.
                from sim.studio.whatif import RUNS

                held = [t for t in todo if (t.scenario, t.seed) in RUNS]
                _run_inline(held, spec.kpis, faults, attempts, done, stop)
                todo = [t for t in todo if t.key not in {h.key for h in held}]
                if not todo or _stopped(stop):
                    pass
                elif client is not None:
                    _run_dask(client, todo, spec.kpis, faults, attempts, done, stop)
                elif n_workers == 1 or len(todo) == 1:
                    _run_inline(todo, spec.kpis, faults, attempts, done, stop)
                else:
                    pool = _LocalPool(min(n_workers, len(todo)), faults)
                    try:
                        pool.run(todo, spec.kpis, attempts, done, stop)
                    except BaseException:
                        pool.close(now=True)
                        raise
                    pool.close(now=_stopped(stop))
            finally:
                if bar is not None:
                    bar.close()
            failures = list(attempts.failures.values())
            _write_atomic(out / _FAILURES, json.dumps(failures, indent=1))
            summary = summarise(out, spec)
            _csv(summary, out / _SUMMARY)
            sens = None
            if spec.factors:
                sens = sensitivity(out, spec)
    finally:
        if own_client is not None:
            own_client.close()
    return SweepResult(
        out=out,
        summary=summary,
        sensitivity=sens,
        failures=failures,
        spec=spec,
        complete=not _stopped(stop),
    )
