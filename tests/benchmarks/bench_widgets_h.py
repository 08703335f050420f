"""Update times of the explorers of notebooks 06 and 07 (sBG heterogeneity, personalisation, A/B power).

Run with ``python tests/benchmarks/run.py widgets`` (or ``make bench``).
Each explorer is built as its notebook builds it, with ``interactive=True``;
the measured inputs are computed once on the course dataset, outside the
timing. The budget is 100 ms per update (compute + render in the kernel).
"""

from __future__ import annotations

import statistics
import time
from functools import partial

import matplotlib

matplotlib.use("Agg")

from _timing import report

import sim
from sim.analytics import campaigns, retention
from sim.charts import campaigns as campaign_charts
from sim.charts import retention as retention_charts
from sim.widgets import explorer, slider


def compute_only(name: str, func, settings: list[dict]) -> None:
    """Median time of the pure function alone (no figure), in ms."""
    times = []
    for s in settings:
        start = time.perf_counter()
        func(**s)
        times.append(1000 * (time.perf_counter() - start))
    print(f"{name} (compute only): {statistics.median(times):.1f} ms", flush=True)


def main() -> None:
    ds = sim.course_dataset(seed=0)

    ex_sbg = explorer(
        partial(retention.sbg_curve, periods=12),
        {"alpha": slider(0.70, 0.05, 20.0, 0.05), "beta": slider(1.20, 0.05, 40.0, 0.05)},
        render=retention_charts.sbg_curve_figure,
        interactive=True,
    )
    compute_only(
        "06_retention_and_churn sBG (α, β) → retention",
        partial(retention.sbg_curve, periods=12),
        [{"alpha": a, "beta": b} for a, b in ((0.3, 2.0), (5.0, 10.0), (19.0, 39.0))],
    )
    report(
        "06_retention_and_churn sBG (α, β) → retention",
        ex_sbg,
        [{"alpha": a, "beta": b} for a, b in ((0.3, 2.0), (5.0, 10.0), (19.0, 39.0))],
    )

    news = ds.messages[ds.messages["message_type"] == "newsletter"]
    effect = campaigns.personalisation_effect(news)
    ex_pers = explorer(
        partial(
            campaigns.personalisation_whatif,
            effect=effect,
            delivered=80000.0,
            revenue_per_click=15.0,
        ),
        {
            "share": slider(0.3, 0.0, 1.0, 0.05),
            "cost_per_personalised": slider(0.0, 0.0, 0.5, 0.01),
        },
        render=partial(campaign_charts.personalisation_figure, current=0.3),
        interactive=True,
    )
    compute_only(
        "07_campaigns_and_automation personalisation share → clicks",
        partial(
            campaigns.personalisation_whatif,
            effect=effect,
            delivered=80000.0,
            revenue_per_click=15.0,
        ),
        [{"share": s} for s in (0.0, 0.6, 1.0)],
    )
    report(
        "07_campaigns_and_automation personalisation share → clicks",
        ex_pers,
        [{"share": s} for s in (0.0, 0.6, 1.0)],
    )

    ex_power = explorer(
        campaigns.power_curve,
        {
            "p_a": slider(0.04, 0.005, 0.5, 0.005),
            "relative_lift": slider(0.05, 0.01, 0.5, 0.01),
            "n_per_arm": slider(40000, 500, 200000, 500),
        },
        render=campaign_charts.power_curve_figure,
        interactive=True,
    )
    compute_only(
        "07_campaigns_and_automation A/B sample size, lift → power",
        partial(campaigns.power_curve, 0.04),
        [
            {"n_per_arm": n, "relative_lift": lift}
            for n, lift in ((1000, 0.2), (100000, 0.05), (5000, 0.1))
        ],
    )
    report(
        "07_campaigns_and_automation A/B sample size, lift → power",
        ex_power,
        [
            {"n_per_arm": n, "relative_lift": lift}
            for n, lift in ((1000, 0.2), (100000, 0.05), (5000, 0.1))
        ],
    )


if __name__ == "__main__":
    main()
