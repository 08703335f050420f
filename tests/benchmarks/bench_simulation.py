"""Simulation speed and memory: the full brand at 100k (and 1M) customers × 3 years.

Each size runs in its own process so its peak memory (VmHWM) is its own.
The relationship-state brand must stay within 1.3x of the foundation v2 world
(:data:`FOUNDATION_V2`, measured on the same 2-core machine); the figure is
printed beside the new one.
Beside it: the purchase core alone drawn with plain vectorised numpy — the
speed limit of a buy-till-you-die simulation — so the cost of everything the
SimPy world adds (queues, advisors, consent-aware messaging, loyalty) is visible.

``BENCH_SIM_SIZES=100000,1000000`` chooses the sizes (default: 100k; 1M is not run by
default: a linear extrapolation of the 100k peak gives about 19 GB, near this machine's
memory, until the simulation is sharded and streamed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, sys, time
import numpy as np
from sim.scenario import preset
from sim.data.tables import build_tables
from sim.world.engine import World, _collector_paused
n = int(sys.argv[1])
sc = preset("default").with_overrides({"population": {"customers": n, "years": 3.0}})
with _collector_paused():  # as sim.simulate runs it
    t0 = time.perf_counter()
    w = World(sc, seed=1)
    t1 = time.perf_counter()
    w.run()
    t2 = time.perf_counter()
    rec = w.records()
    tables = build_tables(rec, sc)
    t3 = time.perf_counter()
rows = sum(len(t) for t in tables.values())
print(json.dumps({
    "n": n, "setup": t1 - t0, "run": t2 - t1, "tables": t3 - t2, "total": t3 - t0,
    "events": rec.events, "rows": rows, "orders": len(tables["orders"]),
    # VmHWM: this process's own peak (ru_maxrss can carry the parent's, see test_scenario_inputs).
    "peak_mb": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024,
}))
"""

CORE = r"""
import json, sys, time
import numpy as np
from sim.scenario import preset
from sim.world.purchases import draw_timelines
n = int(sys.argv[1])
sc = preset("pure_bgnbd").with_overrides({"population": {"customers": n, "years": 3.0}})
t0 = time.perf_counter()
tl = draw_timelines(sc, seed=1)
tl.u_drop = tl.u_drop.astype(float)
# Vectorised dropout: a person's purchases stop after the first repeat
# purchase whose dropout draw falls below their p.
owner = np.repeat(np.arange(n), tl.end - tl.start)
first = np.zeros(len(owner), dtype=bool)
first[tl.start] = True
drop = ~first & (tl.u_drop < tl.p[owner])
cum = np.cumsum(drop)
before = cum - drop  # drops strictly before this purchase, within the person
before -= np.repeat(before[tl.start], tl.end - tl.start)
kept = before == 0
values = tl.basket[kept] / tl.nu[owner[kept]]
t1 = time.perf_counter()
print(json.dumps({"n": n, "core": t1 - t0, "orders": int(kept.sum())}))
"""


#: Foundation v2 (commit 56c721d), full default brand × 3 years, 2-core machine:
#: wall seconds of World + run + tables, by population.
FOUNDATION_V2 = {100_000: 21.0}


def _run(code: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, str(n)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIM_SIZES", "100000").split(",")]
    print(
        f"{'customers':>10} {'wall s':>8} {'setup':>6} {'SimPy':>6} {'tables':>6} "
        f"{'cust/s':>9} {'events/s':>9} {'peak MB':>8} {'numpy core s':>12} {'orders':>9}"
    )
    for n in sizes:
        full = _run(CHILD, n)
        core = _run(CORE, n)
        print(
            f"{n:>10,} {full['total']:>8.1f} {full['setup']:>6.1f} {full['run']:>6.1f} "
            f"{full['tables']:>6.1f} {n / full['total']:>9,.0f} "
            f"{full['events'] / full['run']:>9,.0f} {full['peak_mb']:>8,.0f} "
            f"{core['core']:>12.2f} {full['orders']:>9,}",
            flush=True,
        )
    for n, before in FOUNDATION_V2.items():
        if n in sizes:
            print(
                f"foundation v2 at {n:,}: {before:.1f} s wall (limit 1.3x = {1.3 * before:.1f} s)"
            )
    print(
        "numpy core: the same BG/NBD purchase process drawn without SimPy, "
        "no service, messaging or loyalty (the speed limit of the purchase core)."
    )


if __name__ == "__main__":
    main()
