"""Plots for sweeps: a tornado chart of the levers' sensitivity, paired differences with intervals."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.studio.whatif import KPI_DEFINITIONS

__all__ = ["diff_intervals", "tornado"]


def tornado(
    sensitivity: pd.DataFrame, kpi: str, value: str = "effect", method: str | None = None
) -> Figure:
    """Tornado chart: each factor's effect on ``kpi``, the largest at the top.

    ``sensitivity`` comes from :func:`sim.studio.sensitivity.sensitivity`.
    ``value="effect"`` draws how much the KPI moves across each factor's range
    in the design (its unit; bars right of zero raise the KPI); ``"src"`` the
    standardised regression coefficients (unit-free); ``"mu_star"`` Morris's
    mean absolute effect. ``method`` picks ``"src"`` or ``"morris"`` rows
    (default: the method of the value, else whichever the table has, src
    first). Factors without an estimate (constant in the design) are left out.
    """
    if value not in ("effect", "src", "mu_star"):
        raise ValueError(f"value = {value!r} is not allowed: expected 'effect', 'src' or 'mu_star'")
    if kpi not in set(sensitivity["kpi"]):
        raise KeyError(
            f"kpi {kpi!r} is not in the table: KPIs are {sorted(set(sensitivity['kpi']))}"
        )
    methods = list(dict.fromkeys(sensitivity["method"]))
    if method is None:
        wanted = {"src": "src", "mu_star": "morris"}.get(value)
        method = wanted if wanted in methods else ("src" if "src" in methods else methods[0])
    rows = sensitivity[
        (sensitivity["kpi"] == kpi) & (sensitivity["method"] == method) & sensitivity[value].notna()
    ]
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
    ax.set_xlabel(
        {
            "effect": f"change of {kpi} across the factor's range ({unit})",
            "src": f"standardised regression coefficient on {kpi}",
            "mu_star": f"Morris mu*: mean absolute effect on {kpi} ({unit})",
        }[value]
    )
    if method == "src":
        r2 = rows["r2"].iloc[0] if len(rows) else float("nan")
        ax.set_title(f"What moves {kpi} (linear fit R² = {r2:.2f})")
    else:
        ax.set_title(f"What moves {kpi} (Morris elementary effects)")
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
