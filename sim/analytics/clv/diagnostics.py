"""Fader–Hardie diagnostics of a buy-till-you-die model, and checks against a known truth.

The four standard pictures of a fitted BG/NBD or Pareto/NBD model
(Fader, Hardie & Lee 2005):

* :func:`tracking_table` — cumulative repeat purchases of the cohort, week by
  week, actual against the model (calibration and holdout);
* :func:`frequency_histogram` — how many customers made 0, 1, 2, … repeat
  purchases in the calibration period, actual against the model;
* :func:`holdout_by_frequency` — conditional expectations: mean holdout
  purchases per calibration-frequency group, actual against the model;
* :func:`iso_value_grid` — expected future purchases over a (frequency,
  recency) grid at a fixed age: the iso-value curves.

And, where the truth is known (the simulated brand): :func:`truly_alive`,
:func:`alive_by_frequency` and :func:`loss_timing`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .summary import _daily_purchases, _unit

__all__ = [
    "alive_by_frequency",
    "frequency_histogram",
    "holdout_by_frequency",
    "iso_value_grid",
    "loss_timing",
    "model_verdict",
    "tracking_table",
    "truly_alive",
]


def _group_labels(frequency: np.ndarray, max_frequency: int) -> np.ndarray:
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise ValueError(f"max_frequency: expected a whole number >= 1, got {max_frequency}")
    return np.minimum(np.asarray(frequency, dtype=np.int64), int(max_frequency))


def _labels(index, max_frequency: int) -> list[str]:
    return [str(i) if i < max_frequency else f"{max_frequency}+" for i in index]


def tracking_table(
    orders: pd.DataFrame,
    models: dict,
    calibration_end: str | pd.Timestamp,
    holdout_end: str | pd.Timestamp | None = None,
    time_unit: str = "weeks",
) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort per period: actual vs each model.

    The cohort is every customer whose first purchase is on or before
    ``calibration_end``. Customer *i* starts at ``s_i`` (their first purchase);
    a model expects ``Σ_i E[X(τ − s_i)]`` repeat purchases by time ``τ``
    (zero before ``s_i``). Purchases are merged by day, as in the summaries.

    Parameters
    ----------
    orders
        ``customer_id, order_date, net_amount`` (the schema's orders table).
    models
        Name → fitted purchase model (its time unit must be ``time_unit``).

    Returns
    -------
    pandas.DataFrame
        Indexed by period end (``period``, 1, 2, … in ``time_unit`` since the first
        purchase day), with ``date``, ``actual`` and one column per model, and
        ``calibration`` (True up to ``calibration_end``).
    """
    unit = _unit(time_unit)
    daily = _daily_purchases(orders, "customer_id", "order_date", "net_amount")
    cal_end = pd.Timestamp(calibration_end).floor("D")
    end = daily["day"].max() if holdout_end is None else pd.Timestamp(holdout_end).floor("D")
    if end <= cal_end:
        raise ValueError(f"holdout_end: {end.date()} must come after {cal_end.date()}")
    first = daily.groupby("customer_id")["day"].transform("min")
    daily = daily[(first <= cal_end) & (daily["day"] <= end)]
    first = first.loc[daily.index]
    origin = first.min()
    repeat_day = daily.loc[daily["day"] > first, "day"]
    # A purchase on day k (0 = origin) belongs to the period ending at ceil((k+1)/unit).
    period_of = np.ceil(((repeat_day - origin).dt.days.to_numpy() + 1) / unit).astype(int)
    n_periods = int(np.ceil(((end - origin).days + 1) / unit))
    periods = np.arange(1, n_periods + 1)
    actual = np.cumsum(np.bincount(period_of, minlength=n_periods + 1)[1:])
    starts = (first.groupby(daily["customer_id"]).first() - origin).dt.days.to_numpy() / unit
    s_values, s_counts = np.unique(starts, return_counts=True)
    # Period end τ = k·unit days after the origin; start s counts from the day after its first.
    ages = periods[None, :] - (s_values[:, None] + 1.0 / unit)
    out = pd.DataFrame({"date": origin + pd.to_timedelta(periods * unit, unit="D")})
    out["actual"] = actual
    for name, model in models.items():
        expected = np.where(ages > 0, model.expected_purchases(np.maximum(ages, 0.0)), 0.0)
        out[name] = s_counts @ expected
    out["calibration"] = out["date"] <= cal_end + pd.Timedelta(days=1)
    out.index = pd.Index(periods, name="period")
    return out


def frequency_histogram(
    models: dict,
    frequency,
    T,
    max_frequency: int = 7,
    replications: int = 20,
    seed: int = 0,
) -> pd.DataFrame:
    """Customers with 0, 1, …, ``max_frequency``+ repeat purchases: actual vs each model.

    A model's expected count in each group is found by drawing the process
    exactly (:func:`simulate_bgnbd` / :func:`simulate_pareto_nbd`) at every
    customer's own age T, ``replications`` times, and dividing by
    ``replications`` (keyed by ``seed``); the simulation error is tiny beside
    the model's misfit and the same draw serves both models.
    """
    from .bgnbd import BGNBD, simulate_bgnbd
    from .pareto_nbd import ParetoNBD, simulate_pareto_nbd

    if int(replications) != replications or replications < 1:
        raise ValueError(f"replications: expected a whole number >= 1, got {replications}")
    ages = np.asarray(T, dtype=float)
    groups = _group_labels(frequency, max_frequency)
    k = int(max_frequency) + 1
    out = pd.DataFrame({"actual": np.bincount(groups, minlength=k)})
    tiled = np.tile(ages, int(replications))
    for i, (name, model) in enumerate(models.items()):
        if isinstance(model, BGNBD):
            draw = simulate_bgnbd(tiled, **model.params_, seed=[seed, i])
        elif isinstance(model, ParetoNBD):
            draw = simulate_pareto_nbd(tiled, **model.params_, seed=[seed, i])
        else:
            raise ValueError(f"models[{name!r}]: expected a BGNBD or ParetoNBD model")
        sim_groups = _group_labels(draw["frequency"].to_numpy(), max_frequency)
        out[name] = np.bincount(sim_groups, minlength=k) / replications
    out.index = pd.Index(_labels(range(k), int(max_frequency)), name="repeat purchases")
    return out


def holdout_by_frequency(
    calibration: pd.DataFrame, models: dict, max_frequency: int = 7
) -> pd.DataFrame:
    """Conditional expectations: mean holdout purchases per calibration-frequency group.

    ``calibration`` is :func:`calibration_holdout_split`'s output; each model
    predicts ``E[Y(t) | x, t_x, T]`` over the holdout's length.
    """
    groups = _group_labels(calibration["frequency_cal"], max_frequency)
    weeks = float(calibration["duration_holdout"].iloc[0])
    cols = {"customers": np.ones(len(calibration)), "actual": calibration["frequency_holdout"]}
    for name, model in models.items():
        cols[name] = model.conditional_expected_purchases(
            weeks, calibration["frequency_cal"], calibration["recency_cal"], calibration["T_cal"]
        )
    frame = pd.DataFrame({k: np.asarray(v, float) for k, v in cols.items()})
    out = frame.groupby(groups).mean()
    out["customers"] = frame.groupby(groups)["customers"].sum().astype(int)
    out.index = pd.Index(_labels(out.index, int(max_frequency)), name="calibration purchases")
    return out


def iso_value_grid(
    model, T: float, horizon: float, max_frequency: int = 10, n_recency: int = 14
) -> pd.DataFrame:
    """Expected purchases in the next ``horizon`` for customers of age ``T`` by (x, t_x).

    Rows are repeat purchases x = 1 … ``max_frequency``, columns the recency
    t_x from 0 to T; the contour lines of this table are the iso-value curves
    (multiply by a spend per purchase for money).
    """
    if not T > 0 or not horizon > 0:
        raise ValueError(f"T and horizon: expected numbers > 0, got {T} and {horizon}")
    x = np.arange(1, int(max_frequency) + 1, dtype=float)
    rec = np.linspace(0.0, float(T), int(n_recency))
    xx, rr = np.meshgrid(x, rec, indexing="ij")
    value = model.conditional_expected_purchases(
        horizon, xx.ravel(), rr.ravel(), np.full(xx.size, float(T))
    ).reshape(xx.shape)
    return pd.DataFrame(
        value,
        index=pd.Index(x.astype(int), name="frequency"),
        columns=pd.Index(rec, name="recency"),
    )


def truly_alive(truth: pd.DataFrame, cutoff: str | pd.Timestamp) -> pd.Series:
    """Whether each customer of ``truth`` is in a live relationship just before ``cutoff``.

    Alive = never lost before the cut-off, or won back before it and not lost again
    (``first_dropout_date``, ``won_back_date``, ``dropout_date`` of the truth table).
    """
    cut = pd.Timestamp(cutoff)
    for col in ("first_dropout_date", "won_back_date", "dropout_date"):
        if col not in truth.columns:
            raise ValueError(f"truth.{col}: required column missing")
    dropped = truth["first_dropout_date"] < cut
    revived = truth["won_back_date"] < cut
    return (~dropped | (revived & ~(truth["dropout_date"] < cut))).rename("alive")


def alive_by_frequency(
    calibration: pd.DataFrame, p_alive: dict, alive: pd.Series, max_frequency: int = 7
) -> pd.DataFrame:
    """Share truly alive vs mean predicted P(alive), per calibration-frequency group."""
    groups = _group_labels(calibration["frequency_cal"], max_frequency)
    frame = pd.DataFrame(
        {"customers": 1, "truly_alive": np.asarray(alive, float)}
        | {name: np.asarray(p, float) for name, p in p_alive.items()}
    )
    out = frame.groupby(groups).mean()
    out["customers"] = frame.groupby(groups)["customers"].sum()
    out.index = pd.Index(_labels(out.index, int(max_frequency)), name="calibration purchases")
    return out


def model_verdict(table: pd.DataFrame, models: list[str], truth_col: str = "truly_alive") -> str:
    """One sentence per model naming the group where its P(alive) misses the truth most."""
    parts = []
    for name in models:
        gap = table[name] - table[truth_col]
        worst = gap.abs().idxmax()
        mean_gap = float(np.average(gap.abs(), weights=table["customers"]))
        direction = "overstates" if gap[worst] > 0 else "understates"
        parts.append(
            f"{name} {direction} the share alive most for customers with {worst} calibration "
            f"purchases ({table.loc[worst, name]:.0%} predicted vs {table.loc[worst, truth_col]:.0%} "
            f"truly alive; mean absolute gap {mean_gap:.1%})."
        )
    return " ".join(parts)


def loss_timing(truth_states: pd.DataFrame, before: str | pd.Timestamp | None = None) -> pd.Series:
    """How relationships were lost: right at a purchase vs between purchases (truth_states).

    BG/NBD lets a customer leave only just after a purchase; Pareto/NBD at any
    time. Causes ``dropout`` and ``purchase`` happen at a purchase; every other
    cause (``hazard``, ``drift``, contacts, messages) between purchases.
    """
    lost = truth_states[truth_states["to_state"] == "lost"]
    if before is not None:
        lost = lost[lost["timestamp"] < pd.Timestamp(before)]
    at_purchase = lost["cause"].isin(["dropout", "purchase"])
    return pd.Series(
        {
            "losses": len(lost),
            "at a purchase": int(at_purchase.sum()),
            "between purchases": int((~at_purchase).sum()),
            "share between purchases": float((~at_purchase).mean()) if len(lost) else np.nan,
        }
    )
