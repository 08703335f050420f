"""The what-if studio's speed: a run's first result and whole run, and the controls' response.

Run with ``python tests/benchmarks/run.py studio`` (or this file as __main__).
A run as the studio starts it (baseline + one variant holding the levers, on
a background thread, 2 local workers) at 5,000 customers × 2 years with 8
replications: seconds to the first finished task and to the whole run (goals:
10 s and 60 s on the 2-core machine). Then the controls: the time from a
changed value to the app having reacted (a lever value or one market's
agents set, the SPEC rebuilt and validated, as the Run button does; a preset change resetting every
control), goal ≤ 100 ms; and the time to redraw the results after a task.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from sim.studio import app, ui


def _ms(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times)


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-studio-"))
    settings = app.Settings(
        customers=5000, years=2.0, replications=8, values={"retention_uplift": 0.05}, workers=2
    )
    spec = app.build_spec(settings)
    out = app.sweep_folder(home, spec)
    run = app.Run(spec, out, workers=2).start()
    run.join()
    if run.error:
        print(f"run failed: {run.error}")
        return
    print(
        f"5,000 customers x 2 years, 2 variants x 8 replications, 2 workers: first result "
        f"{run.first_result - run.started:.1f} s, whole run {run.ended - run.started:.1f} s "
        f"(goals 10 s and 60 s)",
        flush=True,
    )
    t0 = time.perf_counter()
    again = app.Run(spec, out, workers=2).start()
    again.join()
    print(f"same settings again (every task reused): {time.perf_counter() - t0:.2f} s")

    studio = ui.Studio(home)
    box = studio.controls["retention_uplift"]
    values = iter(0.01 * k for k in range(1, 100))

    def change_lever():
        box.value = next(values)
        app.validate(app.build_spec(studio.settings()))

    print(f"lever changed + SPEC rebuilt and validated: {_ms(change_lever):.1f} ms (goal 100 ms)")
    agents = studio.controls["agents"]["greater_china"]
    counts = iter(range(2, 100))

    def change_agents():
        agents.value = next(counts)
        app.validate(app.build_spec(studio.settings()))

    print(
        f"a market's agents changed + SPEC rebuilt and validated: {_ms(change_agents):.1f} ms "
        "(goal 100 ms)"
    )
    presets = iter(["default", "mass_market"] * 10)

    def change_preset():
        studio.preset.value = next(presets)

    print(f"preset changed (every control reset): {_ms(change_preset):.1f} ms (goal 100 ms)")
    print(f"results redrawn after a task: {_ms(lambda: studio._show_results(out), 3):.0f} ms")


if __name__ == "__main__":
    main()
