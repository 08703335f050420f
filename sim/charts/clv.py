"""CLV plots: model checks against the holdout and the truth, and the CLV explorer's view."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "alive_by_frequency_chart",
    "alive_calibration_chart",
    "bgnbd_surface_view",
    "clv_histogram",
    "clv_view",
    "conditional_expectations_chart",
    "frequency_histogram_chart",
    "holdout_chart",
    "interval_chart",
    "iso_value_chart",
    "reconcile_chart",
    "tracking_chart",
]


def holdout_chart(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Predicted vs actual mean holdout purchases per calibration-frequency group.

    ``table`` is indexed by the group (e.g. repeat purchases in calibration, capped)
    with ``predicted`` and ``actual`` columns (mean purchases per customer).
    """
    x = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(x - 0.2, table["actual"], width=0.4, label="actual")
    ax.bar(x + 0.2, table["predicted"], width=0.4, label="predicted (BG/NBD)")
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set(
        xlabel="repeat purchases in the calibration period",
        ylabel="purchases per customer in the holdout",
        title=title or "Holdout check: predicted vs actual purchases",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def alive_calibration_chart(
    prob_alive: np.ndarray | pd.Series,
    alive: np.ndarray | pd.Series,
    bins: int = 10,
    title: str | None = None,
) -> Figure:
    """Reliability diagram: customers grouped by predicted P(alive), share truly alive per group.

    Parameters
    ----------
    prob_alive
        Model probabilities (0–1), one per customer.
    alive
        True/False per customer: alive at the cut-off according to the simulation's truth.
    bins
        Equal-width probability groups.
    """
    p = np.asarray(prob_alive, dtype=float)
    a = np.asarray(alive, dtype=float)
    group = np.minimum((p * bins).astype(int), bins - 1)
    frame = pd.DataFrame({"group": group, "p": p, "a": a}).groupby("group")
    stats = frame.agg(predicted=("p", "mean"), actual=("a", "mean"), n=("p", "size"))
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot([0, 100], [0, 100], ls=":", color="grey", label="perfect calibration")
    ax.scatter(
        100 * stats["predicted"],
        100 * stats["actual"],
        s=20 + 200 * stats["n"] / stats["n"].max(),
        label="customers grouped by prediction",
    )
    ax.set(
        xlabel="predicted P(alive) (%)",
        ylabel="truly alive at the cut-off (%)",
        xlim=(0, 100),
        ylim=(0, 100),
        title=title or "Is P(alive) right? Model vs the simulation's truth",
    )
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def clv_histogram(
    values: np.ndarray | pd.Series, cac: float | None = None, title: str | None = None
) -> Figure:
    """Distribution of per-customer CLV (EUR, log-spaced bins) with its mean and an optional CAC line."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    fig, ax = plt.subplots(figsize=(7, 4))
    edges = np.geomspace(max(v.min(), 1.0), v.max(), 40)
    ax.hist(v, bins=edges, color="tab:blue", alpha=0.8)
    ax.axvline(v.mean(), color="black", ls="--", label=f"mean {v.mean():,.0f} EUR")
    if cac is not None:
        ax.axvline(cac, color="tab:red", label=f"CAC {cac:,.0f} EUR")
    ax.set(
        xscale="log",
        xlabel="expected future margin per customer (EUR, log scale)",
        ylabel="customers",
        title=title or "Customer lifetime value across the base",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def clv_view(values: np.ndarray | pd.Series, cac: float | None = None) -> list:
    """What the CLV explorer shows: a headline and a small table of the CLV distribution.

    Text and a table, no figure, so a slider answers quickly.
    """
    v = np.asarray(values, dtype=float)
    stats = {
        "mean CLV (EUR)": v.mean(),
        "median CLV (EUR)": float(np.median(v)),
        "top 10 % mean (EUR)": float(np.sort(v)[-max(1, len(v) // 10) :].mean()),
        "whole base (EUR)": v.sum(),
    }
    headline = f"Mean CLV {v.mean():,.0f} EUR over {len(v):,} customers"
    if cac is not None:
        stats["CAC (EUR)"] = cac
        stats["CLV:CAC"] = v.mean() / cac if cac > 0 else np.nan
        stats["customers with CLV > CAC (%)"] = 100 * float((v > cac).mean())
        headline += f" — CLV:CAC {stats['CLV:CAC']:.1f}"
    table = pd.Series(stats, name="value").round(1).to_frame()
    return [headline, table]


def tracking_chart(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Weekly cumulative repeat purchases of the cohort: actual vs each model.

    ``table`` is :func:`sim.analytics.clv.tracking_table`'s output; the dotted
    line marks the end of the calibration period.
    """
    models = [c for c in table.columns if c not in ("date", "actual", "calibration")]
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.plot(table.index, table["actual"], color="black", lw=2, label="actual")
    for name in models:
        ax.plot(table.index, table[name], ls="--", label=name)
    split = table.index[table["calibration"]].max()
    ax.axvline(split, ls=":", color="grey", label="end of calibration")
    ax.set(
        xlabel="week since the cohort's first purchase",
        ylabel="cumulative repeat purchases",
        title=title or "Tracking: cumulative repeat purchases, actual vs model",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def frequency_histogram_chart(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Customers per number of calibration repeat purchases: actual vs each model."""
    cols = list(table.columns)
    x = np.arange(len(table))
    width = 0.8 / len(cols)
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, name in enumerate(cols):
        ax.bar(x + (i - (len(cols) - 1) / 2) * width, table[name], width=width, label=name)
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set(
        xlabel="repeat purchases in the calibration period",
        ylabel="customers",
        title=title or "Calibration fit: frequency histogram",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def conditional_expectations_chart(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Mean holdout purchases per calibration-frequency group: actual vs each model.

    ``table`` is :func:`sim.analytics.clv.holdout_by_frequency`'s output.
    """
    models = [c for c in table.columns if c not in ("customers", "actual")]
    x = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(x, table["actual"], "o-", color="black", lw=2, label="actual")
    for name in models:
        ax.plot(x, table[name], "s--", label=name)
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set(
        xlabel="repeat purchases in the calibration period",
        ylabel="mean purchases per customer in the holdout",
        title=title or "Conditional expectations on the holdout",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def iso_value_chart(grid: pd.DataFrame, title: str | None = None) -> Figure:
    """Iso-value curves: contours of expected future purchases over (recency, frequency)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    cs = ax.contour(grid.columns.to_numpy(float), grid.index.to_numpy(float), grid.to_numpy())
    ax.clabel(cs, fmt="%.1f", fontsize=8)
    ax.set(
        xlabel="recency: age at the last purchase (weeks)",
        ylabel="repeat purchases (frequency)",
        title=title or "Iso-value curves: expected purchases in the next year",
    )
    fig.tight_layout()
    return fig


def alive_by_frequency_chart(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Share truly alive vs each model's mean P(alive), per calibration-frequency group."""
    models = [c for c in table.columns if c not in ("customers", "truly_alive")]
    x = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(x, 100 * table["truly_alive"], "o-", color="black", lw=2, label="truly alive (truth)")
    for name in models:
        ax.plot(x, 100 * table[name], "s--", label=f"{name} P(alive)")
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set(
        xlabel="repeat purchases in the calibration period",
        ylabel="alive at the cut-off (%)",
        ylim=(0, 105),
        title=title or "P(alive) against the truth, by purchase count",
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def interval_chart(
    table: pd.DataFrame, xlabel: str, title: str | None = None, reference: str | None = None
) -> Figure:
    """Point estimates with their intervals (``estimate``, ``low``, ``high`` per row).

    ``reference`` names an optional column drawn as a marker beside each estimate
    (e.g. the truth's value).
    """
    y = np.arange(len(table))[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.5))
    err = [table["estimate"] - table["low"], table["high"] - table["estimate"]]
    ax.errorbar(table["estimate"], y, xerr=err, fmt="o", capsize=4, label="estimate and interval")
    if reference is not None:
        ax.scatter(table[reference], y, marker="x", color="tab:red", zorder=3, label=reference)
    ax.set_yticks(y, [str(i) for i in table.index])
    ax.set(xlabel=xlabel, title=title or "Estimates with their intervals")
    ax.legend(loc="best")
    fig.tight_layout()
    return fig


def reconcile_chart(table: pd.DataFrame, title: str | None = None) -> Figure:
    """Horizontal bars: CLV by each method of :func:`sim.analytics.clv.reconcile_clv`."""
    y = np.arange(len(table))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1.5))
    ax.barh(y, table["clv"], color="tab:blue")
    for yi, v in zip(y, table["clv"], strict=True):
        ax.annotate(f"{v:,.0f}", (v, yi), xytext=(4, -4), textcoords="offset points", fontsize=8)
    ax.set_yticks(y, list(table.index), fontsize=8)
    ax.set(xlabel="CLV per customer (EUR of margin)", title=title or "One customer, seven CLVs")
    fig.tight_layout()
    return fig


def bgnbd_surface_view(result: dict) -> list:
    """What the BG/NBD explorer shows: a headline, the P(alive) table and E[X(t)].

    Tables with in-cell colours, not figures, so a slider answers quickly.
    """
    grid, expected, prm = result["p_alive"], result["expected"], result["params"]
    table = (100 * grid).round(0)
    table.columns = [f"{c:.0f} wk" for c in grid.columns]
    table.index = [f"x = {i}" for i in grid.index]
    styled = (
        table.style.background_gradient(cmap="viridis", vmin=0, vmax=100, axis=None)
        .format("{:.0f}")
        .set_caption(
            f"P(alive) in % at age {prm['T']:.0f} weeks: rows = repeat purchases, "
            "columns = age at the last purchase"
        )
    )
    horizons = expected.iloc[:: max(1, (len(expected) - 1) // 4)]
    curve = pd.DataFrame(
        {"E[X(t)] of a new customer": horizons.to_numpy()},
        index=[f"{t:.0f} weeks" for t in horizons.index],
    ).round(2)
    headline = (
        f"r={prm['r']:.2f}, α={prm['alpha']:.1f}: mean rate {prm['r'] / prm['alpha']:.3f} a week; "
        f"a={prm['a']:.2f}, b={prm['b']:.2f}: mean dropout {prm['a'] / (prm['a'] + prm['b']):.2f} "
        f"per purchase"
    )
    return [headline, styled, curve]
