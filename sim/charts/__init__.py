"""Plots for the course: one module per topic, each function returns a matplotlib Figure.

Functions here take analytics results (DataFrames) and draw them with labelled
axes and units; they never compute KPIs themselves (that is ``sim.analytics``)
and never change global matplotlib settings.
"""
