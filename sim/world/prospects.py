"""Acquisition: prospects become leads by channel; some convert into customers.

Every customer arrives through one converted lead in their acquisition
channel. Around them, each channel also produces the leads that never
converted, in proportion to its conversion rate, so that leads per customer,
cost per lead (CPL) and cost per acquired customer (CAC) come out as the
scenario describes. Converted leads are warmer: they viewed more pages, opened
more nurturing e-mails and came to more events — the signals lead scoring uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenario import Scenario
from sim.vocab import ACQUISITION_CHANNELS, GENERATIONS
from sim.world.purchases import Timelines, acquisition_day
from sim.world.seeding import stream

__all__ = ["build_leads", "referrers"]


def build_leads(tl: Timelines, generation: np.ndarray, sc: Scenario, seed: int) -> pd.DataFrame:
    """The leads table (times in days; ``person`` is -1 for leads that did not convert).

    Returns columns ``t, channel, cost, generation, pages_viewed, email_opens,
    attended_event, invalid_email, converted, t_converted, person``.
    """
    ac = sc.acquisition
    horizon = sc.horizon_days
    rng = stream(seed, "leads")
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
    parts = [won]
    counts = pd.Series(channel).value_counts()
    gen_mix = np.array([sc.population.generation_mix.get(g, 0.0) for g in GENERATIONS])
    for ch in ACQUISITION_CHANNELS:
        conv = ac.lead_conversion[ch]
        n_lost = int(rng.poisson(counts.get(ch, 0) * (1 - conv) / conv))
        if n_lost == 0:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "t": acquisition_day(rng.random(n_lost), horizon, ac.growth_per_year),
                    "channel": ch,
                    "generation": np.asarray(GENERATIONS)[
                        rng.choice(4, n_lost, p=gen_mix / gen_mix.sum())
                    ],
                    "pages_viewed": rng.poisson(3.0, n_lost),
                    "email_opens": rng.poisson(1.0, n_lost),
                    "attended_event": rng.random(n_lost) < 0.05,
                    "invalid_email": rng.random(n_lost) < 0.08,
                    "converted": False,
                    "t_converted": np.nan,
                    "person": -1,
                }
            )
        )
    leads = pd.concat(parts, ignore_index=True)
    leads["cost"] = leads["channel"].map(ac.cost_per_lead).astype(float)
    leads = leads.sort_values(["t", "person", "channel"], kind="stable").reset_index(drop=True)
    return leads


def referrers(leads: pd.DataFrame, surveys: pd.DataFrame, n: int, seed: int) -> np.ndarray:
    """Word of mouth: each referral customer names a promoter who answered before.

    Returns the referrer's ``customer_id`` per person (-1 for none).
    """
    rng = stream(seed, "referrals")
    prom = surveys[surveys["nps"] >= 9]
    prom_t = prom["t"].to_numpy()
    prom_c = prom["customer_id"].to_numpy()
    out = np.full(n, -1, dtype=np.int64)
    won = leads[leads["converted"] & (leads["channel"] == "referral")]
    person = won["person"].to_numpy()
    before = np.searchsorted(prom_t, won["t"].to_numpy())
    pick = np.floor(rng.random(len(won)) * before).astype(np.int64)
    has = before > 0
    out[person[has]] = prom_c[pick[has]]
    return out
