"""sim.studio.whatif: KPIs on a hand-made run, lever mapping and errors, same-seed comparisons."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import sim
from sim.scenario import ScenarioError
from sim.studio import whatif

T = pd.Timestamp


def tiny_run() -> SimpleNamespace:
    """Three customers over two years (2024-01-01 .. 2025-12-31), every KPI computable by hand."""
    scenario = sim.preset("default").with_overrides(
        {
            "population": {"customers": 3, "years": 2.0, "start_date": "2024-01-01"},
            "purchases": {"gross_margin": 0.6},
            "service": {"agents": 2, "shared_traffic": 1.0},
            "loyalty": {"point_value": 0.02},
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3, 4],
            "customer_id": [1, 1, 2, 3],
            "order_date": [T("2024-03-01"), T("2025-02-01"), T("2024-06-01"), T("2025-06-01")],
            "gross_amount": [100.0, 200.0, 50.0, 100.0],
            "net_amount": [90.0, 200.0, 50.0, 100.0],
        }
    )
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "loyalty_member": [True, False, False],
            "loyalty_enrol_date": [T("2024-03-01"), pd.NaT, pd.NaT],
        }
    )
    leads = pd.DataFrame({"lead_id": [1, 2, 3, 4, 5], "converted": [1, 1, 1, 0, 0]}).astype(
        {"converted": bool}
    )
    spend = pd.DataFrame(
        {
            "month": [T("2024-01-01"), T("2024-02-01"), T("2024-02-01"), T("2025-02-01")]
            + [T("2025-03-01")],
            "channel": ["tv", "social", "email", "loyalty", "advisor"],
            "purpose": ["acquisition", "acquisition", "retention", "retention", "retention"],
            "spend": [200.0, 100.0, 12.0, 20.0, 8.0],  # loyalty: 10 rewards + 10 running cost
        }
    )
    surveys = pd.DataFrame({"survey_id": [1, 2, 3, 4], "nps": [10, 9, 5, 8]})
    tickets = pd.DataFrame(
        {
            "ticket_id": [1, 2, 3, 4, 5],
            "channel": ["phone", "phone", "phone", "phone", "email"],
            "abandoned": [True, False, False, False, False],
        }
    )
    ledger = pd.DataFrame(
        {
            "entry_id": [1, 2, 3],
            "customer_id": [1, 1, 1],
            "timestamp": [T("2024-03-01"), T("2025-02-01"), T("2025-02-01")],
            "kind": ["earn", "burn", "earn"],
            "points": [600, -500, 200],
            "balance": [600, 100, 300],
        }
    )
    return SimpleNamespace(
        scenario=scenario,
        orders=orders,
        customers=customers,
        leads=leads,
        marketing_spend=spend,
        surveys=surveys,
        tickets=tickets,
        loyalty_ledger=ledger,
    )


def test_kpis_by_hand():
    k = whatif.kpis(tiny_run(), agent_cost_per_year=100.0)
    assert list(k.index) == list(whatif.KPI_DEFINITIONS)
    assert k["customers"] == 3 and k["orders"] == 4
    assert k["revenue"] == pytest.approx(440.0)
    assert k["gross_margin"] == pytest.approx(440.0 - 0.4 * 450.0)  # 260
    assert k["acquisition_spend"] == pytest.approx(300.0)
    assert k["retention_spend"] == pytest.approx(40.0)  # e-mail 12 + loyalty 20 + advisor 8
    assert k["marketing_spend"] == pytest.approx(340.0)
    # 2 agents across the 4 markets: each market keeps one, so 4 are staffed;
    # (4 agents - 1 Erlang funded by the other brands) x 100 EUR a year x 2 years = 600
    assert len(sim.preset("default").markets.names) == 4
    assert k["service_cost"] == pytest.approx((4 - 1.0) * 100.0 * 2.0)
    assert k["loyalty_cost"] == pytest.approx(20.0)
    assert k["loyalty_rewards"] == pytest.approx(500 * 0.02)  # 10, already out of the margin
    assert k["loyalty_liability"] == pytest.approx(300 * 0.02)  # 6
    # rewards counted once: margin - (spend - rewards) - service - liability
    assert k["profit"] == pytest.approx(260.0 - (340.0 - 10.0) - 600.0 - 6.0)
    assert k["repeat_rate"] == pytest.approx(1 / 3)
    # active in 2024 (until 2024-12-31): {1, 2}; in the last year: {1, 3} -> 1 of 2 lost
    assert k["churn"] == pytest.approx(0.5)
    assert k["nps"] == pytest.approx(25.0)  # (2 promoters - 1 detractor) / 4
    assert k["abandonment"] == pytest.approx(0.25)  # phone only
    assert k["members"] == pytest.approx(1 / 3)
    assert k["cac"] == pytest.approx(100.0)
    assert k["past_margin_per_customer"] == pytest.approx(260.0 / 3)


def test_kpis_without_programme_surveys_or_calls():
    run = tiny_run()
    run.loyalty_ledger = run.loyalty_ledger.iloc[:0]
    run.surveys = run.surveys.iloc[:0]
    run.tickets = run.tickets[run.tickets["channel"] == "email"]
    k = whatif.kpis(run)
    assert k["loyalty_liability"] == 0.0 and k["loyalty_rewards"] == 0.0
    assert math.isnan(k["nps"]) and math.isnan(k["abandonment"])


def test_kpis_reject_bad_costs():
    with pytest.raises(ValueError, match="agent_cost_per_year"):
        whatif.kpis(tiny_run(), agent_cost_per_year=-1.0)


def test_kpi_definitions_cover_every_kpi():
    table = whatif.kpi_definitions()
    assert list(table.index) == list(whatif.kpis(tiny_run()).index)
    assert set(table.columns) == {"unit", "definition"}


# --------------------------------------------------------------------------- levers


def test_simple_levers_map_to_scenario_fields():
    base = sim.preset("default")
    s = whatif.lever_scenario(
        base,
        retention_uplift=0.05,
        agents=3,
        loyalty_enabled=False,
        newsletters_per_month=4.0,
        earn_rate=2.0,
        reward_threshold=800,
        expiry_days=365.0,
    )
    assert s.experience.retention_uplift == 0.05
    assert s.service.agents == 3
    assert s.loyalty.enabled is False
    assert s.campaigns.newsletters_per_month == 4.0
    assert (s.loyalty.points_per_eur, s.loyalty.reward_threshold) == (2.0, 800)
    assert s.loyalty.expiry_days == 365.0
    assert base.service.agents == 5  # the base is untouched
    for name, lever in whatif.LEVERS.items():
        assert lever.meaning, name


def test_unknown_lever_names_it_and_lists_the_allowed_ones():
    with pytest.raises(ScenarioError) as err:
        whatif.lever_scenario(sim.preset("default"), retention_uplfit=0.05)
    msg = str(err.value)
    assert "retention_uplfit" in msg and "retention_uplift" in msg and "agents" in msg


def test_bad_lever_values_are_clear_errors():
    base = sim.preset("default")
    with pytest.raises(ScenarioError, match="retention_uplift"):
        whatif.lever_scenario(base, retention_uplift=1.5)
    with pytest.raises(ScenarioError, match="service.agents"):
        whatif.lever_scenario(base, agents=0)
    with pytest.raises(ScenarioError, match="acquisition_budget_change"):
        whatif.lever_scenario(base, acquisition_budget_change=-1.0)
    with pytest.raises(ScenarioError, match="acquisition_elasticity"):
        whatif.lever_scenario(base, acquisition_budget_change=0.1, acquisition_elasticity=2)
    with pytest.raises(ScenarioError, match="referral"):
        whatif.lever_scenario(base, acquisition_budget_mix={"referral": 1.0})
    with pytest.raises(ScenarioError, match="summing to 1"):
        whatif.lever_scenario(base, acquisition_budget_mix={"tv": 0.5, "social": 0.2})


def small_acquisition() -> sim.Scenario:
    """Two channels: paid search (CAC 10/0.1 = 100) and referral (not paid), 1000 customers."""
    zero = {c: 0.0 for c in ("social", "tv", "store_walk_in", "partners")}
    return sim.preset("default").with_overrides(
        {
            "population": {"customers": 1000},
            "acquisition": {
                "channel_mix": {**zero, "paid_search": 0.6, "referral": 0.4},
                "cost_per_lead": {**zero, "paid_search": 10.0, "referral": 5.0},
                "lead_conversion": {
                    **{c: 0.5 for c in zero},
                    "paid_search": 0.1,
                    "referral": 0.5,
                },
            },
        }
    )


def test_budget_change_scales_paid_customers_and_cost_per_lead():
    from sim.world.prospects import cost_per_lead
    from sim.world.purchases import pool_keys

    base = small_acquisition()
    s = whatif.lever_scenario(base, acquisition_budget_change=0.21, acquisition_elasticity=0.5)
    assert s.acquisition.budget == pytest.approx(1.21)
    assert s.acquisition.saturation == 0.5
    assert s.population.customers == 1000  # the baseline's size: the world moves along the curve
    # A paid lead costs 10 x 1.21 ** 0.5 = 11; referral leads are not bought.
    cpl = cost_per_lead(s)
    assert cpl["paid_search"] == pytest.approx(11.0)
    assert cpl["referral"] == 5.0
    # Paid people: 600 expected at the baseline, 600 x 1.21 ** 0.5 = 660 at the new budget
    # (a keyed binomial draw: within 3 SE); the baseline's people are all still there.
    keys = pool_keys(s, seed=0)
    base_keys = pool_keys(base, seed=0)
    assert set(base_keys) <= set(keys)
    assert len(keys) - len(base_keys) == pytest.approx(60, abs=3 * np.sqrt(660 * (1 - 1 / 1.1)))
    # Spend on paid search: 660 customers x 11 / 0.1 = 72,600 = 1.21 x 60,000.
    assert 660 * 11.0 / 0.1 == pytest.approx(1.21 * 600 * 10.0 / 0.1)


def test_budget_mix_keeps_the_budget_and_round_trips():
    base = sim.preset("default")
    shares = whatif.acquisition_budget_shares(base)
    assert shares.sum() == pytest.approx(1.0)
    assert list(shares.index) == list(whatif.PAID_CHANNELS)
    same = whatif.lever_scenario(base, acquisition_budget_mix=shares.to_dict())
    assert same.population.customers == base.population.customers
    for ch, v in base.acquisition.channel_mix.items():
        assert same.acquisition.channel_mix[ch] == pytest.approx(v)
    # all the paid budget on the cheapest paid channel buys more customers
    cheap = whatif.lever_scenario(base, acquisition_budget_mix={"paid_search": 1.0})
    assert cheap.population.customers > base.population.customers
    assert cheap.acquisition.channel_mix["tv"] == 0.0


# --------------------------------------------------------------------------- comparing


@pytest.fixture(scope="module")
def pair():
    base = sim.preset("default").with_overrides({"population": {"customers": 300, "years": 1.0}})
    return {"baseline": base, "retention": whatif.lever_scenario(base, retention_uplift=0.3)}


def test_compare_is_deterministic_and_retention_raises_orders(pair):
    a = whatif.compare(pair, seed=3)
    b = whatif.compare(pair, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["baseline", "retention"]
    assert list(a.index) == list(whatif.KPI_DEFINITIONS)
    # The same people arrive; only word of mouth (referrals, detractors) moves the count.
    base_n, kept_n = a.loc["customers", "baseline"], a.loc["customers", "retention"]
    assert abs(kept_n - base_n) <= 0.03 * base_n
    assert a.loc["orders", "retention"] > a.loc["orders", "baseline"]
    d = whatif.deltas(a)
    assert list(d.columns) == ["retention"]
    assert (
        d.loc["orders", "retention"] == a.loc["orders", "retention"] - a.loc["orders", "baseline"]
    )


def test_compare_without_loyalty_programme(pair):
    """Needs the simulation to build an empty, typed ledger when the programme is off."""
    off = {
        "baseline": pair["baseline"],
        "off": whatif.lever_scenario(pair["baseline"], loyalty_enabled=False),
    }
    table = whatif.compare(off, seed=3)
    assert table.loc["members", "off"] == 0.0
    assert table.loc["loyalty_liability", "off"] == 0.0 and table.loc["loyalty_cost", "off"] == 0.0
    assert table.loc["loyalty_cost", "baseline"] > table.loc["loyalty_rewards", "baseline"] > 0
    assert table.loc["members", "baseline"] > 0


def test_deltas_relative_and_missing_baseline():
    table = pd.DataFrame({"baseline": [10.0, 0.0], "v": [12.0, 1.0]}, index=["a", "b"])
    rel = whatif.deltas(table, relative=True)
    assert rel.loc["a", "v"] == pytest.approx(0.2)
    assert math.isnan(rel.loc["b", "v"])
    with pytest.raises(KeyError, match="base"):
        whatif.deltas(table, baseline="base")


def test_monthly_revenue_per_scenario():
    run = tiny_run()
    m = whatif.monthly_revenue({"x": run, "y": run})
    assert list(m.columns) == ["x", "y"]
    assert m["x"].sum() == pytest.approx(440.0)
    assert m.loc[pd.Period("2024-03", "M"), "y"] == pytest.approx(90.0)


def test_simulate_scenarios_caches_and_returns_copies(pair):
    first = whatif.simulate_scenarios(pair, seed=3)
    first["baseline"].orders.loc[:, "net_amount"] = 0.0
    again = whatif.simulate_scenarios(pair, seed=3)
    assert again["baseline"].orders["net_amount"].sum() > 0
    with pytest.raises(ValueError, match="seed"):
        whatif.simulate_scenarios(pair, seed=-1)
    with pytest.raises(TypeError, match="bad"):
        whatif.simulate_scenarios({"bad": "default"}, seed=1)


# --------------------------------------------------------------------------- the studio notebook


@pytest.mark.notebooks
@pytest.mark.timeout(300)
def test_studio_runs_with_consultant_parameters(output_dir):
    """`papermill notebooks/10_what_if_studio.ipynb out.ipynb -p retention_points 0.1 -p customers 2000`.

    What this asserts is that the consultant's parameters reach the baseline, the
    uplift and the exported KPI table; the replicated sweep and the staffing sweep
    only have to run, so they run small (2 seeds, 2 staffings) to keep the test short.
    """
    import papermill as pm

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "10_what_if_studio.ipynb"
    out = output_dir / "notebooks" / "whatif__consultant.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    export = output_dir / "whatif_kpis.csv"
    params = {
        "retention_points": 0.1,
        "customers": 2000,
        "export_path": str(export),
        "replications": 2,
        "agent_options": [5, 6],
        "INTERACTIVE": False,
    }
    nb = pm.execute_notebook(
        str(notebook),
        str(out),
        parameters=params,
        kernel_name="crm-workbench",
        cwd=str(notebook.parent),
        execution_timeout=120,
        start_timeout=60,
        progress_bar=False,
    )
    text = "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("name") == "stdout"
    )
    assert "2,000 customers over 2 years" in text
    assert "+10 points -> retention_uplift" in text
    table = pd.read_csv(export, index_col="kpi")
    # 2,000 is the expected number of acquired customers; word of mouth moves it a little.
    assert abs(table.loc["customers", "baseline"] - 2000) <= 0.05 * 2000
    assert table.loc["orders", "retention +points"] > table.loc["orders", "baseline"]


def test_run_cache_is_keyed_on_scenario_and_seed_and_drops_the_least_recent():
    calls = []

    def fake_run(scenario, seed):
        calls.append((scenario.population.customers, seed))
        return object()

    cache = whatif.RunCache(maxsize=2)
    a = sim.preset("default").with_overrides({"population": {"customers": 100}})
    a_again = sim.Scenario.from_dict(a.to_dict())  # equal, a different object
    b = a.with_overrides({"population": {"customers": 200}})
    first = cache.get(a, 0, fake_run)
    assert cache.get(a_again, 0, fake_run) is first  # equal scenario, same seed: reused
    assert (cache.hits, cache.misses) == (1, 1)
    cache.get(a, 1, fake_run)  # another seed is another run
    assert calls == [(100, 0), (100, 1)]
    assert cache.peek(b, 0) is None and (cache.hits, cache.misses) == (1, 2)  # peek counts nothing
    cache.get(a, 0, fake_run)  # (a, 0) is now the most recent ...
    cache.get(b, 0, fake_run)  # ... so (a, 1) is the one dropped
    assert len(cache) == 2 and (a, 0) in cache and (b, 0) in cache and (a, 1) not in cache
    cache.get(a, 1, fake_run)
    assert calls == [(100, 0), (100, 1), (200, 0), (100, 1)]
    cache.clear()
    assert len(cache) == 0 and cache.hits == cache.misses == 0
    with pytest.raises(ValueError, match="maxsize"):
        whatif.RunCache(maxsize=0)


def test_profit_bridge_sums_to_the_profit_difference():
    """Terms by hand: profit = margin − (marketing − rewards) − service − liability."""
    rows = ["gross_margin", "marketing_spend", "loyalty_rewards", "service_cost"]
    rows += ["loyalty_liability", "profit"]
    table = pd.DataFrame(
        {
            "on": [1000.0, 300.0, 40.0, 200.0, 70.0, 1000 - (300 - 40) - 200 - 70],
            "off": [960.0, 250.0, 0.0, 200.0, 0.0, 960 - 250 - 200 - 0],
        },
        index=rows,
    )
    b = whatif.profit_bridge(table, "on", "off")
    assert list(b.index) == [*whatif.PROFIT_TERMS, "profit"]
    assert b["gross_margin"] == 40.0
    assert b["marketing_spend net of loyalty rewards"] == -(50.0 - 40.0)
    assert b["service_cost"] == 0.0 and b["loyalty_liability"] == -70.0
    assert b["profit"] == -40.0 == table.loc["profit", "on"] - table.loc["profit", "off"]
    with pytest.raises(KeyError, match="none"):
        whatif.profit_bridge(table, "none", "off")
