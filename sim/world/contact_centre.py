"""The contact centre: agents in a queue where callers may hang up, and its effort score.

The contact centre is a SimPy ``Resource`` of agents. A caller waits in line
until an agent is free or their patience runs out (reneging, SimPy's
``req | env.timeout(patience)`` pattern); an answered call holds the agent for
an exponential handling time. The same :class:`CallCentre` serves the brand
simulation and :func:`simulate_queue`, a stand-alone M/M/c(+M) run used to
check the model against Erlang C and to let students compare staffing
analytically and by simulation.

The centre draws nothing itself: each call arrives with its patience and
handling time already drawn, keyed by the call (see
:func:`sim.world.seeding.uniform`), so adding an agent changes waits but never
what a caller brings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

__all__ = [
    "CallCentre",
    "CallOutcome",
    "effort_score",
    "simulate_queue",
]

MINUTES_PER_DAY = 1440.0


@dataclass(frozen=True)
class CallOutcome:
    """What happened to one call: queue wait, abandonment, handling time (minutes)."""

    wait: float
    abandoned: bool
    handle: float


class CallCentre:
    """A pool of agents answering calls, with impatient callers.

    Times inside SimPy are in ``minutes_per_unit`` minutes per simulation unit
    (1440 for a simulation clocked in days, 1 for one clocked in minutes).
    ``patience_minutes`` of ``None`` (or 0) means nobody hangs up.
    """

    def __init__(
        self,
        env: simpy.Environment,
        agents: int,
        handle_minutes: float,
        patience_minutes: float | None,
        minutes_per_unit: float = MINUTES_PER_DAY,
    ) -> None:
        self.env = env
        self.agents = simpy.Resource(env, capacity=agents)
        self.handle = handle_minutes
        self.patience = patience_minutes if patience_minutes else None
        self.scale = minutes_per_unit

    def draw(self, u_patience: float, u_handle: float) -> tuple[float | None, float]:
        """A caller's patience and handling time (minutes) from two uniforms, by inversion.

        Both exponential; patience is ``None`` when nobody hangs up.
        """
        patience = None if self.patience is None else -self.patience * math.log1p(-u_patience)
        return patience, -self.handle * math.log1p(-u_handle)

    def background_call(self, event: simpy.Event) -> None:
        """A call from another brand: it occupies an agent and, like any caller, may hang up.

        ``event.value`` holds the call's drawn ``(patience, handle)`` in
        minutes. Written with callbacks rather than as a process: these calls
        are the bulk of the centre's traffic and need no outcome, so they skip
        the generator machinery.
        """
        env = self.env
        patience, handle = event.value
        req = self.agents.request()

        def answered(_):
            done = env.timeout(handle / self.scale)
            done.callbacks.append(lambda _: self.agents.release(req))

        req.callbacks.append(answered)
        if patience is not None:
            give_up = env.timeout(patience / self.scale)
            give_up.callbacks.append(lambda _: None if req.triggered else req.cancel())

    def call(self, patience: float | None, handle: float):
        """SimPy process of one call; its value is a :class:`CallOutcome`.

        ``patience`` and ``handle`` are the caller's drawn patience and
        handling time in minutes (see :meth:`draw`); ``patience`` is ignored
        when the centre's callers never hang up.
        """
        env, scale = self.env, self.scale
        arrived = env.now
        with self.agents.request() as req:
            if self.patience is None or patience is None:
                yield req
            else:
                result = yield req | env.timeout(patience / scale)
                if req not in result:
                    return CallOutcome((env.now - arrived) * scale, True, 0.0)
            wait = (env.now - arrived) * scale
            yield env.timeout(handle / scale)
        return CallOutcome(wait, False, handle)


def effort_score(
    contacts: np.ndarray, wait_minutes: np.ndarray, abandoned: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """Customer effort score (1 easy … 7 hard) from contacts, waiting and hang-ups.

    Each extra contact adds 1.3 points, every 10 minutes of waiting one point,
    a hang-up two points; ``noise`` is a standard normal draw per ticket.
    """
    raw = 1.5 + 1.3 * (contacts - 1) + wait_minutes / 10.0 + 2.0 * abandoned + 0.8 * noise
    return np.clip(np.rint(raw), 1, 7).astype(np.int64)


def simulate_queue(
    arrival_rate: float,
    handle_time: float,
    agents: int,
    patience: float | None = None,
    horizon: float = 10_000.0,
    warmup: float = 500.0,
    seed: int = 0,
    sample_every: float | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Simulate a stand-alone contact centre with Poisson arrivals (time in minutes).

    Parameters
    ----------
    arrival_rate : calls per minute.
    handle_time : mean handling time, minutes (exponential).
    agents : number of agents.
    patience : mean patience, minutes (exponential); ``None`` for no reneging (M/M/c).
    horizon, warmup : run length and the initial period left out of the statistics.
    seed : seed of the run's own random stream. Each call's gap, patience and
        handling time are drawn together when it arrives, so runs with the same
        seed and arrival rate see the same callers whatever the staffing.
    sample_every : interval of the queue-length monitor (default: handle_time / 10).

    Returns
    -------
    calls : one row per call arriving after the warm-up (arrival, wait, abandoned, handle).
    monitor : time-average queue length ``Lq`` measured by sampling, and the
        arrival rate actually seen, for checking Little's law ``Lq = λ·Wq``.
    """
    from sim.world.seeding import stream

    if arrival_rate <= 0 or handle_time <= 0 or agents < 1:
        raise ValueError("arrival_rate and handle_time must be > 0 and agents >= 1")
    rng = stream(seed, "queue")
    env = simpy.Environment()
    centre = CallCentre(env, agents, handle_time, patience, minutes_per_unit=1.0)
    rows: list[tuple[float, float, bool, float]] = []
    samples: list[int] = []
    dt = sample_every or handle_time / 10.0

    def one(arrived: float, u_patience: float, u_handle: float):
        out = yield env.process(centre.call(*centre.draw(u_patience, u_handle)))
        if arrived >= warmup:
            rows.append((arrived, out.wait, out.abandoned, out.handle))

    def source():
        while True:
            u_gap, u_patience, u_handle = rng.random(3).tolist()
            yield env.timeout(-math.log1p(-u_gap) / arrival_rate)
            env.process(one(env.now, u_patience, u_handle))

    def monitor():
        yield env.timeout(warmup)
        while True:
            samples.append(len(centre.agents.queue))
            yield env.timeout(dt)

    env.process(source())
    env.process(monitor())
    env.run(until=horizon)
    calls = pd.DataFrame(rows, columns=["arrival", "wait", "abandoned", "handle"])
    seen = len(calls) / (horizon - warmup)
    return calls, {"Lq": float(np.mean(samples)) if samples else 0.0, "arrival_rate": seen}
