"""A sweep of 40 tasks (5 variants x 8 seeds, 5,000 customers x 1 year) on 1 and 2 workers.

Run with ``python tests/benchmarks/run.py sweep`` (or this file as __main__).
Prints the wall time of each run, the seconds per task, and the parallel
efficiency of 2 workers: (time on 1 worker) / (2 x time on 2 workers). The
2-worker run includes starting its worker processes, as a real sweep does.
The machine's load average is printed beside: other processes on the same
cores lower the efficiency. "in flight" is the sum of the tasks' own wall
times over the sweep's wall time (how many tasks ran at once, on average);
"CPU" the sum of their CPU times over the wall time (cores' worth obtained):
on a machine shared with other work, 2 workers may keep 2 tasks in flight
yet obtain no more CPU than 1.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from sim.studio.sweep import read_rows, run_sweep

SPEC = {
    "baseline": {"preset": "default", "population": {"customers": 5000, "years": 1.0}},
    "variants": {
        "retention": {"levers": {"retention_uplift": 0.05}},
        "agents": {"levers": {"agents": 3}},
        "loyalty_off": {"levers": {"loyalty_enabled": False}},
        "budget": {"levers": {"acquisition_budget_change": 0.2}},
    },
    "replications": 8,
}


def main() -> None:
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            out = Path(tmp) / f"w{workers}"
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            t0 = time.perf_counter()
            result = run_sweep(SPEC, out, workers=workers, progress=False)
            times[workers] = time.perf_counter() - t0
            n = len(result.spec.tasks())
            assert not result.failures, result.failures
            rows = read_rows(out)
            busy = sum(r["seconds"] for r in rows) / times[workers]
            cpu = sum(r["cpu_seconds"] for r in rows) / times[workers]
            print(
                f"sweep of {n} tasks (5 variants x 8 seeds, 5,000 customers x 1 year), "
                f"{workers} worker(s): {times[workers]:.1f} s ({times[workers] / n:.2f} s per task, "
                f"{busy:.2f} in flight, CPU {cpu:.2f} cores, load average {load:.1f} at the start)",
                flush=True,
            )
    print(f"parallel efficiency with 2 workers: {times[1] / (2 * times[2]):.0%}", flush=True)


if __name__ == "__main__":
    main()
