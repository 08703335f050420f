"""Plots for data quality (notebook 02): pair scores, the threshold trade-off, the explorer view.

Each function takes results from :mod:`sim.analytics.quality` and returns a
matplotlib Figure (or, for the explorer, a list of displayable results).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analytics import quality

__all__ = ["score_histogram", "threshold_chart", "threshold_view"]


def score_histogram(
    labelled: pd.DataFrame, threshold: float | None = None, bins: int = 50
) -> Figure:
    """Distribution of pair scores for true duplicates vs different people.

    Each group is normalised to shares of its own pairs (there are far more
    pairs of different people than duplicates), so the overlap is visible.
    Takes :func:`sim.analytics.quality.label_pairs`; a dashed line marks ``threshold``.
    """
    fig, ax = plt.subplots(figsize=(7, 3), dpi=80)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.17, top=0.9)
    edges = np.linspace(0, 1, bins + 1)
    true = labelled["is_true"].astype(bool).to_numpy()
    score = labelled["score"].to_numpy(dtype=float)
    for mask, colour, label in (
        (~true, "#9aa0a6", "different people"),
        (true, "#d1495b", "same person (truth)"),
    ):
        counts, _ = np.histogram(score[mask], bins=edges)
        shares = counts / max(int(mask.sum()), 1)
        ax.stairs(shares, edges, fill=True, color=colour, alpha=0.75,
                  label=f"{label}: {int(mask.sum()):,} pairs")  # fmt: skip
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set_xlabel("pair similarity score (0–1)")
    ax.set_ylabel("share of the group's pairs")
    ax.set_title("Who looks like a duplicate? Scores of candidate pairs")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def threshold_chart(
    curve: pd.DataFrame, true_rate: float | None = None, threshold: float | None = None
) -> Figure:
    """Precision, recall and F1 (left) and the estimated duplicate rate (right) by threshold.

    Takes :func:`sim.analytics.quality.threshold_curve`; ``true_rate`` (from the
    truth table) and the < 2 % target are drawn on the right panel.
    """
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.6))
    for col, colour in (("precision", "#3d5a80"), ("recall", "#ee6c4d"), ("f1", "#2a9d5c")):
        ax.plot(curve["threshold"], curve[col], color=colour, label=col)
    ax.set_xlabel("match threshold")
    ax.set_ylabel("share (0–1)")
    ax.set_ylim(0, 1.05)
    ax.set_title("Precision / recall trade-off")
    ax.legend(fontsize=8)
    bx.plot(curve["threshold"], 100 * curve["estimated_duplicate_rate"], color="#3d5a80",
            label="estimated from matches")  # fmt: skip
    if true_rate is not None:
        bx.axhline(100 * true_rate, color="#d1495b", linestyle=":", label="true rate (truth)")
    bx.axhline(100 * quality.DUPLICATE_RATE_TARGET, color="black", linestyle="--",
               label="target < 2 %")  # fmt: skip
    bx.set_xlabel("match threshold")
    bx.set_ylabel("duplicate profiles (%)")
    bx.set_title("Duplicate rate the matcher reports")
    bx.legend(fontsize=8)
    for a in (ax, bx):
        if threshold is not None:
            a.axvline(threshold, color="grey", linewidth=0.8)
    fig.tight_layout()
    return fig


def threshold_view(
    labelled: pd.DataFrame, threshold: float, true_pairs: int, profiles: int
) -> list:
    """For the explorer: ``[metrics text, score histogram]`` at one threshold.

    The metrics come from :func:`sim.analytics.quality.threshold_metrics`.
    """
    m = quality.threshold_metrics(labelled, threshold, true_pairs, profiles)
    text = (
        f"threshold {threshold:.2f}: {int(m['detected']):,} pairs matched, "
        f"{int(m['fp']):,} wrong merges, {int(m['fn']):,} duplicates missed\n"
        f"precision {m['precision']:.1%} · recall {m['recall']:.1%} · F1 {m['f1']:.3f} · "
        f"estimated duplicate rate {m['estimated_duplicate_rate']:.2%} "
        f"(target < {quality.DUPLICATE_RATE_TARGET:.0%})"
    )
    return [text, score_histogram(labelled, threshold)]


__all__ += ["review_view"]


def review_view(
    labelled: pd.DataFrame, threshold: float, review: int, true_pairs: int, profiles: int
) -> list:
    """For the explorer: the decision at ``threshold`` and what a review of ``review`` matches says.

    A headline and a small table from :func:`sim.analytics.quality.audit_view`:
    precision as the review estimates it (with its Wilson interval) beside the
    truth, and the duplicates merged, wrongly merged and left. No figure, so an
    update stays fast; the score histogram is drawn once in the notebook.
    """
    v = quality.audit_view(labelled, threshold, review, true_pairs, profiles)
    target = quality.DUPLICATE_RATE_TARGET
    text = (
        f"threshold {threshold:.2f}: {int(v['detected']):,} pairs merged, "
        f"{int(v['fp']):,} wrong merges, {int(v['fn']):,} duplicates missed; "
        f"a review of {int(v['audit_reviewed'])} merges puts precision at "
        f"{v['audit_low']:.1%}–{v['audit_high']:.1%} (95 % interval), the truth is "
        f"{v['audit_true_precision']:.1%}"
    )
    table = pd.DataFrame(
        {
            "what the brand sees": [
                f"{v['audit_estimate']:.1%} ({v['audit_low']:.1%}–{v['audit_high']:.1%})",
                "unknown without the truth",
                "unknown without the truth",
            ],
            "truth": [
                f"{v['audit_true_precision']:.1%}",
                f"{v['recall']:.1%}",
                f"{v['left_rate']:.2%} (target < {target:.0%})",
            ],
        },
        index=pd.Index(["precision", "recall", "duplicates left"], name="at this threshold"),
    )
    return [text, table]
