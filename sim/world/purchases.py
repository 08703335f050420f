"""The buy-till-you-die purchase core, drawn vectorised for the whole population.

Each person has a latent purchase rate λ ~ Gamma(r, α), a dropout probability
p ~ Beta(a, b) and a spend scale ν ~ Gamma(q, γ) (Gamma-Gamma model). While
alive they buy at the times of a Poisson(λ) process; after each repeat
purchase they drop out with probability p (times the experience multipliers).

Because a Poisson process is memoryless, the whole *candidate* timeline — every
purchase the person would make if they never dropped out — can be drawn up
front with numpy, together with every per-purchase random number (dropout
uniform, basket value, channel, travel, discount, service contact, repair,
survey). The SimPy customer process then only walks this timeline and decides,
purchase by purchase, whether the person is still there. That keeps the
simulation fast and gives common random numbers across what-if scenarios: the
same seed gives the same people and the same candidate purchases.

Draws come in blocks of :data:`sim.world.seeding.BLOCK` people, each from its own
stream, so person ``i`` is the same whatever the population size. A candidate
purchase's row index is prefix-stable too (rows are concatenated block by
block), so the draws made later about an order — its call's patience, its
repair's work content, its survey answer — are keyed by that index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.geography import TRAVEL_DESTINATIONS, currency_of
from sim.scenario import Scenario
from sim.vocab import ACQUISITION_CHANNELS, ORDER_CHANNELS
from sim.world.seeding import BLOCK, stream

__all__ = [
    "CONTACT_DRAWS",
    "REPAIR_DRAWS",
    "Timelines",
    "acquisition_day",
    "draw_timelines",
    "expected_purchases",
    "order_records",
    "waking_hours",
]


@dataclass
class Timelines:
    """Per-person traits and the flat table of candidate purchases.

    Person ``i``'s candidate purchases are rows ``start[i]:end[i]`` of the
    event arrays, in time order; the first one is the first purchase (at
    acquisition), the others are repeat purchases.
    """

    # per person
    lam: np.ndarray
    p: np.ndarray
    nu: np.ndarray
    t0: np.ndarray  # acquisition = first purchase, days from start
    acq_channel: np.ndarray  # index into ACQUISITION_CHANNELS
    lead_delay: np.ndarray  # days from lead to first purchase
    usual_channel: np.ndarray  # index into ORDER_CHANNELS
    traveller: np.ndarray
    u_enrol: np.ndarray
    u_duplicate: np.ndarray
    duplicate_delay: np.ndarray  # days after the first purchase when a 2nd profile is made
    advisor_u: np.ndarray
    u_consent_social: np.ndarray
    lead_features: np.ndarray  # (n, 4): pages, opens, event, invalid email
    start: np.ndarray
    end: np.ndarray
    # per candidate purchase
    ev_time: np.ndarray
    u_drop: np.ndarray
    basket: np.ndarray  # Gamma(spend_p, 1) draw; value = basket / ν
    u_channel: np.ndarray
    alt_channel: np.ndarray
    u_travel: np.ndarray
    u_dest: np.ndarray
    u_discount: np.ndarray
    u_contact: np.ndarray
    u_repair: np.ndarray
    u_survey: np.ndarray
    u_route: np.ndarray
    u_serve: np.ndarray
    contact_u: np.ndarray  # (events, CONTACT_DRAWS)
    repair_u: np.ndarray  # (events, REPAIR_DRAWS)
    u_winback: np.ndarray  # (people, 2): after a win-back message, after a call
    u_advisor: np.ndarray  # (people, 2): answers advisors' calls?, days until the purchase

    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.lam)


def acquisition_day(u: np.ndarray, horizon: float, growth_per_year: float) -> np.ndarray:
    """Acquisition day from a uniform draw, for volume growing by ``growth`` a year.

    Inverse CDF of a density proportional to ``(1 + g) ** (t / 365)`` on
    ``[0, horizon)``.
    """
    g = growth_per_year
    if abs(g) < 1e-12:
        return u * horizon
    k = np.log1p(g) / 365.0
    return np.log1p(u * np.expm1(k * horizon)) / k


CONTACT_DRAWS = (
    9  # delay, hour, reason, phone?, other channel, handle, extra contacts, effort, leave?
)
REPAIR_DRAWS = 5  # delay, rejected?, effort, handle, leave?


def waking_hours(t: np.ndarray) -> np.ndarray:
    """Move each time within its day into 8 a.m.–10 p.m., keeping the order of times.

    Purchases are drawn on a continuous clock; shops and screens are busy in
    the day, so the time of day is squeezed into waking hours. The day itself
    (and so every count per day) is unchanged.
    """
    day = np.floor(t)
    return day + (8.0 + 14.0 * (t - day)) / 24.0


def _draw_block(rng: np.random.Generator, sc: Scenario) -> dict[str, np.ndarray]:
    pu, ac = sc.purchases, sc.acquisition
    horizon = sc.horizon_days
    size = BLOCK
    out: dict[str, np.ndarray] = {}
    # Traits first, in a fixed order: later additions go at the end so
    # existing draws never move.
    out["lam"] = rng.gamma(pu.r, 1.0 / pu.alpha, size)
    out["p"] = rng.beta(pu.a, pu.b, size)
    out["nu"] = rng.gamma(pu.spend_q, 1.0 / pu.spend_gamma, size)
    t0_raw = acquisition_day(rng.random(size), horizon, ac.growth_per_year)
    out["t0"] = waking_hours(t0_raw)
    mix = np.array([ac.channel_mix.get(c, 0.0) for c in ACQUISITION_CHANNELS])
    out["acq_channel"] = rng.choice(len(mix), size=size, p=mix / mix.sum())
    delay = rng.exponential(max(ac.days_to_convert, 1e-9), size)
    walk_in = out["acq_channel"] == ACQUISITION_CHANNELS.index("store_walk_in")
    out["lead_delay"] = np.where(walk_in, 0.0, np.minimum(delay, out["t0"]))
    cmix = np.array([pu.channel_mix.get(c, 0.0) for c in ORDER_CHANNELS])
    out["usual_channel"] = rng.choice(len(cmix), size=size, p=cmix / cmix.sum())
    out["traveller"] = rng.random(size) < pu.traveller_share
    out["u_enrol"] = rng.random(size)
    out["u_duplicate"] = rng.random(size)
    out["duplicate_delay"] = rng.uniform(20.0, 400.0, size)
    out["advisor_u"] = rng.random(size)
    out["u_consent_social"] = rng.random(size)
    out["lead_features"] = np.column_stack(
        [
            rng.poisson(8.0, size),
            rng.poisson(3.0, size),
            rng.random(size) < 0.25,
            rng.random(size) < 0.01,
        ]
    ).astype(np.int64)
    # Candidate repeat purchases: Poisson(λ) process on (t0, horizon].
    n_rep = rng.poisson(out["lam"] * (horizon - t0_raw))
    counts = n_rep + 1
    total = int(counts.sum())
    owner = np.repeat(np.arange(size), counts)
    first = np.zeros(total, dtype=bool)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    first[starts] = True
    span = horizon - t0_raw[owner]
    offset = np.where(first, 0.0, rng.random(total) * span)
    # Sort within person: key = owner, then time offset.
    order = np.lexsort((offset, owner))
    # The Poisson process runs on the raw clock; mapping it into waking hours
    # is monotone, so each person's purchases keep their order.
    out["ev_time"] = waking_hours(t0_raw[owner] + offset)[order]
    out["counts"] = counts
    out["u_drop"] = rng.random(total)
    out["basket"] = rng.gamma(pu.spend_p, 1.0, total)
    out["u_channel"] = rng.random(total)
    out["alt_channel"] = rng.integers(0, len(ORDER_CHANNELS) - 1, total)
    out["u_travel"] = rng.random(total)
    out["u_dest"] = rng.random(total)
    out["u_discount"] = rng.random(total)
    out["u_contact"] = rng.random(total)
    out["u_repair"] = rng.random(total)
    out["u_survey"] = rng.random(total)
    out["u_route"] = rng.random(total)
    out["u_serve"] = rng.random(total)
    # Everything a purchase may set off (a service contact, a repair, the
    # decision to leave after a bad experience) and a person's response to
    # win-back actions are drawn here too, keyed to that purchase or person,
    # so that a what-if changing one customer's path leaves every other
    # customer's draws alone (common random numbers).
    out["contact_u"] = rng.random((total, CONTACT_DRAWS), dtype=np.float32)
    out["repair_u"] = rng.random((total, REPAIR_DRAWS), dtype=np.float32)
    out["u_winback"] = rng.random((size, 2), dtype=np.float32)
    out["u_advisor"] = rng.random((size, 2), dtype=np.float32)  # responsive?, when
    return out


_PERSON = (
    "lam", "p", "nu", "t0", "acq_channel", "lead_delay", "usual_channel", "traveller",
    "u_enrol", "u_duplicate", "duplicate_delay", "advisor_u", "u_consent_social", "lead_features",
    "u_winback", "u_advisor",
)  # fmt: skip
_EVENT = (
    "ev_time", "u_drop", "basket", "u_channel", "alt_channel", "u_travel", "u_dest",
    "u_discount", "u_contact", "u_repair", "u_survey", "u_route", "u_serve", "contact_u",
    "repair_u",
)  # fmt: skip


def draw_timelines(scenario: Scenario, seed: int, n: int | None = None) -> Timelines:
    """Draw traits and candidate purchases for the first ``n`` people (prefix-stable)."""
    n = scenario.population.customers if n is None else n
    n_blocks = -(-n // BLOCK)
    person: dict[str, list[np.ndarray]] = {k: [] for k in _PERSON}
    event: dict[str, list[np.ndarray]] = {k: [] for k in _EVENT}
    counts = []
    for b in range(n_blocks):
        block = _draw_block(stream(seed, "purchases", b), scenario)
        keep = min(BLOCK, n - b * BLOCK)
        n_ev = int(block["counts"][:keep].sum())
        for k in _PERSON:
            person[k].append(block[k][:keep])
        for k in _EVENT:
            event[k].append(block[k][:n_ev])
        counts.append(block["counts"][:keep])
    cnt = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    end = np.cumsum(cnt)
    start = end - cnt
    cat = {k: np.concatenate(v) for k, v in {**person, **event}.items()}
    return Timelines(start=start, end=end, **cat)


def expected_purchases(r: float, alpha: float, a: float, b: float, t: float) -> float:
    """BG/NBD E[X(t)]: expected repeat purchases of a new customer in (0, t].

    Fader, Hardie & Lee (2005), equation 7.
    """
    from scipy.special import hyp2f1

    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


SERVED_BY_ADVISOR = 0.6  # share of store orders rung up by the client's own advisor


def order_records(
    tl: Timelines,
    log: dict[str, np.ndarray],
    home_country: np.ndarray,
    sc: Scenario,
) -> pd.DataFrame:
    """What each purchase made in the run was: value, channel, country, discount, advisor.

    ``log`` is the run's order log (``person, profile, candidate, t``);
    ``home_country`` is indexed by profile. Everything here is read from the
    candidate purchase's own draws, so it needs no time or state.
    """
    person, profile, ev, t = log["person"], log["profile"], log["candidate"], log["t"]
    pu = sc.purchases
    gross = _money(tl.basket[ev] / tl.nu[person])
    usual = tl.usual_channel[person]
    alt = tl.alt_channel[ev]
    alt = alt + (alt >= usual)  # one of the two other channels
    ch_idx = np.where(tl.u_channel[ev] < pu.channel_loyalty, usual, alt)
    channel = np.asarray(ORDER_CHANNELS)[ch_idx]
    home = home_country[profile]
    dests = np.array(list(TRAVEL_DESTINATIONS), dtype=object)
    cum = np.cumsum(list(TRAVEL_DESTINATIONS.values()))
    dest = dests[np.minimum(np.searchsorted(cum / cum[-1], tl.u_dest[ev]), len(dests) - 1)]
    abroad = (
        tl.traveller[person]
        & (tl.u_travel[ev] < pu.travel_purchase_prob)
        & (channel == "store")
        & (dest != home)
    )
    country = np.where(abroad, dest, home)
    codes = pd.unique(country)
    # dtype=object: an empty run must still give a text column, not float64.
    currency = pd.Series(country, dtype=object).map({c: currency_of(c) for c in codes})
    currency = currency.to_numpy(dtype=object)
    promo = _money(np.where(tl.u_discount[ev] < pu.discount_prob, gross * pu.discount_rate, 0.0))
    n_adv = sc.advisors.advisors
    served = (channel == "store") & (tl.u_serve[ev] < SERVED_BY_ADVISOR) & (n_adv > 0)
    advisor = np.floor(tl.advisor_u[person] * max(n_adv, 1)).astype(np.int64) + 1
    return pd.DataFrame(
        {
            "order_id": np.arange(1, len(t) + 1),
            "customer_id": profile + 1,
            "person": person,
            "t": t,
            "channel": channel,
            "country": country,
            "cross_border": abroad,
            "currency": currency,
            "gross_amount": gross,
            "discount_amount": promo,
            "advisor_id": pd.Series(advisor, dtype="Int64").where(served),
            "u_survey": tl.u_survey[ev],
            # The candidate purchase: what later draws about this order are keyed by.
            "candidate": ev,
        }
    )


def _money(x: np.ndarray) -> np.ndarray:
    return np.round(x, 2)
