"""Every notebook runs under papermill with other parameters, every sheet also with its defaults.

The lessons' run at their defaults is the course site's build (tests/test_site.py).

Notebooks are found when the tests are collected, so new ones are picked up
without touching this file. Execution is in-process (papermill's Python API),
on the project's kernel (the ``course_kernel`` fixture registers it first if
Jupyter lacks it), in the notebook's own folder, with a per-cell timeout;
executed copies land in tests/_output/notebooks/.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
import pytest

from sim.course.grader import collect_results, execute_sheet, prepare_submission
from sim.course.lab import KERNEL_DISPLAY_NAME, KERNEL_NAME

REPO = Path(__file__).resolve().parents[1]
CELL_TIMEOUT = 120  # seconds per cell; notebooks aim at <= 30 s in total

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((REPO / "solutions").glob("*.ipynb"))
EXERCISES = sorted((REPO / "exercises").glob("*.ipynb"))
RUNNABLE = NOTEBOOKS + SOLUTIONS
COMMITTED = NOTEBOOKS + SOLUTIONS + EXERCISES

OTHER_PARAMETERS = {"seed": 7, "INTERACTIVE": True}
STUDENT_PARAMETERS = {"student_id": "ci-student", "INTERACTIVE": False}


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def is_sheet(path: Path) -> bool:
    return path.parent.name in ("solutions", "exercises")


def execute(path: Path, parameters: dict[str, Any], tag: str, output_dir: Path, kernel: str):
    """Run one notebook on ``kernel``; return (executed notebook, self-check results)."""
    out = output_dir / "notebooks" / f"{path.parent.name}__{path.stem}__{tag}.ipynb"
    if is_sheet(path):
        # keep_going=False: the first error fails the run; the appended report
        # cell lists every registered question, checked or not.
        results, error = execute_sheet(
            prepare_submission(path, solutions_dir=None),
            out,
            parameters=parameters,
            cwd=path.parent,
            timeout=CELL_TIMEOUT,
            kernel_name=kernel,
            keep_going=False,
        )
        assert not error, f"{rel(path)} failed ({tag}): {error}; see {out}"
        return nbformat.read(out, as_version=4), results
    out.parent.mkdir(parents=True, exist_ok=True)
    nb = pm.execute_notebook(
        str(path),
        str(out),
        parameters=parameters,
        kernel_name=kernel,
        cwd=str(path.parent),
        execution_timeout=CELL_TIMEOUT,
        start_timeout=60,
        progress_bar=False,
    )
    return nb, collect_results(nb)


def assert_all_right(path: Path, results: list[dict[str, Any]]) -> None:
    assert results, f"{rel(path)}: no self-checks found (register them with expect())"
    wrong = [f"{r['question']}: {r['message']}" for r in results if r["status"] != "right"]
    assert not wrong, f"{rel(path)}: self-checks not right: {wrong}"


# The lessons' run with their defaults is the course site's build (tests/test_site.py,
# `make site`): it executes every notebook on the course kernel and fails on any error, so
# running them here again would only double the time.
@pytest.mark.notebooks
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", SOLUTIONS, ids=rel)
def test_solutions_run_with_defaults_and_are_right(path, output_dir, course_kernel):
    _, results = execute(path, {}, "defaults", output_dir, course_kernel)
    assert_all_right(path, results)


def declared(path: Path, parameters: dict) -> dict:
    """Only the parameters the notebook declares (papermill warns about any other)."""

    names = pm.inspect_notebook(str(path))
    return {k: v for k, v in parameters.items() if k in names}


@pytest.mark.notebooks
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", RUNNABLE, ids=rel)
def test_runs_with_other_parameters(path, output_dir, course_kernel):
    """Lessons at another seed with their explorers live; sheets as a student runs them headless.

    The site's build covers the lessons headless (INTERACTIVE = False, no widget shown).
    """
    parameters = declared(path, STUDENT_PARAMETERS if is_sheet(path) else OTHER_PARAMETERS)
    nb, results = execute(path, parameters, "other", output_dir, course_kernel)
    assert nb.metadata.papermill.parameters == parameters
    if path.parent.name == "solutions":
        assert_all_right(path, results)
    views = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    if is_sheet(path):
        assert not views, f"{rel(path)}: widgets displayed with INTERACTIVE=False"
    elif "explorer(" in "\n".join(c.source for c in nb.cells):
        assert views, f"{rel(path)}: its explorers showed no widget with INTERACTIVE=True"


@pytest.mark.notebooks
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", EXERCISES, ids=rel)
def test_exercises_run_and_report_not_answered(path, output_dir, course_kernel):
    parameters = declared(path, {"INTERACTIVE": False})
    _, results = execute(path, parameters, "exercise", output_dir, course_kernel)
    assert results, f"{rel(path)}: no self-checks found"
    answered = [f"{r['question']}: {r['message']}" for r in results if r["status"] != "unanswered"]
    assert not answered, f"{rel(path)}: expected only 'not answered yet', got {answered}"


# ---------------------------------------------------------------- stored form


@pytest.mark.parametrize("path", COMMITTED, ids=rel)
def test_stored_without_outputs_or_run_metadata(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert not path.stem.startswith("Untitled")
    problems = [
        f"notebook metadata {key!r}" for key in ("widgets", "papermill") if key in nb.metadata
    ]
    for index, cell in enumerate(nb.cells):
        where = f"cell {index}"
        if cell.cell_type == "code":
            if cell.outputs:
                problems.append(f"{where}: outputs")
            if cell.execution_count is not None:
                problems.append(f"{where}: execution count")
        for key in ("papermill", "execution", "widgets", "collapsed", "scrolled"):
            if key in cell.metadata:
                problems.append(f"{where}: metadata {key!r}")
        if "injected-parameters" in cell.metadata.get("tags", []):
            problems.append(f"{where}: papermill's injected-parameters cell")
        if "attachments" in cell and cell.attachments:
            problems.append(f"{where}: attachments")
    assert not problems, f"{rel(path)} is stored with run state (strip it): {problems}"


@pytest.mark.parametrize("path", COMMITTED, ids=rel)
def test_opens_on_the_course_kernel(path):
    """JupyterLab starts the kernel a notebook's metadata names: it must be the course's."""
    spec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
    assert spec.get("name") == KERNEL_NAME, f"{rel(path)}: kernelspec {spec.get('name')!r}"
    assert spec.get("display_name") == KERNEL_DISPLAY_NAME, f"{rel(path)}: {spec}"


def parameter_names(path: Path) -> set[str]:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{rel(path)}: needs exactly one cell tagged 'parameters'"
    names = set()
    for stmt in ast.parse(cells[0].source).body:
        assert isinstance(stmt, ast.Assign | ast.AnnAssign), (
            f"{rel(path)}: the parameters cell holds only assignments, found {ast.unparse(stmt)!r}"
        )
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        try:
            ast.literal_eval(stmt.value)
        except ValueError:
            pytest.fail(f"{rel(path)}: parameter {ast.unparse(targets[0])} is not a literal")
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


@pytest.mark.parametrize("path", COMMITTED, ids=rel)
def test_parameters_cell_holds_literal_defaults(path):
    names = parameter_names(path)
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    assert "seed" in names, f"{rel(path)}: the parameters cell must define `seed`"
    if "explorer(" in source:
        assert "INTERACTIVE" in names, f"{rel(path)}: explorers need an INTERACTIVE parameter"
    if is_sheet(path):
        assert "student_id" in names, f"{rel(path)}: exercise sheets need a student_id parameter"


INTERACT = re.compile(r"@interact\b|\binteract(_manual)?\s*\(|\binteractive\s*\(|import\s+interact")


@pytest.mark.parametrize("path", COMMITTED, ids=rel)
def test_no_interact(path):
    """``interact`` stalls papermill at random (papermill#723): explorers use sim.widgets."""
    nb = nbformat.read(path, as_version=4)
    hits = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and INTERACT.search(c.source)
    ]
    assert not hits, f"{rel(path)}: cells {hits} use interact; build explorers with sim.widgets"
