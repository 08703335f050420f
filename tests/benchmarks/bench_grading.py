"""Grading throughput: submissions per minute for a batch of one sheet, in parallel workers.

Builds ``N`` honest submissions of ``04_segmentation`` (the solution's
answers, one student id each, so each needs its own dataset simulated twice:
once in the student's kernel, once for the grader's key) and times
:func:`sim.course.grader.grade` with 1 and 2 workers.

Usage: ``python tests/benchmarks/bench_grading.py [N] [SHEET]`` (default 6, 04_segmentation).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sim.course.exercises import EXERCISES_DIR, SOLUTIONS_DIR  # noqa: E402
from sim.course.grader import grade  # noqa: E402


def build(folder: Path, sheet: str, n: int) -> None:
    """``n`` students' submissions: the exercise sheet with the solution's answer cells."""
    solution = nbformat.read(SOLUTIONS_DIR / f"{sheet}_solutions.ipynb", as_version=4)
    answers = {c.id: c.source for c in solution.cells if "BEGIN SOLUTION" in c.source}
    for i in range(n):
        nb = nbformat.read(EXERCISES_DIR / f"{sheet}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.id in answers and cell.cell_type == "code":
                cell.source = answers[cell.id]
        target = folder / f"student{i:02d}" / f"{sheet}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    sheet = sys.argv[2] if len(sys.argv) > 2 else "04_segmentation"
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "submissions"
        build(subs, sheet, n)
        for workers in (1, 2):
            started = time.perf_counter()
            rows = grade(
                subs, Path(tmp) / f"out{workers}" / "gradebook.csv", workers=workers, progress=False
            )
            took = time.perf_counter() - started
            totals = [r for r in rows if r.question == "TOTAL"]
            full = sum(r.points == r.max_points and r.status == "executed" for r in totals)
            print(
                f"{sheet}, {n} submissions, {workers} worker(s): {took:.0f} s, "
                f"{60 * n / took:.1f} submissions/min ({full}/{n} full marks)",
                flush=True,
            )


if __name__ == "__main__":
    main()
