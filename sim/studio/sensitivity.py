"""Which lever matters most: standardised regression coefficients on a sweep's design.

For a grid or Latin-hypercube sweep (:mod:`sim.studio.sweep_spec`), each
design point's KPI is averaged over its finished replications and regressed
on the factors (ordinary least squares with an intercept). A factor's
*standardised regression coefficient* is its slope × sd(factor) / sd(KPI):
the share of a KPI's spread across the design that moves with that factor,
comparable across factors of different units (retention points, agents).
``r2`` says how much of the spread a linear model explains; with r2 well
below 1 the ranking is a rough guide only (interactions, curvature). A
Latin hypercube gives each factor many levels, so it suits this best.

SALib's Morris and Sobol indices need their own sampling plans (trajectories,
Saltelli points) rather than a grid or a Latin hypercube, so they are not
used here.

``effect`` is slope × (largest − smallest value of the factor): how much the
KPI moves, in its own unit, across the factor's range, the others held;
it is what a tornado chart (:func:`sim.charts.sweep.tornado`) draws.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SENSITIVITY_COLUMNS", "sensitivity", "standardised_coefficients"]

#: The columns of ``sensitivity.csv``.
SENSITIVITY_COLUMNS = ("kpi", "factor", "src", "effect", "low", "high", "rank", "r2", "points",
                       "method")  # fmt: skip


def standardised_coefficients(x: pd.DataFrame, y: pd.Series) -> tuple[pd.Series, pd.Series, float]:
    """OLS of ``y`` on the columns of ``x``: (standardised coefficients, slopes, R²).

    Constant columns get NaN (they explain nothing); with fewer points than
    coefficients to fit, everything is NaN.
    """
    x = x.astype(float)
    y = y.astype(float)
    varying = [c for c in x.columns if x[c].std(ddof=1) > 0]
    src = pd.Series(np.nan, index=x.columns, dtype=float)
    slope = src.copy()
    n = len(y)
    if not varying or n < len(varying) + 2 or not y.std(ddof=1) > 0:
        return src, slope, math.nan
    design = np.column_stack([np.ones(n), x[varying].to_numpy()])
    beta, *_ = np.linalg.lstsq(design, y.to_numpy(), rcond=None)
    fitted = design @ beta
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(((y.to_numpy() - fitted) ** 2).sum()) / ss_tot
    slope[varying] = beta[1:]
    src[varying] = beta[1:] * x[varying].std(ddof=1).to_numpy() / y.std(ddof=1)
    return src, slope, r2


def sensitivity(out: str | os.PathLike, spec=None, write: bool = True) -> pd.DataFrame:
    """Rank a grid/LHS sweep's factors per KPI; written to ``out/sensitivity.csv``.

    Returns one row per (KPI, factor): ``src`` (standardised regression
    coefficient, signed), ``effect`` (KPI change across the factor's range),
    ``low``/``high`` (the factor's range in the design), ``rank`` (1 = the
    largest \\|src\\| for that KPI), ``r2`` of the KPI's regression, ``points``
    (design points with a finished replication) and ``method``. Factors that
    are not numbers (a budget mix) are left out.
    """
    from sim.studio.sweep_folder import _stored_spec, _values, _write_atomic, read_rows
    from sim.studio.sweep_spec import load_spec

    out = Path(out)
    spec = load_spec(spec) if spec is not None else _stored_spec(out)
    design = spec.design()
    numeric = [
        c
        for c in design.columns
        if design[c].dropna().map(lambda v: isinstance(v, int | float)).all()
        and design[c].notna().any()
    ]
    design = design[numeric].astype(float)
    values = _values(read_rows(out, spec), spec.kpis)
    means = values.groupby(level="variant").mean() if len(values) else values
    rows = []
    for kpi in spec.kpis:
        points = [v for v in design.index if v in means.index and pd.notna(means.loc[v, kpi])]
        # A factor missing at a point (grid and LHS over different factors) sits at the baseline.
        x = design.loc[points]
        for c in x.columns:
            x[c] = x[c].fillna(_baseline_value(spec, c))
        y = means.loc[points, kpi] if points else pd.Series(dtype=float)
        src, slope, r2 = standardised_coefficients(x, y)
        order = src.abs().rank(ascending=False, method="min")
        for c in x.columns:
            lo, hi = (float(x[c].min()), float(x[c].max())) if len(x) else (math.nan, math.nan)
            rows.append(
                {
                    "kpi": kpi,
                    "factor": c,
                    "src": src[c],
                    "effect": slope[c] * (hi - lo),
                    "low": lo,
                    "high": hi,
                    "rank": order[c],
                    "r2": r2,
                    "points": len(points),
                    "method": "src",
                }
            )
    table = pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))
    table["rank"] = table["rank"].astype("Int64")
    if write:
        _write_atomic(out / "sensitivity.csv", table.to_csv(index=False))
    return table


def _baseline_value(spec, factor: str) -> float:
    from sim.studio.whatif import LEVERS

    target = LEVERS[factor].target if factor in LEVERS else factor
    if target == "*":  # a computed lever's neutral value (no change)
        return 0.0
    section, name = target.split(".")
    value = getattr(getattr(spec.baseline, section), name)
    return float(value) if isinstance(value, int | float) else math.nan
