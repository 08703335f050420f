"""Sweeps: the SPEC, resumable runs (SIGKILL of the driver, a killed worker), failures, summaries.

Tiny runs (a few hundred customers over half a year) keep the file to a
couple of minutes; the numbers are checked against hand computations from
the task files.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

import sim
from sim.studio import sweep, whatif
from sim.studio.sensitivity import SENSITIVITY_COLUMNS, sensitivity, standardised_coefficients
from sim.studio.sweep_spec import SpecError, load_spec

MINIMAL = """\
baseline: {preset: default, population: {customers: 2000, years: 1.0}}
variants:
  retention: {experience: {retention_uplift: 0.05}}
  agents: {service: {agents: 3}}
replications: 6        # seeds 0..5
"""
TINY = {"customers": 300, "years": 0.5}
REQUIRED = ["variant", "kpi", "mean", "se", "ci_low", "ci_high", "diff", "diff_low", "diff_high"]


def tiny(text: str = MINIMAL, **population) -> dict:
    """The SPEC text as a mapping, with a smaller population."""
    data = yaml.safe_load(text)
    data["baseline"]["population"] = {**TINY, **population}
    return data


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, timeout=300, **kw
    )


# --------------------------------------------------------------------------- the SPEC


def test_minimal_spec_as_written():
    spec = load_spec(MINIMAL)
    assert spec.variant_names == ["baseline", "retention", "agents"]
    assert spec.seeds == (0, 1, 2, 3, 4, 5)
    assert spec.baseline.population.customers == 2000 and spec.baseline.population.years == 1.0
    assert spec.variant("retention").scenario.experience.retention_uplift == 0.05
    assert spec.variant("agents").scenario.service.agents == 3
    assert spec.kpis == tuple(whatif.KPI_DEFINITIONS)
    tasks = spec.tasks()
    assert len(tasks) == 18
    # Common random numbers: every variant of a replication runs with that replication's seed.
    for seed in spec.seeds:
        assert sorted(t.variant for t in tasks if t.seed == seed) == sorted(spec.variant_names)
    hash(spec)  # frozen and hashable
    assert load_spec(spec.to_dict()) == spec  # the normalised form reads back to the same spec


def test_richer_spec_forms(tmp_path):
    (tmp_path / "brand.yaml").write_text("preset: default\nservice: {agents: 7}\n")
    spec_file = tmp_path / "spec.yml"
    spec_file.write_text(
        "baseline: {scenario: brand.yaml, population: {customers: 300}, "
        "levers: {retention_uplift: 0.02}}\n"
        "variants: {levers: {levers: {agents: 4}}}\n"
        "grid: {retention_uplift: [0.0, 0.1], service.agents: [3, 6]}\n"
        "lhs: {samples: 5, ranges: {agents: [2, 9], purchases.discount_prob: [0.0, 0.3]}, seed: 4}\n"
        "seeds: [11, 3]\n"
        "kpis: [profit, orders]\n"
    )
    spec = load_spec(spec_file)
    base = spec.baseline
    assert (base.service.agents, base.population.customers) == (7, 300)
    assert base.experience.retention_uplift == 0.02
    assert spec.variant("levers").scenario.service.agents == 4
    grid = [v for v in spec.variants if v.kind == "grid"]
    assert [v.name for v in grid] == [
        "retention_uplift=0,service.agents=3",
        "retention_uplift=0,service.agents=6",
        "retention_uplift=0.1,service.agents=3",
        "retention_uplift=0.1,service.agents=6",
    ]
    assert grid[3].scenario.experience.retention_uplift == 0.1
    assert grid[3].scenario.service.agents == 6
    lhs = [v for v in spec.variants if v.kind == "lhs"]
    assert len(lhs) == 5
    agents = sorted(v.factors["agents"] for v in lhs)
    # A Latin hypercube puts one point in each fifth of every range; agents are whole numbers.
    assert all(isinstance(a, int) and 2 <= a <= 9 for a in agents)
    probs = sorted(v.factors["purchases.discount_prob"] for v in lhs)
    assert [int(p // 0.06) for p in probs] == [0, 1, 2, 3, 4]
    assert [v.scenario.purchases.discount_prob for v in lhs] == [
        v.factors["purchases.discount_prob"] for v in lhs
    ]
    assert spec.seeds == (11, 3) and spec.kpis == ("profit", "orders")
    assert list(spec.design().columns) == ["retention_uplift", "service.agents", "agents",
                                           "purchases.discount_prob"]  # fmt: skip
    # Self-contained: the normalised form carries the file's values, not its path.
    normal = spec.to_dict()
    assert normal["baseline"]["service"]["agents"] == 7 and "scenario" not in normal["baseline"]
    assert load_spec(spec.to_yaml()) == spec
    assert load_spec(spec_file) == spec  # the LHS design is a function of the SPEC alone


BAD_SPECS = [
    ("variants: {a: {service: {agents: 3}}}\nreplicatons: 2", "spec.replicatons: unknown field"),
    ("variants: {a: {levers: {retention: 0.1}}}\nreplications: 2", "unknown lever(s) retention"),
    (
        "variants: {a: {experience: {retention_uplift: 1.5}}}\nreplications: 2",
        "spec.variants.a: experience.retention_uplift = 1.5 is not allowed",
    ),
    ("variants: {a: {levers: {agents: 0}}}\nreplications: 2", "service.agents = 0 is not allowed"),
    ("variants: {a: {servce: {agents: 3}}}\nreplications: 2", "'servce' is not a scenario section"),
    ("baseline: {preset: nope}\nvariants: {a: {}}\nreplications: 2", "spec.baseline.preset"),
    ("replications: 3", "spec: empty design"),
    ("variants: {}\ngrid: {}\nreplications: 3", "spec.grid"),
    ("grid: {agents: []}\nreplications: 3", "spec.grid.agents: expected a non-empty list"),
    ("grid: {service.agnts: [1]}\nreplications: 3", "spec.grid.service.agnts: unknown factor"),
    ("lhs: {samples: 4, ranges: {agents: [5, 2]}}\nreplications: 2", "spec.lhs.ranges.agents"),
    ("lhs: {samples: 4, ranges: {loyalty_enabled: [0, 1]}}\nreplications: 2", "numeric factor"),
    ("lhs: {samples: 1, ranges: {agents: [2, 5]}}\nreplications: 2", "spec.lhs.samples"),
    ("variants: {a: {}}\nreplications: 0", "spec.replications: 0 is not allowed"),
    ("variants: {a: {}}", "spec.replications: missing"),
    ("variants: {a: {}}\nseeds: [1, 1]", "spec.seeds"),
    ("variants: {a: {}}\nreplications: 2\nkpis: [clv_per_customer]", "unknown KPI(s) clv_per"),
    ("variants: {baseline: {}}\nreplications: 2", "'baseline' is reserved"),
    ("variants: {a/b: {}}\nreplications: 2", "is not allowed: it names a folder"),
    ("variants: {a: {}}\nreplications: 2\nlevel: 95", "spec.level"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SPECS)
def test_spec_errors_are_one_line_before_any_task(tmp_path, text, message):
    out = tmp_path / "out"
    with pytest.raises(SpecError) as err:
        sweep.run_sweep(text, out, workers=1, progress=False)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert not out.exists()  # nothing ran, nothing was written


def test_cli_spec_error_is_one_line(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("variants: {a: {levers: {retention: 0.1}}}\nreplications: 2\n")
    r = cli("sweep", str(spec), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert r.stderr.startswith("error: spec.variants.a.levers: unknown lever(s) retention")
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- a sweep


@pytest.fixture(scope="module")
def minimal(tmp_path_factory):
    """The minimal SPEC, tiny population, run in this process."""
    out = tmp_path_factory.mktemp("sweep") / "minimal"
    rows = []
    result = sweep.run_sweep(tiny(), out, workers=1, progress=False, on_task=rows.append)
    return result, rows


def test_minimal_sweep_writes_every_file(minimal):
    result, rows = minimal
    out = result.out
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "failures.json", "spec.yaml", "summary.csv", "tasks",
    ]  # fmt: skip
    assert json.loads((out / "failures.json").read_text()) == [] and result.failures == []
    for variant in ("baseline", "retention", "agents"):
        assert sorted(p.name for p in (out / "tasks" / variant).iterdir()) == [
            f"seed-{k}.json" for k in range(6)
        ]
    assert len(rows) == 18 and {(r["variant"], r["seed"]) for r in rows} == {
        (v, k) for v in ("baseline", "retention", "agents") for k in range(6)
    }
    assert load_spec(out / "spec.yaml") == result.spec
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns[:9]) == REQUIRED
    assert list(result.summary.columns[:9]) == REQUIRED
    assert len(summary) == 3 * len(whatif.KPI_DEFINITIONS)
    base = summary[summary["variant"] == "baseline"]
    assert base[["diff", "diff_low", "diff_high", "within_noise"]].isna().all().all()
    assert result.sensitivity is None  # no grid or LHS
    # The task's KPIs are those of a plain simulation of the same scenario and seed.
    one = json.loads((out / "tasks" / "agents" / "seed-4.json").read_text())
    ds = sim.compose.simulate(result.spec.variant("agents").scenario, 4)
    expected = whatif.kpis(ds)
    for kpi, value in one["kpis"].items():
        assert value == pytest.approx(expected[kpi], rel=1e-12, nan_ok=True)
    assert sum(one["monthly_revenue"].values()) == pytest.approx(expected["revenue"])


def test_summary_equals_a_hand_computation(minimal):
    result, _ = minimal
    out = result.out

    def value(variant, seed, kpi):
        row = json.loads((out / "tasks" / variant / f"seed-{seed}.json").read_text())
        v = row["kpis"][kpi]
        return math.nan if v is None else v

    summary = sweep.summarise(out).set_index(["variant", "kpi"])
    t = stats.t.ppf(0.975, 5)
    for variant in ("baseline", "retention", "agents"):
        for kpi in ("profit", "orders", "service_cost", "churn"):
            x = [value(variant, k, kpi) for k in range(6)]
            mean = sum(x) / 6
            se = math.sqrt(sum((v - mean) ** 2 for v in x) / 5) / math.sqrt(6)
            row = summary.loc[(variant, kpi)]
            assert row["mean"] == pytest.approx(mean, rel=1e-12)
            assert row["se"] == pytest.approx(se, rel=1e-9, abs=1e-12)
            assert row["ci_low"] == pytest.approx(mean - t * se, rel=1e-9)
            assert row["ci_high"] == pytest.approx(mean + t * se, rel=1e-9)
            assert row["n"] == 6
            if variant == "baseline":
                continue
            d = [value(variant, k, kpi) - value("baseline", k, kpi) for k in range(6)]
            dm = sum(d) / 6
            dse = math.sqrt(sum((v - dm) ** 2 for v in d) / 5) / math.sqrt(6)
            assert row["diff"] == pytest.approx(dm, rel=1e-9, abs=1e-9)
            assert row["diff_low"] == pytest.approx(dm - t * dse, rel=1e-9, abs=1e-9)
            assert row["diff_high"] == pytest.approx(dm + t * dse, rel=1e-9, abs=1e-9)
            assert bool(row["within_noise"]) == (dm - t * dse <= 0 <= dm + t * dse)
    # Three agents across four markets staff four (every market keeps one): instead of five
    # they save one agent's cost for half a year, on every seed.
    cost = summary.loc[("agents", "service_cost")]
    funded = result.spec.baseline.service.shared_traffic
    saved = (max(4 - funded, 0) - max(5 - funded, 0)) * whatif.AGENT_COST_PER_YEAR * 0.5
    assert cost["diff"] == pytest.approx(saved) and cost["diff_low"] == pytest.approx(saved)
    assert not cost["within_noise"]


def test_rerun_same_spec_recomputes_nothing_and_other_spec_is_refused(minimal):
    result, _ = minimal
    out = result.out
    files = sorted((out / "tasks").glob("*/seed-*.json"))
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}
    rows = []
    again = sweep.run_sweep(tiny(), out, workers=2, progress=False, on_task=rows.append)
    assert rows == []  # nothing ran
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files} == before
    pd.testing.assert_frame_equal(again.summary, result.summary)
    other = tiny()
    other["variants"]["retention"]["experience"]["retention_uplift"] = 0.06
    with pytest.raises(sweep.SweepError) as err:
        sweep.run_sweep(other, out, workers=1, progress=False)
    msg = str(err.value)
    assert "holds a different sweep" in msg and "retention_uplift" in msg and "\n" not in msg
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files} == before


def test_a_foreign_folder_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(sweep.SweepError, match="not empty and holds no sweep"):
        sweep.run_sweep(tiny(), tmp_path, workers=1, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_status_counts_without_running(minimal, tmp_path):
    result, _ = minimal
    s = sweep.status(result.out)
    assert (s["done"], s["total"], s["failed"], s["pending"]) == (18, 18, 0, 0)
    assert s["running"] is False and s["variants"] == {"baseline": 6, "retention": 6, "agents": 6}
    r = cli("sweep", "--out", str(result.out), "--status")
    assert r.returncode == 0, r.stderr
    assert "18/18 tasks done, 0 failed, 0 pending" in r.stdout
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny()))
    r = cli("sweep", str(spec), "--out", str(tmp_path / "new"), "--status")
    assert r.returncode == 0 and "0/18 tasks done" in r.stdout
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------- crashes


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to see the workers")
def test_sigkill_of_the_driver_then_rerun_loses_nothing(tmp_path):
    data = tiny()
    data["replications"] = 4
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump(data))
    out = tmp_path / "killed"
    driver = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(spec_file), "--out", str(out),
         "--workers", "2", "--quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while len(list(out.glob("tasks/*/seed-*.json"))) < 3:
        assert driver.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    files = sorted(out.glob("tasks/*/seed-*.json"))
    assert 3 <= len(files) < 12
    workers = {json.loads(p.read_text())["pid"] for p in files}
    # No worker outlives the killed driver (each watches its parent).
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)
    r = cli("sweep", "--out", str(out), "--status")
    assert f"{len(files)}/12 tasks done" in r.stdout
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}
    rows = []
    resumed = sweep.run_sweep(spec_file, out, workers=1, progress=False, on_task=rows.append)
    assert len(rows) == 12 - len(files)  # only the missing tasks ran
    assert {(r["variant"], r["seed"]) for r in rows}.isdisjoint(
        {(p.parent.name, int(p.stem.split("-")[1])) for p in files}
    )
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files} == before
    assert not list(out.glob("tasks/*/.seed-*"))  # no temporary file left
    fresh = sweep.run_sweep(spec_file, tmp_path / "fresh", workers=1, progress=False)
    pd.testing.assert_frame_equal(resumed.summary, fresh.summary)
    assert (out / "summary.csv").read_bytes() == (tmp_path / "fresh" / "summary.csv").read_bytes()


def small_spec(replications: int = 2) -> dict:
    data = tiny()
    data["replications"] = replications
    data["kpis"] = ["profit", "orders", "service_cost"]
    return data


def test_a_worker_killed_mid_task_is_retried(tmp_path, monkeypatch):
    faults = tmp_path / "faults"
    faults.mkdir()
    (faults / "crash-once.agents.1").touch()
    monkeypatch.setenv(sweep.FAULTS_ENV, str(faults))
    result = sweep.run_sweep(small_spec(), tmp_path / "out", workers=2, progress=False)
    assert not (faults / "crash-once.agents.1").exists()  # the worker did die once
    assert result.failures == []
    row = json.loads((tmp_path / "out" / "tasks" / "agents" / "seed-1.json").read_text())
    assert row["attempts"] == 2
    assert sweep.status(tmp_path / "out")["done"] == 6


def test_a_task_that_keeps_failing_is_reported_and_the_others_complete(tmp_path, monkeypatch):
    faults = tmp_path / "faults"
    faults.mkdir()
    (faults / "fail.retention.0").touch()
    monkeypatch.setenv(sweep.FAULTS_ENV, str(faults))
    out = tmp_path / "out"
    result = sweep.run_sweep(small_spec(), out, workers=1, progress=False, retries=2)
    [failure] = json.loads((out / "failures.json").read_text())
    assert (failure["variant"], failure["seed"], failure["attempts"]) == ("retention", 0, 3)
    assert "RuntimeError: injected failure for retention seed 0" in failure["error"]
    assert result.failures == [failure]
    s = sweep.status(out)
    assert (s["done"], s["failed"], s["pending"]) == (5, 1, 0)
    row = result.summary.set_index(["variant", "kpi"]).loc[("retention", "orders")]
    assert (row["n"], row["n_paired"]) == (1, 1)
    # Fixed, a rerun tries only the failed task.
    (faults / "fail.retention.0").unlink()
    rows = []
    sweep.run_sweep(small_spec(), out, workers=1, progress=False, on_task=rows.append)
    assert [(r["variant"], r["seed"]) for r in rows] == [("retention", 0)]
    assert json.loads((out / "failures.json").read_text()) == []


def test_cli_reports_failures_with_status_1(tmp_path):
    faults = tmp_path / "faults"
    faults.mkdir()
    (faults / "fail.agents.1").touch()
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(small_spec()))
    env = {**os.environ, sweep.FAULTS_ENV: str(faults)}
    r = cli("sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "1", "--retries",
            "1", env=env)  # fmt: skip
    assert r.returncode == 1
    assert "failed: agents seed 1: RuntimeError: injected failure" in r.stderr
    assert "profit:" in r.stdout and "baseline" in r.stdout


# --------------------------------------------------------------------------- Dask


def test_local_cluster_gives_the_same_summary(minimal, tmp_path):
    distributed = pytest.importorskip("distributed")
    result, _ = minimal
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = sweep.run_sweep(tiny(), tmp_path / "dask", client=client, progress=False)
    pd.testing.assert_frame_equal(on_dask.summary, result.summary)


def test_unreachable_scheduler_is_an_error_before_any_task(tmp_path):
    with pytest.raises(sweep.SweepError, match="scheduler tcp://127.0.0.1:9: cannot connect"):
        sweep.run_sweep(tiny(), tmp_path / "out", scheduler="tcp://127.0.0.1:9", progress=False)
    assert not (tmp_path / "out").exists()
    with pytest.raises(sweep.SweepError, match="scheduler = 'localhost'"):
        sweep.run_sweep(tiny(), tmp_path / "out", scheduler="localhost", progress=False)


# --------------------------------------------------------------------------- sensitivity


def test_standardised_coefficients_of_a_known_linear_model():
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.uniform(0, 1, 30), "b": rng.uniform(0, 10, 30), "c": 1.0})
    y = 3.0 * x["a"] - 0.5 * x["b"] + 7.0
    src, slope, r2 = standardised_coefficients(x, y)
    assert slope["a"] == pytest.approx(3.0) and slope["b"] == pytest.approx(-0.5)
    assert src["a"] == pytest.approx(3.0 * x["a"].std() / y.std())
    assert src["b"] == pytest.approx(-0.5 * x["b"].std() / y.std())
    assert math.isnan(src["c"]) and r2 == pytest.approx(1.0)
    few, _, r2 = standardised_coefficients(x.iloc[:3], y.iloc[:3])
    assert few.isna().all() and math.isnan(r2)


def test_grid_sweep_ranks_the_levers_and_draws_a_tornado(tmp_path):
    from matplotlib.figure import Figure

    from sim.charts.sweep import diff_intervals, tornado

    data = {
        "baseline": {"preset": "default", "population": TINY},
        # at least one agent per market (4), so every total is staffed as given
        "grid": {"agents": [4, 5, 7], "retention_uplift": [0.0, 0.2]},
        "replications": 2,
        "kpis": ["service_cost", "orders"],
    }
    result = sweep.run_sweep(data, tmp_path / "grid", workers=1, progress=False)
    table = pd.read_csv(tmp_path / "grid" / "sensitivity.csv")
    assert list(table.columns) == list(SENSITIVITY_COLUMNS)
    cost = table[table["kpi"] == "service_cost"].set_index("factor")
    # service cost = (agents - shared traffic) x 45,000 x 0.5: exactly linear in agents alone.
    assert cost.loc["agents", "effect"] == pytest.approx(3 * 45_000 * 0.5)  # range 4..7
    assert cost.loc["agents", "rank"] == 1 and cost.loc["agents", "r2"] == pytest.approx(1.0)
    assert cost.loc["retention_uplift", "src"] == pytest.approx(0.0, abs=1e-9)
    pd.testing.assert_frame_equal(sensitivity(tmp_path / "grid", write=False), result.sensitivity)
    fig = tornado(result.sensitivity, "orders")
    assert isinstance(fig, Figure) and len(fig.axes[0].patches) == 2
    assert isinstance(diff_intervals(result.summary, "orders"), Figure)
    with pytest.raises(KeyError, match="profit"):
        tornado(result.sensitivity, "profit")


# --------------------------------------------------------------------------- stopping


def test_a_stop_event_ends_the_run_early_and_a_rerun_resumes(tmp_path):
    import threading

    stop = threading.Event()
    out = tmp_path / "out"
    seen = []

    def on_task(row):
        seen.append(row)
        stop.set()

    result = sweep.run_sweep(
        small_spec(3), out, workers=2, progress=False, on_task=on_task, stop=stop
    )
    assert result.complete is False
    done = sweep.status(out)["done"]
    assert done == len(seen) and 1 <= done < 9
    assert result.summary.set_index(["variant", "kpi"])["n"].sum() == done * 3
    rest = []
    again = sweep.run_sweep(small_spec(3), out, workers=1, progress=False, on_task=rest.append)
    assert again.complete and len(rest) == 9 - done


def test_a_second_driver_on_the_same_folder_is_refused(minimal):
    from sim.studio.sweep_folder import _locked

    result, _ = minimal
    with _locked(result.out), pytest.raises(sweep.SweepError, match="another sweep is running"):
        sweep.run_sweep(tiny(), result.out, workers=1, progress=False)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_the_cli_and_says_what_is_kept(tmp_path):
    data = small_spec(6)
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    driver = subprocess.Popen(
        [sys.executable, "-m", "sim", "sweep", str(spec_file), "--out", str(out),
         "--workers", "2", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not list(out.glob("tasks/*/seed-*.json")):
        assert driver.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    driver.send_signal(signal.SIGTERM)
    _, err = driver.communicate(timeout=60)
    assert driver.returncode == 130, err
    done = sweep.status(out)["done"]
    assert f"interrupted: {done}/18 tasks are done and kept in {out}" in err
    assert "Traceback" not in err


def test_a_sweep_too_big_for_the_memory_is_refused_before_any_task(tmp_path):
    data = {"variants": {"big": {"population": {"customers": 200_000_000}}}, "replications": 1}
    with pytest.raises(sweep.SweepError, match="variant big .*population.customers"):
        sweep.run_sweep(data, tmp_path / "out", workers=2, progress=False)
    assert not (tmp_path / "out").exists()


def test_status_of_a_sweep_not_started(tmp_path):
    s = sweep.status(tmp_path / "new", spec=tiny())
    assert (s["done"], s["total"], s["pending"], s["failed"]) == (0, 18, 18, 0)
    assert s["variants"] == {"baseline": 0, "retention": 0, "agents": 0}
    assert not (tmp_path / "new").exists()
    with pytest.raises(sweep.SweepError, match="not a sweep folder"):
        sweep.status(tmp_path / "new")


def test_morris_design_and_its_elementary_effects(tmp_path):
    from sim.charts.sweep import tornado

    data = {
        "baseline": {"preset": "default", "population": TINY},
        "morris": {"trajectories": 2, "levels": 4, "ranges": {"agents": [4, 10],
                   "retention_uplift": [0.0, 0.3]}, "seed": 2},
        "replications": 1,
        "kpis": ["service_cost", "orders"],
    }  # fmt: skip
    spec = load_spec(data)
    points = [v for v in spec.variants if v.kind == "morris"]
    assert len(points) == 2 * (2 + 1)  # trajectories x (factors + 1)
    assert {v.factors["agents"] for v in points} <= {4, 6, 8, 10}  # a 4-level grid
    assert all(v.scenario.service.agents == v.factors["agents"] for v in points)
    result = sweep.run_sweep(spec, tmp_path / "morris", workers=1, progress=False)
    table = result.sensitivity
    assert set(table["method"]) == {"morris"}
    cost = table[table["kpi"] == "service_cost"].set_index("factor")
    # Service cost is exactly 45,000 x 0.5 year per agent: every elementary effect of agents
    # over the whole range [4, 10] is 6 x 22,500, and retention has none.
    assert cost.loc["agents", "effect"] == pytest.approx(6 * 22_500)
    assert cost.loc["agents", "mu_star"] == pytest.approx(6 * 22_500)
    assert cost.loc["agents", "sigma"] == pytest.approx(0.0, abs=1e-6)
    assert cost.loc["retention_uplift", "mu_star"] == pytest.approx(0.0, abs=1e-6)
    assert cost.loc["agents", "rank"] == 1
    assert len(tornado(table, "service_cost", value="mu_star").axes[0].patches) == 2
    with pytest.raises(SpecError, match="spec.morris.ranges.agents: a whole-number factor"):
        load_spec({**data, "morris": {**data["morris"], "ranges": {"agents": [3, 8]}}})


def test_monthly_revenue_adds_up_to_the_mean_revenue(minimal):
    result, _ = minimal
    monthly = sweep.monthly_revenue(result.out)
    assert list(monthly.columns) == ["baseline", "retention", "agents"]
    assert isinstance(monthly.index, pd.PeriodIndex) and len(monthly) in (6, 7)
    mean = result.summary.set_index(["variant", "kpi"])["mean"]
    for variant in monthly.columns:
        assert monthly[variant].sum() == pytest.approx(mean[(variant, "revenue")], rel=1e-12)


def test_runs_the_driver_already_holds_are_not_simulated_again(tmp_path):
    """A sweep's (scenario, seed) that this process simulated already (whatif.RUNS) is reused."""
    spec = small_spec(replications=2)
    spec["variants"] = {"agents": {"service": {"agents": 3}}}
    base = load_spec(spec).variant("baseline").scenario
    held = whatif.simulate_scenarios({"baseline": base}, seed=0)["baseline"]
    rows = []
    result = sweep.run_sweep(spec, tmp_path / "out", workers=2, progress=False, on_task=rows.append)
    assert result.failures == []
    by_task = {(r["variant"], r["seed"]): r for r in rows}
    assert {k: r["reused"] for k, r in by_task.items()} == {
        ("baseline", 0): True, ("agents", 0): False, ("baseline", 1): False, ("agents", 1): False,
    }  # fmt: skip
    assert by_task["baseline", 0]["pid"] == os.getpid()  # computed here, without a worker
    assert all(by_task[k]["pid"] != os.getpid() for k in by_task if k != ("baseline", 0))
    expected = whatif.kpis(held)
    fresh = whatif.kpis(sim.compose.simulate(base, 0))  # what makes the reuse honest
    for kpi, value in by_task["baseline", 0]["kpis"].items():
        assert value == pytest.approx(expected[kpi], rel=1e-12, nan_ok=True)
        assert value == pytest.approx(fresh[kpi], rel=1e-12, nan_ok=True)
