"""Explorers: ipywidgets controls over a pure function, that also run headless.

An explorer is a few controls, an :class:`ipywidgets.Output` and one
``observe(..., names="value")`` per control. The computation lives in a pure
function from ``sim``; the callback only calls it with the controls' values and
shows the result. (Never ``interact``/``@interact``: a displayed ``interact``
stalls papermill runs at random, papermill#723.)

With ``interactive=False`` (notebooks pass ``INTERACTIVE`` from their
parameters cell) an explorer displays the static result of its default state
and no widget at all, so papermill runs need no front end.

>>> from sim.widgets import explorer, slider
>>> ex = explorer(lambda n: n * n, {"n": slider(3, 0, 10)}, interactive=False)
>>> ex.result
9
>>> ex.update(n=4)
16
>>> ex.values
{'n': 4}
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import numbers
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

__all__ = ["Explorer", "dropdown", "explorer", "mime_bundles", "slider"]

Bundle = dict[str, Any]
LABEL_WIDTH = "16em"  # room for labels such as "R = 5: bought within (days)"
CONTROL_WIDTH = "40em"
MAX_PRECOMPUTED = 50  # states an explorer may render when it is built (precompute=True)


def slider(
    value: float,
    min: float,
    max: float,
    step: float | None = None,
    description: str = "",
    *,
    continuous_update: bool = False,
    readout_format: str | None = None,
) -> widgets.IntSlider | widgets.FloatSlider:
    """An integer slider when value, bounds and step are all integers, else a float slider.

    ``continuous_update=False`` recomputes when the handle is released (or moved
    by keyboard), not on every pixel of a drag.
    """
    numbers_ = [value, min, max] + ([step] if step is not None else [])
    if not min <= value <= max:
        raise ValueError(f"slider value must lie in [{min}, {max}], got {value!r}")
    kwargs: dict[str, Any] = {
        "value": value,
        "min": min,
        "max": max,
        "description": description,
        "continuous_update": continuous_update,
        # A fixed label column keeps every track long and the controls aligned
        # (with "initial", a long label squeezed the track to a stub).
        "style": {"description_width": LABEL_WIDTH},
        "layout": {"width": CONTROL_WIDTH},
    }
    if all(isinstance(x, numbers.Integral) for x in numbers_):
        cls = widgets.IntSlider
        kwargs["step"] = 1 if step is None else step
    else:
        cls = widgets.FloatSlider
        kwargs["step"] = (max - min) / 100 if step is None else step
    if readout_format is not None:
        kwargs["readout_format"] = readout_format
    return cls(**kwargs)


def dropdown(
    options: Sequence[Any] | Mapping[str, Any], value: Any = None, description: str = ""
) -> widgets.Dropdown:
    """A dropdown; ``options`` is a list of values or a mapping label → value."""
    opts = list(options.items()) if isinstance(options, Mapping) else list(options)
    if not opts:
        raise ValueError("dropdown needs at least one option")
    kwargs: dict[str, Any] = {
        "options": opts,
        "description": description,
        "style": {"description_width": LABEL_WIDTH},
        "layout": {"width": CONTROL_WIDTH},
    }
    if value is not None:
        kwargs["value"] = value
    return widgets.Dropdown(**kwargs)


def _format_number(x: numbers.Number) -> str:
    if isinstance(x, numbers.Integral):
        return f"{int(x):,}"
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}"
    return f"{x:.4g}"


def mime_bundles(obj: Any) -> list[Bundle]:
    """Render a result into display bundles (``{"data": ..., "metadata": ...}``).

    DataFrame/Series → HTML + text; matplotlib Figure → PNG (the figure is
    closed); number → formatted text; str → text; list/tuple → each item;
    anything else → IPython's formatter (or its ``repr``).
    """
    if obj is None:
        return []
    if isinstance(obj, list | tuple):
        return [b for item in obj for b in mime_bundles(item)]
    if isinstance(obj, str):
        return [{"data": {"text/plain": obj}, "metadata": {}}]
    if isinstance(obj, bool):
        return [{"data": {"text/plain": str(obj)}, "metadata": {}}]
    if isinstance(obj, numbers.Number):
        return [{"data": {"text/plain": _format_number(obj)}, "metadata": {}}]
    fig_cls = _figure_class()
    if fig_cls is not None and isinstance(obj, fig_cls):
        buf = io.BytesIO()
        # A figure whose layout is frozen (sim.charts.freeze_layout) brings its tight box:
        # saving a given box draws once, "tight" draws twice (once to measure).
        obj.savefig(buf, format="png", bbox_inches=getattr(obj, "explorer_bbox_inches", "tight"))
        import matplotlib.pyplot as plt

        plt.close(obj)
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        return [{"data": {"image/png": png, "text/plain": repr(obj)}, "metadata": {}}]
    if hasattr(obj, "to_html") and hasattr(obj, "to_string"):  # pandas objects
        return [
            {"data": {"text/html": obj.to_html(), "text/plain": obj.to_string()}, "metadata": {}}
        ]
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        shell = None
    if shell is not None:
        data, metadata = shell.display_formatter.format(obj)
        if data:
            return [{"data": data, "metadata": metadata}]
    return [{"data": {"text/plain": repr(obj)}, "metadata": {}}]


def _figure_class() -> type | None:
    import sys

    if "matplotlib.figure" not in sys.modules:  # never import matplotlib just to check
        return None
    return sys.modules["matplotlib.figure"].Figure


def _display(*objs: Any, raw: bool = False) -> None:
    from IPython.display import display

    display(*objs, raw=raw)


class Explorer:
    """Controls + Output over a pure function; see :func:`explorer`."""

    def __init__(
        self,
        func: Callable[..., Any],
        controls: Mapping[str, widgets.ValueWidget],
        render: Callable[[Any], Any] | None = None,
        title: str | None = None,
        interactive: bool = True,
        precompute: bool = False,
    ) -> None:
        if not callable(func):
            raise TypeError(f"func must be callable, got {type(func).__name__}")
        for name, control in controls.items():
            if not hasattr(control, "value") or not hasattr(control, "observe"):
                raise TypeError(f"control {name!r} must be an ipywidgets value widget")
            if not getattr(control, "description", "x"):
                control.description = name.replace("_", " ")
        self.func = func
        self.controls = dict(controls)
        self.render = render
        self.title = title
        self.interactive = bool(interactive)
        self.result: Any = None
        self.error: Exception | None = None
        self._holding = False
        self._output: widgets.Output | None = None
        self._widget: widgets.VBox | None = None
        self._bundles: list[Bundle] = []
        self._states: dict[tuple, tuple[Any, list[Bundle]]] = {}
        self.result = self.func(**self.values)  # the default state must compute
        self._render()
        if precompute and self.interactive:
            self._precompute()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")

    @property
    def values(self) -> dict[str, Any]:
        """The controls' current values, by keyword."""
        return {name: control.value for name, control in self.controls.items()}

    @property
    def output(self) -> widgets.Output:
        """The Output the result is rendered into (built on first use)."""
        if self._output is None:
            self._output = widgets.Output()
            self._show()
        return self._output

    @property
    def widget(self) -> widgets.VBox:
        """The whole explorer: optional title, controls, output."""
        if self._widget is None:
            children: list[widgets.Widget] = []
            if self.title:
                children.append(widgets.HTML(f"<b>{html.escape(self.title)}</b>"))
            children.extend(self.controls.values())
            children.append(self.output)
            self._widget = widgets.VBox(children)
        return self._widget

    def bundles(self) -> list[Bundle]:
        """Display bundles of the current result (after ``render``)."""
        return list(self._bundles)

    def _render(self) -> None:
        # Rendered at once, so a figure is closed before the inline backend shows it again.
        if self.error is not None:
            self._bundles = mime_bundles(f"error: {self.error}")
        else:
            shown = self.render(self.result) if self.render is not None else self.result
            self._bundles = mime_bundles(shown)

    def _precompute(self) -> None:
        # Every state of a few dropdowns, computed and rendered once: the function is pure,
        # so a later switch shows the stored result instead of drawing it again.
        if not all(isinstance(c, widgets.Dropdown) for c in self.controls.values()):
            raise ValueError("precompute needs dropdowns only (a slider has too many states)")
        options = [list(c._options_values) for c in self.controls.values()]
        states = list(itertools.product(*options))
        if len(states) > MAX_PRECOMPUTED:
            raise ValueError(f"precompute: {len(states)} states, more than {MAX_PRECOMPUTED}")
        names = list(self.controls)
        default = (self.result, self._bundles)
        for state in states:
            values = dict(zip(names, state, strict=True))
            if values == self.values:
                self._states[state] = default
                continue
            self.result = self.func(**values)
            self._render()
            self._states[state] = (self.result, self._bundles)
        self.result, self._bundles = default

    def refresh(self) -> Any:
        """Recompute from the controls' values and show the result; return it."""
        state = tuple(self.values.values()) if self._states else None
        if state is not None and state in self._states:
            self.result, self._bundles = self._states[state]
            self.error = None
            self._show()
            return self.result
        try:
            self.result = self.func(**self.values)
            self.error = None
        except Exception as exc:  # shown in the output, so a student sees why
            if not self.interactive:
                raise
            self.error = exc
        self._render()
        self._show()
        return self.result

    def update(self, **values: Any) -> Any:
        """Set controls programmatically (one recompute for all of them); return the result."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise TypeError(
                f"unknown control(s) {unknown}; this explorer has {sorted(self.controls)}"
            )
        self._holding = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._holding = False
        return self.refresh()

    def time_update(self, **values: Any) -> float:
        """Seconds taken by one :meth:`update` (compute + render in the kernel)."""
        start = time.perf_counter()
        self.update(**values)
        return time.perf_counter() - start

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if not self._holding:
            self.refresh()

    def _show(self) -> None:
        if self._output is None:
            return
        # Replace the whole outputs tuple at once: state-synced, no flicker, and
        # independent of which message the front end is routing.
        self._output.outputs = tuple(
            {"output_type": "display_data", "data": b["data"], "metadata": b["metadata"]}
            for b in self.bundles()
        )

    def _ipython_display_(self) -> None:
        if self.interactive:
            _display(self.widget)
        else:
            for bundle in self.bundles():
                _display(bundle["data"], raw=True)

    def __repr__(self) -> str:
        name = getattr(self.func, "__name__", type(self.func).__name__)
        return f"Explorer({name}, values={self.values!r})"


def explorer(
    func: Callable[..., Any],
    controls: Mapping[str, widgets.ValueWidget],
    render: Callable[[Any], Any] | None = None,
    title: str | None = None,
    interactive: bool = True,
    precompute: bool = False,
) -> Explorer:
    """Build an explorer of ``func`` over ``controls``.

    Parameters
    ----------
    func
        A pure function called as ``func(**{name: control.value})``.
    controls
        Keyword name → ipywidgets control (see :func:`slider`, :func:`dropdown`).
        A control without a description gets its keyword as label.
    render
        Optional ``result -> displayable`` (a str, number, DataFrame, Figure or a
        list of them); by default the result itself is displayed.
    title
        Optional bold line above the controls.
    interactive
        ``False`` displays only the static result of the default state (for
        papermill and CI); pass the notebook's ``INTERACTIVE`` parameter.
    precompute
        With dropdowns only (at most ``MAX_PRECOMPUTED`` combinations of their
        options): compute and render every state when the explorer is built, so
        a switch shows a stored result (the function must be pure). Only when
        ``interactive``: a static run shows the default state alone.
    """
    return Explorer(
        func, controls, render=render, title=title, interactive=interactive, precompute=precompute
    )
