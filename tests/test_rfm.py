"""RFM, segments, value tiers and Pareto shares on tiny hand-computed tables.

Also covers the shared input checks of ``sim.analytics._validate``.
"""

import pandas as pd
import pytest

from sim.analytics import _validate as v
from sim.analytics.rfm import (
    SEGMENT_MAP,
    SEGMENTS,
    assign_segments,
    pareto_curve,
    pareto_share,
    quintile_scores,
    rfm_scores,
    rfm_table,
    segment_summary,
    value_tiers,
)


def _orders(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "order_date", "net_amount"])
    df["order_date"] = pd.to_datetime(df["order_date"])
    return df


ORDERS = _orders(
    [
        (1, "2024-01-01", 100.0),
        (1, "2024-01-21", 50.0),
        (2, "2024-01-11", 80.0),
        (3, "2024-02-05", 999.0),  # after the reference date: ignored
    ]
)


def test_rfm_table_hand_computed():
    got = rfm_table(ORDERS, "2024-01-31")
    # customer 1: last order 21 Jan → 31-21 = 10 days; 2 orders; 100 + 50 = 150
    # customer 2: last order 11 Jan → 20 days; 1 order; 80
    expected = pd.DataFrame(
        {"recency_days": [10, 20], "frequency": [2, 1], "monetary": [150.0, 80.0]},
        index=pd.Index([1, 2], name="customer_id"),
    )
    pd.testing.assert_frame_equal(got, expected)


def test_rfm_table_default_reference_is_day_after_last_order():
    got = rfm_table(ORDERS)
    # reference = 5 Feb + 1 = 6 Feb: customer 3 bought 1 day before, customer 1 16 days
    assert got.loc[3, "recency_days"] == 1
    assert got.loc[1, "recency_days"] == 16  # 21 Jan → 6 Feb = 10 + 6
    assert list(got.index) == [1, 2, 3]


def test_quintile_scores_equal_counts_and_ties_by_position():
    recency = pd.Series(range(1, 11), index=range(1, 11), dtype="int64")
    # 10 customers → 2 per score; recency 1–2 days are the most recent → 5
    assert list(quintile_scores(recency, higher_is_better=False)) == [
        5, 5, 4, 4, 3, 3, 2, 2, 1, 1,
    ]  # fmt: skip
    freq = pd.Series([1, 1, 1, 1, 1, 1, 2, 2, 3, 5], index=range(1, 11))
    # rank(method="first"): the six one-order customers get ranks 1..6 in id order,
    # score = 1 + floor(5 * (rank - 1) / 10) → 1,1,2,2,3,3 then 4,4,5,5
    assert list(quintile_scores(freq)) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_rfm_scores_with_custom_cuts_and_segments():
    rfm = pd.DataFrame(
        {
            "recency_days": [30, 31, 365, 366, 10],
            "frequency": [1, 2, 3, 9, 9],
            "monetary": [100.0, 150.0, 500.0, 2000.0, 2000.0],
        },
        index=pd.Index([1, 2, 3, 4, 5], name="customer_id"),
    )
    got = rfm_scores(
        rfm,
        recency_cuts=[30, 90, 180, 365],
        frequency_cuts=[1, 2, 4, 8],
        monetary_cuts=[100, 200, 500, 1000],
    )
    # recency: ≤30 → 5, ≤90 → 4, ≤365 → 2, >365 → 1
    assert list(got["r_score"]) == [5, 4, 2, 1, 5]
    # frequency: ≤1 → 1, ≤2 → 2, ≤4 → 3, >8 → 5
    assert list(got["f_score"]) == [1, 2, 3, 5, 5]
    # monetary: ≤100 → 1, ≤200 → 2, ≤500 → 3, >1000 → 5
    assert list(got["m_score"]) == [1, 2, 3, 5, 5]
    # fm = (f + m) / 2 rounded half up: 1, 2, 3, 5, 5
    assert list(got["fm_score"]) == [1, 2, 3, 5, 5]
    assert list(got["rfm_cell"]) == ["511", "422", "233", "155", "555"]
    assert list(got["segment"]) == [
        "New",  # R5 FM1
        "Potential loyalist",  # R4 FM2
        "At risk",  # R2 FM3
        "Cannot lose them",  # R1 FM5
        "Champions",  # R5 FM5
    ]


def test_segment_map_covers_grid():
    assert len(SEGMENT_MAP) == 25
    assert set(SEGMENT_MAP.values()) == set(SEGMENTS)
    assert len(SEGMENTS) == 11
    scored = pd.DataFrame({"r_score": [1, 2, 3, 3, 4], "fm_score": [1, 1, 3, 2, 5]})
    got = assign_segments(scored)["segment"].tolist()
    assert got == ["Lost", "Hibernating", "Need attention", "About to sleep", "Loyal"]


def test_fm_rounds_half_up():
    rfm = pd.DataFrame({"recency_days": [1, 1], "frequency": [1, 2], "monetary": [2.0, 3.0]})
    cuts = dict(recency_cuts=[1, 2, 3, 4], frequency_cuts=[1, 2, 3, 4], monetary_cuts=[1, 2, 3, 4])
    got = rfm_scores(rfm, **cuts)
    # (1 + 2) / 2 = 1.5 → 2 ; (2 + 3) / 2 = 2.5 → 3
    assert list(got["fm_score"]) == [2, 3]


def test_custom_segment_map_missing_cell_raises():
    scored = pd.DataFrame({"r_score": [5], "fm_score": [5]})
    with pytest.raises(ValueError, match=r"no segment for .*\(5, 5\)"):
        assign_segments(scored, {(1, 1): "x"})


def test_segment_summary_hand_computed():
    table = pd.DataFrame(
        {
            "recency_days": [10, 20, 300, 400],
            "frequency": [5, 3, 1, 1],
            "monetary": [600.0, 300.0, 60.0, 40.0],
            "segment": ["Champions", "Champions", "Lost", "Lost"],
        }
    )
    got = segment_summary(table)
    assert list(got.index) == list(SEGMENTS)  # every segment listed, empty ones with 0
    champ, lost = got.loc["Champions"], got.loc["Lost"]
    # revenue 600 + 300 = 900 of 1000; 2 of 4 customers
    assert champ["customers"] == 2 and champ["customer_share"] == 0.5
    assert champ["revenue"] == 900.0 and champ["revenue_share"] == pytest.approx(0.9)
    assert champ["recency_days"] == 15.0 and champ["frequency"] == 4.0
    assert champ["revenue_per_customer"] == 450.0
    assert lost["revenue_share"] == pytest.approx(0.1)  # 100 / 1000
    assert lost["monetary"] == 50.0
    assert got.loc["Loyal", "customers"] == 0
    assert got["customer_share"].sum() == pytest.approx(1.0)


def test_value_tiers_and_tier_kpis():
    table = pd.DataFrame(
        {
            "recency_days": [5] * 10,
            "frequency": [1] * 10,
            "monetary": [100.0, 90.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0, 20.0, 10.0],
        },
        index=pd.Index(range(1, 11), name="customer_id"),
    )
    tiered = value_tiers(table)
    # ranks 1..10; rank / 10 = 0.1 → "Top 10%"; 0.2..0.5 → "Next 40%"; rest
    # no one is in the top 1 % of 10 customers (0.1 > 0.01)
    assert tiered["tier"].tolist() == ["Top 10%"] + ["Next 40%"] * 4 + ["Rest"] * 5
    kpis = segment_summary(tiered, by="tier")
    assert list(kpis.index) == ["Top 1%", "Top 10%", "Next 40%", "Rest"]
    assert kpis["customers"].tolist() == [0, 1, 4, 5]
    # total 550: top 100/550, next 90+80+70+60 = 300/550, rest 150/550
    assert kpis["revenue_share"].tolist()[1:] == pytest.approx([100 / 550, 300 / 550, 150 / 550])


def test_value_tiers_bad_spec():
    table = pd.DataFrame({"monetary": [1.0, 2.0]})
    with pytest.raises(ValueError, match="tiers"):
        value_tiers(table, tiers=(("a", 0.5), ("b", 0.9)))


def test_pareto_curve_and_share():
    values = pd.Series([5.0, 50.0, 10.0, 30.0, 5.0])
    curve = pareto_curve(values)
    # sorted 50, 30, 10, 5, 5 of 100 → cumulative 0, .5, .8, .9, .95, 1
    assert curve["revenue_share"].tolist() == pytest.approx([0, 0.5, 0.8, 0.9, 0.95, 1.0])
    assert curve["customer_share"].tolist() == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert pareto_share(values, top=0.2) == pytest.approx(0.5)
    # 0.3 → 1.5 customers: (50 + 0.5 * 30) / 100
    assert pareto_share(values, top=0.3) == pytest.approx(0.65)
    # from an orders table: customer 1 = 150, customer 2 = 80, customer 3 = 999
    # top 1/3 of 3 customers = customer 3: 999 / 1229
    assert pareto_share(ORDERS, top=1 / 3) == pytest.approx(999 / 1229)


@pytest.mark.parametrize(
    ("orders", "match"),
    [
        (ORDERS.drop(columns="net_amount"), r"orders: missing column\(s\) net_amount"),
        (ORDERS.iloc[:0], "orders: table is empty"),
        (ORDERS.assign(net_amount=[1.0, -2.0, 3.0, 4.0]), r"orders.net_amount: 1 negative"),
        (ORDERS.assign(net_amount=["1", "2", "3", "4"]), "orders.net_amount: expected numeric"),
        (ORDERS.assign(order_date=["2024-01-01"] * 4), "orders.order_date: expected datetime"),
    ],
)
def test_rfm_table_bad_input(orders, match):
    with pytest.raises(ValueError, match=match):
        rfm_table(orders)


def test_bad_arguments():
    with pytest.raises(ValueError, match="no orders before"):
        rfm_table(ORDERS, "2023-01-01")
    with pytest.raises(ValueError, match="top"):
        pareto_share(pd.Series([1.0]), top=1.5)
    with pytest.raises(ValueError, match="values.value: 1 negative"):
        pareto_share(pd.Series([1.0, -1.0]))
    rfm = rfm_table(ORDERS)
    with pytest.raises(ValueError, match="recency_cuts: need 4"):
        rfm_scores(rfm, recency_cuts=[1, 2])
    with pytest.raises(ValueError, match="strictly increasing"):
        rfm_scores(rfm, frequency_cuts=[1, 1, 2, 3])


def test_validate_helpers():
    df = pd.DataFrame({"a": [1, 0], "b": [True, False], "c": [0.5, None]})
    assert v.check_table(df, "t", numeric=["a"], flags=["a", "b"]) is df
    with pytest.raises(ValueError, match="t: expected a pandas DataFrame"):
        v.require_columns([1, 2], ["a"], "t")
    with pytest.raises(ValueError, match=r"t.c: 1 missing value\(s\)"):
        v.require_numeric(df, "c", "t")
    with pytest.raises(ValueError, match="t.b: expected numeric values, found dtype bool"):
        v.require_numeric(df, ["b"], "t")
    with pytest.raises(ValueError, match=r"t.c: 1 missing value\(s\)"):
        v.require_flags(df, ["c"], "t")
    with pytest.raises(ValueError, match="other numbers"):
        v.require_flags(pd.DataFrame({"x": [0, 2]}), ["x"], "t")
    dates = pd.DataFrame({"d": pd.to_datetime(["2024-01-01", None])})
    v.require_datetime(dates, "d", "t", allow_missing=True)  # accepted
    with pytest.raises(ValueError, match=r"t.d: 1 missing date\(s\)"):
        v.require_datetime(dates, "d", "t")
