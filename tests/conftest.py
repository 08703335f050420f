"""Shared fixtures: the repository root, the output folder tests/_output/, the course kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "tests" / "_output"


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
