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

from sim.analytics.calibration import calibration_report
from sim.compose import course_dataset, regenerate, simulate
from sim.data.dataset import Dataset, DatasetError, load
from sim.data.schema import SchemaError
from sim.scenario import Scenario, ScenarioError, load_scenario, preset, preset_names
from sim.studio.sweep import run_sweep as sweep

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
