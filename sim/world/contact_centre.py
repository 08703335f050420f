"""The contact centre: agents in a queue where callers may hang up, and its effort score.

The contact centre is a SimPy ``Resource`` of agents. A caller waits in line
until an agent is free or their patience runs out (reneging, SimPy's
``req | env.timeout(patience)`` pattern); an answered call holds the agent for
an exponential handling time. The same :class:`CallCentre` serves the brand
simulation and :func:`simulate_queue`, a stand-alone M/M/c(+M) run used to
check the model against Erlang C and to let students compare staffing
analytically and by simulation.
"""

from __future__ import annotations

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

    Times inside SimPy are in ``time_unit`` minutes per simulation unit (1440
    for a simulation clocked in days, 1 for one clocked in minutes).
    """

    def __init__(
        self,
        env: simpy.Environment,
        agents: int,
        handle_minutes: float,
        patience_minutes: float | None,
        rng: np.random.Generator,
        minutes_per_unit: float = MINUTES_PER_DAY,
    ) -> None:
        self.env = env
        self.agents = simpy.Resource(env, capacity=agents)
        self.handle = handle_minutes
        self.patience = patience_minutes if patience_minutes else None
        self.rng = rng
        self.scale = minutes_per_unit

    def background_call(self, _event=None) -> None:
        """A call from another brand: it occupies an agent and, like any caller, may hang up.

        Written with callbacks rather than as a process: these calls are the
        bulk of the centre's traffic and need no outcome, so they skip the
        generator machinery.
        """
        env = self.env
        req = self.agents.request()

        def answered(_):
            done = env.timeout(self.rng.exponential(self.handle) / self.scale)
            done.callbacks.append(lambda _: self.agents.release(req))

        req.callbacks.append(answered)
        if self.patience is not None:
            give_up = env.timeout(self.rng.exponential(self.patience) / self.scale)
            give_up.callbacks.append(lambda _: None if req.triggered else req.cancel())

    def call(self):
        """SimPy process of one call; its value is a :class:`CallOutcome`."""
        env, scale = self.env, self.scale
        arrived = env.now
        patience = None if self.patience is None else self.rng.exponential(self.patience) / scale
        with self.agents.request() as req:
            if patience is None:
                yield req
            else:
                result = yield req | env.timeout(patience)
                if req not in result:
                    return CallOutcome((env.now - arrived) * scale, True, 0.0)
            wait = (env.now - arrived) * scale
            handle = self.rng.exponential(self.handle)
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
    seed : seed of the run's own random stream.
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
    centre = CallCentre(env, agents, handle_time, patience, rng, minutes_per_unit=1.0)
    rows: list[tuple[float, float, bool, float]] = []
    samples: list[int] = []
    dt = sample_every or handle_time / 10.0

    def one(arrived: float):
        out = yield env.process(centre.call())
        if arrived >= warmup:
            rows.append((arrived, out.wait, out.abandoned, out.handle))

    def source():
        while True:
            yield env.timeout(rng.exponential(1.0 / arrival_rate))
            env.process(one(env.now))

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
