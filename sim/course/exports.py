"""Export the solutions sheets for nbgrader and otter-grader, the graders instructors already run.

``python -m sim.course export --format nbgrader --out DIR`` writes an nbgrader
course root; ``--format otter --out DIR`` writes otter-grader master notebooks.
Both are built from ``solutions/`` (never from ``exercises/``) and grade with
the project's answer key (:mod:`sim.course.answer_key`) on each student's own
dataset; the key itself never enters a student notebook.

nbgrader (``DIR/``)::

    nbgrader_config.py             course id, execution timeout, where the keys are
    keys/<sheet>_solutions.ipynb   the answer keys (never released: outside source/)
    source/<sheet>/<sheet>.ipynb   one assignment per sheet

Each source notebook has nbgrader cell metadata: the parameters, setup and
question prompts are read-only (``locked``); each code answer is a solution
cell (``### BEGIN SOLUTION`` … ``### END SOLUTION``) followed by a locked
autograder test cell worth the question's points, which calls
:func:`assert_right`; each written answer is a manually graded markdown
solution cell (``solution`` and ``grade``, ``task: false``) whose model answer
and rubric note are the solution nbgrader removes. The sheet's ``checks`` cell
is left out. Run ``nbgrader generate_assignment <sheet>`` and ``nbgrader
autograde <sheet>`` from ``DIR``.

**The student id under nbgrader.** Locked cells are restored from the source
at autograde time, so the parameters cell cannot carry it. The setup cell asks
:func:`nbgrader_student_id`: while nbgrader autogrades
(``NBGRADER_EXECUTION=autograde``) it is the name of the submission's student
folder (nbgrader runs each notebook in ``autograded/<student_id>/<assignment>/``
with the default ``CourseDirectory.directory_structure``), otherwise the
JupyterHub user name (nbgrader's own student id on a hub), otherwise the
class dataset. Autograding re-runs the whole notebook, so the student's code is
always graded on the dataset of the folder it was collected in.

otter-grader (``DIR/<sheet>/``)::

    <sheet>.ipynb                  master notebook (assignment config, question blocks)
    keys/<sheet>_solutions.ipynb   the answer key, an autograder-only file
    requirements.txt               the workbench's dependencies for the grading image

Each code question is a ``# BEGIN QUESTION`` block with its points, a solution
(students see the same placeholder as in ``exercises/``) and a hidden test
that calls :func:`assert_right`; written answers are ``manual: true``
questions (otter inserts the answer cell). The tests need the key, which
students do not have, so they are hidden and no ``grader.check()`` cells are
added: the sheet's own ``check()`` stays the self-check. Otter has no notion
of who a student is: the tests use the ``student_id`` the student typed in the
parameters cell. Run ``otter assign DIR/<sheet>/<sheet>.ipynb dist/``, then
``otter run -a dist/autograder/<sheet>-autograder_*.zip submission.ipynb``
(no Docker; ``otter grade`` runs the same in containers).

**Verdicts.** The tests call :func:`assert_right`, which is the answer key's
:func:`sim.course.checker.autograde`: a checker process computes the student's
key from the solutions sheet and judges the answer, sent to it as JSON.
While nbgrader or otter grades, the setup cell puts the kernel in the
project's grading mode (:func:`nbgrader_autograding`, :func:`otter_autograding`),
so the sheet's own ``check()`` only records and each notebook computes its key
once. Where the key is absent (a student's machine) a test fails with "self-checks
need the instructor's key", which is what nbgrader's Validate then reports.
:func:`verdict` gives the project's verdict on any answer: written answers
are ``manual`` with 0 automatic points and their rubric as the feedback, as in
the project's gradebook.

**Trust.** nbgrader and otter run their tests in the kernel that ran the
student's code, on a machine that holds the keys, so a determined student can
fake a test or compute the key there. The project's own grader (``python -m
sim.course grade``) judges recorded answers in its own process after the
kernel has finished, behind a tripwire; use it, or containers without the
solutions, when the stakes are high.
"""

from __future__ import annotations

import argparse
import ast
import atexit
import functools
import importlib.metadata
import os
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .checks import CheckResult
from .exercises import SUFFIX, strip_code

__all__ = [
    "FORMATS",
    "KEYS_DIR",
    "ExportError",
    "ExportQuestion",
    "SheetLayout",
    "assert_right",
    "export_nbgrader",
    "export_otter",
    "layout",
    "nbgrader_autograding",
    "nbgrader_student_id",
    "otter_autograding",
    "register",
    "sheet_names",
    "verdict",
]

FORMATS = ("nbgrader", "otter")
#: The nbgrader course's folder of answer keys (beside source/, so never released).
KEYS_DIR = "keys"
COURSE_ID = "crm-workbench"
#: Points of a written (hand-graded) answer: the sheets give points to auto-checked ones only.
WRITTEN_POINTS = 1.0
# A sheet simulates the student's own dataset and some fit models: nbgrader's 30 s is too short.
CELL_TIMEOUT = 600
_BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^(\s*)#+\s*END SOLUTION\s*$")
_MD_REGION = re.compile(r"<!--\s*BEGIN SOLUTION\s*-->(.*?)<!--\s*END SOLUTION\s*-->", re.DOTALL)
_SEED_LINE = re.compile(r"^(\s*)seed\s*=\s*seed_for\(")
_GRADE_ID = re.compile(r"[^A-Za-z0-9_-]+")


class ExportError(ValueError):
    """A solutions sheet does not have the layout an export needs; the message says where."""


# --------------------------------------------------------------------------- the key


def _folder(solutions_dir: str | os.PathLike | None) -> str | None:
    return os.path.abspath(solutions_dir) if solutions_dir is not None else None


def assert_right(
    sheet: str,
    question: str,
    answer: Any,
    *,
    student_id: str = "",
    seed: int = 0,
    solutions_dir: str | os.PathLike | None = None,
) -> None:
    """Pass silently if ``answer`` is right, else raise AssertionError with the checker's hint.

    The autograder test of every exported question, and the tests' one call
    into the answer key: :func:`sim.course.checker.autograde`, whose checker
    process computes the student's key from the solutions sheet. It returns
    nothing, so otter's doctest-format tests expect no output.
    """
    from .checker import autograde

    autograde(
        sheet, question, answer, student_id=student_id, seed=seed, solutions_dir=solutions_dir
    )


@functools.lru_cache(maxsize=16)
def _session(sheet: str, student_id: str, seed: int, solutions_dir: str | None) -> Any:
    from .checker import Session

    session = Session(sheet, student_id, seed, solutions_dir=solutions_dir)
    atexit.register(session.close)
    return session


@functools.lru_cache(maxsize=16)
def _written(sheet: str, solutions_dir: str | None) -> dict[str, str]:
    from .answer_key import read_sheet

    return {w.question: w.rubric for w in read_sheet(sheet, solutions_dir).written}


def verdict(
    sheet: str,
    question: str,
    answer: Any,
    *,
    student_id: str = "",
    seed: int = 0,
    solutions_dir: str | os.PathLike | None = None,
) -> CheckResult:
    """The project's verdict on any answer of a sheet, written ones included; never the key.

    A code answer is judged like :func:`assert_right` (a checker process
    computes the key); a written answer is ``manual``: 0 automatic points,
    its rubric (the model answer) as the message, as in the project's gradebook.
    """
    from .answer_key import KeyUnavailable

    folder = _folder(solutions_dir)
    try:
        rubric = _written(sheet, folder).get(question)
    except KeyUnavailable as exc:
        return CheckResult(question, "no_check", str(exc), 0.0, 0.0)
    if rubric is not None:
        return CheckResult(question, "manual", f"graded by hand; rubric: {rubric}", 0.0, 0.0)
    session = _session(sheet, str(student_id or ""), int(seed), folder)
    return session.check(question, answer, show=False)


def nbgrader_student_id(default: str = "") -> str:
    """The student id nbgrader knows this notebook by (see the module docstring for the rule)."""
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        # nbgrader executes autograded/<student_id>/<assignment>/<sheet>.ipynb in its folder.
        return Path.cwd().parent.name
    return os.environ.get("JUPYTERHUB_USER") or default


def _grading_mode() -> None:
    from .checker import GRADING_ENV

    os.environ[GRADING_ENV] = "1"


def otter_autograding() -> bool:
    """Under otter's grader, put this kernel in the project's grading mode; say if so.

    Like :func:`nbgrader_autograding`. Otter's grader runs
    ``otter.Notebook.init_grading_mode`` in the kernel before the notebook's
    first cell; its flag is read without importing otter (students need not
    have it).
    """
    otter = sys.modules.get("otter")
    if not getattr(getattr(otter, "Notebook", None), "_grading_mode", False):
        return False
    _grading_mode()
    return True


def nbgrader_autograding() -> bool:
    """Under ``nbgrader autograde``, put this kernel in the project's grading mode; say if so.

    The sheet's own ``check()`` then only records answers and ``connect()``
    starts no checker process: the test cells' checker judges, so each
    notebook computes its key once.
    """
    if os.environ.get("NBGRADER_EXECUTION") != "autograde":
        return False
    _grading_mode()
    return True


# --------------------------------------------------------------------------- sheet layout


@dataclass(frozen=True)
class ExportQuestion:
    """One question of a sheet: its cells (prompt … answer), kind and points.

    ``kind`` is ``"auto"`` (a code answer checked by the key) or ``"manual"``
    (a written answer); ``variable`` the name a code answer is assigned to;
    ``rubric`` the model answer of a written one.
    """

    question: str
    kind: str
    points: float
    cells: tuple[int, ...]
    answer: int
    variable: str = ""
    rubric: str = ""


@dataclass(frozen=True)
class SheetLayout:
    """A solutions sheet as the exports see it: which cell is what."""

    sheet: str
    path: Path
    nb: Any
    parameters: int
    setup: tuple[int, ...]
    checks: tuple[int, ...]
    questions: tuple[ExportQuestion, ...]
    defaults: dict[str, Any]

    def question_of(self, index: int) -> ExportQuestion | None:
        """The question a cell belongs to, if any."""
        return next((q for q in self.questions if index in q.cells), None)


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _expected_points(source: str) -> dict[str, float]:
    """Points of each ``expect("qN", ..., points=p)`` call, read without running the key."""
    points: dict[str, float] = {}
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "expect"):
            continue
        if not (node.args and isinstance(node.args[0], ast.Constant)):
            continue
        value: Any = 1.0
        for keyword in node.keywords:
            if keyword.arg == "points":
                value = ast.literal_eval(keyword.value)
        points[str(node.args[0].value)] = float(value)
    return points


def layout(
    sheet: str | os.PathLike,
    solutions_dir: str | os.PathLike | None = None,
    *,
    written_points: float = WRITTEN_POINTS,
) -> SheetLayout:
    """Read a solutions sheet (name like ``"00_welcome"`` or path) into a :class:`SheetLayout`."""
    from .answer_key import read_sheet

    spec = read_sheet(sheet, solutions_dir)
    nb = nbformat.read(spec.path, as_version=4)
    where = spec.path.name
    cells = nb.cells
    params = [i for i, c in enumerate(cells) if c.cell_type == "code" and "parameters" in _tags(c)]
    checks = tuple(i for i, c in enumerate(cells) if c.cell_type == "code" and "checks" in _tags(c))
    key_ids = {cell_id for cell_id, _ in spec.key_cells}
    setup = tuple(
        i
        for i, c in enumerate(cells)
        if c.cell_type == "code" and c.get("id") in key_ids and i not in checks
    )
    if not setup or not any(_SEED_LINE.match(line) for line in cells[setup[0]].source.split("\n")):
        raise ExportError(f"{where}: no setup cell with `seed = seed_for(student_id, seed)`")
    points: dict[str, float] = {}
    for i in checks:
        points.update(_expected_points(cells[i].source))
    variable_of = {var: q for q, var in spec.answer_names.items()}
    written_of = {w.cell_id: w for w in spec.written}

    questions: list[ExportQuestion] = []
    start = max((*setup, *checks, params[0])) + 1
    for index in range(start, len(cells)):
        cell = cells[index]
        if "BEGIN SOLUTION" not in cell.source:
            continue
        # The question opens at the nearest markdown cell above its answer (its prompt).
        first = index
        while first - 1 >= start and "BEGIN SOLUTION" not in cells[first - 1].source:
            first -= 1
            if cells[first].cell_type == "markdown":
                break
        if cell.cell_type == "code":
            assigned = [
                n.targets[0].id
                for n in ast.walk(ast.parse(cell.source))
                if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
            ]
            found = [v for v in assigned if v in variable_of]
            if not found:
                raise ExportError(f'{where}, cell {index}: no `check("qN", answer)` for its answer')
            question = variable_of[found[-1]]
            if question not in points:
                raise ExportError(
                    f"{where}: question {question} has no expect() in the checks cell"
                )
            questions.append(
                ExportQuestion(
                    question,
                    "auto",
                    points[question],
                    tuple(range(first, index + 1)),
                    index,
                    variable=found[-1],
                )
            )
        else:
            written = written_of.get(cell.get("id", ""))
            if written is None:
                raise ExportError(f"{where}, cell {index}: written answer the key does not list")
            questions.append(
                ExportQuestion(
                    written.question,
                    "manual",
                    float(written_points),
                    tuple(range(first, index + 1)),
                    index,
                    rubric=written.rubric,
                )
            )
    return SheetLayout(
        spec.sheet, spec.path, nb, params[0], setup, checks, tuple(questions), spec.parameters
    )


def sheet_names(
    sheets: Sequence[str] | None = None, solutions_dir: str | os.PathLike | None = None
) -> list[str]:
    """Sheet names to export: all of ``solutions/`` or those asked for (``"00"`` or ``"00_welcome"``)."""
    from .answer_key import sheet_name
    from .exercises import SOLUTIONS_DIR

    folder = Path(solutions_dir) if solutions_dir is not None else SOLUTIONS_DIR
    available = [sheet_name(p) for p in sorted(folder.glob(f"*{SUFFIX}.ipynb"))]
    if not sheets:
        return available
    chosen = []
    for wanted in sheets:
        wanted = sheet_name(wanted)
        matches = [s for s in available if s == wanted or s.split("_", 1)[0] == wanted]
        if len(matches) != 1:
            raise ExportError(f"no single solutions sheet {wanted!r} in {folder}: {available}")
        chosen.append(matches[0])
    return chosen


# --------------------------------------------------------------------------- shared helpers


def _nbgrader_markers(source: str) -> str:
    """The sheet's ``# BEGIN SOLUTION`` lines in nbgrader's own spelling, ``### BEGIN SOLUTION``."""
    out = []
    for line in source.split("\n"):
        begin, end = _BEGIN.match(line), _END.match(line)
        if begin:
            line = f"{begin.group(1)}### BEGIN SOLUTION"
        elif end:
            line = f"{end.group(1)}### END SOLUTION"
        out.append(line)
    return "\n".join(out)


def _otter_solution(source: str) -> str:
    """A code answer in otter's syntax, so students see the same placeholder as in exercises/.

    Each region becomes an otter prompt (the exercises/ placeholder, a string
    in the master, live code for students) followed by ``# BEGIN SOLUTION NO
    PROMPT`` … ``# END SOLUTION``.
    """
    out: list[str] = []
    region: list[str] | None = None
    indent = ""
    for line in source.split("\n"):
        begin, end = _BEGIN.match(line), _END.match(line)
        if begin:
            region, indent = [], begin.group(1)
        elif end and region is not None:
            stub = strip_code(
                "\n".join([f"{indent}# BEGIN SOLUTION", *region, f"{indent}# END SOLUTION"])
            )
            out += [f'{indent}""" # BEGIN PROMPT', *stub.split("\n"), f'{indent}"""  # END PROMPT']
            out += [f"{indent}# BEGIN SOLUTION NO PROMPT", *region, f"{indent}# END SOLUTION"]
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    return "\n".join(out)


def _written_answer(source: str) -> str:
    """A written answer's text without its ``<!-- BEGIN/END SOLUTION -->`` markers."""
    return _MD_REGION.sub(lambda m: m.group(1).strip(), source).strip()


def _model_answer(q: ExportQuestion, answer: str) -> str:
    """The instructor's text of a written answer: the model answer and what grading it means."""
    points = f"{q.points:g} point{'s' if q.points != 1 else ''}"
    return (
        f"**Model answer ({points}, graded by hand; the project's gradebook lists it as "
        "`manual` with 0 automatic points and this answer as its rubric):**\n\n"
        f"{answer}"
    )


def _grade_id(text: str) -> str:
    return _GRADE_ID.sub("-", text).strip("-") or "cell"


def _clean(cell: Any) -> Any:
    """A copy of a cell without outputs, execution count or metadata other than tags."""
    if cell.cell_type == "code":
        new = nbformat.v4.new_code_cell(cell.source)
    elif cell.cell_type == "markdown":
        new = nbformat.v4.new_markdown_cell(cell.source)
    else:
        new = nbformat.v4.new_raw_cell(cell.source)
    if cell.get("id"):
        new.id = cell.id
    if _tags(cell):
        new.metadata["tags"] = _tags(cell)
    return new


def _notebook(sheet: SheetLayout, cells: list[Any]) -> Any:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        k: sheet.nb.metadata[k] for k in ("kernelspec", "language_info") if k in sheet.nb.metadata
    }
    return nb


def _write(nb: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


def _test_call(sheet: SheetLayout, q: ExportQuestion, student_id: str, solutions_dir: str) -> str:
    seed = int(sheet.defaults.get("seed", 0))
    where = f", solutions_dir={solutions_dir}" if solutions_dir else ""
    return (
        f'assert_right("{sheet.sheet}", "{q.question}", globals().get("{q.variable}"), '
        f"student_id={student_id}, seed={seed}{where})"
    )


# --------------------------------------------------------------------------- nbgrader

_NBGRADER_CONFIG = '''\
"""nbgrader configuration of the CRM Workbench course (written by `python -m sim.course export`).

Run nbgrader from this folder: `nbgrader generate_assignment 00_welcome`, then
`nbgrader autograde 00_welcome` once submissions are in submitted/<student_id>/00_welcome/.
"""

import os

c = get_config()  # noqa: F821 (injected by nbgrader)

c.CourseDirectory.course_id = {course_id!r}
# Each sheet simulates the student's own dataset and some fit models: nbgrader's 30 s is too short.
c.Execute.timeout = {timeout}
# The answer keys live in keys/ (outside source/, so never released). The kernels nbgrader
# starts inherit this variable; their checker process computes each student's key from there.
os.environ.setdefault({env!r}, os.path.join(os.path.dirname(os.path.abspath(__file__)), {keys!r}))
'''

_NBGRADER_PARAMS_NOTE = (
    "# nbgrader: student_id below stays empty; the setup cell takes your JupyterHub user name\n"
    "# (and, when grading, the name of your submission's folder), so you work on your own dataset.\n"
)

_NBGRADER_SETUP = (
    "{indent}from sim.course.exports import nbgrader_autograding, nbgrader_student_id\n\n"
    "{indent}student_id = nbgrader_student_id(student_id)  # your hub user name; when autograded, "
    "your folder's\n"
    "{indent}nbgrader_autograding()  # when autograded, check() only records: the tests judge\n"
)


def _nb_meta(
    grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False, points=None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": _grade_id(grade_id),
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = float(points)
    return meta


def _before_seed_line(source: str, snippet: str) -> str:
    """``source`` with ``snippet`` (indented alike) inserted before its ``seed = seed_for(...)`` line."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        match = _SEED_LINE.match(line)
        if match:
            lines[i] = snippet.format(indent=match.group(1)) + line
            return "\n".join(lines)
    raise ExportError("setup cell without `seed = seed_for(student_id, seed)`")


def _nbgrader_setup(source: str) -> str:
    return _before_seed_line(source, _NBGRADER_SETUP)


def nbgrader_notebook(sheet: SheetLayout) -> Any:
    """The nbgrader source notebook of one sheet (see the module docstring)."""
    cells = []
    for index, cell in enumerate(sheet.nb.cells):
        if index in sheet.checks:
            continue  # the key is computed by the autograder tests, never shown to students
        new = _clean(cell)
        q = sheet.question_of(index)
        if index == sheet.parameters:
            new.source = _NBGRADER_PARAMS_NOTE + new.source
            new.metadata["nbgrader"] = _nb_meta("parameters", locked=True)
        elif index in sheet.setup:
            if index == sheet.setup[0]:
                new.source = _nbgrader_setup(new.source)
            new.metadata["nbgrader"] = _nb_meta(cell.get("id") or f"setup-{index}", locked=True)
        elif q is not None and index == q.answer and q.kind == "auto":
            new.source = _nbgrader_markers(new.source)
            new.metadata["nbgrader"] = _nb_meta(q.question, solution=True)
            cells.append(new)
            test = nbformat.v4.new_code_cell(
                f"# Autograder test of {q.question} ({q.points:g} point"
                f"{'s' if q.points != 1 else ''}): the answer key for your own dataset.\n"
                "from sim.course.exports import assert_right, nbgrader_student_id\n\n"
                + _test_call(sheet, q, "nbgrader_student_id()", "")
            )
            test.id = _grade_id(f"{q.question}-test")
            test.metadata["nbgrader"] = _nb_meta(
                f"{q.question}-test", grade=True, locked=True, points=q.points
            )
            new = test
        elif q is not None and index == q.answer:
            # The whole cell is the solution: nbgrader replaces it with "YOUR ANSWER HERE".
            new.source = _model_answer(q, _written_answer(cell.source))
            new.metadata["nbgrader"] = _nb_meta(
                q.question, grade=True, solution=True, points=q.points
            )
        elif q is not None and cell.cell_type == "markdown" and index == q.cells[0]:
            new.metadata["nbgrader"] = _nb_meta(f"{q.question}-prompt", locked=True)
        cells.append(new)
    return _notebook(sheet, cells)


def export_nbgrader(
    out: str | os.PathLike,
    sheets: Sequence[str] | None = None,
    *,
    solutions_dir: str | os.PathLike | None = None,
    written_points: float = WRITTEN_POINTS,
) -> list[Path]:
    """Write an nbgrader course root to ``out``; return the source notebooks written.

    Existing files of ``out`` that the export does not write (the gradebook,
    submitted/, autograded/, …) are left alone, so exporting again updates the
    sources of a running course.
    """
    out = Path(out)
    written = []
    for name in sheet_names(sheets, solutions_dir):
        sheet = layout(name, solutions_dir, written_points=written_points)
        written.append(_write(nbgrader_notebook(sheet), out / "source" / name / f"{name}.ipynb"))
        (out / KEYS_DIR).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sheet.path, out / KEYS_DIR / sheet.path.name)
    from .answer_key import SOLUTIONS_ENV

    config = _NBGRADER_CONFIG.format(
        course_id=COURSE_ID, timeout=CELL_TIMEOUT, env=SOLUTIONS_ENV, keys=KEYS_DIR
    )
    (out / "nbgrader_config.py").write_text(config, encoding="utf-8")
    return written


# --------------------------------------------------------------------------- otter


def _raw(text: str) -> Any:
    return nbformat.v4.new_raw_cell(text)


def _requirements(package: str | None) -> str:
    """requirements.txt for otter's grading image: the workbench's own runtime dependencies."""
    try:
        requires = importlib.metadata.requires("crm-workbench") or []
    except importlib.metadata.PackageNotFoundError:
        requires = []
    lines = [
        "# The CRM Workbench's runtime dependencies (from its package metadata).",
        "# The grading image also needs the workbench itself (the `sim` package):",
        "# pass `--package SPEC` to `python -m sim.course export` to list it here.",
        *(r for r in requires if "extra ==" not in r),
    ]
    if package:
        lines.append(package)
    return "\n".join(lines) + "\n"


_OTTER_SETUP = (
    "{indent}from sim.course.exports import otter_autograding\n\n"
    "{indent}otter_autograding()  # when otter grades, check() only records: the tests judge\n"
)


def _otter_setup(source: str) -> str:
    return _before_seed_line(source, _OTTER_SETUP)


def otter_notebook(sheet: SheetLayout) -> Any:
    """The otter-grader master notebook of one sheet (see the module docstring)."""
    config = {
        "name": sheet.sheet,
        "requirements": "requirements.txt",
        # The key, in a folder of the grader's working directory (otter grades the only .ipynb
        # there).
        "autograder_files": [f"{KEYS_DIR}/{sheet.path.name}"],
        # Students check with the sheet's own check(); otter is only the instructor's grader.
        "init_cell": False,
        "export_cell": False,
        "check_all_cell": False,
        "run_tests": True,
        "generate": {"pdf": False, "show_stdout": True},
        "tests": {"files": False, "ok_format": True},
    }
    cells = [_raw("# ASSIGNMENT CONFIG\n" + _yaml(config))]
    open_question: ExportQuestion | None = None
    for index, cell in enumerate(sheet.nb.cells):
        if index in sheet.checks:
            continue  # the key is computed by the tests, from the autograder's copy of the sheet
        q = sheet.question_of(index)
        if open_question is not None and q is not open_question:
            cells.append(_raw("# END QUESTION"))
            open_question = None
        if q is not None and open_question is None:
            head: dict[str, Any] = {"name": q.question, "points": q.points}
            if q.kind == "manual":
                head["manual"] = True
            else:
                # The tests need the key, which students do not have: hidden, and no
                # grader.check() cell (the sheet's own check() is the self-check).
                head["check_cell"] = False
            cells.append(_raw("# BEGIN QUESTION\n" + _yaml(head)))
            open_question = q
        new = _clean(cell)
        if index == sheet.parameters:
            new.source = (
                "# Set student_id to your student id: the autograder grades your answers on the\n"
                "# dataset of that id (empty: the class dataset).\n" + new.source
            )
        if index == sheet.setup[0]:
            new.source = _otter_setup(new.source)
        if q is not None and index == q.answer:
            cells.append(_raw("# BEGIN SOLUTION"))
            if q.kind == "auto":
                new.source = _otter_solution(new.source)
                cells += [new, _raw("# END SOLUTION"), _raw("# BEGIN TESTS")]
                test = nbformat.v4.new_code_cell(
                    '""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n'
                    "from sim.course.exports import assert_right\n\n"
                    + _test_call(sheet, q, "student_id", f'"{KEYS_DIR}"')
                )
                cells += [test, _raw("# END TESTS")]
            else:
                new.source = _model_answer(q, _written_answer(cell.source))
                cells += [new, _raw("# END SOLUTION")]
            continue
        cells.append(new)
    if open_question is not None:
        cells.append(_raw("# END QUESTION"))
    nb = _notebook(sheet, cells)
    for cell in nb.cells:
        cell.pop("id", None)  # otter assign numbers cells itself
    nb.nbformat_minor = 4
    return nb


def _yaml(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False).rstrip("\n")


def export_otter(
    out: str | os.PathLike,
    sheets: Sequence[str] | None = None,
    *,
    solutions_dir: str | os.PathLike | None = None,
    written_points: float = WRITTEN_POINTS,
    package: str | None = None,
) -> list[Path]:
    """Write one otter-grader master folder per sheet under ``out``; return the master notebooks.

    ``package`` (a pip requirement such as a wheel path or VCS URL of the
    workbench) is added to each ``requirements.txt`` for otter's grading image.
    """
    out = Path(out)
    written = []
    for name in sheet_names(sheets, solutions_dir):
        sheet = layout(name, solutions_dir, written_points=written_points)
        folder = out / name
        written.append(_write(otter_notebook(sheet), folder / f"{name}.ipynb"))
        (folder / KEYS_DIR).mkdir(exist_ok=True)
        shutil.copyfile(sheet.path, folder / KEYS_DIR / sheet.path.name)
        (folder / "requirements.txt").write_text(_requirements(package), encoding="utf-8")
    return written


# --------------------------------------------------------------------------- command line


def _run(args: argparse.Namespace) -> int:
    export = export_nbgrader if args.format == "nbgrader" else export_otter
    kwargs: dict[str, Any] = {
        "solutions_dir": args.solutions,
        "written_points": args.written_points,
    }
    if args.format == "otter":
        kwargs["package"] = args.package
    try:
        paths = export(args.out, args.sheet or None, **kwargs)
    except (ExportError, LookupError) as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    if args.format == "nbgrader":
        print(f"course root: {args.out} (run nbgrader generate_assignment <sheet> from there)")
    else:
        print(f"otter masters: {args.out} (otter assign <sheet>/<sheet>.ipynb dist/<sheet>)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand to ``python -m sim.course``'s subparsers."""
    p = subparsers.add_parser(
        "export",
        help="export the solutions sheets as an nbgrader course or otter-grader masters",
        description="Write the solutions sheets in the format of nbgrader (a course root) "
        "or otter-grader (master notebooks), graded with the project's answer key.",
    )
    p.add_argument("--format", choices=FORMATS, required=True)
    p.add_argument("--out", type=Path, required=True, help="folder to write")
    p.add_argument(
        "--sheet", action="append", help="a sheet (00 or 00_welcome); repeat; default: all"
    )
    p.add_argument("--solutions", type=Path, default=None, help="solutions folder (solutions/)")
    p.add_argument(
        "--written-points",
        type=float,
        default=WRITTEN_POINTS,
        help=f"points of a hand-graded written answer ({WRITTEN_POINTS:g})",
    )
    p.add_argument(
        "--package",
        default=None,
        help="otter: pip requirement of the workbench for the grading image",
    )
    p.set_defaults(func=_run)
