"""Charts for notebooks 00–02 (sim.charts.journeys, sim.charts.quality) draw on tiny inputs."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.analytics import journeys as jr
from sim.analytics import quality as q
from sim.charts import journeys as cj
from sim.charts import quality as cq

D = pd.Timestamp("2024-01-01")
TP = pd.DataFrame(
    {
        "touchpoint_id": [1, 2, 3, 4, 5, 6],
        "customer_id": [1, 1, 1, 1, 2, 2],
        "timestamp": [D + pd.Timedelta(days=d) for d in (0, 0, 5, 200, 0, 3)],
        "channel": ["crm", "store", "email", "crm", "ecommerce", "phone"],
        "touchpoint": ["stage_change", "purchase", "survey", "stage_change", "purchase",
                       "service_contact"],
        "stage": ["prospect", "new", "new", "at_risk", "new", "new"],
        "impression": ["neutral", "positive", "negative", "neutral", "positive", "negative"],
    }
)  # fmt: skip


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels(fig: Figure) -> list[str]:
    return [a.get_xlabel() for a in fig.axes if a.get_xlabel()]


def test_journey_map_and_view():
    fig = cj.journey_map(jr.customer_journey(TP, 1))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "date" and ax.get_ylabel() == "channel"
    assert "customer 1" in ax.get_title()
    fig2, table = cj.customer_journey_view(TP, 2)
    assert isinstance(fig2, Figure)
    assert table.loc["service_contact", "negative"] == 1
    assert list(table.columns) == ["positive", "neutral", "negative"]


def test_stage_and_impression_charts():
    assert labels(cj.transition_heatmap(jr.stage_transitions(TP, normalize=True))) == ["to stage"]
    assert labels(cj.transition_heatmap(jr.stage_transitions(TP))) == ["to stage"]
    fig = cj.impressions_chart(jr.impressions_summary(TP))
    assert labels(fig) == ["share of touchpoints"]
    fig = cj.impressions_chart(jr.impressions_summary(TP, by=["touchpoint", "channel"]))
    assert len(fig.axes[0].get_yticklabels()) == 5
    assert labels(cj.activity_cycle_chart(jr.activity_cycle(TP))) == ["touchpoints"]


def test_funnel_and_segment_charts():
    funnel = pd.DataFrame(
        {"people": [100, 50, 10], "share_of_leads": [1.0, 0.5, 0.1]},
        index=pd.Index(["awareness", "acquisition", "conversion"], name="stage"),
    )
    assert labels(cj.funnel_chart(funnel)) == ["people (log scale)"]
    fig, table = cj.segment_view(TP, {"two": [2]}, "two")
    assert isinstance(fig, Figure) and table["customers"].iloc[0] == 1
    with pytest.raises(KeyError, match="nope"):
        cj.segment_view(TP, {"two": [2]}, "nope")


LAB = pd.DataFrame(
    {
        "customer_id_a": [1, 1, 4],
        "customer_id_b": [2, 3, 5],
        "score": [0.9, 0.6, 0.3],
        "is_true": [True, True, False],
    }
)


def test_quality_charts():
    fig = cq.score_histogram(LAB, threshold=0.7)
    assert labels(fig) == ["pair similarity score (0–1)"]
    curve = q.threshold_curve(LAB, [0.5, 0.7, 0.9], true_pairs=2, profiles=5)
    fig = cq.threshold_chart(curve, true_rate=0.4, threshold=0.7)
    assert len(fig.axes) == 2
    text, fig = cq.threshold_view(LAB, 0.7, true_pairs=2, profiles=5)
    assert "1 pairs matched" in text and "recall 50.0%" in text
    assert isinstance(fig, Figure)
