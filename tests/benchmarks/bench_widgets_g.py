"""Explorer update times of notebooks 04 and 05 on the course dataset (ms per update).

Run this file as __main__ (or through the benchmark runner). Each explorer is
built as its notebook builds it, with interactive=True; one update per setting
is timed with Explorer.time_update (compute + render).
"""

from __future__ import annotations

from functools import partial

import matplotlib

matplotlib.use("Agg")

import pandas as pd
from _timing import report

import sim
from sim.analytics import clv, rfm
from sim.charts import clv as clv_charts
from sim.charts import segments as seg_charts
from sim.widgets import explorer, slider


def main() -> None:
    ds = sim.course_dataset(seed=0)
    orders = ds.orders

    start = pd.Timestamp("2025-01-01")
    rfm_then = rfm.rfm_table(orders, start)
    nxt = orders[
        (orders["order_date"] >= start) & (orders["order_date"] < start + pd.DateOffset(years=1))
    ]
    active = pd.Series(rfm_then.index.isin(nxt["customer_id"]), index=rfm_then.index)
    ex = explorer(
        partial(rfm.backtest_cutoffs, rfm_then, active, level=0.9),
        {
            "recent_days": slider(60, 15, 180, 15),
            "frequent_orders": slider(8, 2, 16, 1),
            "high_spend": slider(4000, 500, 10000, 500),
        },
        render=seg_charts.backtest_view,
        interactive=True,
    )
    settings = [
        {"recent_days": d, "frequent_orders": f, "high_spend": m}
        for d, f, m in [(30, 8, 4000), (90, 4, 2000), (180, 12, 8000), (60, 8, 4000), (15, 2, 500)]
    ]
    report("04_segmentation RFM cut-offs backtest", ex, settings)

    summary = clv.summary_from_orders(orders, time_unit="weeks")
    fit = clv.BGNBD().fit(summary["frequency"], summary["recency"], summary["T"])
    p = fit.params_
    ex = explorer(
        clv.bgnbd_surface,
        {
            "r": slider(round(p["r"], 2), 0.05, 2.0, 0.05),
            "alpha": slider(round(p["alpha"], 1), 0.5, 40.0, 0.5),
            "a": slider(0.15, 0.05, 2.95, 0.1),
            "b": slider(round(p["b"], 1), 0.1, 8.0, 0.1),
        },
        render=clv_charts.bgnbd_surface_view,
        interactive=True,
    )
    settings = [
        {"r": 0.5, "alpha": 5.0, "a": 0.35, "b": 1.0},
        {"r": 1.5, "alpha": 20.0, "a": 1.05, "b": 3.0},
        {"r": 0.1, "alpha": 1.0, "a": 2.95, "b": 0.2},
        {"r": 0.3, "alpha": 9.5, "a": 0.15, "b": 0.8},
    ]
    report("05_clv BG/NBD parameters surface", ex, settings)


if __name__ == "__main__":
    main()
