"""The world: one SimPy environment where the brand and its customers meet.

:func:`run` builds a :class:`World` — people and their candidate purchase
timelines (drawn vectorised), identities, the contact centre, the repair
workshop, the advisors' desk and the messenger — runs it day by day over the
scenario's horizon, and hands over what happened as plain records
(:class:`~sim.world.eventlog.RunRecords`); the data layer makes the tables.

The simulation is the only place in the workbench with time and state. All
randomness comes from the seed (see :mod:`sim.world.seeding`), so the same
scenario and seed give identical tables. No draw is taken from a stream in the
order events happen: each belongs to what it is about — a person, a candidate
purchase, a call, a repair, a message, an advisor's task — so one more
customer or one more agent changes outcomes only through the mechanism, never
by shifting everybody's random numbers (common random numbers).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import simpy

from sim.scenario import Scenario
from sim.vocab import STAGES
from sim.world.advisors import AdvisorDesk
from sim.world.contact_centre import CallCentre, survey_records
from sim.world.customers import lifecycle, repair_journey, service_contact
from sim.world.eventlog import EventLog, RunRecords, Ticket, ticket_records
from sim.world.loyalty_programme import ledger_records
from sim.world.messaging import Messenger
from sim.world.population import build_identities, duplicate_identities
from sim.world.prospects import build_leads, referrers
from sim.world.purchases import draw_timelines, order_records
from sim.world.seeding import stream
from sim.world.workshop import Workshop

__all__ = ["World", "run"]

STAGE_CODE = {stage: code for code, stage in enumerate(STAGES)}
ADVISOR_EFFECT_DAYS = 90.0  # an advisor's contact keeps a client closer for this long


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules (for run statistics)."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.scheduled = 0

    def schedule(self, event, priority=simpy.core.NORMAL, delay=0) -> None:
        self.scheduled += 1
        super().schedule(event, priority, delay)


class World:
    """State of the simulated brand while it runs; see :func:`run`.

    The customer processes see it as a :class:`sim.world.customers.Brand`.
    """

    def __init__(self, scenario: Scenario, seed: int) -> None:
        sc = scenario
        self.sc, self.seed = sc, seed
        self.horizon = sc.horizon_days
        self.start = pd.Timestamp(sc.population.start_date)
        self.env = env = CountingEnvironment()
        n = sc.population.customers
        self.n = n
        self.tl = tl = draw_timelines(sc, seed)
        self.ident = build_identities(seed, n, sc.population, sc.data_quality, self.start)

        # Second registrations of the same person (data quality).
        dup_t = tl.t0 + tl.duplicate_delay
        is_dup = (tl.u_duplicate < sc.data_quality.duplicate_share) & (dup_t < self.horizon)
        self.dup_people = np.flatnonzero(is_dup)
        self.dup_ident = duplicate_identities(
            self.ident, self.dup_people, seed, sc.data_quality, population=sc.population
        )
        n_dup = len(self.dup_people)
        self.dup_profile = np.full(n, -1, dtype=np.int64)
        self.dup_profile[self.dup_people] = n + np.arange(n_dup)
        self.dup_time = np.where(is_dup, dup_t, np.inf)
        self.profile_person = np.concatenate([np.arange(n), self.dup_people])
        # A profile's key for keyed draws: its person, and which of their
        # profiles it is (profile indices of second registrations depend on n).
        self.profile_key = 2 * self.profile_person + (np.arange(n + n_dup) >= n)

        profiles = pd.concat([self.ident, self.dup_ident], ignore_index=True)
        social = np.concatenate(
            [
                tl.u_consent_social < sc.population.consent_social,
                (tl.u_consent_social[self.dup_people] * 7.0) % 1.0 < sc.population.consent_social,
            ]
        )
        birth = profiles["birth_date"]
        self.messenger = Messenger(
            env,
            sc,
            seed,
            consent={
                "email": profiles["consent_email"].to_numpy(dtype=bool).copy(),
                "sms": profiles["consent_sms"].to_numpy(dtype=bool).copy(),
                "social": social,
            },
            opt_out=profiles["opt_out"].to_numpy(dtype=bool).copy(),
            email_typo=profiles["email_typo"].to_numpy(dtype=bool).copy(),
            birth_doy=(birth.dt.day_of_year - 1).to_numpy(),
            profile_key=self.profile_key,
        )
        self.profiles = profiles
        svc = sc.service
        self.centre = CallCentre(env, svc.agents, svc.handle_minutes, svc.patience_minutes)
        benches = max(1, round(svc.workshop_benches_per_10k * n / 10_000))
        self.workshop = Workshop(env, benches, svc.repair_days)
        self.desk = AdvisorDesk(env, sc.advisors, seed, self._advisor_reached)

        # Person state.
        self.alive = np.zeros(n, dtype=bool)
        self.member = np.zeros(n, dtype=bool)
        self.first_drop = np.full(n, np.nan)
        self.final_drop = np.full(n, np.nan)
        self.won_back = np.full(n, np.nan)
        self.last_purchase = [-math.inf] * n
        self.cum_spend = np.zeros(n)
        self.stage_of = np.array(["prospect"] * n, dtype=object)
        self.procs: list[simpy.Process | None] = [None] * n
        exp = sc.experience
        # Python lists of the arrays read once per purchase: scalar numpy
        # access costs more than the arithmetic around it.
        self._p_base = (tl.p * (1.0 - exp.retention_uplift)).tolist()
        self.p = tl.p.tolist()
        self.ev_time = tl.ev_time.tolist()
        self.u_drop = tl.u_drop.tolist()
        self.t0 = tl.t0.tolist()
        self.end = tl.end.tolist()
        self.contact_u, self.repair_u = tl.contact_u, tl.repair_u
        self.at_risk_days = sc.campaigns.at_risk_days
        self.lapsed_days = sc.campaigns.lapsed_days
        self.service = sc.service
        self.value = (tl.basket / tl.nu[np.repeat(np.arange(n), tl.end - tl.start)]).tolist()
        self.u_contact = tl.u_contact.tolist()
        self.u_repair = tl.u_repair.tolist()
        self.u_route = tl.u_route.tolist()
        self.dup_of = self.dup_profile.tolist()
        self.dup_at = self.dup_time.tolist()
        self.member_l = [False] * n
        self.pulled = [math.inf] * n  # next purchase brought forward by an advisor
        self.reach_l = [-math.inf] * n
        # The most frequent messages' keyed draws, taken ahead vectorised (the
        # same numbers send() would hash one by one): each profile's welcome,
        # and the thank-you of every candidate purchase on the person's first profile.
        self.thank_u = self._thank_you_draws()
        self.welcome_u = self.messenger.draws(np.arange(len(profiles)), "welcome", 0)

        # Event records.
        self.orders = EventLog(person="q", profile="q", candidate="q", t="d")
        self.stages = EventLog(person="q", t="d", stage="b")  # stage: index in STAGES
        self.tickets: list[Ticket] = []

    def _thank_you_draws(self, step: int = 1 << 16) -> np.ndarray:
        """The four draws of each candidate purchase's thank-you to its person's first profile.

        Drawn ``step`` candidates at a time, so that no temporary is as large as the result.
        """
        tl = self.tl
        owner = np.repeat(np.arange(self.n), tl.end - tl.start)
        out = np.empty((len(owner), 4))
        for a in range(0, len(owner), step):
            b = min(a + step, len(owner))
            out[a:b] = self.messenger.draws(owner[a:b], "thank_you", np.arange(a, b))
        return out

    # ------------------------------------------------------------------ life events
    def dropout_prob(self, i: int) -> float:
        """Chance person ``i`` leaves after the purchase just made, given their experience."""
        exp = self.sc.experience
        p = self._p_base[i]
        if self.member_l[i]:
            p *= exp.loyalty_member_churn
        if self.env.now - self.reach_l[i] <= ADVISOR_EFFECT_DAYS:
            p *= exp.advisor_contact_churn
        return min(p, 1.0)

    def drop(self, i: int) -> None:
        """Person ``i`` stops buying for good (unless won back later)."""
        self.alive[i] = False
        if math.isnan(self.first_drop[i]):
            self.first_drop[i] = self.env.now
        self.final_drop[i] = self.env.now

    def experience(self, i: int, bad: bool, u: float) -> None:
        """After a service experience: a bad one may end the relationship at once.

        ``u`` is the uniform drawn for this experience (see :mod:`sim.world.purchases`).
        """
        extra = self.sc.experience.bad_service_churn - 1.0
        if bad and extra > 0 and self.alive[i] and u < min(1.0, self.p[i] * extra):
            self.drop(i)

    def revive(self, i: int) -> None:
        """A win-back action brings a lost customer back (once per person)."""
        if self.alive[i] or not math.isnan(self.won_back[i]) or math.isnan(self.first_drop[i]):
            return
        self.alive[i] = True
        self.won_back[i] = self.env.now
        self.final_drop[i] = np.nan
        proc = self.procs[i]
        if proc is self.env.active_process:
            return  # the customer's own process carries on with the revived state
        if proc is not None and proc.is_alive:
            proc.interrupt("won back")
        else:
            self.procs[i] = self.env.process(
                lifecycle(self.env, self, i, int(self.tl.start[i]), self.stage_of[i])
            )

    def set_stage(self, i: int, stage: str, when: float | None = None) -> None:
        """Record a lifecycle stage change of person ``i`` (now, or at ``when``)."""
        self.stage_of[i] = stage
        self.stages.append(i, self.env.now if when is None else when, STAGE_CODE[stage])

    def purchase(self, i: int, j: int) -> None:
        """Person ``i`` buys candidate purchase ``j`` now, on one of their profiles."""
        env = self.env
        t = env.now
        k = i
        dup = self.dup_of[i]
        if dup >= 0 and t >= self.dup_at[i] and self.u_route[j] < 0.5:
            k = dup  # the person used their second profile
        order = len(self.orders)
        self.orders.append(i, k, j, t)
        gross = self.value[j]
        self.cum_spend[i] += gross
        self.last_purchase[i] = t
        self.messenger.last_purchase[k] = t
        self.messenger.send(k, "thank_you", j, self.thank_u[j] if k == i else None)
        svc = self.sc.service
        if self.u_contact[j] < svc.contact_prob:
            env.process(service_contact(env, self, i, k, order, j))
        if self.u_repair[j] < svc.repair_prob:
            env.process(repair_journey(env, self, i, k, order, j))
        if gross >= self.sc.advisors.thank_you_threshold:
            self.desk.add(i, k, "thank_you_call", j)

    def at_risk(self, i: int) -> None:
        """At-risk journey: valuable clients get a call from their advisor."""
        if self.cum_spend[i] >= self.sc.advisors.thank_you_threshold:
            # A person turns at risk at most once a day: the day keys the call.
            self.desk.add(i, i, "win_back_call", int(self.env.now))

    def lapsed(self, i: int) -> None:
        """Lapsed journey: a win-back message, which may bring a lost customer back."""
        out = self.messenger.send(i, "win_back", int(self.env.now))
        if out is not None and out["bounce"] == "none" and not self.alive[i]:
            if self.tl.u_winback[i, 0] < self.sc.experience.win_back_rate:
                self.revive(i)

    def _advisor_reached(self, person: int, profile: int, task_type: str) -> None:
        self.reach_l[person] = self.env.now
        u_yes, u_when = self.tl.u_advisor[person]
        if self.alive[person] and u_yes < self.sc.experience.advisor_responsive:
            days = 1.0 + (self.sc.advisors.attribution_days - 1.0) * float(u_when)
            self.pulled[person] = min(self.pulled[person], self.env.now + days)
            proc = self.procs[person]
            if proc is not None and proc.is_alive:
                proc.interrupt("advisor call")
        if task_type == "win_back_call" and not self.alive[person]:
            if self.tl.u_winback[person, 1] < min(1.0, 3.0 * self.sc.experience.win_back_rate):
                self.revive(person)

    def record_ticket(self, ticket: Ticket) -> None:
        """Store one service contact."""
        self.tickets.append(ticket)

    # ------------------------------------------------------------------ processes
    def _arrivals(self):
        env, tl, sc = self.env, self.tl, self.sc
        for i in np.argsort(tl.t0, kind="stable"):
            i = int(i)
            yield env.timeout(tl.t0[i] - env.now)
            self.alive[i] = True
            self.messenger.registered[i] = True
            self.stages.append(i, tl.t0[i] - tl.lead_delay[i], STAGE_CODE["prospect"])
            self.set_stage(i, "new")
            if sc.loyalty.enabled and tl.u_enrol[i] < sc.loyalty.enrolment_prob:
                self.member[i] = True
                self.member_l[i] = True
            self.messenger.send(i, "welcome", 0, self.welcome_u[i])
            self.purchase(i, int(tl.start[i]))
            self.procs[i] = env.process(lifecycle(env, self, i, int(tl.start[i]) + 1, "new"))

    def _registrations(self):
        env = self.env
        for i in self.dup_people[np.argsort(self.dup_time[self.dup_people], kind="stable")]:
            yield env.timeout(self.dup_time[i] - env.now)
            k = int(self.dup_profile[i])
            self.messenger.registered[k] = True
            self.messenger.send(k, "welcome", 0, self.welcome_u[k])

    def _shared_calls(self):
        """The group's other brands' calls: ``shared_traffic`` Erlangs while open.

        Every call of the horizon (day, time, patience, handling time) is drawn
        up front from the calls' own stream, so they are the same whatever our
        customers do or however many agents answer.
        """
        svc, env = self.sc.service, self.env
        if svc.shared_traffic <= 0:
            return
        per_day = svc.shared_traffic * svc.open_hours * 60.0 / svc.handle_minutes
        open_days = svc.open_hours / 24.0
        days = math.ceil(self.horizon)
        rng = stream(self.seed, "shared-calls")
        # Poisson arrivals within each day's opening hours.
        count = rng.poisson(per_day, days)
        bounds = np.concatenate([[0], np.cumsum(count)]).tolist()
        ring_at = np.repeat(np.arange(days), count) + 9.0 / 24 + rng.random(bounds[-1]) * open_days
        drawn = rng.standard_exponential((bounds[-1], 2)) * [
            svc.patience_minutes,
            svc.handle_minutes,
        ]
        for day in range(days):
            a, b = bounds[day], bounds[day + 1]
            patience = drawn[a:b, 0].tolist() if svc.patience_minutes else [None] * (b - a)
            calls = zip(ring_at[a:b].tolist(), patience, drawn[a:b, 1].tolist(), strict=True)
            # Today's calls are scheduled at once, each starting by callback.
            for t, wait_max, handle in calls:
                ring = env.timeout(t - env.now, (wait_max, handle))
                ring.callbacks.append(self.centre.background_call)
            yield env.timeout(day + 1 - env.now)

    def _event_invitations(self):
        env, cfg = self.env, self.sc.advisors
        if not self.desk.active or cfg.event_invites_per_month == 0:
            return
        month = 0
        while True:
            yield env.timeout(30.4375)
            month += 1
            recent = np.flatnonzero(np.asarray(self.last_purchase) >= env.now - 365.0)
            top = recent[np.argsort(-self.cum_spend[recent], kind="stable")]
            for i in top[: cfg.event_invites_per_month]:
                self.desk.add(int(i), int(i), "event_invitation", month)

    def run(self, progress: bool = False) -> None:
        """Run the world to the end of the horizon (optionally with a progress bar)."""
        env = self.env
        env.process(self._arrivals())
        env.process(self._registrations())
        env.process(self.messenger.newsletters())
        env.process(self.messenger.birthdays())
        env.process(self.desk.workday())
        env.process(self._event_invitations())
        env.process(self._shared_calls())
        steps = np.minimum(np.arange(30.0, self.horizon + 30.0, 30.0), self.horizon)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(steps), unit="month", desc=f"Simulating {self.sc.name}")
        for until in steps:
            env.run(until=until)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

    # ------------------------------------------------------------------ records
    def records(self) -> RunRecords:
        """What the run recorded, with every random outcome resolved (see :class:`RunRecords`)."""
        tl, sc, n = self.tl, self.sc, self.n
        home = self.profiles["home_country"].to_numpy(dtype=object)
        orders = order_records(tl, self.orders.to_numpy(), home, sc)
        ledger = ledger_records(orders, self.member, tl.t0, sc.loyalty, self.horizon, self.seed)
        tickets = ticket_records(self.tickets)
        surveys = survey_records(orders, tickets, sc.service, self.horizon, self.seed)
        leads = build_leads(tl, self.ident["generation"].to_numpy(), sc, self.seed)
        leads.insert(0, "lead_id", np.arange(1, len(leads) + 1))
        adv = pd.DataFrame(
            self.desk.records,
            columns=[
                "advisor_id", "profile", "t_created", "t_done", "task_type", "outcome",
                "person", "task_key",
            ],
        )  # fmt: skip
        adv = adv.astype(
            {
                "advisor_id": "int64",
                "profile": "int64",
                "t_created": float,
                "t_done": float,
                "person": "int64",
                "task_key": "int64",
            }
        )
        adv["customer_id"] = adv.pop("profile") + 1
        adv.insert(0, "task_id", np.arange(1, len(adv) + 1))
        messages, campaigns = self.messenger.tables(np.arange(1, len(self.profile_person) + 1))
        return RunRecords(
            n=n,
            horizon=self.horizon,
            events=self.env.scheduled,
            profiles=self.profiles,
            profile_person=self.profile_person,
            dup_people=self.dup_people,
            dup_time=self.dup_time,
            people={
                "lam": tl.lam,
                "p": tl.p,
                "nu": tl.nu,
                "t0": tl.t0,
                "acq_channel": tl.acq_channel,
                "member": self.member,
                "first_drop": self.first_drop,
                "final_drop": self.final_drop,
                "won_back": self.won_back,
            },
            consent=self.messenger.consent,
            opt_out=self.messenger.opt_out,
            orders=orders,
            ledger=ledger,
            tickets=tickets,
            surveys=surveys,
            leads=leads,
            referrer=referrers(leads, surveys, self.profile_person, n, self.seed),
            advisor_tasks=adv,
            messages=messages,
            campaigns=campaigns,
            stages=self.stages.to_numpy(),
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the world runs.

    A run keeps millions of live objects (SimPy events, customer processes,
    records); every full collection walks them all, which made large runs
    slower than linear in the population. Reference counting still frees
    almost everything at once; the collector resumes (and catches up) after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run(scenario: Scenario, seed: int = 0, progress: bool = False) -> RunRecords:
    """Run the brand described by ``scenario`` with ``seed`` and return its records.

    >>> from sim.scenario import preset
    >>> rec = run(preset("default").with_overrides({"population": {"customers": 200, "years": 1}}), seed=1)
    >>> len(rec.orders) > 200
    True
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    with _collector_paused():
        world = World(scenario, seed)
        world.run(progress=progress)
        return world.records()
