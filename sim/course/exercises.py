"""Build the student sheets exercises/NN_topic.ipynb from solutions/NN_topic_solutions.ipynb.

Rules (the markers are the ones nbgrader and otter-grader both accept):

- In code cells, each ``# BEGIN SOLUTION`` … ``# END SOLUTION`` region becomes
  a placeholder: ``name = ...  # your code here`` when the region is a single
  ``name = ...`` statement; otherwise ``# YOUR CODE HERE``, followed by
  ``name = ...`` when the region's last statement assigns ``name`` (so later
  cells and checks still run), and by ``...`` inside an indented block.
- In markdown cells, each ``<!-- BEGIN SOLUTION -->`` … ``<!-- END SOLUTION -->``
  region becomes ``_Your answer here._``.
- Code cells tagged ``checks`` (the ``expect(...)`` registrations, i.e. the
  answer key) are left out: the key is computed from the solutions sheet by
  a checker outside the student's kernel (:mod:`sim.course.answer_key`), so
  an exercise sheet carries no key code at all, hidden or not.
- Outputs, execution counts, and all metadata but cell tags, the kernelspec
  and language_info are dropped; cell ids are kept, so rebuilding gives
  identical bytes.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import tempfile
from pathlib import Path

__all__ = [
    "EXERCISES_DIR",
    "SOLUTIONS_DIR",
    "SolutionMarkerError",
    "build_all",
    "build_exercise",
    "exercise_name",
    "exercise_source",
    "strip_code",
    "strip_markdown",
]

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS_DIR = REPO / "solutions"
EXERCISES_DIR = REPO / "exercises"
SUFFIX = "_solutions"

_BEGIN = re.compile(r"^(\s*)#+\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
_MD_REGION = re.compile(r"<!--\s*BEGIN SOLUTION\s*-->.*?<!--\s*END SOLUTION\s*-->", re.DOTALL)
_MD_MARKER = re.compile(r"<!--\s*(BEGIN|END) SOLUTION\s*-->")
MD_PLACEHOLDER = "_Your answer here._"
KEEP_NB_METADATA = ("kernelspec", "language_info")


class SolutionMarkerError(ValueError):
    """Unbalanced or nested solution markers."""


def _assigned_name(stmt: ast.stmt) -> str | None:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        target = stmt.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def _placeholder(region: list[str], indent: str) -> list[str]:
    try:
        tree = ast.parse(_dedent(region, indent))
    except SyntaxError:
        tree = None
    if tree is not None and tree.body:
        last = _assigned_name(tree.body[-1])
        if len(tree.body) == 1 and last:
            return [f"{indent}{last} = ...  # your code here"]
        if last:
            return [f"{indent}# YOUR CODE HERE", f"{indent}{last} = ..."]
    return [f"{indent}# YOUR CODE HERE"] + ([f"{indent}..."] if indent else [])


def _dedent(lines: list[str], indent: str) -> str:
    return "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)


def strip_code(source: str, where: str = "cell") -> str:
    """Replace every solution region of a code cell's source with its placeholder."""
    out: list[str] = []
    region: list[str] | None = None
    indent = ""
    for number, line in enumerate(source.split("\n"), start=1):
        begin, end = _BEGIN.match(line), _END.match(line)
        if begin:
            if region is not None:
                raise SolutionMarkerError(f"{where}, line {number}: nested BEGIN SOLUTION")
            region, indent = [], begin.group(1)
        elif end:
            if region is None:
                raise SolutionMarkerError(f"{where}, line {number}: END SOLUTION without BEGIN")
            out.extend(_placeholder(region, indent))
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise SolutionMarkerError(f"{where}: BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def strip_markdown(source: str, where: str = "cell") -> str:
    """Replace every ``<!-- BEGIN SOLUTION -->`` region of a markdown cell."""
    stripped = _MD_REGION.sub(MD_PLACEHOLDER, source)
    if _MD_MARKER.search(stripped):
        raise SolutionMarkerError(f"{where}: unbalanced <!-- BEGIN/END SOLUTION --> markers")
    return stripped


def _cell_id(name: str, index: int) -> str:
    return hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]


def exercise_name(solution: Path) -> str:
    """``04_segmentation_solutions.ipynb`` → ``04_segmentation.ipynb``."""
    stem = solution.stem
    if not stem.endswith(SUFFIX):
        raise ValueError(f"{solution.name}: solution sheets are named NN_topic{SUFFIX}.ipynb")
    return stem[: -len(SUFFIX)] + ".ipynb"


def exercise_source(solution: Path) -> str:
    """The exercise notebook generated from one solutions notebook, as file text."""
    # Imported here: nbformat pulls in jsonschema (seconds on a busy machine), which
    # a sheet's kernel and its checker process, importing sim.course, never need.
    import nbformat

    nb = nbformat.read(solution, as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells):
        where = f"{solution.name}, cell {index}"
        tags = list(cell.get("metadata", {}).get("tags", []))
        source = cell.source
        if cell.cell_type == "code":
            if "checks" in tags:
                continue
            new = nbformat.v4.new_code_cell(strip_code(source, where))
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(strip_markdown(source, where))
        else:
            new = nbformat.v4.new_raw_cell(source)
        new.id = cell.get("id") or _cell_id(solution.name, index)
        if tags:
            new.metadata["tags"] = tags
        cells.append(new)
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {k: nb.metadata[k] for k in KEEP_NB_METADATA if k in nb.metadata}
    nbformat.validate(out)
    text = nbformat.writes(out)
    return text if text.endswith("\n") else text + "\n"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_exercise(solution: Path, exercises_dir: Path = EXERCISES_DIR) -> Path:
    """Write the exercise sheet of one solutions notebook; return its path."""
    target = Path(exercises_dir) / exercise_name(Path(solution))
    _write_atomic(target, exercise_source(Path(solution)))
    return target


def build_all(
    solutions_dir: Path = SOLUTIONS_DIR, exercises_dir: Path = EXERCISES_DIR, check: bool = False
) -> list[str]:
    """Build every sheet, or with ``check=True`` only compare; return the problems found.

    Problems are out-of-sync or missing exercise sheets (in check mode) and
    exercise sheets without a solutions sheet (never deleted automatically).
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    problems: list[str] = []
    expected_names = set()
    for solution in sorted(solutions_dir.glob(f"*{SUFFIX}.ipynb")):
        target = exercises_dir / exercise_name(solution)
        expected_names.add(target.name)
        text = exercise_source(solution)
        if check:
            if not target.exists():
                problems.append(f"{target.name}: missing (run `make exercises`)")
            elif target.read_text(encoding="utf-8") != text:
                problems.append(
                    f"{target.name}: out of sync with {solution.name} (run `make exercises`)"
                )
        else:
            _write_atomic(target, text)
    for stale in sorted(exercises_dir.glob("*.ipynb")):
        if stale.name not in expected_names:
            problems.append(f"{stale.name}: no solutions sheet {stale.stem}{SUFFIX}.ipynb")
    return problems
