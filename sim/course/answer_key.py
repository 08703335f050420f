"""The answer key of a sheet, computed from the solutions sheet outside the student's kernel.

Where the key lives
-------------------
The key code is the solutions sheet itself: its parameters cell, its setup
cells and its ``checks`` cell (``expect(...)`` registrations), found in
``solutions/NN_topic_solutions.ipynb`` (or in the folders listed in the
``CRM_WORKBENCH_SOLUTIONS`` environment variable, :data:`SOLUTIONS_ENV`).
:func:`compute_key` executes those cells in a fresh namespace **in the calling
process** — the grader's own process, or the checker process a sheet's
``check()`` talks to (:mod:`sim.course.checker`) — with the student's
``student_id``/``seed`` and the sheet's default for every other parameter.

Why not package modules (``sim/course/keys/<sheet>.py``)? The key code *is*
the solution (``expect("q1", lambda: customer360.millennial_share(...))``):
shipping it inside the package would hand every student the worked answers,
even though it would not endanger the grade. Keeping it in ``solutions/``
leaves one source of truth that the instructor already edits, and lets a
student release leave it out: there the self-check answers "self-checks need
the instructor's key (not in this copy)" and still records the answers, and
the grade is unaffected because the grader computes the key itself.

Nothing here trusts the student: the grader compares answers recorded from a
submission (:mod:`sim.course.answers`) with :meth:`AnswerKey.judge`, in its
own process, and ignores any verdict a notebook reports.

>>> key = compute_key("05_clv", {"student_id": "ada.lovelace"})   # doctest: +SKIP
>>> key["q1"].expected_value()                                      # doctest: +SKIP
1234.5
>>> [r.status for r in key.judge({"q1": 1234.5})]                   # doctest: +SKIP
['right', 'unanswered', 'unanswered', 'unanswered']
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .checks import Checker, CheckResult, Question, registering
from .exercises import MD_PLACEHOLDER, SOLUTIONS_DIR, SUFFIX

__all__ = [
    "SOLUTIONS_ENV",
    "AnswerKey",
    "KeyComputationError",
    "KeyUnavailable",
    "SheetSpec",
    "WrittenQuestion",
    "compute_key",
    "find_solution",
    "read_sheet",
    "sheet_name",
    "solution_dirs",
]

#: Environment variable: extra folders holding ``*_solutions.ipynb`` (os.pathsep-separated).
SOLUTIONS_ENV = "CRM_WORKBENCH_SOLUTIONS"
_SHEET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MD_REGION = re.compile(r"<!--\s*BEGIN SOLUTION\s*-->(.*?)<!--\s*END SOLUTION\s*-->", re.DOTALL)
_QUESTION_ID = re.compile(r"(?:^|[^a-z0-9])(q\d+)(?:$|[^0-9])", re.IGNORECASE)
_QUESTION_NUMBER = re.compile(r"\bQ(?:uestion)?\s*(\d+)\b", re.IGNORECASE)


class KeyUnavailable(LookupError):
    """The solutions sheet holding a sheet's key is not in this copy of the workbench."""


class KeyComputationError(RuntimeError):
    """The key code of a solutions sheet failed (a bug in the sheet, not in an answer)."""


@dataclass(frozen=True)
class WrittenQuestion:
    """A written answer (a ``<!-- BEGIN SOLUTION -->`` markdown region), graded by hand."""

    question: str
    cell_id: str
    prompt: str
    rubric: str


@dataclass(frozen=True)
class SheetSpec:
    """What the solutions sheet says without running it.

    ``parameters`` are the declared defaults of its parameters cell;
    ``key_cells`` the ``(cell id, source)`` of the setup and ``checks`` cells;
    ``answer_names`` maps each question to the variable its ``check`` call
    passes (``"q1" → "answer_q1"``); ``written`` lists the hand-graded answers.
    """

    sheet: str
    path: Path
    parameters: dict[str, Any]
    parameters_source: str
    key_cells: tuple[tuple[str, str], ...]
    answer_names: dict[str, str]
    written: tuple[WrittenQuestion, ...]


def sheet_name(path: str | os.PathLike) -> str:
    """``05_clv_solutions.ipynb`` or ``05_clv.ipynb`` (or ``05_clv``) → ``05_clv``."""
    stem = Path(path).name
    stem = stem[: -len(".ipynb")] if stem.endswith(".ipynb") else stem
    return stem[: -len(SUFFIX)] if stem.endswith(SUFFIX) else stem


def solution_dirs(solutions_dir: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched for solutions sheets: ``solutions_dir``, then :data:`SOLUTIONS_ENV`, then the repo's."""
    dirs = [Path(solutions_dir)] if solutions_dir is not None else []
    dirs += [Path(p) for p in os.environ.get(SOLUTIONS_ENV, "").split(os.pathsep) if p]
    dirs.append(SOLUTIONS_DIR)
    return dirs


def find_solution(sheet: str, solutions_dir: str | os.PathLike | None = None) -> Path:
    """The solutions sheet of ``sheet`` (e.g. ``"05_clv"``); :class:`KeyUnavailable` if absent."""
    if not isinstance(sheet, str) or not _SHEET.match(sheet):
        raise ValueError(f"not a sheet name: {sheet!r} (expected e.g. '05_clv')")
    for folder in solution_dirs(solutions_dir):
        candidate = folder / f"{sheet}{SUFFIX}.ipynb"
        if candidate.is_file():
            return candidate
    raise KeyUnavailable(
        f"self-checks need the instructor's key ({sheet}{SUFFIX}.ipynb), which is not in this "
        "copy of the workbench; your answers are still recorded for grading"
    )


class _Cell(dict):
    """A notebook cell as read from its JSON, with nbformat's attribute access (``cell.source``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _read_cells(path: Path) -> list[_Cell]:
    """The cells of a notebook (format 4), sources joined into one string.

    Read as plain JSON, not with nbformat: importing nbformat (and its jsonschema)
    takes longer than the whole key on a busy machine, and a sheet's checker
    process and the kernel only need the cells. A notebook that is not format 4
    is refused rather than misread.
    """
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path.name}: not a notebook (invalid JSON: {exc})") from exc
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise ValueError(
            f"{path.name}: not a notebook in format 4 (nbformat: {nb.get('nbformat')!r})"
            if isinstance(nb, dict)
            else f"{path.name}: not a notebook"
        )
    cells = []
    for raw in nb["cells"]:
        cell = _Cell(raw)
        source = cell.get("source", "")
        cell["source"] = "".join(source) if isinstance(source, list) else str(source)
        cell.setdefault("metadata", {})
        cells.append(cell)
    return cells


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _check_calls(source: str) -> list[tuple[str, str | None]]:
    """``(question, variable or None)`` for each ``check("qN", x)`` call in ``source``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if name == "check" and isinstance(first, ast.Constant) and isinstance(first.value, str):
            second = node.args[1]
            calls.append((first.value, second.id if isinstance(second, ast.Name) else None))
    return calls


def _is_answer_cell(cell: Any) -> bool:
    return "BEGIN SOLUTION" in cell.source or bool(_check_calls(cell.source))


def _parameters(source: str, where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for stmt in ast.parse(source).body:
        if not isinstance(stmt, ast.Assign | ast.AnnAssign) or stmt.value is None:
            raise ValueError(f"{where}: the parameters cell holds only assignments")
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            if isinstance(target, ast.Name):
                values[target.id] = ast.literal_eval(stmt.value)
    return values


def _written(cells: list[Any]) -> list[WrittenQuestion]:
    out = []
    previous_md = ""
    for index, cell in enumerate(cells):
        if cell.cell_type != "markdown":
            continue
        regions = _MD_REGION.findall(cell.source)
        if regions:
            cell_id = cell.get("id") or f"cell-{index}"
            prompt = _MD_REGION.sub("", cell.source).strip() or previous_md
            match = _QUESTION_ID.search(cell_id)
            number = _QUESTION_NUMBER.search(prompt)
            if match:
                question = match.group(1).lower()
            else:
                question = f"q{number.group(1)}" if number else cell_id
            out.append(
                WrittenQuestion(
                    question=question,
                    cell_id=cell_id,
                    prompt=prompt,
                    rubric="\n\n".join(r.strip() for r in regions),
                )
            )
        previous_md = _MD_REGION.sub(MD_PLACEHOLDER, cell.source).strip()
    return out


def read_sheet(
    sheet: str | os.PathLike, solutions_dir: str | os.PathLike | None = None
) -> SheetSpec:
    """Parse a solutions sheet (a sheet name like ``"05_clv"`` or a path) without running it."""
    path = Path(sheet)
    if not (path.suffix == ".ipynb" and path.is_file()):
        path = find_solution(sheet_name(sheet), solutions_dir)
    cells = _read_cells(path)
    name = sheet_name(path)
    code = [c for c in cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in _tags(c)]
    if len(params) != 1:
        raise ValueError(f"{path.name}: needs exactly one cell tagged 'parameters'")
    checks = [i for i, c in enumerate(code) if "checks" in _tags(c)]
    key_cells = []
    if checks:
        for index, cell in enumerate(code[: checks[-1] + 1]):
            if cell is params[0] or ("checks" not in _tags(cell) and _is_answer_cell(cell)):
                continue
            key_cells.append((cell.get("id") or f"code-{index}", cell.source))
    names: dict[str, str] = {}
    for cell in code:
        for question, var in _check_calls(cell.source):
            names.setdefault(question, var or f"answer_{question}")
    written = _written(cells)
    taken = set(names)
    written = [
        w if w.question not in taken else replace(w, question=f"{w.question}-written")
        for w in written
    ]
    return SheetSpec(
        sheet=name,
        path=path,
        parameters=_parameters(params[0].source, path.name),
        parameters_source=params[0].source,
        key_cells=tuple(key_cells),
        answer_names=names,
        written=tuple(written),
    )


class _KeyBuilder(Checker):
    """The registry ``expect()`` and ``connect()`` write to while a key is computed."""

    def __init__(self) -> None:
        super().__init__()
        self.provenance: dict[str, Any] = {}


@dataclass
class AnswerKey(Mapping[str, Question]):
    """The expected answers of one sheet for one student: a mapping question → :class:`Question`.

    ``parameters`` are the values the key was computed with; ``provenance``
    what the sheet's ``connect()`` recorded (package version, dataset
    fingerprint, student id and seed), to compare with a submission's.
    """

    sheet: str
    parameters: dict[str, Any]
    questions: dict[str, Question]
    provenance: dict[str, Any] = field(default_factory=dict)
    spec: SheetSpec | None = None

    def __getitem__(self, question: str) -> Question:
        return self.questions[question]

    def __iter__(self) -> Iterator[str]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    @property
    def max_points(self) -> float:
        """Automatic points available on the sheet."""
        return float(sum(q.points for q in self.questions.values()))

    def judge(self, answers: Mapping[str, Any]) -> list[CheckResult]:
        """Verdicts on ``answers`` (question → value), one per question, in the key's order.

        Questions missing from ``answers`` are "not answered"; answers to
        questions the key does not know are ignored.
        """
        checker = Checker(self.questions)
        results = []
        for question, q in self.questions.items():
            answer = answers.get(question)
            if answer is not None and answer is not Ellipsis:
                results.append(checker.check(question, answer, show=False))
            else:
                results.append(CheckResult(question, "unanswered", "not answered", 0.0, q.points))
        return results


def compute_key(
    sheet: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    solutions_dir: str | os.PathLike | None = None,
    resolve: bool = True,
) -> AnswerKey:
    """Compute the expected answers of ``sheet`` for ``parameters``, in this process.

    Parameters
    ----------
    sheet
        The sheet's name (``"05_clv"``), or a solutions notebook's path.
    parameters
        Values overriding the sheet's declared defaults, usually
        ``{"student_id": ...}`` (and ``seed`` for the class dataset); a name
        the sheet does not declare is a :class:`ValueError`.
    solutions_dir
        Folder searched first for ``<sheet>_solutions.ipynb``.
    resolve
        Evaluate every expected value now (the grader); ``False`` leaves each
        to its first check (the checker process answers the first check sooner).

    Returns
    -------
    AnswerKey
        A failing expected value keeps its error in :attr:`Question.error`
        and judges as "error".

    Raises
    ------
    KeyUnavailable
        No solutions sheet for ``sheet``.
    KeyComputationError
        A setup or ``checks`` cell of the solutions sheet failed.
    """
    spec = read_sheet(sheet, solutions_dir)
    overrides = dict(parameters or {})
    unknown = sorted(set(overrides) - set(spec.parameters))
    if unknown:
        raise ValueError(
            f"{spec.sheet} does not declare parameter(s) {', '.join(unknown)}; "
            f"it declares {', '.join(spec.parameters)}"
        )
    namespace: dict[str, Any] = {"__name__": "__crm_workbench_key__", "__builtins__": builtins}
    exec(compile(spec.parameters_source, f"<{spec.sheet} parameters>", "exec"), namespace)
    namespace.update(overrides)
    builder = _KeyBuilder()
    # The sheet's prints and warnings are for students reading the notebook, not for the key.
    with (
        registering(builder),
        contextlib.redirect_stdout(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        for cell_id, source in spec.key_cells:
            try:
                exec(compile(source, f"<{spec.sheet} key, cell {cell_id}>", "exec"), namespace)
            except Exception as exc:
                raise KeyComputationError(
                    f"{spec.path.name}, cell {cell_id!r}: {type(exc).__name__}: {exc}"
                ) from exc
        if resolve:
            for question in builder.questions.values():
                question.resolve()
    effective = {name: namespace.get(name, value) for name, value in spec.parameters.items()}
    return AnswerKey(spec.sheet, effective, dict(builder.questions), builder.provenance, spec)


def current_builder() -> _KeyBuilder | None:
    """The key being computed right now, if any (``connect()`` records its provenance there)."""
    from .checks import _registry

    registry = _registry.get()
    return registry if isinstance(registry, _KeyBuilder) else None
