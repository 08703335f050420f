"""Benchmark: keyed random draws per second, vectorised and scalar, beside numpy's Generator.

Every draw of the simulation is keyed by what it belongs to
(:mod:`sim.world.seeding`): vectorised :func:`uniforms` for whole tables, and
pure-Python :func:`uniform` / :func:`uniform_row` on the SimPy hot path (a
call's patience, a message's four draws). For scale: a plain Generator stream,
and what keying by one Generator per entity would cost instead.
"""

from __future__ import annotations

import time

import numpy as np

from sim.world.seeding import stream, uniform, uniform_row, uniforms

__all__ = ["main"]


def _rate(draws: int, seconds: float) -> str:
    return f"{draws / seconds / 1e6:8.2f} M draws/s"


def _best(fn, repeat: int = 3) -> float:
    """The fastest of ``repeat`` timings of ``fn()`` (seconds): the machine's noise aside."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    """Print draws per second of each way of drawing."""
    n = 1_000_000
    entities = np.arange(n)
    print(
        f"uniforms, {n:,} entities x 1 slot   {_rate(n, _best(lambda: uniforms(1, 'b', entities)))}"
    )
    dt = _best(lambda: uniforms(1, "b", entities[:, None], np.arange(4)))
    print(f"uniforms, {n:,} entities x 4 slots  {_rate(4 * n, dt)}")
    k = 200_000
    dt = _best(lambda: [uniform(1, "b", i, 3) for i in range(k)])
    print(f"uniform (scalar), {k:,} calls       {_rate(k, dt)}  ({dt / k * 1e6:.2f} µs each)")
    dt = _best(lambda: [uniform_row(1, "b", i, 4) for i in range(k)])
    print(f"uniform_row x 4 (scalar), {k:,}     {_rate(4 * k, dt)}  ({dt / k * 1e6:.2f} µs a row)")
    rng = stream(1, "bench")
    print(f"numpy Generator.random, {4 * n:,}  {_rate(4 * n, _best(lambda: rng.random(4 * n)))}")
    m = 20_000
    dt = _best(lambda: [stream(1, "bench", i).random() for i in range(m)])
    print(f"one Generator per entity, {m:,}     {_rate(m, dt)}  ({dt / m * 1e6:.1f} µs each)")


if __name__ == "__main__":
    main()
