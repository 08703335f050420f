"""One HTML feedback page per student: verdict and hint per question, written answers with the rubric.

Pages are self-contained (inline CSS, no scripts) so they can be mailed or
uploaded to an LMS as they are. Everything a student wrote is escaped and
shown as text: a submission cannot inject markup into the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .exercises import _write_atomic

# The grades are sim.course.grader.SheetGrade objects, duck-typed here so the
# grader can import this module without a cycle.
SheetGrade = Any

__all__ = ["feedback_page", "page_name", "write_feedback_pages"]

_VERDICT = {
    "right": "right",
    "close": "close",
    "factor": "off by a factor",
    "wrong": "wrong",
    "wrong_shape": "wrong shape",
    "wrong_index": "wrong index",
    "wrong_columns": "wrong columns",
    "wrong_type": "wrong type",
    "unanswered": "not answered",
    "error": "check failed",
    "no_check": "no check",
}
_SHEET_STATUS = {
    "executed": "graded",
    "error": "graded — the notebook raised an error",
    "timeout": "graded — the notebook ran out of time",
    "refused": "not graded — made with another version",
    "no_key": "not graded — no answer key for this sheet",
}
_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; vertical-align: top; }
.right { color: #17662b; } .close, .factor { color: #8a5a00; }
.wrong, .wrong_shape, .wrong_index, .wrong_columns, .wrong_type, .error { color: #a31515; }
.unanswered, .no_check { color: #666; }
.note { color: #555; font-size: .9rem; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: .5rem; border-radius: 4px; }
"""


def page_name(student: str) -> str:
    """The page's file name: the student id with anything but ``[A-Za-z0-9._-]`` replaced."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", student) + ".html"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _sheet_section(g: SheetGrade) -> str:
    parts = [f"<h2>{_e(g.sheet)}</h2>"]
    status = _SHEET_STATUS.get(g.status, g.status)
    score = f" — {g.points:g} / {g.max_points:g} automatic points" if g.results else ""
    parts.append(f"<p><strong>{_e(status)}</strong>{_e(score)}</p>")
    for note in [g.message, *g.notes]:
        if note:
            parts.append(f'<p class="note">{_e(note)}</p>')
    if g.results:
        parts.append(
            "<table><tr><th>question</th><th>verdict</th><th>points</th><th>hint</th></tr>"
        )
        for r in g.results:
            hint = "" if r.status == "right" else r.message
            parts.append(
                f'<tr><td>{_e(r.question)}</td><td class="{_e(r.status)}">'
                f"{_e(_VERDICT.get(r.status, r.status))}</td>"
                f"<td>{r.points:g} / {r.max_points:g}</td><td>{_e(hint)}</td></tr>"
            )
        parts.append("</table>")
    for w in g.written:
        parts.append(f"<h3>{_e(w.question)} — written answer (graded by hand)</h3>")
        if w.prompt:
            parts.append(f"<pre>{_e(w.prompt)}</pre>")
        parts.append("<p><em>Your answer</em></p>")
        parts.append(f"<pre>{_e(w.answer)}</pre>" if w.answered else "<p>not answered</p>")
        parts.append("<p><em>Rubric</em></p>")
        parts.append(f"<pre>{_e(w.rubric)}</pre>")
    return "\n".join(parts)


def feedback_page(student: str, grades: Sequence[SheetGrade]) -> str:
    """The HTML page of one student over all their graded sheets."""
    body = "\n".join(_sheet_section(g) for g in sorted(grades, key=lambda g: g.sheet))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Feedback — {_e(student)}</title><style>{_CSS}</style></head>\n"
        f"<body><h1>Feedback for {_e(student)}</h1>\n{body}\n</body></html>\n"
    )


def write_feedback_pages(grades: Sequence[SheetGrade], folder: Path) -> list[Path]:
    """Write ``folder/<student>.html`` for every student in ``grades``; return the paths."""
    by_student: dict[str, list[SheetGrade]] = {}
    for g in grades:
        by_student.setdefault(g.student, []).append(g)
    paths = []
    for student, sheets in sorted(by_student.items()):
        path = Path(folder) / page_name(student)
        _write_atomic(path, feedback_page(student, sheets))
        paths.append(path)
    return paths
