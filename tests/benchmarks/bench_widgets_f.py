"""Explorer update times of notebooks 00 and 01 on the course dataset (ms per update).

Run with ``python tests/benchmarks/run.py widgets`` (or this file as __main__).
Each explorer is built as the notebook builds it, with interactive=True; one
update per setting is timed with Explorer.time_update (compute + render).
"""

from __future__ import annotations

import statistics
import time
from functools import partial

import matplotlib

matplotlib.use("Agg")

from _timing import report

import sim
from sim.analytics import customer360, journeys
from sim.charts import journeys as journey_charts
from sim.widgets import dropdown, explorer, slider

PERIOD_DAYS = 91


def cpu_report(name: str, ex, settings: list[dict]) -> None:
    """Print the median CPU time per update (what the update costs, whatever the machine's load)."""
    times = []
    for s in settings:
        t0 = time.process_time()
        ex.update(**s)
        times.append(1000 * (time.process_time() - t0))
    print(f"{name} (CPU): {statistics.median(times):.0f} ms (max {max(times):.0f} ms)", flush=True)


def main() -> None:
    ds = sim.course_dataset(seed=0)

    # 00: a campaign's channels and market -> the audience it may reach
    channel_sets = {
        "e-mail": ("email",),
        "SMS": ("sms",),
        "social / messaging": ("social",),
        "e-mail + SMS": ("email", "sms"),
        "e-mail + SMS + social": ("email", "sms", "social"),
    }
    markets = sorted(ds.customers["market"].unique())
    ex = explorer(
        lambda channels, market: customer360.campaign_reach(
            ds.customers, channel_sets[channels], market
        ),
        {
            "channels": dropdown(list(channel_sets)),
            "market": dropdown({"all markets": None} | {m: m for m in markets}),
        },
        interactive=True,
    )
    report(
        "00_welcome campaign reach",
        ex,
        [{"channels": c, "market": m} for c in list(channel_sets)[::-1] for m in markets[:2]],
    )
    cpu_report(
        "00_welcome campaign reach",
        ex,
        [{"channels": c, "market": m} for c in list(channel_sets) for m in markets[:2]],
    )

    # 01: relationship-state up / down / win-back -> retention curve and expected value
    states = journeys.state_migration(ds.truth_states, period_days=PERIOD_DAYS)
    start = customer360.relationship_states(ds.truth)["share_at_acquisition"]
    living = start[["committed", "engaged", "cooling"]]
    values = journeys.state_values(
        ds.truth_states, ds.truth, ds.orders, ds.customers, period_days=PERIOD_DAYS
    )
    chain = journeys.chain_from_migration(
        states, periods=12, start=living / living.sum(), value=values
    )
    chain = journeys.RelationshipChain(
        **{**chain.__dict__, **{k: round(getattr(chain, k), 3) for k in ("up", "down", "win_back")}}
    )
    ex = explorer(
        partial(journey_charts.relationship_view, chain, states),
        {
            "up": slider(chain.up, 0.0, 0.5, 0.001),
            "down": slider(chain.down, 0.0, 0.5, 0.001),
            "win_back": slider(chain.win_back, 0.0, 0.2, 0.001),
        },
        interactive=True,
    )
    report(
        "01_lifecycle_and_journeys relationship chain",
        ex,
        [{"up": u, "down": d, "win_back": 0.01} for u in (0.0, 0.05, 0.2) for d in (0.05, 0.3)],
    )
    cpu_report(
        "01_lifecycle_and_journeys relationship chain",
        ex,
        [{"up": u, "down": d, "win_back": 0.02} for u in (0.01, 0.1, 0.3) for d in (0.1, 0.2)],
    )


if __name__ == "__main__":
    main()
