"""Plots for sweeps: a tornado chart of the levers' sensitivity, paired differences with intervals."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.studio.whatif import KPI_DEFINITIONS

__all__ = ["diff_intervals", "tornado"]


def tornado(sensitivity: pd.DataFrame, kpi: str, value: str = "effect") -> Figure:
    """Tornado chart: each factor's effect on ``kpi``, the largest at the top.

    ``sensitivity`` comes from :func:`sim.studio.sensitivity.sensitivity`.
    ``value="effect"`` draws how much the KPI moves across each factor's range
    in the design (its unit); ``value="src"`` the standardised regression
    coefficients (unit-free, comparable across KPIs). Bars right of zero raise
    the KPI. Factors without an estimate (constant in the design) are left out.
    """
    if value not in ("effect", "src"):
        raise ValueError(f"value = {value!r} is not allowed: expected 'effect' or 'src'")
    if kpi not in set(sensitivity["kpi"]):
        raise KeyError(
            f"kpi {kpi!r} is not in the table: KPIs are {sorted(set(sensitivity['kpi']))}"
        )
    rows = sensitivity[(sensitivity["kpi"] == kpi) & sensitivity[value].notna()].copy()
    rows = rows.reindex(rows[value].abs().sort_values().index)
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * max(len(rows), 1) + 1.4))
    y = np.arange(len(rows))
    values = rows[value].to_numpy(dtype=float)
    ax.barh(y, values, color=np.where(values >= 0, "C2", "C3"))
    labels = [
        f"{f} ({lo:g} to {hi:g})"
        for f, lo, hi in zip(rows["factor"], rows["low"], rows["high"], strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.axvline(0.0, color="black", linewidth=0.8)
    unit = KPI_DEFINITIONS.get(kpi, ("", ""))[0]
    if value == "effect":
        ax.set_xlabel(f"change of {kpi} across the factor's range ({unit})")
    else:
        ax.set_xlabel(f"standardised regression coefficient on {kpi}")
    r2 = rows["r2"].iloc[0] if len(rows) else float("nan")
    ax.set_title(f"What moves {kpi} (linear fit R² = {r2:.2f})")
    fig.tight_layout()
    return fig


def diff_intervals(summary: pd.DataFrame, kpi: str) -> Figure:
    """Each variant's paired difference against the baseline on ``kpi``, with its interval.

    ``summary`` comes from :func:`sim.studio.sweep.summarise`. Intervals that
    cross zero (within noise) are grey.
    """
    rows = summary[(summary["kpi"] == kpi) & (summary["variant"] != "baseline")]
    if rows.empty:
        raise KeyError(f"kpi {kpi!r} has no variant rows in the summary")
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(rows) + 1.4))
    y = np.arange(len(rows))[::-1]
    diff = rows["diff"].to_numpy(dtype=float)
    err = np.vstack(
        [diff - rows["diff_low"].to_numpy(float), rows["diff_high"].to_numpy(float) - diff]
    )
    noise = rows["within_noise"].fillna(True).to_numpy(dtype=bool)
    for yi, d, lo, hi, grey in zip(y, diff, err[0], err[1], noise, strict=True):
        ax.errorbar(d, yi, xerr=[[lo], [hi]], fmt="o", capsize=4, color="0.6" if grey else "C0")
    ax.set_yticks(y, rows["variant"])
    ax.axvline(0.0, color="black", linewidth=0.8)
    unit = KPI_DEFINITIONS.get(kpi, ("", ""))[0]
    ax.set_xlabel(f"{kpi}: variant − baseline ({unit}), paired interval")
    fig.tight_layout()
    return fig
