"""Plots for lifecycle and journeys (notebook 01): funnel, transitions, impressions, journey map.

Each function takes an analytics result from :mod:`sim.analytics.journeys`
and returns a matplotlib Figure; none changes global settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.analytics import journeys
from sim.charts import freeze_layout

__all__ = [
    "IMPRESSION_COLOURS",
    "relationship_view",
    "activity_cycle_chart",
    "customer_journey_view",
    "funnel_chart",
    "impressions_chart",
    "journey_map",
    "segment_funnel_chart",
    "segment_view",
    "transition_heatmap",
]

#: Colour of each moment-of-truth impression.
IMPRESSION_COLOURS = {"positive": "#2a9d5c", "neutral": "#9aa0a6", "negative": "#d1495b"}
_STAGE_COLOURS = {
    "prospect": "#f2f2f2",
    "new": "#e3f2fd",
    "active": "#e8f5e9",
    "at_risk": "#fff3e0",
    "lapsed": "#fde0e0",
    "won_back": "#ede7f6",
}


def funnel_chart(funnel: pd.DataFrame, title: str = "The CRM funnel") -> Figure:
    """Horizontal bars of people per funnel stage (top stage on top), labelled with shares.

    Takes :func:`sim.analytics.journeys.lifecycle_funnel`.
    """
    fig, ax = plt.subplots(figsize=(8, 3.6))
    y = np.arange(len(funnel))[::-1]
    ax.barh(y, funnel["people"], color="#3d5a80")
    for yi, (n, share) in zip(
        y, zip(funnel["people"], funnel["share_of_leads"], strict=True), strict=True
    ):
        ax.text(n, yi, f"  {n:,} ({share:.1%} of leads)", va="center", fontsize=8)
    ax.set_yticks(y, [s.replace("_", "-") for s in funnel.index])
    ax.set_xscale("log")
    ax.set_xlim(right=funnel["people"].max() * 30)
    ax.set_xlabel("people (log scale)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def transition_heatmap(matrix: pd.DataFrame, title: str = "Lifecycle stage transitions") -> Figure:
    """Heat map of a stage transition matrix (rows: from, columns: to), values annotated.

    Takes :func:`sim.analytics.journeys.stage_transitions` (counts or row shares).
    """
    fig, ax = plt.subplots(figsize=(6.5, 5))
    values = matrix.to_numpy(dtype=float)
    im = ax.imshow(values, cmap="Blues")
    share = values.max() <= 1.0
    for (i, j), v in np.ndenumerate(values):
        if v:
            text = (f"{v:.0%}" if v >= 0.01 else "<1%") if share else f"{v:,.0f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if v > values.max() / 2 else "black")  # fmt: skip
    ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=30, ha="right")
    ax.set_yticks(range(matrix.shape[0]), matrix.index)
    ax.set_xlabel("to stage")
    ax.set_ylabel("from stage")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="share of moves out of the row's stage" if share else "moves")
    fig.tight_layout()
    return fig


def impressions_chart(summary: pd.DataFrame, title: str = "Moments of truth") -> Figure:
    """Stacked bars of positive / neutral / negative impression shares per group.

    Takes :func:`sim.analytics.journeys.impressions_summary` (worst group on top).
    """
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(summary) + 1.4))
    labels = [" · ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in summary.index]
    y = np.arange(len(summary))[::-1]
    left = np.zeros(len(summary))
    for kind in ("negative", "neutral", "positive"):
        ax.barh(y, summary[kind], left=left, color=IMPRESSION_COLOURS[kind], label=kind)
        left += summary[kind].to_numpy()
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of touchpoints")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8, ncols=3)
    fig.tight_layout()
    return fig


def activity_cycle_chart(cycle: pd.DataFrame, title: str = "The customer activity cycle") -> Figure:
    """Stacked bars: touchpoints of each kind before, during, after and between purchases.

    Takes :func:`sim.analytics.journeys.activity_cycle`.
    """
    phases = [p for p in journeys.ACTIVITY_PHASES if p in cycle.columns]
    colours = {"pre": "#ee9b00", "during": "#005f73", "post": "#0a9396", "between": "#c9c9c9"}
    fig, ax = plt.subplots(figsize=(8, 3.6))
    y = np.arange(len(cycle))[::-1]
    left = np.zeros(len(cycle))
    for p in phases:
        ax.barh(y, cycle[p], left=left, color=colours.get(p), label=p)
        left += cycle[p].to_numpy()
    ax.set_yticks(y, cycle.index)
    ax.set_xlabel("touchpoints")
    ax.set_title(title)
    ax.legend(title="phase", fontsize=8)
    fig.tight_layout()
    return fig


def journey_map(journey: pd.DataFrame, title: str | None = None) -> Figure:
    """One customer's journey: touchpoints on a timeline by channel, coloured by impression.

    The background bands show the lifecycle stage over time. Takes
    :func:`sim.analytics.journeys.customer_journey`.
    """
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=80)
    fig.subplots_adjust(left=0.14, right=0.8, bottom=0.2, top=0.9)
    channels = list(dict.fromkeys(journey["channel"]))
    ypos = {c: i for i, c in enumerate(channels)}
    t = journey["timestamp"]
    starts = journey.loc[journey["stage"] != journey["stage"].shift(), ["timestamp", "stage"]]
    ends = list(starts["timestamp"].iloc[1:]) + [t.max() + pd.Timedelta(days=7)]
    for (start, stage), end in zip(starts.itertuples(index=False), ends, strict=True):
        ax.axvspan(start, end, color=_STAGE_COLOURS.get(stage, "#ffffff"), zorder=0)
    for kind, colour in IMPRESSION_COLOURS.items():
        rows = journey[journey["impression"] == kind]
        ax.scatter(rows["timestamp"], rows["channel"].map(ypos), color=colour, s=45,
                   edgecolor="black", linewidth=0.4, zorder=3)  # fmt: skip
    ax.set_yticks(range(len(channels)), channels)
    ax.set_ylim(-0.7, len(channels) - 0.3)
    ax.set_xlabel("date")
    ax.set_ylabel("channel")
    ax.set_title(title or f"Journey of customer {int(journey['customer_id'].iloc[0])}")
    marks = [Patch(color=c, label=k) for k, c in IMPRESSION_COLOURS.items()]
    stages = [Patch(color=_STAGE_COLOURS[s], label=s) for s in journeys.STAGES
              if s in set(journey["stage"])]  # fmt: skip
    ax.legend(handles=marks + stages, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    first, last = t.min(), t.max()
    ax.set_xlim(
        first - pd.Timedelta(days=5),
        max(last, first + pd.Timedelta(days=60)) + pd.Timedelta(days=7),
    )
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return fig


def customer_journey_view(touchpoints: pd.DataFrame, customer_id: int) -> list:
    """The journey map of one customer and a count of their touchpoints by kind and impression.

    For an explorer: returns ``[Figure, DataFrame]`` (touchpoint kinds × impressions).
    """
    journey = journeys.customer_journey(touchpoints, customer_id)
    table = pd.crosstab(journey["touchpoint"], journey["impression"])
    table = table.reindex(columns=list(IMPRESSION_COLOURS), fill_value=0)
    table.columns.name = None
    return [journey_map(journey), table]


def segment_funnel_chart(funnel: pd.DataFrame, label: str = "segment") -> Figure:
    """Bars: share of a segment vs everyone that ever reached each lifecycle stage.

    Takes :func:`sim.analytics.journeys.segment_funnel`.
    """
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=80)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.16, top=0.9)
    x = np.arange(len(funnel))
    ax.bar(x - 0.2, funnel["everyone"], width=0.4, color="#c9c9c9", label="everyone")
    ax.bar(x + 0.2, funnel["segment"], width=0.4, color="#3d5a80", label=label)
    ax.set_xticks(x, funnel.index)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share who reached it")
    ax.set_xlabel("lifecycle stage")
    n = int(funnel["customers"].iloc[0]) if len(funnel) else 0
    ax.set_title(f"Lifecycle stages reached: {label} ({n:,} customers) vs everyone")
    ax.legend(fontsize=8)
    return fig


def segment_view(
    touchpoints: pd.DataFrame, segments: Mapping[str, Iterable[int]], segment: str
) -> list:
    """For an explorer: ``[Figure, DataFrame]`` comparing one segment's stages with everyone's.

    ``segments`` maps a label to the segment's customer ids (precomputed once);
    ``segment`` picks one. The table is :func:`sim.analytics.journeys.segment_funnel`.
    """
    if segment not in segments:
        raise KeyError(f"segment {segment!r} not in segments ({', '.join(segments)})")
    funnel = journeys.segment_funnel(touchpoints, segments[segment])
    return [segment_funnel_chart(funnel, segment), funnel]


def relationship_view(
    baseline: journeys.RelationshipChain,
    measured: pd.DataFrame | None = None,
    up: float | None = None,
    down: float | None = None,
    win_back: float | None = None,
) -> list:
    """For an explorer: retention curve and expected value when ``up`` / ``down`` move.

    ``baseline`` is the chain measured on the data (its start shares, values
    per state, horizon and discount are kept); ``up``, ``down``, ``win_back``
    replace its probabilities. ``measured`` (a :func:`state_migration`
    matrix) adds the measured, state-by-state matrix's curve for comparison.
    Returns ``[Figure, DataFrame]``: the figure, and a table of retention at
    the horizon and expected value for the baseline and the moved chain.
    """
    moved = _moved_chain(baseline, up, down, win_back)
    base, new = journeys.relationship_value(baseline), journeys.relationship_value(moved)
    # redrawn on every slider move: a small figure outside pyplot, few tick labels
    fig = Figure(figsize=(7, 2.8), dpi=60)
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.17, top=0.88)
    ax.plot(base.index, base["retained"], color="#9aa0a6", label="chain fitted to the data")
    ax.plot(new.index, new["retained"], color="#3d5a80", lw=2, label="your chain")
    rows = {"fitted chain": base, "your chain": new}
    if measured is not None:
        meas = journeys.matrix_value(measured, baseline)
        ax.plot(meas.index, meas["retained"], "k:", label="measured matrix (state by state)")
        rows["measured matrix"] = meas
    ax.set_ylim(0, 1.02)
    ax.set_yticks([0, 0.5, 1])
    ax.set_xticks(sorted({0, moved.periods // 2, moved.periods}))
    ax.set_xlabel("period since acquisition")
    ax.set_ylabel("share not lost")
    ax.set_title(_relationship_title(moved))
    ax.legend(fontsize=8)
    return [fig, _relationship_table(rows)]


def _moved_chain(baseline, up, down, win_back):
    from dataclasses import replace

    return replace(
        baseline,
        up=baseline.up if up is None else float(up),
        down=baseline.down if down is None else float(down),
        win_back=baseline.win_back if win_back is None else float(win_back),
    )


def _relationship_title(moved) -> str:
    return f"Retention of a new customer: up {moved.up:.2f}, down {moved.down:.2f} per period"


def _relationship_table(rows: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "retained_at_horizon": {k: v["retained"].iloc[-1] for k, v in rows.items()},
            "expected_value": {k: v["cumulative_value"].iloc[-1] for k, v in rows.items()},
        }
    )
    table.index.name = "chain"
    return table


class RelationshipView:
    """:func:`relationship_view` for an explorer, called as ``view(up=, down=, win_back=)``.

    What does not move with the sliders is computed and drawn once: the fitted
    chain's and the measured matrix's curves, the axes, labels and legend
    (the limits and ticks are fixed). An update computes the moved chain, moves
    its line and rewrites the title (same width: two decimals), so it shows what
    ``relationship_view(baseline, measured, up, down, win_back)`` shows.
    """

    def __init__(
        self, baseline: journeys.RelationshipChain, measured: pd.DataFrame | None = None
    ) -> None:
        self.baseline, self.measured = baseline, measured
        self._rows = {"fitted chain": journeys.relationship_value(baseline)}
        if measured is not None:
            self._rows["measured matrix"] = journeys.matrix_value(measured, baseline)
        self.figure: Figure | None = None

    def __call__(
        self, up: float | None = None, down: float | None = None, win_back: float | None = None
    ) -> list:
        if self.figure is None:
            fig, table = relationship_view(self.baseline, self.measured, up, down, win_back)
            self.figure = freeze_layout(fig)
            return [fig, table]
        moved = _moved_chain(self.baseline, up, down, win_back)
        new = journeys.relationship_value(moved)
        ax = self.figure.axes[0]
        ax.lines[1].set_data(new.index, new["retained"])
        ax.set_title(_relationship_title(moved))
        rows = {"fitted chain": self._rows["fitted chain"], "your chain": new}
        if "measured matrix" in self._rows:
            rows["measured matrix"] = self._rows["measured matrix"]
        return [self.figure, _relationship_table(rows)]
