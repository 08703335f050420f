"""Acquisition: prospects become leads by channel; some convert into customers.

Every customer arrives through one converted lead in their acquisition
channel. Around them, each channel also produces the leads that never
converted, in proportion to its conversion rate, so that leads per customer,
cost per lead (CPL) and cost per acquired customer (CAC) come out as the
scenario describes. Converted leads are warmer: they viewed more pages, opened
more nurturing e-mails and came to more events — the signals lead scoring uses.

Draws are keyed so that a bigger population only adds records: the lost leads
are drawn around each converted customer (their number and every trait keyed
by that customer and the lead's rank), and a referral customer's referrer is
drawn from their own circle of earlier-registered customers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.scenario import Scenario
from sim.vocab import ACQUISITION_CHANNELS, GENERATIONS
from sim.world.purchases import Timelines, acquisition_day
from sim.world.seeding import uniforms

__all__ = ["build_leads", "referrers"]


def build_leads(tl: Timelines, generation: np.ndarray, sc: Scenario, seed: int) -> pd.DataFrame:
    """The leads table (times in days; ``person`` is -1 for leads that did not convert).

    Returns columns ``t, channel, cost, generation, pages_viewed, email_opens,
    attended_event, invalid_email, converted, t_converted, person``.
    """
    channel = np.asarray(ACQUISITION_CHANNELS)[tl.acq_channel]
    won = pd.DataFrame(
        {
            "t": tl.t0 - tl.lead_delay,
            "channel": channel,
            "generation": generation,
            "pages_viewed": tl.lead_features[:, 0],
            "email_opens": tl.lead_features[:, 1],
            "attended_event": tl.lead_features[:, 2].astype(bool),
            "invalid_email": tl.lead_features[:, 3].astype(bool),
            "converted": True,
            "t_converted": tl.t0,
            "person": np.arange(tl.n),
        }
    )
    leads = pd.concat([won, *_lost_leads(tl, sc, seed)], ignore_index=True)
    leads["cost"] = leads["channel"].map(sc.acquisition.cost_per_lead).astype(float)
    leads = leads.sort_values(["t", "person", "channel"], kind="stable").reset_index(drop=True)
    return leads


def _lost_leads(tl: Timelines, sc: Scenario, seed: int) -> list[pd.DataFrame]:
    """The leads that never converted, drawn around the converted customers (one frame a channel).

    Converted customer ``i`` of a channel with conversion rate ``c`` comes
    with Poisson((1 - c) / c) lost leads of that channel — in total the
    Poisson number the channel's conversion rate implies — and lost lead
    ``k`` of customer ``i`` draws its traits from key ``(i, k)``: customer
    ``i``'s lost leads are the same in any population that contains ``i``.
    """
    ac = sc.acquisition
    u_count = uniforms(seed, "lost-leads", np.arange(tl.n))
    gen_mix = np.array([sc.population.generation_mix.get(g, 0.0) for g in GENERATIONS])
    gen_cum = np.cumsum(gen_mix / gen_mix.sum())[:-1]
    parts = []
    for code, ch in enumerate(ACQUISITION_CHANNELS):
        conv = ac.lead_conversion[ch]
        people = np.flatnonzero(tl.acq_channel == code)
        count = _poisson_quantile(u_count[people], (1 - conv) / conv)
        owner = np.repeat(people, count)
        if len(owner) == 0:
            continue
        rank = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)

        def draw(d: int, owner=owner, rank=rank) -> np.ndarray:
            return uniforms(seed, "lost-lead", owner, _LOST_DRAWS * rank + d)

        parts.append(
            pd.DataFrame(
                {
                    "t": acquisition_day(draw(0), sc.horizon_days, ac.growth_per_year),
                    "channel": ch,
                    "generation": np.asarray(GENERATIONS)[
                        np.searchsorted(gen_cum, draw(1), "right")
                    ],
                    "pages_viewed": _poisson_quantile(draw(2), 3.0),
                    "email_opens": _poisson_quantile(draw(3), 1.0),
                    "attended_event": draw(4) < 0.05,
                    "invalid_email": draw(5) < 0.08,
                    "converted": False,
                    "t_converted": np.nan,
                    "person": -1,
                }
            )
        )
    return parts


_LOST_DRAWS = 6  # per lost lead: created, generation, pages, opens, event, invalid e-mail


def _poisson_quantile(u: np.ndarray, mu: float) -> np.ndarray:
    """Poisson(``mu``) values from uniforms ``u``, by inversion of the CDF (small ``mu``)."""
    # Far enough into the tail that the CDF is 1 to double precision.
    k = np.arange(1, int(mu + 12.0 * math.sqrt(mu) + 30.0))
    pmf = math.exp(-mu) * np.concatenate([[1.0], np.cumprod(mu / k)])
    cdf = np.cumsum(pmf)
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(k)).astype(np.int64)


REFERRAL_CIRCLE = 1024  # a referral customer's circle: the people numbered just below them


def referrers(
    leads: pd.DataFrame, surveys: pd.DataFrame, profile_person: np.ndarray, n: int, seed: int
) -> np.ndarray:
    """Word of mouth: each referral customer names a promoter of their circle who answered before.

    Person ``i``'s circle is the :data:`REFERRAL_CIRCLE` people numbered just
    below ``i`` (person numbers are random labels, so a circle is a random
    group of customers). ``i`` ranks their circle in an order of their own
    (keyed draws of ``i`` and each member) and names the first member who had
    answered a survey as a promoter (NPS 9–10) before ``i``'s lead: a uniform
    choice among those promoters. A circle never reaches above ``i``, so a
    bigger population — which only adds people above — leaves every referrer
    in place, and a promoter who appears or goes changes only the referrers
    who ranked them first.

    Returns the referrer's (first-profile) ``customer_id`` per person, -1 for none.
    """
    prom = surveys[surveys["nps"] >= 9]
    promoted = np.full(n, np.inf)  # when each person first answered as a promoter
    who = profile_person[prom["customer_id"].to_numpy(dtype=np.int64) - 1]
    np.minimum.at(promoted, who, prom["t"].to_numpy(dtype=float))
    won = leads[leads["converted"] & (leads["channel"] == "referral")]
    person = won["person"].to_numpy(dtype=np.int64)
    t = won["t"].to_numpy(dtype=float)
    out = np.full(n, -1, dtype=np.int64)
    back = np.arange(1, REFERRAL_CIRCLE + 1)  # circle member c = i - back
    step = 64  # referral customers per pass: small (customers × circle) arrays stay in cache
    for a in range(0, len(person), step):
        i, ti = person[a : a + step, None], t[a : a + step, None]
        c = i - back
        ok = (c >= 0) & (promoted[np.maximum(c, 0)] < ti)
        rank = np.where(ok, uniforms(seed, "referral", i, back), np.inf)
        first = rank.argmin(axis=1)
        has = ok.any(axis=1)
        out[i[has, 0]] = c[has, first[has]] + 1
    return out
