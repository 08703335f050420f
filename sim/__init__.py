"""CRM Workbench: a simulated omnichannel brand and the analytics that teach CRM on it.

The package face::

    import sim
    scenario = sim.preset("default").with_overrides({"population": {"customers": 2000}})
    ds = sim.simulate(scenario, seed=1)      # a Dataset: ds.orders, ds.customers, ...
    ds.save("datasets/mine")
    ds = sim.load("datasets/mine")

Submodules: ``sim.analytics`` (KPIs and models), ``sim.charts`` (plots),
``sim.widgets`` (explorers), ``sim.course`` (self-checks, exercise sheets,
grader), ``sim.schema`` (the data model), ``sim.cli`` (command line).
"""

from sim.dataset import Dataset, DatasetError, course_dataset, load
from sim.engine import simulate
from sim.scenario import Scenario, ScenarioError, load_scenario, preset, preset_names
from sim.schema import SchemaError

__all__ = [
    "Dataset",
    "DatasetError",
    "Scenario",
    "ScenarioError",
    "SchemaError",
    "course_dataset",
    "load",
    "load_scenario",
    "preset",
    "preset_names",
    "simulate",
]
__version__ = "0.1.0"
