"""Explorer update times of notebooks 00 and 01 on the course dataset (ms per update).

Run with ``python tests/benchmarks/run.py bench_widgets`` (or ``make bench``). The
explorers are built by the notebook's own cells (see _notebook_explorers), so they
are the notebook's: same function, controls and data. Each control is swept over
its range (the others at their defaults) and every update is timed with
compute + render, as a displayed explorer does; the budget is 100 ms (issue 9 §3).
"""

from __future__ import annotations

from _timing import bench_notebooks

NOTEBOOKS = ("00_welcome", "01_lifecycle_and_journeys")


if __name__ == "__main__":
    bench_notebooks(*NOTEBOOKS)
