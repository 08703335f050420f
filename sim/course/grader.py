"""Grade submitted exercise sheets: execute each one, re-judge its answers with our own key.

Layout: ``SUBMISSIONS_DIR/<student_id>/<sheet>.ipynb`` (one folder per
student, any number of sheets). For each submission, in a worker process
(:func:`grade_submission`, ``workers`` of them in parallel):

1. **Versions.** The submitted copy's provenance record (written by the
   sheet's ``connect()`` when the student ran it) must name this package
   version; otherwise the submission is *refused* with a message saying which
   versions differ (``allow_mismatch=True`` grades it anyway, with a note).
2. **Execution.** The sheet runs under papermill on the course kernel with
   only the parameters it declares (``student_id=<folder name>``, and
   ``INTERACTIVE=False`` if declared), outputs cleared first, a per-cell
   timeout, a per-notebook deadline, errors not stopping the run. The kernel
   runs in grading mode (``check`` records answers, no checker process), in a
   jail where the solutions are invisible and the code read-only, behind a
   tripwire cell (:mod:`sim.course.lockdown`).
   A last cell records every answer variable (``answer_q1``, … as the
   solutions sheet's ``check`` calls name them).
3. **Key and verdicts, in this process.** Only after the kernel has finished
   does the grader compute the key (:func:`sim.course.answer_key.compute_key`
   with the student's id), check the dataset fingerprint against the
   submission's record, and judge the recorded answers (the answer variables
   at the end of the run; for a question whose variable is missing, the last
   answer its ``check`` recorded). Verdicts, scores and reports displayed by
   the notebook are ignored: a submission that fakes them, or reads or
   patches the checker, earns what its answers earn.

Written answers (``<!-- BEGIN SOLUTION -->`` markdown) are listed as
``manual`` with 0 automatic points; the feedback page shows them with the
rubric. A submission that errors, times out or loops gets a verdict for each
question it reached; the others are "not answered". One bad notebook never
stops the batch.

Outputs of :func:`grade` (``out`` = ``gradebook.csv``):

- ``gradebook.csv`` — long format ``student, sheet, question, status, points,
  max_points, message``; one row per question (written ones ``manual``), then
  a ``TOTAL`` row per sheet (status ``executed``, ``error``, ``timeout``,
  ``refused`` or ``no_key``; the first error or refusal in ``message``);
- ``gradebook_wide.csv`` — one row per student (:func:`write_wide_gradebook`);
- ``feedback/<student>.html`` — verdict and hint per question, written
  answers with their rubric (:mod:`sim.course.feedback`);
- ``gradebook_executed/<student>/<sheet>.ipynb`` — the executed copies.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import io
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .answer_key import (
    KeyComputationError,
    KeyUnavailable,
    SheetSpec,
    compute_key,
    read_sheet,
    sheet_name,
    solution_dirs,
)
from .answers import ANSWER_MIME, AnswerDecodeError, Unsupported, decode_answer
from .checker import GRADING_ENV
from .checks import CHECK_MIME, REPORT_MIME, SUBMISSION_MIME, CheckResult
from .exercises import EXERCISES_DIR, MD_PLACEHOLDER, SOLUTIONS_DIR
from .lockdown import LOCKDOWN_TAG, isolated_kernel, isolation_available, lockdown_source

__all__ = [
    "ANSWERS_TAG",
    "COLUMNS",
    "KERNEL_NAME",
    "REPORT_TAG",
    "GradeRow",
    "SheetGrade",
    "WrittenAnswer",
    "collect_answers",
    "collect_results",
    "declared_parameters",
    "execute_sheet",
    "find_submissions",
    "grade",
    "grade_submission",
    "prepare_submission",
    "read_provenance",
    "version_problems",
    "write_gradebook",
    "write_wide_gradebook",
]

KERNEL_NAME = "crm-workbench"
_REPO = Path(__file__).resolve().parents[2]  # read-only for the graded kernels
COLUMNS = ("student", "sheet", "question", "status", "points", "max_points", "message")
REPORT_TAG = "grader-report"
ANSWERS_TAG = "grader-answers"
#: Seconds the appended report and answer cells may take (on top of the notebook deadline).
TAIL_TIMEOUT = 60.0
LATE_TAIL_TIMEOUT = 10.0  # the same, once the notebook deadline has passed
_MIN_CELL_TIMEOUT = 1.0


@dataclass(frozen=True)
class GradeRow:
    """One line of the gradebook."""

    student: str
    sheet: str
    question: str
    status: str
    points: float
    max_points: float
    message: str = ""


@dataclass(frozen=True)
class WrittenAnswer:
    """A written answer of a submission, graded by hand against ``rubric``."""

    question: str
    prompt: str
    rubric: str
    answer: str
    answered: bool


@dataclass
class SheetGrade:
    """Everything the grader found out about one submission."""

    student: str
    sheet: str
    status: str  # executed, error, timeout, refused, no_key
    message: str = ""
    results: list[CheckResult] = field(default_factory=list)
    written: list[WrittenAnswer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def points(self) -> float:
        return float(sum(r.points for r in self.results))

    @property
    def max_points(self) -> float:
        return float(sum(r.max_points for r in self.results))

    def rows(self) -> list[GradeRow]:
        """Gradebook rows: one per question (written ones ``manual``), then ``TOTAL``."""
        rows = [
            GradeRow(
                self.student, self.sheet, r.question, r.status, r.points, r.max_points, r.message
            )
            for r in self.results
        ]
        rows += [
            GradeRow(
                self.student,
                self.sheet,
                w.question,
                "manual",
                0.0,
                0.0,
                "graded by hand (see the rubric)" if w.answered else "graded by hand: not answered",
            )
            for w in self.written
        ]
        message = "; ".join(m for m in [self.message, *self.notes] if m)
        rows.append(
            GradeRow(
                self.student,
                self.sheet,
                "TOTAL",
                self.status,
                self.points,
                self.max_points,
                message,
            )
        )
        return rows


# ---------------------------------------------------------------- reading notebooks


def find_submissions(submissions_dir: Path) -> list[tuple[str, Path]]:
    """``(student_id, notebook)`` pairs from ``SUBMISSIONS_DIR/<student_id>/**.ipynb``."""
    root = Path(submissions_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"submissions directory not found: {root}")
    pairs = []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for nb in sorted(student_dir.rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in nb.parts:
                pairs.append((student_dir.name, nb))
    return pairs


def declared_parameters(notebook: Path | str) -> dict[str, Any]:
    """The parameters a notebook declares, with their defaults (as ``papermill --help-notebook``)."""
    import papermill as pm

    return {name: p["default"] for name, p in pm.inspect_notebook(str(notebook)).items()}


def _outputs(nb: Any) -> Iterable[dict[str, Any]]:
    for cell in nb.cells:
        yield from cell.get("outputs", [])


def read_provenance(nb: Any) -> dict[str, Any] | None:
    """The last provenance record (``connect()`` output) in a notebook, if any."""
    record = None
    for output in _outputs(nb):
        data = output.get("data", {})
        if isinstance(data.get(SUBMISSION_MIME), dict):
            record = dict(data[SUBMISSION_MIME])
    return record


def collect_results(nb: Any) -> list[dict[str, Any]]:
    """The self-check verdicts a notebook *displays* (the last report wins).

    For the notebook tests (do a sheet's self-checks say "right"?); the grader
    never uses them — it re-judges the answers (:func:`collect_answers`).
    """
    by_question: dict[str, dict[str, Any]] = {}
    report: list[dict[str, Any]] | None = None
    for output in _outputs(nb):
        data = output.get("data", {})
        if REPORT_MIME in data:
            report = list(data[REPORT_MIME])
        elif CHECK_MIME in data:
            result = dict(data[CHECK_MIME])
            by_question[result["question"]] = result
    if report is not None:
        return report
    return [r for r in by_question.values() if r.get("status") != "no_check"]


def collect_answers(nb: Any) -> dict[str, Any]:
    """Answers recorded in an executed notebook: question → value (decoded safely).

    An answer variable recorded by the grader's last cell wins over the
    answers ``check`` recorded (the last one per question); a record that
    cannot be decoded becomes an :class:`~sim.course.answers.Unsupported`.
    """
    from_check: dict[str, Any] = {}
    from_variable: dict[str, Any] = {}
    for output in _outputs(nb):
        bundle = output.get("data", {}).get(ANSWER_MIME)
        if not isinstance(bundle, dict) or not isinstance(bundle.get("question"), str):
            continue
        try:
            value = decode_answer(bundle.get("answer"))
        except AnswerDecodeError as exc:
            value = Unsupported("unreadable record", str(exc))
        target = (
            from_variable if str(bundle.get("source", "")).startswith("variable") else from_check
        )
        target[bundle["question"]] = value
    return {**from_check, **from_variable}


def _written_answers(spec: SheetSpec, nb: Any) -> list[WrittenAnswer]:
    cells = {c.get("id"): c for c in nb.cells if c.cell_type == "markdown"}
    out = []
    for w in spec.written:
        cell = cells.get(w.cell_id)
        text = cell.source.strip() if cell is not None else ""
        answered = bool(text) and MD_PLACEHOLDER not in text
        out.append(WrittenAnswer(w.question, w.prompt, w.rubric, text, answered))
    return out


# ---------------------------------------------------------------- running notebooks


def _answer_names(nb: Any, solutions_dir: Path | None, path: Path | None) -> dict[str, str]:
    from .answer_key import _check_calls

    names: dict[str, str] = {}
    if solutions_dir is not None and path is not None:
        try:
            names.update(read_sheet(sheet_name(path), solutions_dir).answer_names)
        except (KeyUnavailable, ValueError):
            pass
    for cell in nb.cells:
        if cell.cell_type == "code":
            for question, var in _check_calls(cell.source):
                names.setdefault(question, var or f"answer_{question}")
    return names


def prepare_submission(
    path: Path | Any,
    solutions_dir: Path | None = SOLUTIONS_DIR,
    *,
    answer_names: Mapping[str, str] | None = None,
    deny_read: Sequence[str | os.PathLike] | None = None,
    deny_write: Sequence[str | os.PathLike] = (),
) -> Any:
    """The notebook to execute: outputs cleared, report and answer cells appended.

    ``path`` is a notebook file or NotebookNode. The answer cell records the
    variables of ``answer_names`` (question → variable; default: those named
    by the solutions sheet's and the notebook's ``check`` calls). With
    ``deny_read`` given, a first cell installs the grading tripwire
    (:func:`sim.course.lockdown.install`).
    """
    if isinstance(path, str | os.PathLike):
        nb = nbformat.read(path, as_version=4)
        source_path: Path | None = Path(path)
    else:
        nb, source_path = nbformat.from_dict(dict(path)), None
    for cell in nb.cells:
        if cell.cell_type == "code":
            # Outputs left from the student's own run (or forged) must not survive unexecuted cells.
            cell.outputs = []
            cell.execution_count = None
    names = (
        dict(answer_names)
        if answer_names is not None
        else _answer_names(nb, solutions_dir, source_path)
    )
    report = nbformat.v4.new_code_cell("from sim.course import report\n\nreport();")
    report.metadata["tags"] = [REPORT_TAG]
    answers = nbformat.v4.new_code_cell(
        "# Added by the grader: records every answer variable.\n"
        "from sim.course.answers import display_answers\n\n"
        f"display_answers(globals(), {names!r})"
    )
    answers.metadata["tags"] = [ANSWERS_TAG]
    nb.cells.extend([report, answers])
    if deny_read is not None:
        first = nbformat.v4.new_code_cell(
            lockdown_source(map(str, deny_read), map(str, deny_write))
        )
        first.metadata["tags"] = [LOCKDOWN_TAG]
        nb.cells.insert(0, first)
    return nb


def _timed_out(nb: Any) -> bool:
    """True if a cell was interrupted for taking too long."""
    return any(
        o.get("output_type") == "error"
        and o.get("ename") in ("KeyboardInterrupt", "CellTimeoutError")
        for o in _outputs(nb)
    )


def _mark_timeout(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
    """nbclient hook: leave an error output on a cell that was interrupted for time.

    A kernel that swallows the interrupt (``except KeyboardInterrupt: pass``)
    shows no error of its own; this output records the timeout anyway.
    """
    content = execute_reply.get("content", {})
    if content.get("ename") == "CellTimeoutError":
        cell.setdefault("outputs", []).append(
            nbformat.v4.new_output(
                "error", ename="CellTimeoutError", evalue=content.get("evalue", ""), traceback=[]
            )
        )


def _cell_name(cell: Any, index: int) -> str:
    # Cell ids survive papermill's injected cells and the grader's own, unlike indices.
    return f"cell {cell.get('id')!r}" if cell.get("id") else f"cell {index}"


def _first_error(nb: Any) -> str:
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                ename, evalue = output.get("ename"), output.get("evalue")
                if ename in ("KeyboardInterrupt", "CellTimeoutError"):
                    return f"{_cell_name(cell, index)}: did not finish in time (interrupted)"
                return f"{_cell_name(cell, index)}: {ename}: {evalue}"
    return ""


def execute_sheet(
    notebook: Path | Any,
    output_path: Path,
    *,
    parameters: dict[str, Any] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    kernel_name: str = KERNEL_NAME,
    keep_going: bool = True,
    notebook_timeout: float | None = None,
) -> tuple[list[dict[str, Any]], str]:
    """Execute one sheet with papermill; return (displayed self-check verdicts, first error or "").

    ``notebook`` is a path or a NotebookNode; ``timeout`` bounds each cell,
    ``notebook_timeout`` the whole run (cells reached after it get a second
    or so). ``keep_going`` runs every cell even after an error; a cell that
    times out is interrupted and the run goes on.
    """
    import papermill as pm

    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(notebook, str | os.PathLike):
        fd, tmp = tempfile.mkstemp(suffix=".ipynb", dir=output_path.parent)
        os.close(fd)
        nbformat.write(notebook, tmp)
        source: Path = Path(tmp)
    else:
        source, tmp = Path(notebook), None
    deadline = time.monotonic() + notebook_timeout if notebook_timeout else None

    def cell_timeout(cell: Any) -> int:
        left = None if deadline is None else deadline - time.monotonic()
        tags = cell.get("metadata", {}).get("tags", [])
        if REPORT_TAG in tags or ANSWERS_TAG in tags:
            # Past the deadline the kernel is probably still stuck: do not wait long for it.
            tail = TAIL_TIMEOUT if left is None or left > 0 else LATE_TAIL_TIMEOUT
            return int(min(timeout, tail))
        if left is None:
            return int(timeout)
        return int(max(_MIN_CELL_TIMEOUT, min(timeout, left)))

    extra: dict[str, Any] = {}
    if keep_going:
        extra["error_on_timeout"] = {
            "ename": "CellTimeoutError",
            "evalue": "the cell did not finish in time and was interrupted",
            "traceback": [],
        }
        # A slow machine can deliver a cell's last output after its reply: wait, do not abort.
        extra["raise_on_iopub_timeout"] = False
        extra["on_cell_error"] = _mark_timeout
    error = ""
    try:
        pm.execute_notebook(
            str(source),
            str(output_path),
            parameters=parameters or {},
            kernel_name=kernel_name,
            cwd=str(cwd) if cwd is not None else None,
            execution_timeout=timeout,
            start_timeout=60,
            progress_bar=False,
            allow_errors=keep_going,
            interrupt_on_timeout=keep_going,
            timeout_func=cell_timeout,
            **extra,
        )
    except pm.PapermillExecutionError:
        error = ""  # the executed notebook holds the error output; described below
    except Exception as exc:  # kernel died, cell timeout without interrupt, ...
        error = (
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        )
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    if not output_path.exists():
        return [], error or "no executed notebook written"
    executed = nbformat.read(output_path, as_version=4)
    return collect_results(executed), _first_error(executed) or error


# ---------------------------------------------------------------- grading one submission


def version_problems(recorded: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    """What differs between a submission's provenance record and the grader's (empty: none).

    Compares the package version always, and the dataset fingerprint when
    both runs used the same seed (a different seed is a different student id,
    not a different version).
    """
    problems = []
    ours, theirs = expected.get("package_version"), recorded.get("package_version")
    if theirs != ours:
        problems.append(f"crm-workbench {theirs} in the submission, {ours} in the grader")
    same_seed = recorded.get("seed") == expected.get("seed")
    if (
        "dataset" in expected
        and same_seed
        and recorded.get("dataset")
        and expected.get("dataset")
        and recorded.get("dataset") != expected.get("dataset")
    ):
        problems.append(
            f"dataset fingerprint {recorded.get('dataset')} in the submission, "
            f"{expected.get('dataset')} in the grader (same seed {expected.get('seed')}: "
            "the simulation differs between the two installations)"
        )
    if problems:
        for lib in ("python", "pandas", "numpy"):
            if lib in recorded and lib in expected and recorded[lib] != expected[lib]:
                problems.append(
                    f"{lib} {recorded[lib]} in the submission, {expected[lib]} in the grader"
                )
    return problems


def _grader_versions() -> dict[str, Any]:
    from .checker import provenance

    return provenance("", "", 0)


def _refused(student: str, sheet: str, problems: list[str]) -> SheetGrade:
    return SheetGrade(
        student,
        sheet,
        "refused",
        "refused: " + "; ".join(problems) + " (regrade with --allow-mismatch to grade anyway)",
    )


def grade_submission(
    student: str,
    path: Path,
    *,
    executed_path: Path,
    solutions_dir: Path | None = SOLUTIONS_DIR,
    cwd: Path | None = EXERCISES_DIR,
    timeout: float = 120,
    notebook_timeout: float | None = 600,
    kernel_name: str = KERNEL_NAME,
    allow_mismatch: bool = False,
    lockdown: bool = True,
) -> SheetGrade:
    """Execute one submission and judge its answers with a key computed here (see the module doc)."""
    started = time.monotonic()
    path = Path(path)
    sheet = sheet_name(path)
    grade = SheetGrade(student, sheet, "error")
    try:
        submitted = nbformat.read(path, as_version=4)
    except Exception as exc:  # not a notebook at all
        grade.message = f"unreadable notebook: {type(exc).__name__}: {exc}"
        return grade
    try:
        spec = read_sheet(sheet, solutions_dir)
    except (KeyUnavailable, ValueError) as exc:
        grade.status, grade.message = "no_key", f"no solutions sheet for {sheet}: {exc}"
        return grade

    recorded = read_provenance(submitted)
    if recorded is None:
        grade.notes.append("no record of the student's run (submitted without outputs?)")
    else:
        problems = version_problems(recorded, _grader_versions())
        if problems and not allow_mismatch:
            return _refused(student, sheet, problems)
        if problems:
            grade.notes.append("graded despite: " + "; ".join(problems))

    # Only what the sheet declares (its solutions sheet, parsed without papermill's regex).
    parameters: dict[str, Any] = {}
    if "student_id" in spec.parameters:
        parameters["student_id"] = student
    if "INTERACTIVE" in spec.parameters:
        parameters["INTERACTIVE"] = False
    if not any("parameters" in c.metadata.get("tags", []) for c in submitted.cells):
        # papermill then injects at the top, and the sheet's own student_id line overrides it
        grade.notes.append("the submission has no cell tagged 'parameters'")

    deny_read = [*solution_dirs(solutions_dir), spec.path.parent]
    deny_read.append(Path(executed_path).parent.parent)  # every student's executed copies
    deny_write = [_REPO / "sim", sys.prefix]
    nb = prepare_submission(
        submitted,
        answer_names=spec.answer_names,
        deny_read=deny_read if lockdown else None,
        deny_write=deny_write,
    )
    Path(executed_path).unlink(missing_ok=True)  # never read a previous run's copy
    previous = os.environ.get(GRADING_ENV)
    os.environ[GRADING_ENV] = "1"  # inherited by the kernel: check() only records answers
    jail = (
        isolated_kernel(kernel_name, hide=deny_read, read_only=[_REPO, sys.prefix])
        if lockdown
        else contextlib.nullcontext(kernel_name)
    )
    try:
        with jail as jailed_kernel:
            _, error = execute_sheet(
                nb,
                executed_path,
                parameters=parameters,
                cwd=cwd if cwd is not None else path.parent,
                timeout=timeout,
                kernel_name=jailed_kernel,
                notebook_timeout=notebook_timeout,
            )
    finally:
        if previous is None:
            os.environ.pop(GRADING_ENV, None)
        else:
            os.environ[GRADING_ENV] = previous
    executed = nbformat.read(executed_path, as_version=4) if Path(executed_path).exists() else None
    timed_out = executed is not None and _timed_out(executed)

    # The key exists only now, in this process, after the student's kernel has gone.
    try:
        key = compute_key(spec.path, {k: v for k, v in parameters.items() if k in spec.parameters})
    except KeyComputationError as exc:
        grade.message = f"the answer key failed: {exc}"
        return grade
    if recorded is not None and key.provenance:
        problems = [p for p in version_problems(recorded, key.provenance) if "dataset" in p]
        if problems and not allow_mismatch:
            return _refused(student, sheet, problems)
        if problems:
            grade.notes.append("graded despite: " + "; ".join(problems))
        if recorded.get("seed") != key.provenance.get("seed"):
            who = recorded.get("student_id") or "the class dataset"
            grade.notes.append(
                f"the submitted copy was run as {who!r}; graded on {student}'s dataset"
            )

    answers = collect_answers(executed) if executed is not None else {}
    grade.results = key.judge(answers)
    grade.written = _written_answers(spec, submitted)
    grade.status = "timeout" if timed_out else ("error" if error else "executed")
    grade.message = error
    grade.seconds = time.monotonic() - started
    return grade


def _grade_task(task: dict[str, Any]) -> SheetGrade:
    """Grade one submission; never raises, so one bad submission cannot stop the batch."""
    try:
        return grade_submission(**task)
    except Exception as exc:  # a bug in the grader itself: report it on this submission
        return SheetGrade(
            task["student"],
            sheet_name(task["path"]),
            "error",
            f"the grader failed on this submission: {type(exc).__name__}: {exc}",
        )


def _grade_student(tasks: list[dict[str, Any]]) -> list[SheetGrade]:
    """Worker entry point: one student's sheets, in one process so their dataset is simulated once."""
    return [_grade_task(task) for task in tasks]


# ---------------------------------------------------------------- the batch


def grade(
    submissions_dir: Path,
    out: Path,
    *,
    solutions_dir: Path | None = SOLUTIONS_DIR,
    cwd: Path | None = EXERCISES_DIR,
    timeout: float = 120,
    notebook_timeout: float | None = 600,
    kernel_name: str = KERNEL_NAME,
    workers: int = 2,
    allow_mismatch: bool = False,
    progress: bool = True,
    feedback: bool = True,
) -> list[GradeRow]:
    """Grade every submission and write the gradebooks and feedback pages; return the long rows.

    Parameters
    ----------
    submissions_dir
        ``<student_id>/<sheet>.ipynb`` folders.
    out
        The long gradebook CSV; the wide one, the feedback pages and the
        executed copies land beside it (see the module docstring).
    solutions_dir
        Where the solutions sheets (the keys) are.
    cwd
        Working directory of the executions (exercises/ by default, so
        relative dataset paths resolve as in the course).
    timeout, notebook_timeout
        Seconds per cell and per notebook.
    workers
        Parallel worker processes (1: grade in this process, one at a time).
    allow_mismatch
        Grade submissions made with another version instead of refusing them.
    progress
        Show a progress bar on stderr.
    feedback
        Write ``feedback/<student>.html``.
    """
    out = Path(out)
    executed_dir = out.parent / f"{out.stem}_executed"
    submissions = find_submissions(submissions_dir)
    tasks = [
        {
            "student": student,
            "path": path,
            "executed_path": executed_dir / student / path.name,
            "solutions_dir": solutions_dir,
            "cwd": cwd,
            "timeout": timeout,
            "notebook_timeout": notebook_timeout,
            "kernel_name": kernel_name,
            "allow_mismatch": allow_mismatch,
        }
        for student, path in submissions
    ]
    if tasks and not isolation_available():
        print(
            "warning: graded kernels are not jailed here (no unprivileged user namespaces); "
            "only the tripwire guards the solutions (see sim/course/lockdown.py)",
            file=sys.stderr,
        )
    grades = _run_tasks(tasks, workers, progress)
    rows = [row for g in grades for row in g.rows()]
    write_gradebook(rows, out)
    write_wide_gradebook(grades, out.parent / f"{out.stem}_wide.csv")
    if feedback:
        from .feedback import write_feedback_pages

        write_feedback_pages(grades, out.parent / "feedback")
    return rows


def _run_tasks(tasks: list[dict[str, Any]], workers: int, progress: bool) -> list[SheetGrade]:
    from tqdm.auto import tqdm

    # One job per student: the key computations of a student's sheets share the
    # worker's cached simulation of that student's dataset.
    jobs: dict[str, list[int]] = {}
    for i, task in enumerate(tasks):
        jobs.setdefault(task["student"], []).append(i)
    results: list[SheetGrade | None] = [None] * len(tasks)
    bar = tqdm(
        total=len(tasks), desc="grading", unit="sheet", disable=not progress, file=sys.stderr
    )

    def done(indices: list[int], grades: list[SheetGrade]) -> None:
        for i, g in zip(indices, grades, strict=True):
            results[i] = g
        bar.update(len(indices))

    try:
        if workers <= 1 or len(jobs) <= 1:
            for indices in jobs.values():
                done(indices, _grade_student([tasks[i] for i in indices]))
            return [r for r in results if r is not None]
        attempts = dict.fromkeys(jobs, 0)
        pending = list(jobs)
        # spawn: a fresh interpreter per worker (forking a process that holds ZMQ sockets is unsafe).
        context = multiprocessing.get_context("spawn")
        while pending:
            retry: list[str] = []
            with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = {
                    pool.submit(_grade_student, [tasks[i] for i in jobs[s]]): s for s in pending
                }
                for future in cf.as_completed(futures):
                    student = futures[future]
                    try:
                        done(jobs[student], future.result())
                    except cf.process.BrokenProcessPool:
                        attempts[student] += 1
                        if attempts[student] < 2:
                            retry.append(student)
                            continue
                        crashed = [
                            SheetGrade(
                                student,
                                sheet_name(tasks[i]["path"]),
                                "error",
                                "the grading worker crashed twice on this student's sheets",
                            )
                            for i in jobs[student]
                        ]
                        done(jobs[student], crashed)
            pending = retry
    finally:
        bar.close()
    return [r for r in results if r is not None]


# ---------------------------------------------------------------- gradebooks


def _write_atomic(out: Path, text: str) -> None:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_gradebook(rows: list[GradeRow], out: Path) -> None:
    """Write the long rows as CSV (atomically: temporary file, then rename)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.student,
                r.sheet,
                r.question,
                r.status,
                f"{r.points:g}",
                f"{r.max_points:g}",
                r.message,
            ]
        )
    _write_atomic(out, buf.getvalue())


def write_wide_gradebook(grades: Sequence[SheetGrade], out: Path) -> None:
    """One row per student, one column per sheet total and per question, for an LMS import.

    Convention (Canvas's gradebook CSV, which Moodle's CSV import also
    reads): first columns ``Student`` and ``SIS User ID`` (both the student id,
    i.e. the submission folder's name); then, per sheet in name order, a
    ``<sheet>`` column with the sheet's automatic total followed by one
    ``<sheet>:<question>`` column per question (written answers included,
    left empty for the hand grade). The second row, ``Points Possible``,
    holds each column's maximum. A refused or ungraded sheet leaves its cells
    empty rather than 0, so an import does not record a zero. Rename the
    headers to the LMS's assignment names to update existing columns.
    """
    sheets: dict[str, list[tuple[str, float | None]]] = {}
    for g in grades:
        columns = sheets.setdefault(g.sheet, [])
        known = {c for c, _ in columns}
        for r in g.results:
            if r.question not in known:
                columns.append((r.question, r.max_points))
                known.add(r.question)
        for w in g.written:
            if w.question not in known:
                columns.append((w.question, None))
                known.add(w.question)
    header = ["Student", "SIS User ID"]
    possible = ["Points Possible", ""]
    for sheet in sorted(sheets):
        header.append(sheet)
        possible.append(f"{sum(m for _, m in sheets[sheet] if m is not None):g}")
        for question, max_points in sheets[sheet]:
            header.append(f"{sheet}:{question}")
            possible.append("" if max_points is None else f"{max_points:g}")
    by_student: dict[str, dict[str, SheetGrade]] = {}
    for g in grades:
        by_student.setdefault(g.student, {})[g.sheet] = g
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(possible)
    for student in sorted(by_student):
        row = [student, student]
        for sheet in sorted(sheets):
            g = by_student[student].get(sheet)
            graded = g is not None and g.status not in ("refused", "no_key")
            row.append(f"{g.points:g}" if graded and g is not None else "")
            points = {r.question: r.points for r in g.results} if graded and g is not None else {}
            for question, max_points in sheets[sheet]:
                value = points.get(question)
                row.append("" if value is None or max_points is None else f"{value:g}")
        writer.writerow(row)
    _write_atomic(out, buf.getvalue())
