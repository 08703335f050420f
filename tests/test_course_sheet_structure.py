"""Every exercise sheet 00–09 has the four kinds of question issue 9 §5 asks for.

§5: at least five questions — computation, interpretation, a recommendation
with a rubric (a model answer and three or four marking points) and one
derivation. The kinds are read from the solutions sheet without running it
(:func:`sim.course.answer_key.read_sheet`): a computation is a self-checked
question; a derivation is a self-checked question whose heading asks to derive;
an interpretation and a recommendation are written questions whose prompt says
so, with a model answer and 3–4 numbered marking points.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from sim.course.answer_key import read_sheet

REPO = Path(__file__).resolve().parents[1]
SHEETS = sorted(
    p.name.removesuffix("_solutions.ipynb")
    for p in (REPO / "solutions").glob("0[0-9]_*_solutions.ipynb")
)
_HEADING = re.compile(r"^##\s+(?:Q|Question)\s*(\d+)\b(.*)$", re.M | re.I)
_POINT = re.compile(r"^\s*(?:\d+\.|\(\d\))\s", re.M)


def _headings(sheet: str) -> dict[str, str]:
    """Question id → its heading line, from the solutions sheet's markdown."""
    nb = nbformat.read(REPO / "solutions" / f"{sheet}_solutions.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for number, rest in _HEADING.findall(cell.source):
                out[f"q{number}"] = rest.strip()
    return out


def _marking_points(prompt: str, rubric: str) -> int:
    return len(_POINT.findall(rubric)) or len(re.findall(r"\(\d\)", prompt + "\n" + rubric))


def _graded_written(spec, word: str):
    return [w for w in spec.written if word in w.prompt.lower()]


def test_every_sheet_00_09_is_covered():
    assert SHEETS == [f"{n:02d}" + s[2:] for n, s in enumerate(SHEETS)]
    assert len(SHEETS) == 10


@pytest.mark.parametrize("sheet", SHEETS)
def test_sheet_has_five_questions_of_the_four_kinds(sheet):
    spec = read_sheet(REPO / "solutions" / f"{sheet}_solutions.ipynb")
    checked = set(spec.answer_names)
    headings = _headings(sheet)
    assert len(checked) + len(spec.written) >= 5, (checked, [w.question for w in spec.written])
    derivations = [q for q in checked if "deriv" in headings.get(q, "").lower()]
    computations = checked - set(derivations)
    assert computations, f"{sheet}: no self-checked computation"
    assert derivations, f"{sheet}: no self-checked derivation ({headings})"
    for kind in ("recommend", "interpret"):
        found = _graded_written(spec, kind)
        assert found, f"{sheet}: no written question asks to {kind}"
        ok = [
            w
            for w in found
            if "model answer" in (w.prompt + w.rubric).lower()
            and 3 <= _marking_points(w.prompt, w.rubric) <= 4
        ]
        assert ok, f"{sheet}: the {kind} question lacks a model answer with 3-4 marking points"
