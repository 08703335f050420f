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

A ``morris`` design (its own sampling plan: trajectories that move one
factor at a time, drawn by SALib) is analysed with SALib's Morris method
instead: ``mu_star`` is the mean absolute elementary effect (how much the KPI
moves across a factor's whole range, whatever the direction), ``sigma`` their
spread (large: the factor interacts or acts non-linearly), ``effect`` the
signed mean effect μ. Factors are ranked by ``mu_star``. Morris needs every
point of the design: with a point missing (a failed task), its rows are NaN.

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
                       "method", "mu_star", "sigma")  # fmt: skip


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
    """Rank a grid/LHS/Morris sweep's factors per KPI; written to ``out/sensitivity.csv``.

    Returns one row per (KPI, factor, method): ``src`` (standardised
    regression coefficient, signed; grid and LHS points), ``effect`` (KPI
    change across the factor's range), ``low``/``high`` (the factor's range
    in the design), ``rank`` (1 = the largest \\|src\\| or μ* for that KPI),
    ``r2`` of the KPI's regression, ``points`` (design points with a finished
    replication), ``method`` (``src`` or ``morris``) and Morris's ``mu_star``
    and ``sigma``. Factors that are not numbers (a budget mix) are left out.
    """
    from sim.studio.sweep_folder import _stored_spec, _values, _write_atomic, read_rows
    from sim.studio.sweep_spec import load_spec

    out = Path(out)
    spec = load_spec(spec) if spec is not None else _stored_spec(out)
    values = _values(read_rows(out, spec), spec.kpis)
    means = values.groupby(level="variant").mean() if len(values) else values
    kinds = {v.name: v.kind for v in spec.variants}
    design = spec.design()
    regression = design[[kinds[v] in ("grid", "lhs") for v in design.index]]
    morris = design[[kinds[v] == "morris" for v in design.index]]
    rows = []
    if len(regression):
        rows += _src_rows(spec, _numeric(regression), means)
    if len(morris):
        rows += _morris_rows(spec, _numeric(morris), means)
    table = pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))
    table["rank"] = table["rank"].astype("Int64")
    if write:
        _write_atomic(out / "sensitivity.csv", table.to_csv(index=False))
    return table


def _numeric(design: pd.DataFrame) -> pd.DataFrame:
    design = design.dropna(axis=1, how="all")
    numeric = [
        c
        for c in design.columns
        if design[c].dropna().map(lambda v: isinstance(v, int | float)).all()
    ]
    return design[numeric].astype(float)


def _src_rows(spec, design: pd.DataFrame, means: pd.DataFrame) -> list[dict]:
    rows = []
    for kpi in spec.kpis:
        points = [v for v in design.index if v in means.index and pd.notna(means.loc[v, kpi])]
        # A factor missing at a point (grid and LHS over different factors) sits at the baseline.
        x = design.loc[points].copy()
        for c in x.columns:
            x[c] = x[c].fillna(_baseline_value(spec, c))
        y = means.loc[points, kpi] if points else pd.Series(dtype=float)
        src, slope, r2 = standardised_coefficients(x, y)
        order = src.abs().rank(ascending=False, method="min")
        for c in x.columns:
            lo, hi = (float(x[c].min()), float(x[c].max())) if len(x) else (math.nan, math.nan)
            rows.append(
                {
                    "kpi": kpi, "factor": c, "src": src[c], "effect": slope[c] * (hi - lo),
                    "low": lo, "high": hi, "rank": order[c], "r2": r2, "points": len(points),
                    "method": "src", "mu_star": math.nan, "sigma": math.nan,
                }
            )  # fmt: skip
    return rows


def _morris_rows(spec, design: pd.DataFrame, means: pd.DataFrame) -> list[dict]:
    from SALib.analyze import morris

    source = spec.to_dict()["morris"]
    names = [c for c in source["ranges"] if c in design.columns]
    bounds = [list(map(float, source["ranges"][c])) for c in names]
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    rows = []
    for kpi in spec.kpis:
        y = means[kpi].reindex(design.index) if len(means) else pd.Series(np.nan, design.index)
        complete = bool(y.notna().all()) and len(y) > 0
        if complete:
            res = morris.analyze(
                problem, design[names].to_numpy(), y.to_numpy(dtype=float),
                num_levels=int(source["levels"]), seed=int(source["seed"]),
            )  # fmt: skip
            mu = np.asarray(res["mu"], dtype=float)
            mu_star = np.asarray(res["mu_star"], dtype=float)
            sigma = np.asarray(res["sigma"], dtype=float)
        else:
            mu = mu_star = sigma = np.full(len(names), np.nan)
        order = pd.Series(mu_star, index=names).rank(ascending=False, method="min")
        for j, c in enumerate(names):
            rows.append(
                {
                    "kpi": kpi, "factor": c, "src": math.nan, "effect": mu[j],
                    "low": bounds[j][0], "high": bounds[j][1], "rank": order[c], "r2": math.nan,
                    "points": int(y.notna().sum()), "method": "morris",
                    "mu_star": mu_star[j], "sigma": sigma[j],
                }
            )  # fmt: skip
    return rows


def _baseline_value(spec, factor: str) -> float:
    from sim.studio.whatif import LEVERS

    target = LEVERS[factor].target if factor in LEVERS else factor
    if target == "*":  # a computed lever's neutral value (no change)
        return 0.0
    section, name = target.split(".")
    value = getattr(getattr(spec.baseline, section), name)
    return float(value) if isinstance(value, int | float) else math.nan
