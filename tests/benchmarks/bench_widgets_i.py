"""Explorer update times of notebooks 08 and 09 on the course dataset (ms per update).

Run with ``python tests/benchmarks/run.py widgets`` (or this file as __main__).
Each explorer is built as the notebook builds it, with interactive=True; one
update per setting is timed with Explorer.time_update (compute + render).
"""

from __future__ import annotations

import math
from functools import partial

import matplotlib

matplotlib.use("Agg")

from _timing import report

import sim
from sim.analytics import loyalty, service
from sim.charts import loyalty as loyalty_charts
from sim.charts import service as service_charts
from sim.studio import staffing as sim_staffing
from sim.widgets import dropdown, explorer, slider


def main() -> None:
    ds = sim.course_dataset(seed=0)
    centre = ds.scenario.service
    teams = sim_staffing.market_teams(ds.scenario)
    market_of = ds.customers.set_index("customer_id")["market"]
    tickets = ds.tickets.assign(market=ds.tickets["customer_id"].map(market_of))
    loads = {
        m: (
            service.phone_arrival_rate(tickets[tickets["market"] == m], centre.open_hours)
            + teams.loc[m, "shared_traffic"] / centre.handle_minutes
        )
        * centre.handle_minutes
        for m in teams.index
    }
    ex = explorer(
        partial(
            service_charts.centre_explorer,
            loads=loads,
            handle_time=centre.handle_minutes,
            patience=centre.patience_minutes or math.inf,
            threshold=20 / 60,
        ),
        {
            "market": dropdown(list(loads)),
            "demand": slider(1.0, 0.5, 2.0, 0.1),
            "agents": slider(2, 1, 8, 1),
        },
        interactive=True,
    )
    settings = [
        {"market": m, "demand": d, "agents": a}
        for m in loads
        for d, a in ((1.0, 2), (2.0, 1), (1.5, 5))
    ]
    report("08_service_and_experience load/agents explorer", ex, settings)

    rules = ds.scenario.loyalty
    members = ds.customers.loc[ds.customers["loyalty_member"], "customer_id"]
    spend = ds.orders[ds.orders["customer_id"].isin(members)].groupby("customer_id")["net_amount"]
    annual = spend.sum() / ds.scenario.population.years
    ex = explorer(
        partial(
            loyalty.programme_design,
            point_value=rules.point_value,
            members=len(annual),
            annual_spend=float(annual.mean()),
            spend_cv=float(annual.std() / annual.mean()),
            redeemer_share=0.5,
            margin_rate=ds.scenario.purchases.gross_margin,
            running_cost=rules.running_cost_per_member,
        ),
        {
            "earn_rate": slider(1.0, 0.5, 3.0, 0.5),
            "reward_threshold": slider(500, 100, 2000, 100),
            "expiry_months": slider(18, 0, 36, 3),
        },
        render=loyalty_charts.design_view,
        interactive=True,
    )
    settings = [
        {"earn_rate": e, "reward_threshold": t, "expiry_months": x}
        for e, t, x in ((1.0, 500, 18), (3.0, 100, 0), (0.5, 2000, 36), (2.0, 1000, 12))
    ]
    report("09_loyalty_economics programme design explorer", ex, settings)


if __name__ == "__main__":
    main()
