"""Explorer update times of notebooks 00-02 on the course dataset (ms per update).

Run with ``python tests/benchmarks/run.py widgets`` (or this file as __main__).
Each explorer is built as the notebook builds it, with interactive=True; one
update per setting is timed with Explorer.time_update (compute + render).
"""

from __future__ import annotations

from functools import partial

import matplotlib

matplotlib.use("Agg")

from _timing import report

import sim
from sim.analytics import customer360, quality
from sim.charts import journeys as journey_charts
from sim.charts import quality as quality_charts
from sim.widgets import dropdown, explorer, slider


def main() -> None:
    ds = sim.course_dataset(seed=0)
    picks = customer360.interesting_customers(ds)
    ids = list(picks.values())

    ex = explorer(
        partial(customer360.customer_summary, ds),
        {"customer_id": dropdown(picks)},
        interactive=True,
    )
    report("00_welcome customer 360 summary", ex, [{"customer_id": i} for i in ids[::-1]])

    tp = ds.touchpoints
    ex = explorer(
        partial(journey_charts.customer_journey_view, tp),
        {"customer_id": dropdown(picks)},
        interactive=True,
    )
    report(
        "01_lifecycle_and_journeys customer journey", ex, [{"customer_id": i} for i in ids[::-1]]
    )

    customers = ds.customers
    segments = {f"generation: {g}": s for g, s in customers.groupby("generation")["customer_id"]}
    segments |= {
        f"acquired by: {c}": s for c, s in customers.groupby("acquisition_channel")["customer_id"]
    }
    ex = explorer(
        partial(
            journey_charts.segment_view, tp.drop_duplicates(["customer_id", "stage"]), segments
        ),
        {"segment": dropdown(list(segments))},
        interactive=True,
    )
    report(
        "01_lifecycle_and_journeys segment stages",
        ex,
        [{"segment": s} for s in list(segments)[::-1]],
    )

    pairs = quality.find_duplicates(customers)
    labelled = quality.label_pairs(pairs, ds.truth)
    n_true = len(quality.true_pairs(ds.truth))
    ex = explorer(
        partial(
            quality_charts.threshold_view, labelled, true_pairs=n_true, profiles=len(customers)
        ),
        {"threshold": slider(0.7, 0.5, 1.0, 0.01)},
        interactive=True,
    )
    report(
        "02_data_quality match threshold",
        ex,
        [{"threshold": t} for t in (0.5, 0.6, 0.65, 0.8, 0.9, 1.0)],
    )


if __name__ == "__main__":
    main()
