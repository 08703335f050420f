"""Plots for loyalty economics (notebook 09): points flows, redemption, programme design."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analytics.loyalty import ProgrammeDesign

__all__ = [
    "design_figure",
    "design_panel",
    "design_view",
    "design_summary",
    "effect_bars",
    "effect_intervals",
    "points_flow",
    "redemption_curve",
]


def points_flow(
    by_period: pd.DataFrame, title: str = "Points issued, redeemed and expired"
) -> Figure:
    """Bars of points issued (up) and redeemed / expired (down) per period, outstanding as a line.

    ``by_period`` comes from :func:`sim.analytics.loyalty.points_by_period`.
    """
    labels = [str(p) for p in by_period.index]
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.bar(x, by_period["issued"] / 1e3, label="issued", color="tab:blue")
    ax.bar(x, -by_period["redeemed"] / 1e3, label="redeemed", color="tab:green")
    ax.bar(
        x, -by_period["expired"] / 1e3, bottom=-by_period["redeemed"] / 1e3,
        label="expired (breakage)", color="tab:red",
    )  # fmt: skip
    ax.plot(x, by_period["net"].cumsum() / 1e3, "k.-", label="outstanding (cumulative net)")
    ax.axhline(0, color="grey", lw=0.8)
    step = max(1, len(labels) // 12)
    ax.set_xticks(x[::step], labels[::step], rotation=45, ha="right")
    ax.set_xlabel("period")
    ax.set_ylabel("thousand points")
    ax.set_title(title)
    ax.legend(fontsize=8, ncols=2)
    fig.tight_layout()
    return fig


def redemption_curve(curve: pd.DataFrame, marks: tuple[int, ...] = (6, 12)) -> Figure:
    """Share of members who redeemed within m months of enrolling, with the KPI months marked.

    ``curve`` comes from :func:`sim.analytics.loyalty.redemption_curve`.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(curve.index, curve["redeemed_share"], "o-", ms=3)
    for m in marks:
        if m in curve.index:
            v = float(curve.loc[m, "redeemed_share"])
            ax.axvline(m, color="grey", ls=":", lw=1)
            ax.annotate(f"{m} months: {v:.0%}", (m, v), xytext=(5, -15), textcoords="offset points")
    ax.set_ylim(0, None)
    ax.set_xlabel("months since enrolment")
    ax.set_ylabel("share of members who redeemed")
    ax.set_title("How soon do members redeem a reward?")
    return fig


def effect_bars(
    values: pd.Series, title: str = "Members vs non-members: what the gap hides"
) -> Figure:
    """Horizontal bars of per-customer gaps (EUR), e.g. naive comparisons beside the true effect."""
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(values) + 1.5))
    bars = ax.barh(values.index[::-1], values.to_numpy()[::-1], color="tab:purple")
    ax.bar_label(bars, fmt="{:,.0f} €", padding=3)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("extra spend per customer over the period (EUR)")
    ax.set_ylabel("comparison")
    ax.set_title(title)
    ax.margins(x=0.15)
    fig.tight_layout()
    return fig


def design_summary(result: ProgrammeDesign) -> pd.Series:
    """The headline figures of a :class:`~sim.analytics.loyalty.ProgrammeDesign`, rounded."""
    return pd.Series(
        {
            "points issued": round(result.issued),
            "breakage (share never redeemed)": round(result.breakage, 3),
            "liability at the end (EUR)": round(result.liability),
            "expected liability (EUR)": round(result.expected_liability),
            "members who claimed a reward": round(result.engaged_share, 3),
            "reward cost (EUR)": round(result.reward_cost),
            "running cost (EUR)": round(result.running_cost),
            "incremental margin (EUR)": round(result.incremental_margin),
            "net benefit (EUR)": round(result.net_benefit),
            "ROI": round(result.roi, 3),
        },
        name="programme design",
    )


def design_figure(result: ProgrammeDesign) -> Figure:
    """The outstanding liability month by month of a :class:`~sim.analytics.loyalty.ProgrammeDesign`."""
    m = result.monthly
    fig, ax = plt.subplots(figsize=(7, 3), dpi=80)
    ax.plot(m["month"], m["liability"] / 1e3, color="tab:red")
    ax.set_xlabel("month")
    ax.set_ylabel("liability (thousand EUR)")
    ax.set_title(
        f"Outstanding liability: {result.liability:,.0f} € at the end; "
        f"breakage {result.breakage:.0%}"
    )
    ax.set_ylim(0, None)
    fig.tight_layout()
    return fig


def design_panel(result: ProgrammeDesign) -> list:
    """Summary table and the liability curve for the design explorer (one light figure, fast to draw)."""
    m = result.monthly
    fig, ax = plt.subplots(figsize=(7, 3), dpi=80)
    ax.plot(m["month"], m["liability"] / 1e3, color="tab:red")
    ax.set_xlabel("month")
    ax.set_ylabel("liability (thousand EUR)")
    ax.set_title(
        f"Outstanding liability: {result.liability:,.0f} € at the end; "
        f"breakage {result.breakage:.0%}, ROI {result.roi:+.0%}"
    )
    ax.set_ylim(0, None)
    return [design_summary(result), fig]


def design_view(result: ProgrammeDesign) -> list:
    """The design explorer's view: a sentence, the headline figures and the liability every six months.

    Text and HTML only, so an update stays fast; :func:`design_figure` draws
    the liability curve.
    """
    m = result.monthly.set_index("month")
    marks = [k for k in m.index if k % 6 == 0] or [int(m.index[-1])]
    path = m.loc[marks, ["issued", "redeemed", "expired", "liability"]].round(0)
    path.columns = [
        "points issued that month", "redeemed that month", "expired that month", "liability (EUR)",
    ]  # fmt: skip
    line = (
        f"liability at the end {result.liability:,.0f} EUR (expected {result.expected_liability:,.0f}"
        f" after breakage); breakage {result.breakage:.1%}; "
        f"{result.engaged_share:.0%} of members claim a reward"
    )
    return [line, design_summary(result), path]


def effect_intervals(
    table: pd.DataFrame, outcome: str = "spend in the year after the first order"
) -> Figure:
    """The member effect estimates of :func:`sim.analytics.loyalty.member_effect_estimates` with intervals."""
    from sim.charts.service import interval_plot

    labels = {
        "naive": "naive: members − non-members",
        "stratified": "stratified on first order value",
        "ipw": "weighted by modelled enrolment chance",
        "truth_ipw": "weighted by the true enrolment chance (truth)",
    }
    return interval_plot(
        table.rename(index=labels),
        "Member effect: naive, controlled and causal (95 % intervals)",
        f"member − non-member, EUR of {outcome}",
        reference=0.0,
        reference_label="no effect",
    )
