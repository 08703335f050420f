"""The what-if studio's pure parts: controls → sweep SPEC, history, results, report, exports."""

from __future__ import annotations

import json
import math

import openpyxl
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.scenario import preset
from sim.studio import app, report, sweep, ui, whatif


def test_spec_from_controls_holds_only_the_changed_levers():
    s = app.Settings(
        customers=500, years=0.5, replications=3,
        values={**app.default_values(), "retention_uplift": 0.05, "open_hours": 8.0},
    )  # fmt: skip
    spec = app.build_spec(s)
    assert spec["baseline"] == {"preset": "default", "population": {"customers": 500, "years": 0.5}}
    assert spec["replications"] == 3
    # a lever goes under levers, a scenario field without a lever is an override
    assert spec["variants"] == {
        "all changes": {"levers": {"retention_uplift": 0.05}, "service": {"open_hours": 8.0}}
    }
    loaded = app.validate(spec)
    variant = loaded.variant("all changes").scenario
    assert variant.experience.retention_uplift == 0.05 and variant.service.open_hours == 8.0
    assert loaded.baseline.experience.retention_uplift == 0.0
    assert loaded.seeds == (0, 1, 2)


def test_per_lever_adds_one_variant_per_change():
    s = app.Settings(values={"agents": {"americas": 3}, "loyalty_enabled": False}, per_lever=True)
    spec = app.build_spec(s)
    assert list(spec["variants"]) == ["all changes", "agents(americas=3)", "loyalty_enabled=False"]
    assert spec["variants"]["agents(americas=3)"] == {"markets": {"agents": {"americas": 3}}}


def test_channel_weights_are_normalised_and_unchanged_weights_are_no_change():
    shares = app.default_values()["acquisition_budget_mix"]
    doubled = {k: 2 * v for k, v in shares.items()}
    with pytest.raises(app.StudioError, match="no lever changed"):
        app.build_spec(app.Settings(values={"acquisition_budget_mix": doubled}))
    moved = dict(shares)
    first, second = list(moved)[:2]
    moved[first], moved[second] = moved[first] + moved[second], 0.0
    mix = app.changed_values(app.Settings(values={"acquisition_budget_mix": moved}))
    got = mix["acquisition_budget_mix"]
    assert math.fsum(got.values()) == pytest.approx(1.0, abs=1e-12)
    assert got[second] == 0.0
    assert got[first] == pytest.approx(shares[first] + shares[second], abs=1e-4)
    app.validate(app.build_spec(app.Settings(values={"acquisition_budget_mix": moved})))


@pytest.mark.parametrize(
    "settings, message",
    [
        (app.Settings(values={"agents": {"americas": 3}}, replications=1), "replications = 1"),
        (app.Settings(values={}), "no lever changed"),
        (app.Settings(values={"warp_drive": 1.0}), "unknown control"),
        (app.Settings(values={"agents": {"americas": 2.5}}), "whole number"),
        (app.Settings(values={"agents": {"americas": 3}}, preset="nope"), "preset 'nope'"),
        (app.Settings(values={"acquisition_budget_mix": {"tv": -1.0}}), "weight >= 0"),
        (app.Settings(values={"retention_uplift": "a lot"}), "Retention uplift"),
    ],
)
def test_bad_settings_get_a_one_line_message(settings, message):
    with pytest.raises(app.StudioError, match=message) as err:
        app.build_spec(settings)
    assert "\n" not in str(err.value)


def test_an_impossible_lever_value_is_refused_by_the_scenario():
    spec = app.build_spec(app.Settings(values={"retention_uplift": 1.5}))
    with pytest.raises(app.StudioError, match="retention_uplift") as err:
        app.validate(spec)
    assert "1.5" in str(err.value) and "\n" not in str(err.value)


def test_spec_hash_keys_the_folder_by_content_not_by_question(tmp_path):
    a = app.build_spec(app.Settings(values={"agents": {"americas": 3}}, question="one"))
    b = app.build_spec(app.Settings(values={"agents": {"americas": 3}}, question="two"))
    c = app.build_spec(app.Settings(values={"agents": {"americas": 4}}))
    assert app.spec_hash(a) == app.spec_hash(b) != app.spec_hash(c)
    assert app.sweep_folder(tmp_path, a) == tmp_path / "sweeps" / app.spec_hash(a)


def test_history_persists_and_reloads(tmp_path):
    s = app.Settings(values={"agents": {"americas": 3}}, question="How many agents?",
                     replications=4)  # fmt: skip
    spec = app.build_spec(s)
    h = app.History(tmp_path)
    entry = h.add(s, spec, tmp_path / "sweeps" / "x")
    h.update(entry["id"], headline="profit +1 [−1, +3] (within noise)")
    (tmp_path / "history" / "notes.txt").write_text("not the studio's")
    again = app.History(tmp_path)  # a new studio session
    [got] = again.entries()
    assert got["headline"] == "profit +1 [−1, +3] (within noise)"
    assert app.Settings.from_dict(got["settings"]) == s
    assert got["spec"] == spec
    table = again.table()
    assert table.loc[0, "question"] == "How many agents?"
    assert table.loc[0, "changes"] == "markets.agents(americas=3)"
    assert table.loc[0, "replications"] == 4
    assert (tmp_path / "history" / "notes.txt").read_text() == "not the studio's"


def _summary(rows):
    cols = ["variant", "kpi", "mean", "se", "ci_low", "ci_high", "diff", "diff_low", "diff_high"]
    return pd.DataFrame(rows, columns=cols)


def test_results_mark_within_noise_where_the_interval_crosses_zero():
    nan = math.nan
    summary = _summary(
        [
            ("baseline", "profit", 1000.0, 10, 980, 1020, nan, nan, nan),
            ("up", "profit", 1100.0, 10, 1080, 1120, 100.0, 50.0, 150.0),
            ("noise", "profit", 1010.0, 10, 990, 1030, 10.0, -5.0, 25.0),
            ("down", "profit", 900.0, 10, 880, 920, -100.0, -150.0, -50.0),
            ("same", "profit", 1000.0, 10, 980, 1020, 0.0, 0.0, 0.0),
            ("baseline", "churn", 0.25, 0.01, 0.23, 0.27, nan, nan, nan),
            ("up", "churn", 0.2, 0.01, 0.18, 0.22, -0.05, -0.07, -0.03),
        ]
    )
    t = app.results_table(summary).set_index(["kpi", "variant"])
    assert t.loc[("profit", "up"), "verdict"] == "up"
    assert t.loc[("profit", "noise"), "verdict"] == "within noise"
    assert t.loc[("profit", "down"), "verdict"] == "down"
    assert t.loc[("profit", "same"), "verdict"] == "no change"
    assert t.loc[("profit", "baseline"), "verdict"] == ""
    assert t.loc[("profit", "noise"), "change interval"] == "[−5.00, +25.0]"
    assert t.loc[("profit", "down"), "change"] == "−100.0"
    # shares in %, their changes in points
    assert t.loc[("churn", "up"), "mean"] == "20.0 %"
    assert t.loc[("churn", "up"), "change interval"] == "[−7.0 pt, −3.0 pt]"
    assert app.headline(summary, variant="noise") == "profit +10.0 [−5.00, +25.0] (within noise)"
    html = app.results_html(app.results_table(summary))
    assert html.count("<tr class='noise'>") == 2 and "within noise" in html


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A finished tiny sweep run through the studio's background Run (2 variants × 2 seeds)."""
    home = tmp_path_factory.mktemp("studio")
    s = app.Settings(
        customers=200, years=0.5, replications=2, values={"retention_uplift": 0.3},
        question="What is a retention programme worth?", workers=1,
    )  # fmt: skip
    spec = app.build_spec(s)
    out = app.sweep_folder(home, spec)
    seen = []
    run = app.Run(spec, out, workers=1, on_change=lambda r: seen.append((r.state, r.done)))
    assert run.start().join(timeout=300)
    return s, spec, out, run, seen


def test_a_run_fills_in_task_by_task_and_its_summary_is_the_paired_mean(tiny_run):
    s, spec, out, run, seen = tiny_run
    assert (run.state, run.error, run.done, run.total) == ("finished", "", 4, 4)
    assert [d for st, d in seen if st == "running"] == [0, 1, 2, 3, 4]
    assert seen[-1] == ("finished", 4)
    rows = {
        (r["variant"], r["seed"]): r
        for r in (json.loads(p.read_text()) for p in out.glob("tasks/*/seed-*.json"))
    }
    per_seed = [
        rows[("all changes", k)]["kpis"]["orders"] - rows[("baseline", k)]["kpis"]["orders"]
        for k in (0, 1)
    ]
    summary = sweep.summarise(out)
    got = summary.set_index(["variant", "kpi"]).loc[("all changes", "orders")]
    assert got["diff"] == pytest.approx(sum(per_seed) / 2)
    monthly = app.monthly_from_tasks(out)
    first = monthly.index[0]
    by_hand = sum(rows[("baseline", k)]["monthly_revenue"][str(first)] for k in (0, 1)) / 2
    assert monthly.loc[first, "baseline"] == pytest.approx(by_hand)
    assert list(monthly.columns) == ["baseline", "all changes"]


def test_a_second_run_with_the_same_settings_reuses_finished_tasks(tiny_run):
    s, spec, out, run, _ = tiny_run
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("tasks/*/seed-*.json")}
    again = app.Run(app.build_spec(s), app.sweep_folder(out.parents[1], spec), workers=1)
    assert again.start().join(timeout=120)
    assert again.state == "finished" and again.done == 4
    assert {p: p.stat().st_mtime_ns for p in out.glob("tasks/*/seed-*.json")} == stamps


def test_report_and_exports_carry_the_lever_the_intervals_and_the_spec(tiny_run, tmp_path):
    s, spec, out, run, _ = tiny_run
    summary = sweep.summarise(out)
    files = report.export_all(
        tmp_path / "export", spec=spec, summary=summary, monthly=app.monthly_from_tasks(out),
        question=s.question, changes=app.changed_values(s),
    )  # fmt: skip
    page = files["html"].read_text()
    assert "What is a retention programme worth?" in page
    assert "Retention uplift" in page and ">0.3<" in page  # the levers table: lever, value
    assert page.count("data:image/png;base64,") == 2  # delta and monthly charts
    assert f">{whatif.AGENT_COST_PER_YEAR:,g}<" in page  # the agent cost assumption
    base = preset("default")
    assert f">{base.loyalty.running_cost_per_member:g}<" in page
    assert f">{base.acquisition.cost_per_lead['tv']:g}<" in page
    assert "Seeds: 0, 1." in page
    # the SPEC in the report loads back to the same sweep
    spec_text = page.split('<pre class="spec">')[1].split("</pre>")[0]
    import html as _html

    reloaded = yaml.safe_load(_html.unescape(spec_text))
    assert reloaded == spec
    assert sweep.load_spec(reloaded).to_dict() == sweep.load_spec(spec).to_dict()
    csv = pd.read_csv(files["csv"])
    row = csv[(csv["variant"] == "all changes") & (csv["kpi"] == "orders")].iloc[0]
    assert row["levers"] == "retention_uplift=0.3"
    assert row["diff"] == pytest.approx(
        summary.set_index(["variant", "kpi"]).loc[("all changes", "orders"), "diff"]
    )
    assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    book = openpyxl.load_workbook(files["xlsx"])
    assert book.sheetnames == ["kpis", "levers", "spec"]
    assert [c.value for c in book["levers"][2]] == ["retention_uplift", "0.3"]


def test_the_studio_widget_says_what_is_wrong_instead_of_running(tmp_path):
    pytest.importorskip("ipywidgets")
    st = ui.Studio(tmp_path)
    st.controls["retention_uplift"].value = 1.5
    assert st.start() is None
    assert "retention_uplift" in st.message.value and "1.5" in st.message.value
    st.controls["retention_uplift"].value = 0.1
    st.scheduler.value = "not-an-address"
    assert st.start() is None and "Dask scheduler" in st.message.value
    assert not (tmp_path / "history").exists()  # nothing recorded for a run that never started
    st.preset.value = "default"
    # one box per market, showing the brand total's split
    assert st.values()["agents"] == app.market_agents("default")
    assert sum(st.values()["agents"].values()) == preset("default").service.agents


def test_cli_studio_refuses_a_bad_port(capsys):
    assert main(["studio", "--port", "70000"]) == 2
    assert "port" in capsys.readouterr().err


def test_voila_command_serves_on_localhost_without_tracebacks(tmp_path):
    cmd = app.voila_command(tmp_path / "studio.ipynb", 8123, open_browser=False)
    assert "--port=8123" in cmd and "--Voila.ip=127.0.0.1" in cmd and "--no-browser" in cmd
    assert "--VoilaConfiguration.show_tracebacks=False" in cmd
    nb = app.notebook_json()
    assert nb["metadata"]["kernelspec"]["name"] == "crm-workbench"
    assert "studio()" in "".join(nb["cells"][0]["source"])


def test_retention_in_points_is_the_hazard_cut_that_adds_those_points():
    # r = 0.4: u = 1 - ln(0.45) / ln(0.4), by hand 0.128543
    u = app.retention_uplift_for_points(0.4, 0.05)
    assert u == pytest.approx(1 - math.log(0.45) / math.log(0.4), rel=1e-12)
    assert u == pytest.approx(0.128543, abs=1e-6)
    assert 0.4 ** (1 - u) == pytest.approx(0.45, rel=1e-12)  # the survival with the cut hazard
    # not a 5 % relative cut, the mistake the course warns about
    assert abs(u - 0.05) > 0.05
    for r, p in ((0.0, 0.05), (1.0, 0.05), (0.97, 0.05), (0.4, 0.0)):
        with pytest.raises(app.StudioError):
            app.retention_uplift_for_points(r, p)


def test_lifetime_margin_rise_is_steep_only_at_high_retention():
    # m / (1 - r/(1+d)): r 0.6 -> 0.65 at d 0.1 gives 0.4545.../0.4090... - 1 = 1/9
    assert float(app.lifetime_margin_increase(0.6, 0.65, 0.1)) == pytest.approx(1 / 9)
    # undiscounted, 0.90 -> 0.95 halves the loss rate: lifetime doubles (+100 %)
    assert float(app.lifetime_margin_increase(0.9, 0.95, 0.0)) == pytest.approx(1.0)
    many = app.lifetime_margin_increase([0.3, 0.6], [0.35, 0.65], 0.1)
    assert many[0] < many[1]


def test_retention_for_lifetime_rise_inverts_the_lifetime_margin():
    # By hand: (1.1 − r) / (1.05 − r) = 1.5  =>  r = 0.95.
    assert app.retention_for_lifetime_rise(0.05, 0.5, 0.1) == pytest.approx(0.95)
    assert app.retention_for_lifetime_rise(0.05, 0.9, 0.1) == pytest.approx(1.1 - 0.05 * 1.9 / 0.9)
    for p, g, d in [(0.05, 0.5, 0.1), (0.05, 0.9, 0.1), (0.1, 0.25, 0.0)]:
        r = app.retention_for_lifetime_rise(p, g, d)
        assert float(app.lifetime_margin_increase(r, r + p, d)) == pytest.approx(g)
    for bad in [(0.0, 0.5, 0.1), (0.05, 0.0, 0.1), (0.05, 0.5, -0.1)]:
        with pytest.raises(app.StudioError, match="not allowed"):
            app.retention_for_lifetime_rise(*bad)


def test_per_seed_lines_up_each_replication(tiny_run):
    _, _, out, _, _ = tiny_run
    table = app.per_seed(out, "orders")
    assert list(table.index) == [0, 1] and list(table.columns) == ["all changes", "baseline"]
    row = json.loads((out / "tasks" / "baseline" / "seed-1.json").read_text())
    assert table.loc[1, "baseline"] == row["kpis"]["orders"]


def test_notebook_10_uses_replications_and_discusses_the_staffing():
    from pathlib import Path

    nb = json.loads(
        (Path(__file__).parents[1] / "notebooks" / "10_what_if_studio.ipynb").read_text()
    )
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    prose = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "clv_per_customer" not in code + prose  # realised margin is not a CLV
    assert "sweep.run_sweep" in code and "results_table" in code  # paired t intervals
    assert "2 * sd" not in code  # the old mean > 2 SE test with three seeds
    assert "retention_uplift_for_points" in code  # +5 points, not a 5 % cut
    assert "abandonment" in code.split('staffing.loc["profit"].idxmax()')[1][:300]
    assert "leaves out" in prose
    assert "up to 90 % in insurance" in prose  # the source's claim, quoted right
    assert "retention_for_lifetime_rise" in code  # where the source's +50 % would hold
    # The staffing's margin per extra agent against its cost, and the floor of one per market.
    assert "each extra agent adds" in code and "fewest agents tried" in code
    # The loyalty verdict shows the liability, the one term booked beyond the horizon.
    assert "whatif.profit_bridge" in code and "before them" in code
    assert "breakage" in prose
    # The sweep reuses the comparison's seed-0 runs rather than a smaller population.
    assert "sweep_customers or customers" in code and "reused" in code


def test_an_unreachable_scheduler_is_a_message_not_a_traceback(tmp_path):
    from sim.studio.app import free_port

    spec = app.build_spec(
        app.Settings(customers=100, years=0.25, values={"agents": {"americas": 3}})
    )
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    run = app.Run(spec, tmp_path / "sweep", scheduler=address).start()
    assert run.join(timeout=120)
    assert run.state == "error"
    assert address in run.error and "\n" not in run.error and "Traceback" not in run.error
