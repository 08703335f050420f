"""Surveys after experiences: who answers, and their NPS, CSAT and CES scores.

A share of customers answers a survey two days after an order, or once a
service contact or repair is over; a bad experience (a hang-up, high effort,
a delayed or rejected repair) shifts the answers down.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenario import Service
from sim.world.seeding import stream

__all__ = ["TICKET_FIELDS", "survey_records", "survey_scores", "ticket_records"]

# What the world records per service contact (see World.record_ticket).
TICKET_FIELDS = (
    "person", "customer_id", "order", "t", "channel", "reason", "wait_minutes", "abandoned",
    "handle_minutes", "contacts_to_resolve", "effort_score", "repair_outcome", "repair_days",
)  # fmt: skip


# Score distributions of a standard and a bad experience (NPS 0..10).
_NPS_GOOD = np.array([1, 1, 1, 1, 2, 3, 4, 9, 18, 26, 34], dtype=float)
_NPS_BAD = np.array([8, 7, 9, 10, 11, 12, 12, 11, 9, 6, 5], dtype=float)


def survey_scores(rng: np.random.Generator, bad: np.ndarray) -> tuple[np.ndarray, ...]:
    """NPS (0–10), CSAT (1–5) and CES (1–7) for respondents, worse after bad experiences.

    Returns ``(nps, csat, ces)``; CSAT and CES follow NPS with noise, so the
    three scores agree the way survey answers do.
    """
    n = len(bad)
    nps = np.where(
        bad,
        rng.choice(11, size=n, p=_NPS_BAD / _NPS_BAD.sum()),
        rng.choice(11, size=n, p=_NPS_GOOD / _NPS_GOOD.sum()),
    )
    csat = np.clip(np.rint(1 + nps * 0.4 + rng.normal(0, 0.6, n)), 1, 5).astype(np.int64)
    ces = np.clip(np.rint(6.5 - nps * 0.5 + rng.normal(0, 0.8, n)), 1, 7).astype(np.int64)
    return nps.astype(np.int64), csat, ces


def ticket_records(tickets: list[tuple]) -> pd.DataFrame:
    """The run's service contacts as a table (times in days), in time order."""
    cols = list(TICKET_FIELDS)
    tk = pd.DataFrame(tickets, columns=cols)
    tk = tk.astype(
        {
            "customer_id": "int64",
            "order": "int64",
            "t": "float64",
            "wait_minutes": "float64",
            "abandoned": bool,
            "handle_minutes": "float64",
            "contacts_to_resolve": "int64",
            "effort_score": "int64",
            "repair_days": "float64",
        }
    )
    tk["customer_id"] += 1
    tk = tk.drop(columns="person")
    tk = tk.sort_values(["t", "customer_id"], kind="stable").reset_index(drop=True)
    tk.insert(0, "ticket_id", np.arange(1, len(tk) + 1))
    tk["order_id"] = pd.Series(tk.pop("order") + 1, dtype="Int64")
    tk["resolved"] = tk["repair_outcome"] != "rejected"
    tk["wait_minutes"] = tk["wait_minutes"].round(2)
    tk["handle_minutes"] = tk["handle_minutes"].round(2)
    tk["repair_days"] = tk["repair_days"].round(2)
    return tk


def survey_records(
    orders: pd.DataFrame, tickets: pd.DataFrame, cfg: Service, horizon: float, seed: int
) -> pd.DataFrame:
    """Survey answers after orders and service contacts (times in days)."""
    rng = stream(seed, "surveys")
    o = orders[orders["u_survey"] < cfg.survey_prob]
    o = o[o["t"] + 2.0 < horizon]
    tk_answer = rng.random(len(tickets)) < cfg.survey_prob
    tk = tickets[tk_answer]
    tk_done = tk["t"] + 1.0 + tk["repair_days"].fillna(0.0)
    keep = tk_done < horizon
    tk, tk_done = tk[keep], tk_done[keep]
    bad_tk = (
        tk["abandoned"]
        | (tk["effort_score"] >= cfg.high_effort)
        | tk["repair_outcome"].isin(["delayed", "rejected"])
    ).to_numpy()
    sv = pd.DataFrame(
        {
            "customer_id": np.concatenate([o["customer_id"], tk["customer_id"]]),
            "t": np.concatenate([o["t"] + 2.0, tk_done]),
            "trigger": np.concatenate(
                [
                    np.full(len(o), "order"),
                    np.where(tk["reason"] == "repair", "repair", "ticket"),
                ]
            ),
            "order_id": np.concatenate([o["order_id"], np.full(len(tk), -1)]),
            "ticket_id": np.concatenate([np.full(len(o), -1), tk["ticket_id"]]),
            "bad": np.concatenate([np.zeros(len(o), dtype=bool), bad_tk]),
        }
    )
    sv["order_id"] = pd.Series(sv["order_id"], dtype="Int64").where(sv["order_id"] > 0)
    sv["ticket_id"] = pd.Series(sv["ticket_id"], dtype="Int64").where(sv["ticket_id"] > 0)
    sv = sv.sort_values(["t", "customer_id", "trigger"], kind="stable").reset_index(drop=True)
    sv["nps"], sv["csat"], sv["ces"] = survey_scores(rng, sv.pop("bad").to_numpy())
    sv.insert(0, "survey_id", np.arange(1, len(sv) + 1))
    return sv
