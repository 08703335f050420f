"""Build a notebook's explorers from the notebook's own code, for the widget benchmarks.

The benchmarks must time the explorers the notebooks build (same function, same
controls, same data), so they do not copy the notebooks' code: they run it.
Only the code cells an explorer cell needs are run (a cell-level slice: the
cells that bind, or mutate, a name a needed cell reads), so the slow cells a
notebook has for other reasons (bootstraps, sweeps) are skipped.

``explorer_cells`` is also used by tests/test_widgets.py to check that every
notebook explorer has a benchmark, without running anything.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# BENCH_NOTEBOOKS points at another tree's notebooks (to time a base worktree back to back).
NOTEBOOKS = Path(os.environ.get("BENCH_NOTEBOOKS", ROOT / "notebooks"))


@dataclass(frozen=True)
class Cell:
    index: int  # position among all the notebook's cells
    source: str
    tags: tuple[str, ...]


def code_cells(notebook: Path) -> list[Cell]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [
        Cell(i, "".join(c["source"]), tuple(c.get("metadata", {}).get("tags", [])))
        for i, c in enumerate(cells)
        if c["cell_type"] == "code"
    ]


def _calls_explorer(tree: ast.AST) -> list[str]:
    """Names bound to ``explorer(...)`` calls in a cell (``name = explorer(...)``)."""
    names = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "explorer"
        ):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def explorer_cells(notebook: Path) -> dict[str, Cell]:
    """Variable name → the code cell that builds that explorer."""
    found = {}
    for cell in code_cells(notebook):
        for name in _calls_explorer(ast.parse(cell.source)):
            found[name] = cell
    return found


def _base_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _binds_and_reads(source: str) -> tuple[set[str], set[str]]:
    """Names a cell binds or mutates, and names it reads (conservatively)."""
    tree = ast.parse(source)
    binds: set[str] = set()
    reads: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (binds if isinstance(node.ctx, ast.Store | ast.Del) else reads).add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                binds.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            binds.add(node.name)
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Attribute | ast.Subscript) and (b := _base_name(t)):
                    binds.add(b)  # x[...] = / x.attr = mutate x
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if isinstance(func, ast.Attribute) and (b := _base_name(func.value)):
                binds.add(b)  # a bare x.method(...) may mutate x (append, update, ...)
    return binds, reads - set(dir(builtins))


def needed_cells(notebook: Path, upto: int) -> list[Cell]:
    """The code cells up to cell ``upto`` that it needs, in notebook order."""
    cells = [c for c in code_cells(notebook) if c.index <= upto]
    keep = [cells[-1]]
    _, needed = _binds_and_reads(cells[-1].source)
    for cell in reversed(cells[:-1]):
        binds, reads = _binds_and_reads(cell.source)
        if "parameters" in cell.tags or binds & needed:
            keep.append(cell)
            needed |= reads
    return keep[::-1]


def build_explorers(notebook: Path) -> tuple[dict, list[int]]:
    """Run the cells the notebook's explorers need; return {name: Explorer} and the cells run.

    Runs with the notebook folder as working directory and ``INTERACTIVE = True``
    (as a student's kernel does); the cells' printed output is swallowed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    targets = explorer_cells(notebook)
    last = max(c.index for c in targets.values())
    run = {c.index: c for name in targets for c in needed_cells(notebook, targets[name].index)}
    namespace: dict = {"__name__": "__notebook__"}
    cwd = os.getcwd()
    os.chdir(notebook.parent)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            for index in sorted(run):
                exec(compile(run[index].source, f"{notebook.name}[{index}]", "exec"), namespace)
                if "parameters" in run[index].tags:
                    namespace["INTERACTIVE"] = True
                plt.close("all")  # the cells' own figures are not the explorers'
    finally:
        os.chdir(cwd)
    assert last in run
    return {name: namespace[name] for name in targets}, sorted(run)


def sweep(ex, points: int = 5) -> list[dict]:
    """One setting per control value: each control moved alone over its range, then back.

    A slider takes ``points`` evenly spaced values from min to max (on its step);
    a dropdown takes each of its options. The other controls stay at their defaults.
    """
    import numpy as np

    settings = []
    defaults = ex.values
    for name, control in ex.controls.items():
        if hasattr(control, "options"):
            # ipywidgets keeps the options' values, whether given as values or (label, value)
            values = [v for v in control._options_values if v != defaults[name]]
        else:
            lo, hi, step = control.min, control.max, control.step
            grid = np.linspace(lo, hi, points)
            values = sorted({min(hi, lo + step * round((g - lo) / step)) for g in grid})
            if isinstance(defaults[name], int):
                values = [int(v) for v in values]
            else:
                values = [round(float(v), 10) for v in values]
            values = [v for v in values if v != defaults[name]]
        settings.extend({name: v} for v in values)
        settings.append({name: defaults[name]})
    return settings
