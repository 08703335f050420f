"""The contact centre: agents in a queue where callers may hang up, its effort score, and surveys.

The contact centre is a first-come-first-served queue of agents. A caller
waits in line until an agent is free or their patience runs out (reneging);
an answered call holds the agent for an exponential handling time. The same
:class:`CallCentre` serves the brand simulation and :func:`simulate_queue`, a
stand-alone M/M/c(+M) run used to check the model against Erlang C and to
let students compare staffing analytically and by simulation.

In a first-come-first-served queue a caller's wait depends only on the calls
that rang before theirs: they are answered when the earliest of the agents'
next free times comes, unless their patience runs out first, and a caller
who hangs up never holds an agent. So the centre keeps the agents' next free
times (a heap) and answers each call the moment it rings, the textbook
workload recursion for the multi-server queue (Kiefer and Wolfowitz), instead
of scheduling the queue's moves as SimPy events. The group's other brands'
calls need no outcome: they are handed over in advance
(:meth:`CallCentre.add_background`) and go through the same recursion, in
ring order, just before each of our callers, without one SimPy event each.
Only our callers are SimPy processes, which sleep through their wait and
their call.

The centre draws nothing itself: each call arrives with its patience and
handling time already drawn, keyed by the call (see
:func:`sim.world.seeding.uniform`), so adding an agent changes waits but never
what a caller brings.

Surveys after experiences
-------------------------
A share of customers answers a survey two days after an order, or once a
service contact or repair is over; a bad experience (a hang-up, high effort,
a delayed or rejected repair) shifts the answers down (:func:`survey_records`).
Whether a survey is answered and what it says are drawn per survey, keyed by
the candidate purchase behind it and its trigger (order, service contact,
repair), so an answer does not depend on how many other surveys there are.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from sim.scenario import Service
from sim.world.seeding import stream, uniforms

__all__ = [
    "TRIGGERS",
    "CallCentre",
    "CallOutcome",
    "effort_score",
    "simulate_queue",
    "survey_records",
    "survey_scores",
]

MINUTES_PER_DAY = 1440.0


@dataclass(frozen=True)
class CallOutcome:
    """What happened to one call: queue wait, abandonment, handling time (minutes)."""

    wait: float
    abandoned: bool
    handle: float


class CallCentre:
    """A pool of agents answering calls first come, first served, with impatient callers.

    Times inside SimPy are in ``minutes_per_unit`` minutes per simulation unit
    (1440 for a simulation clocked in days, 1 for one clocked in minutes).
    ``patience_minutes`` of ``None`` (or 0) means nobody hangs up. With
    ``keep_log`` the centre records every call's ring time and the moment it
    left the queue (answered or hung up), for measuring the queue's length.
    """

    def __init__(
        self,
        env: simpy.Environment,
        agents: int,
        handle_minutes: float,
        patience_minutes: float | None,
        minutes_per_unit: float = MINUTES_PER_DAY,
        keep_log: bool = False,
    ) -> None:
        if agents < 1:
            raise ValueError(f"agents must be >= 1, got {agents}")
        self.env = env
        self.agents = int(agents)
        self.handle = handle_minutes
        self.patience = patience_minutes if patience_minutes else None
        self.scale = minutes_per_unit
        # When each agent is next free (simulation units); the earliest on top.
        self._free = [float(env.now)] * self.agents
        # The other brands' calls not yet through the queue: ring time, time a
        # caller waits at most, handling time (simulation units), in ring order.
        self._ring: list[float] = []
        self._limit: list[float] = []
        self._hold: list[float] = []
        self._next = 0
        self.log: list[tuple[float, float]] | None = [] if keep_log else None

    def draw(self, u_patience: float, u_handle: float) -> tuple[float | None, float]:
        """A caller's patience and handling time (minutes) from two uniforms, by inversion.

        Both exponential; patience is ``None`` when nobody hangs up.
        """
        patience = None if self.patience is None else -self.patience * math.log1p(-u_patience)
        return patience, -self.handle * math.log1p(-u_handle)

    def add_background(self, ring_at, patience_minutes, handle_minutes) -> None:
        """Hand over calls that need no outcome (the other brands'): they load the queue.

        Parameters
        ----------
        ring_at : ring times (simulation units), none before the present.
        patience_minutes : each caller's patience, minutes; ``NaN`` (or a
            centre whose callers never hang up) for one who never does.
        handle_minutes : each call's handling time, minutes.
        """
        ring = np.asarray(ring_at, dtype=float)
        if len(ring) and ring.min() < self.env.now:
            raise ValueError("background calls cannot ring before the present")
        limit = np.asarray(patience_minutes, dtype=float) / self.scale
        if self.patience is None:
            limit = np.full(len(ring), math.inf)
        limit = np.where(np.isnan(limit), math.inf, limit)
        hold = np.asarray(handle_minutes, dtype=float) / self.scale
        k = self._next
        ring = np.concatenate([self._ring[k:], ring])
        limit = np.concatenate([self._limit[k:], limit])
        hold = np.concatenate([self._hold[k:], hold])
        order = np.argsort(ring, kind="stable")
        self._ring, self._limit, self._hold = (
            ring[order].tolist(),
            limit[order].tolist(),
            hold[order].tolist(),
        )
        self._next = 0

    def _catch_up(self, now: float) -> None:
        """Put every background call that rang before ``now`` through the queue."""
        ring, k = self._ring, self._next
        n = len(ring)
        if k >= n or ring[k] >= now:
            return
        free, limit, hold, log = self._free, self._limit, self._hold, self.log
        replace = heapq.heapreplace
        while k < n and ring[k] < now:
            t = ring[k]
            first = free[0]
            start = t if first <= t else first
            if start <= t + limit[k]:
                replace(free, start + hold[k])
                if log is not None:
                    log.append((t, start))
            elif log is not None:
                log.append((t, t + limit[k]))
            k += 1
        self._next = k

    def call(self, patience: float | None, handle: float):
        """SimPy process of one call; its value is a :class:`CallOutcome`.

        ``patience`` and ``handle`` are the caller's drawn patience and
        handling time in minutes (see :meth:`draw`); ``patience`` is ignored
        when the centre's callers never hang up.
        """
        env, scale = self.env, self.scale
        arrived = env.now
        self._catch_up(arrived)
        first = self._free[0]
        start = arrived if first <= arrived else first
        if self.patience is not None and patience is not None:
            limit = patience / scale
            if start > arrived + limit:
                # Hangs up: holds no agent, so nobody behind waits for them.
                if self.log is not None:
                    self.log.append((arrived, arrived + limit))
                yield env.timeout(limit)
                return CallOutcome((env.now - arrived) * scale, True, 0.0)
        heapq.heapreplace(self._free, start + handle / scale)
        if self.log is not None:
            self.log.append((arrived, start))
        if start > arrived:
            yield env.timeout(start - arrived)
        wait = (env.now - arrived) * scale
        yield env.timeout(handle / scale)
        return CallOutcome(wait, False, handle)

    def queue_length(self, at: np.ndarray) -> np.ndarray:
        """Callers waiting in line at each time of ``at`` (needs ``keep_log``)."""
        if self.log is None:
            raise ValueError("queue_length needs a centre made with keep_log=True")
        times = np.array(self.log, dtype=float).reshape(-1, 2)
        rang, left = np.sort(times[:, 0]), np.sort(times[:, 1])
        at = np.asarray(at, dtype=float)
        return np.searchsorted(rang, at, side="left") - np.searchsorted(left, at, side="right")


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
    if arrival_rate <= 0 or handle_time <= 0 or agents < 1:
        raise ValueError("arrival_rate and handle_time must be > 0 and agents >= 1")
    rng = stream(seed, "queue")
    env = simpy.Environment()
    centre = CallCentre(env, agents, handle_time, patience, minutes_per_unit=1.0, keep_log=True)
    rows: list[tuple[float, float, bool, float]] = []
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

    env.process(source())
    env.run(until=horizon)
    # The queue's length seen every dt after the warm-up (times accumulated as a
    # monitor process waking every dt would see them).
    at, s = [], float(warmup)
    while s < horizon:
        at.append(s)
        s += dt
    samples = centre.queue_length(np.array(at))
    calls = pd.DataFrame(rows, columns=["arrival", "wait", "abandoned", "handle"])
    seen = len(calls) / (horizon - warmup)
    return calls, {"Lq": float(np.mean(samples)) if len(samples) else 0.0, "arrival_rate": seen}


# ---------------------------------------------------------------------- surveys
# What sets a survey off; the position numbers it in the keys of its draws.
TRIGGERS = ("order", "ticket", "repair")
_TRIGGER_CODE = {name: code for code, name in enumerate(TRIGGERS)}


# Score distributions of a standard and a bad experience (NPS 0..10).
_NPS_GOOD = np.array([1, 1, 1, 1, 2, 3, 4, 9, 18, 26, 34], dtype=float)
_NPS_BAD = np.array([8, 7, 9, 10, 11, 12, 12, 11, 9, 6, 5], dtype=float)


# How the relationship colours an answer: NPS points added in each state
# (committed, engaged, cooling): committed customers are the promoters,
# cooling ones the detractors.
STATE_NPS_SHIFT = (1.5, 0.0, -2.5, -3.5)


def survey_scores(
    u: np.ndarray, bad: np.ndarray, state: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """NPS (0–10), CSAT (1–5) and CES (1–7) for respondents, worse after bad experiences.

    ``u`` holds three uniforms per respondent (NPS, CSAT noise, CES noise),
    turned into scores by inversion. Returns ``(nps, csat, ces)``; CSAT and
    CES follow NPS with noise, so the three scores agree the way survey
    answers do. ``state`` (the respondent's relationship state, an index of
    ``RELATIONSHIP_STATES``) shifts the NPS by :data:`STATE_NPS_SHIFT`.
    """
    u = np.asarray(u, dtype=float).reshape(len(bad), 3)
    cum_bad, cum_good = (np.cumsum(d / d.sum())[:-1] for d in (_NPS_BAD, _NPS_GOOD))
    nps = np.where(
        bad,
        np.searchsorted(cum_bad, u[:, 0], side="right"),
        np.searchsorted(cum_good, u[:, 0], side="right"),
    )
    if state is not None:
        shift = np.asarray(STATE_NPS_SHIFT)[np.asarray(state, dtype=np.int64)]
        nps = np.clip(np.rint(nps + shift), 0, 10)
    noise = _normal_quantile(np.clip(u[:, 1:], 1e-9, 1 - 1e-9))
    csat = np.clip(np.rint(1 + nps * 0.4 + 0.6 * noise[:, 0]), 1, 5).astype(np.int64)
    ces = np.clip(np.rint(6.5 - nps * 0.5 + 0.8 * noise[:, 1]), 1, 7).astype(np.int64)
    return nps.astype(np.int64), csat, ces


# Acklam's rational approximation of the standard normal quantile (relative
# error below 1.2e-9): numpy only, so a run does not pay for importing scipy.
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425  # below it (and above 1 - it) the tail formula applies


def _poly(coef: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    out = np.full_like(x, coef[0])
    for c in coef[1:]:
        out = out * x + c
    return out


def _normal_quantile(u: np.ndarray) -> np.ndarray:
    """Standard normal quantiles of ``u`` in (0, 1), vectorised."""
    q = np.minimum(u, 1.0 - u)  # the distance into the nearer tail
    tail = np.sqrt(-2.0 * np.log(np.where(q < _P_LOW, q, 0.5)))
    tail = _poly(_C, tail) / (_poly(_D, tail) * tail + 1.0)
    r = (u - 0.5) ** 2
    body = (u - 0.5) * _poly(_A, r) / (_poly(_B, r) * r + 1.0)
    return np.where(q < _P_LOW, np.where(u < 0.5, tail, -tail), body)


def survey_records(
    orders: pd.DataFrame,
    tickets: pd.DataFrame,
    cfg: Service,
    horizon: float,
    seed: int,
    states: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Survey answers after orders and service contacts (times in days).

    ``orders`` and ``tickets`` carry the ``candidate`` purchase each is about:
    a survey's draws are keyed by it and the survey's trigger (see
    :data:`TRIGGERS`). Order surveys are answered by the order's own draw
    ``u_survey``. ``states`` is the run's log of relationship-state changes
    (``person, t, after``): an answer reflects the respondent's state then.
    """
    o = orders[orders["u_survey"] < cfg.survey_prob]
    o = o[o["t"] + 2.0 < horizon]
    tk_trigger = np.where(tickets["reason"] == "repair", "repair", "ticket")
    tk_answer = _draws(seed, tickets["candidate"], tk_trigger, 0) < cfg.survey_prob
    tk = tickets[tk_answer]
    tk_done = tk["t"] + 1.0 + tk["repair_days"].fillna(0.0)
    keep = tk_done < horizon
    tk, tk_done = tk[keep], tk_done[keep]
    bad_tk = (
        tk["abandoned"]
        | (tk["effort_score"] >= cfg.high_effort)
        | tk["repair_outcome"].isin(["delayed", "rejected"])
    ).to_numpy()
    sv = pd.DataFrame(
        {
            "customer_id": np.concatenate([o["customer_id"], tk["customer_id"]]),
            "t": np.concatenate([o["t"] + 2.0, tk_done]),
            "trigger": np.concatenate([np.full(len(o), "order"), tk_trigger[tk_answer][keep]]),
            "order_id": np.concatenate([o["order_id"], np.full(len(tk), -1)]),
            "ticket_id": np.concatenate([np.full(len(o), -1), tk["ticket_id"]]),
            "bad": np.concatenate([np.zeros(len(o), dtype=bool), bad_tk]),
            "candidate": np.concatenate([o["candidate"], tk["candidate"]]).astype(np.int64),
            "person": np.concatenate([o["person"], tk["person"]]).astype(np.int64),
        }
    )
    sv["order_id"] = pd.Series(sv["order_id"], dtype="Int64").where(sv["order_id"] > 0)
    sv["ticket_id"] = pd.Series(sv["ticket_id"], dtype="Int64").where(sv["ticket_id"] > 0)
    sv = sv.sort_values(["t", "customer_id", "trigger"], kind="stable").reset_index(drop=True)
    u = _draws(seed, sv["candidate"], sv["trigger"], np.arange(1, 4))
    state = (
        None if states is None else state_at(states, sv["person"].to_numpy(), sv["t"].to_numpy())
    )
    sv["nps"], sv["csat"], sv["ces"] = survey_scores(u, sv.pop("bad").to_numpy(), state)
    sv = sv.drop(columns="person")
    sv.insert(0, "survey_id", np.arange(1, len(sv) + 1))
    return sv


def state_at(states: dict[str, np.ndarray], person: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each ``(person, t)``'s relationship state from the log of changes (``person, t, after``)."""
    if len(person) == 0:
        return np.zeros(0, dtype=np.int64)
    log = pd.DataFrame({"person": states["person"], "t": states["t"], "after": states["after"]})
    log = log[log["person"] >= 0].sort_values("t", kind="stable")
    ask = pd.DataFrame({"person": person, "t": t, "row": np.arange(len(person))})
    got = pd.merge_asof(ask.sort_values("t", kind="stable"), log, on="t", by="person")
    got = got.sort_values("row")
    return got["after"].fillna(1).to_numpy(dtype=np.int64)


def _draws(seed: int, candidate, trigger, draw) -> np.ndarray:
    """Surveys' uniforms number ``draw``: 0 answers?, 1 NPS, 2 CSAT noise, 3 CES noise.

    Keyed by the candidate purchase and the trigger (a name of
    :data:`TRIGGERS`), so each survey has its own. ``draw`` is one number
    (one uniform per survey) or an array of them (a row per survey).
    """
    code = pd.Series(np.asarray(trigger)).map(_TRIGGER_CODE).to_numpy(dtype=np.int64)
    slots = 4 * code[:, None] + np.atleast_1d(draw)
    u = uniforms(seed, "survey", np.asarray(candidate, dtype=np.int64)[:, None], slots)
    return u[:, 0] if np.ndim(draw) == 0 else u
