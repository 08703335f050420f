"""Benchmark: identities per second at 100k and 1M people (pool building timed apart)."""

from __future__ import annotations

import time

import numpy as np

from sim.scenario import DataQuality, Population
from sim.world.population import build_identities, duplicate_identities

__all__ = ["main"]


def main() -> None:
    """Print build speed for 100k and 1M identities and for 35k duplicates."""
    pop, dq = Population(), DataQuality()
    t0 = time.perf_counter()
    build_identities(0, 5_000, pop, dq, "2023-01-01")  # builds and caches every name pool
    print(f"pool building (first call, 5k people): {time.perf_counter() - t0:.2f} s")
    for n in (100_000, 1_000_000):
        t0 = time.perf_counter()
        ids = build_identities(1, n, pop, dq, "2023-01-01")
        dt = time.perf_counter() - t0
        print(f"build_identities n={n:>9,}: {dt:6.2f} s  {n / dt:>10,.0f} identities/s")
    rows = np.random.default_rng(0).choice(len(ids), size=35_000, replace=False)
    t0 = time.perf_counter()
    duplicate_identities(ids, rows, 1, dq, population=pop)
    dt = time.perf_counter() - t0
    print(f"duplicate_identities 35,000 of 1M: {dt:6.2f} s  {len(rows) / dt:>10,.0f} duplicates/s")


if __name__ == "__main__":
    main()
