"""Plots for retention and churn (notebook 06): cohorts, survival, sBG projection, uplift."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.charts import freeze_layout

__all__ = [
    "cohort_heatmap",
    "sbg_curve_figure",
    "sbg_projection",
    "survival_bands",
    "survival_curves",
    "uplift_profit_bars",
]


def cohort_heatmap(retention: pd.DataFrame, max_months: int = 24, vmax: float = 0.3) -> Figure:
    """Heat map of a cohort retention table (rows: cohorts, columns: months since acquisition).

    Month 0 (always 100 %) is left out so the colour scale shows the later
    months; unobservable cells stay blank.
    """
    table = retention.loc[:, 1:max_months].astype("float64")
    fig, ax = plt.subplots(figsize=(10, 6))
    im = ax.imshow(table.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=vmax)
    ax.set_xticks(range(0, table.shape[1], 3), [str(c) for c in table.columns[::3]])
    step = max(1, len(table) // 12)
    ax.set_yticks(range(0, len(table), step), [d.strftime("%Y-%m") for d in table.index[::step]])
    ax.set_xlabel("months since first order")
    ax.set_ylabel("cohort (month of first order)")
    ax.set_title("Share of each cohort buying again, by month")
    fig.colorbar(im, ax=ax, label="share of cohort with an order")
    return fig


def survival_curves(curves: Mapping[str, pd.DataFrame], unit: str = "days") -> Figure:
    """Kaplan–Meier step curves, one per label (tables from ``kaplan_meier``)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, km in curves.items():
        ax.step(km.index, km["survival"], where="post", label=label)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"customer lifetime ({unit})")
    ax.set_ylabel("share still active (survival)")
    ax.set_title("Kaplan–Meier survival of customer lifetimes")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def sbg_projection(
    survivors: pd.DataFrame,
    projected: Sequence[float] | np.ndarray,
    calibration_periods: int,
    period_label: str = "quarters",
) -> Figure:
    """Observed survivors of a cohort against the sBG curve fitted on the first periods.

    ``survivors`` comes from :func:`sim.analytics.retention.cohort_survivors`
    (``true_active``, ``seen_active``); ``projected`` holds the model's expected
    survivors for the same periods; ``calibration_periods`` marks the last
    period used for fitting.
    """
    k = survivors.index.to_numpy()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(k, survivors["true_active"], "o-", label="truly still a customer (truth)")
    ax.plot(k, survivors["seen_active"], "s:", color="grey", label="bought again later (observed)")
    ax.plot(k, projected, "--", color="crimson", label="sBG fitted on the shaded periods")
    ax.axvspan(-0.2, calibration_periods + 0.2, color="crimson", alpha=0.08)
    ax.set_xlabel(f"{period_label} since acquisition")
    ax.set_ylabel("customers of the cohort")
    ax.set_title("A cohort's survivors: sBG projection versus what happened")
    ax.set_ylim(0, None)
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def uplift_profit_bars(result: pd.Series) -> Figure:
    """Baseline versus uplifted profit per acquired customer (a ``retention_uplift_profit`` result)."""
    fig, ax = plt.subplots(figsize=(6, 4), dpi=80)
    labels = [
        f"retention {result['retention']:.0%}",
        f"retention {result['retention_uplifted']:.0%}",
    ]
    values = [result["baseline_profit"], result["uplifted_profit"]]
    bars = ax.bar(labels, values, color=["#888888", "#2a9d8f"])
    ax.bar_label(bars, fmt="%.0f €")
    ax.axhline(0, color="black", lw=0.8)
    pct = result["pct_increase"]
    change = "n/a (baseline profit ≤ 0)" if pd.isna(pct) else f"{pct:+.0%}"
    ax.set_xlabel("scenario (retention per year)")
    ax.set_ylabel("lifetime profit per acquired customer (EUR)")
    ax.set_title(f"Retention uplift → profit: {change}")
    return fig


def survival_bands(curves: Mapping[str, pd.DataFrame], unit: str = "days") -> Figure:
    """Kaplan–Meier curves with their Greenwood bands (tables from ``greenwood_bands``)."""
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=80)
    for label, km in curves.items():
        (line,) = ax.step(km.index, km["survival"], where="post", label=label)
        ax.fill_between(
            km.index, km["low"], km["high"], step="post", alpha=0.25, color=line.get_color()
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"time since first order ({unit})")
    ax.set_ylabel("share whose relationship is not yet lost")
    ax.set_title("Kaplan–Meier survival with 95 % Greenwood bands")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def sbg_curve_figure(table: pd.DataFrame, period_label: str = "years") -> Figure:
    """An ``sbg_curve`` table: survival and retention rate, sBG against geometric."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4), dpi=80)
    t = table.index.to_numpy()
    a1.plot(t, table["survival"], "o-", label="sBG (customers differ)")
    a1.plot(t, table["geometric_survival"], "s--", color="grey", label="geometric (all alike)")
    a1.set_ylim(0, 1.02)
    a1.set_xlabel(f"{period_label} since acquisition")
    a1.set_ylabel("share of the cohort still active")
    a1.set_title("Survival")
    a1.legend()
    a2.plot(t[1:], table["retention_rate"].iloc[1:], "o-", label="sBG")
    a2.plot(t[1:], table["geometric_retention"].iloc[1:], "s--", color="grey", label="geometric")
    a2.set_ylim(0, 1.02)
    a2.set_xlabel(f"{period_label} since acquisition")
    a2.set_ylabel("retention rate of the period")
    a2.set_title("Retention rate rises only if customers differ")
    a2.legend()
    for ax in (a1, a2):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


class SbgCurveView:
    """``sbg_curve_figure`` for an explorer: drawn once, then only its four lines move.

    The axes' limits are fixed (survival and retention in [0, 1.02], the same
    periods), so an update that only sets the lines' heights shows what a new
    ``sbg_curve_figure`` would, without building and laying out a figure each time.
    A table over other periods gets a new figure.
    """

    def __init__(self, period_label: str = "years") -> None:
        self.period_label = period_label
        self.figure: Figure | None = None
        self._periods: np.ndarray | None = None

    def __call__(self, table: pd.DataFrame) -> Figure:
        t = table.index.to_numpy()
        if self.figure is None or not np.array_equal(t, self._periods):
            self.figure = freeze_layout(sbg_curve_figure(table, self.period_label))
            self._periods = t
            return self.figure
        a1, a2 = self.figure.axes
        a1.lines[0].set_ydata(table["survival"].to_numpy())
        a1.lines[1].set_ydata(table["geometric_survival"].to_numpy())
        a2.lines[0].set_ydata(table["retention_rate"].iloc[1:].to_numpy())
        a2.lines[1].set_ydata(table["geometric_retention"].iloc[1:].to_numpy())
        return self.figure
