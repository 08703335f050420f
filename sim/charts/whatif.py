"""Plots for the what-if studio (notebook 10): KPI deltas, monthly revenue, one KPI across scenarios."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.whatif import KPI_DEFINITIONS

__all__ = ["delta_bars", "kpi_view", "monthly_lines"]


def _unit(kpi: str) -> str:
    return KPI_DEFINITIONS.get(kpi, ("", ""))[0]


def delta_bars(relative: pd.DataFrame, kpis: list[str] | None = None) -> Figure:
    """Grouped horizontal bars: each variant's change against the baseline, in %, per KPI.

    ``relative`` comes from :func:`sim.whatif.deltas` with ``relative=True``.
    """
    frame = relative if kpis is None else relative.loc[kpis]
    y = np.arange(len(frame))
    h = 0.8 / max(frame.shape[1], 1)
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(frame) * max(1, frame.shape[1] / 2) + 1.5))
    for j, col in enumerate(frame.columns):
        ax.barh(y + j * h, 100 * frame[col].fillna(0.0), height=h, label=col)
    ax.set_yticks(y + h * (frame.shape[1] - 1) / 2, frame.index)
    ax.invert_yaxis()
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("change against the baseline (%)")
    ax.set_ylabel("KPI")
    ax.set_title("What each lever changes (same seed as the baseline)")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def monthly_lines(monthly: pd.DataFrame, baseline: str = "baseline") -> Figure:
    """Monthly revenue per scenario (thousand EUR), the baseline in black."""
    fig, ax = plt.subplots(figsize=(9, 4))
    x = monthly.index.to_timestamp() if isinstance(monthly.index, pd.PeriodIndex) else monthly.index
    for col in monthly.columns:
        style = {"color": "black", "lw": 2.0} if col == baseline else {"lw": 1.2, "alpha": 0.85}
        ax.plot(x, monthly[col] / 1e3, label=col, **style)
    ax.set_xlabel("month")
    ax.set_ylabel("revenue (thousand EUR)")
    ax.set_title("Monthly revenue by scenario")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def kpi_view(table: pd.DataFrame, kpi: str = "profit", baseline: str = "baseline") -> Figure:
    """One KPI across scenarios: bars with values and the change against the baseline.

    ``table`` comes from :func:`sim.whatif.compare` (rows KPIs, columns scenarios).
    """
    if kpi not in table.index:
        raise KeyError(f"kpi {kpi!r} is not in the table: rows are {list(table.index)}")
    row = table.loc[kpi]
    unit = _unit(kpi)
    scale, label = (1e3, f"{kpi} (thousand {unit})") if unit == "EUR" else (1.0, f"{kpi} ({unit})")
    fig, ax = plt.subplots(figsize=(8, 3.8), dpi=80)  # light: drawn at every explorer update
    colours = ["black" if c == baseline else "tab:blue" for c in row.index]
    bars = ax.bar(row.index, row / scale, color=colours)
    base = row.get(baseline, np.nan)
    notes = []
    for c, v in row.items():
        text = f"{v / scale:,.3g}" if abs(v / scale) < 10 else f"{v / scale:,.0f}"
        if c != baseline and base and np.isfinite(base):
            text += f"\n{(v - base) / abs(base):+.1%}"
        notes.append(text)
    ax.bar_label(bars, notes, fontsize=8, padding=2)
    ax.set_ylabel(label)
    ax.set_xlabel("scenario")
    ax.set_title(f"{kpi} by scenario (black: {baseline})")
    ax.margins(y=0.2)
    ax.tick_params(axis="x", labelrotation=20)
    return fig
