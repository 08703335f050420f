"""Acquisition plots: CPL and CAC by channel, CAC over time, the gains chart, payback curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "budget_view",
    "cac_by_channel_chart",
    "cac_trend_chart",
    "gains_chart",
    "payback_chart",
]


def cac_by_channel_chart(costs: pd.DataFrame, title: str | None = None) -> Figure:
    """Side-by-side bars of cost per lead and cost per acquired customer per channel.

    ``costs`` is :func:`sim.analytics.acquisition.acquisition_costs` by channel
    (``cpl``, ``cac``). CAC is on a log scale: channels differ by orders of magnitude.
    """
    data = costs.sort_values("cac")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    axes[0].barh(data.index, data["cpl"], color="tab:blue")
    axes[0].set(xlabel="cost per lead (EUR)", title="CPL = spend / leads")
    axes[1].barh(data.index, data["cac"], color="tab:orange")
    axes[1].set(
        xlabel="cost per acquired customer (EUR, log scale)",
        title="CAC = spend / customers",
        xscale="log",
    )
    fig.suptitle(title or "What a lead and a customer cost, by channel")
    fig.tight_layout()
    return fig


def cac_trend_chart(monthly: pd.DataFrame, title: str | None = None) -> Figure:
    """CPL and CAC month by month (``acquisition_costs(..., by="month")``)."""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(monthly.index, monthly["cac"], label="CAC", color="tab:orange")
    ax.plot(monthly.index, monthly["cpl"], label="CPL", color="tab:blue")
    ax.set(
        xlabel="month",
        ylabel="EUR",
        ylim=(0, None),
        title=title or "Acquisition cost over time (all channels)",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def gains_chart(lift: pd.DataFrame, title: str | None = None) -> Figure:
    """Cumulative gains: share of conversions captured by the best-scored share of leads.

    ``lift`` is :func:`sim.analytics.acquisition.lift_table`.
    """
    x = np.concatenate([[0.0], 100 * lift["cum_lead_share"].to_numpy()])
    y = np.concatenate([[0.0], 100 * lift["cum_gains"].to_numpy()])
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.plot(x, y, marker="o", label="leads ranked by score")
    ax.plot([0, 100], [0, 100], ls=":", color="grey", label="random order")
    ax.set(
        xlabel="leads contacted, best scores first (cumulative %)",
        ylabel="conversions captured (cumulative %)",
        xlim=(0, 100),
        ylim=(0, 100),
        title=title or "Gains chart of the lead score",
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def payback_chart(
    cumulative_margin: pd.DataFrame, cac: pd.Series, title: str | None = None
) -> Figure:
    """Cumulative margin per customer by tenure month, one line per channel, with its CAC.

    Parameters
    ----------
    cumulative_margin
        Indexed by channel, columns tenure months 1..n: cumulative margin per customer (EUR).
    cac
        CAC per channel (EUR), drawn as a dashed line of the same colour.
    """
    fig, ax = plt.subplots(figsize=(8, 4.5))
    months = np.asarray(cumulative_margin.columns, dtype=float)
    for i, (channel, row) in enumerate(cumulative_margin.iterrows()):
        color = f"C{i}"
        ax.plot(months, row.to_numpy(), color=color, label=str(channel))
        if channel in cac.index and np.isfinite(cac[channel]):
            ax.axhline(cac[channel], color=color, ls="--", lw=1)
    ax.set(
        xlabel="months since acquisition",
        ylabel="cumulative margin per customer (EUR)",
        yscale="log",
        title=title or "Payback: when margin (solid) overtakes CAC (dashed)",
    )
    ax.legend(ncol=2, fontsize="small")
    fig.tight_layout()
    return fig


def budget_view(allocation: pd.DataFrame) -> list:
    """What the budget explorer shows: a headline and the allocation table, formatted.

    ``allocation`` is :func:`sim.analytics.acquisition.budget_allocation` (or
    ``budget_by_channel``) with its ``"total"`` row.
    """
    total = allocation.loc["total"]
    headline = (
        f"{total['spend']:,.0f} EUR → {total['leads']:,.0f} leads → "
        f"{total['customers']:,.0f} customers, CAC {total['cac']:,.0f} EUR"
    )
    table = allocation.assign(share=100 * allocation["share"]).rename(
        columns={
            "share": "% of budget",
            "spend": "spend (EUR)",
            "cpl": "CPL (EUR)",
            "cac": "CAC (EUR)",
        }
    )
    formats = {
        "% of budget": "{:.1f}",
        "spend (EUR)": "{:,.0f}",
        "leads": "{:,.0f}",
        "customers": "{:,.0f}",
        "CPL (EUR)": "{:,.1f}",
        "CAC (EUR)": "{:,.0f}",
    }
    return [headline, table.style.format(formats, na_rep="–")]


__all__ += ["plan_view"]


def plan_view(plan: pd.DataFrame) -> list:
    """What the budget explorer shows: a headline and the plan table.

    ``plan`` is :func:`sim.analytics.acquisition.plan_budget` with ``value``
    (so ``margin`` and ``net``) and, if known, the customers' interval.
    """
    total = plan.loc["total"]
    band = ""
    if "customers_low" in plan.columns:
        band = f" (95 % interval {total['customers_low']:,.0f}–{total['customers_high']:,.0f})"
    headline = (
        f"{total['spend']:,.0f} EUR → {total['leads']:,.0f} leads → "
        f"{total['customers']:,.0f} customers{band}, CAC {total['cac']:,.0f} EUR"
    )
    if "net" in plan.columns:
        headline += f"; margin {total['margin']:,.0f} EUR, net of spend {total['net']:,.0f} EUR"
    formats = {c: "{:,.0f}" for c in plan.columns}
    return [headline, plan.style.format(formats, na_rep="–")]
