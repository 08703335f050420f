"""Plots for service and customer experience (notebook 08)."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analytics.service import staffing_curves

__all__ = [
    "centre_explorer",
    "centre_panel",
    "client_types_bars",
    "interval_plot",
    "staffing_figure",
    "wait_histogram",
]


def wait_histogram(tickets: pd.DataFrame, channel: str = "phone", bins: int = 30) -> Figure:
    """Queue waits of answered and abandoned contacts on one channel, in minutes."""
    t = tickets[tickets["channel"] == channel]
    fig, ax = plt.subplots(figsize=(8, 4))
    edges = np.linspace(0, max(float(t["wait_minutes"].max()), 1.0), bins + 1)
    for flag, label in ((False, "answered"), (True, "abandoned (hung up)")):
        ax.hist(t.loc[t["abandoned"] == flag, "wait_minutes"], bins=edges, alpha=0.6, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("wait before being answered or hanging up (minutes)")
    ax.set_ylabel("calls (log scale)")
    ax.set_title(f"Waiting on the {channel} line")
    ax.legend()
    return fig


def client_types_bars(shares: Mapping[str, pd.Series]) -> Figure:
    """Side-by-side shares of detractors / passives / promoters (one bar group per source)."""
    frame = pd.DataFrame(shares)
    x = np.arange(len(frame))
    w = 0.8 / frame.shape[1]
    fig, ax = plt.subplots(figsize=(7, 4))
    for j, col in enumerate(frame.columns):
        bars = ax.bar(x + j * w, frame[col], width=w, label=col)
        ax.bar_label(bars, fmt="{:.0%}")
    ax.set_xticks(x + w * (frame.shape[1] - 1) / 2, frame.index)
    ax.set_ylabel("share of respondents")
    ax.set_title("Client types: the brand against the material's rule of thumb")
    ax.legend()
    return fig


def staffing_figure(table: pd.DataFrame, agents: int | None = None) -> Figure:
    """Service level and mean wait by agent count: Erlang C lines, simulation markers.

    ``table`` comes from :func:`sim.analytics.service.simulated_staffing_table`;
    ``agents`` highlights one agent count and puts its figures in the title.
    Drawn at a modest resolution with a fixed layout, so an explorer redraws it quickly.
    """
    c = table.index.to_numpy()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), dpi=80)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.82, wspace=0.3)
    ax1.plot(c, table["service_level"], "-", label="Erlang C (no hang-ups)")
    ax1.plot(c, table["sim_service_level"], "o", label="simulation (callers hang up)")
    ax1.set_ylim(0, 1.02)
    ax1.set_ylabel("share answered within the target")
    ax1.set_title("Service level")
    wait = table["mean_wait"].replace(np.inf, np.nan)
    ax2.plot(c, wait, "-", label="Erlang C")
    ax2.plot(c, table["sim_mean_wait"], "o", label="simulation")
    ax2.set_ylabel("mean wait per call (minutes)")
    ax2.set_title("Mean wait")
    for ax in (ax1, ax2):
        ax.set_xlabel("agents")
        ax.set_xticks(c)
        ax.grid(alpha=0.3)
        if agents is not None:
            ax.axvline(agents, color="grey", ls="--")
    ax1.legend()
    if agents is not None and agents in table.index:
        r = table.loc[agents]
        fig.suptitle(
            f"{agents} agents — Erlang C: {r['service_level']:.0%} answered in time, "
            f"mean wait {r['mean_wait']:.1f} min; simulation: {r['sim_service_level']:.0%}, "
            f"{r['sim_mean_wait']:.1f} min, {r['sim_abandonment']:.0%} hang up",
            fontsize="medium",
        )
    return fig


def interval_plot(
    table: pd.DataFrame,
    title: str,
    xlabel: str,
    estimate: str = "estimate",
    low: str = "low",
    high: str = "high",
    reference: float | None = None,
    reference_label: str = "",
) -> Figure:
    """Horizontal points with their intervals, one row per index entry of ``table``.

    ``reference`` draws a vertical line (a claim, zero, a target) labelled
    ``reference_label``.
    """
    t = table.iloc[::-1]
    y = np.arange(len(t))
    est = t[estimate].to_numpy(dtype=float)
    err = np.vstack([est - t[low].to_numpy(dtype=float), t[high].to_numpy(dtype=float) - est])
    fig, ax = plt.subplots(figsize=(7.5, 0.5 * len(t) + 1.4), dpi=80)
    ax.errorbar(est, y, xerr=err, fmt="o", capsize=4)
    ax.set_yticks(y, [str(i) for i in t.index])
    if reference is not None:
        ax.axvline(reference, color="grey", ls="--", label=reference_label or None)
        if reference_label:
            ax.legend(loc="best", fontsize="small")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def centre_panel(curves: pd.DataFrame, agents: int, title: str = "") -> Figure:
    """Service level and abandonment by agent count (Erlang C and Erlang A), one count marked.

    ``curves`` comes from :func:`sim.analytics.service.staffing_curves`. Drawn
    at a modest resolution with a fixed layout, so an explorer redraws it quickly.
    """
    c = curves.index.to_numpy()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=72)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.8, wspace=0.3)
    ax1.plot(c, curves["erlang_c_service_level"], "o-", label="Erlang C (nobody hangs up)")
    ax1.plot(c, curves["service_level"], "s--", label="Erlang A (callers hang up)")
    ax1.axhline(0.8, color="grey", lw=0.8, ls=":")
    ax1.set_ylim(0, 1.02)
    ax1.set_ylabel("share of calls answered within the target")
    ax1.set_title("Service level")
    ax1.legend(loc="lower right", fontsize="small")
    ax2.plot(c, curves["abandonment"], "s--", color="C1")
    ax2.set_ylim(0, max(0.05, float(curves["abandonment"].max()) * 1.1))
    ax2.set_ylabel("share of calls abandoned")
    ax2.set_title("Abandonment (Erlang A)")
    for ax in (ax1, ax2):
        ax.set_xlabel("agents")
        ax.grid(alpha=0.3)
        ax.axvline(agents, color="grey", ls="--")
    if agents in curves.index:
        r = curves.loc[agents]
        ec = r["erlang_c_service_level"]
        ec_txt = "unstable (load ≥ agents)" if np.isnan(ec) else f"{ec:.0%} answered in time"
        fig.suptitle(
            f"{title}{agents} agents — Erlang C: {ec_txt}; Erlang A: {r['service_level']:.0%} "
            f"in time, {r['abandonment']:.1%} hang up, occupancy {r['occupancy']:.0%}",
            fontsize="medium",
        )
    return fig


def centre_explorer(
    market: str,
    demand: float,
    agents: int,
    *,
    loads: dict[str, float],
    handle_time: float,
    patience: float,
    threshold: float,
) -> list:
    """The staffing explorer's view: a market's offered load × ``demand`` on ``agents`` agents.

    ``loads`` maps each market to its offered load in Erlangs (its customers'
    calls plus its share of the other brands' traffic); ``demand`` scales it
    (1 = today). Returns a sentence for the chosen agent count and the table of
    :func:`sim.analytics.service.staffing_curves` for the agent counts around
    it (the chosen row marked), text and HTML only, so an update stays fast;
    :func:`centre_panel` draws the same curves as a figure.
    """
    if market not in loads:
        raise ValueError(f"market: {market!r} is not one of {sorted(loads)}")
    load = loads[market] * float(demand)
    lo = max(1, min(agents, int(load)) - 2)
    hi = max(agents, int(np.ceil(load))) + 5
    curves = staffing_curves(load, handle_time, patience, threshold, range(lo, hi + 1))
    r = curves.loc[agents]
    ec = r["erlang_c_service_level"]
    ec_txt = "no steady state (load ≥ agents)" if np.isnan(ec) else f"{ec:.1%} answered in time"
    line = (
        f"{market}: {load:.2f} Erlangs on {agents} agents — Erlang C: {ec_txt}; Erlang A: "
        f"{r['service_level']:.1%} answered in time, {r['abandonment']:.1%} hang up, "
        f"mean wait {r['mean_wait'] * 60:.0f} s, occupancy {r['occupancy']:.0%}"
    )
    table = curves[["erlang_c_service_level", "service_level", "abandonment", "occupancy"]].rename(
        columns={
            "erlang_c_service_level": "Erlang C service level",
            "service_level": "Erlang A service level",
            "abandonment": "Erlang A abandonment",
            "occupancy": "occupancy",
        }
    )
    table.index = [f"{c} ◀" if c == agents else str(c) for c in table.index]
    table.index.name = "agents"
    return [line, table.round(3)]
