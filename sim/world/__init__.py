"""The simulated brand: the only place in the workbench with time and state.

:func:`sim.world.engine.run` builds one SimPy world from a scenario and a seed
and returns plain records (:class:`sim.world.eventlog.RunRecords`). The world
never imports the data layer, the analytics or anything that reads its output:
:mod:`sim.compose` turns its records into a dataset.
"""
