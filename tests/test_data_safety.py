"""Data is never lost: only workbench folders are replaced, one writer at a time, atomically.

Covers the rules of :mod:`sim.data.dataset` for writing folders: a folder is a
dataset only by a manifest the workbench wrote (format marker + list of files);
overwriting replaces exactly those files and refuses anything else, naming it;
every problem with the output path is reported before simulating; of two
writers exactly one succeeds; a killed writer's leftovers are cleaned (or its
half-done swap rolled back) by the next run, a live writer's never; messages
say what is on disk; the manifest's bytes are deterministic. The races and
kills are real: separate processes, SIGKILL and SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli import assert_one_line_error as assert_one_line
from test_cli import run
from test_dataset import tiny_dataset

from sim import compose
from sim.data import dataset as dsmod
from sim.data import schema
from sim.data.dataset import Dataset, DatasetError, InterruptedAfterSave, load, writing
from sim.scenario import preset

TESTS = Path(__file__).resolve().parent
PARQUET = sorted(f"{t}.parquet" for t in schema.TABLES)
SMALL = ["--customers", "300", "--years", "0.5"]  # a real simulation of about a second


# --------------------------------------------------------------------------- helpers
def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to prove nothing changed)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Replace the simulation with the tiny hand-built dataset; record the calls."""
    calls: list[tuple] = []

    def simulate(scenario, seed, progress=False, workers=1, client=None):
        calls.append((scenario, seed, progress))
        return tiny_dataset(seed=seed)

    def simulate_to(path, scenario, seed, progress=False, overwrite=False, **run):
        # The CLI's streamed save, through the same fake.
        ds = simulate(scenario, seed, progress, **run)
        ds.save(path, overwrite=overwrite)
        return ds.summary()["rows"].to_dict()

    monkeypatch.setattr(compose, "simulate", simulate)
    monkeypatch.setattr(compose, "simulate_to", simulate_to)
    return calls


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A simulation that must never start: output problems are found before it."""

    def simulate(*args, **kwargs):
        raise AssertionError("simulated although the output folder could not be written")

    monkeypatch.setattr(compose, "simulate", simulate)
    monkeypatch.setattr(compose, "simulate_to", simulate)


def python_m_sim(*argv: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# A writer in its own process whose save prints "paused" and stops at a chosen
# point until the file GO exists (or until it is killed): a live writer, or one
# to kill, at a known moment. Point "fill": after the first table is written; point "aside":
# between the two renames of the swap used where renameat2 is unavailable.
DRIVER = """
import os, sys, time
sys.path.insert(0, {tests!r})
from test_dataset import tiny_dataset
from sim.data import dataset as d

path, point, seed, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

def wait():
    if os.path.exists(go):
        return
    print("paused", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)

if point == "fill":
    real_write = d._write_parquet
    def slow_write(name, df, file):
        real_write(name, df, file)
        wait()
    d._write_parquet = slow_write
elif point == "aside":
    d._exchange = lambda a, b: False
    real_rename = os.rename
    def slow_rename(src, dst):
        real_rename(src, dst)
        if ".old-" in os.path.basename(dst):
            wait()
    os.rename = slow_rename
tiny_dataset(seed=seed).save(path, overwrite=True)
print("saved")
"""


@pytest.fixture
def driver(tmp_path: Path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(tests=str(TESTS)))
    go = tmp_path / "GO"

    def start(path: Path, point: str, seed: int = 1) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(script), str(path), point, str(seed), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    start.go = go  # type: ignore[attr-defined]
    return start


def wait_until(condition, proc: subprocess.Popen[str], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            raise AssertionError(f"process ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def wait_paused(proc: subprocess.Popen[str]) -> None:
    """Block until the driver says it has stopped at its point."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line != "paused\n":
        raise AssertionError(f"driver did not pause: {line!r} {proc.communicate()}")


def hidden(parent: Path, name: str, kind: str) -> list[Path]:
    return sorted(parent.glob(f".{name}.{kind}-*"))


# --------------------------------------------------------------------------- what a dataset is
def test_manifest_lists_every_file_written(tmp_path: Path) -> None:
    out = tiny_dataset().save(tmp_path / "d", csv=True)
    files = json.loads((out / "manifest.json").read_text())["files"]
    expected = PARQUET + sorted(f"csv/{t}.csv" for t in schema.TABLES) + ["manifest.json"]
    assert files == sorted(expected)
    assert files == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def test_user_files_in_a_dataset_block_force_and_are_named(
    capsys, tmp_path: Path, no_engine
) -> None:
    out = tiny_dataset().save(tmp_path / "d")
    (out / "notes.md").write_text("my findings")
    (out / "figures").mkdir()
    (out / "figures" / "chart.png").write_bytes(b"png")
    before = tree(out)
    code, _, err = run(capsys, "simulate", "--out", str(out), "--force")
    assert code == 2
    assert_one_line(err, "refusing to replace", "notes.md", "figures/", "nothing was changed")
    assert tree(out) == before
    with pytest.raises(DatasetError, match="notes.md"):
        tiny_dataset(seed=2).save(out, overwrite=True)
    assert tree(out) == before
    assert entries(tmp_path) == ["d"]


def test_regenerate_refuses_a_dataset_holding_user_files(capsys, tmp_path: Path, no_engine) -> None:
    out = tiny_dataset().save(tmp_path / "d")
    (out / "analysis.ipynb").write_text("{}")
    before = tree(out)
    code, _, err = run(capsys, "regenerate", str(out))
    assert code == 2
    assert_one_line(err, "analysis.ipynb", "nothing was changed")
    assert tree(out) == before


def test_a_user_file_named_like_a_table_file_is_not_ours(tmp_path: Path) -> None:
    """The manifest, not the file name, says what the workbench wrote."""
    out = tiny_dataset().save(tmp_path / "d")
    (out / "csv").mkdir()
    (out / "csv" / "customers.csv").write_text("my own edited export")
    with pytest.raises(DatasetError, match=r"csv/"):
        tiny_dataset().save(out, overwrite=True)
    assert (out / "csv" / "customers.csv").read_text() == "my own edited export"


def test_a_foreign_manifest_json_is_not_a_dataset(capsys, tmp_path: Path, no_engine) -> None:
    web = tmp_path / "webapp"
    web.mkdir()
    (web / "manifest.json").write_text(json.dumps({"name": "My PWA", "icons": []}))
    (web / "index.html").write_text("<html>")
    before = tree(web)
    code, _, err = run(capsys, "simulate", "--out", str(web), "--force")
    assert code == 2
    assert_one_line(err, "not a dataset folder", "not written by CRM Workbench")
    with pytest.raises(DatasetError, match="not a CRM Workbench dataset manifest"):
        load(web)
    code, _, err = run(capsys, "regenerate", str(web))
    assert code == 2
    assert_one_line(err, "not a CRM Workbench dataset manifest")
    assert tree(web) == before


def test_table_named_files_alone_are_not_a_dataset(capsys, tmp_path: Path, no_engine) -> None:
    mine = tmp_path / "exports"
    mine.mkdir()
    (mine / "customers.csv").write_text("id,name\n1,Zoë\n")
    (mine / "orders.parquet").write_bytes(b"PAR1")
    before = tree(mine)
    code, _, err = run(capsys, "simulate", "--out", str(mine), "--force")
    assert code == 2
    assert_one_line(err, "not a dataset folder", "no manifest.json")
    with pytest.raises(DatasetError, match="not a dataset folder"):
        tiny_dataset().to_csv(mine, overwrite=True)
    assert tree(mine) == before


def test_force_replaces_exactly_the_listed_files(capsys, tmp_path: Path, fake_engine) -> None:
    out = tiny_dataset(seed=1).save(tmp_path / "d", csv=True)
    code, _, err = run(capsys, "simulate", "--out", str(out), "--force", "--seed", "4", "--quiet")
    assert code == 0, err
    assert entries(out) == sorted([*PARQUET, "manifest.json"])  # the old csv/ was ours
    assert load(out).seed == 4
    assert entries(tmp_path) == ["d"]  # no lock file, no temporary or old folder


def test_an_empty_folder_may_be_written(capsys, tmp_path: Path, fake_engine) -> None:
    (tmp_path / "d").mkdir()
    code, _, err = run(capsys, "simulate", "--out", str(tmp_path / "d"), "--quiet")
    assert code == 0, err
    assert load(tmp_path / "d").seed == 0


def test_csv_export_can_be_replaced_but_not_with_user_files(tmp_path: Path) -> None:
    out = tiny_dataset(seed=1).to_csv(tmp_path / "sheets")
    tiny_dataset(seed=2).to_csv(out, overwrite=True)
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    (out / "pivot.xlsx").write_bytes(b"xlsx")
    with pytest.raises(DatasetError, match="pivot.xlsx"):
        tiny_dataset(seed=3).to_csv(out, overwrite=True)
    with pytest.raises(DatasetError, match="CSV export"):
        load(out)


def test_a_format_1_dataset_loads_with_a_regenerate_hint_and_regenerates(
    capsys, tmp_path: Path, fake_engine
) -> None:
    out = tiny_dataset(seed=5).save(tmp_path / "d")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["format"] = "crm-workbench-dataset/1"
    del manifest["files"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DatasetError, match=r"older dataset format.*python -m sim regenerate"):
        load(out)
    code, _, err = run(capsys, "regenerate", str(out), "--quiet")
    assert code == 0, err
    assert json.loads((out / "manifest.json").read_text())["format"] == dsmod.FORMAT
    assert load(out).seed == 5


# --------------------------------------------------------------------------- before simulating
def _read_only_case(tmp_path: Path) -> str:
    if os.geteuid() == 0:
        pytest.skip("running as root: a read-only folder is still writable (see the file case)")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    return str(ro / "d")


@pytest.mark.parametrize(
    ("case", "fragments"),
    [
        ("proc", ["/proc/x", "cannot create files in /proc"]),
        ("under_a_file", ["a_file is a file, not a folder"]),
        ("read_only", ["cannot create files in", "ermission denied"]),
        ("force_onto_other_folder", ["refusing to replace", "not a dataset folder"]),
        ("force_onto_a_file", ["refusing to replace", "it is a file"]),
        ("existing_dataset", ["already exists", "--force"]),
        ("symlink", ["symbolic link"]),
    ],
)
def test_output_problems_are_reported_before_simulating(
    capsys, tmp_path: Path, no_engine, case: str, fragments: list[str]
) -> None:
    force: list[str] = []
    if case == "proc":
        out = "/proc/x"
    elif case == "under_a_file":
        (tmp_path / "a_file").write_text("x")
        out = str(tmp_path / "a_file" / "sub" / "d")
    elif case == "read_only":
        out = _read_only_case(tmp_path)
    elif case == "force_onto_other_folder":
        (tmp_path / "home").mkdir()
        (tmp_path / "home" / "thesis.docx").write_text("years of work")
        out, force = str(tmp_path / "home"), ["--force"]
    elif case == "force_onto_a_file":
        (tmp_path / "a_file").write_text("x")
        out, force = str(tmp_path / "a_file"), ["--force"]
    elif case == "existing_dataset":
        out = str(tiny_dataset().save(tmp_path / "d"))
    else:
        tiny_dataset().save(tmp_path / "real")
        (tmp_path / "link").symlink_to(tmp_path / "real")
        out, force = str(tmp_path / "link"), ["--force"]
    before = tree(tmp_path)
    code, stdout, err = run(capsys, "simulate", "--out", out, *force)
    assert code == 2 and stdout == ""
    assert_one_line(err, *fragments)
    assert tree(tmp_path) == before  # and no lock file or created folder is left behind
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []


def test_a_bad_manifest_is_reported_before_regenerating(capsys, tmp_path: Path, no_engine) -> None:
    out = tiny_dataset().save(tmp_path / "d")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["seed"] = -3
    (out / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = run(capsys, "regenerate", str(out))
    assert code == 2
    assert_one_line(err, "invalid seed -3")


def test_a_writer_holding_the_lock_stops_a_second_one_at_once(
    capsys, tmp_path: Path, no_engine
) -> None:
    """The lock is held by another process (a real flock), so this run fails before simulating."""
    out = tmp_path / "d"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from sim.data.dataset import writing\n"
         "with writing(sys.argv[1]):\n    print('locked', flush=True); sys.stdin.read()",
         str(out)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        code, _, err = run(capsys, "simulate", "--out", str(out), "--force")
        assert code == 2
        assert_one_line(
            err, f"another run (process {holder.pid}) is writing", "nothing was changed"
        )
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0
    assert entries(tmp_path) == []  # the holder removed its lock file


# --------------------------------------------------------------------------- real races and kills
def test_two_real_writers_on_one_folder_exactly_one_wins(tmp_path: Path) -> None:
    """Two `python -m sim simulate` started together on the same --out, without --force."""
    procs = [
        python_m_sim("simulate", *SMALL, "--seed", str(seed), "--out", "same", "--quiet",
                     cwd=tmp_path)
        for seed in (1, 2)
    ]  # fmt: skip
    results = [(p.communicate(timeout=300), p.returncode) for p in procs]
    results = [(code, out, err) for (out, err), code in results]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    loser_err = next(err for code, _, err in results if code == 2)
    # Usually the lock stops the second run at once; if the first one finished
    # before the second even started, the second finds the dataset there.
    assert_one_line(loser_err)
    assert "another run" in loser_err or "already exists" in loser_err, loser_err
    winner_seed = load(tmp_path / "same").seed
    assert winner_seed == [1, 2][[code for code, _, _ in results].index(0)]
    verify = subprocess.run(
        [sys.executable, "-m", "sim", "verify", "same", "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    assert entries(tmp_path) == ["same"]


def test_a_live_writers_temporary_folder_is_never_touched(tmp_path: Path, driver) -> None:
    """A real writer paused mid-save; a real second run fails at once and leaves it alone."""
    out = tmp_path / "d"
    writer = driver(out, "fill", seed=1)
    wait_paused(writer)
    (tmp_dir,) = hidden(tmp_path, "d", "tmp")
    inside = tree(tmp_dir)
    second = python_m_sim("simulate", *SMALL, "--out", "d", "--force", cwd=tmp_path)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 2
    assert_one_line(err, f"another run (process {writer.pid}) is writing d")
    assert tree(tmp_dir) == inside  # untouched
    driver.go.touch()
    assert writer.communicate(timeout=120)[0] == "saved\n"
    assert writer.returncode == 0
    assert load(out).seed == 1
    assert entries(tmp_path) == ["GO", "d", "driver.py"]


def test_sigkill_during_a_save_is_cleaned_up_by_the_next_run(tmp_path: Path, driver) -> None:
    out = tmp_path / "d"
    old = tiny_dataset(seed=3).save(out)
    old_sums = load(old).checksums()
    writer = driver(out, "fill", seed=1)
    wait_paused(writer)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=60)
    assert hidden(tmp_path, "d", "tmp") and (tmp_path / ".d.lock").exists()  # the leftovers
    assert load(out).checksums() == old_sums  # the old dataset is intact
    proc = python_m_sim("simulate", *SMALL, "--out", "d", "--force", "--quiet", cwd=tmp_path)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert entries(tmp_path) == ["d", "driver.py"]  # leftovers gone, no lock file
    assert load(out).scenario.population.customers == 300


def test_sigkill_in_the_middle_of_a_two_step_swap_is_rolled_back(
    capsys, tmp_path: Path, driver, fake_engine
) -> None:
    """Without renameat2 the swap is two renames; dying between them loses nothing."""
    out = tmp_path / "d"
    old_sums = tiny_dataset(seed=3).save(out).exists() and load(out).checksums()
    writer = driver(out, "aside", seed=1)
    wait_paused(writer)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=60)
    assert not out.exists()  # the moment the journal is for
    # The next run on the path puts the old dataset back before anything else,
    # then refuses (no --force) because a dataset is there again.
    code, _, err = run(capsys, "simulate", "--out", str(out))
    assert code == 2
    assert "put back the dataset" in err and "already exists" in err
    assert load(out).checksums() == old_sums and load(out).seed == 3
    assert entries(tmp_path) == ["d", "driver.py"]
    assert len(fake_engine) == 0


def test_sigterm_while_simulating_stops_cleanly(tmp_path: Path) -> None:
    proc = python_m_sim("simulate", "--customers", "3000", "--years", "2", "--out", "d",
                        cwd=tmp_path)  # fmt: skip
    wait_until(lambda: (tmp_path / ".d.lock").exists(), proc, "the lock (taken before simulating)")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines()[-1] == "interrupted: nothing was written"
    assert entries(tmp_path) == []  # no dataset, no lock file, no temporary folder


# --------------------------------------------------------------------------- interrupts in-process
def test_an_interrupt_after_the_swap_says_the_dataset_was_written(
    capsys, tmp_path: Path, fake_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tiny_dataset(seed=3).save(tmp_path / "d")

    def interrupted(folder, kept_as):  # while removing the replaced files
        raise KeyboardInterrupt

    monkeypatch.setattr(dsmod, "_discard", interrupted)
    code, _, err = run(capsys, "simulate", "--out", str(out), "--force", "--seed", "8", "--quiet")
    assert code == 130
    assert_one_line(err, f"interrupted: {out} had already been written completely")
    assert load(out).seed == 8  # true: the new dataset is there
    monkeypatch.undo()
    tiny_dataset(seed=9).save(out, overwrite=True)  # the next run removes the leftover
    assert entries(tmp_path) == ["d"]


def test_an_interrupt_inside_a_two_step_swap_puts_the_old_dataset_back(
    capsys, tmp_path: Path, fake_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tiny_dataset(seed=3).save(tmp_path / "d")
    before = tree(out)
    real_rename = os.rename

    def rename(src, dst):
        if Path(src) == out:  # the new one is not in yet: interrupt right after moving aside
            real_rename(src, dst)
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(dsmod, "_exchange", lambda a, b: False)
    monkeypatch.setattr(dsmod.os, "rename", rename)
    code, _, err = run(capsys, "simulate", "--out", str(out), "--force", "--quiet")
    monkeypatch.undo()
    assert code == 130
    assert_one_line(err, "interrupted: nothing was written")
    assert tree(out) == before  # true: the old dataset is back
    assert entries(tmp_path) == ["d"]


def test_the_two_step_swap_replaces_a_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where renameat2 is missing (not Linux, some file systems) the fallback still works."""
    monkeypatch.setattr(dsmod, "_exchange", lambda a, b: False)
    out = tiny_dataset(seed=3).save(tmp_path / "d")
    tiny_dataset(seed=4).save(out, overwrite=True)
    assert load(out).seed == 4
    assert entries(tmp_path) == ["d"]


def test_check_target_is_a_pre_flight_that_leaves_nothing_behind(tmp_path: Path) -> None:
    dsmod.check_target(tmp_path / "new" / "nested" / "d")
    assert entries(tmp_path) == []  # the parent folders it created are gone again
    out = tiny_dataset().save(tmp_path / "d")
    with pytest.raises(DatasetError, match="already exists"):
        dsmod.check_target(out)
    dsmod.check_target(out, overwrite=True)
    assert entries(tmp_path) == ["d"]


def test_writing_holds_the_lock_for_the_block_and_saves_inside_it(tmp_path: Path) -> None:
    out = tmp_path / "d"
    with writing(out) as target:
        assert (tmp_path / ".d.lock").exists() and not target.written
        tiny_dataset().save(out)  # same thread: reuses the lock
        assert target.written
    assert entries(tmp_path) == ["d"]
    with pytest.raises(DatasetError, match="already exists"), writing(out):
        pass
    with pytest.raises(InterruptedAfterSave), writing(out, overwrite=True):
        tiny_dataset(seed=2).save(out, overwrite=True)
        raise KeyboardInterrupt
    assert load(out).seed == 2


@pytest.mark.parametrize("last_check", [True, False])
def test_a_folder_filled_by_another_program_meanwhile_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, last_check: bool
) -> None:
    """Another program (not a workbench run: those wait for the lock) writes the folder mid-save.

    The check just before the swap sees it; if it came even later than that
    (``last_check=False`` skips the check), the rename itself refuses a
    folder that is not empty.
    """
    out = tmp_path / "d"
    real_write = dsmod._write_parquet

    def write_and_intrude(name, df, file):
        real_write(name, df, file)
        if not out.exists():
            out.mkdir()
            (out / "theirs.txt").write_text("another program got here first")

    monkeypatch.setattr(dsmod, "_write_parquet", write_and_intrude)
    if not last_check:
        real_check = dsmod._Target.check
        calls = []

        def check(self, overwrite):
            calls.append(1)
            return real_check(self, overwrite) if len(calls) < 3 else dsmod._State("absent")

        monkeypatch.setattr(dsmod._Target, "check", check)
    message = "not a dataset folder" if last_check else "filled by another program.*left as it was"
    with pytest.raises(DatasetError, match=message):
        tiny_dataset().save(out)
    assert tree(out) == {"theirs.txt": b"another program got here first"}
    assert entries(tmp_path) == ["d"]


# --------------------------------------------------------------------------- the manifest
def _manifest_bytes(ds: Dataset, folder: Path) -> bytes:
    return (ds.save(folder) / "manifest.json").read_bytes()


def test_manifest_bytes_do_not_depend_on_run_information(tmp_path: Path) -> None:
    scenario = preset("default").with_overrides({"population": {"customers": 10}})
    a = Dataset(tiny_dataset().tables, scenario, seed=7, meta={"wall_seconds": 1.5, "events": 9})
    b = Dataset(tiny_dataset().tables, scenario, seed=7, meta={"wall_seconds": 99.0, "events": 9})
    assert _manifest_bytes(a, tmp_path / "a") == _manifest_bytes(b, tmp_path / "b")
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_bytes())
    assert manifest["meta"]["events"] == 9 and "wall_seconds" not in manifest["meta"]
    assert a.meta["wall_seconds"] == 1.5  # still there in memory
    # Loading adds the path to meta; saving the loaded dataset gives the same bytes.
    again = _manifest_bytes(load(tmp_path / "a"), tmp_path / "c")
    assert again == (tmp_path / "a" / "manifest.json").read_bytes()


def test_manifest_bytes_are_identical_for_two_real_runs(tmp_path: Path) -> None:
    for name in ("a", "b"):
        proc = subprocess.run(
            [sys.executable, "-m", "sim", "simulate", *SMALL, "--seed", "2", "--out", name,
             "--quiet"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (
        tmp_path / "b" / "manifest.json"
    ).read_bytes()


def _edit_manifest(folder: Path, **changes) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "crm-workbench-dataset/9"}, "not a CRM Workbench dataset manifest"),
        ({"format": None}, "not a CRM Workbench dataset manifest"),
        ({"schema_version": "0123456789abcdef"}, r"schema version '0123456789abcdef'.*regenerate"),
        ({"seed": -1}, r"invalid seed -1"),
        ({"seed": True}, r"invalid 'seed'"),
        ({"files": ["../../etc/passwd"]}, r"invalid 'files'"),
        ({"files": "everything"}, r"invalid 'files'"),
    ],
)
def test_a_bad_manifest_is_a_clear_error_on_load(
    capsys, tmp_path: Path, changes: dict, message: str
) -> None:
    out = tiny_dataset().save(tmp_path / "d")
    _edit_manifest(out, **changes)
    with pytest.raises(DatasetError, match=message):
        load(out)
    code, _, err = run(capsys, "verify", str(out))
    assert code == 2
    assert_one_line(err)


def test_a_manifest_with_a_bad_files_list_is_not_replaced(capsys, tmp_path: Path) -> None:
    """Without a trustworthy list of its files the folder is not one the workbench may replace."""
    out = tiny_dataset().save(tmp_path / "d")
    _edit_manifest(out, files=["../outside.txt"])
    before = tree(out)
    with pytest.raises(DatasetError, match="no valid list of the files"):
        tiny_dataset().save(out, overwrite=True)
    assert tree(out) == before
