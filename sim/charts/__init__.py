"""Plots for the course: one module per topic, each function returns a matplotlib Figure.

Functions here take analytics results (DataFrames) and draw them with labelled
axes and units; they never compute KPIs themselves (that is ``sim.analytics``)
and never change global matplotlib settings.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FigureView", "freeze_layout"]


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


class FigureView:
    """Base of an explorer render that keeps one figure and moves its artists.

    Subclasses give ``draw(result) -> Figure`` (the plain chart function) and
    ``move(figure, result) -> bool`` (set the artists' data and texts in place;
    False when the result needs a new figure). After a move the axes are
    autoscaled again; if any axis' limits changed, the tick labels (and so the
    layout) could differ from a fresh figure's, so a fresh one is drawn. An
    update therefore always shows what ``draw(result)`` would show.
    """

    def __init__(self) -> None:
        self.figure: Any = None
        self._limits: list | None = None

    def draw(self, result: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def move(self, figure: Any, result: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _axes_limits(figure: Any) -> list:
        return [(ax.get_xlim(), ax.get_ylim()) for ax in figure.axes]

    def __call__(self, result: Any) -> Any:
        if self.figure is not None and self.move(self.figure, result):
            for ax in self.figure.axes:
                ax.relim()
                ax.autoscale_view()
            if self._axes_limits(self.figure) == self._limits:
                return self.figure
        self.figure = freeze_layout(self.draw(result))
        self._limits = self._axes_limits(self.figure)
        return self.figure
