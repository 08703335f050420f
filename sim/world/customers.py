"""The customer's life as SimPy processes: purchases, lifecycle stages, service and repairs.

One :func:`lifecycle` process per person walks their candidate purchase
timeline (see :mod:`sim.world.purchases`). After each repeat purchase the person may
drop out (probability p, times the experience multipliers). The process also
keeps the lifecycle clock: *new* for the first 100 days, *active*, *at risk*
after ``at_risk_days`` without a purchase, *lapsed* after ``lapsed_days`` —
which triggers the win-back journey — and *won back* when a lapsed customer
buys again. Service contacts and repairs run as their own processes, queueing
for agents and workshop benches; a bad experience can end the relationship.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Protocol

import numpy as np
import simpy

from sim.scenario import Service
from sim.vocab import NEW_DAYS
from sim.world.advisors import AdvisorDesk
from sim.world.contact_centre import CallCentre
from sim.world.eventlog import Ticket
from sim.world.messaging import Messenger
from sim.world.seeding import uniform_row
from sim.world.workshop import Workshop

__all__ = ["Brand", "lifecycle", "repair_journey", "service_contact"]


class Brand(Protocol):
    """What the customer processes see of the brand they live in.

    :class:`sim.world.engine.World` implements it (the engine is not imported
    here: it imports this module, and the layers' rules forbid import
    cycles); a test can hand the processes a small fake instead. People are
    indexed ``i``, candidate purchases ``j`` (see :mod:`sim.world.purchases`).
    Per-purchase and per-person sequences are plain lists where the hot path
    reads them one element at a time.
    """

    # -- the run
    seed: int
    """The run's seed: the processes' keyed draws (calls, repair work) use it."""
    horizon: float
    """End of the run (days)."""
    at_risk_days: float
    """Days without a purchase after which a customer is at risk."""
    lapsed_days: float
    """Days without a purchase after which a customer has lapsed."""
    service: Service
    """The scenario's service settings (channels, effort, repairs)."""

    # -- per candidate purchase j
    ev_time: Sequence[float]
    """When candidate purchase ``j`` would happen (days), by person in time order."""
    u_drop: Sequence[float]
    """The dropout uniform drawn for candidate purchase ``j``."""
    contact_u: np.ndarray
    """Row ``j``: the uniforms of a service contact about purchase ``j``."""
    repair_u: np.ndarray
    """Row ``j``: the uniforms of a repair of purchase ``j``'s item."""

    # -- per person i
    end: Sequence[int]
    """One past person ``i``'s last candidate purchase."""
    t0: Sequence[float]
    """When person ``i`` became a customer (first purchase)."""
    alive: np.ndarray
    """Whether person ``i`` still buys (a bool array)."""
    last_purchase: list[float]
    """When person ``i`` last bought (``-inf`` before the first purchase)."""
    pulled: list[float]
    """Person ``i``'s next purchase as brought forward by an advisor (``inf``: not)."""

    # -- collaborators
    centre: CallCentre
    """The contact centre's phone queue."""
    workshop: Workshop
    """The repair workshop's benches."""
    messenger: Messenger
    """Sends messages (here: repair updates)."""
    desk: AdvisorDesk
    """The advisors' to-do list (here: calls after rejected repairs)."""

    # -- what the processes tell the brand
    def set_stage(self, i: int, stage: str, when: float | None = None) -> None:
        """Person ``i`` enters lifecycle ``stage`` now (or at ``when``, in the past)."""

    def purchase(self, i: int, j: int) -> None:
        """Person ``i`` buys candidate purchase ``j`` now."""

    def dropout_prob(self, i: int) -> float:
        """Chance person ``i`` leaves after the purchase just made."""

    def drop(self, i: int) -> None:
        """Person ``i`` stops buying."""

    def at_risk(self, i: int) -> None:
        """Person ``i`` has just turned at risk (the at-risk journey starts)."""

    def lapsed(self, i: int) -> None:
        """Person ``i`` has just lapsed (the win-back journey starts)."""

    def record_ticket(self, ticket: Ticket) -> None:
        """Store one service contact."""

    def experience(self, i: int, bad: bool, u: float) -> None:
        """After a service experience, judged ``bad`` or not; ``u`` is its uniform."""


OPEN_HOUR = 9.0 / 24
CONTACT_REASONS = ("order_issue", "delivery", "product_question")
CONTACT_REASON_P = (0.4, 0.35, 0.25)
OTHER_CHANNELS = ("email", "chat", "store")
_STD_NORMAL = NormalDist()


def lifecycle(env: simpy.Environment, w: Brand, i: int, j: int, stage: str):
    """Walk person ``i``'s purchases from candidate ``j`` on, keeping the stage clock."""
    ev_time, u_drop = w.ev_time, w.u_drop
    end = int(w.end[i])
    new_until = w.t0[i] + NEW_DAYS
    horizon = w.horizon
    ar_days = w.at_risk_days
    lp_days = w.lapsed_days
    alive = w.alive
    while True:
        now = env.now
        while j < end and ev_time[j] <= now:
            j += 1  # candidate purchases that fell while the person was gone
        last = w.last_purchase[i]
        t_buy = ev_time[j] if (alive[i] and j < end) else math.inf
        # An advisor's call may have brought the next purchase forward.
        t_buy = max(min(t_buy, w.pulled[i]), now) if t_buy < math.inf else t_buy
        t_risk = last + ar_days if stage in ("new", "active", "won_back") else math.inf
        t_lapse = last + lp_days if stage != "lapsed" else math.inf
        t = min(t_buy, t_risk, t_lapse)
        if t >= horizon:
            if stage == "new" and new_until < horizon:
                w.set_stage(i, "active", new_until)
            return
        try:
            yield env.timeout(t - now)
        except simpy.Interrupt:
            continue  # revived by an advisor: recompute what comes next
        if stage == "new" and t >= new_until:
            # The first 100 days are over; recorded when the next event comes
            # (saves one timer per customer).
            stage = "active"
            w.set_stage(i, stage, new_until)
        if t == t_buy:
            if not alive[i]:
                continue  # a bad experience ended it while we waited
            if stage == "lapsed":
                stage = "won_back"
                w.set_stage(i, stage)
            elif stage in ("at_risk", "won_back"):
                stage = "active"
                w.set_stage(i, stage)
            w.purchase(i, j)
            w.pulled[i] = math.inf
            j += 1
            if u_drop[j - 1] < w.dropout_prob(i):
                w.drop(i)
        elif t == t_risk:
            stage = "at_risk"
            w.set_stage(i, stage)
            w.at_risk(i)
        else:
            stage = "lapsed"
            w.set_stage(i, stage)
            w.lapsed(i)


def _effort(contacts: int, wait: float, abandoned: bool, noise: float) -> int:
    """Scalar :func:`sim.world.contact_centre.effort_score` (one ticket at a time, without numpy)."""
    raw = 1.5 + 1.3 * (contacts - 1) + wait / 10.0 + 2.0 * abandoned + 0.8 * noise
    return int(min(7, max(1, round(raw))))


def _opening_time(env: simpy.Environment, earliest: float, u: float, open_hours: float) -> float:
    """A moment within opening hours on or after ``earliest``."""
    day = math.floor(earliest)
    t = day + OPEN_HOUR + u * open_hours / 24.0
    return t if t >= env.now else t + 1.0


def service_contact(env: simpy.Environment, w: Brand, i: int, profile: int, order: int, j: int):
    """A question about order ``j``: by phone (queued) or another channel; then its effort."""
    cfg = w.service
    u = w.contact_u[j].tolist()
    when = _opening_time(env, env.now + u[0] * 4.0, u[1], cfg.open_hours)
    yield env.timeout(when - env.now)
    reason = CONTACT_REASONS[int(np.searchsorted(np.cumsum(CONTACT_REASON_P), u[2]))]
    if u[3] < cfg.phone_share:
        channel = "phone"
        # The caller's patience and handling time belong to this call (keyed by
        # the purchase), not to its place in the queue: more agents, same callers.
        patience, drawn = w.centre.draw(*uniform_row(w.seed, "call", j, 2))
        out = yield env.process(w.centre.call(patience, drawn))
        wait, abandoned, handle = out.wait, out.abandoned, out.handle
    else:
        channel = OTHER_CHANNELS[min(int(u[4] * len(OTHER_CHANNELS)), len(OTHER_CHANNELS) - 1)]
        wait, abandoned, handle = 0.0, False, -cfg.handle_minutes * math.log1p(-u[5])
        patience, drawn = None, handle
    contacts = 1 + _extra_contacts(u[6], cfg.first_contact_resolution) + int(abandoned)
    ces = _effort(contacts, wait, abandoned, _normal(u[7]))
    w.record_ticket(
        Ticket(
            person=i,
            customer_id=profile,
            order=order,
            t=when,
            channel=channel,
            reason=reason,
            wait_minutes=wait,
            abandoned=abandoned,
            handle_minutes=handle,
            contacts_to_resolve=contacts,
            effort_score=ces,
            repair_outcome="-",
            repair_days=math.nan,
            candidate=j,
            patience_drawn=math.nan if patience is None else patience,
            handle_drawn=drawn,
            work_drawn=math.nan,
        )
    )
    w.experience(i, abandoned or ces >= cfg.high_effort, u[8])


def _extra_contacts(u: float, resolution: float) -> int:
    """Contacts after the first until resolved: geometric, by inverse CDF of ``u``."""
    if resolution >= 1.0:
        return 0
    return int(math.floor(math.log1p(-u) / math.log1p(-resolution)))


def _normal(u: float) -> float:
    """Standard normal quantile of ``u``."""
    return _STD_NORMAL.inv_cdf(min(max(u, 1e-9), 1 - 1e-9))


def repair_journey(env: simpy.Environment, w: Brand, i: int, profile: int, order: int, j: int):
    """The item of order ``j`` comes back for repair: received, then rejected, delayed or shipped."""
    cfg = w.service
    u = w.repair_u[j].tolist()
    yield env.timeout(15.0 + 165.0 * u[0])
    if env.now >= w.horizon:
        return
    received = env.now
    # Each update of this repair is its own message: keyed by the purchase and
    # the update (received, rejected, apology, shipped).
    send = w.messenger.send
    send(profile, "repair_update", 4 * j)
    work = math.nan
    if u[1] < cfg.repair_reject_prob:
        outcome, lead = "rejected", 0.0
        send(profile, "repair_update", 4 * j + 1)
        w.desk.add(i, profile, "repair_call", j)
    else:
        # The work content belongs to the repair; only the queue before it is shared.
        work = w.workshop.work_days(*uniform_row(w.seed, "repair-work", j, 2))
        job = env.process(w.workshop.repair(work))
        result = yield job | env.timeout(cfg.repair_promise_days)
        delayed = job not in result
        if delayed:
            send(profile, "repair_update", 4 * j + 2)  # apology: it will take longer
            yield job
        lead = env.now - received
        outcome = "delayed" if delayed else "completed"
        send(profile, "repair_update", 4 * j + 3)  # shipped / ready for pick-up
    bad = outcome != "completed"
    contacts = 1 + int(bad)
    ces = _effort(contacts, 0.0, False, _normal(u[2]))
    handle = -cfg.handle_minutes * math.log1p(-u[3])
    w.record_ticket(
        Ticket(
            person=i,
            customer_id=profile,
            order=order,
            t=received,
            channel="store",
            reason="repair",
            wait_minutes=0.0,
            abandoned=False,
            handle_minutes=handle,
            contacts_to_resolve=contacts,
            effort_score=ces,
            repair_outcome=outcome,
            repair_days=lead,
            candidate=j,
            patience_drawn=math.nan,
            handle_drawn=handle,
            work_drawn=work,
        )
    )
    w.experience(i, bad, u[4])
