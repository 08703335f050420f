"""Explorer views that keep one figure: each update shows what the plain chart function shows.

SbgCurveView and RelationshipView draw once and then only move lines (and a
title); their PNG must be pixel for pixel the PNG of a figure drawn afresh.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from PIL import Image

from sim.analytics import journeys as jr
from sim.analytics import retention
from sim.charts import freeze_layout
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
