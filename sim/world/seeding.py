"""Random streams derived from one seed by label, so every draw is reproducible.

Every random number in the workbench comes from a numpy Generator built here:
one root :class:`numpy.random.SeedSequence` per seed, child streams keyed by a
purpose label (and a block number for per-customer traits). Nothing uses the
global ``numpy.random`` or ``random`` state.

Per-customer traits are drawn in fixed-size blocks, each block from its own
stream, so customer ``i`` always receives the same draws whatever the size of
the population: growing the population only appends customers.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

__all__ = ["BLOCK", "block_draws", "stream"]

BLOCK = 1024  # customers per block of per-customer draws


def _label_key(label: str) -> int:
    # crc32 is stable across processes and Python versions (unlike hash()).
    return zlib.crc32(label.encode("utf-8"))


def stream(seed: int, label: str, *index: int) -> np.random.Generator:
    """A Generator for one purpose, e.g. ``stream(7, "campaigns")``.

    The same ``(seed, label, index)`` always gives the same stream, and
    different labels give independent streams.
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    ss = np.random.SeedSequence(int(seed), spawn_key=(_label_key(label), *map(int, index)))
    return np.random.Generator(np.random.PCG64(ss))


def block_draws(
    seed: int,
    label: str,
    n: int,
    draw: Callable[[np.random.Generator, int], dict[str, np.ndarray]],
) -> dict[str, np.ndarray]:
    """Draw per-customer arrays for customers ``0..n-1``, prefix-stably.

    ``draw(rng, size)`` must return a dict of arrays of length ``size``; it is
    called once per block of :data:`BLOCK` customers with that block's own
    stream, always for a full block, and the result is cut to ``n``.
    """
    n_blocks = -(-n // BLOCK)
    parts = [draw(stream(seed, label, b), BLOCK) for b in range(n_blocks)]
    if not parts:
        return {k: v[:0] for k, v in draw(stream(seed, label, 0), BLOCK).items()}
    return {k: np.concatenate([p[k] for p in parts])[:n] for k in parts[0]}
