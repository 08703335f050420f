"""The customer's life as SimPy processes: relationship, purchases, lifecycle, service, repairs.

One :func:`lifecycle` process per person walks their candidate purchase
timeline (see :mod:`sim.world.purchases`), keeping a candidate while the
intensity of their relationship state allows it (thinning). It also rings the
relationship's own clock — lost, in continuous time, or one step cooler
without touchpoints — and the person's referral candidates, which become
recommendations while the state's referral rate allows. It keeps the
lifecycle clock: *new* for the first 100 days, *active*, *at risk* after
``at_risk_days`` without a purchase, *lapsed* after ``lapsed_days`` — which
triggers the win-back journey — and *won back* when a lapsed customer buys
again. A state change made elsewhere (a call, a repair, a message) interrupts
the process so it recomputes what comes next.

Service contacts and repairs run as their own processes, queueing for the
agents and benches of the person's market; each leaves an impression.
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
    indexed ``i``, candidate purchases ``j`` and candidate referrals ``r``
    (see :mod:`sim.world.purchases`); all sequences are plain lists.
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
    mult: Sequence[float]
    """Purchase-intensity multiplier of each relationship state."""
    drops_after_purchase: bool
    """True in the BG/NBD core: after each purchase the person may drop out (``dropout_prob``)."""

    # -- per candidate purchase j
    ev_time: Sequence[float]
    """When candidate purchase ``j`` would happen (days), by person in time order."""
    level: Sequence[float]
    """Thinning threshold: candidate ``j`` is kept if the state's multiplier exceeds it."""
    u_drop: Sequence[float]
    """The dropout uniform drawn for candidate purchase ``j`` (BG/NBD core)."""
    ckey: Sequence[int]
    """Candidate ``j``'s key: what draws about it (a call, a repair) are keyed by."""

    # -- per candidate referral r
    ref_time: Sequence[float]
    """When candidate referral ``r`` would happen (days)."""

    # -- per person i
    cand_end: Sequence[int]
    """One past person ``i``'s last candidate purchase."""
    ref_next: list[int]
    """Person ``i``'s next candidate referral."""
    ref_end: Sequence[int]
    """One past person ``i``'s last candidate referral."""
    next_cand: list[int]
    """Person ``i``'s first candidate purchase not yet past (kept up to date by the process)."""
    t0: Sequence[float]
    """When person ``i`` became a customer (first purchase)."""
    alive: list[bool]
    """Whether person ``i``'s relationship is not lost."""
    state: list[int]
    """Person ``i``'s relationship state (index into ``RELATIONSHIP_STATES``)."""
    clock_t: list[float]
    """When person ``i``'s relationship clock rings next (lost, or cooling)."""
    last_purchase: list[float]
    """When person ``i`` last bought (``-inf`` before the first purchase)."""
    pulled: list[float]
    """Person ``i``'s next purchase as brought forward by an advisor (``inf``: not)."""

    # -- what the processes tell the brand
    def set_stage(self, i: int, stage: str, when: float | None = None) -> None:
        """Person ``i`` enters lifecycle ``stage`` now (or at ``when``, in the past)."""

    def purchase(self, i: int, j: int) -> None:
        """Person ``i`` buys candidate purchase ``j`` now."""

    def dropout_prob(self, i: int) -> float:
        """Chance person ``i`` leaves after the purchase just made (BG/NBD core)."""

    def lose(self, i: int, cause: str) -> None:
        """Person ``i``'s relationship is lost now."""

    def clock_event(self, i: int) -> None:
        """Person ``i``'s relationship clock rang."""

    def refer(self, i: int, r: int) -> None:
        """Person ``i`` may recommend the brand now (candidate referral ``r``)."""

    def at_risk(self, i: int) -> None:
        """Person ``i`` has just turned at risk (the at-risk journey starts)."""

    def lapsed(self, i: int) -> None:
        """Person ``i`` has just lapsed (the win-back journey starts)."""

    def record_ticket(self, ticket: Ticket) -> None:
        """Store one service contact."""

    def impression(self, i: int, kind: str, cause: str, u: float) -> None:
        """A touchpoint left impression ``kind`` on ``i``; ``u`` is its uniform."""

    def centre_of(self, i: int) -> CallCentre:
        """The contact centre of ``i``'s market."""

    def workshop_of(self, i: int) -> Workshop:
        """The repair workshop of ``i``'s market."""

    def desk_of(self, i: int) -> AdvisorDesk:
        """The advisor desk of ``i``'s market."""

    messenger: Messenger
    """Sends messages (here: repair updates)."""


OPEN_HOUR = 9.0 / 24
CONTACT_DRAWS = (
    9  # delay, hour, reason, phone?, other channel, handle, extra contacts, effort, leave?
)
REPAIR_DRAWS = 5  # delay, rejected?, effort, handle, leave?
CONTACT_REASONS = ("order_issue", "delivery", "product_question")
CONTACT_REASON_P = (0.4, 0.35, 0.25)
OTHER_CHANNELS = ("email", "chat", "store")
_STD_NORMAL = NormalDist()


def lifecycle(env: simpy.Environment, w: Brand, i: int, j: int, stage: str):
    """Walk person ``i``'s purchases from candidate ``j`` on, with their relationship and stage clocks."""
    ev_time, level, u_drop, mult = w.ev_time, w.level, w.u_drop, w.mult
    ref_time, ref_next = w.ref_time, w.ref_next
    end = w.cand_end[i]
    ref_end = w.ref_end[i]
    new_until = w.t0[i] + NEW_DAYS
    horizon = w.horizon
    ar_days = w.at_risk_days
    lp_days = w.lapsed_days
    alive, state, clock = w.alive, w.state, w.clock_t
    next_cand, pulled, last_purchase = w.next_cand, w.pulled, w.last_purchase
    timeout = env.timeout
    drops = w.drops_after_purchase  # the BG/NBD core: dropout right after a purchase
    inf = math.inf
    while True:
        now = env.now
        t_buy = t_ref = t_clock = inf
        r = ref_end
        # Candidates already past are gone for good; the ones the state does not
        # keep now are only looked past (a warmer state later may keep them).
        while j < end and ev_time[j] <= now:
            j += 1
        next_cand[i] = j
        k = j
        if alive[i]:
            m = mult[state[i]]
            while k < end and level[k] >= m:
                k += 1
            if k < end:
                t_buy = ev_time[k]
                # An advisor's call may have brought the next purchase forward.
                if pulled[i] < t_buy:
                    t_buy = max(pulled[i], now)
            r = ref_next[i]
            while r < ref_end and ref_time[r] <= now:
                r += 1
            ref_next[i] = r
            if r < ref_end:
                t_ref = ref_time[r]
            t_clock = clock[i]
        last = last_purchase[i]
        t_risk = last + ar_days if stage in ("new", "active", "won_back") else inf
        t_lapse = last + lp_days if stage != "lapsed" else inf
        t = min(t_buy, t_ref, t_clock, t_risk, t_lapse)
        if t >= horizon:
            if stage == "new" and new_until < horizon:
                w.set_stage(i, "active", new_until)
            return
        try:
            yield timeout(t - now)
        except simpy.Interrupt:
            continue  # the state changed, or an advisor called: recompute what comes next
        if stage == "new" and t >= new_until:
            # The first 100 days are over; recorded when the next event comes
            # (saves one timer per customer).
            stage = "active"
            w.set_stage(i, stage, new_until)
        if t == t_clock:
            w.clock_event(i)
        elif t == t_buy:
            if stage == "lapsed":
                stage = "won_back"
                w.set_stage(i, stage)
            elif stage in ("at_risk", "won_back"):
                stage = "active"
                w.set_stage(i, stage)
            w.purchase(i, k)
            pulled[i] = inf
            j = k + 1
            next_cand[i] = j
            if drops and u_drop[k] < w.dropout_prob(i):
                w.lose(i, "dropout")
        elif t == t_ref:
            ref_next[i] = r + 1
            w.refer(i, r)
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
    key = w.ckey[j]
    u = uniform_row(w.seed, "contact", key, CONTACT_DRAWS)
    centre = w.centre_of(i)
    when = _opening_time(env, env.now + u[0] * 4.0, u[1], cfg.open_hours)
    yield env.timeout(when - env.now)
    reason = CONTACT_REASONS[int(np.searchsorted(np.cumsum(CONTACT_REASON_P), u[2]))]
    if u[3] < cfg.phone_share:
        channel = "phone"
        # The caller's patience and handling time belong to this call (keyed by
        # the purchase), not to its place in the queue: more agents, same callers.
        patience, drawn = centre.draw(*uniform_row(w.seed, "call", key, 2))
        out = yield env.process(centre.call(patience, drawn))
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
            candidate=key,
            patience_drawn=math.nan if patience is None else patience,
            handle_drawn=drawn,
            work_drawn=math.nan,
        )
    )
    bad = abandoned or ces >= cfg.high_effort
    w.impression(
        i, "negative" if bad else "positive" if ces <= 2 else "neutral", "service_contact", u[8]
    )


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
    key = w.ckey[j]
    u = uniform_row(w.seed, "repair", key, REPAIR_DRAWS)
    yield env.timeout(15.0 + 165.0 * u[0])
    if env.now >= w.horizon:
        return
    received = env.now
    # Each update of this repair is its own message: keyed by the purchase and
    # the update (received, rejected, apology, shipped).
    send = w.messenger.send
    send(profile, "repair_update", 4 * key)
    work = math.nan
    if u[1] < cfg.repair_reject_prob:
        outcome, lead = "rejected", 0.0
        send(profile, "repair_update", 4 * key + 1)
        w.desk_of(i).add(i, profile, "repair_call", key)
    else:
        # The work content belongs to the repair; only the queue before it is shared.
        workshop = w.workshop_of(i)
        work = workshop.work_days(*uniform_row(w.seed, "repair-work", key, 2))
        job = env.process(workshop.repair(work))
        result = yield job | env.timeout(cfg.repair_promise_days)
        delayed = job not in result
        if delayed:
            send(profile, "repair_update", 4 * key + 2)  # apology: it will take longer
            yield job
        lead = env.now - received
        outcome = "delayed" if delayed else "completed"
        send(profile, "repair_update", 4 * key + 3)  # shipped / ready for pick-up
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
            candidate=key,
            patience_drawn=math.nan,
            handle_drawn=handle,
            work_drawn=work,
        )
    )
    w.impression(i, "negative" if bad else "positive", "repair", u[4])
