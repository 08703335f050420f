"""How many agents the contact centre needs: Erlang C beside a simulated queue.

Erlang C assumes callers wait forever; the simulated queue (the world's own
contact centre, run stand-alone) lets them hang up. Side by side they show
what the formula leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from sim.analytics import service
from sim.scenario import Scenario
from sim.world.contact_centre import simulate_queue
from sim.world.engine import team_sizes

__all__ = ["market_teams", "simulated_staffing_table"]


def market_teams(scenario: Scenario) -> pd.DataFrame:
    """Each market's expected share of customers and its service teams, as the world splits them.

    Brand totals (agents, the other brands' traffic, workshop benches,
    advisors) are split by expected customers with largest remainders; every
    market with customers keeps at least one agent and one bench.
    """
    t = team_sizes(scenario)
    names = list(scenario.markets.names)
    total = sum(t["shares"].values()) or 1.0
    return pd.DataFrame(
        {
            "customer_share": [t["shares"][m] / total for m in names],
            **{k: [t[k][m] for m in names] for k in ("agents", "benches", "advisors")},
            "shared_traffic": [t["traffic"][m] for m in names],
        },
        index=pd.Index(names, name="market"),
    )


def simulated_staffing_table(
    arrival_rate: float,
    handle_time: float,
    agents: Iterable[int],
    patience: float | None = None,
    threshold: float = 20 / 60,
    calls: int = 3000,
    seed: int = 0,
) -> pd.DataFrame:
    """Erlang C beside a short stand-alone queue simulation, per agent count.

    For each agent count, the analytic M/M/c figures (:func:`sim.analytics.service.staffing_table`)
    and one run of :func:`sim.world.contact_centre.simulate_queue` (M/M/c, or M/M/c+M when
    ``patience`` is given) with about ``calls`` calls after a warm-up of 20
    handle times. Simulated figures are over every offered call: ``sim_p_wait``
    (share that waited at all), ``sim_mean_wait`` (minutes, abandoned calls
    counted with the wait until they hung up), ``sim_service_level``
    (answered within ``threshold``) and ``sim_abandonment``.

    Returns
    -------
    pandas.DataFrame
        Index ``agents``: ``stable``, ``occupancy``, ``p_wait``, ``mean_wait``,
        ``service_level`` (Erlang C) and the four ``sim_`` columns.
    """
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 100:
        raise ValueError(f"calls: a whole number >= 100, got {calls!r}")
    agents = list(agents)
    if not agents:
        raise ValueError("agents: need at least one agent count")
    # staffing_table checks the rates and agent counts, naming the field.
    analytic = service.staffing_table(arrival_rate, handle_time, threshold, agents)
    analytic = analytic.set_index("agents")
    lam, h = float(arrival_rate), float(handle_time)
    warmup = 20.0 * h
    rows = []
    for c in agents:
        log, _ = simulate_queue(
            lam, h, c, patience=patience, horizon=warmup + calls / lam, warmup=warmup, seed=seed
        )
        answered = ~log["abandoned"]
        rows.append(
            {
                "sim_p_wait": float((log["wait"] > 0).mean()),
                "sim_mean_wait": float(log["wait"].mean()),
                "sim_service_level": float((answered & (log["wait"] <= threshold)).mean()),
                "sim_abandonment": float(log["abandoned"].mean()),
            }
        )
    sim_part = pd.DataFrame(rows, index=analytic.index)
    return analytic.join(sim_part)
