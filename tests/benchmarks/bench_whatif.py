"""Seconds per what-if scenario: one simulation of the studio's default size, and its KPIs.

Run with ``python tests/benchmarks/run.py whatif`` (or this file as __main__).
The studio notebook simulates a baseline and five variants (plus two staffing
runs) of 3,000 customers over 2 years; this shows what each costs.
"""

from __future__ import annotations

import time

import sim
from sim.studio import whatif


def main() -> None:
    for customers, years in ((3000, 2.0), (2000, 2.0), (5000, 3.0)):
        base = sim.preset("default").with_overrides(
            {"population": {"customers": customers, "years": years}}
        )
        for label, sc in (
            ("baseline", base),
            ("retention uplift", whatif.lever_scenario(base, retention_uplift=0.05)),
            ("loyalty off", whatif.lever_scenario(base, loyalty_enabled=False)),
        ):
            t0 = time.perf_counter()
            ds = sim.simulate(sc, seed=0)
            t1 = time.perf_counter()
            whatif.kpis(ds)
            t2 = time.perf_counter()
            print(
                f"{customers:,} customers x {years:g} years, {label}: simulate {t1 - t0:.2f} s, "
                f"kpis {1000 * (t2 - t1):.0f} ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
