"""CLV plots: model checks against the holdout and the truth, and the CLV explorer's view."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["alive_calibration_chart", "clv_histogram", "clv_view", "holdout_chart"]


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
