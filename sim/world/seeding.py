"""Random numbers derived from one seed, each keyed by what it belongs to.

Every random number in the workbench comes from here, in one of two forms;
nothing uses the global ``numpy.random`` or ``random`` state.

* **Streams** — numpy Generators from one root :class:`numpy.random.SeedSequence`
  per seed, child streams keyed by a purpose label (and a block number for
  per-customer traits). Per-customer traits are drawn in fixed-size blocks,
  each from its own stream, so customer ``i`` always receives the same draws
  whatever the size of the population: growing it only appends customers.
* **Keyed uniforms** — :func:`uniforms` (vectorised) and :func:`uniform` (one
  at a time, for the SimPy hot path) give the uniform of ``(seed, purpose,
  entity, slot)``: a counter-based hash (SplitMix64), so a draw belongs to its
  entity — a phone call, a message, a ticket — and not to its place in the
  order of events. Both forms give the same number for the same key.

A draw consumed "in event order" from a shared stream changes whenever anything
earlier changes (one more customer, one more agent); a keyed draw does not.
That is what makes runs comparable with common random numbers.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable

import numpy as np

__all__ = [
    "BLOCK", "block_draws", "mix_key", "poisson_quantiles", "purpose_key", "stream", "uniform",
    "uniform_row", "uniforms",
]  # fmt: skip

BLOCK = 1024  # customers per block of per-customer draws


def _label_key(label: str) -> int:
    # crc32 is stable across processes and Python versions (unlike hash()).
    return zlib.crc32(label.encode("utf-8"))


def _check_seed(seed: int) -> None:
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def stream(seed: int, label: str, *index: int) -> np.random.Generator:
    """A Generator for one purpose, e.g. ``stream(7, "campaigns")``.

    The same ``(seed, label, index)`` always gives the same stream, and
    different labels give independent streams.
    """
    _check_seed(seed)
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


# --------------------------------------------------------------------------- keyed uniforms
_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15  # SplitMix64's increment (odd, 2**64 / golden ratio)
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_UNIT = 2.0**-53
_KEYED = _label_key("keyed uniforms")  # keeps purpose keys apart from stream labels


@functools.lru_cache(maxsize=1024)
def purpose_key(seed: int, purpose: str) -> int:
    """The 64-bit key of one purpose under one seed, e.g. ``purpose_key(7, "call")``.

    Drawn from the seed's :class:`numpy.random.SeedSequence`, so purposes are as
    independent as streams with different labels.
    """
    _check_seed(seed)
    ss = np.random.SeedSequence(int(seed), spawn_key=(_KEYED, _label_key(purpose)))
    return int(ss.generate_state(1, np.uint64)[0])


def _mix(z: int) -> int:
    """SplitMix64's finaliser on a Python int in [0, 2**64): a bijective bit mixer."""
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def _mix_array(z: np.ndarray) -> np.ndarray:
    """:func:`_mix` on a uint64 array, in place (numpy's uint64 arithmetic wraps mod 2**64)."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(_M1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_M2)
    z ^= z >> np.uint64(31)
    return z


def _as_u64(x: np.ndarray) -> np.ndarray:
    # The int64 bits read as uint64: negatives wrap mod 2**64, as `& _MASK`
    # does for Python ints. A view where possible (no copy).
    return np.ascontiguousarray(x, dtype=np.int64).view(np.uint64)


_CHUNK = 1 << 15  # elements per pass: keeps the hashing in cache, temporaries small


def _mix_flat(z: np.ndarray) -> None:
    """:func:`_mix_array` over a flat array, chunk by chunk (2-3x faster than at once)."""
    for a in range(0, len(z), _CHUNK):
        _mix_array(z[a : a + _CHUNK])


def uniforms(seed: int, purpose: str, entity, slot=0) -> np.ndarray:
    """Uniforms in [0, 1) keyed by ``(seed, purpose, entity, slot)``, vectorised.

    ``entity`` and ``slot`` are integers or integer arrays that broadcast
    together (e.g. entities ``(n, 1)`` and slots ``(1, k)`` give ``(n, k)``
    draws); the result has their broadcast shape. The entity is hashed once
    and each slot from it: each entity carries its own SplitMix64 sequence
    (53-bit floats), so a draw never depends on which other entities exist.

    >>> u = uniforms(7, "demo", np.arange(3), 0)
    >>> bool(u[1] == uniform(7, "demo", 1, 0))
    True
    """
    e, s = np.asarray(entity), np.asarray(slot)
    shape = np.broadcast_shapes(e.shape, s.shape)
    # At least 1-d, so that every step works in place on arrays (0-d
    # arithmetic would make numpy scalars, which warn on wrap-around).
    e, s = np.atleast_1d(e), np.atleast_1d(s)
    state = _as_u64(e) * np.uint64(_GAMMA)
    state += np.uint64(purpose_key(seed, purpose))
    _mix_flat(state.reshape(-1))
    # Slots are hashed from their entity's state a block of rows at a time,
    # so no temporary is as large as the result.
    state, slots = np.broadcast_arrays(state, _as_u64(s))
    out = np.empty(state.shape)
    rows = max(1, _CHUNK // max(1, out.size // max(1, len(out))))
    for a in range(0, len(out), rows):
        z = slots[a : a + rows] * np.uint64(_GAMMA)
        z += state[a : a + rows]
        _mix_array(z)
        z >>= np.uint64(11)
        np.multiply(z, _UNIT, out=out[a : a + rows])
    return out.reshape(shape)


def uniform(seed: int, purpose: str, entity: int, slot: int = 0) -> float:
    """One keyed uniform, as :func:`uniforms` gives it, in pure Python (no numpy overhead)."""
    z = _mix((purpose_key(seed, purpose) + int(entity) * _GAMMA) & _MASK)
    return (_mix((z + int(slot) * _GAMMA) & _MASK) >> 11) * _UNIT


def uniform_row(seed: int, purpose: str, entity: int, count: int, first: int = 0) -> list[float]:
    """The keyed uniforms of slots ``first .. first + count - 1`` of one entity, in pure Python.

    Hashes the entity once for all its slots: the cheap way to take the
    several draws of one event (a message's bounce, open, click, unsubscribe).
    """
    z = _mix((purpose_key(seed, purpose) + int(entity) * _GAMMA) & _MASK)
    return [(_mix((z + s * _GAMMA) & _MASK) >> 11) * _UNIT for s in range(first, first + count)]


def mix_key(key: int) -> int:
    """A well-mixed 64-bit hash of one integer key (SplitMix64's finaliser)."""
    return _mix((int(key) * _GAMMA) & _MASK)


def poisson_quantiles(u: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Poisson(``mu``) values from uniforms ``u`` by inversion, elementwise (keyed counts).

    Walks the CDF up one step at a time for the draws not yet reached, so the
    work is proportional to the sum of the results.
    """
    u = np.asarray(u, dtype=float)
    mu = np.broadcast_to(np.asarray(mu, dtype=float), u.shape).ravel()
    flat = u.ravel()
    out = np.zeros(flat.shape, dtype=np.int64)
    pmf = np.exp(-mu)
    cdf = pmf.copy()
    active = np.flatnonzero(flat >= cdf)
    k = 0
    while active.size:
        k += 1
        pmf_a = pmf[active] * mu[active] / k
        cdf_a = cdf[active] + pmf_a
        pmf[active], cdf[active] = pmf_a, cdf_a
        out[active] = k
        # 1e-12: where the CDF has converged in floating point, stop walking.
        keep = (flat[active] >= cdf_a) & (pmf_a > 1e-300) & (cdf_a < 1.0 - 1e-15)
        active = active[keep]
    return out.reshape(u.shape)
