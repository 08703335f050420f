"""Composes the world and the data: simulate a brand, regenerate a dataset, a course dataset.

This is the one place where the simulated brand (:mod:`sim.world`) meets the
data layer (:mod:`sim.data`): a run's records become a :class:`Dataset`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from sim.data import schema
from sim.data.dataset import (
    MANIFEST,
    Dataset,
    DatasetError,
    _manifest_scenario,
    load,
    package_version,
    read_manifest,
    schema_fingerprint,
)
from sim.data.tables import build_tables
from sim.scenario import Scenario, check_fits, preset
from sim.world import engine

__all__ = [
    "CACHE_ENV",
    "FRESH_CUSTOMERS",
    "cached_on_disk",
    "course_dataset",
    "default_dataset_path",
    "load_default",
    "regenerate",
    "regenerate_and_compare",
    "simulate",
]


def simulate(scenario: Scenario, seed: int = 0, progress: bool = False) -> Dataset:
    """Simulate the brand described by ``scenario`` and return its :class:`Dataset`.

    >>> from sim.scenario import preset
    >>> ds = simulate(preset("default").with_overrides({"population": {"customers": 200, "years": 1}}), seed=1)
    >>> sorted(ds.tables)[:3]
    ['advisor_tasks', 'campaigns', 'customers']
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    # Refuse a run that cannot fit in memory now, with a message saying what
    # to change, rather than with a MemoryError minutes into it.
    check_fits(scenario)
    started = time.perf_counter()
    records = engine.run(scenario, seed, progress=progress)
    tables = build_tables(records, scenario)
    meta = {"wall_seconds": round(time.perf_counter() - started, 3), "events": records.events}
    return Dataset(tables=tables, scenario=scenario, seed=seed, meta=meta)


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
    from sim.data.dataset import writing

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
