"""Acquisition KPIs, lead scoring and budget what-ifs on tiny hand-computed tables."""

import math

import numpy as np
import pandas as pd
import pytest

from sim.analytics.acquisition import (
    LeadScoringRules,
    acquisition_costs,
    budget_allocation,
    clv_cac_ratio,
    funnel_conversion,
    lift_table,
    payback_period,
    score_leads,
)


def _leads():
    rows = [
        # id, created,     channel,  cost, converted, converted_at
        (1, "2024-01-10", "tv", 50.0, True, "2024-01-20"),
        (2, "2024-01-15", "tv", 50.0, False, None),
        (3, "2024-01-20", "social", 10.0, True, "2024-02-05"),
        (4, "2024-02-01", "social", 10.0, False, None),
        (5, "2024-02-10", "social", 10.0, False, None),
        (6, "2024-02-12", "tv", 50.0, True, "2024-02-28"),
    ]
    df = pd.DataFrame(
        rows, columns=["lead_id", "created_at", "channel", "cost", "converted", "converted_at"]
    )
    df["created_at"] = pd.to_datetime(df["created_at"])
    df["converted_at"] = pd.to_datetime(df["converted_at"])
    df["customer_id"] = pd.array([101, None, 103, None, None, 106], dtype="Int64")
    return df


def _spend():
    df = pd.DataFrame(
        [
            ("2024-01-01", "tv", "acquisition", 1000.0),
            ("2024-01-01", "social", "acquisition", 200.0),
            ("2024-01-01", "email", "retention", 500.0),  # not acquisition: ignored
            ("2024-02-01", "tv", "acquisition", 800.0),
            ("2024-02-01", "social", "acquisition", 300.0),
        ],
        columns=["month", "channel", "purpose", "spend"],
    )
    df["month"] = pd.to_datetime(df["month"])
    return df


def test_cpl_cac_by_channel_from_lead_costs():
    got = acquisition_costs(_leads())
    # tv: 3 leads × 50 = 150, 2 customers → CPL 50, CAC 75, conversion 2/3
    # social: 3 × 10 = 30, 1 customer → CPL 10, CAC 30, conversion 1/3
    assert got.loc["tv", ["spend", "leads", "customers"]].tolist() == [150.0, 3, 2]
    assert got.loc["tv", "cpl"] == 50.0 and got.loc["tv", "cac"] == 75.0
    assert got.loc["social", "cpl"] == 10.0 and got.loc["social", "cac"] == 30.0
    assert got["conversion_rate"].tolist() == pytest.approx([1 / 3, 2 / 3])  # social, tv


def test_cpl_cac_by_month():
    got = acquisition_costs(_leads(), by="month")
    jan, feb = got.loc["2024-01-01"], got.loc["2024-02-01"]
    # January: leads 1–3 cost 50 + 50 + 10 = 110; customers converted in Jan: lead 1
    assert jan["spend"] == 110.0 and jan["leads"] == 3 and jan["customers"] == 1
    assert jan["cpl"] == pytest.approx(110 / 3) and jan["cac"] == 110.0
    # February: leads 4–6 cost 70; customers converted in Feb: leads 3 and 6 → CAC 35
    assert feb["spend"] == 70.0 and feb["customers"] == 2 and feb["cac"] == 35.0


def test_cpl_cac_from_marketing_spend():
    by_channel = acquisition_costs(_leads(), _spend())
    # tv: 1000 + 800 = 1800 over 3 leads and 2 customers; social: 500 over 3 and 1
    assert by_channel.loc["tv", "cpl"] == 600.0 and by_channel.loc["tv", "cac"] == 900.0
    assert by_channel.loc["social", "cac"] == 500.0
    assert "email" not in by_channel.index
    got = acquisition_costs(_leads(), _spend(), by="month_channel")
    # Jan social: 200 spent, 1 lead, no customer in Jan → CAC undefined (NaN)
    assert got.loc[(pd.Timestamp("2024-01-01"), "social"), "leads"] == 1
    assert math.isnan(got.loc[(pd.Timestamp("2024-01-01"), "social"), "cac"])
    # Feb social: 300 spent, leads 4 and 5, customer from lead 3 (converted 5 Feb) → CAC 300
    feb_social = got.loc[(pd.Timestamp("2024-02-01"), "social")]
    assert feb_social["leads"] == 2 and feb_social["customers"] == 1 and feb_social["cac"] == 300.0


def test_acquisition_costs_bad_input():
    with pytest.raises(ValueError, match=r"leads.cost: 1 negative"):
        acquisition_costs(_leads().assign(cost=[-1.0, 1, 1, 1, 1, 1]))
    with pytest.raises(ValueError, match=r"leads: missing column\(s\) channel"):
        acquisition_costs(_leads().drop(columns="channel"))
    with pytest.raises(ValueError, match="leads: table is empty"):
        acquisition_costs(_leads().iloc[:0])
    with pytest.raises(ValueError, match=r"leads.converted_at: 1 missing date"):
        acquisition_costs(_leads().assign(converted=[True, True, True, False, False, True]))
    with pytest.raises(ValueError, match="marketing_spend.spend: expected numeric"):
        acquisition_costs(_leads(), _spend().assign(spend="100"))
    with pytest.raises(ValueError, match="by: one of"):
        acquisition_costs(_leads(), by="week")


def test_clv_cac_and_payback():
    assert clv_cac_ratio(600.0, 200.0) == 3.0
    assert math.isnan(clv_cac_ratio(600.0, 0.0))
    ratio = clv_cac_ratio(
        pd.Series({"tv": 900.0, "social": 300.0}), pd.Series({"tv": 300.0, "social": 150.0})
    )
    assert ratio.to_dict() == {"tv": 3.0, "social": 2.0}
    # constant 30 a month: 30, 60, 90, 120 ≥ 100 → month 4
    assert payback_period(100, 30) == 4
    # 50, 80, 100 ≥ 100 → month 3 (exactly covered counts)
    assert payback_period(100, [50, 30, 20, 10]) == 3
    assert payback_period(100, [10, 10]) == math.inf
    assert payback_period(0, 30) == 0
    assert payback_period(100, 0) == math.inf
    with pytest.raises(ValueError, match="cac"):
        payback_period(-5, 30)


def test_funnel_conversion():
    got = funnel_conversion({"visitors": 1000, "leads": 200, "qualified": 50, "customers": 10})
    # steps: 200/1000 = 0.2, 50/200 = 0.25, 10/50 = 0.2; overall: /1000
    assert got["step_conversion"].tolist() == pytest.approx([1.0, 0.2, 0.25, 0.2])
    assert got["overall_conversion"].tolist() == pytest.approx([1.0, 0.2, 0.05, 0.01])
    assert got["drop_off"].tolist() == [0.0, 800.0, 150.0, 40.0]
    with pytest.raises(ValueError, match="funnel.qualified: count is larger"):
        funnel_conversion({"leads": 10, "qualified": 20})
    with pytest.raises(ValueError, match="funnel.count: 1 negative"):
        funnel_conversion({"leads": 10, "qualified": -1})


def _scoring_leads():
    return pd.DataFrame(
        {
            "generation": ["Millennials", "Boomers", "Unknown"],
            "pages_viewed": [25, 3, 0],
            "email_opens": [2, 10, 0],
            "attended_event": [True, False, False],
            "invalid_email": [False, True, False],
        }
    )


def test_score_leads_default_rules():
    got = score_leads(_scoring_leads())
    # 1: Millennials 10 + min(25 × 1, 20) + 2 × 3 + event 15 = 51
    # 2: Boomers 4 + 3 + min(10 × 3, 15) + invalid −20 = 2
    # 3: unknown generation 0, nothing else = 0
    assert got["score"].tolist() == [51.0, 2.0, 0.0]
    assert got.loc[0, ["demographic", "behaviour", "engagement", "event", "negative"]].tolist() == [
        10.0, 20.0, 6.0, 15.0, 0.0,
    ]  # fmt: skip
    custom = LeadScoringRules(generation_points={"Boomers": 30}, invalid_email_points=0)
    # 2: 30 + 3 + 15 + 0 = 48
    assert score_leads(_scoring_leads(), custom)["score"].tolist()[1] == 48.0


def test_lead_scoring_rules_validation():
    with pytest.raises(ValueError, match="invalid_email_points: must be zero or negative"):
        LeadScoringRules(invalid_email_points=5)
    with pytest.raises(ValueError, match="LeadScoringRules.points_per_page"):
        LeadScoringRules(points_per_page=-1)
    with pytest.raises(ValueError, match="leads.pages_viewed: 1 negative"):
        score_leads(_scoring_leads().assign(pages_viewed=[1, -1, 0]))


def test_lift_table():
    scores = [3, 10, 1, 8, 9, 2, 7, 6, 5, 4]
    converted = [False, True, False, False, True, False, True, False, False, False]
    got = lift_table(scores, converted, bins=5)
    # sorted best first: 10✓ 9✓ | 8 7✓ | 6 5 | 4 3 | 2 1 → conversions 2, 1, 0, 0, 0; overall 3/10
    assert got["conversions"].tolist() == [2, 1, 0, 0, 0]
    assert got["leads"].tolist() == [2] * 5
    assert got["conversion_rate"].tolist() == [1.0, 0.5, 0.0, 0.0, 0.0]
    assert got["cum_gains"].tolist() == pytest.approx([2 / 3, 1, 1, 1, 1])
    assert got["lift"].tolist() == pytest.approx([1 / 0.3, 0.5 / 0.3, 0, 0, 0])
    # cum_gains / cum_lead_share: (2/3)/0.2, 1/0.4, 1/0.6, 1/0.8, 1/1
    assert got["cum_lift"].tolist() == pytest.approx([10 / 3, 2.5, 5 / 3, 1.25, 1.0])
    with pytest.raises(ValueError, match="lift.score: expected numeric"):
        lift_table(["a", "b"], [True, False])


def test_budget_allocation_linear_and_saturating():
    got = budget_allocation(
        {"tv": 1, "social": 3}, 1000, {"tv": 50, "social": 10}, {"tv": 0.1, "social": 0.05}
    )
    # shares 0.25 / 0.75 → spend 250 / 750; leads 250/50 = 5, 750/10 = 75
    # customers 5 × 0.1 = 0.5, 75 × 0.05 = 3.75; total 80 leads, 4.25 customers
    assert got["spend"].tolist() == [250.0, 750.0, 1000.0]
    assert got["leads"].tolist() == [5.0, 75.0, 80.0]
    assert got.loc["total", "cac"] == pytest.approx(1000 / 4.25)  # 235.29
    assert got.loc["tv", "cac"] == 500.0 and got.loc["total", "cpl"] == 12.5
    sat = budget_allocation(
        {"tv": 1, "social": 3}, 1000, {"tv": 50, "social": 10}, {"tv": 0.1, "social": 0.05},
        saturation={"tv": 250, "social": 1e12},
    )  # fmt: skip
    # tv: (250 / 50) × (1 − e^(−250/250)) = 5 × 0.632121 = 3.1606 leads
    assert sat.loc["tv", "leads"] == pytest.approx(5 * (1 - np.exp(-1)))
    assert sat.loc["social", "leads"] == pytest.approx(75.0, rel=1e-6)  # huge scale ≈ linear


def test_budget_allocation_bad_input():
    args = ({"tv": 50}, {"tv": 0.1})
    with pytest.raises(ValueError, match="cpl: no value for channel"):
        budget_allocation({"tv": 1, "web": 1}, 100, *args)
    with pytest.raises(ValueError, match="shares: at least one channel"):
        budget_allocation({"tv": 0}, 100, *args)
    with pytest.raises(ValueError, match="shares.tv: negative value"):
        budget_allocation({"tv": -1}, 100, *args)
    with pytest.raises(ValueError, match="cpl.tv: expected a number, got '50'"):
        budget_allocation({"tv": 1}, 100, {"tv": "50"}, {"tv": 0.1})
    with pytest.raises(ValueError, match="cpl.tv: must be positive"):
        budget_allocation({"tv": 1}, 100, {"tv": 0}, {"tv": 0.1})
    with pytest.raises(ValueError, match="conversion_rate.tv: must be at most 1"):
        budget_allocation({"tv": 1}, 100, {"tv": 5}, {"tv": 1.5})
    with pytest.raises(ValueError, match="total_budget"):
        budget_allocation({"tv": 1}, -100, *args)
