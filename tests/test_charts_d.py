"""Charts for notebooks 09 (loyalty) and 10 (what-if): each returns a labelled Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from sim.analytics import loyalty as L
from sim.charts import loyalty as CL
from sim.charts import whatif as CW


def labelled(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    plt.close(fig)


@pytest.fixture
def ledger():
    rows = [
        (1, "2024-01-05", "earn", 600, 600),
        (1, "2024-03-15", "burn", -500, 100),
        (2, "2024-02-01", "earn", 100, 100),
        (2, "2024-12-01", "expire", -100, 0),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "kind", "points", "balance"])
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    return df


def test_points_flow(ledger):
    labelled(CL.points_flow(L.points_by_period(ledger, "Q")))


def test_redemption_curve():
    curve = pd.DataFrame(
        {"redeemed_share": [0.1, 0.2, 0.3], "members": [10, 9, 8]},
        index=pd.Index([6, 12, 18], name="months"),
    )
    labelled(CL.redemption_curve(curve))


def test_effect_bars():
    labelled(CL.effect_bars(pd.Series({"naive gap": 120.0, "true effect": 15.0})))


def test_design_panel_and_summary():
    result = L.programme_design(1.0, 500, 18, 0.02, members=100, n_types=20)
    summary, fig = CL.design_panel(result)
    assert summary["ROI"] == round(result.roi, 3)
    assert summary["liability at the end (EUR)"] == round(result.liability)
    labelled(fig)


@pytest.fixture
def table():
    return pd.DataFrame(
        {"baseline": [100.0, 0.5, 1000.0], "more": [110.0, 0.4, 1200.0]},
        index=pd.Index(["orders", "churn", "profit"], name="kpi"),
    )


def test_delta_bars(table):
    rel = (table[["more"]].sub(table["baseline"], axis=0)).div(table["baseline"], axis=0)
    fig = CW.delta_bars(rel, ["orders", "churn", "profit"], ncols=2)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["orders", "churn", "profit"]
    assert all(ax.get_xlabel() for ax in shown) and shown[0].get_ylabel()
    plt.close(fig)


def test_monthly_lines():
    m = pd.DataFrame(
        {"baseline": [1.0, 2.0], "v": [1.5, 2.5]},
        index=pd.PeriodIndex(["2024-01", "2024-02"], freq="M"),
    )
    labelled(CW.monthly_lines(m))


def test_kpi_view(table):
    fig = CW.kpi_view(table, "profit")
    assert "thousand EUR" in fig.axes[0].get_ylabel()
    labelled(fig)
    with pytest.raises(KeyError, match="nps"):
        CW.kpi_view(table, "nps")
