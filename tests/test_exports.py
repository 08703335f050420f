"""nbgrader and otter-grader exports: their files, and the tools themselves run on them.

The tests that run nbgrader or otter-grader need the optional ``grading`` extra
(``pip install -e '.[grading]'``) and skip with a message without it; the
others only read the exported files. All of them use sheet 00 (the fastest).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml

from sim.course import exports
from sim.course.__main__ import main as course_main
from sim.course.answer_key import read_sheet
from sim.course.checker import GRADING_ENV
from sim.course.exercises import SUFFIX, exercise_source

SHEET = "00_welcome"
RIGHT_STUDENT = "ada.lovelace"
WRONG_STUDENT = "grace.hopper"
HAVE_NBGRADER = importlib.util.find_spec("nbgrader") is not None
HAVE_OTTER = importlib.util.find_spec("otter") is not None
needs_nbgrader = pytest.mark.skipif(
    not HAVE_NBGRADER,
    reason="nbgrader is not installed (optional `grading` extra: pip install -e '.[grading]')",
)
needs_otter = pytest.mark.skipif(
    not HAVE_OTTER,
    reason="otter-grader is not installed (optional `grading` extra: pip install -e '.[grading]')",
)


@pytest.fixture(scope="module")
def sheet() -> exports.SheetLayout:
    return exports.layout(SHEET)


def _solution_lines(sheet: exports.SheetLayout) -> list[str]:
    """Every line of the sheet's worked answers (code regions and written answers)."""
    lines = []
    for q in sheet.questions:
        source = sheet.nb.cells[q.answer].source
        if q.kind == "auto":
            inside = False
            for line in source.split("\n"):
                if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                    inside = "BEGIN" in line
                elif inside and line.strip():
                    lines.append(line.strip())
        else:
            lines += [line.strip() for line in q.rubric.split("\n") if line.strip()]
    return lines


def _assert_no_solution(text: str, sheet: exports.SheetLayout) -> None:
    leaked = [line for line in _solution_lines(sheet) if line in text]
    assert not leaked, f"solution lines left for students: {leaked[:3]}"
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "expect("):
        assert marker not in text, f"{marker!r} left for students"


def _run(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run a tool of this environment (its bin/ first on PATH: nbgrader calls `alembic`)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    done = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (
        f"{' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    )
    return done


# ---------------------------------------------------------------- the exported files


def test_layout_finds_every_question_of_every_sheet():
    for name in exports.sheet_names():
        spec = read_sheet(name)
        lay = exports.layout(name)
        auto = {q.question: q.variable for q in lay.questions if q.kind == "auto"}
        manual = {q.question for q in lay.questions if q.kind == "manual"}
        assert auto == spec.answer_names, name
        assert manual == {w.question for w in spec.written}, name
        assert all(q.points > 0 for q in lay.questions), name


def test_every_sheet_exports_in_both_formats_and_again_to_the_same_bytes(tmp_path):
    nbg = exports.export_nbgrader(tmp_path / "nbgrader")
    ott = exports.export_otter(tmp_path / "otter")
    names = exports.sheet_names()
    assert [p.parent.name for p in nbg] == names
    assert [p.parent.name for p in ott] == names
    assert sorted(p.name for p in (tmp_path / "nbgrader" / "keys").iterdir()) == sorted(
        f"{n}_solutions.ipynb" for n in names
    )
    again = exports.export_nbgrader(tmp_path / "again") + exports.export_otter(tmp_path / "again2")
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in nbg + ott]


def test_nbgrader_source_notebook_metadata(tmp_path, sheet):
    (path,) = exports.export_nbgrader(tmp_path, [SHEET])
    assert path == tmp_path / "source" / SHEET / f"{SHEET}.ipynb"
    assert (tmp_path / "nbgrader_config.py").is_file()
    assert (tmp_path / exports.KEYS_DIR / f"{SHEET}_solutions.ipynb").is_file()
    nb = nbformat.read(path, as_version=4)
    meta = {c.get("id"): c.metadata.get("nbgrader") for c in nb.cells}
    assert meta["parameters"]["locked"] and meta["setup"]["locked"]
    assert "expect(" not in "\n".join(c.source for c in nb.cells)  # no checks cell
    setup = next(c for c in nb.cells if c.get("id") == "setup").source
    assert "student_id = nbgrader_student_id(student_id)" in setup
    for q in sheet.questions:
        if q.kind == "auto":
            answer, test = meta[q.question], meta[f"{q.question}-test"]
            assert answer["solution"] and not answer["grade"]
            assert test["grade"] and test["locked"] and test["points"] == q.points
        else:
            written = meta[q.question]
            assert written["solution"] and written["grade"] and not written["task"]
            assert written["points"] == q.points
    code = next(c for c in nb.cells if c.get("id") == "q1").source
    assert code.startswith("### BEGIN SOLUTION")  # nbgrader's own spelling of the markers
    if HAVE_NBGRADER:
        from nbgrader.nbgraderformat import MetadataValidator

        MetadataValidator().validate_nb(nb)


def test_otter_master_notebook_structure(tmp_path, sheet):
    (path,) = exports.export_otter(tmp_path, [SHEET])
    nb = nbformat.read(path, as_version=4)
    raw = [c.source for c in nb.cells if c.cell_type == "raw"]
    config = yaml.safe_load(raw[0].split("\n", 1)[1])
    assert raw[0].startswith("# ASSIGNMENT CONFIG")
    assert config["name"] == SHEET and config["export_cell"] is False
    assert config["generate"]["pdf"] is False
    assert (path.parent / "requirements.txt").is_file()
    for extra in config["autograder_files"]:
        assert (path.parent / extra).is_file()
    heads = [yaml.safe_load(r.split("\n", 1)[1]) for r in raw if r.startswith("# BEGIN QUESTION")]
    assert [h["name"] for h in heads] == [q.question for q in sheet.questions]
    for head, q in zip(heads, sheet.questions, strict=True):
        assert head["points"] == q.points
        assert head.get("manual", False) == (q.kind == "manual")
    assert raw.count("# BEGIN TESTS") == sum(q.kind == "auto" for q in sheet.questions)
    assert raw.count("# BEGIN QUESTION") == 0 and raw.count("# END QUESTION") == len(heads)


def test_written_answers_are_manual_with_no_automatic_points(sheet):
    written = [q for q in sheet.questions if q.kind == "manual"]
    assert len(written) >= 2, "sheet 00 has a written recommendation and an interpretation"
    written = written[0]
    result = exports.verdict(SHEET, written.question, "Travel retail is a niche.")
    assert (result.status, result.points, result.max_points) == ("manual", 0.0, 0.0)
    assert written.rubric.split("\n")[0] in result.message  # the rubric is the feedback


def test_assert_right_is_the_answer_keys_autograde(monkeypatch):
    from sim.course import checker

    calls = []
    monkeypatch.setattr(checker, "autograde", lambda *a, **k: calls.append((a, k)) or "verdict")
    assert exports.assert_right(SHEET, "q1", 0.5, student_id=RIGHT_STUDENT, seed=0) is None
    assert calls == [
        ((SHEET, "q1", 0.5), {"student_id": RIGHT_STUDENT, "seed": 0, "solutions_dir": None})
    ]


def test_nbgrader_student_id(monkeypatch, tmp_path):
    folder = tmp_path / "autograded" / RIGHT_STUDENT / SHEET
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert exports.nbgrader_student_id("") == ""
    monkeypatch.setenv("JUPYTERHUB_USER", "alan")
    assert exports.nbgrader_student_id("") == "alan"
    assert not exports.nbgrader_autograding()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert exports.nbgrader_student_id("") == RIGHT_STUDENT
    monkeypatch.setenv(GRADING_ENV, "")  # restored after the test
    assert exports.nbgrader_autograding() and os.environ[GRADING_ENV] == "1"


def test_otter_autograding_follows_otters_grading_flag(monkeypatch):
    monkeypatch.setenv(GRADING_ENV, "")  # restored after the test
    monkeypatch.setitem(sys.modules, "otter", SimpleNamespace(Notebook=SimpleNamespace()))
    assert not exports.otter_autograding() and os.environ[GRADING_ENV] == ""
    monkeypatch.setitem(
        sys.modules, "otter", SimpleNamespace(Notebook=SimpleNamespace(_grading_mode=True))
    )
    assert exports.otter_autograding() and os.environ[GRADING_ENV] == "1"


def test_cli_export(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    exports.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["export", "--format", "otter", "--out", str(tmp_path), "--sheet", "00"]
    )
    assert args.func(args) == 0
    assert (tmp_path / SHEET / f"{SHEET}.ipynb").is_file()
    assert (
        course_main(
            ["export", "--format", "nbgrader", "--out", str(tmp_path / "c"), "--sheet", "nope"]
        )
        == 1
    )
    assert "no single solutions sheet 'nope'" in capsys.readouterr().err


# ---------------------------------------------------------------- nbgrader itself


def _fill(nb, answers: dict[str, str], written: str):
    """A copy of a released notebook with its solution cells replaced by ``answers``."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            if cell.cell_type == "markdown":
                cell.source = written
            elif meta["grade_id"] in answers:
                cell.source = answers[meta["grade_id"]]
    return nb


@pytest.fixture(scope="module")
def nbgrader_course(tmp_path_factory, sheet, course_kernel):
    if not HAVE_NBGRADER:
        pytest.skip(
            "nbgrader is not installed (optional `grading` extra: pip install -e '.[grading]')"
        )
    root = tmp_path_factory.mktemp("nbgrader")
    exports.export_nbgrader(root, [SHEET])
    _run(["-m", "nbgrader", "generate_assignment", SHEET, "--force"], root)
    release = nbformat.read(root / "release" / SHEET / f"{SHEET}.ipynb", as_version=4)
    source = nbformat.read(root / "source" / SHEET / f"{SHEET}.ipynb", as_version=4)
    right = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    }
    # The wrong submission: q1 a wrong value, q3 left as released (it raises), the rest right.
    wrong = {**right, "q1": "answer_q1 = 0.123\ncheck('q1', answer_q1)"}
    del wrong["q3"]
    for student, answers in ((RIGHT_STUDENT, right), (WRONG_STUDENT, wrong)):
        folder = root / "submitted" / student / SHEET
        folder.mkdir(parents=True)
        nbformat.write(
            _fill(release, answers, "Travel retail is a niche."), folder / f"{SHEET}.ipynb"
        )
    _run(["-m", "nbgrader", "autograde", SHEET, "--force"], root)
    return SimpleNamespace(root=root, release=release)


def _grades(root: Path, student: str, sheet: exports.SheetLayout) -> dict[str, object]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        out = {}
        for q in sheet.questions:
            cell = f"{q.question}-test" if q.kind == "auto" else q.question
            grade = gb.find_grade(cell, SHEET, SHEET, student)
            out[q.question] = (grade.auto_score, grade.max_score, grade.needs_manual_grade)
        return out


@needs_nbgrader
@pytest.mark.notebooks
def test_nbgrader_release_has_no_solution(nbgrader_course, sheet):
    _assert_no_solution(nbformat.writes(nbgrader_course.release), sheet)


@needs_nbgrader
@pytest.mark.notebooks
def test_nbgrader_autograde_scores_right_and_wrong_submissions(nbgrader_course, sheet):
    points = {q.question: q.points for q in sheet.questions}
    right = _grades(nbgrader_course.root, RIGHT_STUDENT, sheet)
    wrong = _grades(nbgrader_course.root, WRONG_STUDENT, sheet)
    for q in sheet.questions:
        if q.kind == "auto":
            assert right[q.question] == (points[q.question], points[q.question], False), q
            expected = 0.0 if q.question in ("q1", "q3") else points[q.question]
            assert wrong[q.question][0] == expected, q
        else:  # written answers wait for the instructor, with no automatic score
            assert right[q.question][0] is None and right[q.question][2], q
    executed = nbformat.read(
        nbgrader_course.root / "autograded" / WRONG_STUDENT / SHEET / f"{SHEET}.ipynb", as_version=4
    )
    (error,) = [
        o
        for c in executed.cells
        if c.get("id") == "q1-test"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert (error.ename, error.evalue) == ("AssertionError", "q1: not right")  # the hint, no value


# ---------------------------------------------------------------- otter-grader itself


def _otter_submission(student_nb, sheet, student_id: str, wrong: dict[str, str]):
    nb = nbformat.from_dict(json.loads(json.dumps(student_nb)))
    answers = {}
    for q in sheet.questions:
        if q.kind == "auto":
            lines = sheet.nb.cells[q.answer].source.split("\n")
            answers[q.question] = "\n".join(line for line in lines if "SOLUTION" not in line)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace('student_id = ""', f'student_id = "{student_id}"')
        question = (cell.metadata.get("otter", {}).get("tests") or [None])[0]
        if question in answers:
            cell.source = wrong.get(question, answers[question])
    return nb


@pytest.fixture(scope="module")
def otter_results(tmp_path_factory, sheet, course_kernel):
    if not HAVE_OTTER:
        pytest.skip(
            "otter-grader is not installed (optional `grading` extra: pip install -e '.[grading]')"
        )
    root = tmp_path_factory.mktemp("otter")
    (master,) = exports.export_otter(root / "masters", [SHEET])
    dist = root / "dist"
    _run(["-m", "otter", "assign", str(master), str(dist)], root)
    (student_path,) = (dist / "student").glob("*.ipynb")
    (zip_path,) = (dist / "autograder").glob(f"{SHEET}-autograder_*.zip")
    student = nbformat.read(student_path, as_version=4)
    scores = {}
    # Right: a student's own dataset. Wrong: the class dataset, q1 wrong, q3 not answered.
    runs = {
        "right": (RIGHT_STUDENT, {}),
        "wrong": ("", {"q1": "answer_q1 = 0.123", "q3": "answer_q3 = ..."}),
    }
    for name, (student_id, wrong) in runs.items():
        folder = root / name
        folder.mkdir()
        submission = folder / f"{SHEET}.ipynb"
        nbformat.write(_otter_submission(student, sheet, student_id, wrong), submission)
        _run(
            [
                "-m",
                "otter",
                "run",
                "-a",
                str(zip_path),
                "-o",
                str(folder),
                "--no-logo",
                str(submission),
            ],
            root,
        )
        results = json.loads((folder / "results.json").read_text())
        scores[name] = {t["name"]: t.get("score") for t in results["tests"] if "max_score" in t}
    return SimpleNamespace(dist=dist, student=student, zip=zip_path, scores=scores)


@needs_otter
@pytest.mark.notebooks
def test_otter_student_notebook_has_no_solution(otter_results, sheet):
    _assert_no_solution(nbformat.writes(otter_results.student), sheet)
    student_files = {p.name for p in (otter_results.dist / "student").rglob("*") if p.is_file()}
    assert not [f for f in student_files if f.endswith(SUFFIX + ".ipynb")]
    import zipfile

    names = zipfile.ZipFile(otter_results.zip).namelist()
    assert f"files/{exports.KEYS_DIR}/{SHEET}_solutions.ipynb" in names  # the key: grader only


@needs_otter
@pytest.mark.notebooks
def test_otter_student_placeholders_are_the_exercise_sheets(otter_results):
    exercise = nbformat.reads(exercise_source(read_sheet(SHEET).path), as_version=4)

    def answers(nb):
        return [
            c.source
            for c in nb.cells
            if c.cell_type == "code" and re.search(r'\bcheck\("q\d', c.source)
        ]

    assert answers(otter_results.student) == answers(exercise)


@needs_otter
@pytest.mark.notebooks
def test_otter_run_scores_right_and_wrong_submissions(otter_results, sheet):
    auto = {q.question: q.points for q in sheet.questions if q.kind == "auto"}
    assert otter_results.scores["right"] == auto
    assert otter_results.scores["wrong"] == {**auto, "q1": 0, "q3": 0}
    # Written answers are manual: otter gives them no automatic score at all.
    manual = [q.question for q in sheet.questions if q.kind == "manual"]
    assert not set(manual) & set(otter_results.scores["right"])
