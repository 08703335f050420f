"""Agents per market (``markets.agents``): validation, files, the engine's centres, the studio.

A market named in ``markets.agents`` staffs exactly that many agents; the
markets it omits keep their share of ``service.agents`` (largest remainders,
at least one where there are customers). The field is left out of
``to_dict()`` while empty, so existing scenario files and dataset manifests do
not change. The engine run checks each market's queue against Erlang C at the
agents given; the studio checks that only the markets moved reach the SPEC and
that a history saved with the old brand-total control still loads.
"""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest

from sim.analytics.service import erlang_c
from sim.compose import simulate
from sim.geography import MARKETS
from sim.scenario import Scenario, ScenarioError, load_scenario, preset
from sim.studio import app, report, sweep, whatif
from sim.studio.sweep_spec import _diff
from sim.world import engine

EMEA, AMERICAS, CHINA, APAC = MARKETS


def _with(agents, **more):
    return preset("default").with_overrides({"markets": {"agents": agents}, **more})


# --------------------------------------------------------------------------- the field
@pytest.mark.parametrize(
    "agents, field, allowed",
    [
        ({"mars": 3}, "markets.agents.mars", f"a market among {', '.join(MARKETS)}"),
        ({AMERICAS: 0}, f"markets.agents.{AMERICAS}", "a whole number >= 1"),
        ({AMERICAS: 2.5}, f"markets.agents.{AMERICAS}", "a whole number >= 1"),
        ({AMERICAS: True}, f"markets.agents.{AMERICAS}", "a whole number >= 1"),
        (5, "markets.agents", "a mapping of market -> agents"),
    ],
)
def test_bad_market_agents_get_a_one_line_error(agents, field, allowed):
    with pytest.raises(ScenarioError) as err:
        _with(agents)
    text = str(err.value)
    assert text.startswith(f"{field} = ") and allowed in text and "\n" not in text


def test_market_agents_are_frozen_in_market_order_and_whole_floats_are_counts():
    a = _with({CHINA: 9, EMEA: 6.0})
    b = _with({EMEA: 6, CHINA: 9})
    assert list(a.markets.agents.items()) == [(EMEA, 6), (CHINA, 9)]
    assert isinstance(a.markets.agents[EMEA], int)
    assert a == b and hash(a) == hash(b)  # the same staffing is the same scenario (a cache key)
    with pytest.raises(TypeError):
        a.markets.agents[EMEA] = 7  # type: ignore[index]


def test_to_dict_leaves_empty_market_agents_out_and_round_trips_them(tmp_path):
    base = preset("default")
    assert list(base.to_dict()["markets"]) == ["names", "countries"]  # manifests unchanged
    sc = _with({AMERICAS: 4})
    data = sc.to_dict()
    assert data["markets"]["agents"] == {AMERICAS: 4}
    assert Scenario.from_dict(data) == sc
    assert json.loads(json.dumps(data)) == data
    path = tmp_path / "agents.yaml"
    path.write_text(f"preset: default\nmarkets:\n  agents: {{{CHINA}: 9, {EMEA}: 6}}\n")
    assert load_scenario(path).markets.agents == {EMEA: 6, CHINA: 9}


def test_named_markets_get_their_agents_and_the_others_keep_their_share():
    # default: 5 agents over shares 0.418 / 0.196 / 0.205 / 0.181 -> 2.09, 0.98, 1.02, 0.91:
    # floors 2, 0, 1, 0 and the two largest remainders (americas .98, asia_pacific .91) -> 2,1,1,1
    assert engine.team_sizes(preset("default"))["agents"] == {EMEA: 2, AMERICAS: 1, CHINA: 1,
                                                              APAC: 1}  # fmt: skip
    teams = engine.team_sizes(_with({AMERICAS: 4}))
    assert teams["agents"] == {EMEA: 2, AMERICAS: 4, CHINA: 1, APAC: 1}
    assert list(teams["agents"]) == list(MARKETS)
    # the other brands' traffic and the benches do not follow the agents
    assert teams["traffic"] == engine.team_sizes(preset("default"))["traffic"]
    world = engine.World(_with({AMERICAS: 4}, population={"customers": 50, "years": 0.1}), 1)
    assert [c.agents for c in world.centres] == [2, 4, 1, 1]


def test_service_cost_charges_the_agents_each_market_staffs():
    sc = _with({AMERICAS: 10}, population={"customers": 200, "years": 0.25})
    k = whatif.kpis(simulate(sc, seed=1, workers=1))
    # staffed 2 + 10 + 1 + 1 = 14, less the 1 Erlang the other brands fund, for a quarter
    assert k["service_cost"] == pytest.approx((14 - 1.0) * whatif.AGENT_COST_PER_YEAR * 0.25)


def test_a_sweep_baseline_with_market_agents_diffs_against_its_preset():
    base = _with({AMERICAS: 3})
    assert _diff(base, preset("default")) == {"markets": {"agents": {AMERICAS: 3}}}
    # missing on the variant's side counts as empty: the override is dropped, not kept
    assert _diff(preset("default"), base) == {"markets": {"agents": {}}}
    spec = sweep.load_spec(
        {"baseline": {"preset": "default", "markets": {"agents": {AMERICAS: 3}}},
         "variants": {"more": {"markets": {"agents": {AMERICAS: 5, CHINA: 2}}},
                      "none": {"markets": {"agents": {}}}},
         "grid": {"markets.agents": [{EMEA: 4}, {EMEA: 7}]},
         "replications": 2}
    )  # fmt: skip
    assert spec.to_dict()["baseline"] == {"preset": "default",
                                          "markets": {"agents": {AMERICAS: 3}}}  # fmt: skip
    assert spec.baseline.markets.agents == {AMERICAS: 3}
    assert spec.variant("more").scenario.markets.agents == {AMERICAS: 5, CHINA: 2}
    assert engine.team_sizes(spec.variant("none").scenario)["agents"][AMERICAS] == 1
    grid = [v for v in spec.variants if v.kind == "grid"]
    assert [v.scenario.markets.agents for v in grid] == [{EMEA: 4}, {EMEA: 7}]
    assert sweep.load_spec(spec.to_dict()).to_dict() == spec.to_dict()


# --------------------------------------------------------------------------- the engine
def test_each_markets_queue_waits_as_erlang_c_at_its_own_agents():
    # Two markets, 6 agents in Europe and 9 in Greater China (the brand total of 20
    # would split 8 / 12). The other brands' calls (12 Erlangs split 4.24 : 5.76 by
    # expected customers, no hang-ups) dominate, so each centre is an M/M/c queue;
    # callers arriving at random see its stationary wait (PASTA). As in the
    # sharded test, callers from 11 on are compared (the queue fills from empty at
    # 9), within 3 standard errors of the daily means (days are independent).
    sc = _with(
        {CHINA: 9, EMEA: 6},
        population={"customers": 3000, "years": 1.0,
                    "nationality_mix": {"FR": 0.4, "CN": 0.6}},
        service={"agents": 20, "shared_traffic": 12.0, "patience_minutes": 0.0,
                 "handle_minutes": 10.0, "contact_prob": 0.4},
    )  # fmt: skip
    teams = engine.team_sizes(sc)
    assert teams["agents"] == {EMEA: 6, AMERICAS: 0, CHINA: 9, APAC: 0}
    assert teams["traffic"][EMEA] == pytest.approx(12.0 * 0.424)  # 0.88 * 0.4 + 0.12 * 0.6
    ds = simulate(sc, seed=3, workers=1)
    tk = ds.tickets.merge(ds.customers[["customer_id", "market"]], on="customer_id")
    phone = tk[tk["channel"] == "phone"]
    svc = sc.service
    assert set(phone["market"]) == {EMEA, CHINA}
    split = engine.split_by_share(20, teams["shares"], minimum=1)
    assert (split[EMEA], split[CHINA]) == (8, 12)
    for market, calls in phone.groupby("market"):
        day = calls["created_at"].dt.normalize()
        ours = len(calls) / (day.nunique() * svc.open_hours * 60.0)  # a minute, while open
        load = teams["traffic"][market] + ours * svc.handle_minutes
        theory = erlang_c(load / svc.handle_minutes, svc.handle_minutes, teams["agents"][market])
        late = calls[calls["created_at"].dt.hour >= 11]
        daily = late.groupby(late["created_at"].dt.normalize())["wait_minutes"].mean()
        se = daily.std(ddof=1) / math.sqrt(len(daily))
        got = late["wait_minutes"].mean()
        assert len(late) > 300, market
        assert abs(got - theory.mean_wait) < 3 * se, (market, got, theory.mean_wait, se)
        # and not the wait of the brand total's split: the override is what was staffed
        shared = erlang_c(load / svc.handle_minutes, svc.handle_minutes, split[market])
        assert abs(got - shared.mean_wait) > 3 * se, (market, got, shared.mean_wait, se)


# --------------------------------------------------------------------------- the studio
def test_the_studio_shows_the_split_and_emits_only_the_markets_moved():
    base = app.default_values()["agents"]
    assert base == {EMEA: 2, AMERICAS: 1, CHINA: 1, APAC: 1}
    s = app.Settings(values={"agents": {**base, EMEA: 6, CHINA: 9}, "retention_uplift": 0.05},
                     per_lever=True)  # fmt: skip
    spec = app.build_spec(s)
    assert spec["variants"] == {
        "all changes": {"levers": {"retention_uplift": 0.05},
                        "markets": {"agents": {EMEA: 6, CHINA: 9}}},
        "retention_uplift=0.05": {"levers": {"retention_uplift": 0.05}},
        f"agents({EMEA}=6,{CHINA}=9)": {"markets": {"agents": {EMEA: 6, CHINA: 9}}},
    }  # fmt: skip
    loaded = app.validate(spec)
    staffed = engine.team_sizes(loaded.variant("all changes").scenario)["agents"]
    assert staffed == {EMEA: 6, AMERICAS: 1, CHINA: 9, APAC: 1}
    with pytest.raises(app.StudioError, match="no lever changed"):
        app.build_spec(app.Settings(values={"agents": dict(base)}))
    assert app._describe(spec["variants"]["all changes"]) == (
        f"retention_uplift=0.05, markets.agents({EMEA}=6,{CHINA}=9)"
    )


@pytest.mark.parametrize(
    "value, message",
    [
        ({EMEA: 2.5}, f"Contact-centre agents per market: {EMEA} = 2.5"),
        ({"mars": 2}, "expected a number for each of europe_middle_east_africa"),
    ],
)
def test_bad_market_agents_in_the_studio_get_a_one_line_message(value, message):
    with pytest.raises(app.StudioError) as err:
        app.build_spec(app.Settings(values={"agents": value}))
    assert message in str(err.value) and "\n" not in str(err.value)
    spec = app.build_spec(app.Settings(values={"agents": {AMERICAS: 0}}))
    with pytest.raises(app.StudioError, match=f"markets.agents.{AMERICAS} = 0"):
        app.validate(spec)


def _old_entry(home):
    """A history entry as the studio with one brand-total agents box saved it."""
    folder = home / "history"
    folder.mkdir(parents=True)
    settings = {"preset": "default", "customers": 500, "years": 0.5, "replications": 3,
                "values": {**{k: v for k, v in app.default_values().items() if k != "agents"},
                           "agents": 3},
                "per_lever": False, "question": "fewer agents?", "workers": 1, "scheduler": ""}  # fmt: skip
    spec = {"name": "studio", "description": "fewer agents?",
            "baseline": {"preset": "default", "population": {"customers": 500, "years": 0.5}},
            "variants": {"all changes": {"levers": {"agents": 3}}}, "replications": 3}  # fmt: skip
    entry = {"id": "20260101T000000000000-old", "when": "2026-01-01T00:00:00+00:00",
             "question": "fewer agents?", "settings": settings, "spec": spec,
             "folder": str(home / "sweeps" / "old"), "headline": "profit +1 [−1, +3]"}  # fmt: skip
    (folder / f"run-{entry['id']}.json").write_text(json.dumps(entry))
    return entry, spec


def test_a_history_saved_with_the_brand_total_reloads_as_its_split(tmp_path):
    entry, old_spec = _old_entry(tmp_path)
    h = app.History(tmp_path)
    assert h.table().loc[0, "changes"] == "agents=3"
    s = app.Settings.from_dict(h.get(entry["id"])["settings"])
    # 3 agents over four markets: 1.25, 0.59, 0.61, 0.54 -> 1 each (every market keeps one)
    assert app.upgrade_values("default", s.values)["agents"] == {EMEA: 1, AMERICAS: 1, CHINA: 1,
                                                                 APAC: 1}  # fmt: skip
    assert app.changed_values(s) == {"agents": {EMEA: 1}}
    new = app.validate(app.build_spec(s)).variant("all changes").scenario
    old = app.validate(old_spec).variant("all changes").scenario
    assert engine.team_sizes(new)["agents"] == engine.team_sizes(old)["agents"]

    pytest.importorskip("ipywidgets")
    from sim.studio import ui

    st = ui.Studio(tmp_path)
    st.load_entry(entry["id"])
    assert "Loaded the run" in st.message.value
    assert {m: b.value for m, b in st.controls["agents"].items()} == {
        EMEA: 1, AMERICAS: 1, CHINA: 1, APAC: 1}  # fmt: skip
    assert st.values()["retention_uplift"] == 0.0
    st.controls["agents"][CHINA].value = 5
    assert app.changed_values(st.settings()) == {"agents": {EMEA: 1, CHINA: 5}}


def test_the_report_shows_each_market_moved_and_every_markets_staffing():
    s = app.Settings(values={"agents": {CHINA: 9}}, customers=300, years=0.5, replications=2)
    spec = app.build_spec(s)
    nan = math.nan
    summary = pd.DataFrame(
        [("baseline", "profit", 1000.0, 10.0, 980.0, 1020.0, nan, nan, nan),
         ("all changes", "profit", 900.0, 10.0, 880.0, 920.0, -100.0, -150.0, -50.0)],
        columns=["variant", "kpi", "mean", "se", "ci_low", "ci_high", "diff", "diff_low",
                 "diff_high"],
    )  # fmt: skip
    page = report.build_report(spec, summary, changes=app.changed_values(s))
    cells = re.findall(r"<td>(.*?)</td>", page.split("<h3>Levers</h3>")[1].split("<h2>")[0])
    # one row (lever, name, baseline, variant, meaning): the market moved, not the others
    assert cells[:4] == [f"Contact-centre agents per market: {CHINA}", f"markets.agents.{CHINA}",
                         "1", "9"]  # fmt: skip
    assert len(cells) == 5
    facts = app.assumptions(app.validate(spec).baseline).set_index("assumption")
    assert [facts.loc[f"agents: {m}", "value"] for m in MARKETS] == [2, 1, 1, 1]
    assert "its share of service.agents = 5" in facts.loc[f"agents: {CHINA}", "meaning"]
    assert f"agents: {CHINA}" in page
