"""CRM Workbench: a simulated omnichannel brand and the analytics that teach CRM on it.

The package face::

    import sim
    scenario = sim.preset("default").with_overrides({"population": {"customers": 2000}})
    ds = sim.simulate(scenario, seed=1)      # a Dataset: ds.orders, ds.customers, ...
    ds.save("datasets/mine")
    ds = sim.load("datasets/mine")
    result = sim.sweep("sweep.yaml", out="sweeps/mine")   # variants x seeds, with intervals

The layers, each a subpackage: ``sim.world`` (the simulated brand: SimPy
processes that emit plain records), ``sim.data`` (the data model, records →
tables, datasets on disk), ``sim.analytics`` (pure KPIs and models),
``sim.studio`` (what-if comparisons), ``sim.charts`` (plots), ``sim.widgets``
(explorers), ``sim.course`` (self-checks, exercise sheets, grader).
``sim.compose`` joins world and data; ``sim.cli`` is the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below, for type checkers and IDEs
    from sim.analytics.calibration import calibration_report
    from sim.compose import course_dataset, regenerate, simulate
    from sim.data.dataset import Dataset, DatasetError, load
    from sim.data.schema import SchemaError
    from sim.scenario import Scenario, ScenarioError, load_scenario, preset, preset_names
    from sim.studio.sweep import run_sweep as sweep

# Every public name is imported on first use (PEP 562): ``import sim`` in a notebook or
# in the checker process then costs a few milliseconds instead of pandas + scipy + SimPy
# (about a second), and each name still resolves to the same object as before.
_LAZY = {
    "Dataset": ("sim.data.dataset", "Dataset"),
    "DatasetError": ("sim.data.dataset", "DatasetError"),
    "Scenario": ("sim.scenario", "Scenario"),
    "ScenarioError": ("sim.scenario", "ScenarioError"),
    "SchemaError": ("sim.data.schema", "SchemaError"),
    "calibration_report": ("sim.analytics.calibration", "calibration_report"),
    "course_dataset": ("sim.compose", "course_dataset"),
    "load": ("sim.data.dataset", "load"),
    "load_scenario": ("sim.scenario", "load_scenario"),
    "preset": ("sim.scenario", "preset"),
    "preset_names": ("sim.scenario", "preset_names"),
    "regenerate": ("sim.compose", "regenerate"),
    "simulate": ("sim.compose", "simulate"),
    "sweep": ("sim.studio.sweep", "run_sweep"),
}
#: Subpackages and modules reachable as attributes (``sim.analytics.rfm``) without an import.
_SUBMODULES = frozenset(
    {
        "analytics",
        "charts",
        "cli",
        "compose",
        "course",
        "data",
        "geography",
        "scenario",
        "studio",
        "vocab",
        "widgets",
        "world",
    }
)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"sim.{name}")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})


__all__ = [
    "Dataset",
    "DatasetError",
    "Scenario",
    "ScenarioError",
    "SchemaError",
    "calibration_report",
    "course_dataset",
    "load",
    "load_scenario",
    "preset",
    "preset_names",
    "regenerate",
    "simulate",
    "sweep",
]
__version__ = "0.1.0"
