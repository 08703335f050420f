"""Shared fixtures: the repository root, the output folder tests/_output/, the course kernel.

Every process of a run (pytest, its xdist workers, notebook kernels, checkers,
grading workers) shares one on-disk cache of simulated course datasets
(:data:`sim.compose.CACHE_ENV`, in the run's temporary folder), so a student's
dataset is simulated once per run, not once per process.

Under pytest-xdist (``make test`` runs ``-n auto --dist loadfile``) the tests
of a module stay on one worker, where its module fixtures (the site build,
the nbgrader and otter courses) are built once; only the modules in
:data:`SPREAD`, whose tests share nothing but session fixtures, are dealt out
test by test, so that their dozens of notebook runs do not all queue on one
worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.compose import CACHE_ENV

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "tests" / "_output"
SPREAD = {"test_notebooks.py"}


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadfile``, but the tests of the SPREAD modules are scheduled one by one."""
    if config.getvalue("dist") != "loadfile":
        return None  # xdist's own choice
    from xdist.scheduler import LoadFileScheduling

    class ModulesButSpread(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return nodeid if Path(module).name in SPREAD else module

    return ModulesButSpread(config, log)


@pytest.fixture(scope="session", autouse=True)
def dataset_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's dataset cache folder, named in the environment every child process inherits."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, shared by all workers
    folder = Path(os.environ.get(CACHE_ENV) or base / "datasets")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(CACHE_ENV, str(folder))
        yield folder


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """tests/_output/: executed notebooks, screenshots (gitignored, kept for inspection)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def course_kernel() -> str:
    """The course kernel's name, registered into this environment first if Jupyter lacks it.

    So ``python -m pytest`` works without ``make`` having registered it; when
    registering fails, the notebook tests fail with one line saying what to run.
    """
    from sim.course.lab import KERNEL_NAME, LabSetupError, ensure_kernel

    try:
        ensure_kernel(KERNEL_NAME)
    except LabSetupError as err:
        pytest.fail(str(err), pytrace=False)
    return KERNEL_NAME
