"""The world: one SimPy environment where the brand and its customers meet.

:func:`run` builds a :class:`World` — people and their candidate purchase
timelines (drawn vectorised), identities, a contact centre, a repair workshop
and an advisors' desk per market, and the messenger — runs it day by day over
the scenario's horizon, and hands over what happened as plain records
(:class:`~sim.world.eventlog.RunRecords`); the data layer makes the tables.

The simulation is the only place in the workbench with time and state. All
randomness comes from the seed (see :mod:`sim.world.seeding`), so the same
scenario and seed give identical tables. No draw is taken from a stream in the
order events happen: each belongs to what it is about — a person, a candidate
purchase, a call, a repair, a message, an advisor's task, a referral — so one
more customer or one more agent changes outcomes only through the mechanism,
never by shifting everybody's random numbers (common random numbers).

People are numbered as they enter the world: first the acquired population
(the acquisition budget's prospects), then, week by week, the friends that
referrals bring. A person's profiles are numbered ``2 * person`` (the first)
and ``2 * person + 1`` (a second registration, if any) while the world runs;
:meth:`World.records` renumbers everybody who became a customer.

Shards
------
``run(scenario, seed, market=...)`` simulates one market: only the people of
the acquired population whose home country is in that market, with the
market's own contact centre, workshop, advisors and share of the other
brands' calls. Nothing a person meets depends on another market, so a
person's story is the same in the shard as in a world holding every market
(``market=None``; tests/test_shards.py checks it). Where the brand used to
couple its markets, the coupling is cut by a rule that holds in both:

* a referred friend joins the referrer's market (whatever their own home
  country): the recommendation came through that market's people;
* the monthly event invitations go to each market's own top clients, the
  places split by expected customer share (:func:`split_by_share`), as are
  agents, benches, advisors and the other brands' traffic already;
* whether a newsletter is an A/B test is the newsletter's own keyed draw, not
  a matter of how many people one market's audience holds;
* acquisition needs no split: the budget's prospects are keyed people
  (:func:`sim.world.purchases.pool_keys`), each in the market they live in,
  and detractors put off only their own market's leads.

A shard numbers its customers, orders, tickets, ... from 1; the dataset
numbers the shards one after another in the scenario's market order (see
:func:`sim.compose.assemble`), so the ids do not depend on how many workers
ran the shards.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import math
from array import array
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import simpy

from sim.scenario import Scenario
from sim.vocab import (
    ACQUISITION_CHANNELS,
    PRODUCT_CATEGORIES,
    RELATIONSHIP_STATES,
    STAGES,
    TOUCHPOINT_CAUSES,
)
from sim.world.advisors import AdvisorDesk, app_adopters
from sim.world.contact_centre import CallCentre, survey_records
from sim.world.customers import lifecycle, repair_journey, service_contact
from sim.world.eventlog import EventLog, RunRecords, Ticket, ticket_records
from sim.world.loyalty_programme import ledger_records
from sim.world.messaging import Messenger
from sim.world.population import (
    build_identities,
    duplicate_identities,
    identity_basics,
    identity_uniforms,
    nationality_of,
    unique_emails,
)
from sim.world.prospects import build_leads
from sim.world.purchases import (
    Calendar,
    Timelines,
    draw_people,
    home_categories,
    order_categories,
    order_records,
    pool_keys,
    referred_key,
)
from sim.world.seeding import stream, uniform, uniform_row, uniforms
from sim.world.workshop import Workshop

__all__ = ["World", "market_shares", "run", "split_by_share", "team_sizes"]

STAGE_CODE = {stage: code for code, stage in enumerate(STAGES)}
CAUSE_CODE = {cause: code for code, cause in enumerate(TOUCHPOINT_CAUSES)}
COMMITTED, ENGAGED, COOLING, LOST = range(4)
_PROSPECT, _NEW = STAGE_CODE["prospect"], STAGE_CODE["new"]
_ACQUISITION = CAUSE_CODE["acquisition"]
ADVISOR_EFFECT_DAYS = 90.0  # textbook cores: an advisor's contact keeps a client closer this long
REFERRAL_WEEK = 7.0  # referred friends join in weekly batches, a week or more after the tip


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes (for run statistics).

    Counted in its own run loop rather than by wrapping ``schedule``: a wrapper
    costs a Python call per event, about a tenth of a large run.
    """

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.processed = 0

    def run(self, until: float | None = None):
        """Run until ``until`` (or until no event is left), counting each event processed."""
        limit = math.inf if until is None else float(until)
        # simpy.Environment.step inlined (without its StopSimulation handling:
        # nothing stops the run from inside this loop), saving two Python
        # calls an event; events are processed in the same order.
        queue, pop = self._queue, heapq.heappop
        n = 0
        try:
            while queue and queue[0][0] < limit:
                self._now, _, _, event = pop(queue)
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    # A failed event nobody defused: crash as step() would.
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    raise exc
                n += 1
        finally:
            self.processed += n
        if until is not None:
            # Nothing is due before ``until``: this only moves the clock there.
            return super().run(until=until)
        return None


def market_shares(sc: Scenario) -> dict[str, float]:
    """Expected share of customers living in each market (from the nationality mix).

    A national lives at home with chance ``1 - home_abroad_share``, otherwise
    in another country of the mix in proportion to its weight.
    """
    from sim.geography import default_nationality_mix

    mix = dict(sc.population.nationality_mix or default_nationality_mix())
    total = sum(mix.values())
    p = {c: v / total for c, v in mix.items() if v > 0}
    a = sc.population.home_abroad_share
    home = {c: (1 - a) * pc for c, pc in p.items()}
    if len(p) > 1:
        for k, pk in p.items():
            for c, pc in p.items():
                if c != k:
                    home[c] += a * pk * pc / (1 - pk)
    else:
        home = dict(p)
    shares = {m: 0.0 for m in sc.markets.names}
    for c, h in home.items():
        shares[sc.markets.market_of(c)] += h
    return shares


def split_by_share(total: float, shares: dict[str, float], minimum: int = 0) -> dict[str, int]:
    """Split a whole number across markets by share (largest remainders), each at least ``minimum``.

    Markets with no expected customers get nothing; the minimum may add to the total.
    """
    live = {m: s for m, s in shares.items() if s > 0}
    s_sum = sum(live.values()) or 1.0
    exact = {m: total * s / s_sum for m, s in live.items()}
    out = {m: int(math.floor(x)) for m, x in exact.items()}
    left = int(round(total)) - sum(out.values())
    for m in sorted(live, key=lambda m: (-(exact[m] - out[m]), m))[: max(left, 0)]:
        out[m] += 1
    return {m: max(out.get(m, 0), minimum if m in live else 0) for m in shares}


def team_sizes(sc: Scenario) -> dict[str, dict[str, float]]:
    """Each market's expected customer share and its service teams (the brand totals split).

    Agents, workshop benches and advisors are split by expected customers
    (:func:`split_by_share`), every market with customers keeping at least
    one agent and one bench; the other brands' traffic is split in proportion.
    A market named in ``markets.agents`` gets exactly that many agents instead
    of its share.
    """
    shares = market_shares(sc)
    svc = sc.service
    total = sum(shares.values()) or 1.0
    benches = max(1, round(svc.workshop_benches_per_10k * sc.population.customers / 10_000))
    return {
        "shares": shares,
        "agents": {**split_by_share(svc.agents, shares, minimum=1), **sc.markets.agents},
        "benches": split_by_share(benches, shares, minimum=1),
        "advisors": split_by_share(sc.advisors.advisors, shares),
        "traffic": {m: svc.shared_traffic * v / total for m, v in shares.items()},
    }


class World:
    """State of the simulated brand while it runs; see :func:`run`.

    The customer processes see it as a :class:`sim.world.customers.Brand`.
    """

    def __init__(self, scenario: Scenario, seed: int, market: str | None = None) -> None:
        sc = self.sc = scenario
        self.seed = seed
        if market is not None and market not in sc.markets.names:
            raise ValueError(
                f"market must be one of the scenario's markets ({', '.join(sc.markets.names)}), "
                f"got {market!r}"
            )
        # The shard: one market's people only (None: every market in one environment).
        self.shard = None if market is None else sc.markets.names.index(market)
        self.horizon = sc.horizon_days
        self.start = pd.Timestamp(sc.population.start_date)
        self.env = env = CountingEnvironment()
        self.rel = rel = sc.relationship
        self.states_model = rel.states
        self.drops_after_purchase = rel.model == "bgnbd"
        self.service = sc.service
        self.at_risk_days = sc.campaigns.at_risk_days
        self.lapsed_days = sc.campaigns.lapsed_days

        self.key: list[int] = []
        # Markets and their teams.
        self.market_names = sc.markets.names
        teams = team_sizes(sc)
        self.shares = teams["shares"]
        svc, adv = sc.service, sc.advisors
        agents, benches, advisors = teams["agents"], teams["benches"], teams["advisors"]
        self.centres, self.workshops, self.desks = [], [], []
        adopters = app_adopters(adv, seed, list(range(1, sum(advisors.values()) + 1)))
        first_advisor = 1
        for m in self.market_names:
            self.centres.append(
                CallCentre(env, max(agents[m], 1), svc.handle_minutes, svc.patience_minutes)
            )
            self.workshops.append(Workshop(env, max(benches[m], 1), svc.repair_days))
            self.desks.append(
                AdvisorDesk(
                    env,
                    adv,
                    seed,
                    self._advisor_reached,
                    advisors[m],
                    first_advisor,
                    m,
                    self.key,
                    adopters,
                )  # fmt: skip
            )
            first_advisor += advisors[m]
        self.traffic = [teams["traffic"][m] for m in self.market_names]
        invites = split_by_share(adv.event_invites_per_month, self.shares)
        self.invites = [invites[m] for m in self.market_names]
        self.agents_by_market = agents
        self.benches_by_market = benches
        self.advisors_by_market = advisors

        # Relationship rates per state (per day), as lists for the hot path.
        uplift = 1.0 - sc.experience.retention_uplift
        states3 = RELATIONSHIP_STATES[:3]
        self.mult = [rel.purchase_multiplier[s] for s in states3] + [0.0]
        self.hazard = [rel.lost_per_year[s] / 365.0 * uplift for s in states3] + [0.0]
        self.drift = [rel.cooling_per_year[s] / 365.0 for s in states3] + [0.0]
        self.ref_rate = [rel.referrals_per_year[s] for s in states3] + [0.0]
        self.response = np.array([rel.response_multiplier[s] for s in states3] + [0.0])
        if not self.states_model:
            self.mult = [1.0] * 4
            self.response = np.ones(4)
        self.member_effect = sc.loyalty.member_effect
        # Settings read at every purchase, looked up once.
        self._desk_active = [d.active for d in self.desks]
        self._top_spend = adv.top_client_spend
        self._thank_you_threshold = adv.thank_you_threshold
        self._contact_prob = svc.contact_prob
        self._repair_prob = svc.repair_prob
        self._delight = rel.purchase_delight
        self.counts = [[0] * 4 for _ in self.market_names]  # living customers by market, state

        # The people: the acquired population now, referred friends as they come.
        self.n_people = 0
        self.cohorts: list[Timelines] = []
        self.identity_parts: list[pd.DataFrame] = []
        self.deferred_keys: list[np.ndarray] = []  # referred people: identities after the run
        self.calendar = Calendar(sc)
        self.dup_parts: list[pd.DataFrame] = []
        self.messenger = Messenger(env, sc, seed)
        self._init_person_lists()
        self.orders = EventLog(person="q", profile="q", candidate="q", t="d", state="b")
        self._n_orders = 0  # len(self.orders), counted on the hot path
        self.stages = EventLog(person="q", t="d", stage="b")  # stage: index in STAGES
        self.states_log = EventLog(person="q", t="d", before="b", after="b", cause="b")
        self.tickets: list[Ticket] = []
        self.lost_leads = EventLog(t="d", channel="b", market="b", key="q")
        self.referral_leads = EventLog(person="q", t="d", k="q")
        self.pending: list[tuple[int, int, float]] = []  # referrer, referral rank, when
        self.pending_messages: list[tuple[int, int]] = []  # profile, impression (0 pos, 2 neg)
        keys = pool_keys(sc, seed)
        if self.shard is not None:
            keys = keys[self.markets_of(keys) == self.shard]
        self._add_people(keys, t0_raw=None, channel=None, referrer=None)

    def markets_of(self, keys: np.ndarray) -> np.ndarray:
        """The market (index) each person keyed ``keys`` lives in: their home country's."""
        _, home = nationality_of(identity_uniforms(self.seed, keys), self.sc.population)
        index = {name: k for k, name in enumerate(self.market_names)}
        uniq, inv = np.unique(home.astype(str), return_inverse=True)
        codes = np.array(
            [index[self.sc.markets.market_of(c)] for c in uniq.tolist()], dtype=np.int64
        )
        return codes[inv.reshape(-1)] if len(keys) else np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ people
    def _init_person_lists(self) -> None:
        # Python lists: read and written one element at a time on the hot path,
        # and they grow in place as referred customers join.
        for name in (
            "t0", "cand_start", "cand_end", "next_cand", "ref_first", "ref_next", "ref_end", "market", "state", "n_life", "n_drift", "u_enrol", "u_life0", "u_drift0", "h_left", "d_left", "h_rate", "d_rate", "t_mark",
            "clock_t", "clock_kind", "alive", "arrived", "member", "last_purchase", "pulled",
            "procs", "stage_of", "reach_l", "cum_spend", "dup_at", "first_drop", "final_drop",
            "won_back", "referrer", "p", "mu", "u_wom", "acq", "t_lead", "state0",
            "enrol_p", "top", "next_check_in",
        ):  # fmt: skip
            setattr(self, name, [])
        # Per candidate purchase (and referral): typed arrays, 8 bytes an entry
        # instead of a list's pointer and float object; they grow in place too.
        for name in (
            "ev_time", "level", "u_drop", "value", "u_contact", "u_repair", "u_route",
            "u_delight", "u_impression", "ref_time", "ref_level",
        ):  # fmt: skip
            setattr(self, name, array("d"))
        self.ckey = array("q")
        self.thank_u: list[np.ndarray] = []
        self._thank_base: list[int] = []
        self.top_clients: list[int] = []
        self.welcome_u: dict[int, np.ndarray] = {}

    def _add_people(
        self,
        keys: np.ndarray,
        t0_raw: np.ndarray | None,
        channel: int | None,
        referrer,
        t_tip: np.ndarray | None = None,
    ) -> range:
        """Bring the people keyed ``keys`` into the world and schedule their arrival."""
        sc, seed = self.sc, self.seed
        keys = np.asarray(keys, dtype=np.int64)
        u_id = identity_uniforms(seed, keys)
        nationality, home = nationality_of(u_id, sc.population)
        tl = draw_people(
            sc,
            seed,
            keys,
            nationality == "CN",
            t0_raw=t0_raw,
            channel=channel,
            calendar=self.calendar,
        )
        if t_tip is not None:
            # A referred friend's lead is the recommendation itself.
            tl.lead_delay = tl.t0 - np.asarray(t_tip, dtype=float)
        first = self.n_people
        m = len(keys)
        people = range(first, first + m)
        self.n_people += m
        ev0 = len(self.ev_time)
        ref0 = len(self.ref_time)
        self.cohorts.append(tl)
        basics = identity_basics(u_id, sc.population, sc.data_quality, self.start)
        # Second registrations of the same person (data quality).
        dup_t = tl.t0 + tl.duplicate_delay
        is_dup = (tl.u_duplicate < sc.data_quality.duplicate_share) & (dup_t < self.horizon)
        dup_rows = np.flatnonzero(is_dup)
        # Whole identities are built once for the acquired population; for the
        # weekly batches of referred friends only where a second profile needs
        # its first one now (the rest after the run, from the same keyed draws).
        if referrer is None:
            ident = build_identities(seed, keys, sc.population, sc.data_quality, self.start)
            self.identity_parts.append(ident)
            src, rows = ident, dup_rows
        else:
            self.deferred_keys.append(keys)
            src, rows = None, dup_rows
            if len(dup_rows):
                src = build_identities(
                    seed, keys[dup_rows], sc.population, sc.data_quality, self.start
                )
                rows = np.arange(len(dup_rows))
        if src is not None:
            dup = duplicate_identities(
                src, rows, seed, sc.data_quality, population=sc.population, keys=keys[dup_rows]
            )
            dup.index = pd.Index(dup_rows + first, name="person")
            self.dup_parts.append(dup)
            dup_consent = {c: dup[f"consent_{c}"].to_numpy(dtype=bool) for c in ("email", "sms")}
            dup_opt_out = dup["opt_out"].to_numpy(dtype=bool)
            dup_typo = dup["email_typo"].to_numpy(dtype=bool)
        else:
            dup_consent = {c: np.zeros(0, dtype=bool) for c in ("email", "sms")}
            dup_opt_out = dup_typo = np.zeros(0, dtype=bool)

        # The messenger's view of the new profiles (2 per person).
        prof_consent = {
            "email": np.zeros(2 * m, dtype=bool),
            "sms": np.zeros(2 * m, dtype=bool),
            "social": np.zeros(2 * m, dtype=bool),
        }
        opt_out = np.zeros(2 * m, dtype=bool)
        typo = np.zeros(2 * m, dtype=bool)
        birth = np.zeros(2 * m, dtype=np.int64)
        prof_consent["email"][0::2] = basics["consent_email"]
        prof_consent["sms"][0::2] = basics["consent_sms"]
        prof_consent["social"][0::2] = tl.u_consent_social < sc.population.consent_social
        opt_out[0::2] = basics["opt_out"]
        typo[0::2] = basics["email_typo"]
        birth[0::2] = basics["birth_doy"]
        d = 2 * dup_rows + 1
        prof_consent["email"][d] = dup_consent["email"]
        prof_consent["sms"][d] = dup_consent["sms"]
        prof_consent["social"][d] = (tl.u_consent_social[dup_rows] * 7.0) % 1.0 < (
            sc.population.consent_social
        )
        opt_out[d] = dup_opt_out
        typo[d] = dup_typo
        birth[d] = basics["birth_doy"][dup_rows]
        profile_key = 2 * np.repeat(keys, 2) + np.tile([0, 1], m)
        self.messenger.add_profiles(prof_consent, opt_out, typo, birth, profile_key)

        # Per-person lists. A referred friend joins the referrer's market (the
        # advisor and centre that made the recommendation), so that a market's
        # people and everything they set off stay within the market (its shard).
        if referrer is None:
            market_index = {name: k for k, name in enumerate(self.market_names)}
            markets = [market_index[sc.markets.market_of(c)] for c in home.tolist()]
        else:
            markets = [self.market[r] for r in referrer]
        self.key.extend(keys.tolist())
        self.t0.extend(tl.t0.tolist())
        self.cand_start.extend((tl.start + ev0).tolist())
        self.cand_end.extend((tl.end + ev0).tolist())
        self.next_cand.extend((tl.start + ev0).tolist())
        self.ref_first.extend((tl.ref_start + ref0).tolist())
        self.ref_next.extend((tl.ref_start + ref0).tolist())
        self.ref_end.extend((tl.ref_end + ref0).tolist())
        self.market.extend(markets)
        self.state.extend(tl.state0.tolist())
        self.state0.extend(tl.state0.tolist())
        self.u_enrol.extend(tl.u_enrol.tolist())
        self.u_life0.extend(tl.u_life.tolist())
        self.u_drift0.extend(tl.u_drift.tolist())
        self.n_life.extend([0] * m)
        self.n_drift.extend([0] * m)
        self.h_left.extend([math.inf] * m)
        self.d_left.extend([math.inf] * m)
        self.h_rate.extend([0.0] * m)
        self.d_rate.extend([0.0] * m)
        self.t_mark.extend([0.0] * m)
        self.clock_t.extend([math.inf] * m)
        self.clock_kind.extend([0] * m)
        self.alive.extend([False] * m)
        self.arrived.extend([False] * m)
        self.member.extend([False] * m)
        self.last_purchase.extend([-math.inf] * m)
        self.pulled.extend([math.inf] * m)
        self.procs.extend([None] * m)
        self.stage_of.extend(["prospect"] * m)
        self.reach_l.extend([-math.inf] * m)
        self.cum_spend.extend([0.0] * m)
        self.dup_at.extend(np.where(is_dup, dup_t, np.inf).tolist())
        self.first_drop.extend([math.nan] * m)
        self.final_drop.extend([math.nan] * m)
        self.won_back.extend([math.nan] * m)
        self.referrer.extend([-1] * m if referrer is None else list(referrer))
        self.p.extend((tl.p * (1.0 - sc.experience.retention_uplift)).tolist())
        self.mu.extend((tl.mu * (1.0 - sc.experience.retention_uplift)).tolist())
        self.u_wom.extend(tl.u_wom.tolist())
        self.acq.extend(tl.acq_channel.tolist())
        self.t_lead.extend((tl.t0 - tl.lead_delay).tolist())
        self.enrol_p.extend(self._enrolment_chance(tl).tolist())
        self.top.extend([False] * m)
        self.next_check_in.extend([0.0] * m)
        # Per-candidate lists.
        self.ev_time.frombytes(np.asarray(tl.ev_time, dtype=np.float64).tobytes())
        self.level.frombytes(np.asarray(tl.level, dtype=np.float64).tobytes())
        self.u_drop.frombytes(np.asarray(tl.u_drop, dtype=np.float64).tobytes())
        owner = np.repeat(np.arange(m), tl.end - tl.start)
        self.value.frombytes(np.asarray(tl.basket / tl.nu[owner], dtype=np.float64).tobytes())
        self.u_contact.frombytes(np.asarray(tl.u_contact, dtype=np.float64).tobytes())
        self.u_repair.frombytes(np.asarray(tl.u_repair, dtype=np.float64).tobytes())
        self.u_route.frombytes(np.asarray(tl.u_route, dtype=np.float64).tobytes())
        self.u_delight.frombytes(np.asarray(tl.u_delight, dtype=np.float64).tobytes())
        self.u_impression.frombytes(np.asarray(tl.u_impression, dtype=np.float64).tobytes())
        self.ckey.frombytes(np.asarray(tl.ckey, dtype=np.int64).tobytes())
        self.ref_time.frombytes(np.asarray(tl.ref_time, dtype=np.float64).tobytes())
        self.ref_level.frombytes(np.asarray(tl.ref_level, dtype=np.float64).tobytes())
        # The most frequent messages' keyed draws, taken ahead vectorised (the
        # same numbers send() would hash one by one): each person's welcome,
        # and the thank-you of every candidate purchase on their first profile.
        first_profiles = 2 * np.arange(first, first + m)
        self._thank_base.append(ev0)
        self.thank_u.append(self._thank_you_draws(first_profiles[owner], tl.ckey))
        welcome = self.messenger.draws(first_profiles, "welcome", 0)
        for k, row in zip(first_profiles.tolist(), welcome, strict=True):
            self.welcome_u[k] = row
        # Arrivals: each person's first purchase, as a timed callback.
        env = self.env
        for i, t in zip(people, tl.t0.tolist(), strict=True):
            ev = env.timeout(t - env.now)
            ev.callbacks.append(lambda _e, i=i: self._arrive(i))
        return people

    def _thank_you_draws(self, profiles: np.ndarray, ckeys: np.ndarray) -> np.ndarray:
        """The draws of each candidate purchase's thank-you to its person's first profile."""
        step = 1 << 16  # no temporary as large as the result
        out = np.empty((len(ckeys), self.messenger.DRAWS))
        for a in range(0, len(ckeys), step):
            b = a + step
            out[a:b] = self.messenger.draws(profiles[a:b], "thank_you", ckeys[a:b])
        return out

    def thank_you_draw(self, i: int, j: int) -> np.ndarray:
        """Taken-ahead draws of the thank-you for candidate ``j`` of person ``i``."""
        # Candidate rows of each cohort are contiguous: find the cohort by row.
        first = self.thank_u[0]
        if j < len(first):
            return first[j]
        c = bisect.bisect_right(self._thank_base, j) - 1
        return self.thank_u[c][j - self._thank_base[c]]

    def _enrolment_chance(self, tl: Timelines) -> np.ndarray:
        """Self-selected enrolment: log-odds rise with the relationship and the spend scale."""
        lo = self.sc.loyalty
        if not lo.enabled:
            return np.zeros(tl.n)
        base = math.log(max(lo.enrolment_prob, 1e-9) / max(1 - lo.enrolment_prob, 1e-9))
        pu = self.sc.purchases
        # Spend: log of the person's expected order value against the population's.
        spend = np.log((pu.spend_q / pu.spend_gamma) / tl.nu)
        z = (1 - tl.state0) + spend if self.states_model else spend
        if lo.self_selection == 0:
            return np.full(tl.n, lo.enrolment_prob)
        return 1.0 / (1.0 + np.exp(-(base + lo.self_selection * z)))

    # ------------------------------------------------------------------ arrivals
    def detractor_share(self, market: int) -> float:
        """Share of a market's living relationships that are cooling (the detractors)."""
        c = self.counts[market]
        live = c[COMMITTED] + c[ENGAGED] + c[COOLING]
        return c[COOLING] / live if live else 0.0

    def _arrive(self, i: int) -> None:
        """Person ``i``'s lead converts now (first purchase), unless word of mouth puts them off."""
        env, sc = self.env, self.sc
        m = self.market[i]
        if self.states_model:
            convert = 1.0 - sc.acquisition.detractor_penalty * self.detractor_share(m)
            if self.u_wom[i] >= convert:
                self.lost_leads.append(self.t_lead[i], self.acq[i], m, self.key[i])
                return
        now = env._now  # env.now without the property call (hot path)
        self.arrived[i] = True
        self.alive[i] = True
        k = 2 * i
        msg = self.messenger
        msg.registered[k] = True
        stages = self.stages
        stages.append(i, self.t_lead[i], _PROSPECT)
        self.stage_of[i] = "new"  # set_stage(i, "new"), inlined
        stages.append(i, now, _NEW)
        s = self.state[i]
        self.counts[m][s] += 1
        self.states_log.append(i, now, -1, s, _ACQUISITION)
        msg.response[k] = msg.response[k + 1] = self.response[s]
        if sc.loyalty.enabled and self.u_enrol[i] < self.enrol_p[i]:
            self.member[i] = True
        self.t_mark[i] = now
        self._start_clock(i, "life")
        msg.send(k, "welcome", 0, self.welcome_u.pop(k, None))
        j = self.cand_start[i]
        self.purchase(i, j)
        self.procs[i] = env.process(lifecycle(env, self, i, j + 1, "new"))
        if self.dup_at[i] < self.horizon:
            ev = env.timeout(self.dup_at[i] - env.now)
            ev.callbacks.append(lambda _e, i=i: self._register_duplicate(i))

    def _register_duplicate(self, i: int) -> None:
        k = 2 * i + 1
        self.messenger.registered[k] = True
        self.messenger.send(k, "welcome", 0)

    # ------------------------------------------------------------------ relationship
    def _start_clock(self, i: int, fresh: str = "") -> None:
        """Set ``i``'s relationship clock for their current state: lost, or cooling by drift.

        Each clock is an exponential "budget" of hazard, keyed by the person
        (and their life, or their drift count), spent at the state's rate
        while the state lasts: the relationship is lost when the lost budget is
        spent. A lower hazard (a retention uplift, a better state) therefore
        only ever delays the same loss. ``fresh`` draws a new budget: ``"life"``
        (arrival, win-back), ``"drift"`` (after a drift).
        """
        now = self.env.now
        gone = now - self.t_mark[i]
        self.h_left[i] -= self.h_rate[i] * gone
        self.d_left[i] -= self.d_rate[i] * gone
        self.t_mark[i] = now
        key = self.key[i]
        # The first budgets come with the person's own draws; later ones are keyed
        # by the person and their count.
        if fresh == "life":
            n = self.n_life[i]
            u = self.u_life0[i] if n == 0 else uniform(self.seed, "lifetime", key, n)
            self.h_left[i] = -math.log1p(-u)
            self.n_life[i] = n + 1
        if fresh in ("life", "drift") or self.d_left[i] == math.inf:
            n = self.n_drift[i]
            u = self.u_drift0[i] if n == 0 else uniform(self.seed, "drift", key, n)
            self.d_left[i] = -math.log1p(-u)
            self.n_drift[i] = n + 1
        s = self.state[i]
        if self.states_model:
            memb = self.member_effect if self.member[i] else 1.0
            h, d = self.hazard[s] * memb, self.drift[s] * memb
        elif self.rel.model == "pareto_nbd":
            mu = self.mu[i]
            if self.member[i]:
                mu *= self.sc.experience.loyalty_member_churn
            h, d = mu, 0.0
        else:
            h = d = 0.0
        self.h_rate[i], self.d_rate[i] = h, d
        t_lost = now + max(self.h_left[i], 0.0) / h if h > 0 else math.inf
        t_drift = now + max(self.d_left[i], 0.0) / d if d > 0 else math.inf
        if t_lost <= t_drift:
            self.clock_t[i], self.clock_kind[i] = t_lost, LOST
        else:
            self.clock_t[i], self.clock_kind[i] = t_drift, s + 1

    def change_state(self, i: int, new: int, cause: str) -> None:
        """Person ``i``'s relationship moves to state ``new`` now, because of ``cause``."""
        old = self.state[i]
        if new == old:
            return
        now = self.env.now
        self.state[i] = new
        m = self.market[i]
        self.counts[m][old] -= 1
        self.counts[m][new] += 1
        self.states_log.append(i, now, old, new, CAUSE_CODE[cause])
        self.messenger.response[2 * i] = self.messenger.response[2 * i + 1] = self.response[new]
        if new == LOST:
            # Spend the clocks up to now, then stop them while the person is gone.
            gone = now - self.t_mark[i]
            self.h_left[i] -= self.h_rate[i] * gone
            self.d_left[i] -= self.d_rate[i] * gone
            self.t_mark[i] = now
            self.h_rate[i] = self.d_rate[i] = 0.0
            self.clock_t[i] = math.inf
            self.drop(i)
        else:
            self._start_clock(i, "drift" if cause == "drift" else "")
        self._wake(i, "state")

    def _wake(self, i: int, why: str) -> None:
        """Make ``i``'s lifecycle recompute: interrupt it, or start it again if it had finished."""
        proc = self.procs[i]
        if proc is None or proc is self.env.active_process:
            # Arriving (their lifecycle starts next), or their own process,
            # which carries on with the new state.
            return
        if proc is not None and proc.is_alive:
            proc.interrupt(why)
        elif self.alive[i] and self.arrived[i]:
            # It ended when nothing more was due before the horizon; a warmer
            # state or an advisor's call may have made something due.
            self.procs[i] = self.env.process(
                lifecycle(self.env, self, i, self.next_cand[i], self.stage_of[i])
            )

    def impression(self, i: int, kind: str, cause: str, u: float) -> None:
        """A touchpoint left ``kind`` (positive / neutral / negative) on ``i``; ``u`` decides its effect."""
        if not self.alive[i]:
            return
        if not self.states_model:
            if kind == "negative" and cause in ("service_contact", "repair"):
                self.experience(i, True, u)
            return
        rel = self.rel
        s = self.state[i]
        if kind == "positive":
            if s > COMMITTED and u < rel.up_prob:
                self.change_state(i, s - 1, cause)
            return
        memb = self.member_effect if self.member[i] else 1.0
        chance = rel.down_prob * memb
        if kind == "negative":
            chance *= rel.negative_factor
            if cause in ("service_contact", "repair"):
                chance *= self.sc.experience.bad_service_churn
        if u < min(chance, 1.0):
            self.change_state(i, s + 1, cause)

    def dropout_prob(self, i: int) -> float:
        """BG/NBD core: chance person ``i`` leaves after the purchase just made."""
        if self.rel.model != "bgnbd":
            return 0.0
        exp = self.sc.experience
        p = self.p[i]
        if self.member[i]:
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

    def lose(self, i: int, cause: str) -> None:
        """Person ``i`` is lost now (the relationship ends): recorded as a move to *lost*."""
        if self.alive[i]:
            self.change_state(i, LOST, cause)

    def experience(self, i: int, bad: bool, u: float) -> None:
        """Textbook cores: a bad service experience may end the relationship at once."""
        extra = self.sc.experience.bad_service_churn - 1.0
        p = self.p[i] if self.rel.model == "bgnbd" else 1.0 - math.exp(-365.0 * self.mu[i])
        if bad and extra > 0 and self.alive[i] and u < min(1.0, p * extra):
            self.lose(i, "service_contact")

    def revive(self, i: int) -> None:
        """A win-back action brings a lost customer back (once per person), as *cooling*."""
        if self.alive[i] or not math.isnan(self.won_back[i]) or math.isnan(self.first_drop[i]):
            return
        self.alive[i] = True
        self.won_back[i] = self.env.now
        self.final_drop[i] = np.nan
        new = COOLING if self.states_model else ENGAGED
        old = self.state[i]
        self.state[i] = new
        m = self.market[i]
        self.counts[m][old] -= 1
        self.counts[m][new] += 1
        self.states_log.append(i, self.env.now, old, new, CAUSE_CODE["win_back"])
        self.messenger.response[2 * i] = self.messenger.response[2 * i + 1] = self.response[new]
        self._start_clock(i, "life")
        self._wake(i, "won back")

    def refer(self, i: int, r: int) -> None:
        """Person ``i`` recommends the brand (their referral candidate ``r``), if the state says so."""
        if self.ref_level[r] < self.ref_rate[self.state[i]]:
            k = r - self.ref_first[i]
            self.referral_leads.append(i, self.env.now, k)
            self.pending.append((i, k, self.env.now))

    def clock_event(self, i: int) -> None:
        """Person ``i``'s relationship clock rang: lost (the hazard) or one step cooler (drift)."""
        kind = self.clock_kind[i]
        self.change_state(i, kind, "hazard" if kind == LOST else "drift")

    def set_stage(self, i: int, stage: str, when: float | None = None) -> None:
        """Record a lifecycle stage change of person ``i`` (now, or at ``when``)."""
        self.stage_of[i] = stage
        self.stages.append(i, self.env._now if when is None else when, STAGE_CODE[stage])

    def purchase(self, i: int, j: int) -> None:
        """Person ``i`` buys candidate purchase ``j`` now, on one of their profiles."""
        env = self.env
        t = env._now  # env.now without the property call (hot path)
        k = 2 * i
        if t >= self.dup_at[i] and self.u_route[j] < 0.5:
            k += 1  # the person used their second profile
        orders = self.orders
        order = self._n_orders
        self._n_orders = order + 1
        orders.append(i, k, j, t, self.state[i])
        gross = self.value[j]
        cum = self.cum_spend
        spend = cum[i] = cum[i] + gross
        self.last_purchase[i] = t
        msg = self.messenger
        msg.last_purchase[k] = t
        m = self.market[i]
        desk_on = self._desk_active[m]
        top = self.top[i]
        if desk_on and not top and spend >= self._top_spend:
            top = self.top[i] = True
            self.top_clients.append(i)
            msg.top[2 * i] = msg.top[2 * i + 1] = True
        if not top:
            # Top clients hear from their advisor, not from the automation.
            msg.send(
                k, "thank_you", self.ckey[j], self.thank_you_draw(i, j) if k == 2 * i else None
            )
        if self.u_contact[j] < self._contact_prob:
            env.process(service_contact(env, self, i, k, order, j))
        if self.u_repair[j] < self._repair_prob:
            env.process(repair_journey(env, self, i, k, order, j))
        if desk_on and gross >= self._thank_you_threshold:
            self.desks[m].add(i, k, "thank_you_call", self.ckey[j])
        if self.states_model:
            kind = "positive" if self.u_delight[j] < self._delight else "neutral"
            self.impression(i, kind, "purchase", self.u_impression[j])

    def at_risk(self, i: int) -> None:
        """At-risk journey: valuable clients get a call from their advisor."""
        if self.cum_spend[i] >= self.sc.advisors.thank_you_threshold:
            # A person turns at risk at most once a day: the day keys the call.
            self.desks[self.market[i]].add(i, 2 * i, "win_back_call", int(self.env.now))

    def lapsed(self, i: int) -> None:
        """Lapsed journey: a win-back message, which may bring a lost customer back."""
        out = self.messenger.send(2 * i, "win_back", int(self.env.now))
        if out is not None and out["bounce"] == "none" and not self.alive[i]:
            if uniform(self.seed, "win-back", self.key[i], 0) < self.sc.experience.win_back_rate:
                self.revive(i)

    def _advisor_reached(self, person: int, profile: int, task_type: str, key: int) -> None:
        now = self.env.now
        self.reach_l[person] = now
        exp = self.sc.experience
        u_yes, u_when = uniform_row(self.seed, "advisor-response", self.key[person], 2, 0)
        if self.alive[person] and u_yes < exp.advisor_responsive:
            days = 1.0 + (self.sc.advisors.attribution_days - 1.0) * u_when
            self.pulled[person] = min(self.pulled[person], now + days)
            self._wake(person, "advisor call")
        if task_type == "win_back_call" and not self.alive[person]:
            if uniform(self.seed, "win-back", self.key[person], 1) < min(
                1.0, 3.0 * exp.win_back_rate
            ):
                self.revive(person)
        if self.states_model:
            u = uniform(self.seed, f"imp-advisor:{task_type}", self.key[person], key)
            self.impression(person, "positive", "advisor_contact", u)

    def record_ticket(self, ticket: Ticket) -> None:
        """Store one service contact."""
        self.tickets.append(ticket)

    def centre_of(self, i: int) -> CallCentre:
        """The contact centre of person ``i``'s market."""
        return self.centres[self.market[i]]

    def workshop_of(self, i: int) -> Workshop:
        """The repair workshop of person ``i``'s market."""
        return self.workshops[self.market[i]]

    def desk_of(self, i: int) -> AdvisorDesk:
        """The advisor desk of person ``i``'s market."""
        return self.desks[self.market[i]]

    # ------------------------------------------------------------------ processes
    def _referral_intake(self):
        """Weekly: the friends recommended last week join (their first purchase comes later)."""
        env = self.env
        if not self.states_model:
            return
        referral = ACQUISITION_CHANNELS.index("referral")
        while True:
            yield env.timeout(REFERRAL_WEEK)
            if not self.pending or env.now >= self.horizon:
                if env.now >= self.horizon:
                    return
                continue
            batch, self.pending = self.pending, []
            keys = np.array([referred_key(self.key[i], k) for i, k, _ in batch], dtype=np.int64)
            t_tip = np.array([t for _, _, t in batch])
            # The friend's first purchase: a week after the tip at the earliest.
            delay = -self.sc.acquisition.days_to_convert * np.log1p(
                -uniforms(self.seed, "referral-delay", keys)
            )
            t0 = np.maximum(t_tip + REFERRAL_WEEK + delay, env.now)
            keep = t0 < self.horizon
            if not keep.any():
                continue
            self._add_people(
                keys[keep],
                t0[keep],
                referral,
                [i for (i, _, _), ok in zip(batch, keep, strict=True) if ok],
                t_tip[keep],
            )

    def _message_impressions(self):
        """Daily: the day's clicks (positive) and complaints or unsubscribes (negative) move states."""
        env, msg = self.env, self.messenger
        if not self.states_model:
            return
        day = 0
        while True:
            yield env.timeout(1.0 - 1e-6 if day == 0 else 1.0)
            day += 1
            if env.now >= self.horizon:
                return
            events = msg.take_impressions()
            if events is None:
                continue
            profiles, kinds = events
            person = profiles >> 1
            # A person's day: negative if any message was, else positive.
            order = np.lexsort((-kinds, person))
            person, kinds = person[order], kinds[order]
            first = np.concatenate([[True], person[1:] != person[:-1]])
            person, kinds = person[first], kinds[first]
            keys = np.array([self.key[i] for i in person.tolist()], dtype=np.int64)
            u = uniforms(self.seed, "imp-message", keys, day)
            for i, kind, ui in zip(person.tolist(), kinds.tolist(), u.tolist(), strict=True):
                self.impression(i, "positive" if kind == 0 else "negative", "message", ui)

    def _shared_calls(self, market: int) -> None:
        """The group's other brands' calls in one market's centre, drawn up front.

        Every call of the horizon (day, time, patience, handling time) comes
        from the calls' own stream, so they are the same whatever our
        customers do or however many agents answer. They need no outcome, so
        they load the centre's queue without a SimPy event each
        (:meth:`CallCentre.add_background`).
        """
        svc = self.sc.service
        traffic = self.traffic[market]
        if traffic <= 0:
            return
        per_day = traffic * svc.open_hours * 60.0 / svc.handle_minutes
        open_days = svc.open_hours / 24.0
        days = math.ceil(self.horizon)
        rng = stream(self.seed, "shared-calls", market)
        # Poisson arrivals within each day's opening hours.
        count = rng.poisson(per_day, days)
        day = np.repeat(np.arange(days), count).astype(float)
        ring_at = day + 9.0 / 24 + rng.random(int(count.sum())) * open_days
        drawn = rng.standard_exponential((len(ring_at), 2)) * [
            svc.patience_minutes,
            svc.handle_minutes,
        ]
        # Rung as a timer set at the start of its day would ring: day + (time - day).
        ring_at = day + (ring_at - day)
        patience = drawn[:, 0] if svc.patience_minutes else np.full(len(ring_at), np.nan)
        self.centres[market].add_background(ring_at, patience, drawn[:, 1])

    def _clienteling(self):
        """Weekly: advisors check in with top clients; monthly: event invitations."""
        env, cfg = self.env, self.sc.advisors
        if not any(d.active for d in self.desks):
            return
        week = 0
        next_month = 30.4375
        month = 0
        while True:
            yield env.timeout(7.0)
            week += 1
            now = env.now
            due = now - cfg.check_in_days
            recent = now - 365.0
            last, reach = self.last_purchase, self.reach_l
            planned = self.next_check_in
            for i in self.top_clients:
                # One check-in per check_in_days at most, reached or not.
                if last[i] >= recent and reach[i] <= due and planned[i] <= now:
                    planned[i] = now + cfg.check_in_days
                    self.desks[self.market[i]].add(i, 2 * i, "check_in", week)
            if now >= next_month and cfg.event_invites_per_month:
                next_month += 30.4375
                month += 1
                spend = np.asarray(self.cum_spend)
                market = np.asarray(self.market, dtype=np.int64)
                recent_ok = np.asarray(last) >= recent
                # Each market's desk invites its own share of the brand's places.
                for k, places in enumerate(self.invites):
                    idx = np.flatnonzero(recent_ok & (market == k))
                    order = idx[np.argsort(-spend[idx], kind="stable")]
                    for i in order[:places].tolist():
                        self.desks[k].add(i, 2 * i, "event_invitation", month)

    def run(self, progress: bool = False) -> None:
        """Run the world to the end of the horizon (optionally with a progress bar)."""
        env = self.env
        env.process(self.messenger.newsletters())
        env.process(self.messenger.birthdays())
        markets = range(len(self.market_names)) if self.shard is None else [self.shard]
        for m in markets:
            env.process(self.desks[m].workday())
        env.process(self._clienteling())
        for m in markets:
            self._shared_calls(m)
        env.process(self._referral_intake())
        env.process(self._message_impressions())
        steps = np.minimum(np.arange(30.0, self.horizon + 30.0, 30.0), self.horizon)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            where = "" if self.shard is None else f" ({self.market_names[self.shard]})"
            bar = tqdm(total=len(steps), unit="month", desc=f"Simulating {self.sc.name}{where}")
        for until in steps:
            env.run(until=until)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

    # ------------------------------------------------------------------ records
    def records(self) -> RunRecords:
        """What the run recorded, renumbered to the customers, with every random outcome resolved."""
        sc, seed = self.sc, self.seed
        tl = Timelines.join(self.cohorts)
        arrived = np.asarray(self.arrived, dtype=bool)
        people = np.flatnonzero(arrived)
        n = len(people)
        new_person = np.full(self.n_people, -1, dtype=np.int64)
        new_person[people] = np.arange(n)
        if self.deferred_keys:
            keys = np.concatenate(self.deferred_keys)
            self.identity_parts.append(
                build_identities(seed, keys, sc.population, sc.data_quality, self.start)
            )
            self.deferred_keys = []
        ident_all = pd.concat(self.identity_parts, ignore_index=True)
        dup_all = pd.concat(self.dup_parts)
        dup_all = dup_all[arrived[dup_all.index.to_numpy()]]
        dup_people = dup_all.index.to_numpy(dtype=np.int64)  # old numbering
        dup_at = np.asarray(self.dup_at)
        # Profiles: every customer's first, then the second registrations.
        new_profile = np.full(2 * self.n_people, -1, dtype=np.int64)
        new_profile[2 * people] = np.arange(n)
        new_profile[2 * dup_people + 1] = n + np.arange(len(dup_people))
        profiles = pd.concat(
            [ident_all.iloc[people].reset_index(drop=True), dup_all.reset_index(drop=True)],
            ignore_index=True,
        )
        profiles["email"] = unique_emails(profiles["email"].to_numpy(dtype=object))
        profile_person = np.concatenate([np.arange(n), new_person[dup_people]])
        old_profile = np.concatenate([2 * people, 2 * dup_people + 1])

        log = self.orders.to_numpy()
        home = np.empty(2 * self.n_people, dtype=object)
        home[old_profile] = profiles["home_country"].to_numpy(dtype=object)
        orders = order_records(tl, log, home, sc, self.advisor_of(tl))
        orders["customer_id"] = new_profile[log["profile"]] + 1
        orders["person"] = new_person[log["person"]]
        orders["state"] = np.asarray(RELATIONSHIP_STATES, dtype=object)[log["state"]]
        # Product categories: keyed draws on the state each order was placed in.
        home_cat = home_categories(seed, tl.key)
        cats = np.asarray(PRODUCT_CATEGORIES, dtype=object)
        orders["category"] = cats[
            order_categories(seed, home_cat[log["person"]], orders["candidate"], log["state"])
        ]
        member = np.asarray(self.member, dtype=bool)[people]
        t0 = np.asarray(self.t0)[people]
        ledger = ledger_records(orders, member, t0, sc.loyalty, self.horizon, seed)
        tickets = ticket_records(self.tickets)
        if len(tickets):
            tickets["customer_id"] = new_profile[tickets["customer_id"].to_numpy() - 1] + 1
            tickets["person"] = new_person[tickets["person"].to_numpy()]
        states = self.states_log.to_numpy()
        states["person"] = new_person[states["person"]]
        surveys = survey_records(orders, tickets, sc.service, self.horizon, seed, states)
        leads = build_leads(
            _Leads(tl, people), ident_all["generation"].to_numpy()[people], sc, seed,
            lost=self.lost_leads.to_numpy(), referral_tips=self._tips(new_person),
        )  # fmt: skip
        leads.insert(0, "lead_id", np.arange(1, len(leads) + 1))
        adv = self._advisor_table(new_person, new_profile)
        messages, campaigns = self.messenger.tables(new_profile + 1)
        stages = self.stages.to_numpy()
        stages["person"] = new_person[stages["person"]]
        keep_stage = stages["person"] >= 0
        stages = {k: v[keep_stage] for k, v in stages.items()}
        referrer = np.asarray(self.referrer, dtype=np.int64)[people]
        referrer = np.where(referrer >= 0, new_person[np.maximum(referrer, 0)] + 1, -1)
        final_state = np.asarray(self.state, dtype=np.int64)[people]
        return RunRecords(
            n=n,
            horizon=self.horizon,
            events=self.env.processed,
            profiles=profiles,
            profile_person=profile_person,
            dup_people=new_person[dup_people],
            dup_time=dup_at[people],
            people={
                "lam": tl.lam[people],
                "p": tl.p[people],
                "nu": tl.nu[people],
                "mu": tl.mu[people],
                "t0": t0,
                "acq_channel": tl.acq_channel[people],
                "member": member,
                # Rounded: numpy's vectorised exp differs in the last bit between
                # CPUs (with and without AVX-512), and the truth must be the same
                # bytes on every machine.
                "enrol_propensity": np.round(np.asarray(self.enrol_p)[people], 6),
                "state0": tl.state0[people],
                "final_state": final_state,
                "home_category": home_cat[people],
                "market": np.asarray(self.market, dtype=np.int64)[people],
                "first_drop": np.asarray(self.first_drop)[people],
                "final_drop": np.asarray(self.final_drop)[people],
                "won_back": np.asarray(self.won_back)[people],
                "rate_multiplier": self._trait(tl, "purchase_rate")[people],
                "spend_multiplier": self._trait(tl, "spend")[people],
            },
            consent={ch: self.messenger.consent[ch][old_profile] for ch in self.messenger.consent},
            opt_out=self.messenger.opt_out[old_profile],
            orders=orders,
            ledger=ledger,
            tickets=tickets,
            surveys=surveys,
            leads=leads,
            referrer=referrer,
            advisor_tasks=adv,
            messages=messages,
            campaigns=campaigns,
            stages=stages,
            states=states,
            markets=self.market_table(),
        )

    def _trait(self, tl: Timelines, name: str) -> np.ndarray:
        if not self.states_model:
            return np.ones(tl.n)
        table = self.sc.acquisition.channel_traits
        return np.array([table[c][name] for c in ACQUISITION_CHANNELS])[tl.acq_channel]

    def advisor_of(self, tl: Timelines) -> np.ndarray:
        """Each person's own advisor (an advisor of their market), 0 where the market has none."""
        market = np.asarray(self.market, dtype=np.int64)
        out = np.zeros(self.n_people, dtype=np.int64)
        for k, desk in enumerate(self.desks):
            m = market == k
            if desk.advisors:
                pick = np.floor(tl.advisor_u[m] * desk.advisors).astype(np.int64)
                out[m] = desk.first + np.minimum(pick, desk.advisors - 1)
        return out

    def market_table(self) -> pd.DataFrame:
        """Markets with their expected customer share and teams."""
        return pd.DataFrame(
            {
                "market": list(self.market_names),
                "expected_share": [self.shares[m] for m in self.market_names],
                "agents": [self.agents_by_market[m] for m in self.market_names],
                "benches": [self.benches_by_market[m] for m in self.market_names],
                "advisors": [self.advisors_by_market[m] for m in self.market_names],
                "app_users": [d.app_users for d in self.desks],
            }
        )

    def _tips(self, new_person: np.ndarray) -> dict[str, np.ndarray]:
        """Referral tips: who recommended the brand when, and whether the friend became a customer."""
        tips = self.referral_leads.to_numpy()
        keys = np.array(
            [referred_key(self.key[i], k) for i, k in zip(tips["person"], tips["k"], strict=True)],
            dtype=np.int64,
        )
        by_key = {k: i for i, k in enumerate(self.key) if k >= (1 << 45)}
        friend = np.array([by_key.get(int(k), -1) for k in keys], dtype=np.int64)
        converted = (friend >= 0) & (new_person[np.maximum(friend, 0)] >= 0)
        return {
            "t": tips["t"],
            "referrer": new_person[tips["person"]],
            "person": np.where(converted, new_person[np.maximum(friend, 0)], -1),
            "market": np.asarray(self.market, dtype=np.int64)[tips["person"]]
            if len(tips["t"])
            else np.zeros(0, dtype=np.int64),
            "key": keys,
        }

    def _advisor_table(self, new_person: np.ndarray, new_profile: np.ndarray) -> pd.DataFrame:
        rows = [r for d in self.desks for r in d.records]
        adv = pd.DataFrame(
            rows,
            columns=[
                "advisor_id", "profile", "t_created", "t_done", "task_type", "outcome",
                "person", "task_key", "via_app",
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
                "via_app": bool,
            }
        )
        adv["customer_id"] = new_profile[adv.pop("profile").to_numpy()] + 1
        adv["person"] = new_person[adv["person"].to_numpy()]
        adv = adv.sort_values(["t_done", "advisor_id", "t_created"], kind="stable")
        adv = adv.reset_index(drop=True)
        adv.insert(0, "task_id", np.arange(1, len(adv) + 1))
        return adv


class _Leads:
    """The per-person columns :func:`sim.world.prospects.build_leads` reads, for the customers."""

    def __init__(self, tl: Timelines, people: np.ndarray) -> None:
        self.acq_channel = tl.acq_channel[people]
        self.t0 = tl.t0[people]
        self.lead_delay = tl.lead_delay[people]
        self.lead_features = tl.lead_features[people]
        self.key = tl.key[people]
        self.n = len(people)


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


def run(
    scenario: Scenario, seed: int = 0, progress: bool = False, market: str | None = None
) -> RunRecords:
    """Run the brand described by ``scenario`` with ``seed`` and return its records.

    ``market`` runs one shard: only the people living in that market (and the
    friends they refer), with its own contact centre, workshop and advisors;
    ``None`` runs every market in one environment. A person's story is the same
    either way (see the module notes on shards).

    >>> from sim.scenario import preset
    >>> rec = run(preset("default").with_overrides({"population": {"customers": 200, "years": 1}}), seed=1)
    >>> len(rec.orders) > 200
    True
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    with _collector_paused():
        world = World(scenario, seed, market=market)
        world.run(progress=progress)
        return world.records()
