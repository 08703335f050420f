"""The contact centre's queue recursion against SimPy's own Resource queue.

The centre answers each call by the first-come-first-served recursion over
the agents' next free times, and lets the other brands' calls through it
without SimPy events. A reference centre built the plain SimPy way (a
``Resource`` of agents, ``req | timeout(patience)`` for hanging up, every
call a process) must see exactly the same waits, hang-ups and end times,
whatever the load, the number of agents or whether callers hang up.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.world.contact_centre import CallCentre


def _traffic(seed: int, n_ours: int, n_theirs: int, horizon: float):
    rng = np.random.default_rng(seed)
    ours = np.sort(rng.random(n_ours) * horizon)
    theirs = np.sort(rng.random(n_theirs) * horizon)
    return (
        (ours, rng.exponential(6.0, n_ours), rng.exponential(9.0, n_ours)),
        (theirs, rng.exponential(6.0, n_theirs), rng.exponential(9.0, n_theirs)),
    )


def _reference(ours, theirs, agents: int, hang_up: bool):
    """Every call a SimPy process on a Resource: the textbook SimPy queue."""
    env = simpy.Environment()
    line = simpy.Resource(env, capacity=agents)
    out = {}

    def call(name, at, patience, handle, keep):
        yield env.timeout(at - env.now)
        arrived = env.now
        with line.request() as req:
            if hang_up:
                got = yield req | env.timeout(patience)
                if req not in got:
                    if keep:
                        out[name] = (env.now - arrived, True, env.now)
                    return
            else:
                yield req
            wait = env.now - arrived
            yield env.timeout(handle)
        if keep:
            out[name] = (wait, False, env.now)

    for k, row in enumerate(zip(*theirs, strict=True)):
        env.process(call(("them", k), *row, keep=False))
    for k, row in enumerate(zip(*ours, strict=True)):
        env.process(call(("us", k), *row, keep=True))
    env.run()
    return out


def _centre(ours, theirs, agents: int, hang_up: bool):
    env = simpy.Environment()
    centre = CallCentre(env, agents, 9.0, 6.0 if hang_up else None, minutes_per_unit=1.0)
    centre.add_background(*theirs)
    out = {}

    def call(k, at, patience, handle):
        yield env.timeout(at - env.now)
        got = yield env.process(centre.call(patience, handle))
        out[("us", k)] = (got.wait, got.abandoned, env.now)

    for k, row in enumerate(zip(*ours, strict=True)):
        env.process(call(k, *row))
    env.run()
    return out


@pytest.mark.parametrize(
    "agents, n_theirs, hang_up",
    [(1, 300, True), (3, 2000, True), (3, 2000, False), (8, 6000, True), (2, 600, False)],
)
def test_our_callers_see_what_simpys_resource_queue_gives_them(agents, n_theirs, hang_up):
    # Loads from light to over capacity (2,000 calls of 9 minutes in 6,000 minutes
    # is 3 Erlangs on 3 agents): waits, hang-ups and end times must all agree exactly.
    ours, theirs = _traffic(agents * 1000 + n_theirs, 400, n_theirs, 6000.0)
    want = _reference(ours, theirs, agents, hang_up)
    got = _centre(ours, theirs, agents, hang_up)
    assert got.keys() == want.keys()
    assert got == want
    abandoned = sum(v[1] for v in got.values())
    waited = sum(v[0] > 0 for v in got.values())
    # The comparison must cover queues that actually form (and hang-ups where callers may).
    assert waited > 20
    assert (abandoned > 5) == hang_up


def test_queue_length_is_read_from_the_log_and_only_with_it():
    env = simpy.Environment()
    centre = CallCentre(env, 1, 9.0, 6.0, minutes_per_unit=1.0, keep_log=True)
    # 0: answered at once until 30; 1: waits, hangs up at 6; 2: answered at 30.
    centre.add_background([0.0, 1.0, 2.0], [60.0, 5.0, 60.0], [30.0, 40.0, 5.0])
    centre._catch_up(100.0)
    assert centre.queue_length(np.array([0.5, 3.0, 10.0, 31.0])).tolist() == [0, 2, 1, 0]
    quiet = CallCentre(env, 1, 9.0, 6.0)
    with pytest.raises(ValueError, match="keep_log"):
        quiet.queue_length(np.array([1.0]))
