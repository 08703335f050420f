"""Simulation speed and memory: the full brand at 100k (and 1M) customers × 3 years.

``sim.simulate`` end to end (shards by market, assembled Dataset) with 1 and 2
workers, each run in its own process: wall time, customers and events a
second, and the peak memory of the whole process tree (the driver's VmHWM plus
every worker's own VmHWM, read from /proc while they run). Beside it: the
purchase core alone drawn with plain vectorised numpy — the speed limit of a
buy-till-you-die simulation — so the cost of everything the SimPy world adds
(queues, advisors, consent-aware messaging, loyalty) is visible. The machine's
load average is printed before and after: the figures are only comparable at
the same load.

``BENCH_SIM_SIZES=100000,1000000`` chooses the sizes (default: 100k) and
``BENCH_SIM_WORKERS=1,2`` the worker counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, resource, sys, tempfile, threading, time
from sim.compose import simulate, simulate_to
from sim.data.dataset import read_manifest
from sim.scenario import preset
n, workers, streamed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
sc = preset("default").with_overrides({"population": {"customers": n, "years": 3.0}})
peaks = {}  # pid -> last VmHWM seen (kB): the worker processes' own peaks
tree = [0]  # largest sum of the workers' resident memory seen at one moment (kB)
stop = threading.Event()

def field(pid, name):
    try:
        with open(f"/proc/{pid}/status") as f:
            return int(f.read().split(name + ":")[1].split()[0])
    except (OSError, IndexError):
        return None

def hwm(pid):
    return field(pid, "VmHWM")

def kids(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []

def watch():
    me = os.getpid()
    while not stop.is_set():
        todo = kids(me)
        now = 0
        while todo:
            pid = todo.pop()
            todo += kids(pid)
            v = hwm(pid)
            if v is not None:
                peaks[pid] = max(v, peaks.get(pid, 0))
            now += field(pid, "VmRSS") or 0
        tree[0] = max(tree[0], now)
        time.sleep(0.1)

threading.Thread(target=watch, daemon=True).start()
t0 = time.perf_counter()
if streamed:  # as `python -m sim simulate --out` runs it: shards write their own parts
    out = os.path.join(tempfile.mkdtemp(), "ds")
    simulate_to(out, sc, seed=1, workers=workers)
    man = read_manifest(out)
    table_rows, events = man["rows"], man["meta"]["events"]
    largest = max((e["rows"], e["file"].split("part-")[1][:-8]) for e in man["parts"]["orders"])
else:  # sim.simulate: the whole dataset in memory
    ds = simulate(sc, seed=1, workers=workers)
    table_rows = {t: len(df) for t, df in ds.tables.items()}
    events = ds.meta["events"]
    largest = max((rows, m) for m, rows in ds.parts["orders"])
t1 = time.perf_counter()
stop.set()
rows = sum(table_rows.values())
print(json.dumps({
    "n": n, "workers": workers, "total": t1 - t0,
    "events": events, "rows": rows, "orders": table_rows["orders"],
    "customers": table_rows["customers"],
    "largest_shard": [largest[1], largest[0]],
    # VmHWM: this process's own peak; the workers' resident memory summed at
    # each 0.1 s sample (its largest value), their own peaks summed (an upper
    # bound: not all at once), and RUSAGE_CHILDREN's largest child.
    "parent_mb": hwm(os.getpid()) / 1024,
    "workers_mb": tree[0] / 1024,
    "workers_hwm_sum_mb": sum(peaks.values()) / 1024,
    "max_child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
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


def _run(code: str, *args: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIM_SIZES", "100000").split(",")]
    workers = [int(s) for s in os.environ.get("BENCH_SIM_WORKERS", "1,2").split(",")]
    # streamed: simulate --out (parts written by the shards); memory: sim.simulate.
    modes = os.environ.get("BENCH_SIM_MODES", "streamed,memory").split(",")
    print("load average (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        f"{'customers':>10} {'mode':>8} {'workers':>7} {'wall s':>8} {'cust/s':>9} {'events/s':>9} "
        f"{'peak MB':>8} {'parent':>7} {'workers':>8} {'w. HWM sum':>10} {'numpy core s':>12} "
        f"{'orders':>10} "
        "largest shard (orders)"
    )
    for n in sizes:
        core = _run(CORE, n)
        for mode, w in [(m, w) for m in modes for w in workers]:
            full = _run(CHILD, n, w, int(mode == "streamed"))
            # Whole process tree: the parent's peak plus the workers' largest sampled total.
            peak = full["parent_mb"] + full["workers_mb"]
            print(
                f"{n:>10,} {mode:>8} {w:>7} {full['total']:>8.1f} {n / full['total']:>9,.0f} "
                f"{full['events'] / full['total']:>9,.0f} {peak:>8,.0f} "
                f"{full['parent_mb']:>7,.0f} {full['workers_mb']:>8,.0f} "
                f"{full['workers_hwm_sum_mb']:>10,.0f} {core['core']:>12.2f} {full['orders']:>10,} "
                f"{full['largest_shard'][0]} ({full['largest_shard'][1]:,})",
                flush=True,
            )
    print("load average after:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        "numpy core: the same BG/NBD purchase process drawn without SimPy, "
        "no service, messaging or loyalty (the speed limit of the purchase core)."
    )


if __name__ == "__main__":
    main()
