"""Course tools: self-checks, per-student seeds, answer keys, the exercise builder and the grader.

In a solutions sheet::

    from sim.course import check, connect, expect, seed_for

    seed = seed_for(student_id, seed)              # right after the parameters cell
    ds = sim.course_dataset(seed=seed)
    connect("05_clv", student_id=student_id, seed=seed, data=ds)
    expect("q1", lambda: n_champions(ds))          # in a cell tagged "checks"
    check("q1", answer)                            # after each answer

``expect`` registrations only count while a key is computed
(:func:`compute_key`, in the checker process or the grader); ``check`` sends
the answer to the checker process and shows its verdict (:mod:`.checker`).

Command line: ``python -m sim.course build-exercises [--check]``,
``python -m sim.course grade SUBMISSIONS_DIR --out gradebook.csv``,
``python -m sim.course answer-key SHEET --student STUDENT_ID``,
``python -m sim.course student-seed STUDENT_ID``.
"""

from .answer_key import AnswerKey, KeyUnavailable, compute_key
from .answers import ANSWER_MIME
from .checker import autograde, check, connect, report
from .checks import (
    CHECK_MIME,
    REPORT_MIME,
    STATUSES,
    SUBMISSION_MIME,
    Checker,
    CheckResult,
    expect,
    run_hidden,
)
from .students import seed_for, student_seed

__all__ = [
    "ANSWER_MIME",
    "CHECK_MIME",
    "REPORT_MIME",
    "STATUSES",
    "SUBMISSION_MIME",
    "AnswerKey",
    "CheckResult",
    "Checker",
    "KeyUnavailable",
    "autograde",
    "check",
    "compute_key",
    "connect",
    "expect",
    "report",
    "run_hidden",
    "seed_for",
    "student_seed",
]
