"""Who the customers are and when they could buy: traits and candidate purchases, vectorised.

Each person has a latent purchase rate λ ~ Gamma(r, α) (times their
acquisition channel's multiplier), a spend scale ν ~ Gamma(q, γ) (Gamma-Gamma
model; divided by the channel's spend multiplier), a dropout probability
p ~ Beta(a, b) (the BG/NBD core), a lifetime rate μ ~ Gamma(s, β) (the
Pareto/NBD core) and the relationship state they start in.

Purchases are a Poisson process whose intensity moves with the relationship
state and the calendar. It is drawn by *thinning*: every candidate purchase
of a Poisson process at the person's highest possible intensity is drawn up
front, with all its random numbers; when the time of a candidate comes, the
customer process keeps it with probability (intensity now) / (highest
intensity). That keeps the simulation fast and gives common random numbers
across what-if scenarios: the same seed gives the same people and the same
candidate purchases.

Every draw is keyed (see :func:`sim.world.seeding.uniforms`): a person's by
their *key* — ``i`` for the ``i``-th person of the acquired population, a hash
of referrer and referral rank (:func:`referred_key`) for a customer a friend
brought — and a candidate purchase's by ``(person key, rank)``
(:func:`candidate_key`). A person is the same whatever the population size
and whoever else exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy.special import betaincinv, gammaincinv

from sim.geography import LUNAR_NEW_YEAR, TRAVEL_DESTINATIONS, currency_of
from sim.scenario import MONTHS, Scenario
from sim.vocab import (
    ACQUISITION_CHANNELS,
    ORDER_CHANNELS,
    PAID_CHANNELS,
    PRODUCT_CATEGORIES,
    RELATIONSHIP_STATES,
)
from sim.world.seeding import mix_key, poisson_quantiles, uniforms

__all__ = [
    "CATEGORY_MIX",
    "CROSS_CATEGORY",
    "REFERRED",
    "Calendar",
    "Timelines",
    "acquisition_day",
    "candidate_key",
    "draw_people",
    "draw_timelines",
    "expected_purchases",
    "home_categories",
    "order_categories",
    "order_records",
    "pool_keys",
    "referred_key",
    "waking_hours",
]

RANK_BITS = 16  # candidate purchases per person: at most 2 ** 16
REFERRED = 1 << 45  # keys of referred customers carry this bit; acquired people are below it
MAX_CANDIDATES = (1 << RANK_BITS) - 1


def referred_key(referrer: int, k: int) -> int:
    """The key of the customer brought by referral ``k`` of the person keyed ``referrer``."""
    return REFERRED | (mix_key((int(referrer) << 8) + int(k)) & (REFERRED - 1))


def candidate_key(person_key, rank):
    """The key of a person's ``rank``-th candidate purchase (ints or int64 arrays)."""
    return (np.asarray(person_key, dtype=np.int64) << RANK_BITS) | np.asarray(rank, dtype=np.int64)


@dataclass
class Timelines:
    """Per-person traits and the flat table of candidate purchases.

    Person ``i``'s candidate purchases are rows ``start[i]:end[i]`` of the
    event arrays, in time order; the first one is the first purchase (at
    acquisition), the others are candidate repeat purchases.
    """

    # per person
    key: np.ndarray
    lam: np.ndarray  # purchase rate per day in the engaged state (channel multiplier included)
    p: np.ndarray
    nu: np.ndarray
    mu: np.ndarray  # Pareto/NBD lifetime rate per day
    t0: np.ndarray  # acquisition = first purchase, days from start
    acq_channel: np.ndarray  # index into ACQUISITION_CHANNELS
    state0: np.ndarray  # index into RELATIONSHIP_STATES at acquisition
    lead_delay: np.ndarray  # days from lead to first purchase
    usual_channel: np.ndarray  # index into ORDER_CHANNELS
    traveller: np.ndarray
    u_enrol: np.ndarray
    u_duplicate: np.ndarray
    duplicate_delay: np.ndarray  # days after the first purchase when a 2nd profile is made
    advisor_u: np.ndarray
    u_consent_social: np.ndarray
    u_wom: np.ndarray  # does the lead convert despite detractors?
    u_life: np.ndarray  # the first lifetime's hazard budget
    u_drift: np.ndarray  # the first drift's budget
    lead_features: np.ndarray  # (n, 4): pages, opens, event, invalid email
    ceiling: np.ndarray  # highest intensity multiplier the candidates were drawn at
    start: np.ndarray
    end: np.ndarray
    ref_start: np.ndarray
    ref_end: np.ndarray
    # per candidate purchase
    ev_time: np.ndarray
    ckey: np.ndarray
    level: np.ndarray  # kept while (state multiplier) > level: thinning threshold
    u_drop: np.ndarray
    u_delight: np.ndarray
    u_impression: np.ndarray  # does the purchase's impression move the state?
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
    # per candidate referral
    ref_time: np.ndarray
    ref_level: np.ndarray  # kept while (state referral rate) > level

    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.lam)

    @staticmethod
    def join(parts: list[Timelines]) -> Timelines:
        """The people of ``parts`` one after the other (row ranges shifted), in one copy."""
        ev = np.cumsum([0] + [len(p.ev_time) for p in parts[:-1]])
        ref = np.cumsum([0] + [len(p.ref_time) for p in parts[:-1]])
        out = {}
        for f in fields(Timelines):
            cols = [getattr(p, f.name) for p in parts]
            if f.name in ("start", "end"):
                cols = [c + o for c, o in zip(cols, ev, strict=True)]
            elif f.name in ("ref_start", "ref_end"):
                cols = [c + o for c, o in zip(cols, ref, strict=True)]
            out[f.name] = np.concatenate(cols)
        return Timelines(**out)


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


def waking_hours(t: np.ndarray) -> np.ndarray:
    """Move each time within its day into 8 a.m.–10 p.m., keeping the order of times.

    Purchases are drawn on a continuous clock; shops and screens are busy in
    the day, so the time of day is squeezed into waking hours. The day itself
    (and so every count per day) is unchanged.
    """
    day = np.floor(t)
    return day + (8.0 + 14.0 * (t - day)) / 24.0


class Calendar:
    """Purchase intensity by day: month of the year, Lunar New Year (Chinese customers), trend.

    The month multipliers are scaled to average 1 over the year, so the
    scenario's purchase rates stay yearly averages.
    """

    LNY_HALF_WIDTH = 10.5  # days either side of the festival

    def __init__(self, sc: Scenario) -> None:
        pu = sc.purchases
        start = pd.Timestamp(sc.population.start_date)
        days = int(math.ceil(sc.horizon_days)) + 2
        dates = start + pd.to_timedelta(np.arange(days), unit="D")
        month = np.array([pu.seasonality[m] for m in MONTHS])
        month = month / month.mean()
        base = month[dates.month.to_numpy() - 1] * (1.0 + pu.trend_per_year) ** (
            np.arange(days) / 365.0
        )
        lny = np.zeros(days, dtype=bool)
        for day in LUNAR_NEW_YEAR.values():
            off = (pd.Timestamp(day) - start).days
            lo, hi = off - self.LNY_HALF_WIDTH, off + self.LNY_HALF_WIDTH
            lny |= (np.arange(days) >= lo) & (np.arange(days) <= hi)
        self.by_day = np.stack([base, base * np.where(lny, pu.lunar_new_year, 1.0)])
        self.peak = self.by_day.max(axis=1)  # per group: 0 = everyone else, 1 = Chinese

    def at(self, t: np.ndarray, chinese: np.ndarray) -> np.ndarray:
        """Multiplier at times ``t`` (days) for people who are (not) Chinese."""
        day = np.clip(np.floor(t).astype(np.int64), 0, self.by_day.shape[1] - 1)
        return self.by_day[np.asarray(chinese, dtype=np.int64), day]

    def lead_day(self, u: np.ndarray, horizon: float, growth: float, weight: float) -> np.ndarray:
        """Acquisition days from uniforms: growth through the horizon, the calendar to ``weight``."""
        if weight == 0:
            return acquisition_day(u, horizon, growth)
        grid = np.arange(int(math.ceil(horizon)) + 1, dtype=float)
        grid[-1] = horizon
        k = math.log1p(growth) / 365.0
        dens = np.exp(k * grid[:-1]) * self.by_day[0, : len(grid) - 1] ** weight
        width = np.diff(grid)
        cum = np.concatenate([[0.0], np.cumsum(dens * width)])
        return np.interp(u * cum[-1], cum, grid)


# Per-person uniforms, by column. New draws go at the end: existing ones never move.
_P = {
    name: i
    for i, name in enumerate(
        "lam p nu t0 channel lead_delay usual traveller enrol duplicate dup_delay advisor "
        "social pages opens event invalid count state budget mu wom referrals life drift".split()
    )
}
# Per-candidate uniforms, keyed by (person, rank in time order).
_C = {
    name: i
    for i, name in enumerate(
        "drop level basket channel alt travel dest discount contact repair survey route serve "
        "delight impression".split()
    )
}


def pool_keys(sc: Scenario, seed: int) -> np.ndarray:
    """Keys of the people the acquisition budget brings (before word of mouth).

    The first ``population.customers`` people are the baseline; paid leads
    grow as ``budget ** saturation``, so at a lower budget a paid-channel
    person is acquired with that chance (keyed), and at a higher one extra
    paid-channel people follow the baseline.
    """
    ac = sc.acquisition
    n = sc.population.customers
    grow = ac.budget**ac.saturation
    size = int(math.ceil(n * max(1.0, grow)))
    keys = np.arange(size, dtype=np.int64)
    if grow == 1.0:
        return keys
    u = uniforms(seed, "person", keys[:, None], np.array([[_P["channel"], _P["budget"]]]))
    paid = np.isin(_channels(u[:, 0], sc), [ACQUISITION_CHANNELS.index(c) for c in PAID_CHANNELS])
    keep = np.where(paid, u[:, 1] * max(1.0, grow) < grow, keys < n)
    return keys[keep]


def _channels(u: np.ndarray, sc: Scenario) -> np.ndarray:
    mix = np.array([sc.acquisition.channel_mix.get(c, 0.0) for c in ACQUISITION_CHANNELS])
    cum = np.cumsum(mix / mix.sum())
    return np.minimum(np.searchsorted(cum, u, side="right"), len(mix) - 1)


def draw_people(
    sc: Scenario,
    seed: int,
    keys: np.ndarray,
    chinese: np.ndarray,
    t0_raw: np.ndarray | None = None,
    channel: int | None = None,
    calendar: Calendar | None = None,
) -> Timelines:
    """Traits and candidate purchases of the people keyed ``keys``.

    ``chinese`` flags Chinese nationals (their calendar has the Lunar New
    Year). ``t0_raw`` and ``channel`` fix when and through which channel the
    people arrive (referred customers); otherwise both are drawn.
    """
    pu, ac, rel = sc.purchases, sc.acquisition, sc.relationship
    horizon = sc.horizon_days
    keys = np.asarray(keys, dtype=np.int64)
    n = len(keys)
    u = uniforms(seed, "person", keys[:, None], np.arange(len(_P))[None, :])
    col = {k: u[:, i] for k, i in _P.items()}
    cal = Calendar(sc) if calendar is None else calendar
    acq = _channels(col["channel"], sc) if channel is None else np.full(n, channel)
    traits = ac.channel_traits
    rate_mult = np.array([traits[c]["purchase_rate"] for c in ACQUISITION_CHANNELS])[acq]
    spend_mult = np.array([traits[c]["spend"] for c in ACQUISITION_CHANNELS])[acq]
    state_mix = np.array(
        [[traits[c][s] for s in RELATIONSHIP_STATES[:3]] for c in ACQUISITION_CHANNELS]
    )
    state_cum = np.cumsum(state_mix / state_mix.sum(axis=1, keepdims=True), axis=1)[acq]
    state0 = np.minimum((col["state"][:, None] >= state_cum).sum(axis=1), 2)
    if not rel.states:
        state0 = np.full(n, 1)  # the textbook cores have no states: everyone "engaged"
        rate_mult = spend_mult = np.ones(n)
    lam = gammaincinv(pu.r, col["lam"]) / pu.alpha * rate_mult
    p = betaincinv(pu.a, pu.b, col["p"])
    nu = gammaincinv(pu.spend_q, col["nu"]) / pu.spend_gamma / spend_mult
    mu = gammaincinv(rel.lifetime_s, col["mu"]) / rel.lifetime_beta
    if t0_raw is None:
        t0_raw = cal.lead_day(col["t0"], horizon, ac.growth_per_year, ac.seasonality_weight)
    t0 = waking_hours(np.asarray(t0_raw, dtype=float))
    delay = -max(ac.days_to_convert, 1e-9) * np.log1p(-col["lead_delay"])
    walk_in = acq == ACQUISITION_CHANNELS.index("store_walk_in")
    lead_delay = np.where(walk_in, 0.0, np.minimum(delay, t0))
    cmix = np.array([pu.channel_mix.get(c, 0.0) for c in ORDER_CHANNELS])
    usual = np.minimum(np.searchsorted(np.cumsum(cmix / cmix.sum()), col["usual"], "right"), 2)
    mult = rel.purchase_multiplier
    top = max(mult.values()) if rel.states else 1.0
    ceiling = top * cal.peak[np.asarray(chinese, dtype=np.int64)]
    span = np.maximum(horizon - t0_raw, 0.0)
    n_rep = np.minimum(poisson_quantiles(col["count"], lam * ceiling * span), MAX_CANDIDATES - 1)
    counts = n_rep + 1
    owner = np.repeat(np.arange(n), counts)
    total = len(owner)
    starts = np.cumsum(counts) - counts
    rank = np.arange(total) - np.repeat(starts, counts)
    first = rank == 0
    offset = np.where(first, 0.0, uniforms(seed, "candidate-time", keys[owner], rank) * span[owner])
    order = np.lexsort((offset, owner))
    # The Poisson process runs on the raw clock; mapping it into waking hours
    # is monotone, so each person's purchases keep their order.
    ev_time = waking_hours(t0_raw[owner] + offset[order])
    ckey = candidate_key(keys[owner], rank)
    cu = uniforms(seed, "candidate", ckey[:, None], np.arange(len(_C))[None, :]).astype(np.float32)
    ccol = {k: cu[:, i] for k, i in _C.items()}
    season = cal.at(ev_time, np.asarray(chinese)[owner])
    # Thinning: candidate kept while the intensity multiplier m(state) · season
    # exceeds u · ceiling, i.e. while m(state) > level. The first purchase is certain.
    level = np.where(first, -1.0, ccol["level"] * ceiling[owner] / season)
    # Referral candidates: a Poisson process at the highest referral rate.
    ref_top = max(rel.referrals_per_year.values()) / 365.0 if rel.states else 0.0
    n_ref = poisson_quantiles(col["referrals"], ref_top * span)
    r_owner = np.repeat(np.arange(n), n_ref)
    r_rank = np.arange(len(r_owner)) - np.repeat(np.cumsum(n_ref) - n_ref, n_ref)
    ru = uniforms(
        seed, "referral-candidate", keys[r_owner][:, None], (2 * r_rank)[:, None] + [0, 1]
    )
    r_off = ru[:, 0] * span[r_owner] if len(r_owner) else np.zeros(0)
    r_order = np.lexsort((r_off, r_owner))
    ref_time = t0_raw[r_owner] + r_off[r_order]
    ref_level = ru[r_order, 1] * ref_top * 365.0 if len(r_owner) else np.zeros(0)
    n_alt = len(ORDER_CHANNELS) - 1
    return Timelines(
        key=keys,
        lam=lam,
        p=p,
        nu=nu,
        mu=mu,
        t0=t0,
        acq_channel=acq.astype(np.int64),
        state0=state0.astype(np.int64),
        lead_delay=lead_delay,
        usual_channel=usual.astype(np.int64),
        traveller=col["traveller"] < pu.traveller_share,
        u_enrol=col["enrol"],
        u_duplicate=col["duplicate"],
        duplicate_delay=20.0 + 380.0 * col["dup_delay"],
        advisor_u=col["advisor"],
        u_consent_social=col["social"],
        u_wom=col["wom"],
        u_life=col["life"],
        u_drift=col["drift"],
        lead_features=np.column_stack(
            [
                poisson_quantiles(col["pages"], 8.0),
                poisson_quantiles(col["opens"], 3.0),
                col["event"] < 0.25,
                col["invalid"] < 0.01,
            ]
        ).astype(np.int64),
        ceiling=ceiling,
        start=starts.astype(np.int64),
        end=(starts + counts).astype(np.int64),
        ref_start=(np.cumsum(n_ref) - n_ref).astype(np.int64),
        ref_end=np.cumsum(n_ref).astype(np.int64),
        ev_time=ev_time,
        ckey=ckey,
        level=level,
        u_drop=ccol["drop"].astype(float),
        u_delight=ccol["delight"],
        u_impression=ccol["impression"],
        basket=gammaincinv(pu.spend_p, np.clip(ccol["basket"].astype(float), 1e-12, 1 - 1e-12)),
        u_channel=ccol["channel"],
        alt_channel=np.minimum((ccol["alt"] * n_alt).astype(np.int64), n_alt - 1),
        u_travel=ccol["travel"],
        u_dest=ccol["dest"],
        u_discount=ccol["discount"],
        u_contact=ccol["contact"],
        u_repair=ccol["repair"],
        u_survey=ccol["survey"],
        u_route=ccol["route"],
        u_serve=ccol["serve"],
        ref_time=ref_time,
        ref_level=ref_level,
    )


def draw_timelines(scenario: Scenario, seed: int, n: int | None = None) -> Timelines:
    """Traits and candidate purchases of the first ``n`` acquired people (non-Chinese calendar).

    A shortcut for checks of the purchase core; the world draws its people
    with their nationalities (:func:`draw_people`).
    """
    keys = pool_keys(scenario, seed)
    if n is not None:
        keys = keys[:n]
    return draw_people(scenario, seed, keys, np.zeros(len(keys), dtype=bool))


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
    advisor: np.ndarray | None = None,
) -> pd.DataFrame:
    """What each purchase made in the run was: value, channel, country, discount, advisor.

    ``log`` is the run's order log (``person, profile, candidate, t``, the
    candidate as a row of ``tl``); ``home_country`` is indexed by profile and
    ``advisor`` (each person's own advisor, 0 for none) by person. Everything
    here is read from the candidate purchase's own draws, so it needs no
    time or state. The ``candidate`` column holds the candidate's key.
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
    if advisor is None:
        n_adv = sc.advisors.advisors
        own = np.floor(tl.advisor_u * max(n_adv, 1)).astype(np.int64) + 1
        advisor = np.where(n_adv > 0, own, 0)
    advisor = advisor[person]
    served = (channel == "store") & (tl.u_serve[ev] < SERVED_BY_ADVISOR) & (advisor > 0)
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
            # The moment of truth the purchase itself was (see the relationship model).
            "delighted": tl.u_delight[ev] < sc.relationship.purchase_delight,
            # The candidate purchase: what later draws about this order are keyed by.
            "candidate": tl.ckey[ev],
        }
    )


#: The brand's product mix: each person's home category (the line they came for) is
#: drawn from it, and an order that crosses into another category picks it from the
#: same mix without the home one.
CATEGORY_MIX = {
    "leather_goods": 0.36, "ready_to_wear": 0.22, "shoes": 0.16, "accessories": 0.16,
    "watches_jewellery": 0.10,
}  # fmt: skip
#: Chance that an order is outside the person's home category, by the relationship
#: state at the time of the order: a closer relationship spans more of the brand
#: (the "products per customer" of the course is a symptom of the state, not of spend).
CROSS_CATEGORY = {"committed": 0.45, "engaged": 0.30, "cooling": 0.15, "lost": 0.05}
_MIX = np.array([CATEGORY_MIX[c] for c in PRODUCT_CATEGORIES])
_CROSS = np.array([CROSS_CATEGORY[s] for s in RELATIONSHIP_STATES])


def home_categories(seed: int, person_key) -> np.ndarray:
    """Each person's home category (index into PRODUCT_CATEGORIES), keyed by the person."""
    u = uniforms(seed, "home-category", np.asarray(person_key, dtype=np.int64))
    return np.minimum(np.searchsorted(np.cumsum(_MIX), u, side="right"), len(_MIX) - 1)


def order_categories(seed: int, home, candidate, state) -> np.ndarray:
    """The category of each order (index into PRODUCT_CATEGORIES).

    ``home`` is the buyer's home category, ``candidate`` the order's candidate
    key (the draws are keyed by it: slot 0 decides whether the order crosses,
    slot 1 which other category it takes) and ``state`` the index of the
    relationship state at the time of the order (:data:`CROSS_CATEGORY`).
    Drawn after the run: nothing in the simulation depends on it.
    """
    home = np.asarray(home, dtype=np.int64)
    u = uniforms(seed, "order-category", np.asarray(candidate, dtype=np.int64)[:, None], [[0, 1]])
    cross = u[:, 0] < _CROSS[np.asarray(state, dtype=np.int64)]
    # The other categories' shares of the mix, renormalised without the home one.
    w = np.broadcast_to(_MIX, (len(home), len(_MIX))).copy()
    w[np.arange(len(home)), home] = 0.0
    cum = np.cumsum(w, axis=1) / w.sum(axis=1, keepdims=True)
    other = np.minimum((u[:, 1:2] >= cum).sum(axis=1), len(_MIX) - 1)
    return np.where(cross, other, home)


def _money(x: np.ndarray) -> np.ndarray:
    return np.round(x, 2)
