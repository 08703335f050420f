"""Explorer update times of notebooks 03-05 on the course dataset (ms per update).

Run with ``python tests/benchmarks/run.py widgets`` (or this file as __main__).
Each explorer is built as the notebook builds it, with interactive=True; one
update per setting is timed with Explorer.time_update (compute + render).
"""

from __future__ import annotations

from functools import partial

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from _timing import report

import sim
from sim.analytics import acquisition, clv, rfm
from sim.charts import acquisition as acq_charts
from sim.charts import clv as clv_charts
from sim.charts import segments as seg_charts
from sim.widgets import explorer, slider


def budget_explorer(ds: sim.Dataset, headroom: float = 3.0):
    spend = ds.marketing_spend
    costs = acquisition.acquisition_costs(ds.leads, spend)
    acq = spend[spend["purpose"] == "acquisition"]
    annual = acq[acq["month"] > acq["month"].max() - pd.DateOffset(years=1)]
    annual = annual.groupby("channel")["spend"].sum()
    first_cpl = costs["cpl"] * headroom * (1 - np.exp(-1 / headroom))
    share = (100 * annual / annual.sum()).round(1)
    controls = {
        "total_budget": slider(
            int(round(annual.sum(), -4)), 0, int(round(2 * annual.sum(), -4)), 10_000
        )
    } | {ch: slider(float(share[ch]), 0.0, 100.0, 0.1) for ch in annual.index}
    return explorer(
        partial(
            acquisition.budget_by_channel,
            cpl=first_cpl,
            conversion_rate=costs["conversion_rate"],
            saturation=headroom * annual,
        ),
        controls,
        render=acq_charts.budget_view,
    )


def cutoff_explorer(ds: sim.Dataset):
    rfm_now = rfm.rfm_table(ds.orders, "2026-01-01")
    return explorer(
        partial(rfm.segments_at_cutoffs, rfm_now),
        {
            "recent_days": slider(60, 15, 180, 15),
            "frequent_orders": slider(8, 2, 16, 1),
            "high_spend": slider(4000, 500, 10000, 500),
        },
        render=seg_charts.segment_view,
    )


def clv_explorer(ds: sim.Dataset):
    orders = ds.orders
    summary = clv.summary_from_orders(orders, cutoff=orders["order_date"].max(), time_unit="weeks")
    summary = summary[summary["T"] > 0]
    bg = clv.BGNBD().fit(summary["frequency"], summary["recency"], summary["T"])
    rep = summary[summary["frequency"] > 0]
    gg = clv.GammaGamma().fit(rep["frequency"], rep["monetary"])
    columns = [summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary")]
    return explorer(
        partial(gg.customer_lifetime_value, bg, *columns, step=52.0),
        {
            "margin": slider(0.6, 0.1, 0.9, 0.05),
            "discount_rate": slider(0.1, 0.0, 0.3, 0.01),
            "horizon": slider(156, 52, 260, 52),
        },
        render=partial(clv_charts.clv_view, cac=150.0),
    )


def main() -> None:
    ds = sim.course_dataset(seed=0)
    report(
        "03_acquisition budget by channel",
        budget_explorer(ds),
        [{"tv": 20.0}, {"paid_search": 40.0}, {"total_budget": 800_000}, {"referral": 30.0}],
    )
    report(
        "04_segmentation rfm cut-offs",
        cutoff_explorer(ds),
        [{"recent_days": 30}, {"frequent_orders": 4}, {"high_spend": 2000}, {"recent_days": 90}],
    )
    report(
        "05_clv margin / discount / horizon",
        clv_explorer(ds),
        [{"horizon": 260}, {"margin": 0.5}, {"discount_rate": 0.2}, {"horizon": 104}],
    )


if __name__ == "__main__":
    main()
