"""Explorer views that keep one figure: each update shows what the plain chart function shows.

SbgCurveView and RelationshipView draw once and then only move lines (and a
title); their PNG must be pixel for pixel the PNG of a figure drawn afresh.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from sim.analytics import journeys as jr
from sim.analytics import retention
from sim.charts import FigureView, freeze_layout
from sim.charts import journeys as cj
from sim.charts import retention as cr
from sim.widgets import mime_bundles


def pngs(obj) -> list[np.ndarray]:
    return [
        np.asarray(Image.open(io.BytesIO(base64.b64decode(b["data"]["image/png"]))))
        for b in mime_bundles(obj)
        if "image/png" in b["data"]
    ]


def test_freeze_layout_box_is_the_tight_box_savefig_computes():
    fig = cr.sbg_curve_figure(retention.sbg_curve(0.7, 1.2, periods=12))
    plain = pngs(fig)[0]  # saved with bbox_inches="tight" (closes the figure; it stays usable)
    frozen = freeze_layout(fig)
    assert frozen.get_layout_engine() is None
    assert hasattr(frozen, "explorer_bbox_inches")
    again = pngs(frozen)[0]  # saved with the stored box, one draw
    assert again.shape == plain.shape
    assert np.array_equal(again, plain)


@pytest.mark.parametrize("alpha, beta", [(0.3, 2.0), (5.0, 10.0), (19.0, 39.0), (0.05, 40.0)])
def test_sbg_view_update_is_pixel_identical_to_a_fresh_figure(alpha, beta):
    view = cr.SbgCurveView()
    first = view(retention.sbg_curve(0.7, 1.2, periods=12))
    pngs(first)
    table = retention.sbg_curve(alpha, beta, periods=12)
    moved = view(table)
    assert moved is first  # the same figure, moved
    survival = moved.axes[0].lines[0].get_ydata()
    assert np.allclose(survival, table["survival"].to_numpy())
    assert np.array_equal(pngs(moved)[0], pngs(cr.sbg_curve_figure(table))[0])


def test_sbg_view_builds_a_new_figure_for_other_periods():
    view = cr.SbgCurveView()
    first = view(retention.sbg_curve(0.7, 1.2, periods=12))
    other = view(retention.sbg_curve(0.7, 1.2, periods=6))
    assert other is not first
    assert len(other.axes[0].lines[0].get_xdata()) == 7  # periods 0..6


@pytest.mark.parametrize(
    "up, down, win_back", [(0.0, 0.05, 0.01), (0.2, 0.3, 0.0), (0.5, 0.5, 0.2)]
)
def test_relationship_view_update_matches_relationship_view(up, down, win_back):
    chain = jr.RelationshipChain(up=0.05, down=0.1, win_back=0.02, periods=8)
    measured = None
    view = cj.RelationshipView(chain, measured)
    pngs(view())
    fig, table = view(up=up, down=down, win_back=win_back)
    ref_fig, ref_table = cj.relationship_view(chain, measured, up, down, win_back)
    assert fig is view.figure
    assert table.equals(ref_table)
    # the moved chain's value is relationship_value of the moved chain
    moved = jr.relationship_value(
        jr.RelationshipChain(up=up, down=down, win_back=win_back, periods=8)
    )
    assert table.loc["your chain", "expected_value"] == pytest.approx(
        moved["cumulative_value"].iloc[-1], rel=1e-12
    )
    assert np.array_equal(pngs(fig)[0], pngs(ref_fig)[0])


@pytest.mark.parametrize(
    "p_a, lift, n", [(0.04, 0.05, 40000), (0.005, 0.5, 500), (0.5, 0.01, 200000), (0.2, 0.2, 1500)]
)
def test_power_view_update_is_pixel_identical_to_a_fresh_figure(p_a, lift, n):
    from sim.analytics import campaigns
    from sim.charts import campaigns as cc

    view = cc.PowerCurveView()
    first = view(campaigns.power_curve(0.04, 0.05, 40000))
    pngs(first)
    table = campaigns.power_curve(p_a, lift, n)
    moved = view(table)
    assert moved is first
    assert moved.axes[0].lines[1].get_ydata()[0] == pytest.approx(table.attrs["power"])
    assert np.array_equal(pngs(moved)[0], pngs(cc.power_curve_figure(table))[0])


class _LineView(FigureView):
    """A one-line chart with autoscaled axes, to test FigureView's rebuild rule."""

    def draw(self, ys):
        fig, ax = plt.subplots(figsize=(4, 3), dpi=60)
        ax.plot(np.arange(len(ys)), ys)
        ax.set_title("line")
        return fig

    def move(self, fig, ys):
        if len(ys) != len(fig.axes[0].lines[0].get_xdata()):
            return False
        fig.axes[0].lines[0].set_ydata(ys)
        return True


def test_figure_view_moves_within_the_limits_and_redraws_when_they_change():
    view = _LineView()
    first = view(np.array([0.0, 1.0, 2.0]))
    pngs(first)
    inside = np.array([2.0, 0.0, 1.0])  # same data range: same limits, same ticks
    assert view(inside) is first
    assert np.array_equal(pngs(first)[0], pngs(_LineView().draw(inside))[0])
    wider = np.array([0.0, 5.0, 2.0])  # the autoscaled y limits grow: a fresh figure
    second = view(wider)
    assert second is not first
    assert second.axes[0].get_ylim()[1] > 5.0
    assert view(np.array([1.0, 2.0])) is not second  # move declines: a fresh figure
