"""The answer key stays out of the student's kernel, and the grade comes from the grader alone.

Fast tests: the answer codec against hostile records, the key computed from a
synthetic solutions sheet, the checker process (verdicts come back, values
never do), the grading tripwire, version checks, the wide gradebook, feedback
pages, and every notebook's parameters cell as papermill reads it.

One slow test (marked ``notebooks``) grades a batch built from the real
``04_segmentation`` sheet: an honest right submission, an honest partly
wrong one, a cheater (reads the checker's internals, computes the key,
patches ``check``/``compare``/``Checker``, fakes REPORT/CHECK outputs, adds its
own ``checks`` cell), two infinite loops (one swallowing the interrupt) and
one made with another package version.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill as pm
import pytest

import sim.course.answer_key as answer_key
from sim.course import autograde
from sim.course import checker as checker_module
from sim.course.answer_key import (
    KeyComputationError,
    KeyUnavailable,
    compute_key,
    read_sheet,
)
from sim.course.answers import (
    ANSWER_MIME,
    AnswerDecodeError,
    Unsupported,
    decode_answer,
    encode_answer,
)
from sim.course.checker import Session, dataset_fingerprint, provenance, serve
from sim.course.checks import CHECK_MIME, REPORT_MIME, SUBMISSION_MIME, Question, compare
from sim.course.exercises import EXERCISES_DIR, SOLUTIONS_DIR
from sim.course.feedback import feedback_page
from sim.course.grader import (
    SheetGrade,
    WrittenAnswer,
    collect_answers,
    grade,
    prepare_submission,
    version_problems,
    write_wide_gradebook,
)
from sim.course.lockdown import isolation_available
from sim.course.students import student_seed
from sim.data.dataset import package_version

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- a synthetic sheet


def demo_solution(folder: Path, name: str = "98_key") -> Path:
    """A tiny solutions sheet: parameters, setup with connect(), checks, two answers, a written one."""
    cells = [
        nbformat.v4.new_markdown_cell("# 98 · Key demo"),
        nbformat.v4.new_code_cell('student_id = ""\nseed = 5\nfactor = 3'),
        nbformat.v4.new_code_cell(
            "from sim.course import check, connect, expect, seed_for\n\n"
            "seed = seed_for(student_id, seed)\n"
            "values = [seed % 97, factor]\n"
            'print("setup output the key must not need")\n'
            f'connect("{name}", student_id=student_id, seed=seed)'
        ),
        nbformat.v4.new_code_cell(
            'secret_ = sum(values) / 1000\nexpect("q1", lambda: secret_, rtol=1e-9)\n'
            'expect("q2", "zebra", choices=["zebra", "okapi"], points=2)'
        ),
        nbformat.v4.new_code_cell(
            "# BEGIN SOLUTION\nanswer_q1 = sum(values) / 1000\n# END SOLUTION\ncheck('q1', answer_q1)"
        ),
        nbformat.v4.new_code_cell(
            '# BEGIN SOLUTION\nanimal = "zebra"\n# END SOLUTION\ncheck("q2", animal)'
        ),
        nbformat.v4.new_markdown_cell("## Question 3\n\nWhy?"),
        nbformat.v4.new_markdown_cell("<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->"),
    ]
    ids = ["title", "parameters", "setup", "checks", "q1", "q2", "q3-text", "q3-answer"]
    for cell, cell_id in zip(cells, ids, strict=True):
        cell.id = cell_id
    cells[1].metadata["tags"] = ["parameters"]
    cells[3].metadata["tags"] = ["checks"]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"name": "crm-workbench", "display_name": "CRM", "language": "python"}
    }
    path = folder / f"{name}_solutions.ipynb"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def demo_expected(student_id: str = "", seed: int = 5) -> float:
    s = student_seed(student_id) if student_id else seed
    return (s % 97 + 3) / 1000


# ---------------------------------------------------------------- answers codec


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        7,
        10**30,
        0.1,
        float("nan"),
        float("-inf"),
        "Champions",
        np.float64(2.5),
        np.array([[1, 2], [3, 4]]),
        [1, "a", None],
        ("x", 2.0),
        {"a": 1},
        pd.Timestamp("2025-01-01"),
        pd.Series([1.0, 2.0], index=pd.Index(["a", "b"], name="segment"), name="customers"),
        pd.DataFrame({"n": [1, 2], "share": [0.5, 0.5]}, index=["x", "y"]),
    ],
    ids=repr,
)
def test_answers_round_trip_through_json(value):
    record = json.loads(json.dumps(encode_answer(value)))  # as stored in a notebook
    back = decode_answer(record)
    if isinstance(value, pd.Series):
        pd.testing.assert_series_equal(back, value, check_dtype=False)
    elif isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(back, value, check_dtype=False)
    elif isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    else:
        assert back == value
        assert type(back) is type(value) or isinstance(value, np.generic)  # NumPy scalars: Python


@pytest.mark.parametrize(
    "record",
    [
        {"type": "frame", "arrow": "not base64!"},
        {"type": "ndarray", "npy": "AAAA"},
        {"type": "pickle", "data": "gASVAAAA"},  # there is no pickle type: nothing runs
        {"type": "int", "value": "7"},
        {"type": "list", "items": [{"type": "list", "items": []}] * 2 + ["x"]},
        "just a string",
    ],
)
def test_hostile_answer_records_are_refused(record):
    with pytest.raises(AnswerDecodeError):
        decode_answer(record)


def test_unrecordable_answers_are_checked_as_wrong_type():
    record = encode_answer(object())
    assert record == {"type": "unsupported", "name": "object"}
    q = Question("q1", 0.25)
    status, message = compare(decode_answer(record), q)
    assert status == "wrong_type" and "object" in message


def test_collect_answers_prefers_the_final_variable_and_survives_forgeries():
    def out(question, value, source):
        bundle = {"question": question, "source": source, "answer": encode_answer(value)}
        return nbformat.v4.new_output("display_data", data={ANSWER_MIME: bundle})

    forged = nbformat.v4.new_output(
        "display_data",
        data={ANSWER_MIME: {"question": "q3", "source": "check", "answer": {"type": "frame"}}},
    )
    cell = nbformat.v4.new_code_cell(
        "",
        outputs=[
            out("q1", 1.0, "check"),
            out("q1", 2.0, "variable answer_q1"),
            out("q1", 3.0, "check"),  # a later check does not beat the final variable
            out("q2", "a", "check"),
            forged,
            nbformat.v4.new_output("display_data", data={ANSWER_MIME: "garbage"}),
        ],
    )
    answers = collect_answers(nbformat.v4.new_notebook(cells=[cell]))
    assert answers["q1"] == 2.0 and answers["q2"] == "a"
    assert isinstance(answers["q3"], Unsupported)


# ---------------------------------------------------------------- the key


def test_key_is_computed_from_the_solutions_sheet(tmp_path, capsys):
    path = demo_solution(tmp_path)
    spec = read_sheet(path)
    assert spec.parameters == {"student_id": "", "seed": 5, "factor": 3}
    assert [cell_id for cell_id, _ in spec.key_cells] == ["setup", "checks"]  # no answer cells
    assert spec.answer_names == {"q1": "answer_q1", "q2": "animal"}
    assert [(w.question, w.prompt, w.rubric) for w in spec.written] == [
        ("q3", "## Question 3\n\nWhy?", "Because.")
    ]
    key = compute_key("98_key", {"student_id": "ada"}, solutions_dir=tmp_path)
    assert capsys.readouterr().out == ""  # the sheet's prints stay out of the key
    assert key["q1"].expected_value() == pytest.approx(demo_expected("ada"))
    assert key.parameters["seed"] == student_seed("ada") and key.max_points == 3
    assert key.provenance["student_id"] == "ada"
    assert key.provenance["package_version"] == package_version()
    verdicts = key.judge({"q1": demo_expected("ada") * 100, "q2": "okapi", "q9": 1})
    assert [(r.question, r.status, r.points) for r in verdicts] == [
        ("q1", "factor", 0),
        ("q2", "wrong", 0),
    ]
    assert [r.status for r in key.judge({"q1": demo_expected("ada")})] == ["right", "unanswered"]
    # the class dataset: default parameters
    assert compute_key(path)["q1"].expected_value() == pytest.approx(demo_expected())


def test_key_errors_say_what_is_wrong(tmp_path):
    demo_solution(tmp_path)
    with pytest.raises(ValueError, match="does not declare parameter.*INTERACTIVE"):
        compute_key("98_key", {"INTERACTIVE": False}, solutions_dir=tmp_path)
    with pytest.raises(KeyUnavailable, match="instructor's key"):
        compute_key("97_missing", solutions_dir=tmp_path)
    with pytest.raises(ValueError, match="not a sheet name"):
        compute_key("05 clv; rm -rf", solutions_dir=tmp_path)
    nb = nbformat.read(tmp_path / "98_key_solutions.ipynb", as_version=4)
    nb.cells[3].source = "expect('q1', lambda: 1)\n1 / 0"
    nbformat.write(nb, tmp_path / "98_key_solutions.ipynb")
    with pytest.raises(KeyComputationError, match="cell 'checks': ZeroDivisionError"):
        compute_key("98_key", solutions_dir=tmp_path)
    nb.cells[3].source = "expect('q1', lambda: 1 / 0)"
    nbformat.write(nb, tmp_path / "98_key_solutions.ipynb")
    key = compute_key("98_key", solutions_dir=tmp_path)
    assert key.judge({"q1": 1})[0].status == "error"


def test_every_solutions_sheet_yields_its_key_cells_and_answer_names():
    for path in sorted(SOLUTIONS_DIR.glob("*_solutions.ipynb")):
        spec = read_sheet(path)
        assert "student_id" in spec.parameters, path.name
        assert spec.key_cells and spec.key_cells[-1][0].endswith("checks"), path.name
        sources = "\n".join(source for _, source in spec.key_cells)
        assert f'connect("{spec.sheet}"' in sources, f"{path.name}: setup must connect()"
        assert "BEGIN SOLUTION" not in sources, path.name
        assert spec.answer_names and spec.written, path.name


def test_exercise_sheets_carry_no_key_code():
    for path in sorted(EXERCISES_DIR.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "expect(" not in code and "run_hidden" not in code, path.name
        assert not any("checks" in c.metadata.get("tags", []) for c in nb.cells), path.name


# ---------------------------------------------------------------- the checker process


def test_checker_protocol_returns_verdicts_never_values(tmp_path):
    demo_solution(tmp_path)
    requests = [
        {
            "op": "prepare",
            "sheet": "98_key",
            "parameters": {"student_id": "ada"},
            "solutions_dir": str(tmp_path),
        },
        {"op": "check", "question": "q1", "answer": encode_answer(0.0)},
        {"op": "check", "question": "q1", "answer": encode_answer(demo_expected("ada"))},
        {"op": "check", "question": "q7", "answer": encode_answer(1)},
        {"op": "check", "question": "q2", "answer": {"type": "frame", "arrow": "??"}},
        {"op": "expected", "question": "q1"},  # there is no way to ask for the value
        {"op": "report"},
    ]
    out = io.StringIO()
    serve(io.StringIO("".join(json.dumps(r) + "\n" for r in requests) + "not json\n"), out)
    replies = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["ok"] for r in replies] == [True, True, True, False, False, False, True, False]
    assert replies[1]["result"]["status"] == "wrong"
    assert replies[2]["result"]["status"] == "right"
    assert replies[3]["kind"] == "unknown" and "unreadable" in replies[4]["message"]
    assert [r["status"] for r in replies[6]["results"]] == ["right", "unanswered"]
    text = out.getvalue()
    assert str(demo_expected("ada")) not in text and "zebra" not in text


def test_check_talks_to_a_separate_process(tmp_path, monkeypatch, capsys):
    demo_solution(tmp_path)

    def no_key_here(*args, **kwargs):
        raise AssertionError("the key must not be computed in the student's process")

    monkeypatch.setattr(answer_key, "compute_key", no_key_here)
    monkeypatch.delenv(checker_module.GRADING_ENV, raising=False)
    session = checker_module.connect("98_key", student_id="ada", seed=0, solutions_dir=tmp_path)
    try:
        assert "self-checks for 98_key: student ada" in capsys.readouterr().out
        assert checker_module.check("q1", ...).status == "unanswered"
        assert checker_module.check("q1", demo_expected("ada") * 100).status == "factor"
        right = checker_module.check("q1", demo_expected("ada"))
        assert (right.status, right.points, right.max_points) == ("right", 1, 1)
        assert checker_module.check("q2", "zebra").points == 2
        assert checker_module.check("q5", 1).status == "no_check"
        assert [r.status for r in checker_module.report()] == ["right", "right"]
        # what the student's process holds: verdicts, no Question, no expected value
        held = repr(vars(session))
        assert "zebra" not in held and str(demo_expected("ada")) not in held
        session.close()  # a dead checker is restarted by the next check
        assert checker_module.check("q2", "okapi").status == "wrong"
    finally:
        session.close()
        checker_module._session = None


def test_autograde_gives_an_autograder_cell_pass_or_fail(tmp_path, monkeypatch):
    # e.g. an nbgrader/otter test cell: the key from the student's seed, in another process
    demo_solution(tmp_path)
    monkeypatch.setattr(answer_key, "compute_key", None)  # not computable in this process
    right = demo_expected("ada")
    try:
        result = autograde("98_key", "q1", right, student_id="ada", solutions_dir=tmp_path)
        assert result.ok and result.points == 1
        with pytest.raises(AssertionError, match="q1: off by a factor of 100"):
            autograde("98_key", "q1", 100 * right, student_id="ada", solutions_dir=tmp_path)
        with pytest.raises(AssertionError, match="not answered"):
            autograde("98_key", "q2", ..., student_id="ada", solutions_dir=tmp_path)
    finally:
        for session in checker_module._autograder_sessions.values():
            session.close()
        checker_module._autograder_sessions.clear()


def test_self_checks_without_the_solutions_still_record(tmp_path, monkeypatch):
    monkeypatch.delenv(checker_module.GRADING_ENV, raising=False)
    session = Session("98_key", "ada", solutions_dir=tmp_path / "nowhere")
    try:
        result = session.check("q1", 1.0, show=False)
        assert result.status == "no_check" and "instructor's key" in result.message
    finally:
        session.close()


def test_under_the_grader_check_only_records(monkeypatch):
    monkeypatch.setenv(checker_module.GRADING_ENV, "1")
    session = checker_module.connect("98_key", student_id="ada", show=False)
    try:
        assert session._proc is None  # no checker process to ask
        assert checker_module.check("q1", 1.0, show=False).status == "recorded"
    finally:
        checker_module._session = None


def test_dataset_fingerprints_are_stable():
    frame = pd.DataFrame({"kpi": [1 / 3, 2.0]}, index=["a", "b"])
    assert dataset_fingerprint(frame) == dataset_fingerprint(frame + 1e-12)  # last bits ignored
    assert dataset_fingerprint(frame) != dataset_fingerprint(frame * 2)
    assert dataset_fingerprint(None) == ""
    with pytest.raises(TypeError):
        dataset_fingerprint([1, 2])
    record = provenance("04_segmentation", " ada ", 7, frame)
    assert record["student_id"] == "ada" and record["package_version"] == package_version()


# ---------------------------------------------------------------- the tripwire


def test_lockdown_refuses_the_key_processes_and_tampering(tmp_path):
    secret = tmp_path / "solutions" / "s_solutions.ipynb"
    secret.parent.mkdir()
    secret.write_text("the key")
    package = tmp_path / "package"
    package.mkdir()
    script = textwrap.dedent(
        f"""
        import json, os, subprocess, sys
        from sim.course import lockdown
        lockdown.install([{str(secret.parent)!r}], [{str(package)!r}])
        results = {{}}
        def attempt(name, f):
            try:
                f()
                results[name] = "allowed"
            except PermissionError:
                results[name] = "refused"
        attempt("read", lambda: open({str(secret)!r}).read())
        attempt("os.open", lambda: os.open({str(secret)!r}, os.O_RDONLY))
        attempt("symlink", lambda: os.symlink({str(secret)!r}, {str(tmp_path / "link")!r}))
        attempt("write", lambda: open({str(package / "x.py")!r}, "w"))
        attempt("remove", lambda: os.remove({str(package)!r}))
        attempt("process", lambda: subprocess.run(["true"]))
        attempt("system", lambda: os.system("true"))
        attempt("memory", lambda: open(f"/proc/{{os.getppid()}}/mem", "rb"))
        attempt("own files", lambda: open({str(tmp_path / "mine.txt")!r}, "w").close())
        print(json.dumps(results))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    results = json.loads(out.stdout.strip().splitlines()[-1])
    assert results.pop("own files") == "allowed"
    assert set(results.values()) == {"refused"}, results


@pytest.mark.skipif(not isolation_available(), reason="no unprivileged user namespaces here")
def test_the_jail_hides_the_key_even_from_c_code(tmp_path):
    from sim.course.lockdown import _jail_command

    secret = tmp_path / "solutions"
    secret.mkdir()
    (secret / "s_solutions.ipynb").write_text("the key")
    code = tmp_path / "code"
    code.mkdir()
    script = textwrap.dedent(
        f"""
        import ctypes, ctypes.util, json, os
        import pyarrow
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        results = {{"listing": os.listdir({str(secret)!r})}}
        try:
            pyarrow.input_stream({str(secret / "s_solutions.ipynb")!r}).read()
            results["pyarrow"] = "read"
        except OSError as exc:
            results["pyarrow"] = type(exc).__name__
        results["umount"] = libc.umount2({str(secret).encode()!r}, 2)  # MNT_DETACH
        results["listing after"] = os.listdir({str(secret)!r})
        try:
            os.close(os.open({str(code / "x.py")!r}, os.O_WRONLY | os.O_CREAT))
            results["write code"] = "written"
        except OSError as exc:
            results["write code"] = type(exc).__name__
        print(json.dumps(results))
        """
    )
    done = subprocess.run(
        _jail_command([secret], [code]) + [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout) == {
        "listing": [],
        "pyarrow": "FileNotFoundError",
        "umount": -1,  # the mounts are locked
        "listing after": [],
        "write code": "OSError",
    }
    assert (secret / "s_solutions.ipynb").read_text() == "the key"  # untouched outside


# ---------------------------------------------------------------- versions, gradebooks, feedback


def test_version_problems_name_what_differs():
    ours = {"package_version": "0.1.0", "seed": 7, "dataset": "aaaa", "pandas": "3.1.1"}
    assert version_problems(dict(ours), ours) == []
    older = dict(ours, package_version="0.0.9", pandas="2.2.0")
    assert version_problems(older, ours) == [
        "crm-workbench 0.0.9 in the submission, 0.1.0 in the grader",
        "pandas 2.2.0 in the submission, 3.1.1 in the grader",
    ]
    drifted = version_problems(dict(ours, dataset="bbbb"), ours)
    assert len(drifted) == 1 and "dataset fingerprint bbbb" in drifted[0]
    # another seed is another student id, not another version
    assert version_problems(dict(ours, seed=8, dataset="bbbb"), ours) == []


def test_wide_gradebook_leaves_ungraded_sheets_empty(tmp_path):
    from sim.course.checks import CheckResult

    done = SheetGrade(
        "ada",
        "04_x",
        "executed",
        results=[CheckResult("q1", "right", "right", 1, 1), CheckResult("q2", "wrong", "x", 0, 2)],
        written=[WrittenAnswer("q3", "Why?", "Because.", "I think", True)],
    )
    refused = SheetGrade("bob", "04_x", "refused", "refused: crm-workbench 0.0.9 …")
    other = SheetGrade("bob", "05_y", "error", results=[CheckResult("q1", "right", "r", 2, 2)])
    write_wide_gradebook([done, refused, other], tmp_path / "wide.csv")
    with (tmp_path / "wide.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows == [
        ["Student", "SIS User ID", "04_x", "04_x:q1", "04_x:q2", "04_x:q3", "05_y", "05_y:q1"],
        ["Points Possible", "", "3", "1", "2", "", "2", "2"],
        ["ada", "ada", "1", "1", "0", "", "", ""],
        ["bob", "bob", "", "", "", "", "2", "2"],
    ]


def test_feedback_pages_escape_what_students_wrote():
    from sim.course.checks import CheckResult

    g = SheetGrade(
        "eve<script>",
        "04_x",
        "timeout",
        "cell 'q2': did not finish in time (interrupted)",
        results=[CheckResult("q1", "factor", "off by a factor of 100", 0, 1)],
        written=[WrittenAnswer("q3", "Why?", "Because.", "<script>alert(1)</script>", True)],
    )
    page = feedback_page("eve<script>", [g])
    assert "<script>" not in page and "&lt;script&gt;alert(1)" in page
    assert "off by a factor of 100" in page and "Because." in page and "ran out of time" in page


# ---------------------------------------------------------------- papermill hygiene


NOTEBOOKS = sorted(
    [
        *(REPO / "notebooks").glob("*.ipynb"),
        *SOLUTIONS_DIR.glob("*.ipynb"),
        *EXERCISES_DIR.glob("*.ipynb"),
    ]
)


def _declared(path: Path) -> dict[str, object]:
    nb = nbformat.read(path, as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    values = {}
    for stmt in ast.parse(cell.source).body:
        for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
            values[target.id] = ast.literal_eval(stmt.value)
    return values


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_papermill_reads_every_parameter_with_its_default(path):
    inspected = pm.inspect_notebook(str(path))
    declared = _declared(path)
    assert list(inspected) == list(declared), f"papermill sees {list(inspected)}"
    for name, value in declared.items():
        assert ast.literal_eval(inspected[name]["default"]) == value, name


# ---------------------------------------------------------------- grading a batch


SHEET = "04_segmentation"


def _submission(
    student: str, answers: dict[str, str], extra: list | None = None
) -> nbformat.NotebookNode:
    """The exercise sheet with some answer cells replaced (``"right"``: the solution's code)."""
    solution = {
        c.id: c.source
        for c in nbformat.read(SOLUTIONS_DIR / f"{SHEET}_solutions.ipynb", as_version=4).cells
    }
    nb = nbformat.read(EXERCISES_DIR / f"{SHEET}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.id in answers:
            cell.source = solution[cell.id] if answers[cell.id] == "right" else answers[cell.id]
    for index, cell in extra or []:
        nb.cells.insert(index, cell)
    return nb


CHEAT = textwrap.dedent(
    """
    import gc, json, subprocess, sys
    import sim.course, sim.course.answer_key, sim.course.answers, sim.course.checker
    import sim.course.checks as checks
    from IPython.display import display

    found = {}
    def attempt(name, f):
        try:
            found[name] = repr(f())[:60]
        except Exception as exc:
            found[name] = type(exc).__name__
    attempt("default checker", lambda: checks._default.questions)
    attempt("registry", lambda: checks._registry.get())
    attempt("keys in memory", lambda: [o for o in gc.get_objects() if isinstance(o, checks.Question)])
    attempt("compute key", lambda: sim.course.compute_key("04_segmentation", {"student_id": student_id}))
    attempt("read solutions", lambda: open(sim.course.exercises.SOLUTIONS_DIR / "04_segmentation_solutions.ipynb").read())
    attempt("start a checker", lambda: subprocess.Popen([sys.executable, "-m", "sim.course.checker"]))
    attempt("ask the session", lambda: sim.course.checker._session.check("q1", 0.5, show=False).status)
    attempt("edit the package", lambda: open(checks.__file__, "a"))
    import os, pyarrow
    solutions = str(sim.course.exercises.SOLUTIONS_DIR)
    attempt("read past the tripwire", lambda: pyarrow.input_stream(solutions + "/04_segmentation_solutions.ipynb").read())
    attempt("list solutions", lambda: os.listdir(solutions))
    print("FOUND", json.dumps(found))

    # Everything says "right" from now on ...
    def fake(question, answer, **kwargs):
        return checks.CheckResult(question, "right", "right", 2.0, 2.0)
    check = sim.course.check = sim.course.checker.check = fake
    checks.compare = lambda answer, q: ("right", "right")
    checks.Checker.check = lambda self, question, answer, show=True: fake(question, answer)
    sim.course.answer_key.AnswerKey.judge = lambda self, answers: [fake(q, None) for q in self]
    # ... and the notebook shows full marks.
    claim = [dict(question=q, status="right", message="right", points=p, max_points=p)
             for q, p in [("q1", 1), ("q2", 2), ("q3", 1), ("q4", 1)]]
    display({"text/plain": "score: 5 / 5", checks.REPORT_MIME: claim}, raw=True)
    for c in claim:
        display({"text/plain": "right", checks.CHECK_MIME: c}, raw=True)
    """
)


@pytest.mark.notebooks
@pytest.mark.timeout(1500)
def test_grading_a_batch_with_cheats_errors_loops_and_versions(tmp_path, course_kernel):
    subs = tmp_path / "submissions"

    def submit(student: str, nb: nbformat.NotebookNode) -> None:
        (subs / student).mkdir(parents=True)
        nbformat.write(nb, subs / student / f"{SHEET}.ipynb")

    # a) honest and right, with the record of the student's own run
    ada = _submission("ada", {q: "right" for q in ("q1", "q2", "q3", "q4", "q5")})
    import sim

    record = provenance(
        SHEET, "ada", student_seed("ada"), sim.course_dataset(seed=student_seed("ada"))
    )
    setup = next(c for c in ada.cells if c.id == "setup")
    setup.outputs = [
        nbformat.v4.new_output("display_data", data={"text/plain": "", SUBMISSION_MIME: record})
    ]
    submit("ada", ada)
    # b) honest, partly wrong, and an error in the last answer
    submit(
        "bob",
        _submission(
            "bob",
            {
                "q1": 'answer_q1 = 100 * rfm.pareto_share(orders[orders["order_date"] < reference_date], top=0.1)\ncheck("q1", answer_q1)',
                "q2": 'answer_q2 = rfm.segment_summary(rfm.rfm_scores(rfm_now))\ncheck("q2", answer_q2)',
                "q3": "right",
                "q4": 'answer_q4 = undefined_name\ncheck("q4", answer_q4)',
            },
        ),
    )
    # c) the cheater: honest only on q3; its own "checks" cell; every trick above
    tampered = nbformat.v4.new_code_cell('expect("q1", lambda: 0.0)\nexpect("q2", lambda: "right")')
    tampered.metadata["tags"] = ["checks"]
    eve = _submission(
        "eve",
        {"q1": 'answer_q1 = 0.0\ncheck("q1", answer_q1)', "q3": "right"},
        extra=[(3, tampered), (4, nbformat.v4.new_code_cell(CHEAT))],
    )
    submit("eve", eve)
    # d) an infinite loop that the interrupt stops, and one that swallows it
    loop = "import time\nwhile True:\n    time.sleep(0.1)"
    stubborn = "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass"
    submit("lou", _submission("lou", {"q1": "right", "q2": loop, "q3": "right"}))
    submit("ann", _submission("ann", {"q1": "right", "q2": stubborn, "q3": "right"}))
    # e) made with another version of the package
    mal = _submission("mal", {q: "right" for q in ("q1", "q2", "q3", "q4", "q5")})
    old = dict(record, student_id="mal", seed=student_seed("mal"), package_version="0.0.1")
    next(c for c in mal.cells if c.id == "setup").outputs = [
        nbformat.v4.new_output("display_data", data={"text/plain": "", SUBMISSION_MIME: old})
    ]
    submit("mal", mal)

    out = tmp_path / "grades" / "gradebook.csv"
    # The loops cost a cell timeout (lou) and the notebook timeout (ann), so both are short; the
    # slowest honest cell (setup: simulating the student's dataset) takes a few seconds.
    rows = grade(
        subs,
        out,
        timeout=20,
        notebook_timeout=45,
        kernel_name=course_kernel,
        workers=2,
        progress=False,
    )
    table = {(r.student, r.question): r for r in rows}

    def statuses(student: str) -> list[tuple[str, str, float]]:
        return [(r.question, r.status, r.points) for r in rows if r.student == student]

    # a) full marks, versions checked, only declared parameters passed
    assert statuses("ada") == [
        ("q1", "right", 1),
        ("q2", "right", 2),
        ("q3", "right", 1),
        ("q4", "right", 2),
        ("q5", "right", 1),
        ("q4-written", "manual", 0),  # the written part of q4, marked by hand
        ("q6", "manual", 0),
        ("q7", "manual", 0),  # the interpretation question, marked by hand
        ("TOTAL", "executed", 7),
    ]
    assert table["ada", "TOTAL"].message == ""
    executed = tmp_path / "grades" / "gradebook_executed"
    assert nbformat.read(
        executed / "ada" / f"{SHEET}.ipynb", as_version=4
    ).metadata.papermill.parameters == {"student_id": "ada"}
    # b) partial marks, the error named by cell
    assert statuses("bob")[:4] == [
        ("q1", "factor", 0),
        ("q2", "wrong_type", 0),
        ("q3", "right", 1),
        ("q4", "unanswered", 0),
    ]
    assert (
        table["bob", "TOTAL"].status == "error"
        and "cell 'q4': NameError" in table["bob", "TOTAL"].message
    )
    # c) exactly what the honest answer earns; every attempt on the key failed
    assert table["eve", "TOTAL"].points == 1 and table["eve", "q3"].status == "right"
    assert all(
        r.status != "right"
        for r in rows
        if r.student == "eve" and r.question not in ("q3", "TOTAL")
    )
    eve_run = nbformat.read(executed / "eve" / f"{SHEET}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in eve_run.cells for o in c.get("outputs", []))
    found = json.loads(printed.split("FOUND ", 1)[1].splitlines()[0])
    jailed = isolation_available()
    assert found == {
        "default checker": "AttributeError",
        "registry": "None",
        "keys in memory": "[]",
        "compute key": "KeyUnavailable" if jailed else "PermissionError",
        "read solutions": "PermissionError",
        "start a checker": "PermissionError",
        "ask the session": "'recorded'",
        "edit the package": "PermissionError",
        # C-level I/O gets past the tripwire; the jail hides the files from it
        "read past the tripwire": "FileNotFoundError"
        if jailed
        else found["read past the tripwire"],
        "list solutions": "[]" if jailed else found["list solutions"],
    }
    claims = [  # what the notebook shows: full marks, ignored
        o["data"][REPORT_MIME]
        for c in eve_run.cells
        for o in c.get("outputs", [])
        if REPORT_MIME in o.get("data", {})
    ]
    assert any(sum(r["points"] for r in claim) == 5 for claim in claims)
    # d) verdicts for what was reached, the rest not answered, the batch went on
    assert statuses("lou")[:3] == [("q1", "right", 1), ("q2", "unanswered", 0), ("q3", "right", 1)]
    assert (
        table["lou", "TOTAL"].status == "timeout" and "cell 'q2'" in table["lou", "TOTAL"].message
    )
    assert table["ann", "q1"].status == "right" and table["ann", "q2"].status == "unanswered"
    assert table["ann", "TOTAL"].status == "timeout"
    # e) refused, saying which versions differ, without running it
    assert table["mal", "TOTAL"].status == "refused"
    assert f"crm-workbench 0.0.1 in the submission, {package_version()} in the grader" in (
        table["mal", "TOTAL"].message
    )
    assert not (executed / "mal").exists()
    # the other outputs
    with (out.parent / "gradebook_wide.csv").open(encoding="utf-8") as f:
        wide = {row[0]: row for row in csv.reader(f)}
    assert wide["ada"][2] == "7" and wide["mal"][2] == "" and wide["eve"][2] == "1"
    for student in ("ada", "bob", "eve", "lou", "ann", "mal"):
        assert (out.parent / "feedback" / f"{student}.html").is_file()
    assert "crm-workbench 0.0.1" in (out.parent / "feedback" / "mal.html").read_text(
        encoding="utf-8"
    )


def test_prepare_submission_clears_outputs_and_appends_the_answer_cell(tmp_path):
    nb = _submission("x", {"q1": "right"})
    nb.cells[2].outputs = [
        nbformat.v4.new_output(
            "display_data", data={CHECK_MIME: {"question": "q1", "status": "right"}}
        )
    ]
    prepared = prepare_submission(nb, deny_read=[tmp_path], answer_names={"q1": "answer_q1"})
    assert prepared.cells[0].metadata["tags"] == ["grader-lockdown"]
    assert all(not c.get("outputs") for c in prepared.cells if c.cell_type == "code")
    assert prepared.cells[-1].metadata["tags"] == ["grader-answers"]
    assert "{'q1': 'answer_q1'}" in prepared.cells[-1].source
    assert os.fspath(tmp_path) in prepared.cells[0].source
