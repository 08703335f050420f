"""Segmentation plots: the Pareto (80/20) curve and segment shares of customers vs revenue."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["backtest_view", "pareto_chart", "segment_shares_chart", "segment_view"]


def pareto_chart(curve: pd.DataFrame, top: float = 0.2, title: str | None = None) -> Figure:
    """Cumulative revenue share against cumulative customer share, best customers first.

    Parameters
    ----------
    curve
        Output of :func:`sim.analytics.rfm.pareto_curve` (``customer_share``,
        ``revenue_share``).
    top
        Customer share to mark (0.2 marks the "80/20" point).
    title
        Optional title; default names the marked share.
    """
    share = float(np.interp(top, curve["customer_share"], curve["revenue_share"]))
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(100 * curve["customer_share"], 100 * curve["revenue_share"], label="the brand")
    ax.plot([0, 100], [0, 100], ls=":", color="grey", label="everyone spends the same")
    ax.plot([0, 20, 100], [0, 80, 100], ls="--", color="tab:red", lw=1, label="the 80/20 rule")
    ax.plot([100 * top, 100 * top], [0, 100 * share], color="tab:orange", lw=1)
    ax.plot([0, 100 * top], [100 * share, 100 * share], color="tab:orange", lw=1)
    ax.annotate(
        f"top {100 * top:.0f} % → {100 * share:.0f} % of revenue",
        (100 * top, 100 * share),
        xytext=(8, -16),
        textcoords="offset points",
    )
    ax.set(
        xlabel="customers, best first (cumulative %)",
        ylabel="revenue (cumulative %)",
        xlim=(0, 100),
        ylim=(0, 100),
        title=title or "Pareto curve: how concentrated is revenue?",
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def segment_shares_chart(summary: pd.DataFrame, title: str | None = None) -> Figure:
    """Horizontal bars: each segment's share of customers next to its share of revenue.

    Parameters
    ----------
    summary
        Indexed by segment (or tier) with ``customer_share`` and ``revenue_share``
        (e.g. :func:`sim.analytics.rfm.segment_summary`).
    """
    data = summary[["customer_share", "revenue_share"]].fillna(0.0)[::-1]
    y = np.arange(len(data))
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(data) + 1.4))
    ax.barh(y + 0.2, 100 * data["customer_share"], height=0.4, label="customers")
    ax.barh(y - 0.2, 100 * data["revenue_share"], height=0.4, label="revenue")
    ax.set_yticks(y, [str(i) for i in data.index])
    ax.set(
        xlabel="share (%)",
        title=title or "Share of customers vs share of revenue",
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def segment_view(summary: pd.DataFrame):
    """What an explorer shows for a segment table: shares in percent, with in-cell bars.

    ``summary`` has ``customers``, ``customer_share``, ``revenue_share`` and
    optionally ``revenue_per_customer`` (e.g. :func:`sim.analytics.rfm.segments_at_cutoffs`).
    Returns a pandas ``Styler`` (HTML with bars, cheap enough for a slider, unlike a figure).
    """
    table = summary.copy()
    table["customer_share"] = 100 * table["customer_share"]
    table["revenue_share"] = 100 * table["revenue_share"]
    table = table.rename(
        columns={
            "customer_share": "% of customers",
            "revenue_share": "% of revenue",
            "revenue_per_customer": "EUR per customer",
        }
    )
    shares = ["% of customers", "% of revenue"]
    formats = {"customers": "{:,.0f}", "EUR per customer": "{:,.0f}"}
    formats.update(dict.fromkeys(shares, "{:.1f}"))
    return table.style.bar(subset=shares, color="#9ecae1", vmin=0, vmax=100).format(
        {k: v for k, v in formats.items() if k in table.columns}, na_rep="–"
    )


def backtest_view(table: pd.DataFrame):
    """What the cut-off explorer shows: segment sizes and next-year return rates with intervals.

    ``table`` is :func:`sim.analytics.rfm.backtest_cutoffs`'s output. Returns a
    pandas ``Styler`` (percentages, a bar on the return rate; no figure, so a
    slider answers quickly).
    """
    pct = ["customer_share", "revenue_share", "active_next", "low", "high"]
    formats = {"customers": "{:,.0f}"} | dict.fromkeys(pct, "{:.1%}")
    return (
        table.style.format(formats, na_rep="–")
        .bar(subset=["active_next"], color="#9ecae1", vmin=0, vmax=1)
        .set_caption(
            "active_next: share who bought again the following year; low–high: its interval"
        )
    )
