"""Stories: one or two customers in a tiny world, whose exact event log is asserted.

In the style of SimPy's own tests: each story sets the draws by hand (or reads
the seeded ones), runs the processes, and asserts the whole log — every
purchase, stage change, journey, wait and hang-up at its time — not a summary
statistic. The customer processes run on :class:`FakeBrand`, a small
implementation of :class:`sim.world.customers.Brand` that records what they
tell it; the queues are the real :class:`CallCentre` and :class:`Workshop`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

import sim
from sim.vocab import NEW_DAYS, STAGES
from sim.world.contact_centre import CallCentre, CallOutcome
from sim.world.customers import Brand, lifecycle, service_contact
from sim.world.engine import CountingEnvironment, World
from sim.world.eventlog import Ticket
from sim.world.workshop import Workshop


class FakeBrand:
    """A brand of one or two people whose candidate purchases are set by hand.

    Implements :class:`Brand`; every call the processes make is appended to
    ``log`` as a tuple ``(what, person, ..., t)``. ``dropout`` is the chance
    to leave after a repeat purchase; ``u_drop`` the draws it is compared with.
    """

    def __init__(
        self,
        env: simpy.Environment,
        times: list[float],
        u_drop: list[float] | None = None,
        horizon: float = 800.0,
        dropout: float = 0.5,
    ) -> None:
        self.env = env
        self.log: list[tuple] = []
        self.seed = 0
        self.horizon = horizon
        self.at_risk_days = 180.0
        self.lapsed_days = 365.0
        self.service = sim.preset("default").service
        # One person (i = 0) whose candidate purchases are j = 0..len(times)-1.
        self.ev_time = list(times)
        self.u_drop = list(u_drop) if u_drop is not None else [1.0] * len(times)
        self.contact_u = np.zeros((len(times), 9))
        self.repair_u = np.zeros((len(times), 5))
        self.end = [len(times)]
        self.t0 = [times[0]]
        self.alive = [True]
        self.last_purchase = [-math.inf]
        self.pulled = [math.inf]
        self.centre = CallCentre(env, 1, self.service.handle_minutes, None)
        self.workshop = Workshop(env, 1, self.service.repair_days)
        self.messenger = None  # type: ignore[assignment]  # no story here sends a message
        self.desk = None  # type: ignore[assignment]
        self.dropout = dropout

    def set_stage(self, i: int, stage: str, when: float | None = None) -> None:
        self.log.append(("stage", i, stage, self.env.now if when is None else when))

    def purchase(self, i: int, j: int) -> None:
        self.last_purchase[i] = self.env.now
        self.log.append(("purchase", i, j, self.env.now))

    def dropout_prob(self, i: int) -> float:
        return self.dropout

    def drop(self, i: int) -> None:
        self.alive[i] = False
        self.log.append(("drop", i, self.env.now))

    def at_risk(self, i: int) -> None:
        self.log.append(("at_risk", i, self.env.now))

    def lapsed(self, i: int) -> None:
        self.log.append(("lapsed", i, self.env.now))

    def record_ticket(self, ticket: Ticket) -> None:
        self.log.append(("ticket", ticket))

    def experience(self, i: int, bad: bool, u: float) -> None:
        self.log.append(("experience", i, bad, u, self.env.now))


def arrive(env: simpy.Environment, w: FakeBrand, i: int = 0):
    """Person ``i`` arrives as the engine's arrivals do: new, first purchase, then their lifecycle."""
    yield env.timeout(w.t0[i] - env.now)
    w.set_stage(i, "new")
    w.purchase(i, 0)
    yield env.process(lifecycle(env, w, i, 1, "new"))


def live(times: list[float], **kw) -> list[tuple]:
    env = simpy.Environment()
    w = FakeBrand(env, times, **kw)
    _: Brand = w  # the fake is a Brand (checked by type checkers)
    env.process(arrive(env, w))
    env.run()
    return w.log


# ---------------------------------------------------------------- lifecycle stories
def test_a_customer_turns_active_then_at_risk_comes_back_and_lapses():
    log = live([0.0, 30.0, 300.0])
    assert log == [
        ("stage", 0, "new", 0.0),
        ("purchase", 0, 0, 0.0),
        ("purchase", 0, 1, 30.0),  # still new: no stage change
        # Active from day 100, recorded when the next event (at risk, 30 + 180) comes.
        ("stage", 0, "active", 100.0),
        ("stage", 0, "at_risk", 210.0),
        ("at_risk", 0, 210.0),
        ("stage", 0, "active", 300.0),  # an at-risk customer who buys is active again
        ("purchase", 0, 2, 300.0),
        ("stage", 0, "at_risk", 480.0),
        ("at_risk", 0, 480.0),
        ("stage", 0, "lapsed", 665.0),  # 300 + 365
        ("lapsed", 0, 665.0),
    ]  # nothing more before the horizon (800): a lapsed customer has no clock left


def test_a_customer_who_drops_out_after_the_second_purchase_buys_no_more():
    log = live([0.0, 30.0, 300.0], u_drop=[1.0, 0.2, 1.0], dropout=0.5)
    assert log == [
        ("stage", 0, "new", 0.0),
        ("purchase", 0, 0, 0.0),
        ("purchase", 0, 1, 30.0),
        ("drop", 0, 30.0),  # 0.2 < 0.5
        # The stage clock runs on; the purchase at 300 never happens.
        ("stage", 0, "active", 100.0),
        ("stage", 0, "at_risk", 210.0),
        ("at_risk", 0, 210.0),
        ("stage", 0, "lapsed", 395.0),
        ("lapsed", 0, 395.0),
    ]


def test_a_lapsed_customer_who_buys_again_is_won_back():
    log = live([0.0, 30.0, 500.0])
    assert log == [
        ("stage", 0, "new", 0.0),
        ("purchase", 0, 0, 0.0),
        ("purchase", 0, 1, 30.0),
        ("stage", 0, "active", 100.0),
        ("stage", 0, "at_risk", 210.0),
        ("at_risk", 0, 210.0),
        ("stage", 0, "lapsed", 395.0),
        ("lapsed", 0, 395.0),
        ("stage", 0, "won_back", 500.0),
        ("purchase", 0, 2, 500.0),
        ("stage", 0, "at_risk", 680.0),
        ("at_risk", 0, 680.0),
    ]  # lapsing again would be at 865, after the horizon


def test_a_new_customer_with_nothing_else_before_the_horizon_turns_active_at_the_end():
    log = live([0.0], horizon=150.0)
    assert log == [
        ("stage", 0, "new", 0.0),
        ("purchase", 0, 0, 0.0),
        ("stage", 0, "active", 100.0),  # recorded as the process ends
    ]


def test_a_question_by_email_is_recorded_as_a_named_ticket():
    env = simpy.Environment()
    w = FakeBrand(env, [0.0])
    u = w.contact_u[0]
    # Asked 2 days on (0.5 * 4), at opening (9:00); a delivery question (0.5),
    # not by phone (0.99), by email (0.0), 9 * ln 2 minutes' handling (0.5),
    # resolved at once (0.0), effort noise 0 (0.5), the experience's draw 0.25.
    u[:] = [0.5, 0.0, 0.5, 0.99, 0.0, 0.5, 0.0, 0.5, 0.25]
    env.process(service_contact(env, w, 0, 0, 7, 0))
    env.run()
    handle = 9.0 * math.log(2.0)
    when = 2.0 + 9.0 / 24
    assert w.log == [
        (
            "ticket",
            Ticket(
                person=0,
                customer_id=0,
                order=7,
                t=when,
                channel="email",
                reason="delivery",
                wait_minutes=0.0,
                abandoned=False,
                handle_minutes=pytest.approx(handle),
                contacts_to_resolve=1,
                effort_score=2,  # 1.5 rounded (half to even)
                repair_outcome="-",
                repair_days=pytest.approx(math.nan, nan_ok=True),
                candidate=0,
                patience_drawn=pytest.approx(math.nan, nan_ok=True),
                handle_drawn=pytest.approx(handle),
                work_drawn=pytest.approx(math.nan, nan_ok=True),
            ),
        ),
        ("experience", 0, False, 0.25, when),
    ]


# ---------------------------------------------------------------- queue stories
def _minutes(t: float) -> float:
    return round(t * 1440.0, 9)


def _calls(callers: list[tuple[str, float, float, float]]) -> list[tuple]:
    """One agent; each caller is (name, arrives (days), patience, handle (minutes))."""
    env = simpy.Environment()
    centre = CallCentre(env, agents=1, handle_minutes=9.0, patience_minutes=6.0)
    log: list[tuple] = []

    def caller(name: str, at: float, patience: float, handle: float):
        yield env.timeout(at)
        log.append(("rings", name, _minutes(env.now)))
        out = yield env.process(centre.call(patience, handle))
        wait = round(out.wait, 9)
        log.append(("ends", name, _minutes(env.now), CallOutcome(wait, out.abandoned, out.handle)))

    for c in callers:
        env.process(caller(*c))
    env.run()
    return log


def test_a_caller_behind_a_long_call_hangs_up_when_their_patience_runs_out():
    log = _calls([("ann", 0.0, 60.0, 30.0), ("bob", 0.001, 10.0, 5.0)])
    assert log == [
        ("rings", "ann", 0.0),
        ("rings", "bob", 1.44),
        ("ends", "bob", 11.44, CallOutcome(wait=10.0, abandoned=True, handle=0.0)),
        ("ends", "ann", 30.0, CallOutcome(wait=0.0, abandoned=False, handle=30.0)),
    ]


def test_a_patient_caller_is_answered_when_the_first_call_ends():
    log = _calls([("ann", 0.0, 60.0, 30.0), ("bob", 0.0, 45.0, 5.0)])
    assert log == [
        ("rings", "ann", 0.0),
        ("rings", "bob", 0.0),
        ("ends", "ann", 30.0, CallOutcome(wait=0.0, abandoned=False, handle=30.0)),
        # Bob waited exactly Ann's handling time, then was served for his own.
        ("ends", "bob", 35.0, CallOutcome(wait=30.0, abandoned=False, handle=5.0)),
    ]


def test_a_second_repair_waits_for_the_only_bench():
    env = simpy.Environment()
    shop = Workshop(env, benches=1, mean_days=10.0)
    log: list[tuple] = []

    def item(name: str, work: float):
        lead = yield env.process(shop.repair(work))
        log.append(("shipped", name, env.now, lead))

    env.process(item("watch", 3.0))
    env.process(item("bag", 2.0))
    env.run()
    assert log == [("shipped", "watch", 3.0, 3.0), ("shipped", "bag", 5.0, 5.0)]


# ---------------------------------------------------------------- the real world
TINY = {
    "population": {"customers": 1, "years": 2.0},
    "service": {"contact_prob": 0.0, "repair_prob": 0.0, "shared_traffic": 0.0},
    "data_quality": {"duplicate_share": 0.0},
    "campaigns": {"newsletters_per_month": 0.0},
    "advisors": {"thank_you_threshold": 1e12, "event_invites_per_month": 0},
    "experience": {"win_back_rate": 0.0},
    "loyalty": {"enabled": False},
}


def _expected_story(tl, horizon: float, ar: float, lp: float, p: float):
    """Orders and stages of the one customer, by the lifecycle's rules, from their drawn times."""
    cand = [t for t in tl.ev_time[tl.start[0] : tl.end[0]].tolist() if t < horizon]
    u_drop = tl.u_drop[tl.start[0] : tl.end[0]].tolist()
    orders, dropped = [cand[0]], math.nan
    for k in range(1, len(cand)):
        orders.append(cand[k])
        if u_drop[k] < p:
            dropped = cand[k]  # dropped out after this purchase
            break
    t0 = cand[0]
    new_until = t0 + NEW_DAYS
    stages = [("prospect", float(t0 - tl.lead_delay[0])), ("new", t0)]
    stage = "new"

    def enter(new: str, t: float) -> None:
        nonlocal stage
        if stage == "new" and t >= new_until:
            stages.append(("active", new_until))  # the first 100 days are over
        stage = new
        stages.append((new, t))

    for k, last in enumerate(orders):
        if k > 0:  # a repeat purchase
            if stage == "lapsed":
                enter("won_back", last)
            elif stage in ("at_risk", "won_back"):
                enter("active", last)
        nxt = orders[k + 1] if k + 1 < len(orders) else horizon
        if last + ar < nxt:
            enter("at_risk", last + ar)
        if last + lp < nxt:
            enter("lapsed", last + lp)
    if stage == "new" and new_until < horizon:
        stages.append(("active", new_until))
    return orders, stages, dropped


# 0: back from at risk; 4: many purchases; 8: lapses; 30 and 55: drop out
# with purchases left (30 then lapses, 55 comes back from at risk first).
SEEDS = (0, 4, 8, 30, 55)


@pytest.mark.parametrize("seed", SEEDS)
def test_one_seeded_customer_lives_by_the_lifecycle_rules(seed):
    sc = sim.preset("default").with_overrides(TINY)
    w = World(sc, seed)
    w.run()
    tl = w.tl
    orders, stages, dropped = _expected_story(
        tl,
        w.horizon,
        sc.campaigns.at_risk_days,
        sc.campaigns.lapsed_days,
        float(tl.p[0]) * (1.0 - sc.experience.retention_uplift),
    )
    got_orders = w.orders.to_numpy()
    got_stages = w.stages.to_numpy()
    assert got_orders["t"].tolist() == orders
    assert got_orders["candidate"].tolist() == list(range(len(orders)))
    assert [
        (STAGES[s], t) for s, t in zip(got_stages["stage"], got_stages["t"].tolist(), strict=True)
    ] == stages
    assert (got_orders["person"] == 0).all() and (got_stages["person"] == 0).all()
    assert w.first_drop[0] == pytest.approx(dropped, nan_ok=True)


def test_the_seeded_stories_cover_the_rules():
    """The seeds above are chosen to tell different stories; check they still do."""
    sc = sim.preset("default").with_overrides(TINY)
    told = set()
    for seed in SEEDS:
        tl = World(sc, seed).tl
        p = float(tl.p[0]) * (1.0 - sc.experience.retention_uplift)
        orders, stages, _ = _expected_story(tl, sc.horizon_days, 180.0, 365.0, p)
        told |= {s for s, _ in stages}
        told |= {"many purchases"} if len(orders) > 5 else set()
        candidates = int((tl.ev_time[: tl.end[0]] < sc.horizon_days).sum())
        told |= {"drop with purchases left"} if len(orders) < candidates else set()
    assert told >= {"active", "at_risk", "lapsed", "many purchases", "drop with purchases left"}


# ---------------------------------------------------------------- counting events
def test_the_environment_counts_each_event_it_schedules():
    env = CountingEnvironment()

    def three_steps():
        for _ in range(3):
            yield env.timeout(1.0)

    env.process(three_steps())
    env.run()
    # Initialize (the process's start), three timeouts, and the process's own
    # end event, which SimPy schedules so that waiters are resumed.
    assert env.scheduled == 1 + 3 + 1
    assert env.now == 3.0


def test_a_process_waiting_for_another_counts_both():
    env = CountingEnvironment()

    def child():
        yield env.timeout(2.0)
        return "done"

    def parent():
        got = yield env.process(child())
        assert got == "done"
        ping = env.event()
        ping.succeed()
        yield ping

    env.process(parent())
    env.run()
    # parent: initialize + end; child: initialize + timeout + end; the event: 1.
    assert env.scheduled == 2 + 3 + 1
