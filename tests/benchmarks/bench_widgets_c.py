"""Explorer update times for notebooks 06-08, on the course dataset (budget: 250 ms each).

Run with ``python tests/benchmarks/run.py widgets``. Each explorer is built as
its notebook builds it, with ``interactive=True``; the heavy inputs (measured
KPIs, the simulated staffing table) are computed once, outside the timing.
Prints the median of a few updates (compute + render in the kernel), in ms.
"""

from __future__ import annotations

import statistics
from functools import partial

import matplotlib

matplotlib.use("Agg")

import numpy as np

import sim
from sim.analytics import campaigns, retention, service
from sim.charts import campaigns as campaign_charts
from sim.charts import retention as retention_charts
from sim.charts import service as service_charts
from sim.studio import staffing
from sim.widgets import explorer, slider

BUDGET_MS = 250


def _report(label: str, ex, changes: list[dict]) -> None:
    times = [ex.time_update(**values) * 1000 for values in changes]
    ms = statistics.median(times)
    flag = "" if ms <= BUDGET_MS else f"  (over the {BUDGET_MS} ms budget)"
    print(f"{label}: {ms:.0f} ms{flag}", flush=True)


def main() -> None:
    ds = sim.course_dataset(seed=0)

    # 06 · retention uplift → profit
    inputs = retention.retention_economics_inputs(
        ds.orders,
        ds.marketing_spend,
        ("2024-01-01", "2025-01-01"),
        ("2025-01-01", "2026-01-01"),
        ds.scenario.purchases.gross_margin,
    )
    ex06 = explorer(
        partial(
            retention.retention_uplift_profit,
            inputs["margin_per_customer"],
            inputs["retention_rate"],
        ),
        {
            "uplift": slider(0.05, 0.0, 0.2, 0.01),
            "discount_rate": slider(0.1, 0.0, 0.3, 0.01),
            "acquisition_cost": slider(int(round(inputs["cac"])), 0, 1000, 1),
        },
        render=retention_charts.uplift_profit_bars,
        interactive=True,
    )
    _report(
        "06_retention_and_churn uplift → profit", ex06, [{"uplift": u} for u in (0.02, 0.1, 0.15)]
    )

    # 07 · send frequency → unsubscribes and revenue
    news = ds.messages[ds.messages["message_type"] == "newsletter"]
    kpi = campaigns.campaign_kpis(news, by="message_type").loc["newsletter"]
    rpm = campaigns.click_revenue(news, ds.orders).loc["newsletter", "revenue_per_delivered"]
    ex07 = explorer(
        partial(
            campaigns.send_frequency_model,
            np.arange(0, 7.25, 0.25),
            audience=news["customer_id"].nunique(),
            weeks=52,
            delivery_rate=kpi["delivery_rate"],
        ),
        {
            "unsubscribe_base": slider(0.004, 0.0, 0.02, 0.0005),
            "fatigue": slider(0.5, 0.0, 2.0, 0.05),
            "revenue_per_message": slider(round(min(rpm, 2.0), 2), 0.0, 2.0, 0.01),
        },
        render=partial(campaign_charts.send_frequency_figure, current=0.4),
        interactive=True,
    )
    _report(
        "07_campaigns_and_automation send frequency",
        ex07,
        [{"fatigue": f} for f in (0.2, 1.0, 1.5)],
    )

    # 08 · agents → service level and wait (simulation precomputed once)
    centre = ds.scenario.service
    rate = service.phone_arrival_rate(ds.tickets, centre.open_hours)
    rate += centre.shared_traffic / centre.handle_minutes
    table = staffing.simulated_staffing_table(
        rate, centre.handle_minutes, [2, 3, 4, 5, 6], patience=centre.patience_minutes
    )
    ex08 = explorer(
        partial(service_charts.staffing_figure, table),
        {"agents": slider(centre.agents, 2, 6, 1)},
        interactive=True,
    )
    _report(
        "08_service_and_experience agents → service level", ex08, [{"agents": a} for a in (3, 4, 5)]
    )


if __name__ == "__main__":
    main()
