"""Charts and explorer views of notebooks 03-05: figures with labelled axes from tiny tables."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.analytics import acquisition, rfm
from sim.charts import acquisition as acq_charts
from sim.charts import clv as clv_charts
from sim.charts import segments as seg_charts


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labelled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_xlabel(), "x axis without a label"
        assert ax.get_title() or fig._suptitle is not None, "plot without a title"


COSTS = pd.DataFrame(
    {"cpl": [10.0, 40.0], "cac": [100.0, 800.0]}, index=pd.Index(["social", "tv"], name="channel")
)


def test_acquisition_charts():
    labelled(acq_charts.cac_by_channel_chart(COSTS))
    monthly = pd.DataFrame(
        {"cpl": [10.0, 11.0], "cac": [100.0, 120.0]},
        index=pd.to_datetime(["2024-01-01", "2024-02-01"]),
    )
    labelled(acq_charts.cac_trend_chart(monthly))
    lift = acquisition.lift_table([3.0, 2.0, 1.0, 0.0], [True, True, False, False], bins=2)
    labelled(acq_charts.gains_chart(lift))
    margin = pd.DataFrame([[50.0, 120.0], [30.0, 60.0]], index=["social", "tv"], columns=[1, 2])
    fig = acq_charts.payback_chart(margin, COSTS["cac"])
    labelled(fig)
    assert len(fig.axes[0].lines) == 4  # a curve and a CAC line per channel


def test_budget_view_headline_and_table():
    plan = acquisition.budget_allocation(
        {"tv": 1, "social": 3}, 1000, {"tv": 50, "social": 10}, {"tv": 0.1, "social": 0.05}
    )
    headline, styled = acq_charts.budget_view(plan)
    assert headline == "1,000 EUR → 80 leads → 4 customers, CAC 235 EUR"
    html = styled.to_html()
    assert "% of budget" in html and "25.0" in html  # tv's share in percent


def test_segment_charts_and_view():
    values = pd.Series([50.0, 30.0, 10.0, 5.0, 5.0])
    labelled(seg_charts.pareto_chart(rfm.pareto_curve(values), top=0.2))
    summary = pd.DataFrame(
        {
            "customers": [1, 3],
            "customer_share": [0.25, 0.75],
            "revenue_share": [0.6, 0.4],
            "revenue_per_customer": [600.0, np.nan],
        },
        index=pd.Index(["Champions", "Lost"], name="segment"),
    )
    labelled(seg_charts.segment_shares_chart(summary))
    html = seg_charts.segment_view(summary).to_html()
    assert "% of revenue" in html and "60.0" in html and "–" in html


def test_clv_charts():
    table = pd.DataFrame({"predicted": [0.5, 1.2], "actual": [0.6, 1.0]}, index=["0", "1+"])
    labelled(clv_charts.holdout_chart(table))
    labelled(clv_charts.alive_calibration_chart([0.05, 0.5, 0.95, 0.97], [False, True, True, True]))
    labelled(clv_charts.clv_histogram([10.0, 100.0, 1000.0], cac=50.0))


def test_clv_view_hand_computed():
    headline, table = clv_charts.clv_view(np.array([100.0, 200.0, 300.0, 400.0]), cac=125.0)
    assert headline == "Mean CLV 250 EUR over 4 customers — CLV:CAC 2.0"
    values = table["value"]
    assert values["mean CLV (EUR)"] == 250.0
    assert values["median CLV (EUR)"] == 250.0
    assert values["top 10 % mean (EUR)"] == 400.0  # at least one customer
    assert values["whole base (EUR)"] == 1000.0
    assert values["customers with CLV > CAC (%)"] == 75.0
