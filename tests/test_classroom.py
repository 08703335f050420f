"""Class datasets from a roster, the student release, and ``python -m sim lab`` without make.

A three-student roster at a tiny size (300 customers, half a year) is built in
parallel, then rebuilt: the rerun simulates nothing and skips all three. Bad
rosters fail before any work with one message naming the rows. The release is
written into a temporary folder and searched for anything of the solutions:
their files, their markers, their code.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import nbformat
import pytest

import sim
from sim.compose import FRESH_CUSTOMERS
from sim.course import classroom, student_seed
from sim.course.classroom import (
    RELEASE_MANIFEST,
    SUMMARY,
    ReleaseError,
    RosterError,
    class_datasets,
    class_scenario,
    dataset_fingerprint,
    read_roster,
    release,
)
from sim.data.dataset import read_manifest

REPO = Path(__file__).resolve().parents[1]
TINY = {"customers": 300, "years": 0.5}


def write_roster(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def never_called(*args, **kwargs):
    raise AssertionError("a student was simulated although nothing had to be built")


def read_summary(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- roster


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["name", "email"], ["Ada", "ada@x"]], r"no 'student_id' column \(line 1 has 'name'"),
        ([["student_id", "name"], ["ada", "Ada"], ["", "Bob"]], r"line 3: empty student_id"),
        (
            [["student_id"], ["ada"], ["grace"], [" ADA "]],
            r"line 4: student_id 'ADA' repeats line 2",
        ),
        ([["student_id", "seed"], ["ada", "1"]], r"columns \['seed'\] clash"),
        ([["student_id"]], r"lists no students"),
    ],
    ids=["no-column", "empty-id", "duplicate", "clash", "empty"],
)
def test_a_bad_roster_fails_before_any_work(tmp_path, rows, message):
    roster = write_roster(tmp_path / "roster.csv", rows)
    out = tmp_path / "class"
    with pytest.raises(RosterError, match=message):
        class_datasets(roster, out, workers=1, builder=never_called, progress=False, **TINY)
    assert not out.exists(), "the class folder was created for a bad roster"


def test_roster_keeps_other_columns_and_seeds_like_the_sheets(tmp_path):
    roster = write_roster(
        tmp_path / "r.csv",
        [["student_id", "name"], [" Ada.Lovelace ", "Ada"], ["José Ñúñez", "José"], ["", ""]],
    )
    students = read_roster(roster)
    assert [s.student_id for s in students] == ["Ada.Lovelace", "José Ñúñez"]  # blank line skipped
    assert (
        students[0].seed == student_seed("ada.lovelace") == sim.course.seed_for("Ada.Lovelace", 0)
    )
    assert students[0].folder == "ada.lovelace"
    assert re.fullmatch(r"[a-z0-9._-]+", students[1].folder)
    assert students[1].row == {"student_id": "José Ñúñez", "name": "José"}


def test_the_class_scenario_is_what_an_exercise_sheet_simulates():
    # course_dataset(seed=s) simulates the default dataset's scenario at FRESH_CUSTOMERS.
    stored = sim.Scenario.from_dict(read_manifest(REPO / "datasets" / "default")["scenario"])
    fresh = stored.with_overrides({"population": {"customers": FRESH_CUSTOMERS}})
    assert class_scenario() == fresh
    assert class_scenario().population.customers == FRESH_CUSTOMERS


# ---------------------------------------------------------------- class datasets


@pytest.fixture(scope="module")
def built_class(tmp_path_factory):
    """Three tiny datasets built with two worker processes; (roster, out, summary rows)."""
    tmp = tmp_path_factory.mktemp("class")
    roster = write_roster(
        tmp / "roster.csv",
        [["student_id", "name"], ["ada", "Ada"], ["Grace.Hopper", "Grace"], ["alan t", "Alan"]],
    )
    out = tmp / "class"
    rows = class_datasets(roster, out, workers=2, progress=False, **TINY)
    return roster, out, rows


def test_class_datasets_builds_every_student(built_class):
    roster, out, rows = built_class
    assert [r["status"] for r in rows] == ["built"] * 3, rows
    assert read_summary(out / SUMMARY) == rows
    assert [r["name"] for r in rows] == ["Ada", "Grace", "Alan"]  # roster columns kept, in order
    for row, sid in zip(rows, ["ada", "Grace.Hopper", "alan t"], strict=True):
        folder = out / row["folder"]
        ds = sim.load(folder)  # a complete, verified dataset with its own manifest
        manifest = read_manifest(folder)
        assert manifest["seed"] == int(row["seed"]) == student_seed(sid)
        assert manifest["scenario"]["population"]["customers"] == TINY["customers"]
        assert row["fingerprint"] == dataset_fingerprint(folder) == dataset_fingerprint(ds)
        assert int(row["rows_orders"]) == len(ds.orders) > 0
        assert int(row["rows_customers"]) == len(ds.customers)
        assert row["package_version"] == manifest["package_version"]
        assert row["error"] == ""
    assert len({r["fingerprint"] for r in rows}) == 3, "two students share a dataset"


def test_a_rerun_skips_every_finished_student(built_class, monkeypatch):
    roster, out, first = built_class
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*/manifest.json")}
    rows = class_datasets(roster, out, workers=2, progress=False, builder=never_called, **TINY)
    assert [r["status"] for r in rows] == ["skipped"] * 3
    assert [r["fingerprint"] for r in rows] == [r["fingerprint"] for r in first]
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*/manifest.json")} == before


def test_another_scenario_is_not_replaced_without_force(built_class, tmp_path):
    roster, out, first = built_class
    calls = []

    def counting(folder, scenario, seed, overwrite):
        calls.append((Path(folder).name, overwrite))
        return read_manifest(folder)  # pretend: the folder is left as it is

    rows = class_datasets(
        roster, out, workers=1, progress=False, builder=counting, customers=300, years=0.25
    )
    assert calls == [] and {r["status"] for r in rows} == {"failed"}
    assert "another scenario or seed" in rows[0]["error"] and "--force" in rows[0]["error"]
    rows = class_datasets(
        roster,
        out,
        workers=1,
        progress=False,
        builder=counting,
        customers=300,
        years=0.25,
        force=True,
    )
    assert sorted(calls) == sorted((r["folder"], True) for r in first)
    # the summary reflects the last run; restore it for the other tests
    class_datasets(roster, out, workers=1, progress=False, builder=never_called, **TINY)


def test_one_failing_student_does_not_stop_the_class(tmp_path):
    roster = write_roster(tmp_path / "r.csv", [["student_id"], ["ok"], ["bad"]])

    def flaky(folder, scenario, seed, overwrite):
        if Path(folder).name == "bad":
            raise RuntimeError("disk full")
        Path(folder).mkdir()
        return {"rows": {"orders": 1}, "checksums": {"orders": "x"}, "package_version": "v"}

    rows = class_datasets(roster, tmp_path / "c", workers=1, progress=False, builder=flaky)
    assert [r["status"] for r in rows] == ["built", "failed"]
    assert rows[1]["error"] == "RuntimeError: disk full"


def test_command_line_reports_a_bad_roster_in_one_line(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    classroom.register(sub)
    roster = write_roster(tmp_path / "r.csv", [["id"], ["ada"]])
    args = parser.parse_args(["class-datasets", str(roster), "--out", str(tmp_path / "c")])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no 'student_id' column" in err


def test_fingerprint_is_the_same_in_memory_and_on_disk():
    manifest = read_manifest(REPO / "datasets" / "default")
    expected = hashlib.sha256(
        json.dumps(
            {"algorithm": manifest["checksum_algorithm"], "checksums": manifest["checksums"]},
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
    ).hexdigest()
    assert dataset_fingerprint(manifest) == dataset_fingerprint(REPO / "datasets/default")
    assert dataset_fingerprint(manifest) == expected


# ---------------------------------------------------------------- release


def solution_code_lines() -> set[str]:
    """Lines inside the solutions' BEGIN/END SOLUTION regions that no exercise sheet has."""
    inside, found = False, set()
    for path in sorted((REPO / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for line in cell.source.splitlines():
                if re.match(r"\s*(#+|<!--)\s*BEGIN SOLUTION", line):
                    inside = True
                elif re.match(r"\s*(#+|<!--)\s*END SOLUTION", line):
                    inside = False
                elif inside and len(line.strip()) >= 20:
                    found.add(line.strip())
    taught = "\n".join(
        cell.source
        for folder in ("exercises", "notebooks")
        for path in sorted((REPO / folder).glob("*.ipynb"))
        for cell in nbformat.read(path, as_version=4).cells
    )
    return {line for line in found if line not in taught}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "crm-course"
    info = release(out)
    return out, info


def test_release_holds_what_students_need(released):
    out, info = released
    for rel in [
        "pyproject.toml",
        "README.md",
        "environment.yml",
        "Makefile",
        "START_HERE.md",
        "sim/__init__.py",
        "sim/course/checks.py",
        "notebooks/00_welcome.ipynb",
        "exercises/04_segmentation.ipynb",
        "datasets/README.md",
        "datasets/default/manifest.json",
        "datasets/default/orders/part-europe_middle_east_africa.parquet",
        "datasets/reference/cdnow/README.md",
    ]:
        assert (out / rel).is_file(), rel
    for folder in ("notebooks", "exercises"):
        assert sorted(p.name for p in (out / folder).glob("*.ipynb")) == sorted(
            p.name for p in (REPO / folder).glob("*.ipynb")
        )
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert info["package_version"] == version
    assert info == json.loads((out / RELEASE_MANIFEST).read_text(encoding="utf-8"))
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert on_disk == sorted([*info["files"], RELEASE_MANIFEST])
    for rel, digest in info["files"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest, rel
    assert info["datasets"]["datasets/default"] == dataset_fingerprint(out / "datasets/default")
    start = (out / "START_HERE.md").read_text()
    assert "python -m pip install -e ." in start and "python -m sim lab" in start


def test_release_holds_no_solutions(released):
    out, _ = released
    files = [p for p in out.rglob("*") if p.is_file()]
    paths = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert not [p for p in paths if "solutions" in p.split("/") or "_solutions" in p]
    assert not [p for p in paths if "__pycache__" in p or p.endswith(".pyc")]
    secret = solution_code_lines()
    assert secret, "no solution code found in solutions/ to look for"
    marker = re.compile(r"^\s*(#+\s*BEGIN SOLUTION|<!--\s*BEGIN SOLUTION)", re.M)
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # Parquet
        rel = path.relative_to(out).as_posix()
        if path.suffix == ".ipynb":
            cells = nbformat.reads(text, as_version=4).cells
            text = "\n".join(c.source for c in cells)
            # course material never points at a solution sheet
            assert not re.search(r"solutions/|_solutions\.ipynb", text), rel
        assert not marker.search(text), f"{rel} holds a solution marker"
        leaked = [line for line in secret if line in text]
        assert not leaked, f"{rel} holds solution code: {leaked[:3]}"


def test_release_notebooks_find_their_files_from_the_release_root(released):
    out, _ = released
    link = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")
    for path in sorted((out / "notebooks").glob("*.ipynb")) + sorted(
        (out / "exercises").glob("*.ipynb")
    ):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                for target in link.findall(cell.source):
                    resolved = (path.parent / target.split("#")[0]).resolve()
                    assert resolved.exists(), f"{path.name}: link {target} is broken"
                    assert resolved.is_relative_to(out.resolve()), f"{path.name}: {target}"
    # The released package, not this checkout's (no site: the editable finder stays out).
    site_packages = sysconfig.get_paths()["purelib"]
    code = (
        "import sim, sim.course; from sim.compose import default_dataset_path;"
        "ds = sim.course_dataset(); print(sim.__file__); print(default_dataset_path());"
        "print(len(ds.customers))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(out), site_packages]))
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=out / "notebooks",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    package, dataset, customers = proc.stdout.split()
    assert Path(package).resolve() == (out / "sim" / "__init__.py").resolve()
    assert Path(dataset).resolve() == (out / "datasets" / "default").resolve()
    assert int(customers) > 0


def test_release_refuses_a_folder_it_did_not_write(tmp_path):
    out = tmp_path / "rel"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="not written by"):
        release(out, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_release_replaces_its_own_folder_only_with_force(released, tmp_path):
    src, _ = released
    out = tmp_path / "rel"
    release(out)
    with pytest.raises(ReleaseError, match="pass --force"):
        release(out)
    (out / "sim" / "__pycache__").mkdir()  # trying the release out leaves caches: fine
    (out / "sim" / "__pycache__" / "x.pyc").write_bytes(b"")
    release(out, force=True)
    assert not (out / "sim" / "__pycache__").exists()
    (out / "notebooks" / "my_notes.ipynb").write_text("{}")
    with pytest.raises(ReleaseError, match=r"did not write \(notebooks/my_notes.ipynb\)"):
        release(out, force=True)
    assert (out / "notebooks" / "my_notes.ipynb").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary left behind"


def test_release_refuses_a_notebook_holding_a_solution_marker(tmp_path):
    repo = tmp_path / "repo"
    for rel in ["pyproject.toml", "README.md", "datasets/README.md", "sim/__init__.py"]:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes((REPO / rel).read_bytes())
    (repo / "datasets" / "default").mkdir()
    for file in (REPO / "datasets" / "default").iterdir():
        (repo / "datasets" / "default" / file.name).symlink_to(file)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("# BEGIN SOLUTION\nanswer = 42\n# END SOLUTION")]
    (repo / "notebooks").mkdir()
    nbformat.write(nb, repo / "notebooks" / "05_clv.ipynb")
    with pytest.raises(ReleaseError, match=r"solution markers: notebooks/05_clv.ipynb \(line 1\)"):
        release(tmp_path / "out", repo=repo)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- python -m sim lab


@pytest.fixture
def fake_course(tmp_path, monkeypatch):
    """A course folder with the welcome notebook and no dataset; the simulate run and sim.course.lab recorded."""
    import subprocess

    import sim.compose
    import sim.course.lab

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_welcome.ipynb").write_text("{}")
    dataset = tmp_path / "datasets" / "default"
    calls: dict[str, list] = {"simulate": [], "lab": []}

    def simulate(command):
        argv = list(command)[3:]  # [python, -m, sim, simulate, ...]
        calls["simulate"].append(argv)
        dataset.mkdir(parents=True)
        (dataset / "manifest.json").write_text("{}")
        return 0

    monkeypatch.setattr(sim.compose, "default_dataset_path", lambda: dataset)
    monkeypatch.setattr(subprocess, "call", simulate)
    monkeypatch.setattr(sim.course.lab, "main", lambda argv: calls["lab"].append(argv) or 0)
    return dataset, calls


def test_lab_creates_the_default_dataset_once_then_starts_jupyterlab(fake_course):
    dataset, calls = fake_course
    assert classroom.lab(port=8890, browser=False) == 0
    assert calls["simulate"] == [["simulate", "--scenario", "default", "--out", str(dataset)]]
    assert calls["lab"] == [["--port=8890", "--no-browser"]]
    assert classroom.lab() == 0
    assert len(calls["simulate"]) == 1 and calls["lab"][-1] == []


def test_lab_without_the_course_next_to_the_package_says_what_to_run(fake_course, tmp_path, capsys):
    (tmp_path / "notebooks" / "00_welcome.ipynb").unlink()
    assert classroom.lab() == 2
    assert "python -m pip install -e ." in capsys.readouterr().err


def test_register_lab_adds_the_lab_command(fake_course):
    _, calls = fake_course
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    classroom.register_lab(sub)
    args = parser.parse_args(["lab", "--port", "9000"])
    assert args.func(args) == 0
    assert calls["lab"] == [["--port=9000"]]


def test_docstring_examples_run():
    import doctest

    assert doctest.testmod(classroom).failed == 0
