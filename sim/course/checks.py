"""Verdicts in words, never the answer: how an answer is compared with the key.

A solutions sheet registers, for each question, the expected value computed
from the student's own dataset (a zero-argument callable, evaluated when the
key is computed), in one code cell tagged ``checks``::

    expect("q1", lambda: customers_above(orders, 100), rtol=1e-3)
    expect("q2", lambda: segment_shares(orders), points=2)
    expect("q3", "champions", choices=["champions", "at risk", "lost"])

Those registrations only take effect while :mod:`sim.course.answer_key`
computes a key — in the checker process or in the grader, never in the
student's kernel, where :func:`expect` only validates its arguments. The
student's ``check("q1", answer)`` (:mod:`sim.course.checker`) sends the answer
to that process and gets back a :class:`CheckResult`: status, message and
points, displayed as text plus a machine-readable copy (MIME type
:data:`CHECK_MIME`); ``report()`` shows every question (:data:`REPORT_MIME`).

This module holds the comparison itself (:func:`compare`, :class:`Checker`),
shared by the checker process and the grader:

>>> c = Checker()
>>> c.expect("q1", lambda: 0.25)
>>> c.check("q1", ..., show=False).status
'unanswered'
>>> c.check("q1", 25, show=False).message
'off by a factor of 100 — did you use percent instead of a share?'
>>> c.check("q1", 0.25, show=False).status
'right'
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .answers import Unsupported

__all__ = [
    "CHECK_MIME",
    "REPORT_MIME",
    "STATUSES",
    "SUBMISSION_MIME",
    "CheckResult",
    "Checker",
    "Question",
    "compare",
    "expect",
    "registering",
    "run_hidden",
]

CHECK_MIME = "application/vnd.crm-workbench.check+json"
REPORT_MIME = "application/vnd.crm-workbench.report+json"
#: Provenance of a sheet's run (sheet, student, package version, dataset fingerprint).
SUBMISSION_MIME = "application/vnd.crm-workbench.submission+json"

#: Every status a check can report, best first ("manual": a written answer graded by
#: hand; "recorded": the answer was stored for the grader, no verdict given).
STATUSES = (
    "right",
    "close",
    "factor",
    "wrong",
    "wrong_shape",
    "wrong_index",
    "wrong_columns",
    "wrong_type",
    "unanswered",
    "manual",
    "recorded",
    "no_check",
    "error",
)

# ratio answer/expected → hint
_FACTORS: tuple[tuple[float, str], ...] = (
    (100, "off by a factor of 100 — did you use percent instead of a share?"),
    (0.01, "off by a factor of 1/100 — did you use a share instead of percent?"),
    (-1, "wrong sign"),
    (1000, "off by a factor of 1000 — check the units"),
    (0.001, "off by a factor of 1/1000 — check the units"),
    (10, "off by a factor of 10"),
    (0.1, "off by a factor of 1/10"),
    (12, "off by a factor of 12 — months versus years?"),
    (1 / 12, "off by a factor of 1/12 — months versus years?"),
    (365, "off by a factor of 365 — days versus years?"),
    (1 / 365, "off by a factor of 1/365 — days versus years?"),
)
_CLOSE = 0.05  # "close" means within 5 % (or 10 × the tolerance, if larger)


@dataclass
class CheckResult:
    """The verdict on one answer: ``status`` (one of :data:`STATUSES`) and ``message``."""

    question: str
    status: str
    message: str
    points: float = 0.0
    max_points: float = 1.0
    _shown: bool = field(default=False, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status == "right"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        del d["_shown"]
        return d

    def __str__(self) -> str:
        return f"{self.question}: {self.message}"

    def show(self) -> None:
        """Display the verdict (text + machine-readable copy), or print it outside IPython."""
        self._shown = True
        if _in_ipython():
            from IPython.display import display

            display({"text/plain": str(self), CHECK_MIME: self.to_dict()}, raw=True)
        else:
            print(self)

    def _ipython_display_(self) -> None:
        # check() already displayed the verdict; do not show it twice as Out[n].
        if not self._shown:
            self.show()


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    return get_ipython() is not None


@dataclass
class Question:
    """One registered question: how to get the expected value and how to compare."""

    question: str
    expected: Any
    rtol: float = 1e-3
    atol: float = 0.0
    points: float = 1.0
    choices: Sequence[str] | None = None
    check_index: bool = True
    error: str = ""  # why the expected value could not be computed (a bug in the key)
    #: hint → the value a common mistake gives (a value or a zero-argument callable)
    mistakes: Mapping[str, Any] | None = None

    def expected_value(self) -> Any:
        """The expected value (a callable is evaluated once, when first needed)."""
        if callable(self.expected):
            self.expected = self.expected()
        return self.expected

    def resolve(self) -> Question:
        """Evaluate the expected value now, keeping any failure in :attr:`error`."""
        if not self.error:
            try:
                self.expected_value()
            except Exception as exc:  # a bug in the sheet's key, not the student's fault
                self.error = f"{type(exc).__name__}: {exc}"
        self.mistake_values()
        return self

    def mistake_values(self) -> dict[str, Any]:
        """The common mistakes' values (callables evaluated once; a failing one is dropped)."""
        if not self.mistakes:
            return {}
        values = {}
        for hint, value in self.mistakes.items():
            try:
                values[hint] = value() if callable(value) else value
            except Exception:  # a mistake we cannot reproduce on this dataset gives no hint
                continue
        self.mistakes = values
        return values

    def diagnose(self, answer: Any) -> str:
        """The hint of the common mistake ``answer`` matches, or ``""``."""
        for hint, value in self.mistake_values().items():
            probe = Question(
                self.question, value, self.rtol, self.atol, check_index=self.check_index
            )
            try:
                if compare(answer, probe)[0] == "right":
                    return hint
            except Exception:  # a mistake of another type than the answer: no hint
                continue
        return ""


def _is_number(x: Any) -> bool:
    if isinstance(x, bool | np.bool_):
        return False
    if isinstance(x, numbers.Number):
        return True
    return isinstance(x, np.ndarray) and x.ndim == 0 and np.issubdtype(x.dtype, np.number)


def _type_name(x: Any) -> str:
    return type(x).__name__


def _listing(labels: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(str(x) for x in list(labels)[:limit])
    return shown + (f", … ({len(labels) - limit} more)" if len(labels) > limit else "")


def _compare_numbers(a: float, e: float, q: Question) -> tuple[str, str]:
    a, e = float(a), float(e)
    if math.isnan(e) or math.isnan(a):
        return ("right", "right") if math.isnan(e) and math.isnan(a) else ("wrong", "not right")
    if math.isclose(a, e, rel_tol=q.rtol, abs_tol=q.atol):
        return "right", "right"
    if a != 0 and e != 0:
        ratio = a / e
        for factor, hint in _FACTORS:
            if math.isclose(ratio, factor, rel_tol=max(q.rtol, 1e-6)):
                return "factor", hint
    if math.isclose(a, e, rel_tol=max(_CLOSE, 10 * q.rtol), abs_tol=10 * q.atol):
        return "close", "close but outside tolerance"
    return "wrong", "not right"


def _compare_values(a: pd.Series, e: pd.Series, q: Question, where: str) -> tuple[str, str]:
    """Compare two aligned Series of equal length, value by value."""
    if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
        if not pd.api.types.is_numeric_dtype(a) or pd.api.types.is_bool_dtype(a):
            return "wrong_type", f"{where}wrong type (expected numbers, got {a.dtype})"
        av = a.to_numpy(dtype=float)
        ev = e.to_numpy(dtype=float)
        good = np.isclose(av, ev, rtol=q.rtol, atol=q.atol, equal_nan=True)
        if good.all():
            return "right", "right"
        nonzero = (av != 0) & (ev != 0) & ~np.isnan(av) & ~np.isnan(ev) & ~good
        if nonzero.any() and (good | nonzero).all():
            ratios = av[nonzero] / ev[nonzero]
            for factor, hint in _FACTORS:
                if np.allclose(ratios, factor, rtol=max(q.rtol, 1e-6), atol=0):
                    return "factor", f"{where}{hint}"
        tol = max(_CLOSE, 10 * q.rtol)
        if np.isclose(av, ev, rtol=tol, atol=10 * q.atol, equal_nan=True).all():
            return "close", f"{where}close but outside tolerance"
    else:
        good = (a.astype(str).to_numpy() == e.astype(str).to_numpy()) | (
            a.isna() & e.isna()
        ).to_numpy()
        if good.all():
            return "right", "right"
    bad = int((~good).sum())
    first = e.index[int(np.argmin(good))]
    return "wrong", f"{where}{bad} of {len(e)} values not right (first at {first!r})"


def _index_problem(a: pd.Index, e: pd.Index) -> str:
    missing = [x for x in e if x not in set(a)]
    extra = [x for x in a if x not in set(e)]
    if not (missing or extra or a.has_duplicates):
        return ""
    parts = [f"missing: {_listing(missing)}"] if missing else []
    parts += [f"unexpected: {_listing(extra)}"] if extra else []
    return f"wrong index ({'; '.join(parts) or 'duplicate labels'})"


def _compare_series(a: Any, e: pd.Series, q: Question, where: str = "") -> tuple[str, str]:
    if not isinstance(a, pd.Series):
        hint = " with one column; select it with df[name]" if isinstance(a, pd.DataFrame) else ""
        return "wrong_type", f"{where}wrong type (expected a Series, got {_type_name(a)}{hint})"
    if len(a) != len(e):
        return "wrong_shape", f"{where}wrong length (expected {len(e)} values, got {len(a)})"
    if q.check_index:
        problem = _index_problem(a.index, e.index)
        if problem:
            return "wrong_index", f"{where}{problem}"
        a = a.reindex(e.index)
    else:
        a = a.reset_index(drop=True)
        e = e.reset_index(drop=True)
    return _compare_values(a, e, q, where)


def _compare_frame(a: Any, e: pd.DataFrame, q: Question) -> tuple[str, str]:
    if not isinstance(a, pd.DataFrame):
        return "wrong_type", f"wrong type (expected a DataFrame, got {_type_name(a)})"
    missing = [c for c in e.columns if c not in set(a.columns)]
    extra = [c for c in a.columns if c not in set(e.columns)]
    if missing or extra:
        parts = [f"missing: {_listing(missing)}"] if missing else []
        parts += [f"unexpected: {_listing(extra)}"] if extra else []
        return "wrong_columns", f"wrong columns ({'; '.join(parts)})"
    if len(a) != len(e):
        return "wrong_shape", f"wrong number of rows (expected {len(e)}, got {len(a)})"
    if q.check_index:
        problem = _index_problem(a.index, e.index)
        if problem:
            return "wrong_index", problem
    for col in e.columns:
        status, message = _compare_series(a[col], e[col], q, where=f"column {col!r}: ")
        if status != "right":
            return status, message
    return "right", "right"


def compare(answer: Any, q: Question) -> tuple[str, str]:
    """(status, message) for ``answer`` against question ``q``; the message never shows the expected value."""
    if answer is None or answer is Ellipsis:
        return "unanswered", "not answered yet"
    if isinstance(answer, Unsupported):
        return "wrong_type", (
            f"an answer of type {answer.type_name} cannot be checked "
            "(answer with a number, text, True/False, a list, a Series or a DataFrame)"
        )
    expected = q.expected_value()
    if q.choices is not None or isinstance(expected, str):
        if not isinstance(answer, str):
            return "wrong_type", f"wrong type (expected text, got {_type_name(answer)})"
        given = answer.strip().casefold()
        if q.choices is not None and given not in {c.strip().casefold() for c in q.choices}:
            return "wrong", f"not one of the choices: {', '.join(map(str, q.choices))}"
        ok = given == str(expected).strip().casefold()
        return ("right", "right") if ok else ("wrong", "not right")
    if isinstance(expected, bool | np.bool_):
        if not isinstance(answer, bool | np.bool_):
            return "wrong_type", f"wrong type (expected True or False, got {_type_name(answer)})"
        return ("right", "right") if bool(answer) == bool(expected) else ("wrong", "not right")
    if _is_number(expected):
        if not _is_number(answer):
            hint = ""
            if isinstance(answer, pd.Series | pd.DataFrame | np.ndarray) and np.size(answer) == 1:
                hint = "; take the single value with .item()"
            return "wrong_type", f"wrong type (expected a number, got {_type_name(answer)}{hint})"
        return _compare_numbers(answer, expected, q)
    if isinstance(expected, pd.DataFrame):
        return _compare_frame(answer, expected, q)
    if isinstance(expected, pd.Series):
        return _compare_series(answer, expected, q)
    if isinstance(expected, np.ndarray | list | tuple):
        if not isinstance(answer, np.ndarray | list | tuple | pd.Series):
            return "wrong_type", f"wrong type (expected a list of values, got {_type_name(answer)})"
        flat = Question(q.question, None, q.rtol, q.atol, q.points, check_index=False)
        a = pd.Series(np.asarray(answer).ravel())
        return _compare_series(a, pd.Series(np.asarray(expected).ravel()), flat)
    try:
        ok = bool(answer == expected)
    except Exception:  # ambiguous truth value and the like
        ok = False
    return ("right", "right") if ok else ("wrong", "not right")


class Checker:
    """A registry of questions (:meth:`expect`) and the verdicts on answers (:meth:`check`)."""

    def __init__(self, questions: Mapping[str, Question] | None = None) -> None:
        self.questions: dict[str, Question] = dict(questions or {})
        self.results: dict[str, CheckResult] = {}

    def expect(
        self,
        question: str,
        expected: Any,
        *,
        rtol: float = 1e-3,
        atol: float = 0.0,
        points: float = 1.0,
        choices: Sequence[str] | None = None,
        check_index: bool = True,
        mistakes: Mapping[str, Any] | None = None,
    ) -> None:
        """Register ``question``; ``expected`` is a value or a zero-argument callable.

        ``rtol``/``atol`` are the tolerances for numbers (also per value in
        Series and DataFrames); ``choices`` lists the allowed answers of a
        text question (compared case-insensitively); ``check_index=False``
        compares Series/DataFrames by position instead of by index label.
        ``mistakes`` maps a hint ("did you discount the margins?") to the
        value a common mistake gives (or a callable computing it): a wrong
        answer that matches it gets the hint, never the right value.
        """
        self.questions[question] = _question(
            question, expected, rtol, atol, points, choices, check_index, mistakes
        )
        self.results.pop(question, None)

    def check(self, question: str, answer: Any, *, show: bool = True) -> CheckResult:
        """Judge ``answer`` to ``question``, display the verdict in words and return it."""
        q = self.questions.get(question)
        if q is None:
            result = CheckResult(
                question,
                "no_check",
                f"no check registered for {question!r} (run the cell that defines the checks)",
                max_points=0.0,
            )
        else:
            try:
                if q.error:
                    raise RuntimeError(q.error)
                status, message = compare(answer, q)
                if status in ("wrong", "close", "factor") and q.mistakes:
                    hint = q.diagnose(answer)
                    if hint:
                        status, message = "wrong", f"not right — {hint}"
            except Exception as exc:  # a bug in the sheet, not the student's fault
                status, message = "error", f"the check itself failed ({type(exc).__name__}: {exc})"
            points = q.points if status == "right" else 0.0
            result = CheckResult(question, status, message, points, q.points)
            self.results[question] = result
        if show:
            result.show()
        return result

    def report(self, *, show: bool = True) -> list[CheckResult]:
        """Verdicts on every registered question (unchecked ones count as unanswered)."""
        results = [
            self.results.get(
                qid,
                CheckResult(
                    qid, "unanswered", "not answered yet (its check never ran)", 0.0, q.points
                ),
            )
            for qid, q in self.questions.items()
        ]
        if show:
            got = sum(r.points for r in results)
            total = sum(r.max_points for r in results)
            text = "\n".join([f"score: {got:g} / {total:g}", *map(str, results)])
            if _in_ipython():
                from IPython.display import display

                payload = [r.to_dict() for r in results]
                display({"text/plain": text, REPORT_MIME: payload}, raw=True)
            else:
                print(text)
        return results

    def reset(self) -> None:
        """Forget all questions and verdicts."""
        self.questions.clear()
        self.results.clear()


def _question(
    question: str,
    expected: Any,
    rtol: float,
    atol: float,
    points: float,
    choices: Sequence[str] | None,
    check_index: bool,
    mistakes: Mapping[str, Any] | None = None,
) -> Question:
    if not isinstance(question, str) or not question:
        raise ValueError(f"question must be a non-empty string, got {question!r}")
    if rtol < 0 or atol < 0:
        raise ValueError(f"tolerances must be >= 0, got rtol={rtol}, atol={atol}")
    if points < 0:
        raise ValueError(f"points must be >= 0, got {points}")
    if mistakes is not None and (
        not isinstance(mistakes, Mapping) or not all(isinstance(h, str) and h for h in mistakes)
    ):
        raise ValueError("mistakes must map a non-empty hint text to a value or a callable")
    return Question(question, expected, rtol, atol, points, choices, check_index, mistakes=mistakes)


# The checker that expect() registers on while a key is being computed; None
# elsewhere (in a student's kernel expect() registers nothing anyone can read).
_registry: contextvars.ContextVar[Checker | None] = contextvars.ContextVar(
    "crm_workbench_key_registry", default=None
)


@contextlib.contextmanager
def registering(checker: Checker) -> Iterator[Checker]:
    """Make :func:`expect` register on ``checker`` inside the ``with`` block (key computation)."""
    token = _registry.set(checker)
    try:
        yield checker
    finally:
        _registry.reset(token)


def expect(
    question: str,
    expected: Any,
    *,
    rtol: float = 1e-3,
    atol: float = 0.0,
    points: float = 1.0,
    choices: Sequence[str] | None = None,
    check_index: bool = True,
    mistakes: Mapping[str, Any] | None = None,
) -> None:
    """Register ``question`` on the key being computed (see :meth:`Checker.expect`).

    Outside a key computation (e.g. a solutions sheet run in a notebook) it
    only validates its arguments: the expected values are computed by the
    checker process and the grader, from the solutions sheet, never in the
    kernel that runs the student's code.
    """
    registry = _registry.get()
    if registry is None:
        _question(question, None, rtol, atol, points, choices, check_index, mistakes)
        return
    registry.expect(
        question,
        expected,
        rtol=rtol,
        atol=atol,
        points=points,
        choices=choices,
        check_index=check_index,
        mistakes=mistakes,
    )


def run_hidden(blob: str, namespace: dict[str, Any]) -> None:
    """Stand-in for the hidden check cell of older sheets: explains, runs nothing.

    Older exercise sheets carried the key as a base64 cell executed in the
    student's kernel; keys are now computed outside it (:mod:`sim.course.answer_key`).
    """
    print(
        "This cell comes from an older version of the sheet: self-checks now run in a "
        "separate checker. Get the current sheet (make exercises) to use them."
    )
