"""Shared fixtures: the repository root and the (gitignored) output folder tests/_output/."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "tests" / "_output"
KERNEL_NAME = "crm-workbench"


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """tests/_output/: executed notebooks, screenshots (gitignored, kept for inspection)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
