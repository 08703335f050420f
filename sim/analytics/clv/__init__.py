"""Customer lifetime value: classroom formulas and probabilistic "buy till you die" models.

Classroom formulas (:mod:`.formulas`), the orders → RFM summary helper
(:mod:`.summary`), four maximum-likelihood fitters with a scikit-style API
(BG/NBD, Pareto/NBD, Gamma-Gamma, shifted-beta-geometric), exact data
generators for each, and the CDNOW reference sample.

>>> from sim.analytics import clv
>>> data = clv.load_cdnow_summary()
>>> bgnbd = clv.BGNBD().fit(data["frequency"], data["recency"], data["T"])
>>> [round(v, 3) for v in bgnbd.params_.values()]
[0.243, 4.414, 0.793, 2.426]
"""

from ._fitting import ConvergenceError
from .bgnbd import BGNBD, simulate_bgnbd
from .cdnow import load_cdnow_summary, load_cdnow_transactions
from .diagnostics import (
    alive_by_frequency,
    frequency_histogram,
    holdout_by_frequency,
    iso_value_grid,
    loss_timing,
    model_verdict,
    tracking_table,
    truly_alive,
)
from .formulas import (
    customer_lifetime_value,
    customer_value,
    retention_clv,
    retention_clv_finite,
)
from .gamma_gamma import GammaGamma, simulate_gamma_gamma
from .pareto_nbd import ParetoNBD, simulate_pareto_nbd
from .reconcile import (
    bgnbd_surface,
    new_customer_clv,
    programme_affordability,
    reconcile_clv,
    retention_gap,
    value_given_back,
)
from .sbg import ShiftedBetaGeometric, fit_sbg, sbg_intervals, simulate_sbg
from .summary import calibration_holdout_split, summary_from_orders
from .uncertainty import (
    actual_against_interval,
    bootstrap_params,
    individual_value,
    param_intervals,
    posterior_draws_bgnbd,
    segment_value_interval,
    truth_expected_spend,
)

__all__ = [
    "actual_against_interval",
    "alive_by_frequency",
    "bgnbd_surface",
    "bootstrap_params",
    "frequency_histogram",
    "holdout_by_frequency",
    "individual_value",
    "iso_value_grid",
    "loss_timing",
    "model_verdict",
    "new_customer_clv",
    "param_intervals",
    "posterior_draws_bgnbd",
    "programme_affordability",
    "reconcile_clv",
    "retention_gap",
    "segment_value_interval",
    "tracking_table",
    "truly_alive",
    "truth_expected_spend",
    "value_given_back",
    "BGNBD",
    "ConvergenceError",
    "GammaGamma",
    "ParetoNBD",
    "ShiftedBetaGeometric",
    "calibration_holdout_split",
    "customer_lifetime_value",
    "customer_value",
    "load_cdnow_summary",
    "load_cdnow_transactions",
    "retention_clv",
    "retention_clv_finite",
    "simulate_bgnbd",
    "simulate_gamma_gamma",
    "simulate_pareto_nbd",
    "fit_sbg",
    "sbg_intervals",
    "simulate_sbg",
    "summary_from_orders",
]
