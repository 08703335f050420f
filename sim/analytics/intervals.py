"""Intervals for the estimates a decision rests on: rates, means, paired differences, NPS.

Every function returns a plain dict (``estimate``, ``low``, ``high`` and what
the interval rests on), so a notebook prints it and a table collects it.

>>> r = wilson_interval(8, 10)
>>> [round(float(r[k]), 3) for k in ("estimate", "low", "high")]
[0.8, 0.49, 0.943]
>>> m = mean_interval([1.0, 2.0, 3.0, 4.0])
>>> [round(float(m[k]), 3) for k in ("se", "low", "high")]
[0.645, 0.446, 4.554]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "bootstrap_interval",
    "mean_interval",
    "nps_interval",
    "paired_interval",
    "rate_ratio_interval",
    "ratio_interval",
    "wilson_interval",
]


def _level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    return float(level)


def _values(values: Sequence[float] | pd.Series | np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    if np.isnan(x).any():
        raise ValueError(f"{name} contains missing values; drop them first")
    return x


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> dict[str, float]:
    """Wilson score interval for a share ``successes / trials``.

    Unlike the normal approximation it stays inside [0, 1] and keeps its
    coverage for small segments and shares near 0 or 1.
    """
    from scipy import stats

    level = _level(level)
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(
            f"need 0 <= successes <= trials, got successes={successes}, trials={trials}"
        )
    if trials == 0:
        return {"estimate": math.nan, "low": math.nan, "high": math.nan, "n": 0}
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return {
        "estimate": p,
        "low": max(0.0, centre - half),
        "high": min(1.0, centre + half),
        "n": trials,
    }


def mean_interval(
    values: Sequence[float] | pd.Series | np.ndarray, level: float = 0.95
) -> dict[str, float]:
    """Student-t interval for a mean (replications of a simulation, a segment's spend).

    ``se`` is the standard error s/√n; with fewer than two values the
    interval is undefined (NaN).
    """
    from scipy import stats

    level = _level(level)
    x = _values(values, "values")
    n = x.size
    mean = float(x.mean()) if n else math.nan
    if n < 2:
        return {"estimate": mean, "se": math.nan, "low": math.nan, "high": math.nan, "n": n}
    se = float(x.std(ddof=1) / math.sqrt(n))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return {"estimate": mean, "se": se, "low": mean - half, "high": mean + half, "n": n}


def paired_interval(
    variant: Sequence[float] | pd.Series | np.ndarray,
    baseline: Sequence[float] | pd.Series | np.ndarray,
    level: float = 0.95,
) -> dict[str, float]:
    """Paired t interval for ``variant − baseline`` over the same replications (seeds).

    With common random numbers the pairs share their noise, so the interval of
    the difference is much narrower than the two means' intervals suggest.
    ``within_noise`` is True when the interval contains zero.
    """
    v = _values(variant, "variant")
    b = _values(baseline, "baseline")
    if v.shape != b.shape:
        raise ValueError(
            f"variant and baseline need the same replications, got {v.size} and {b.size}"
        )
    out = mean_interval(v - b, level)
    out["within_noise"] = bool(not (out["low"] > 0 or out["high"] < 0)) if out["n"] >= 2 else True
    return out


def bootstrap_interval(
    data: pd.DataFrame | pd.Series | np.ndarray,
    statistic: Callable[[object], float],
    replications: int = 200,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Percentile bootstrap interval of ``statistic(data)``, resampling rows with replacement.

    Parameters
    ----------
    data
        Rows to resample (customers, orders); a DataFrame keeps its columns.
    statistic
        Function of a resample returning one number (a fitted parameter, a CLV).
    replications
        Number of bootstrap resamples; 200 gives a stable 95 % interval for
        course-sized data, more for publication.
    seed
        The resampling is keyed by this seed, so the interval is reproducible.
    """
    level = _level(level)
    if replications < 20:
        raise ValueError(f"replications must be at least 20, got {replications}")
    n = len(data)
    if n == 0:
        raise ValueError("data is empty")
    rng = np.random.default_rng(seed)
    take = (
        (lambda idx: data.iloc[idx])
        if isinstance(data, pd.DataFrame | pd.Series)
        else (lambda idx: data[idx])
    )
    draws = np.array(
        [statistic(take(rng.integers(0, n, n))) for _ in range(replications)], dtype=float
    )
    lo, hi = np.nanquantile(draws, [0.5 - level / 2, 0.5 + level / 2])
    return {
        "estimate": float(statistic(data)),
        "low": float(lo),
        "high": float(hi),
        "se": float(np.nanstd(draws, ddof=1)),
        "replications": replications,
    }


def nps_interval(
    scores: Sequence[float] | pd.Series | np.ndarray, level: float = 0.95
) -> dict[str, float]:
    """Net Promoter Score (% promoters 9–10 − % detractors 0–6) with its interval.

    The NPS of n answers is 100 × the mean of +1 (promoter), 0 (passive) and
    −1 (detractor); its interval is the normal interval of that mean, whose
    variance is (p + d − (p − d)²) / n.
    """
    from scipy import stats

    level = _level(level)
    x = _values(scores, "scores")
    if ((x < 0) | (x > 10)).any():
        raise ValueError("scores must lie between 0 and 10 (the NPS question's scale)")
    n = x.size
    if n == 0:
        return {
            "estimate": math.nan,
            "low": math.nan,
            "high": math.nan,
            "n": 0,
            "promoters": math.nan,
            "detractors": math.nan,
        }
    p = float((x >= 9).mean())
    d = float((x <= 6).mean())
    est = p - d
    se = math.sqrt(max(p + d - est * est, 0.0) / n)
    z = float(stats.norm.ppf(0.5 + level / 2))
    return {
        "estimate": 100 * est,
        "low": 100 * max(-1.0, est - z * se),
        "high": 100 * min(1.0, est + z * se),
        "n": n,
        "promoters": p,
        "detractors": d,
    }


def ratio_interval(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, level: float = 0.95
) -> dict[str, float]:
    """Ratio of two shares (a / b) with its interval, on the log scale (Katz).

    For "inbound messages get 13× the click rate of outbound ones": the
    standard error of log(p_a / p_b) is √(1/k_a − 1/n_a + 1/k_b − 1/n_b), so
    the interval is exp(log ratio ± z·se). Undefined (NaN) when either share
    is 0.
    """
    level = _level(level)
    for k, n, name in ((successes_a, trials_a, "a"), (successes_b, trials_b, "b")):
        if n <= 0 or k < 0 or k > n:
            raise ValueError(
                f"group {name}: need 0 <= successes <= trials and trials > 0, got {k}/{n}"
            )
    pa, pb = successes_a / trials_a, successes_b / trials_b
    if successes_a == 0 or successes_b == 0:
        return {"estimate": math.nan, "low": math.nan, "high": math.nan, "a": pa, "b": pb}
    from scipy import stats

    se = math.sqrt(1 / successes_a - 1 / trials_a + 1 / successes_b - 1 / trials_b)
    z = float(stats.norm.ppf(0.5 + level / 2))
    r = pa / pb
    return {
        "estimate": r,
        "low": r * math.exp(-z * se),
        "high": r * math.exp(z * se),
        "a": pa,
        "b": pb,
    }


def rate_ratio_interval(
    events_a: int, exposure_a: float, events_b: int, exposure_b: float, level: float = 0.95
) -> dict[str, float]:
    """Ratio of two Poisson rates (a / b) with its exact conditional interval.

    Given k_a + k_b events, k_a is binomial with p = ρ t_a / (ρ t_a + t_b),
    where ρ is the rate ratio; the Clopper–Pearson interval of p, mapped back
    through ρ = p t_b / ((1 − p) t_a), is exact. The upper bound is infinite
    when ``events_b`` is 0.
    """
    level = _level(level)
    if events_a < 0 or events_b < 0 or not exposure_a > 0 or not exposure_b > 0:
        raise ValueError(
            "events must be >= 0 and exposures > 0, got "
            f"{events_a}/{exposure_a} and {events_b}/{exposure_b}"
        )
    n = events_a + events_b
    est = (events_a / exposure_a) / (events_b / exposure_b) if events_b else math.inf
    if n == 0:
        return {"estimate": math.nan, "low": math.nan, "high": math.nan}
    from scipy import stats

    a = 1 - level
    p_low = stats.beta.ppf(a / 2, events_a, events_b + 1) if events_a > 0 else 0.0
    p_high = stats.beta.ppf(1 - a / 2, events_a + 1, events_b) if events_b > 0 else 1.0

    def to_ratio(p: float) -> float:
        return math.inf if p >= 1 else p * exposure_b / ((1 - p) * exposure_a)

    return {"estimate": est, "low": to_ratio(p_low), "high": to_ratio(p_high)}
