"""Plots for the course: one module per topic, each function returns a matplotlib Figure.

Functions here take analytics results (DataFrames) and draw them with labelled
axes and units; they never compute KPIs themselves (that is ``sim.analytics``)
and never change global matplotlib settings.
"""

from __future__ import annotations

from typing import Any

__all__ = ["freeze_layout"]


def freeze_layout(fig: Any) -> Any:
    """Fix a figure's layout and its tight bounding box, for a figure an explorer redraws.

    An explorer that keeps one figure and only moves its artists (``set_data``)
    does not need matplotlib to lay it out again at every update: this lays it
    out once, stores the padded tight box (what ``savefig(bbox_inches="tight")``
    would compute) as ``fig.explorer_bbox_inches`` — :func:`sim.widgets.mime_bundles`
    then saves that box with one draw instead of two — and drops the layout
    engine so saving does not re-run it. Call it only when the updates leave
    every label, tick and limit as it is. Returns the figure.
    """
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not hasattr(fig.canvas, "get_renderer"):  # a Figure made outside pyplot
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    fig.explorer_bbox_inches = box.padded(mpl.rcParams["savefig.pad_inches"])
    fig.set_layout_engine(None)
    return fig
