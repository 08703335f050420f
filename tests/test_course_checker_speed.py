"""What the course's start-up savings must not change (issue 9 §6).

``import sim`` and ``sim.analytics`` resolve their names lazily (PEP 562),
``sim.course`` reads sheets as JSON instead of importing nbformat, the checker
process computes the expected values in a background thread and runs in its
own session. These tests pin the behaviour those shortcuts could break: every
public name is still reachable and is the same object, the heavy modules stay
out of a fresh process, the JSON reader sees the same sheets as nbformat, and
the checker gives the same verdicts (a right answer passes, a known mistake
gets its hint, a broken key fails the same way). Timing is in
tests/benchmarks/bench_notebooks.py, not here.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

import sim
import sim.analytics
from sim.course import answer_key, checker
from sim.course.checks import Question
from sim.course.exercises import SOLUTIONS_DIR

ROOT = Path(__file__).resolve().parents[1]

# name -> (module, attribute) as sim/__init__.py imported them eagerly before
SIM_NAMES = {
    "Dataset": ("sim.data.dataset", "Dataset"),
    "DatasetError": ("sim.data.dataset", "DatasetError"),
    "Scenario": ("sim.scenario", "Scenario"),
    "ScenarioError": ("sim.scenario", "ScenarioError"),
    "SchemaError": ("sim.data.schema", "SchemaError"),
    "calibration_report": ("sim.analytics.calibration", "calibration_report"),
    "course_dataset": ("sim.compose", "course_dataset"),
    "load": ("sim.data.dataset", "load"),
    "load_scenario": ("sim.scenario", "load_scenario"),
    "preset": ("sim.scenario", "preset"),
    "preset_names": ("sim.scenario", "preset_names"),
    "regenerate": ("sim.compose", "regenerate"),
    "simulate": ("sim.compose", "simulate"),
    "sweep": ("sim.studio.sweep", "run_sweep"),
}
ANALYTICS = [
    "acquisition",
    "campaigns",
    "clv",
    "intervals",
    "journeys",
    "loyalty",
    "quality",
    "retention",
    "rfm",
    "service",
]


def _fresh(code: str) -> dict:
    """Run ``code`` in a new interpreter on this tree; it prints one JSON object."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ lazy names


def test_every_public_name_of_sim_is_the_object_it_was():
    assert sorted(sim.__all__) == sorted(SIM_NAMES)
    for name, (module, attr) in SIM_NAMES.items():
        assert getattr(sim, name) is getattr(importlib.import_module(module), attr), name
    namespace: dict = {}
    exec("from sim import *", namespace)
    assert set(SIM_NAMES) <= set(namespace)
    assert set(SIM_NAMES) <= set(dir(sim)) and "analytics" in dir(sim)
    with pytest.raises(AttributeError, match="module 'sim' has no attribute 'no_such_name'"):
        sim.no_such_name  # noqa: B018


def test_every_analytics_module_is_reachable_both_ways():
    assert sorted(sim.analytics.__all__) == ANALYTICS
    for name in [*ANALYTICS, "customer360", "calibration"]:
        module = importlib.import_module(f"sim.analytics.{name}")
        assert getattr(sim.analytics, name) is module
        namespace: dict = {}
        exec(f"from sim.analytics import {name}", namespace)
        assert namespace[name] is module
    assert sim.analytics.rfm.__name__ == "sim.analytics.rfm"
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        sim.analytics.nope  # noqa: B018


def test_a_fresh_import_leaves_the_heavy_modules_out_until_a_name_needs_them():
    got = _fresh(
        "import json, sys\n"
        "import sim, sim.analytics\n"
        "bare = {m: m in sys.modules for m in ('pandas', 'scipy.stats', 'simpy', 'nbformat')}\n"
        "import sim.course\n"
        "course = {m: m in sys.modules for m in ('scipy.stats', 'nbformat', 'jsonschema')}\n"
        "from sim.analytics import intervals, campaigns, loyalty, customer360\n"
        "modules = {m: m in sys.modules for m in ('scipy.stats',)}\n"
        "w = intervals.wilson_interval(3, 10)\n"
        "late = {m: m in sys.modules for m in ('scipy.stats',)}\n"
        "ds = sim.course_dataset\n"
        "print(json.dumps({'bare': bare, 'course': course, 'modules': modules,\n"
        "                  'late': late, 'low': w['low'], 'simpy': 'simpy' in sys.modules}))\n"
    )
    assert got["bare"] == {"pandas": False, "scipy.stats": False, "simpy": False, "nbformat": False}
    assert got["course"] == {"scipy.stats": False, "nbformat": False, "jsonschema": False}
    # the four modules import without scipy.stats; a function that needs it imports it
    assert got["modules"] == {"scipy.stats": False}
    assert got["late"] == {"scipy.stats": True}
    # Wilson 3/10 at 95 %: (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n) = 0.107791
    assert got["low"] == pytest.approx(0.107791, abs=1e-6)
    assert got["simpy"] is True  # sim.course_dataset resolved: compose (and the world) loaded


# ------------------------------------------------------------------ sheets as JSON


@pytest.mark.parametrize(
    "path", sorted(SOLUTIONS_DIR.glob("[0-9][0-9]_*_solutions.ipynb")), ids=lambda p: p.stem[:2]
)
def test_the_json_reader_sees_the_cells_nbformat_sees(path):
    ours = answer_key._read_cells(path)
    theirs = nbformat.read(path, as_version=4).cells
    assert [(c.cell_type, c.get("id"), c.source) for c in ours] == [
        (c.cell_type, c.get("id"), c.source) for c in theirs
    ]
    assert [answer_key._tags(c) for c in ours] == [answer_key._tags(c) for c in theirs]
    spec = answer_key.read_sheet(path)
    assert spec.key_cells and len(spec.answer_names) >= 5


def test_a_notebook_not_in_format_4_is_refused_in_one_line(tmp_path):
    old = tmp_path / "97_old_solutions.ipynb"
    old.write_text(json.dumps({"nbformat": 3, "worksheets": []}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"^97_old_solutions.ipynb: not a notebook in format 4"):
        answer_key.read_sheet(old)
    broken = tmp_path / "96_broken_solutions.ipynb"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^96_broken_solutions.ipynb: not a notebook \(invalid"):
        answer_key.read_sheet(broken)


# ------------------------------------------------------------------ the checker's verdicts


def test_background_precompute_evaluates_in_order_and_leaves_failures_to_the_check():
    calls = []
    good = Question("q1", lambda: calls.append("q1") or 0.25)
    bad = Question("q2", lambda: calls.append("q2") or 1 / 0)
    later = Question("q3", lambda: calls.append("q3") or 7)
    locks = {q: threading.Lock() for q in ("q1", "q2", "q3")}
    checker._precompute([good, bad, later], locks)
    assert calls == ["q1", "q2", "q3"]
    assert good.expected == 0.25 and later.expected == 7
    assert callable(bad.expected) and bad.error == ""  # fails again, at its check


def test_precompute_waits_for_a_check_holding_the_lock():
    lock = threading.Lock()
    q = Question("q1", lambda: 3)
    with lock:
        worker = threading.Thread(target=checker._precompute, args=([q], {"q1": lock}))
        worker.start()
        worker.join(0.2)
        assert worker.is_alive() and callable(q.expected)  # blocked behind the check
    worker.join(30)
    assert q.expected == 3


def test_a_check_does_not_wait_behind_a_later_question_being_computed():
    # sheet 10: q2 is arithmetic, q3 two simulations; q2's check must not wait for q3
    release = threading.Event()
    quick = Question("q2", lambda: 0.129)
    slow = Question("q3", lambda: release.wait(60) and 0.02)
    locks = {"q2": threading.Lock(), "q3": threading.Lock()}
    worker = threading.Thread(target=checker._precompute, args=([quick, slow], locks))
    worker.start()
    try:
        for _ in range(600):  # until the thread holds q3's lock (q2 is done by then)
            if locks["q3"].locked():
                break
            threading.Event().wait(0.05)
        assert quick.expected == 0.129 and callable(slow.expected)
        assert locks["q2"].acquire(timeout=5)  # what a check of q2 takes: free at once
        locks["q2"].release()
        assert not locks["q3"].acquire(timeout=0.2)  # a check of q3 waits for its value
    finally:
        release.set()
        worker.join(30)
    assert slow.expected == 0.02


def demo_sheet(folder: Path) -> Path:
    """A small solutions sheet: a right value, a known mistake with its hint, a broken key."""
    cells = [
        nbformat.v4.new_code_cell('student_id = ""\nseed = 0'),
        nbformat.v4.new_code_cell(
            "from sim.course import check, connect, expect\n"
            'values = [2.0, 3.0, 5.0]\nconnect("95_speed", student_id=student_id, seed=seed)'
        ),
        nbformat.v4.new_code_cell(
            'expect("q1", lambda: sum(values) / len(values), '
            'mistakes={"did you divide by 2 instead of the count?": lambda: sum(values) / 2})\n'
            'expect("q2", lambda: values[10])\n'
            'expect("q3", lambda: max(values))'
        ),
        nbformat.v4.new_code_cell('check("q1", answer_q1)\ncheck("q2", answer_q2)'),
    ]
    for i, cell in enumerate(cells):
        cell.id = f"cell-{i}"
    cells[0].metadata["tags"] = ["parameters"]
    cells[2].metadata["tags"] = ["checks"]
    path = folder / "95_speed_solutions.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_the_checker_process_gives_the_verdicts_it_gave_before(tmp_path, monkeypatch):
    demo_sheet(tmp_path)
    monkeypatch.delenv(checker.GRADING_ENV, raising=False)
    session = checker.Session("95_speed", "ada", solutions_dir=tmp_path)
    try:
        session.start()
        # its own session: ipykernel's shutdown does not wait for it
        assert os.getsid(session._proc.pid) == session._proc.pid != os.getsid(0)
        right = session.check("q1", 10 / 3, show=False)
        assert (right.status, right.points) == ("right", 1.0)
        mistake = session.check("q1", 5.0, show=False)
        assert (mistake.status, mistake.message) == (
            "wrong",
            "not right — did you divide by 2 instead of the count?",
        )
        assert session.check("q1", 333.3333, show=False).status == "factor"
        broken = session.check("q2", 1.0, show=False)
        assert broken.status == "error"
        assert broken.message == "the check itself failed (IndexError: list index out of range)"
        assert session.check("q3", 5.0, show=False).status == "right"
        assert [r.status for r in session.report(show=False)] == ["factor", "error", "right"]
    finally:
        session.close()


def test_the_checker_ends_when_its_kernel_is_killed(tmp_path):
    # the kernel's atexit cannot run under SIGKILL: the checker sees its stdin close and exits
    demo_sheet(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(checker.GRADING_ENV, None)
    code = (
        "import sys\nfrom sim.course.checker import Session\n"
        f"s = Session('95_speed', 'ada', solutions_dir={str(tmp_path)!r})\n"
        "print(s.check('q3', 5.0, show=False).status, s._proc.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    kernel = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    status, pid = kernel.stdout.readline().decode().split()
    assert status == "right"
    kernel.kill()
    kernel.wait(30)
    for _ in range(300):  # up to 30 s on a busy machine
        try:
            os.kill(int(pid), 0)
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split()[2] == "Z":  # ended, waiting for init to reap it
                    break
        except (ProcessLookupError, FileNotFoundError):
            break
        threading.Event().wait(0.1)
    else:
        os.kill(int(pid), 9)
        pytest.fail("the checker outlived its kernel")


def test_forgetting_the_course_datasets_reloads_the_same_data():
    from sim import compose

    first = compose.course_dataset()
    assert compose._cached_load.cache_info().currsize >= 1
    compose.forget_course_datasets()
    assert compose._cached_load.cache_info().currsize == 0
    assert compose._cached_simulation.cache_info().currsize == 0
    again = compose.course_dataset()
    assert again.checksums() == first.checksums()
    assert compose._cached_load.cache_info().currsize == 1
