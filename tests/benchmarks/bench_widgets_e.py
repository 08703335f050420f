"""Explorer update times of notebooks 02 (threshold and audit) and 03 (budget and mix), ms per update.

Run with ``python tests/benchmarks/run.py widgets`` (or this file as __main__).
Each explorer is built as its notebook builds it, with interactive=True; one
update per setting is timed with Explorer.time_update (compute + render).
"""

from __future__ import annotations

from functools import partial

import matplotlib

matplotlib.use("Agg")

from _timing import report

import sim
from sim.analytics import acquisition, quality
from sim.charts import acquisition as acq_charts
from sim.charts import quality as quality_charts
from sim.widgets import explorer, slider


def main() -> None:
    ds = sim.course_dataset(seed=0)
    customers, truth = ds.customers, ds.truth
    labelled = quality.label_pairs(quality.find_duplicates(customers), truth)
    ex = explorer(
        partial(
            quality_charts.review_view,
            labelled,
            true_pairs=len(quality.true_pairs(truth)),
            profiles=len(customers),
        ),
        {
            "threshold": slider(0.7, 0.5, 1.0, 0.01, "match threshold"),
            "review": slider(100, 10, 400, 10, "matches reviewed"),
        },
        interactive=True,
    )
    report(
        "02_data_quality threshold and audit",
        ex,
        [{"threshold": t, "review": r} for t, r in ((0.55, 50), (0.7, 100), (0.85, 400))],
    )

    costs = acquisition.channel_rates(ds.leads, ds.marketing_spend)
    value = acquisition.value_by_channel(ds.customers, ds.orders)
    plan = partial(
        acquisition.plan_budget,
        costs,
        saturation=ds.scenario.acquisition.saturation,
        value=value["value"],
    )
    ex = explorer(
        plan,
        {"budget": slider(1.0, 0.0, 3.0, 0.05, "paid budget (x today)")}
        | {ch: slider(25.0, 0.0, 100.0, 0.5, ch) for ch in ("paid_search", "social", "tv")},
        render=acq_charts.plan_view,
        interactive=True,
    )
    report(
        "03_acquisition budget and mix",
        ex,
        [{"budget": b, "tv": tv} for b, tv in ((0.5, 25.0), (1.5, 0.0), (3.0, 60.0))],
    )


if __name__ == "__main__":
    main()
