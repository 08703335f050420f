"""Acquisition: prospects become leads by channel; some convert into customers.

Every customer arrives through one converted lead in their acquisition
channel. Around them, each channel also produces the leads that never
converted, in proportion to its conversion rate, so that leads per customer,
cost per lead (CPL) and cost per acquired customer (CAC) come out as the
scenario describes. Converted leads are warmer: they viewed more pages, opened
more nurturing e-mails and came to more events — the signals lead scoring uses.

Paid channels have diminishing returns: at ``acquisition.budget`` times the
baseline spend the world acquires ``budget ** saturation`` times the paid
customers (see :func:`sim.world.purchases.pool_keys`), so a paid lead costs
``cost_per_lead * budget ** (1 - saturation)``. Word of mouth works both ways:
referral leads are the recommendations customers made while the run went on
(committed customers make most), and leads that word of mouth put off (the
detractors of their market) are leads that did not convert.

Draws are keyed so that a bigger population only adds records: the lost leads
are drawn around each converted customer (their number and every trait keyed
by that customer and the lead's rank).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.scenario import Scenario
from sim.vocab import ACQUISITION_CHANNELS, GENERATIONS, PAID_CHANNELS
from sim.world.purchases import acquisition_day
from sim.world.seeding import uniforms

__all__ = ["build_leads", "cost_per_lead"]


def cost_per_lead(sc: Scenario) -> dict[str, float]:
    """What a lead of each channel costs at the scenario's budget (the saturation curve)."""
    ac = sc.acquisition
    rise = ac.budget ** (1.0 - ac.saturation)
    return {
        ch: ac.cost_per_lead[ch] * (rise if ch in PAID_CHANNELS else 1.0)
        for ch in ACQUISITION_CHANNELS
    }


def build_leads(
    tl,
    generation: np.ndarray,
    sc: Scenario,
    seed: int,
    lost: dict[str, np.ndarray] | None = None,
    referral_tips: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The leads table (times in days; ``person`` is -1 for leads that did not convert).

    ``tl`` holds the customers' ``acq_channel, t0, lead_delay, lead_features,
    key`` (person ``i`` = row ``i``); ``lost`` the leads word of mouth put off
    (``t, channel, key``); ``referral_tips`` the recommendations made
    (``t, person, key``: ``person`` -1 when the friend did not become a
    customer within the run). Returns columns ``t, channel, cost, generation,
    pages_viewed, email_opens, attended_event, invalid_email, converted,
    t_converted, person``.
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
    parts = [won, *_lost_leads(tl, sc, seed)]
    put_off = set()
    if lost is not None and len(lost["t"]):
        put_off = set(lost["key"].tolist())
        parts.append(_cold_leads(lost["t"], lost["channel"], lost["key"], sc, seed))
    if referral_tips is not None and len(referral_tips["t"]):
        open_tip = (referral_tips["person"] < 0) & ~np.isin(referral_tips["key"], list(put_off))
        code = np.full(int(open_tip.sum()), ACQUISITION_CHANNELS.index("referral"))
        parts.append(
            _cold_leads(
                referral_tips["t"][open_tip], code, referral_tips["key"][open_tip], sc, seed
            )
        )
    leads = pd.concat(parts, ignore_index=True)
    leads["cost"] = leads["channel"].map(cost_per_lead(sc)).astype(float)
    leads = leads.sort_values(["t", "person", "channel"], kind="stable").reset_index(drop=True)
    return leads


def _cold_leads(t, channel, key, sc: Scenario, seed: int) -> pd.DataFrame:
    """Leads that did not convert, traits keyed by the prospect's key."""
    gen_mix = np.array([sc.population.generation_mix.get(g, 0.0) for g in GENERATIONS])
    gen_cum = np.cumsum(gen_mix / gen_mix.sum())[:-1]
    u = uniforms(seed, "cold-lead", np.asarray(key, dtype=np.int64)[:, None], np.arange(5))
    return pd.DataFrame(
        {
            "t": np.asarray(t, dtype=float),
            "channel": np.asarray(ACQUISITION_CHANNELS)[np.asarray(channel, dtype=np.int64)],
            "generation": np.asarray(GENERATIONS)[np.searchsorted(gen_cum, u[:, 0], "right")],
            "pages_viewed": _poisson_quantile(u[:, 1], 3.0),
            "email_opens": _poisson_quantile(u[:, 2], 1.0),
            "attended_event": u[:, 3] < 0.05,
            "invalid_email": u[:, 4] < 0.08,
            "converted": False,
            "t_converted": np.nan,
            "person": -1,
        }
    )


def _lost_leads(tl, sc: Scenario, seed: int) -> list[pd.DataFrame]:
    """The leads that never converted, drawn around the converted customers (one frame a channel).

    Converted customer ``i`` of a channel with conversion rate ``c`` comes
    with Poisson((1 - c) / c) lost leads of that channel — in total the
    Poisson number the channel's conversion rate implies — and lost lead
    ``k`` of customer ``i`` draws its traits from key ``(i, k)``: customer
    ``i``'s lost leads are the same in any population that contains ``i``.
    """
    ac = sc.acquisition
    u_count = uniforms(seed, "lost-leads", tl.key)
    gen_mix = np.array([sc.population.generation_mix.get(g, 0.0) for g in GENERATIONS])
    gen_cum = np.cumsum(gen_mix / gen_mix.sum())[:-1]
    parts = []
    for code, ch in enumerate(ACQUISITION_CHANNELS):
        conv = ac.lead_conversion[ch]
        people = np.flatnonzero(tl.acq_channel == code)
        count = _poisson_quantile(u_count[people], (1 - conv) / conv)
        owner = np.repeat(tl.key[people], count)
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
