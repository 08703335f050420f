"""What-if studio: levers on a scenario, KPIs, comparisons with common random numbers, sweeps.

:mod:`sim.studio.whatif` holds the levers, KPI definitions and scenario
comparisons; :mod:`sim.studio.staffing` puts Erlang C beside a simulated queue;
:mod:`sim.studio.sweep` runs a baseline and its variants over replications on
local workers or Dask, resumably (the SPEC: :mod:`sim.studio.sweep_spec`; the
ranking of levers: :mod:`sim.studio.sensitivity`).
"""
