"""Plots for notebooks 06-08: each returns a labelled Figure and leaves global settings alone."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.analytics import campaigns, retention
from sim.charts import campaigns as campaign_charts
from sim.charts import retention as retention_charts
from sim.charts import service as service_charts
from sim.studio import staffing


@pytest.fixture(autouse=True)
def _close_and_keep_rcparams():
    before = dict(plt.rcParams)
    yield
    plt.close("all")
    assert dict(plt.rcParams) == before


def _labelled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


ORDERS = pd.DataFrame(
    {
        "customer_id": [1, 1, 2, 2, 3],
        "order_date": pd.to_datetime(
            ["2024-01-05", "2024-03-01", "2024-01-20", "2024-02-10", "2024-02-15"]
        ),
        "net_amount": [10.0] * 5,
    }
)


def test_retention_charts():
    _labelled(retention_charts.cohort_heatmap(retention.cohort_retention(ORDERS)))
    km = retention.kaplan_meier([0, 3, 5, 5], [True, False, True, False])
    _labelled(retention_charts.survival_curves({"all": km}))
    survivors = pd.DataFrame(
        {"true_active": [10, 8, 7], "seen_active": [10, 6, 3]},
        index=pd.Index([0, 1, 2], name="period"),
    )
    _labelled(retention_charts.sbg_projection(survivors, [10, 8.2, 6.9], 1))
    fig = retention_charts.uplift_profit_bars(
        retention.retention_uplift_profit(100, 0.8, 0.05, 0.1)
    )
    _labelled(fig)
    assert "+20%" in fig.axes[0].get_title()


def test_campaign_charts():
    kpis = pd.DataFrame(
        {"open_rate": [0.2, 0.6], "ctr": [0.02, 0.2], "ctor": [0.1, 0.33]},
        index=pd.Index(["newsletter", "welcome"], name="message_type"),
    )
    _labelled(campaign_charts.kpi_bars(kpis))
    test = campaigns.two_proportion_ztest(100, 1000, 130, 1000)
    _labelled(campaign_charts.ab_intervals({"CTR": test}))
    table = campaigns.send_frequency_model(np.arange(0, 5, 0.5), revenue_per_message=0.3)
    fig = campaign_charts.send_frequency_figure(table, current=0.5)
    _labelled(fig)
    assert len(fig.axes) == 2


def test_service_charts():
    tickets = pd.DataFrame(
        {
            "channel": ["phone", "phone", "phone", "email"],
            "wait_minutes": [0.0, 2.5, 6.0, 0.0],
            "abandoned": [False, False, True, False],
        }
    )
    _labelled(service_charts.wait_histogram(tickets))
    shares = {"brand": pd.Series({"detractors": 0.2, "passives": 0.3, "promoters": 0.5})}
    fig = service_charts.client_types_bars(shares)
    assert fig.axes[0].get_ylabel()
    table = staffing.simulated_staffing_table(0.2, 5.0, [2, 3], calls=500)
    fig = service_charts.staffing_figure(table, agents=2)
    _labelled(fig)
    assert "2 agents" in fig._suptitle.get_text()
