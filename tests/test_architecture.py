"""The layers' walls hold: every import under sim/ is parsed and checked against DESIGN.md.

The checker reads every module's source with :mod:`ast` (module-level,
function-level and ``if TYPE_CHECKING:`` imports alike, plus
``importlib.import_module("…")`` with a literal name), resolves relative
imports and ``from sim import x`` to the submodule when ``x`` is one, and
reports each breach as ``file:line: import (rule)``. The last tests feed it
synthetic packages with known breaches, so a checker that stopped seeing
imports would fail here rather than pass silently.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]

# (layer, layers it must never import), from DESIGN.md's "Walls".
WALLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sim.analytics", ("sim.world",)),
    ("sim.charts", ("sim.world",)),
    ("sim.widgets", ("sim.world",)),
    ("sim.course", ("sim.world",)),
    (
        "sim.world",
        (
            "sim.data",
            "sim.analytics",
            "sim.studio",
            "sim.charts",
            "sim.widgets",
            "sim.course",
            "sim.compose",
        ),
    ),
    ("sim.data", ("sim.world", "sim.compose")),
)
WORLD = "sim.world"


@dataclass(frozen=True)
class Module:
    """One module of the package: its dotted name, file and source."""

    name: str
    path: str  # relative to the scanned root, for messages
    source: str

    @property
    def is_package(self) -> bool:
        return self.path.endswith("__init__.py")


@dataclass(frozen=True)
class Import:
    """One import statement, resolved to the module it loads."""

    module: str  # the importing module
    path: str
    line: int
    target: str  # dotted name of the imported module
    text: str  # the statement as written, for messages

    def where(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def module_name(rel: Path) -> str:
    """Dotted module name of a file path relative to the folder holding the package."""
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_package(root: Path, package: str = "sim") -> dict[str, Module]:
    """Every module of ``package`` under ``root``, keyed by dotted name."""
    modules = {}
    for file in sorted((root / package).rglob("*.py")):
        rel = file.relative_to(root)
        modules[module_name(rel)] = Module(module_name(rel), rel.as_posix(), file.read_text())
    return modules


def modules_from_sources(sources: Mapping[str, str]) -> dict[str, Module]:
    """Modules from ``{"sim/x/y.py": source}``: the checker's input without a disk."""
    return {module_name(Path(p)): Module(module_name(Path(p)), p, s) for p, s in sources.items()}


def _base_package(module: Module, level: int) -> str:
    """The package a relative import of ``level`` dots counts from."""
    parts = module.name.split(".")
    if not module.is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts)


def _literal_import_module(node: ast.Call) -> str | None:
    """The literal name in ``importlib.import_module("…")`` / ``__import__("…")``, if any."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    if (
        isinstance(arg, ast.Constant)
        and isinstance(arg.value, str)
        and not arg.value.startswith(".")
    ):
        return arg.value
    return None


def imports_of(module: Module, known: Iterable[str], package: str = "sim") -> list[Import]:
    """Every import of ``package`` modules in ``module``, wherever it sits in the file."""
    known = set(known)
    tree = ast.parse(module.source, filename=module.path)
    found = []

    def add(node: ast.AST, target: str) -> None:
        if target == package or target.startswith(package + "."):
            text = ast.get_source_segment(module.source, node) or ast.unparse(node)
            found.append(
                Import(module.name, module.path, node.lineno, target, " ".join(text.split()))
            )

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(node, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                prefix = _base_package(module, node.level)
                base = f"{prefix}.{base}" if base else prefix
            for alias in node.names:
                # `from pkg import x` loads pkg.x when x is a module, else pkg's __init__
                sub = f"{base}.{alias.name}"
                add(node, sub if sub in known else base)
        elif isinstance(node, ast.Call):
            target = _literal_import_module(node)
            if target:
                add(node, target)
    return sorted(set(found), key=lambda i: (i.path, i.line, i.target))


def all_imports(modules: Mapping[str, Module]) -> list[Import]:
    """Every import of every module, in file and line order."""
    found = [imp for m in modules.values() for imp in imports_of(m, modules)]
    return sorted(found, key=lambda i: (i.path, i.line, i.target))


def _within(name: str, layer: str) -> bool:
    return name == layer or name.startswith(layer + ".")


def wall_breaches(imports: Iterable[Import]) -> list[str]:
    """One line per import that crosses a wall: ``file:line: import (rule)``."""
    out = []
    for imp in imports:
        for layer, forbidden in WALLS:
            if not _within(imp.module, layer):
                continue
            for other in forbidden:
                if _within(imp.target, other):
                    out.append(f"{imp.where()}  ({layer} must not import {other})")
    return out


def _nearest_module(target: str, known: Mapping[str, Module]) -> str | None:
    """The module an import loads: the longest known prefix of its dotted name."""
    parts = target.split(".")
    while parts:
        name = ".".join(parts)
        if name in known:
            return name
        parts.pop()
    return None


def import_graph(modules: Mapping[str, Module]) -> dict[str, dict[str, Import]]:
    """Module → {imported module: the first import that loads it}."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in modules}
    for imp in all_imports(modules):
        target = _nearest_module(imp.target, modules)
        if target is not None:
            graph[imp.module].setdefault(target, imp)
    return graph


def import_cycles(modules: Mapping[str, Module]) -> list[str]:
    """One line per import cycle (per strongly connected group), showing its path."""
    graph = import_graph(modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm; sim is small enough to recurse
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph[v]:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)

    out = []
    for group in groups:
        start = min(group)
        path = _path_back(graph, start, set(group))
        hops = "; ".join(graph[a][b].where() for a, b in zip(path, path[1:], strict=False))
        out.append(f"{' -> '.join(path)}  ({hops})")
    return sorted(out)


def _path_back(graph: Mapping[str, Mapping[str, Import]], start: str, group: set[str]) -> list[str]:
    """A shortest path from ``start`` back to itself inside one cycle group."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w == start:  # v closes the loop: walk the parents back to start
                    path = [v]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if w in group and w not in parents:
                    parents[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"{start} is in a cycle group but no path leads back")  # unreachable


def shared_world_names(modules: Mapping[str, Module]) -> list[str]:
    """World modules whose basename another layer's module also uses (confusable imports)."""
    world = {
        m.name.rsplit(".", 1)[1]: m.path
        for m in modules.values()
        if _within(m.name, WORLD) and m.name != WORLD
    }
    out = []
    for m in modules.values():
        if _within(m.name, WORLD) or m.is_package:
            continue
        base = m.name.rsplit(".", 1)[-1]
        if base in world:
            out.append(f"{world[base]} and {m.path} share the name {base!r}")
    return sorted(out)


# ---------------------------------------------------------------- the real package


@pytest.fixture(scope="module")
def package() -> dict[str, Module]:
    modules = read_package(REPO)
    assert len(modules) > 50, "the checker found too few modules under sim/"
    return modules


def test_layers_keep_their_walls(package):
    breaches = wall_breaches(all_imports(package))
    assert not breaches, "imports across a wall (see DESIGN.md):\n" + "\n".join(breaches)


def test_no_import_cycle(package):
    cycles = import_cycles(package)
    assert not cycles, "import cycles in sim:\n" + "\n".join(cycles)


def test_world_shares_no_module_name_with_another_layer(package):
    shared = shared_world_names(package)
    assert not shared, "module names shared with sim.world:\n" + "\n".join(shared)


def test_checker_sees_the_real_imports(package):
    """Spot checks on known imports, so a checker that parses nothing cannot pass."""
    targets = {(i.module, i.target) for i in all_imports(package)}
    assert ("sim.compose", "sim.world.engine") in targets  # from sim.world import engine
    assert ("sim.course", "sim.course.checks") in targets  # from .checks import ...
    assert ("sim.cli", "sim.compose") in targets  # function-level import


# ---------------------------------------------------------------- the checker itself


def test_checker_reports_forbidden_imports_with_file_and_line():
    modules = modules_from_sources(
        {
            "sim/__init__.py": "",
            "sim/compose.py": "",
            "sim/world/__init__.py": "",
            "sim/world/engine.py": "import numpy\n\ndef run():\n    from ..data import schema\n",
            "sim/data/__init__.py": "",
            "sim/data/schema.py": "import sim.compose\n",
            "sim/analytics/__init__.py": "",
            "sim/analytics/rfm.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from sim import world\n"
                "from sim.world.engine import run\n"
            ),
            "sim/charts/__init__.py": "",
            "sim/charts/rfm.py": "import importlib\nw = importlib.import_module('sim.world')\n",
        }
    )
    assert wall_breaches(all_imports(modules)) == [
        "sim/analytics/rfm.py:3: from sim import world  (sim.analytics must not import sim.world)",
        "sim/analytics/rfm.py:4: from sim.world.engine import run  "
        "(sim.analytics must not import sim.world)",
        "sim/charts/rfm.py:2: importlib.import_module('sim.world')  "
        "(sim.charts must not import sim.world)",
        "sim/data/schema.py:1: import sim.compose  (sim.data must not import sim.compose)",
        "sim/world/engine.py:4: from ..data import schema  (sim.world must not import sim.data)",
    ]


def test_checker_allows_what_the_walls_allow():
    modules = modules_from_sources(
        {
            "sim/__init__.py": "",
            "sim/compose.py": "from sim.world import engine\nfrom sim.data import schema\n",
            "sim/world/__init__.py": "",
            "sim/world/engine.py": "from sim.scenario import Scenario\n",
            "sim/data/__init__.py": "",
            "sim/data/schema.py": "",
            "sim/scenario.py": "",
            "sim/analytics/__init__.py": "from . import rfm\n",
            "sim/analytics/rfm.py": "from sim.data.schema import TABLES\n",
            "sim/charts/__init__.py": "",
            "sim/charts/rfm.py": "from sim.analytics import rfm\n",
        }
    )
    assert wall_breaches(all_imports(modules)) == []
    assert import_cycles(modules) == []
    assert shared_world_names(modules) == []


def test_checker_reports_a_cycle_with_its_path():
    modules = modules_from_sources(
        {
            "sim/__init__.py": "",
            "sim/a.py": "from sim import b\n",
            "sim/b.py": "def f():\n    from . import c\n",
            "sim/c.py": "from sim.a import thing\n",
            "sim/pkg/__init__.py": "from .mod import f\n",
            "sim/pkg/mod.py": "from sim.pkg import g\n",  # a name from the package's __init__
        }
    )
    assert import_cycles(modules) == [
        "sim.a -> sim.b -> sim.c -> sim.a  (sim/a.py:1: from sim import b; "
        "sim/b.py:2: from . import c; sim/c.py:1: from sim.a import thing)",
        "sim.pkg -> sim.pkg.mod -> sim.pkg  (sim/pkg/__init__.py:1: from .mod import f; "
        "sim/pkg/mod.py:1: from sim.pkg import g)",
    ]


def test_checker_reports_a_module_name_shared_with_the_world():
    modules = modules_from_sources(
        {
            "sim/world/__init__.py": "",
            "sim/world/loyalty.py": "",
            "sim/analytics/__init__.py": "",
            "sim/analytics/loyalty.py": "",
            "sim/charts/__init__.py": "",
            "sim/charts/rfm.py": "",
            "sim/analytics/rfm.py": "",  # charts may mirror analytics
        }
    )
    assert shared_world_names(modules) == [
        "sim/world/loyalty.py and sim/analytics/loyalty.py share the name 'loyalty'"
    ]


# ---------------------------------------------------------------- one schema mechanism


def _orders(**changes) -> pd.DataFrame:
    """A two-row orders table in the data dictionary's shape, with some columns changed."""
    df = pd.DataFrame(
        {
            "order_id": [1, 2],
            "customer_id": [10, 11],
            "order_date": pd.to_datetime(["2024-01-05", "2024-02-01"]),
            "channel": ["store", "ecommerce"],
            "country": ["FR", "JP"],
            "cross_border": [False, True],
            "currency": ["EUR", "JPY"],
            "gross_amount": [100.0, 250.0],
            "discount_amount": [0.0, 25.0],
            "net_amount": [100.0, 225.0],
            "advisor_id": pd.array([7, None], dtype="Int64"),
            "category": ["shoes", "leather_goods"],
        }
    )
    return df.assign(**changes)


@pytest.mark.parametrize(
    ("column", "bad"),
    [
        ("order_date", ["2024-01-05", "2024-02-01"]),
        ("customer_id", ["C10", "C11"]),
        ("customer_id", [10.5, 11.0]),
        ("cross_border", [0, 2]),
        ("net_amount", ["100", "225"]),
        ("channel", ["store", None]),
    ],
)
def test_datasets_and_analytics_reject_a_column_with_the_same_message(column, bad):
    """conform (datasets) and check_table (analytics inputs) apply one rule, word for word."""
    from sim.analytics._validate import check_table
    from sim.data import schema

    df = _orders(**{column: bad})
    with pytest.raises(schema.SchemaError) as on_save:
        schema.conform("orders", df)
    with pytest.raises(ValueError) as on_input:  # analytics only look at the columns named
        check_table(df[["order_id", column]], "orders", columns=[column])
    assert str(on_input.value) == str(on_save.value)
    assert str(on_save.value).startswith(f"orders.{column}: ")


def test_analytics_check_partial_tables_by_the_data_dictionary():
    from sim.analytics._validate import check_table

    orders = _orders()[["customer_id", "order_date", "net_amount"]]
    assert check_table(orders, "orders", columns=["customer_id", "order_date"]) is orders
    with pytest.raises(ValueError, match=r"^orders\.order_date: expected datetime values"):
        check_table(orders.astype({"order_date": str}), "orders", columns=["order_date"])
    # Columns not named are not looked at, and other tables get only the checks asked for.
    check_table(orders.assign(channel=[1, 2]), "orders", columns=["customer_id"])
    check_table(pd.DataFrame({"customer_id": ["a"]}), "rfm", columns=["customer_id"])
    # A column the dictionary lacks (an analytics result added to a table) is allowed.
    check_table(orders.assign(monetary=[1.0, 2.0]), "orders", non_negative=["monetary"])


def test_lossless_values_are_conformed_to_the_documented_dtype():
    from sim.data import schema

    out = schema.conform(
        "orders", _orders(cross_border=[0, 1], customer_id=[10.0, 11.0], advisor_id=[7.0, None])
    )
    assert out["cross_border"].tolist() == [False, True] and out["cross_border"].dtype == bool
    assert out["customer_id"].dtype == "int64" and out["advisor_id"].dtype == "Int64"


def test_analytics_judge_types_only_through_the_schema():
    """_validate has no dtype rules of its own: sim.data.schema holds the only copy."""
    tree = ast.parse((REPO / "sim" / "analytics" / "_validate.py").read_text())
    own_rules = sorted(
        {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and (node.attr == "api" or "dtype" in node.attr)
        }
    )
    assert not own_rules, f"sim/analytics/_validate.py judges dtypes itself: {own_rules}"
