"""How many agents the contact centre needs: Erlang C beside a simulated queue.

Erlang C assumes callers wait forever; the simulated queue (the world's own
contact centre, run stand-alone) lets them hang up. Side by side they show
what the formula leaves out.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from sim.analytics import service
from sim.world.contact_centre import simulate_queue

__all__ = ["simulated_staffing_table"]


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
