"""What-if studio: levers on a scenario, KPIs, comparisons with common random numbers.

:mod:`sim.studio.whatif` holds the levers, KPI definitions and scenario
comparisons; :mod:`sim.studio.staffing` puts Erlang C beside a simulated queue.
"""
