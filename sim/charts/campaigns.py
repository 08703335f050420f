"""Plots for campaigns and marketing automation (notebook 07)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.charts import FigureView

__all__ = [
    "ab_intervals",
    "kpi_bars",
    "personalisation_figure",
    "power_curve_figure",
    "send_frequency_figure",
]


def kpi_bars(
    kpis: pd.DataFrame,
    metrics: Sequence[str] = ("open_rate", "ctr", "ctor"),
    title: str = "E-mail KPIs",
) -> Figure:
    """Grouped horizontal bars of rate columns (shares) per row of a KPI table."""
    labels = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in kpis.index]
    y = np.arange(len(kpis))
    h = 0.8 / len(metrics)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(kpis) + 1.5))
    for j, m in enumerate(metrics):
        ax.barh(y + j * h, kpis[m].to_numpy(dtype=float), height=h, label=m)
    ax.set_yticks(y + h * (len(metrics) - 1) / 2, labels)
    ax.invert_yaxis()
    ax.set_xlabel("rate (share of the KPI's denominator)")
    ax.set_ylabel(" / ".join(str(n) for n in kpis.index.names if n) or "group")
    ax.set_title(title)
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return fig


def ab_intervals(tests: Mapping[str, pd.Series]) -> Figure:
    """B − A differences with their confidence intervals (``two_proportion_ztest`` results)."""
    names = list(tests)
    fig, ax = plt.subplots(figsize=(7, 1 + 0.8 * len(names)))
    for i, name in enumerate(names):
        t = tests[name]
        ax.errorbar(
            float(t["diff"]),
            i,
            xerr=[[float(t["diff"] - t["ci_low"])], [float(t["ci_high"] - t["diff"])]],
            fmt="o",
            capsize=5,
        )
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(names)), names)
    ax.set_ylabel("KPI tested")
    ax.set_xlabel("difference in rate, variant B − variant A (share)")
    ax.set_title("A/B test: difference and 95 % confidence interval")
    ax.grid(axis="x", alpha=0.3)
    return fig


def send_frequency_figure(table: pd.DataFrame, current: float | None = None) -> Figure:
    """Unsubscribes and profit against sends per week (a ``send_frequency_model`` table).

    Drawn at a modest resolution with a fixed layout, so an explorer redraws it quickly.
    """
    f = table.index.to_numpy(dtype=float)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=80)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9, wspace=0.3)
    ax1.plot(f, table["unsubscribe_share"], color="crimson")
    ax1.set_xlabel("sends per week")
    ax1.set_ylabel("share of the list lost over the horizon")
    ax1.set_title("Unsubscribes")
    ax2.plot(f, table["revenue"], label="revenue")
    ax2.plot(f, table["profit"], label="profit (revenue − send cost)")
    best = f[int(np.argmax(table["profit"].to_numpy()))]
    ax2.axvline(best, color="green", ls=":", label=f"best: {best:g} a week")
    ax2.set_xlabel("sends per week")
    ax2.set_ylabel("EUR over the horizon")
    ax2.set_title("Revenue and profit")
    for ax in (ax1, ax2):
        if current is not None:
            ax.axvline(current, color="grey", ls="--", label=f"today: {current:.2g} a week")
        ax.grid(alpha=0.3)
    ax2.legend(fontsize="small")
    return fig


def power_curve_figure(table: pd.DataFrame) -> Figure:
    """A ``power_curve`` table: power against messages per arm, the chosen size marked."""
    fig, ax = plt.subplots(figsize=(8, 4), dpi=80)
    ax.semilogx(table.index, table["power"], "-", color="#457b9d")
    n, p = table.attrs.get("n"), table.attrs.get("power")
    if n is not None:
        ax.plot([n], [p], "o", color="crimson", label=f"{n:,.0f} per arm: power {p:.0%}")
    ax.axhline(0.8, color="grey", ls="--", lw=0.8, label="80 % power")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("messages per arm (log scale)")
    ax.set_ylabel("power (chance of a significant result)")
    pa, pb = table.attrs.get("p_a", float("nan")), table.attrs.get("p_b", float("nan"))
    ax.set_title(f"A/B test power: {pa:.2%} → {pb:.2%}")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return fig


class PowerCurveView(FigureView):
    """:func:`power_curve_figure` for an explorer: one figure; the curve, the marked size and the texts move."""

    def draw(self, table: pd.DataFrame) -> Figure:
        return power_curve_figure(table)

    def move(self, fig: Figure, table: pd.DataFrame) -> bool:
        n, p = table.attrs.get("n"), table.attrs.get("power")
        ax = fig.axes[0]
        if n is None or len(ax.lines) != 3:
            return False
        curve, point, _ = ax.lines
        curve.set_data(table.index, table["power"])
        point.set_data([n], [p])
        label = f"{n:,.0f} per arm: power {p:.0%}"
        point.set_label(label)
        ax.get_legend().get_texts()[0].set_text(label)
        pa, pb = table.attrs.get("p_a", float("nan")), table.attrs.get("p_b", float("nan"))
        ax.set_title(f"A/B test power: {pa:.2%} → {pb:.2%}")
        return True


class PersonalisationView(FigureView):
    """:func:`personalisation_figure` for an explorer: one figure whose three curves move."""

    def __init__(self, current: float | None = None) -> None:
        super().__init__()
        self.current = current

    def draw(self, table: pd.DataFrame) -> Figure:
        return personalisation_figure(table, current=self.current)

    def move(self, fig: Figure, table: pd.DataFrame) -> bool:
        a1, a2 = fig.axes
        s = table.index.to_numpy()
        a1.lines[0].set_data(s, table["clicks"])
        a2.lines[0].set_data(s, table["unsubscribes"])
        a2.lines[1].set_data(s, table["spam_complaints"])
        return True


def personalisation_figure(table: pd.DataFrame, current: float | None = None) -> Figure:
    """A ``personalisation_whatif`` table: clicks and complaints against the personalised share."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4), dpi=80)
    s = table.index.to_numpy()
    a1.plot(s, table["clicks"], "o-", label="clicks")
    a1.set_xlabel("share of messages personalised")
    a1.set_ylabel("clicks (per the delivered messages)")
    a1.set_title("Clicks")
    a2.plot(s, table["unsubscribes"], "o-", label="unsubscribes")
    a2.plot(s, table["spam_complaints"], "s--", label="spam complaints")
    a2.set_xlabel("share of messages personalised")
    a2.set_ylabel("count (per the delivered messages)")
    a2.set_title("Unsubscribes and spam complaints")
    a2.legend()
    for ax in (a1, a2):
        if current is not None:
            ax.axvline(current, color="grey", ls=":", lw=1)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
