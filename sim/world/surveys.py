"""Surveys after experiences: who answers, and their NPS, CSAT and CES scores.

A share of customers answers a survey two days after an order, or once a
service contact or repair is over; a bad experience (a hang-up, high effort,
a delayed or rejected repair) shifts the answers down.

Whether a survey is answered and what it says are drawn per survey, keyed by
the candidate purchase behind it and its trigger (order, service contact,
repair), so an answer does not depend on how many other surveys there are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.scenario import Service
from sim.world.seeding import uniforms

__all__ = ["TICKET_FIELDS", "TRIGGERS", "survey_records", "survey_scores", "ticket_records"]

# What the world records per service contact (see World.record_ticket). The
# last four are the world's own: the candidate purchase the contact is about
# (its key for keyed draws) and what was drawn for it — a caller's patience and
# handling time (minutes), a repair's work content (days) — whatever the queue
# then made of them.
TICKET_FIELDS = (
    "person", "customer_id", "order", "t", "channel", "reason", "wait_minutes", "abandoned",
    "handle_minutes", "contacts_to_resolve", "effort_score", "repair_outcome", "repair_days",
    "candidate", "patience_drawn", "handle_drawn", "work_drawn",
)  # fmt: skip

# What sets a survey off; the position numbers it in the keys of its draws.
TRIGGERS = ("order", "ticket", "repair")
_TRIGGER_CODE = {name: code for code, name in enumerate(TRIGGERS)}


# Score distributions of a standard and a bad experience (NPS 0..10).
_NPS_GOOD = np.array([1, 1, 1, 1, 2, 3, 4, 9, 18, 26, 34], dtype=float)
_NPS_BAD = np.array([8, 7, 9, 10, 11, 12, 12, 11, 9, 6, 5], dtype=float)


def survey_scores(u: np.ndarray, bad: np.ndarray) -> tuple[np.ndarray, ...]:
    """NPS (0–10), CSAT (1–5) and CES (1–7) for respondents, worse after bad experiences.

    ``u`` holds three uniforms per respondent (NPS, CSAT noise, CES noise),
    turned into scores by inversion. Returns ``(nps, csat, ces)``; CSAT and
    CES follow NPS with noise, so the three scores agree the way survey
    answers do.
    """
    u = np.asarray(u, dtype=float).reshape(len(bad), 3)
    cum_bad, cum_good = (np.cumsum(d / d.sum())[:-1] for d in (_NPS_BAD, _NPS_GOOD))
    nps = np.where(
        bad,
        np.searchsorted(cum_bad, u[:, 0], side="right"),
        np.searchsorted(cum_good, u[:, 0], side="right"),
    )
    noise = _normal_quantile(np.clip(u[:, 1:], 1e-9, 1 - 1e-9))
    csat = np.clip(np.rint(1 + nps * 0.4 + 0.6 * noise[:, 0]), 1, 5).astype(np.int64)
    ces = np.clip(np.rint(6.5 - nps * 0.5 + 0.8 * noise[:, 1]), 1, 7).astype(np.int64)
    return nps.astype(np.int64), csat, ces


# Acklam's rational approximation of the standard normal quantile (relative
# error below 1.2e-9): numpy only, so a run does not pay for importing scipy.
_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425  # below it (and above 1 - it) the tail formula applies


def _poly(coef: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    out = np.full_like(x, coef[0])
    for c in coef[1:]:
        out = out * x + c
    return out


def _normal_quantile(u: np.ndarray) -> np.ndarray:
    """Standard normal quantiles of ``u`` in (0, 1), vectorised."""
    q = np.minimum(u, 1.0 - u)  # the distance into the nearer tail
    tail = np.sqrt(-2.0 * np.log(np.where(q < _P_LOW, q, 0.5)))
    tail = _poly(_C, tail) / (_poly(_D, tail) * tail + 1.0)
    r = (u - 0.5) ** 2
    body = (u - 0.5) * _poly(_A, r) / (_poly(_B, r) * r + 1.0)
    return np.where(q < _P_LOW, np.where(u < 0.5, tail, -tail), body)


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
            "candidate": "int64",
            "patience_drawn": "float64",
            "handle_drawn": "float64",
            "work_drawn": "float64",
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
    """Survey answers after orders and service contacts (times in days).

    ``orders`` and ``tickets`` carry the ``candidate`` purchase each is about:
    a survey's draws are keyed by it and the survey's trigger (see
    :data:`TRIGGERS`). Order surveys are answered by the order's own draw
    ``u_survey``.
    """
    o = orders[orders["u_survey"] < cfg.survey_prob]
    o = o[o["t"] + 2.0 < horizon]
    tk_trigger = np.where(tickets["reason"] == "repair", "repair", "ticket")
    tk_answer = _draws(seed, tickets["candidate"], tk_trigger, 0) < cfg.survey_prob
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
            "trigger": np.concatenate([np.full(len(o), "order"), tk_trigger[tk_answer][keep]]),
            "order_id": np.concatenate([o["order_id"], np.full(len(tk), -1)]),
            "ticket_id": np.concatenate([np.full(len(o), -1), tk["ticket_id"]]),
            "bad": np.concatenate([np.zeros(len(o), dtype=bool), bad_tk]),
            "candidate": np.concatenate([o["candidate"], tk["candidate"]]).astype(np.int64),
        }
    )
    sv["order_id"] = pd.Series(sv["order_id"], dtype="Int64").where(sv["order_id"] > 0)
    sv["ticket_id"] = pd.Series(sv["ticket_id"], dtype="Int64").where(sv["ticket_id"] > 0)
    sv = sv.sort_values(["t", "customer_id", "trigger"], kind="stable").reset_index(drop=True)
    u = _draws(seed, sv["candidate"], sv["trigger"], np.arange(1, 4))
    sv["nps"], sv["csat"], sv["ces"] = survey_scores(u, sv.pop("bad").to_numpy())
    sv.insert(0, "survey_id", np.arange(1, len(sv) + 1))
    return sv


def _draws(seed: int, candidate, trigger, draw) -> np.ndarray:
    """Surveys' uniforms number ``draw``: 0 answers?, 1 NPS, 2 CSAT noise, 3 CES noise.

    Keyed by the candidate purchase and the trigger (a name of
    :data:`TRIGGERS`), so each survey has its own. ``draw`` is one number
    (one uniform per survey) or an array of them (a row per survey).
    """
    code = pd.Series(np.asarray(trigger)).map(_TRIGGER_CODE).to_numpy(dtype=np.int64)
    slots = 4 * code[:, None] + np.atleast_1d(draw)
    u = uniforms(seed, "survey", np.asarray(candidate, dtype=np.int64)[:, None], slots)
    return u[:, 0] if np.ndim(draw) == 0 else u
