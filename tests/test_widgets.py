"""sim.widgets: explorers compute through a pure function, recompute on change, run headless."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pandas as pd
import pytest

import sim.widgets as sw
from sim.widgets import Explorer, dropdown, explorer, mime_bundles, slider


def texts(ex: Explorer) -> list[str]:
    return [o["data"].get("text/plain", "") for o in ex.output.outputs]


def test_default_state_is_computed_at_construction():
    calls = []

    def f(a, b):
        calls.append((a, b))
        return a + b

    ex = explorer(f, {"a": slider(1, 0, 10), "b": slider(2, 0, 10)})
    assert ex.result == 3
    assert calls == [(1, 2)]
    assert ex.values == {"a": 1, "b": 2}


def test_update_sets_controls_and_recomputes_once():
    calls = []

    def f(a, b):
        calls.append((a, b))
        return a * b

    ex = explorer(f, {"a": slider(1, 0, 10), "b": slider(2, 0, 10)})
    assert ex.update(a=3, b=4) == 12
    assert calls == [(1, 2), (3, 4)]
    assert ex.controls["a"].value == 3


def test_changing_a_control_recomputes_and_redraws_the_output():
    ex = explorer(lambda n: f"{n} customers", {"n": slider(5, 0, 10)})
    assert texts(ex) == ["5 customers"]
    ex.controls["n"].value = 7  # what the front end does when the handle moves
    assert ex.result == "7 customers"
    assert texts(ex) == ["7 customers"]


def test_update_rejects_unknown_controls():
    ex = explorer(lambda n: n, {"n": slider(5, 0, 10)})
    with pytest.raises(TypeError, match="unknown control"):
        ex.update(m=3)


def test_widget_holds_title_controls_and_output():
    s = slider(5, 0, 10)
    ex = explorer(lambda n: n, {"n": s}, title="Cut-off <explorer>")
    box = ex.widget
    assert isinstance(box, widgets.VBox)
    assert isinstance(box.children[0], widgets.HTML)
    assert "&lt;explorer&gt;" in box.children[0].value
    assert box.children[1] is s
    assert box.children[-1] is ex.output
    assert s.description == "n"  # a control without label gets its keyword


def test_render_transforms_the_result():
    ex = explorer(lambda n: n * 2, {"n": slider(2, 0, 10)}, render=lambda r: f"double is {r}")
    assert ex.result == 4
    assert texts(ex) == ["double is 4"]


def test_dataframe_and_numbers_render_as_html_and_text():
    df = pd.DataFrame({"segment": ["a", "b"], "n": [1, 2]})
    (bundle,) = mime_bundles(df)
    assert "<table" in bundle["data"]["text/html"]
    assert mime_bundles(1234567)[0]["data"]["text/plain"] == "1,234,567"
    assert mime_bundles(0.123456)[0]["data"]["text/plain"] == "0.1235"
    assert mime_bundles(12.5)[0]["data"]["text/plain"] == "12.50"
    assert [b["data"]["text/plain"] for b in mime_bundles(["x", 2])] == ["x", "2"]


def test_figures_render_as_png_and_are_closed():
    def plot(k):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, k])
        return fig

    before = len(plt.get_fignums())
    ex = explorer(plot, {"k": slider(1.0, 0.0, 2.0)})
    ex.update(k=2.0)
    (bundle,) = ex.bundles()
    assert bundle["data"]["image/png"]
    assert len(plt.get_fignums()) == before


def test_headless_displays_the_static_result_and_no_widget(monkeypatch):
    shown = []
    monkeypatch.setattr(sw, "_display", lambda *objs, raw=False: shown.append((objs, raw)))
    ex = explorer(lambda n: f"{n} left", {"n": slider(5, 0, 10)}, interactive=False)
    ex._ipython_display_()
    assert shown == [(({"text/plain": "5 left"},), True)]
    assert ex._widget is None and ex._output is None


def test_interactive_displays_the_widget(monkeypatch):
    shown = []
    monkeypatch.setattr(sw, "_display", lambda *objs, raw=False: shown.append(objs))
    ex = explorer(lambda n: n, {"n": slider(5, 0, 10)})
    ex._ipython_display_()
    assert shown == [(ex.widget,)]


def test_errors_show_in_the_output_when_interactive_and_raise_when_headless():
    def f(n):
        if n > 5:
            raise ValueError("n must be <= 5")
        return n

    ex = explorer(f, {"n": slider(1, 0, 10)})
    ex.update(n=8)
    assert ex.result == 1
    assert texts(ex) == ["error: n must be <= 5"]
    headless = explorer(f, {"n": slider(1, 0, 10)}, interactive=False)
    with pytest.raises(ValueError, match="n must be"):
        headless.update(n=8)


def test_time_update_returns_seconds():
    ex = explorer(lambda n: n, {"n": slider(5, 0, 10)})
    seconds = ex.time_update(n=6)
    assert 0 <= seconds < 5
    assert ex.result == 6


def test_control_factories():
    assert isinstance(slider(5, 0, 10), widgets.IntSlider)
    f = slider(0.5, 0, 1)
    assert isinstance(f, widgets.FloatSlider) and f.step == pytest.approx(0.01)
    assert f.continuous_update is False
    with pytest.raises(ValueError, match="lie in"):
        slider(11, 0, 10)
    d = dropdown(["store", "web"], value="web", description="channel")
    assert d.value == "web"
    assert dropdown({"Store": "store"}).value == "store"
    ex = explorer(lambda channel: channel.upper(), {"channel": d})
    ex.update(channel="store")
    assert ex.result == "STORE"


def test_import_has_no_side_effects_on_matplotlib():
    no_pyplot = "import sys, sim.widgets; assert 'matplotlib.pyplot' not in sys.modules"
    same_rc = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "import sim.widgets; assert dict(mpl.rcParams) == before"
    )
    for code in (no_pyplot, same_rc):
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- every notebook explorer has a benchmark (issue 9 §3: <= 100 ms, measured in make bench) ---

BENCHMARKS = Path(__file__).resolve().parent / "benchmarks"


def _bench_helpers():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import _notebook_explorers
    finally:
        sys.path.remove(str(BENCHMARKS))
    return _notebook_explorers


def _benched_notebooks() -> list[str]:
    """The notebooks named in the NOTEBOOKS tuple of each bench_widgets_*.py (read, not run)."""
    stems = []
    for script in sorted(BENCHMARKS.glob("bench_widgets_*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "NOTEBOOKS" for t in node.targets
            ):
                stems.extend(ast.literal_eval(node.value))
    return stems


def test_every_notebook_with_an_explorer_is_benchmarked_once():
    nbe = _bench_helpers()
    with_explorers = sorted(
        nb.stem for nb in nbe.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb") if nbe.explorer_cells(nb)
    )
    benched = _benched_notebooks()
    assert sorted(benched) == with_explorers  # each once, and none without explorers


def test_the_benchmark_finds_every_explorer_call_of_a_notebook():
    # Every explorer( call in a code cell is bound to a name the benchmark builds and times.
    nbe = _bench_helpers()
    for nb in nbe.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"):
        calls = sum(c.source.count("explorer(") for c in nbe.code_cells(nb))
        assert len(nbe.explorer_cells(nb)) == calls, nb.name


def test_notebook_slice_keeps_the_cells_an_explorer_needs(tmp_path):
    nbe = _bench_helpers()
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["n = 3\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["import math\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["slow = sum(range(10))\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": ["text"]},
        {"cell_type": "code", "metadata": {}, "source": ["xs = [n]\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["xs.append(math.pi)\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["ex = explorer(f, {'k': xs})\n"]},
    ]
    nb = tmp_path / "99_x.ipynb"
    nb.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert list(nbe.explorer_cells(nb)) == ["ex"]
    # the parameters, the import the append reads, the list and its mutation; not "slow"
    assert [c.index for c in nbe.needed_cells(nb, 6)] == [0, 1, 4, 5, 6]


def test_precompute_renders_every_dropdown_state_once_at_build():
    calls = []

    def f(a, b):
        calls.append((a, b))
        return f"{a}-{b}"

    ex = explorer(
        f,
        {"a": dropdown(["x", "y", "z"]), "b": dropdown({"one": 1, "two": 2})},
        precompute=True,
    )
    assert sorted(calls) == sorted((a, b) for a in "xyz" for b in (1, 2))  # 6 states, once each
    assert ex.result == "x-1"  # the default state is shown after precomputing
    assert ex.update(a="z", b=2) == "z-2"
    assert texts(ex) == ["z-2"]
    assert ex.update(a="y") == "y-2"
    assert len(calls) == 6  # switching computed nothing more


def test_precompute_is_skipped_when_headless_and_refused_for_sliders():
    calls = []
    ex = explorer(
        lambda a: calls.append(a) or a,
        {"a": dropdown([1, 2, 3])},
        interactive=False,
        precompute=True,
    )
    assert calls == [1] and ex.result == 1
    with pytest.raises(ValueError, match="dropdowns only"):
        explorer(lambda n: n, {"n": slider(1, 0, 5)}, precompute=True)
    with pytest.raises(ValueError, match="more than"):
        explorer(
            lambda a, b: a + b,
            {"a": dropdown(list(range(10))), "b": dropdown(list(range(10)))},
            precompute=True,
        )
