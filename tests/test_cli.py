"""Command line: exit codes, one-line messages on bad input, and a real simulate run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_dataset import tiny_dataset

from sim import compose
from sim.cli import main
from sim.data import schema
from sim.data.dataset import load, read_manifest


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert err.count("\n") == 1 and err.endswith("\n"), f"not one line: {err!r}"
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Replace the simulation with the tiny hand-built dataset; record the calls."""
    calls: list[tuple] = []

    def simulate(scenario, seed, progress=False, workers=1, client=None):
        # The CLI runs the shards on the machine's cores unless told otherwise.
        assert workers >= 1 and client is None
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


# --------------------------------------------------------------------------- bad input
def test_unknown_preset(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "simulate", "--scenario", "luxxury", "--out", str(tmp_path / "d"))
    assert code == 2 and out == ""
    assert_one_line_error(err, "luxxury", "default")
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--customers", "0"], "population.customers"),
        (["--customers", "-5"], "population.customers"),
        (["--years", "-1"], "population.years"),
        (["--years", "0"], "population.years"),
        (["--customers", "many"], "--customers"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_out_of_range_arguments(capsys, tmp_path: Path, args: list[str], field: str) -> None:
    code, _, err = run(capsys, "simulate", *args, "--out", str(tmp_path / "d"))
    assert code == 2
    assert_one_line_error(err, field)
    assert not (tmp_path / "d").exists()


def test_scenario_file_with_bad_probability_names_the_field(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"service": {"contact_prob": 1.5}}))
    code, _, err = run(capsys, "simulate", "--scenario", str(bad), "--out", str(tmp_path / "d"))
    assert code == 2
    assert_one_line_error(err, "service.contact_prob", "1.5", "[0, 1]")
    code, _, err = run(capsys, "scenario", "show", str(bad))
    assert code == 2
    assert_one_line_error(err, "service.contact_prob")


def test_unreadable_scenario_file(capsys, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("service: [unclosed\n  - x: :")
    code, _, err = run(capsys, "scenario", "show", str(broken))
    assert code == 2
    assert_one_line_error(err, "broken.yaml")
    code, _, err = run(capsys, "scenario", "show", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert_one_line_error(err, "missing.yaml")


def test_unknown_field_in_scenario_file(capsys, tmp_path: Path) -> None:
    typo = tmp_path / "typo.json"
    typo.write_text('{"service": {"agentz": 4}}')
    code, _, err = run(capsys, "scenario", "show", str(typo))
    assert code == 2
    assert_one_line_error(err, "service.agentz")


def test_usage_errors_are_one_line(capsys) -> None:
    for argv in ([], ["bogus"], ["simulate"], ["verify"]):
        code, _, err = run(capsys, *argv)
        assert code == 2, argv
        assert_one_line_error(err)


def test_help_exits_zero(capsys) -> None:
    code, out, _ = run(capsys, "simulate", "--help")
    assert code == 0 and "--customers" in out


def test_broken_dataset_is_a_one_line_error(capsys, tmp_path: Path) -> None:
    saved = tiny_dataset().save(tmp_path / "d")
    (saved / "orders.parquet").write_bytes(b"garbage")
    code, _, err = run(capsys, "verify", str(saved))
    assert code == 2
    assert_one_line_error(err, "orders.parquet")
    code, _, err = run(capsys, "verify", str(tmp_path / "nowhere"))
    assert code == 2
    assert_one_line_error(err, "nowhere")


# --------------------------------------------------------------------------- commands
def test_presets_and_scenario_show(capsys) -> None:
    code, out, _ = run(capsys, "presets")
    assert code == 0
    assert "default" in out and "mass_market" in out
    code, out, _ = run(capsys, "scenario", "show", "mass_market")
    assert code == 0
    shown = yaml.safe_load(out)
    assert shown["name"] == "mass_market" and "service" in shown


def test_simulate_writes_dataset_with_overrides(capsys, tmp_path: Path, fake_engine) -> None:
    out_dir = tmp_path / "d"
    argv = [
        "simulate",
        "--customers",
        "300",
        "--years",
        "1.5",
        "--seed",
        "3",
        "--out",
        str(out_dir),
    ]
    code, out, err = run(capsys, *argv, "--csv")
    assert code == 0, err
    scenario, seed, progress = fake_engine[0]
    assert (scenario.population.customers, scenario.population.years, seed) == (300, 1.5, 3)
    assert progress is True
    assert "wrote" in out and "rows" in out
    assert "(scenario: preset default, seed 3)" in out  # which scenario source was used
    assert load(out_dir).seed == 3
    assert sorted(p.name for p in (out_dir / "csv").iterdir()) == sorted(
        f"{t}.csv" for t in schema.TABLES
    )
    # Existing folder: refused before simulating, accepted with --force.
    code, _, err = run(capsys, *argv)
    assert code == 2 and len(fake_engine) == 1
    assert_one_line_error(err, "already exists", "--force")
    code, out, _ = run(capsys, *argv, "--force", "--quiet")
    assert code == 0 and out == "" and fake_engine[1][2] is False


def test_simulate_summary_names_a_scenario_file(capsys, tmp_path: Path, fake_engine) -> None:
    scenario_file = tmp_path / "mine.yaml"
    scenario_file.write_text(yaml.safe_dump({"service": {"agents": 3}}))
    code, out, err = run(capsys, "simulate", "--scenario", str(scenario_file),
                         "--out", str(tmp_path / "d"))  # fmt: skip
    assert code == 0, err
    assert f"(scenario: file {scenario_file.resolve()}, seed 0)" in out
    assert fake_engine[0][0].service.agents == 3


def test_verify_reports_match_and_mismatch(
    capsys, tmp_path: Path, fake_engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tiny_dataset(seed=5).save(tmp_path / "d")
    code, out, _ = run(capsys, "verify", str(saved), "--quiet")
    assert code == 0 and "OK" in out
    assert fake_engine[0][1] == 5  # re-simulated with the manifest's seed

    def different(scenario, seed, progress=False):
        ds = tiny_dataset(seed=seed)
        ds.tables["orders"] = ds.orders.iloc[:1]
        return ds

    monkeypatch.setattr(compose, "simulate", different)
    code, out, err = run(capsys, "verify", str(saved), "--quiet")
    assert code == 1
    assert "orders" in out and "customers" not in out
    assert_one_line_error(err, "1 table(s) differ")


def test_regenerate_repairs_a_corrupt_dataset(capsys, tmp_path: Path, fake_engine) -> None:
    saved = tiny_dataset(seed=5).save(tmp_path / "d")
    before = read_manifest(saved)["checksums"]
    (saved / "orders.parquet").write_bytes(b"garbage")
    code, _, err = run(capsys, "regenerate", str(saved), "--quiet")
    assert code == 0, err
    assert load(saved).checksums() == before


def test_schema_prints_the_data_dictionary(capsys) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0 and "### `orders`" in out


# --------------------------------------------------------------------------- the real thing
def test_python_m_sim_simulate_writes_every_table(tmp_path: Path) -> None:
    """End to end with the real engine, as a user runs it."""
    cmd = [sys.executable, "-m", "sim", "simulate", "--customers", "300", "--years", "1",
           "--seed", "3", "--out", "tmp", "--quiet"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "tmp"
    # The brand's tables in one file each, the others in one part per market.
    shared = ("campaigns", "marketing_spend")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.parquet" if t in shared else t for t in schema.TABLES] + ["manifest.json"]
    )
    markets = load(out).scenario.markets.names
    assert sorted(p.name for p in (out / "orders").iterdir()) == sorted(
        f"part-{m}.parquet" for m in markets
    )
    ds = load(out)
    assert ds.seed == 3 and ds.scenario.population.customers == 300
    assert len(ds.customers) > 0 and len(ds.orders) > 0
    assert [p.name for p in tmp_path.iterdir()] == ["tmp"]  # no temporary folder left
