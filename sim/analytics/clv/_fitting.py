"""Shared plumbing for the CLV fitters: input checks, row compression, the optimiser.

Every probabilistic model here is fitted the same way: check the inputs (a
``ValueError`` naming the argument and the problem), collapse identical rows
into one row with a weight (CDNOW's 2,357 customers are ~1,000 distinct
``(x, t_x, T)`` rows, a million simulated customers a few hundred thousand), then
minimise the mean negative log-likelihood over log-parameters with L-BFGS-B and
an analytic gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize

__all__ = [
    "ConvergenceError",
    "FittedParams",
    "as_float_array",
    "check_frt",
    "compress",
    "factorize",
    "require_repeat",
    "fit_log_params",
]


class ConvergenceError(RuntimeError):
    """The optimiser did not converge; the message carries the optimiser's own."""


def as_float_array(values: object, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D float array, or raise ``ValueError`` naming ``name``.

    Rejects empty input, text, booleans, dates and missing or infinite values.
    """
    if isinstance(values, pd.DataFrame):
        raise ValueError(f"{name}: expected a 1-D array or Series, got a DataFrame")
    if isinstance(values, pd.Series):
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            raise ValueError(f"{name}: expected numeric values, found dtype {values.dtype}")
        arr = values.to_numpy(dtype=float, na_value=np.nan)
    else:
        raw = np.asarray(values)
        if raw.dtype.kind not in "iuf":
            raise ValueError(f"{name}: expected numeric values, found dtype {raw.dtype}")
        arr = raw.astype(float)
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: empty input (no customers)")
    n_bad = int((~np.isfinite(arr)).sum())
    if n_bad:
        raise ValueError(f"{name}: {n_bad} missing or infinite value(s)")
    return arr


def check_frt(frequency: object, recency: object, T: object) -> tuple[np.ndarray, ...]:
    """Validate the buy-till-you-die summary ``(frequency, recency, T)`` and return arrays.

    Parameters
    ----------
    frequency
        Repeat purchases per customer: whole numbers >= 0.
    recency
        Time of the last purchase since the first (0 when ``frequency`` is 0).
    T
        Age of the customer (time since the first purchase), ``T >= recency``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(x, t_x, T)`` as float arrays of equal length.
    """
    x = as_float_array(frequency, "frequency")
    t_x = as_float_array(recency, "recency")
    age = as_float_array(T, "T")
    if not len(x) == len(t_x) == len(age):
        raise ValueError(
            f"frequency, recency and T must have the same length "
            f"(got {len(x)}, {len(t_x)}, {len(age)})"
        )
    if (x < 0).any() or (x != np.round(x)).any():
        raise ValueError("frequency: expected whole numbers >= 0 (repeat purchases)")
    if (t_x < 0).any():
        raise ValueError(f"recency: {int((t_x < 0).sum())} negative value(s)")
    if (age <= 0).any():
        raise ValueError(f"T: {int((age <= 0).sum())} value(s) <= 0 (customer age must be > 0)")
    # A tiny slack absorbs rounding in published summaries (two-decimal weeks).
    n_late = int((t_x > age + 1e-9).sum())
    if n_late:
        raise ValueError(f"recency: {n_late} value(s) larger than T (last purchase after the end)")
    n_odd = int(((x == 0) & (t_x > 0)).sum())
    if n_odd:
        raise ValueError(f"recency: {n_odd} customer(s) with frequency 0 but recency > 0")
    return x, np.minimum(t_x, age), age


def require_repeat(x: np.ndarray, model: str) -> None:
    """Refuse to fit a purchase model on data without a single repeat purchase."""
    if not (x > 0).any():
        raise ValueError(
            f"frequency: no repeat purchases at all; {model} is not identified "
            "(the purchase rate would be fitted as zero)"
        )


def compress(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Collapse identical rows of the given columns into unique rows and counts.

    Returns
    -------
    (list of numpy.ndarray, numpy.ndarray)
        The unique rows' columns and the number of customers behind each (weights).
    """
    # pandas' hash-based groupby is several times faster than np.unique(axis=0)
    # on a million rows, and the order of the unique rows does not matter.
    frame = pd.DataFrame({i: c for i, c in enumerate(columns)})
    counts = frame.groupby(list(frame.columns), sort=False).size()
    index = counts.index
    if isinstance(index, pd.MultiIndex):
        uniques = [index.get_level_values(i).to_numpy(dtype=float) for i in range(len(columns))]
    else:
        uniques = [index.to_numpy(dtype=float)]
    return uniques, counts.to_numpy(dtype=float)


def worth_compressing(*columns: np.ndarray, sample: int = 10_000) -> bool:
    """True when rows repeat often enough for :func:`compress` to pay for itself.

    Judged on the first ``sample`` rows (deterministic): continuous values,
    such as average spends, are nearly all distinct, and grouping a million
    of them costs as much as the fit it was meant to speed up.
    """
    head = [c[:sample] for c in columns]
    if len(head[0]) == 0:
        return False
    distinct = pd.DataFrame({i: c for i, c in enumerate(head)}).drop_duplicates().shape[0]
    return distinct < 0.5 * len(head[0])


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of a float array: ``uniques[codes] == values``."""
    codes, uniques = pd.factorize(values)
    return codes, np.asarray(uniques, dtype=float)


def fit_log_params(
    neg_ll_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    start: Sequence[float],
    names: Sequence[str],
    model: str,
) -> np.ndarray:
    """Minimise a mean negative log-likelihood over log-parameters; return the parameters.

    Parameters
    ----------
    neg_ll_and_grad
        Function of the log-parameters returning the mean negative log-likelihood
        and its gradient with respect to the log-parameters.
    start
        Starting values of the (natural, positive) parameters.
    names
        Parameter names, used in error messages.
    model
        Model name, used in error messages.

    Returns
    -------
    numpy.ndarray
        The fitted parameters (natural scale).

    Raises
    ------
    ConvergenceError
        If the optimiser reports failure or ends on a non-finite value.
    """
    x0 = np.log(np.asarray(start, dtype=float))
    # Log-parameters outside [-30, 30] mean a degenerate fit; the bounds keep
    # gammaln and the hypergeometric away from overflow while searching.
    bounds = [(-30.0, 30.0)] * len(x0)
    res = minimize(
        neg_ll_and_grad,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    if not res.success and "ABNORMAL" in str(res.message).upper():
        # A line-search stall near the optimum is common with tight tolerances:
        # polish from where it stopped before declaring failure.
        res = minimize(neg_ll_and_grad, res.x, jac=True, method="BFGS", options={"gtol": 1e-7})
        # The objective is a mean per customer (about 5 for these models): a gradient
        # below 1e-4 where no line search can go further is the optimum to within
        # floating point. 1e-5 refused a fit at 1.03e-5 on one CPU that another
        # accepted (the last bits of the arithmetic differ between machines).
        res.success = res.success or np.linalg.norm(res.jac, np.inf) < 1e-4
    if not res.success or not np.all(np.isfinite(res.x)) or not np.isfinite(res.fun):
        raise ConvergenceError(f"{model} fit did not converge: {res.message}")
    at_bound = np.abs(res.x) >= 29.9
    if at_bound.any():
        bad = ", ".join(n for n, b in zip(names, at_bound, strict=True) if b)
        raise ConvergenceError(
            f"{model} fit ran to a degenerate solution ({bad} at 0 or infinity); "
            "the data do not identify the model"
        )
    return np.exp(res.x)


class FittedParams:
    """Mixin for fitters: ``params_`` storage, construction from known parameters, checks.

    Subclasses set ``_param_names`` (the keys of ``params_``) and ``_model_name``.
    """

    _param_names: tuple[str, ...] = ()
    _model_name: str = "model"

    def _fit_design(self, design, w: np.ndarray, start: list[float]):
        """Maximise the weighted log-likelihood of ``design`` and store the result.

        ``design.log_likelihood(params, grad)`` returns per-row log-likelihoods and
        their gradient in log-parameters; ``w`` counts the customers behind each
        row. Sets ``params_``, ``log_likelihood_`` and ``n_customers_``.
        """
        total = w.sum()

        # Weighted sums by ufuncs, not BLAS (w @ ll): on a busy machine OpenBLAS's
        # spinning worker threads made the whole fit several times slower.
        def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
            ll, jac = design.log_likelihood(np.exp(log_params), grad=True)
            return -float((w * ll).sum()) / total, -(jac * w).sum(axis=1) / total

        params = fit_log_params(objective, start, self._param_names, self._model_name)
        self.params_ = dict(zip(self._param_names, params.tolist(), strict=True))
        self.log_likelihood_ = float(w @ design.log_likelihood(params, grad=False)[0])
        self.n_customers_ = int(total)
        return self

    @classmethod
    def from_params(cls, **params: float):
        """Build a model from known parameters (e.g. published ones) without fitting.

        Parameters
        ----------
        **params
            Every parameter of the model by name, each a positive number.

        Returns
        -------
        The model, ready for predictions (``log_likelihood_`` is not set).
        """
        if set(params) != set(cls._param_names):
            raise ValueError(
                f"{cls._model_name}: expected parameters {', '.join(cls._param_names)}, "
                f"got {', '.join(params) or 'none'}"
            )
        for name, value in params.items():
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{cls._model_name}: parameter {name} must be > 0, got {value}")
        model = cls()
        model.params_ = {n: float(params[n]) for n in cls._param_names}
        return model

    def _params(self) -> tuple[float, ...]:
        params = getattr(self, "params_", None)
        if params is None:
            raise ValueError(f"{self._model_name}: not fitted yet; call fit() or from_params()")
        return tuple(params[n] for n in self._param_names)

    def __repr__(self) -> str:
        params = getattr(self, "params_", None)
        if params is None:
            return f"{type(self).__name__}()"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in params.items())
        return f"{type(self).__name__}({shown})"
