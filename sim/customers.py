"""The customer's life as SimPy processes: purchases, lifecycle stages, service and repairs.

One :func:`lifecycle` process per person walks their candidate purchase
timeline (see :mod:`sim.purchases`). After each repeat purchase the person may
drop out (probability p, times the experience multipliers). The process also
keeps the lifecycle clock: *new* for the first 100 days, *active*, *at risk*
after ``at_risk_days`` without a purchase, *lapsed* after ``lapsed_days`` —
which triggers the win-back journey — and *won back* when a lapsed customer
buys again. Service contacts and repairs run as their own processes, queueing
for agents and workshop benches; a bad experience can end the relationship.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import simpy

from sim.service import effort_score

if TYPE_CHECKING:
    from sim.engine import World

__all__ = ["NEW_DAYS", "lifecycle", "repair_journey", "service_contact"]

NEW_DAYS = 100.0  # the "first 100 days" of a relationship
OPEN_HOUR = 9.0 / 24
CONTACT_REASONS = ("order_issue", "delivery", "product_question")
CONTACT_REASON_P = (0.4, 0.35, 0.25)
OTHER_CHANNELS = ("email", "chat", "store")


def lifecycle(env: simpy.Environment, w: World, i: int, j: int, stage: str):
    """Walk person ``i``'s purchases from candidate ``j`` on, keeping the stage clock."""
    tl = w.tl
    end = tl.end[i]
    first_t = tl.t0[i]
    horizon = w.horizon
    ar_days = w.sc.campaigns.at_risk_days
    lp_days = w.sc.campaigns.lapsed_days
    while True:
        now = env.now
        while j < end and tl.ev_time[j] <= now:
            j += 1  # candidate purchases that fell while the person was gone
        last = w.last_purchase[i]
        t_buy = tl.ev_time[j] if (w.alive[i] and j < end) else math.inf
        t_new = first_t + NEW_DAYS if stage == "new" else math.inf
        t_risk = last + ar_days if stage in ("new", "active", "won_back") else math.inf
        t_lapse = last + lp_days if stage != "lapsed" else math.inf
        t = min(t_buy, t_new, t_risk, t_lapse)
        if t >= horizon:
            return
        try:
            yield env.timeout(t - now)
        except simpy.Interrupt:
            continue  # revived by an advisor: recompute what comes next
        if t == t_buy:
            if not w.alive[i]:
                continue  # a bad experience ended it while we waited
            stage = "won_back" if stage == "lapsed" else ("new" if stage == "new" else "active")
            if stage in ("won_back", "active") and w.stage_of[i] != stage:
                w.set_stage(i, stage)
            w.purchase(i, j)
            j += 1
            if tl.u_drop[j - 1] < w.dropout_prob(i):
                w.drop(i)
        elif t == t_new:
            stage = "active"
            w.set_stage(i, stage)
        elif t == t_risk:
            stage = "at_risk"
            w.set_stage(i, stage)
            w.at_risk(i)
        else:
            stage = "lapsed"
            w.set_stage(i, stage)
            w.lapsed(i)


def _opening_time(env: simpy.Environment, earliest: float, u: float, open_hours: float) -> float:
    """A moment within opening hours on or after ``earliest``."""
    day = math.floor(earliest)
    t = day + OPEN_HOUR + u * open_hours / 24.0
    return t if t >= env.now else t + 1.0


def service_contact(env: simpy.Environment, w: World, i: int, profile: int, order: int):
    """A question about an order: by phone (queued) or another channel; then its effort."""
    cfg = w.sc.service
    rng = w.rng_service
    u = rng.random(4)
    when = _opening_time(env, env.now + u[0] * 4.0, u[1], cfg.open_hours)
    yield env.timeout(when - env.now)
    reason = CONTACT_REASONS[int(np.searchsorted(np.cumsum(CONTACT_REASON_P), u[2]))]
    if u[3] < cfg.phone_share:
        channel = "phone"
        out = yield env.process(w.centre.call())
        wait, abandoned, handle = out.wait, out.abandoned, out.handle
    else:
        channel = OTHER_CHANNELS[int(rng.integers(len(OTHER_CHANNELS)))]
        wait, abandoned, handle = 0.0, False, float(rng.exponential(cfg.handle_minutes))
    extra = int(rng.geometric(cfg.first_contact_resolution)) - 1
    contacts = 1 + extra + int(abandoned)
    ces = int(effort_score(np.array([contacts]), np.array([wait]), np.array([abandoned]),
                           rng.normal(size=1))[0])
    w.record_ticket(i, profile, order, when, channel, reason, wait, abandoned, handle,
                    contacts, ces, "-", math.nan)
    w.experience(i, bad=abandoned or ces >= cfg.high_effort)


def repair_journey(env: simpy.Environment, w: World, i: int, profile: int, order: int):
    """An item comes back for repair: received, then rejected, delayed or shipped."""
    cfg = w.sc.service
    rng = w.rng_service
    yield env.timeout(rng.uniform(15.0, 180.0))
    if env.now >= w.horizon:
        return
    received = env.now
    w.messenger.send(profile, "repair_update")
    if rng.random() < cfg.repair_reject_prob:
        outcome, lead = "rejected", 0.0
        w.messenger.send(profile, "repair_update")
        w.desk.add(i, profile, "repair_call")
    else:
        job = env.process(w.workshop.repair())
        result = yield job | env.timeout(cfg.repair_promise_days)
        delayed = job not in result
        if delayed:
            w.messenger.send(profile, "repair_update")  # apology: it will take longer
            yield job
        lead = env.now - received
        outcome = "delayed" if delayed else "completed"
        w.messenger.send(profile, "repair_update")  # shipped / ready for pick-up
    bad = outcome != "completed"
    contacts = 1 + int(bad)
    ces = int(effort_score(np.array([contacts]), np.array([0.0]), np.array([False]),
                           rng.normal(size=1))[0])
    w.record_ticket(i, profile, order, received, "store", "repair", 0.0, False,
                    float(rng.exponential(cfg.handle_minutes)), contacts, ces, outcome, lead)
    w.experience(i, bad=bad)
