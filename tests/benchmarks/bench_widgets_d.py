"""Explorer update times of notebooks 09-10 on the course dataset (ms per update).

Run with ``python tests/benchmarks/run.py widgets`` (or this file as __main__).
Each explorer is built as the notebook builds it, with interactive=True; one
update per setting is timed with Explorer.time_update (compute + render).
"""

from __future__ import annotations

from functools import partial

import matplotlib

matplotlib.use("Agg")

import pandas as pd
from _timing import report

import sim
from sim.analytics import loyalty
from sim.charts import loyalty as loyalty_charts
from sim.charts import whatif as whatif_charts
from sim.studio import whatif
from sim.widgets import dropdown, explorer, slider


def main() -> None:
    ds = sim.course_dataset(seed=0)
    ledger, customers, orders = ds.loyalty_ledger, ds.customers, ds.orders
    rules = ds.scenario.loyalty

    # 09: the programme-design explorer, calibrated as in the notebook
    end = ledger["timestamp"].max().normalize() + pd.Timedelta(days=1)
    start = end - pd.DateOffset(months=12)
    members = customers.loc[customers["loyalty_member"], "customer_id"]
    last = orders[(orders["order_date"] >= start) & (orders["order_date"] < end)]
    spend = last[last["customer_id"].isin(members)].groupby("customer_id")["net_amount"].sum()
    ex = explorer(
        partial(
            loyalty.programme_design,
            point_value=rules.point_value,
            members=len(spend),
            annual_spend=float(spend.mean()),
            spend_cv=float(spend.std() / spend.mean()),
            redeemer_share=0.5,
            margin_rate=ds.scenario.purchases.gross_margin,
        ),
        {
            "earn_rate": slider(1.0, 0.5, 3.0, 0.5),
            "reward_threshold": slider(500, 100, 2000, 100),
            "expiry_months": slider(18, 0, 36, 3),
        },
        render=loyalty_charts.design_panel,
        interactive=True,
    )
    report(
        "09_loyalty_economics programme design",
        ex,
        [
            {"earn_rate": 2.0},
            {"reward_threshold": 1500},
            {"expiry_months": 0},
            {"expiry_months": 36},
            {"earn_rate": 0.5, "reward_threshold": 100, "expiry_months": 6},
        ],
    )

    # 10: one KPI across precomputed scenarios (the explorer never simulates)
    base = sim.preset("default").with_overrides({"population": {"customers": 3000, "years": 2.0}})
    table = whatif.compare(
        {
            "baseline": base,
            "retention uplift": whatif.lever_scenario(base, retention_uplift=0.05),
            "agents": whatif.lever_scenario(base, agents=3),
        },
        seed=0,
    )
    ex = explorer(
        partial(whatif_charts.kpi_view, table, baseline="baseline"),
        {"kpi": dropdown(list(table.index), "profit")},
        interactive=True,
    )
    report("10_what_if_studio KPI view", ex, [{"kpi": k} for k in table.index])


if __name__ == "__main__":
    main()
