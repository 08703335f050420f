"""Course tools: self-checks, per-student seeds, the exercise builder and the grader.

In a solutions sheet::

    from sim.course import check, expect, seed_for

    seed = seed_for(student_id, seed)          # right after the parameters cell
    expect("q1", lambda: n_champions(data))    # in a cell tagged "checks"
    check("q1", answer)                        # after each answer

Command line: ``python -m sim.course build-exercises [--check]``,
``python -m sim.course grade SUBMISSIONS_DIR --out gradebook.csv``,
``python -m sim.course student-seed STUDENT_ID``.
"""

from .checks import (
    CHECK_MIME,
    REPORT_MIME,
    STATUSES,
    Checker,
    CheckResult,
    check,
    expect,
    report,
    reset,
    run_hidden,
)
from .students import seed_for, student_seed

__all__ = [
    "CHECK_MIME",
    "REPORT_MIME",
    "STATUSES",
    "CheckResult",
    "Checker",
    "check",
    "expect",
    "report",
    "reset",
    "run_hidden",
    "seed_for",
    "student_seed",
]
