"""Grade submitted exercise sheets: execute each one, read its self-checks, write a gradebook.

Layout: ``SUBMISSIONS_DIR/<student_id>/<sheet>.ipynb`` (one folder per student,
any number of sheets). Each sheet is executed in-process with papermill
(kernel ``crm-workbench``, a per-cell timeout, errors do not stop the run)
with parameters ``student_id=<folder name>`` and ``INTERACTIVE=False``, so the
sheet simulates that student's own dataset. Before running:

- cells tagged ``checks`` are replaced by the instructor's version from the
  solutions sheet with the same cell id (if ``solutions_dir`` has it), so
  edited check definitions do not count;
- a last cell calling :func:`sim.course.report` is appended; its
  machine-readable output (:data:`~sim.course.checks.REPORT_MIME`) lists every
  registered question with its status and points. Without it (the kernel
  died), the individual check outputs (:data:`~sim.course.checks.CHECK_MIME`)
  are used.

The gradebook CSV has columns ``student, sheet, question, status, points,
max_points, message``: one row per question, then a ``TOTAL`` row per sheet
(status ``executed`` or ``error``, with the first error in ``message``).
Executed copies land beside it in ``<gradebook stem>_executed/``.

The grader trusts what the executed notebook reports (a student determined to
cheat can redefine ``check``); for high-stakes grading use nbgrader or
otter-grader, which understand the same ``# BEGIN SOLUTION`` markers.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .checks import CHECK_MIME, REPORT_MIME, hide_source
from .exercises import EXERCISES_DIR, SOLUTIONS_DIR, SUFFIX

__all__ = [
    "COLUMNS",
    "KERNEL_NAME",
    "GradeRow",
    "collect_results",
    "execute_sheet",
    "find_submissions",
    "grade",
    "prepare_submission",
    "write_gradebook",
]

KERNEL_NAME = "crm-workbench"
COLUMNS = ("student", "sheet", "question", "status", "points", "max_points", "message")
REPORT_TAG = "grader-report"


@dataclass(frozen=True)
class GradeRow:
    """One line of the gradebook."""

    student: str
    sheet: str
    question: str
    status: str
    points: float
    max_points: float
    message: str = ""


def find_submissions(submissions_dir: Path) -> list[tuple[str, Path]]:
    """``(student_id, notebook)`` pairs from ``SUBMISSIONS_DIR/<student_id>/**.ipynb``."""
    root = Path(submissions_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"submissions directory not found: {root}")
    pairs = []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for nb in sorted(student_dir.rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in nb.parts:
                pairs.append((student_dir.name, nb))
    return pairs


def prepare_submission(path: Path, solutions_dir: Path | None = SOLUTIONS_DIR) -> Any:
    """The notebook to execute: instructor's checks swapped in, report cell appended."""
    nb = nbformat.read(path, as_version=4)
    solution = Path(solutions_dir) / f"{Path(path).stem}{SUFFIX}.ipynb" if solutions_dir else None
    if solution is not None and solution.exists():
        sol = nbformat.read(solution, as_version=4)
        trusted = {
            c.get("id"): hide_source(c.source)
            for c in sol.cells
            if c.cell_type == "code" and "checks" in c.get("metadata", {}).get("tags", [])
        }
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.get("id") in trusted:
                cell.source = trusted[cell.id]
    last = nbformat.v4.new_code_cell("from sim.course import report\n\nreport();")
    last.metadata["tags"] = [REPORT_TAG]
    nb.cells.append(last)
    return nb


def collect_results(nb: Any) -> list[dict[str, Any]]:
    """Check verdicts recorded in an executed notebook (the last report wins)."""
    by_question: dict[str, dict[str, Any]] = {}
    report: list[dict[str, Any]] | None = None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if REPORT_MIME in data:
                report = list(data[REPORT_MIME])
            elif CHECK_MIME in data:
                result = dict(data[CHECK_MIME])
                by_question[result["question"]] = result
    if report is not None:
        return report
    return [r for r in by_question.values() if r.get("status") != "no_check"]


def _first_error(nb: Any) -> str:
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"cell {index}: {output.get('ename')}: {output.get('evalue')}"
    return ""


def execute_sheet(
    notebook: Path | Any,
    output_path: Path,
    *,
    parameters: dict[str, Any] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    kernel_name: str = KERNEL_NAME,
    keep_going: bool = True,
) -> tuple[list[dict[str, Any]], str]:
    """Execute one sheet with papermill; return (check results, first error or "").

    ``notebook`` is a path or a NotebookNode; ``keep_going`` runs every cell
    even after an error (a timed-out cell is interrupted, then the run goes on).
    """
    import papermill as pm

    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(notebook, str | os.PathLike):
        fd, tmp = tempfile.mkstemp(suffix=".ipynb", dir=output_path.parent)
        os.close(fd)
        nbformat.write(notebook, tmp)
        source: Path = Path(tmp)
    else:
        source, tmp = Path(notebook), None
    error = ""
    try:
        pm.execute_notebook(
            str(source),
            str(output_path),
            parameters=parameters or {},
            kernel_name=kernel_name,
            cwd=str(cwd) if cwd is not None else None,
            execution_timeout=timeout,
            start_timeout=60,
            progress_bar=False,
            allow_errors=keep_going,
            interrupt_on_timeout=keep_going,
        )
    except pm.PapermillExecutionError as exc:
        error = f"cell {exc.cell_index}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, cell timeout without interrupt, ...
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    if not output_path.exists():
        return [], error or "no executed notebook written"
    executed = nbformat.read(output_path, as_version=4)
    return collect_results(executed), error or _first_error(executed)


def grade(
    submissions_dir: Path,
    out: Path,
    *,
    solutions_dir: Path | None = SOLUTIONS_DIR,
    cwd: Path | None = EXERCISES_DIR,
    timeout: float = 120,
    kernel_name: str = KERNEL_NAME,
) -> list[GradeRow]:
    """Execute every submission and write the gradebook CSV to ``out``; return its rows.

    ``cwd`` is the working directory of the executions (the exercises/ folder
    by default, so relative dataset paths resolve as in the course).
    """
    out = Path(out)
    executed_dir = out.parent / f"{out.stem}_executed"
    rows: list[GradeRow] = []
    for student, path in find_submissions(submissions_dir):
        sheet = path.stem
        nb = prepare_submission(path, solutions_dir)
        results, error = execute_sheet(
            nb,
            executed_dir / student / path.name,
            parameters={"student_id": student, "INTERACTIVE": False},
            cwd=cwd if cwd is not None else path.parent,
            timeout=timeout,
            kernel_name=kernel_name,
        )
        for r in results:
            rows.append(
                GradeRow(
                    student,
                    sheet,
                    str(r["question"]),
                    str(r["status"]),
                    float(r["points"]),
                    float(r["max_points"]),
                    str(r.get("message", "")),
                )
            )
        rows.append(
            GradeRow(
                student,
                sheet,
                "TOTAL",
                "error" if error else "executed",
                sum(float(r["points"]) for r in results),
                sum(float(r["max_points"]) for r in results),
                error,
            )
        )
    write_gradebook(rows, out)
    return rows


def write_gradebook(rows: list[GradeRow], out: Path) -> None:
    """Write the rows as CSV (atomically: temporary file, then rename)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.student,
                r.sheet,
                r.question,
                r.status,
                f"{r.points:g}",
                f"{r.max_points:g}",
                r.message,
            ]
        )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(buf.getvalue())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
