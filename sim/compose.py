"""Composes the world and the data: simulate a brand, regenerate a dataset, a course dataset.

This is the one place where the simulated brand (:mod:`sim.world`) meets the
data layer (:mod:`sim.data`): a run's records become a :class:`Dataset`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as as_completed_futures
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.data import schema
from sim.data.dataset import (
    MANIFEST,
    Dataset,
    DatasetError,
    _manifest_scenario,
    load,
    package_version,
    read_manifest,
    read_table_file,
    schema_fingerprint,
    write_parts,
    write_table_file,
    writing,
)
from sim.data.tables import (
    SHARED_TABLES,
    build_tables,
    id_counts,
    merge_campaigns,
    merge_spend,
    offset_ids,
)
from sim.scenario import Scenario, check_fits, preset
from sim.world import engine
from sim.world.engine import _collector_paused
from sim.world.population import unique_emails

__all__ = [
    "CACHE_ENV",
    "FRESH_CUSTOMERS",
    "Shard",
    "assemble",
    "cached_on_disk",
    "course_dataset",
    "default_dataset_path",
    "forget_course_datasets",
    "load_default",
    "regenerate",
    "regenerate_and_compare",
    "simulate",
    "simulate_shard",
    "simulate_to",
]


class Shard(NamedTuple):
    """One market's share of a run: its tables (ids from 1) and what assembling needs."""

    market: str
    tables: dict[str, pd.DataFrame]
    counts: dict[str, int]  # ids of each kind it uses (sim.data.tables.id_counts)
    campaign_sends: np.ndarray  # messages sent per campaign (campaign_id order)
    events: int


def simulate_shard(scenario: Scenario, seed: int, market: str) -> Shard:
    """Simulate one market of ``scenario`` (a deterministic function of scenario, seed, market).

    Only the people living in ``market`` and the friends they refer take part,
    with the market's contact centre, workshop and advisors; every draw is keyed
    by what it is about, so their stories are those of the whole brand's run.
    """
    with _collector_paused():
        records = engine.run(scenario, seed, market=market)
        tables = build_tables(records, scenario)
    n_camps = len(tables["campaigns"])
    sends = np.bincount(tables["messages"]["campaign_id"].to_numpy(), minlength=n_camps + 1)[1:]
    return Shard(market, tables, id_counts(tables), sends, int(records.events))


def _shard_task(scenario: Scenario, seed: int, market: str) -> Shard:
    # Module-level: worker processes and Dask workers import it by name.
    return simulate_shard(scenario, seed, market)


class StagedShard(NamedTuple):
    """A shard whose tables were written to its staged parts; only the small rest comes back."""

    market: str
    rows: dict[str, int]
    counts: dict[str, int]
    campaign_sends: np.ndarray
    events: int
    campaigns: pd.DataFrame
    spend: pd.DataFrame


def _stage_file(folder: Path, table: str, market: str) -> Path:
    # Named like a part (so a failed run's folder is recognised as the workbench's).
    return folder / table / f"part-{market}.stage.parquet"


def _stage_task(scenario: Scenario, seed: int, market: str, folder: str) -> StagedShard:
    """Simulate one shard and write its tables (ids from 1) to staged parts in ``folder``."""
    shard = simulate_shard(scenario, seed, market)
    rows = {}
    for name, df in shard.tables.items():
        rows[name] = len(df)
        if name not in SHARED_TABLES:
            write_table_file(name, df, _stage_file(Path(folder), name, market))
    return StagedShard(
        market,
        rows,
        shard.counts,
        shard.campaign_sends,
        shard.events,
        shard.tables["campaigns"],
        shard.tables["marketing_spend"],
    )


def _watch_driver(driver: int) -> None:
    """In a worker process: end it as soon as the driver process that started it is gone.

    Linux's parent-death signal covers the worker's own parent; the polling
    thread covers a parent that is a fork server, and other systems.
    """
    import threading

    with contextlib.suppress(Exception):
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(driver, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="driver-watch", daemon=True).start()


def _default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def _run_shards(
    scenario: Scenario,
    seed: int,
    markets: list[str],
    workers: int,
    client: Any,
    progress: bool,
    task: Callable[..., Any] = _shard_task,
    extra: tuple = (),
) -> Iterator[Any]:
    """``task(scenario, seed, market, *extra)`` for every market, in ``markets`` order."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(markets), unit="market", desc=f"Simulating {scenario.name}")

    def done() -> None:
        if bar is not None:
            bar.update(1)

    try:
        if client is not None:
            from distributed import as_completed

            futures = [
                client.submit(
                    task,
                    scenario,
                    seed,
                    m,
                    *extra,
                    pure=False,
                    key=f"shard-{m}-{uuid.uuid4().hex}",
                )
                for m in markets
            ]
            for _ in as_completed(futures):
                done()
            for f in futures:
                yield f.result()
        elif workers <= 1 or len(markets) <= 1:
            for m in markets:
                yield task(scenario, seed, m, *extra)
                done()
        else:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["sim.compose"])
            with ProcessPoolExecutor(
                max_workers=min(workers, len(markets)),
                mp_context=ctx,
                # A fresh process per shard: a finished shard's memory goes back
                # to the system instead of staying in the worker for the next one.
                max_tasks_per_child=1,
                initializer=_watch_driver,
                initargs=(os.getpid(),),
            ) as pool:
                # Largest markets first keeps the workers busy to the end.
                shares = engine.market_shares(scenario)
                futures = {
                    m: pool.submit(task, scenario, seed, m, *extra)
                    for m in sorted(markets, key=lambda m: -shares.get(m, 0.0))
                }
                for f in as_completed_futures(futures.values()):
                    f.result()  # raise a shard's error at once
                    done()
                for m in markets:
                    yield futures[m].result()
    finally:
        if bar is not None:
            bar.close()


def _check_workers(workers: Any, client: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, got {workers!r}")
    if client is not None and not hasattr(client, "submit"):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
    return int(workers)


def assemble(
    scenario: Scenario, seed: int, shards: Iterable[Shard], meta: dict | None = None
) -> Dataset:
    """The dataset of a run from its market shards, taken in the scenario's market order.

    Ids: each shard numbers its rows from 1; the dataset numbers the shards one
    after another in market order (:func:`sim.data.tables.offset_ids`), so every
    id is unique and the bytes do not depend on how many workers ran the shards.
    E-mail addresses are made unique across markets by the same rule as within
    one (a later namesake gets ``.<profile index>``). Campaigns and marketing
    spend are the brand's: merged into one table each; every other table keeps
    one part per market.
    """
    offsets: dict[str, int] = {}
    pieces: dict[str, list[pd.DataFrame]] = {t: [] for t in schema.TABLES}
    camp_parts, spend_parts, parts = [], [], {}
    events = 0
    for shard in shards:
        tables = offset_ids(shard.tables, offsets)
        for kind, n in shard.counts.items():
            offsets[kind] = offsets.get(kind, 0) + n
        for name, df in tables.items():
            if name not in SHARED_TABLES:
                pieces[name].append(df)
                parts.setdefault(name, []).append((shard.market, len(df)))
        camp_parts.append((tables["campaigns"], shard.campaign_sends))
        spend_parts.append(tables["marketing_spend"])
        events += shard.events
    out = {
        name: pd.concat(dfs, ignore_index=True) if len(dfs) > 1 else dfs[0]
        for name, dfs in pieces.items()
        if name not in SHARED_TABLES
    }
    out["campaigns"] = merge_campaigns(camp_parts)
    out["marketing_spend"] = merge_spend(spend_parts)
    customers = out["customers"]
    emails = unique_emails(customers["email"].to_numpy(dtype=object))
    if not np.array_equal(emails, customers["email"].to_numpy(dtype=object)):
        out["customers"] = customers.assign(email=emails)
    meta = {**(meta or {}), "events": events}
    ordered = {t: out[t] for t in schema.TABLES}
    return Dataset(ordered, scenario=scenario, seed=seed, meta=meta, parts=parts)


def simulate(
    scenario: Scenario,
    seed: int = 0,
    progress: bool = False,
    workers: int = 1,
    client: Any = None,
) -> Dataset:
    """Simulate the brand described by ``scenario`` and return its :class:`Dataset`.

    The run is sharded by market (:func:`simulate_shard`) and the shards are
    assembled in market order (:func:`assemble`), so the dataset is the same
    bytes however the shards ran.

    Parameters
    ----------
    workers
        1 (default) runs the shards one after another in this process (no
        worker is started: notebooks and graders stay in one process); more
        runs them on that many local worker processes, which end with this one.
    client
        A ``distributed.Client``: run the shards on its Dask cluster instead.
        The shards' tables come back to this process.
    progress
        Show one progress bar: markets done out of all.

    >>> from sim.scenario import preset
    >>> ds = simulate(preset("default").with_overrides({"population": {"customers": 200, "years": 1}}), seed=1)
    >>> sorted(ds.tables)[:3]
    ['advisor_tasks', 'campaigns', 'customers']
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    workers = _check_workers(workers, client)
    # Refuse a run that cannot fit in memory now, with a message saying what
    # to change, rather than with a MemoryError minutes into it.
    check_fits(scenario)
    started = time.perf_counter()
    markets = list(scenario.markets.names)
    shards = _run_shards(scenario, seed, markets, workers, client, progress)
    ds = assemble(scenario, seed, shards)
    ds.meta["wall_seconds"] = round(time.perf_counter() - started, 3)
    return ds


def simulate_to(
    path: str | os.PathLike,
    scenario: Scenario,
    seed: int = 0,
    progress: bool = False,
    workers: int = 1,
    client: Any = None,
    overwrite: bool = False,
) -> dict[str, int]:
    """Simulate ``scenario`` straight into dataset folder ``path``; return the rows per table.

    The same files and bytes as ``simulate(...).save(path)``, without holding
    the dataset in memory: each shard writes its tables to staged parts inside
    the output's temporary folder (in the worker that ran it), then this process
    renumbers them one part at a time (the shards before it give the offsets)
    into ``<table>/part-<market>.parquet``, writes the brand's campaigns and
    spend, the manifest last, and swaps the folder in atomically. Memory is
    that of the largest shard, not of the whole run. With ``client`` the Dask
    workers write the staged parts, so the output folder must be on a file
    system every worker reaches (e.g. a shared mount).

    Raises
    ------
    DatasetError
        ``path`` may not or cannot be written (checked before any simulation).
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    workers = _check_workers(workers, client)
    check_fits(scenario)
    markets = list(scenario.markets.names)
    rows: dict[str, int] = {}

    def fill(tmp: Path) -> dict[str, Any]:
        staged = list(
            _run_shards(
                scenario, seed, markets, workers, client, progress, _stage_task, (str(tmp),)
            )
        )
        info = _finish_parts(tmp, staged)
        rows.update(info["rows"])
        return info

    with writing(path, overwrite=overwrite):
        write_parts(path, scenario, seed, fill, overwrite=overwrite)
    return rows


def _finish_parts(tmp: Path, staged: list[StagedShard]) -> dict[str, Any]:
    """Renumber the staged parts in market order into the dataset's parts (one part at a time)."""
    # E-mail addresses unique across markets: only that column of every shard is read.
    emails = np.concatenate(
        [
            read_table_file("customers", _stage_file(tmp, "customers", s.market), ["email"])[
                "email"
            ].to_numpy(dtype=object)
            for s in staged
        ]
    )
    emails = unique_emails(emails)
    offsets: dict[str, int] = {}
    parts: dict[str, list[dict[str, Any]]] = {}
    rows = {t: 0 for t in schema.TABLES}
    first_customer = 0
    for shard in staged:
        for name in schema.TABLES:
            if name in SHARED_TABLES:
                continue
            stage = _stage_file(tmp, name, shard.market)
            df = offset_ids({name: read_table_file(name, stage)}, offsets)[name]
            if name == "customers":
                df = df.assign(email=emails[first_customer : first_customer + len(df)])
                first_customer += len(df)
            rel = f"{name}/part-{shard.market}.parquet"
            checksum = write_table_file(name, df, tmp / rel)
            stage.unlink()
            parts.setdefault(name, []).append({"file": rel, "rows": len(df), "checksum": checksum})
            rows[name] += len(df)
            del df
        for kind, n in shard.counts.items():
            offsets[kind] = offsets.get(kind, 0) + n
    checksums = {}
    shared = {
        "campaigns": merge_campaigns([(s.campaigns, s.campaign_sends) for s in staged]),
        "marketing_spend": merge_spend([s.spend for s in staged]),
    }
    for name, df in shared.items():
        checksums[name] = write_table_file(name, df, tmp / f"{name}.parquet")
        rows[name] = len(df)
    return {
        "rows": rows,
        "parts": parts,
        "checksums": checksums,
        "meta": {"events": sum(s.events for s in staged)},
    }


def regenerate_and_compare(
    path: str | os.PathLike, progress: bool = False
) -> dict[str, tuple[str, str]]:
    """Load dataset ``path``, re-simulate it from its manifest and compare checksums.

    Returns
    -------
    dict
        ``{table: (recorded checksum, regenerated checksum)}`` for every table
        that differs; empty when the simulation reproduces the dataset exactly.

    Raises
    ------
    DatasetError
        If the dataset itself does not load (see :func:`load`).
    """
    stored = load(path)
    recorded = stored.checksums()  # equal to the manifest's: load() verified them
    fresh = simulate(stored.scenario, stored.seed, progress=progress).checksums()
    return {
        t: (recorded.get(t, "-"), fresh.get(t, "-"))
        for t in sorted(set(recorded) | set(fresh), key=list(schema.TABLES).index)
        if recorded.get(t) != fresh.get(t)
    }


def regenerate(path: str | os.PathLike, progress: bool = False) -> Dataset:
    """Re-simulate dataset ``path`` from its manifest (scenario + seed) and save it in place.

    Only the manifest needs to be intact, so this repairs corrupt or missing
    table files and rewrites a dataset of an older format or schema version;
    a ``csv/`` export in the folder is rewritten too. Exactly the files the
    manifest lists are replaced: a folder that also holds other files (notes,
    figures) is refused, naming them, before anything is simulated, and the
    folder stays locked against other runs until the new dataset is in place.

    Raises
    ------
    DatasetError
        The manifest is missing or invalid, the folder holds files the
        workbench did not write, another run is writing it, or it cannot be
        written (see :func:`sim.data.dataset.writing`).
    """
    path = Path(path)
    read_manifest(path)  # the clearest message for a missing or broken manifest
    with writing(path, overwrite=True):
        # Read again under the lock: another run may have replaced the folder.
        manifest = read_manifest(path)
        scenario = _manifest_scenario(path, manifest)
        files = manifest.get("files") or []
        csv = (path / "csv").is_dir() or any(str(f).startswith("csv/") for f in files)
        ds = simulate(scenario, manifest["seed"], progress=progress)
        ds.save(path, overwrite=True, csv=csv)
    return ds


def default_dataset_path() -> Path:
    """The repository's default course dataset folder, ``datasets/default``."""
    return Path(__file__).resolve().parents[1] / "datasets" / "default"


def load_default() -> Dataset:
    """Load (and verify) the default course dataset."""
    return load(default_dataset_path())


@functools.lru_cache(maxsize=8)
def _cached_simulation(scenario: Scenario, seed: int) -> Dataset:
    # Keyed on the scenario itself: it is immutable and hashable.
    return simulate(scenario, seed)


@functools.lru_cache(maxsize=4)
def _cached_load(path: str, mtime_ns: int) -> Dataset:
    # mtime in the key: a regenerated dataset (a new folder) is reloaded.
    return load(path)


def forget_course_datasets() -> None:
    """Drop the datasets :func:`course_dataset` keeps in memory (up to 4 loaded, 8 simulated).

    A long-lived process that works through many students' seeds (a grading
    batch, a test session) can free them between students; the next call
    loads or simulates again, with the same result.
    """
    _cached_simulation.cache_clear()
    _cached_load.cache_clear()


FRESH_CUSTOMERS = 5_000  # size of a freshly simulated dataset for another seed

#: Environment variable: a folder where :func:`course_dataset` keeps the datasets it simulates,
#: so that other processes (a sheet's kernel, its checker, the grader) load them instead of
#: simulating them again. The test suite sets it to a folder of its own temporary area. It is
#: ignored while grading, so a submission's kernel can never plant the data of the answer key.
CACHE_ENV = "CRM_WORKBENCH_DATASET_CACHE"
GRADING_ENV = "CRM_WORKBENCH_GRADING"  # sim.course.checker.GRADING_ENV (course imports compose)


def _cache_folder(root: str, scenario: Scenario, seed: int) -> Path:
    """``root/<hash>``: one folder per scenario, seed, package version and data model."""
    identity = {
        "scenario": scenario.to_dict(),
        "seed": seed,
        "package_version": package_version(),
        "schema": schema_fingerprint(),
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode())
    return Path(root) / digest.hexdigest()[:24]


def cached_on_disk(
    scenario: Scenario, seed: int, run: Callable[[Scenario, int], Dataset] = simulate
) -> Dataset:
    """``run(scenario, seed)``, read from and written to the folder :data:`CACHE_ENV` names.

    Without :data:`CACHE_ENV` this is just ``run(scenario, seed)``. With it, a
    dataset another process already simulated is loaded (and verified) instead;
    a new one is saved there atomically, so concurrent processes are safe. The
    entry is keyed on scenario, seed, package version and data model, not on
    the code: the folder is meant for one test run (tests/conftest.py).
    """
    root = os.environ.get(CACHE_ENV, "")
    # While grading (sim.course.checker.GRADING_ENV) nothing is read from or written
    # to the cache: a submission's kernel must not be able to plant the data the
    # answer key is computed from.
    if not root or os.environ.get(GRADING_ENV):
        return run(scenario, seed)
    folder = _cache_folder(root, scenario, seed)
    if (folder / MANIFEST).is_file():
        try:
            return _cached_load(str(folder), (folder / MANIFEST).stat().st_mtime_ns)
        except DatasetError:
            pass  # a broken entry: simulate (and leave it for whoever looks)
    ds = run(scenario, seed)
    try:
        ds.save(folder)  # another process writing the same entry first is fine
    except (DatasetError, OSError):
        pass
    return ds


def course_dataset(
    path: str | os.PathLike | None = None,
    seed: int | None = None,
    customers: int | None = None,
) -> Dataset:
    """The dataset a notebook works on: the stored one, or a fresh one for another seed/size.

    Parameters
    ----------
    path
        Dataset folder; default :func:`default_dataset_path`.
    seed
        ``None`` or the stored dataset's seed (with ``customers=None``) loads
        the stored dataset. Any other seed simulates the stored dataset's
        scenario (the ``default`` preset if there is none) with that seed,
        e.g. one dataset per student, with :data:`FRESH_CUSTOMERS` customers
        unless ``customers`` says otherwise, so it takes a second or two.
    customers
        Simulate this many customers instead (smaller = faster).

    Returns
    -------
    Dataset
        A copy: changing its tables does not affect later calls. Fresh
        simulations are cached in memory per (scenario, seed, customers), and
        on disk in the folder :data:`CACHE_ENV` names, if it is set.
    """
    path = Path(path) if path is not None else default_dataset_path()
    manifest = read_manifest(path) if (path / MANIFEST).is_file() else None
    if customers is None and (seed is None or (manifest is not None and seed == manifest["seed"])):
        if manifest is None:
            load(path)  # raises the clear "no dataset here / create it with ..." error
        return _cached_load(str(path.resolve()), (path / MANIFEST).stat().st_mtime_ns).copy()
    scenario = _manifest_scenario(path, manifest) if manifest is not None else preset("default")
    if customers is None and seed is not None:
        customers = FRESH_CUSTOMERS
    if customers is not None:
        scenario = scenario.with_overrides({"population": {"customers": customers}})
    if seed is None:
        seed = manifest["seed"] if manifest is not None else 0
    return cached_on_disk(scenario, int(seed), _cached_simulation).copy()
