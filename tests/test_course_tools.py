"""sim.course: verdicts in words, stable student seeds, the exercise builder, the grader.

The answer key, the checker process and the grader's resistance to cheating
are tested in tests/test_grading.py.
"""

from __future__ import annotations

import csv
import doctest
import json
import subprocess
import sys

import nbformat
import numpy as np
import pandas as pd
import pytest

import sim.course.answers as answers_module
import sim.course.checks as checks_module
import sim.course.students as students_module
import sim.widgets as widgets_module
from sim.course import Checker, expect, run_hidden, seed_for, student_seed
from sim.course.__main__ import main as cli_main
from sim.course.checks import CHECK_MIME
from sim.course.exercises import (
    EXERCISES_DIR,
    SOLUTIONS_DIR,
    SolutionMarkerError,
    build_all,
    exercise_source,
    strip_code,
    strip_markdown,
)
from sim.course.grader import collect_results

# ---------------------------------------------------------------- checks


@pytest.fixture
def checker() -> Checker:
    c = Checker()
    c.expect("share", lambda: 0.25)
    c.expect("count", 120, rtol=0, atol=0)
    c.expect("choice", "Champions", choices=["Champions", "At risk", "Lost"])
    c.expect("flag", True)
    c.expect(
        "table",
        lambda: pd.DataFrame({"n": [10, 20], "share": [0.25, 0.75]}, index=["a", "b"]),
    )
    c.expect("series", pd.Series([1.0, 2.0, 3.0], index=["x", "y", "z"]))
    c.expect("values", [1.0, 2.0])
    return c


def verdict(c: Checker, q: str, answer) -> tuple[str, str]:
    r = c.check(q, answer, show=False)
    return r.status, r.message


@pytest.mark.parametrize("answer", [None, ...])
def test_unanswered(checker, answer):
    assert verdict(checker, "share", answer) == ("unanswered", "not answered yet")


def test_numbers(checker):
    assert verdict(checker, "share", 0.25) == ("right", "right")
    assert verdict(checker, "share", np.float64(0.2501))[0] == "right"  # within rtol 1e-3
    assert verdict(checker, "share", 25) == (
        "factor",
        "off by a factor of 100 — did you use percent instead of a share?",
    )
    assert verdict(checker, "share", -0.25) == ("factor", "wrong sign")
    assert verdict(checker, "share", 0.26) == ("close", "close but outside tolerance")
    assert verdict(checker, "share", 0.4) == ("wrong", "not right")
    assert verdict(checker, "share", "0.25") == (
        "wrong_type",
        "wrong type (expected a number, got str)",
    )
    assert verdict(checker, "share", True)[0] == "wrong_type"
    status, message = verdict(checker, "share", pd.Series([0.25]))
    assert status == "wrong_type" and ".item()" in message
    assert verdict(checker, "count", 120) == ("right", "right")
    assert verdict(checker, "count", 121)[0] == "close"


def test_messages_never_reveal_the_expected_value(checker):
    for answer in (0.26, 0.4, 25, "x", -0.25):
        assert "0.25" not in checker.check("share", answer, show=False).message
    assert "120" not in checker.check("count", 100, show=False).message


def test_text_and_choices(checker):
    assert verdict(checker, "choice", "  champions ") == ("right", "right")
    assert verdict(checker, "choice", "lost") == ("wrong", "not right")
    assert verdict(checker, "choice", "whales") == (
        "wrong",
        "not one of the choices: Champions, At risk, Lost",
    )
    assert verdict(checker, "choice", 3)[0] == "wrong_type"
    assert verdict(checker, "flag", True) == ("right", "right")
    assert verdict(checker, "flag", "yes")[0] == "wrong_type"


def test_dataframes(checker):
    right = pd.DataFrame({"share": [0.75, 0.25], "n": [20, 10]}, index=["b", "a"])
    assert verdict(checker, "table", right) == ("right", "right")  # order-free
    assert verdict(checker, "table", right.rename(columns={"share": "pct"})) == (
        "wrong_columns",
        "wrong columns (missing: share; unexpected: pct)",
    )
    assert verdict(checker, "table", right.assign(share=right.share * 100)) == (
        "factor",
        "column 'share': off by a factor of 100 — did you use percent instead of a share?",
    )
    assert verdict(checker, "table", right.iloc[:1]) == (
        "wrong_shape",
        "wrong number of rows (expected 2, got 1)",
    )
    assert verdict(checker, "table", right.rename(index={"a": "c"})) == (
        "wrong_index",
        "wrong index (missing: a; unexpected: c)",
    )
    assert verdict(checker, "table", right.n)[0] == "wrong_type"


def test_series_and_lists(checker):
    s = pd.Series([1.0, 2.0, 3.0], index=["x", "y", "z"])
    assert verdict(checker, "series", s) == ("right", "right")
    assert verdict(checker, "series", s.to_frame()) == (
        "wrong_type",
        "wrong type (expected a Series, got DataFrame with one column; select it with df[name])",
    )
    assert verdict(checker, "series", s.iloc[:2]) == (
        "wrong_shape",
        "wrong length (expected 3 values, got 2)",
    )
    assert verdict(checker, "series", s * 1.5) == (
        "wrong",
        "3 of 3 values not right (first at 'x')",
    )
    assert verdict(checker, "values", np.array([1.0, 2.0])) == ("right", "right")
    assert verdict(checker, "values", [1.0, 2.5])[0] == "wrong"
    assert verdict(checker, "values", 1.0)[0] == "wrong_type"


def test_unknown_question_and_broken_expectations():
    c = Checker()
    assert c.check("q9", 1, show=False).status == "no_check"
    c.expect("q1", lambda: 1 / 0)
    r = c.check("q1", 1, show=False)
    assert r.status == "error" and "ZeroDivisionError" in r.message


def test_points_and_report():
    c = Checker()
    c.expect("q1", 1, points=2)
    c.expect("q2", 2)
    assert c.check("q1", 1, show=False).points == 2
    assert c.check("q1", 5, show=False).points == 0
    assert c.check("q1", 1, show=False).to_dict() == {
        "question": "q1",
        "status": "right",
        "message": "right",
        "points": 2,
        "max_points": 2,
    }
    assert [(r.question, r.status, r.points) for r in c.report(show=False)] == [
        ("q1", "right", 2),
        ("q2", "unanswered", 0),
    ]


def test_expected_values_are_computed_lazily_from_the_data():
    data = {"orders": pd.Series([10.0, 30.0])}
    c = Checker()
    c.expect("q1", lambda: data["orders"].mean())
    data["orders"] = pd.Series([10.0, 50.0])  # e.g. the student's own dataset loaded later
    assert c.check("q1", 30.0, show=False).status == "right"


def test_check_prints_its_verdict_outside_ipython(capsys):
    c = Checker()
    c.expect("q1", 3)
    c.check("q1", 4)
    assert capsys.readouterr().out == "q1: not right\n"


def test_registration_validates():
    with pytest.raises(ValueError, match="tolerances"):
        Checker().expect("q1", 1, rtol=-1)
    with pytest.raises(ValueError, match="question"):
        Checker().expect("", 1)


def test_expect_outside_a_key_computation_registers_nothing():
    # In a student's kernel (or a solutions sheet run as a notebook) expect() only validates.
    assert expect("q1", lambda: 1 / 0) is None
    with pytest.raises(ValueError, match="tolerances"):
        expect("q1", 1, rtol=-1)


def test_run_hidden_of_old_sheets_runs_nothing(capsys):
    namespace: dict = {}
    run_hidden("eCA9IDQx", namespace)  # base64 of "x = 41"
    assert "x" not in namespace and "older version" in capsys.readouterr().out


# ---------------------------------------------------------------- seeds


def test_student_seeds_are_stable_and_come_from_sha256():
    assert student_seed("ada.lovelace") == 36696968
    assert student_seed(" ADA.Lovelace ") == 36696968
    assert student_seed("ada.lovelace", course="crm-2025") != 36696968
    assert 0 <= student_seed("x") < 2**31
    assert len({student_seed(f"s{i:03d}") for i in range(200)}) == 200
    assert seed_for("ada.lovelace", 42) == 36696968
    assert seed_for("", 42) == 42 and seed_for(None, 7) == 7
    with pytest.raises(ValueError, match="student_id"):
        student_seed("  ")


def test_student_seed_is_the_same_in_another_process():
    out = subprocess.run(
        [sys.executable, "-m", "sim.course", "student-seed", "ada.lovelace"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "36696968"


@pytest.mark.parametrize("module", [checks_module, students_module, answers_module, widgets_module])
def test_docstring_examples_run(module):
    assert doctest.testmod(module).failed == 0


# ---------------------------------------------------------------- builder


def test_strip_code_placeholders():
    src = "x = 1\n# BEGIN SOLUTION\nanswer = x * 2\n# END SOLUTION\ncheck('q1', answer)"
    assert strip_code(src) == "x = 1\nanswer = ...  # your code here\ncheck('q1', answer)"
    multi = "# BEGIN SOLUTION\ntmp = 3\nanswer = tmp + 1\n# END SOLUTION"
    assert strip_code(multi) == "# YOUR CODE HERE\nanswer = ..."
    other = "# BEGIN SOLUTION\nprint('hi')\n# END SOLUTION"
    assert strip_code(other) == "# YOUR CODE HERE"
    nested = "def f(x):\n    # BEGIN SOLUTION\n    y = x + 1\n    return y\n    # END SOLUTION"
    assert strip_code(nested) == "def f(x):\n    # YOUR CODE HERE\n    ..."
    compile(strip_code(nested), "<test>", "exec")
    nbgrader_style = "### BEGIN SOLUTION\nanswer: float = 2.0\n### END SOLUTION"
    assert strip_code(nbgrader_style) == "answer = ...  # your code here"


def test_strip_markdown():
    md = "**Q3.** What would you recommend?\n\n<!-- BEGIN SOLUTION -->\nSpend on referrals.\n<!-- END SOLUTION -->"
    assert strip_markdown(md) == "**Q3.** What would you recommend?\n\n_Your answer here._"


@pytest.mark.parametrize(
    "src",
    [
        "# BEGIN SOLUTION\nx = 1",
        "x = 1\n# END SOLUTION",
        "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION",
    ],
)
def test_unbalanced_markers_are_errors(src):
    with pytest.raises(SolutionMarkerError):
        strip_code(src, "sheet.ipynb, cell 3")
    with pytest.raises(SolutionMarkerError):
        strip_markdown("<!-- BEGIN SOLUTION -->\nx")


def synthetic_solution(path):
    """A tiny solutions sheet with every construct the builder handles."""
    cells = [
        nbformat.v4.new_markdown_cell("# 99 · Demo sheet"),
        nbformat.v4.new_code_cell('student_id = ""\nseed = 42\nINTERACTIVE = True'),
        nbformat.v4.new_code_cell(
            "from sim.course import check, connect, expect, seed_for\n\n"
            "seed = seed_for(student_id, seed)\nvalues = [seed % 7, 3]\n"
            'connect("99_demo", student_id=student_id, seed=seed)'
        ),
        nbformat.v4.new_code_cell(
            'expect("q1", lambda: sum(values))\nexpect("q2", "yes", choices=["yes", "no"])'
        ),
        nbformat.v4.new_markdown_cell("**Q1.** Add the values."),
        nbformat.v4.new_code_cell(
            '# BEGIN SOLUTION\nanswer_1 = sum(values)\n# END SOLUTION\ncheck("q1", answer_1)',
            execution_count=4,
            outputs=[nbformat.v4.new_output("stream", name="stdout", text="q1: right\n")],
        ),
        nbformat.v4.new_markdown_cell(
            "**Q2.** Recommend?\n<!-- BEGIN SOLUTION -->\nYes, because.\n<!-- END SOLUTION -->"
        ),
        nbformat.v4.new_code_cell(
            '# BEGIN SOLUTION\nanswer_2 = "yes"\n# END SOLUTION\ncheck("q2", answer_2)'
        ),
    ]
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i}"
    cells[1].metadata["tags"] = ["parameters"]
    cells[3].metadata["tags"] = ["checks"]
    cells[5].metadata["collapsed"] = True
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"name": "crm-workbench", "display_name": "CRM", "language": "python"},
        "language_info": {"name": "python"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {}},
        "papermill": {"parameters": {}},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_builder_on_a_synthetic_sheet(tmp_path):
    sol = synthetic_solution(tmp_path / "solutions" / "99_demo_solutions.ipynb")
    exercises = tmp_path / "exercises"
    assert build_all(sol.parent, exercises) == []
    text = (exercises / "99_demo.ipynb").read_text(encoding="utf-8")
    nb = json.loads(text)
    assert nb["metadata"] == {
        "kernelspec": {"name": "crm-workbench", "display_name": "CRM", "language": "python"},
        "language_info": {"name": "python"},
    }
    # the checks cell (the key) is left out: exercise sheets carry no key code
    assert [c["id"] for c in nb["cells"]] == [f"cell-{i}" for i in range(8) if i != 3]
    assert [c["metadata"] for c in nb["cells"]] == [
        {},
        {"tags": ["parameters"]},
        {},
        {},
        {},
        {},
        {},
    ]
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert sources[4] == 'answer_1 = ...  # your code here\ncheck("q1", answer_1)'
    assert sources[5] == "**Q2.** Recommend?\n_Your answer here._"
    assert sources[6] == 'answer_2 = ...  # your code here\ncheck("q2", answer_2)'
    assert "expect(" not in text and "sum(values)" not in text
    assert sources[:3] == [
        "# 99 · Demo sheet",
        'student_id = ""\nseed = 42\nINTERACTIVE = True',
        "from sim.course import check, connect, expect, seed_for\n\n"
        "seed = seed_for(student_id, seed)\nvalues = [seed % 7, 3]\n"
        'connect("99_demo", student_id=student_id, seed=seed)',
    ]
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    # identical bytes on every rebuild, and the check mode agrees
    assert exercise_source(sol) == text
    assert build_all(sol.parent, exercises, check=True) == []
    (exercises / "99_demo.ipynb").write_text(text.replace("Add the", "Sum the"), encoding="utf-8")
    assert build_all(sol.parent, exercises, check=True) == [
        "99_demo.ipynb: out of sync with 99_demo_solutions.ipynb (run `make exercises`)"
    ]
    (exercises / "98_orphan.ipynb").write_text(text, encoding="utf-8")
    assert "98_orphan.ipynb: no solutions sheet 98_orphan_solutions.ipynb" in build_all(
        sol.parent, exercises, check=True
    )


def test_committed_exercises_are_in_sync_with_solutions(tmp_path):
    assert build_all(SOLUTIONS_DIR, EXERCISES_DIR, check=True) == []


def test_cli_build_check_exit_code(tmp_path, capsys):
    sol = synthetic_solution(tmp_path / "solutions" / "99_demo_solutions.ipynb")
    args = ["build-exercises", "--solutions", str(sol.parent), "--exercises", str(tmp_path / "ex")]
    assert cli_main([*args, "--check"]) == 1
    assert "99_demo.ipynb: missing" in capsys.readouterr().err
    assert cli_main(args) == 0
    assert cli_main([*args, "--check"]) == 0
    assert "in sync" in capsys.readouterr().out


# ---------------------------------------------------------------- grader


def test_collect_results_reads_check_outputs():
    result = {
        "question": "q1",
        "status": "wrong",
        "message": "not right",
        "points": 0,
        "max_points": 1,
    }
    again = dict(result, status="right", message="right", points=1)
    cell = nbformat.v4.new_code_cell(
        "",
        outputs=[
            nbformat.v4.new_output(
                "display_data", data={"text/plain": "q1: not right", CHECK_MIME: result}
            ),
            nbformat.v4.new_output(
                "display_data", data={"text/plain": "q1: right", CHECK_MIME: again}
            ),
        ],
    )
    assert collect_results(nbformat.v4.new_notebook(cells=[cell])) == [again]


@pytest.mark.notebooks
@pytest.mark.timeout(300)
def test_grader_on_two_synthetic_submissions(tmp_path, capsys):
    sol = synthetic_solution(tmp_path / "solutions" / "99_demo_solutions.ipynb")
    build_all(sol.parent, tmp_path / "exercises")
    subs = tmp_path / "submissions"

    def submit(student: str, edits: dict[str, str]) -> None:
        nb = nbformat.read(tmp_path / "exercises" / "99_demo.ipynb", as_version=4)
        for cell in nb.cells:
            for old, new in edits.items():
                cell.source = cell.source.replace(old, new)
        (subs / student).mkdir(parents=True)
        nbformat.write(nb, subs / student / "99_demo.ipynb")

    submit(
        "ada",
        {
            "answer_1 = ...  # your code here": "answer_1 = sum(values)",
            "answer_2 = ...  # your code here": 'answer_2 = "Yes"',
        },
    )
    submit(
        "bob",
        {
            "answer_1 = ...  # your code here": "answer_1 = 100 * sum(values)",
            "answer_2 = ...  # your code here": "answer_2 = undefined_name",
            # a check definition added by the student counts for nothing
            "connect(": "expect('q1', 100 * sum(values))\nconnect(",
        },
    )
    out = tmp_path / "gradebook.csv"
    args = ["grade", str(subs), "--out", str(out), "--solutions", str(sol.parent)]
    assert cli_main([*args, "--cwd", str(tmp_path), "--timeout", "60"]) == 0
    assert "ada" in capsys.readouterr().out
    with out.open(encoding="utf-8") as f:
        rows = [(r["student"], r["question"], r["status"], r["points"]) for r in csv.DictReader(f)]
    assert rows == [
        ("ada", "q1", "right", "1"),
        ("ada", "q2", "right", "1"),
        ("ada", "q2-written", "manual", "0"),
        ("ada", "TOTAL", "executed", "2"),
        ("bob", "q1", "factor", "0"),
        ("bob", "q2", "unanswered", "0"),
        ("bob", "q2-written", "manual", "0"),
        ("bob", "TOTAL", "error", "0"),
    ]
    with out.open(encoding="utf-8") as f:
        bob_total = [r for r in csv.DictReader(f) if r["student"] == "bob"][-1]
    assert "NameError" in bob_total["message"] and bob_total["max_points"] == "2"
    executed = nbformat.read(
        tmp_path / "gradebook_executed" / "ada" / "99_demo.ipynb", as_version=4
    )
    # only the parameters the sheet declares (it declares INTERACTIVE)
    assert executed.metadata.papermill.parameters == {"student_id": "ada", "INTERACTIVE": False}
    with (tmp_path / "gradebook_wide.csv").open(encoding="utf-8") as f:
        wide = list(csv.reader(f))
    assert wide[0] == [
        "Student",
        "SIS User ID",
        "99_demo",
        "99_demo:q1",
        "99_demo:q2",
        "99_demo:q2-written",
    ]
    assert wide[1:] == [
        ["Points Possible", "", "2", "1", "1", ""],
        ["ada", "ada", "2", "1", "1", ""],
        ["bob", "bob", "0", "0", "0", ""],
    ]
    page = (tmp_path / "feedback" / "ada.html").read_text(encoding="utf-8")
    assert "Yes, because." in page  # the rubric of the written answer
