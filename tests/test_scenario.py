"""Scenario validation: every bad value names its field and what is allowed."""

import json

import pytest

from sim.scenario import Scenario, ScenarioError, load_scenario, preset, preset_names


def test_presets_build_and_differ():
    names = preset_names()
    assert {"default", "mass_market", "pure_bgnbd"} <= set(names)
    default, mass = preset("default"), preset("mass_market")
    assert default.purchases.mean_order_value > 5 * mass.purchases.mean_order_value
    assert mass.purchases.channel_mix["ecommerce"] > default.purchases.channel_mix["ecommerce"]
    assert preset("pure_bgnbd").experience.neutral
    assert not default.experience.neutral


def test_mean_order_value_is_gamma_gamma_mean():
    pu = preset().purchases
    # E[z] = p * gamma / (q - 1) = 6 * 180 / 3 = 360
    assert pu.mean_order_value == pytest.approx(360.0)


@pytest.mark.parametrize(
    ("overrides", "field", "allowed"),
    [
        ({"population": {"customers": 0}}, "population.customers", "whole number >= 1"),
        ({"population": {"customers": 2.5}}, "population.customers", "whole number"),
        ({"population": {"years": -1}}, "population.years", "> 0"),
        ({"population": {"consent_email": 1.5}}, "population.consent_email", "probability"),
        ({"population": {"start_date": "someday"}}, "population.start_date", "ISO date"),
        (
            {"population": {"generation_mix": {"Gen Z": 0.5, "Millennials": 0.4}}},
            "population.generation_mix",
            "summing to 1",
        ),
        (
            {"population": {"nationality_mix": {"XX": 1.0}}},
            "population.nationality_mix.XX",
            "among",
        ),
        (
            {"acquisition": {"channel_mix": {"radio": 1.0}}},
            "acquisition.channel_mix.radio",
            "among",
        ),
        (
            {"acquisition": {"cost_per_lead": {"tv": -3}}},
            "acquisition.cost_per_lead",
            "every channel",
        ),
        ({"purchases": {"r": -0.1}}, "purchases.r", "> 0"),
        ({"purchases": {"spend_q": 1.0}}, "purchases.spend_q", "> 1"),
        ({"purchases": {"gross_margin": 1.2}}, "purchases.gross_margin", "probability"),
        ({"experience": {"retention_uplift": -0.1}}, "experience.retention_uplift", "probability"),
        ({"campaigns": {"open_rate": {"email": 2}}}, "campaigns.open_rate", "every channel"),
        ({"campaigns": {"lapsed_days": 100}}, "campaigns.lapsed_days", "more days than"),
        ({"service": {"agents": 0}}, "service.agents", ">= 1"),
        ({"service": {"shared_traffic": -1.0}}, "service.shared_traffic", ">= 0"),
        (
            {"service": {"patience_minutes": 0, "shared_traffic": 8.0}},
            "service.shared_traffic",
            "fewer Erlangs than agents",
        ),
        (
            {"loyalty": {"tier_thresholds": {"gold": 10, "silver": 5}}},
            "loyalty.tier_thresholds",
            "lowest at 0",
        ),
        ({"data_quality": {"duplicate_share": 2}}, "data_quality.duplicate_share", "probability"),
    ],
)
def test_bad_values_name_field_and_range(overrides, field, allowed):
    with pytest.raises(ScenarioError) as err:
        preset().with_overrides(overrides)
    message = str(err.value)
    assert field in message
    assert allowed in message


def test_unknown_section_and_field_are_named():
    with pytest.raises(ScenarioError, match="'pricing' is not a scenario section"):
        preset().with_overrides({"pricing": {}})
    with pytest.raises(ScenarioError, match="service.agentz is not a known field"):
        preset().with_overrides({"service": {"agentz": 3}})


def test_round_trip_through_dict():
    s = preset("mass_market")
    assert Scenario.from_dict(s.to_dict()) == s


def test_load_yaml_and_json_files(tmp_path):
    yml = tmp_path / "bigger_team.yaml"
    yml.write_text("preset: mass_market\nservice:\n  agents: 9\n")
    s = load_scenario(yml)
    assert s.service.agents == 9
    assert s.name == "bigger_team"
    assert s.purchases == preset("mass_market").purchases
    js = tmp_path / "x.json"
    js.write_text(json.dumps({"experience": {"retention_uplift": 0.05}}))
    assert load_scenario(js).experience.retention_uplift == 0.05
    assert load_scenario("default") == preset("default")


def test_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(ScenarioError, match="missing.yaml' does not exist"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match="not a preset: expected one of default"):
        load_scenario("no_such_preset")
    broken = tmp_path / "broken.yaml"
    broken.write_text("service: [unclosed\n")
    with pytest.raises(ScenarioError, match="cannot parse"):
        load_scenario(broken)
    listy = tmp_path / "list.json"
    listy.write_text("[1, 2]")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(listy)
    bad = tmp_path / "bad.yaml"
    bad.write_text("service:\n  contact_prob: 1.5\n")
    with pytest.raises(ScenarioError, match=r"service.contact_prob = 1.5"):
        load_scenario(bad)
