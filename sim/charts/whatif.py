"""Plots for the what-if studio (notebook 10): KPI deltas, monthly revenue, one KPI across scenarios."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.studio.whatif import KPI_DEFINITIONS

__all__ = ["delta_bars", "delta_intervals", "kpi_view", "monthly_figure", "monthly_lines"]


def _unit(kpi: str) -> str:
    return KPI_DEFINITIONS.get(kpi, ("", ""))[0]


def delta_bars(relative: pd.DataFrame, kpis: list[str] | None = None, ncols: int = 4) -> Figure:
    """Small multiples: for each KPI, each variant's change against the baseline, in %.

    ``relative`` comes from :func:`sim.studio.whatif.deltas` with ``relative=True``
    (rows KPIs, columns variants). Missing changes (a zero baseline) show as 0.
    """
    frame = relative if kpis is None else relative.loc[kpis]
    n = len(frame)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(3.2 * ncols, 0.35 * frame.shape[1] * nrows + 1.2 * nrows),
        sharey=True, squeeze=False,
    )  # fmt: skip
    colours = [f"C{j}" for j in range(frame.shape[1])]
    y = np.arange(frame.shape[1])
    for k, ax in enumerate(axes.flat):
        if k >= n:
            ax.set_visible(False)
            continue
        values = 100 * frame.iloc[k].fillna(0.0).to_numpy()
        ax.barh(y, values, color=colours)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(str(frame.index[k]), fontsize=10)
        ax.set_xlabel("% vs baseline", fontsize=8)
        ax.tick_params(labelsize=8)
        lim = max(1.0, float(np.abs(values).max()) * 1.15)
        ax.set_xlim(-lim, lim)
        if k % ncols == 0:
            ax.set_yticks(y, frame.columns)
            ax.set_ylabel("scenario", fontsize=8)
    axes[0, 0].invert_yaxis()
    fig.suptitle("What each lever changes against the baseline (same seed)")
    fig.tight_layout()
    return fig


def _draw_monthly(ax, monthly: pd.DataFrame, baseline: str, title: str) -> None:
    """Draw one line per scenario (thousand EUR), the baseline in black."""
    x = monthly.index.to_timestamp() if isinstance(monthly.index, pd.PeriodIndex) else monthly.index
    for col in monthly.columns:
        style = {"color": "black", "lw": 2.0} if col == baseline else {"lw": 1.2, "alpha": 0.85}
        ax.plot(x, monthly[col] / 1e3, label=col, **style)
    ax.set_xlabel("month")
    ax.set_ylabel("revenue (thousand EUR)")
    ax.set_title(title)
    ax.legend(fontsize=8)


def monthly_lines(monthly: pd.DataFrame, baseline: str = "baseline") -> Figure:
    """Monthly revenue per scenario (thousand EUR), the baseline in black."""
    fig, ax = plt.subplots(figsize=(9, 4))
    _draw_monthly(ax, monthly, baseline, "Monthly revenue by scenario")
    fig.tight_layout()
    return fig


def kpi_view(table: pd.DataFrame, kpi: str = "profit", baseline: str = "baseline") -> Figure:
    """One KPI across scenarios: bars with values and the change against the baseline.

    ``table`` comes from :func:`sim.studio.whatif.compare` (rows KPIs, columns scenarios).
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


def delta_intervals(summary: pd.DataFrame, kpis: list[str] | None = None, ncols: int = 4) -> Figure:
    """Small multiples: each variant's paired change against the baseline, with its 95 % interval.

    ``summary`` has the columns of :func:`sim.studio.sweep.summarise`
    (``variant, kpi, diff, diff_low, diff_high``). Changes are relative to the
    baseline's mean, in %; an interval that crosses the zero line is within
    noise (hollow marker). Drawn on a bare :class:`~matplotlib.figure.Figure`
    (no pyplot), so a background thread can draw it.
    """
    data = summary[summary["variant"] != "baseline"]
    base = summary[summary["variant"] == "baseline"].set_index("kpi")["mean"]
    names = [k for k in (kpis or list(dict.fromkeys(data["kpi"]))) if k in set(data["kpi"])]
    variants = list(dict.fromkeys(data["variant"]))
    n = max(1, len(names))
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig = Figure(figsize=(3.2 * ncols, 0.45 * max(1, len(variants)) * nrows + 1.3 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    y = np.arange(len(variants))
    for k, ax in enumerate(axes.flat):
        if k >= len(names):
            ax.set_visible(False)
            continue
        kpi = names[k]
        part = data[data["kpi"] == kpi].set_index("variant").reindex(variants)
        scale = abs(float(base.get(kpi, np.nan)))
        scale = 100.0 / scale if scale and np.isfinite(scale) else np.nan
        mid = part["diff"].to_numpy(float) * scale
        lo = part["diff_low"].to_numpy(float) * scale
        hi = part["diff_high"].to_numpy(float) * scale
        noise = ~((lo > 0) | (hi < 0))
        for j in range(len(variants)):
            colour = f"C{j}"
            if np.isfinite(lo[j]) and np.isfinite(hi[j]):
                ax.plot([lo[j], hi[j]], [y[j], y[j]], color=colour, lw=2)
            ax.plot(mid[j], y[j], "o", color=colour,
                    markerfacecolor="white" if noise[j] else colour)  # fmt: skip
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(kpi, fontsize=10)
        ax.set_xlabel("% vs baseline", fontsize=8)
        ax.tick_params(labelsize=8)
        if k % ncols == 0:
            ax.set_yticks(y, variants)
    axes[0, 0].set_ylim(len(variants) - 0.5, -0.5)
    fig.suptitle("Change against the baseline, paired 95 % interval (hollow: within noise)")
    fig.tight_layout()
    return fig


def monthly_figure(monthly: pd.DataFrame, baseline: str = "baseline") -> Figure:
    """Mean monthly revenue per variant (thousand EUR), baseline in black; pyplot-free."""
    fig = Figure(figsize=(9, 3.6))
    _draw_monthly(fig.subplots(), monthly, baseline, "Monthly revenue, mean over the replications")
    fig.tight_layout()
    return fig
