"""sim.analytics.customer360: the 360° view, the data model and the brand claims on tiny tables."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analytics import customer360 as c3
from sim.data.schema import TABLES, empty_table

D = pd.Timestamp("2024-01-01")


def at(day: float) -> pd.Timestamp:
    return D + pd.Timedelta(days=day)


def tiny() -> dict[str, pd.DataFrame]:
    """Three customers; every table of the schema, conformed."""
    t = {name: empty_table(name) for name in TABLES}
    t["customers"] = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "first_name": ["Ada", "Bo", "Ada"],
            "last_name": ["Lee", "Kim", "Lee"],
            "email": ["ada@x.com", "bo@y.com", "ada2@x.com"],
            "phone": ["+1 1", "+1 2", "+1 1"],
            "birth_date": [at(-10000)] * 3,
            "generation": ["Millennials", "Gen Z", "Millennials"],
            "nationality": ["FR", "KR", "FR"],
            "home_country": ["FR", "KR", "FR"],
            "city": ["Paris", "Seoul", "Paris"],
            "signup_date": [at(0), at(1), at(5)],
            "signup_channel": ["store", "ecommerce", "ecommerce"],
            "acquisition_channel": ["tv", "social", "tv"],
            "lead_id": pd.array([1, 2, pd.NA], dtype="Int64"),
            "referred_by": pd.array([pd.NA, 1, pd.NA], dtype="Int64"),
            "consent_email": [True, True, False],
            "consent_sms": [True, False, False],
            "consent_social": [False, False, True],
            "opt_out": [True, False, False],
            "loyalty_member": [True, False, False],
            "loyalty_enrol_date": [at(0), pd.NaT, pd.NaT],
        }
    )
    t["orders"] = pd.DataFrame(
        {
            "order_id": [1, 2, 3, 4, 5],
            "customer_id": [1, 1, 2, 1, 3],
            "order_date": [at(0), at(30), at(1), at(400), at(5)],
            "channel": ["store", "ecommerce", "ecommerce", "store", "social_commerce"],
            "country": ["FR", "FR", "KR", "IT", "FR"],
            "cross_border": [False, False, False, True, False],
            "currency": ["EUR"] * 5,
            "gross_amount": [100.0, 50.0, 30.0, 200.0, 10.0],
            "discount_amount": [0.0] * 5,
            "net_amount": [100.0, 50.0, 30.0, 200.0, 10.0],
            "advisor_id": pd.array([pd.NA] * 5, dtype="Int64"),
        }
    )
    t["touchpoints"] = pd.DataFrame(
        {
            "touchpoint_id": [1, 2, 3],
            "customer_id": [1, 1, 2],
            "timestamp": [at(0), at(30), at(1)],
            "channel": ["store", "ecommerce", "ecommerce"],
            "touchpoint": ["purchase", "purchase", "purchase"],
            "stage": ["new", "active", "new"],
            "impression": ["positive", "negative", "positive"],
        }
    )
    t["truth"] = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "person_id": [1, 2, 1],
            "is_duplicate": [False, False, True],
            "email_typo": [False, False, False],
            "purchase_rate": [0.01] * 3,
            "dropout_prob": [0.1] * 3,
            "spend_scale": [1.0] * 3,
            "first_dropout_date": [pd.NaT] * 3,
            "won_back_date": [pd.NaT] * 3,
            "dropout_date": [pd.NaT] * 3,
        }
    )
    return t


def test_data_model_covers_every_table():
    t = tiny()
    m = c3.data_model(t)
    assert list(m.index) == list(TABLES)
    assert set(c3.TABLE_ROLES) == set(TABLES)
    assert m.loc["orders", "rows"] == 5
    assert m.loc["orders", "data"] == "transactional"
    assert "customer_id" in m.loc["orders", "links"]
    assert "rows" not in c3.data_model().columns


def test_customer_fields_cover_the_customers_table():
    f = c3.customer_fields()
    assert list(f.index) == [c.name for c in TABLES["customers"]]
    assert f.loc["email", "personal"] and f.loc["email", "data"] == "declared"
    assert f.loc["opt_out", "data"] == "consent"


def test_consent_summary_suppression_overrides_opt_in():
    s = c3.consent_summary(tiny()["customers"])
    assert s.loc["email", "opted_in"] == pytest.approx(2 / 3)
    assert s.loc["email", "contactable"] == pytest.approx(1 / 3)  # customer 1 opted out
    assert s.loc["sms", "customers"] == 0
    assert s.loc["social", "customers"] == 1


def test_customer_view_filters_every_table():
    v = c3.customer_view(tiny(), 1)
    assert v["orders"]["order_id"].tolist() == [1, 2, 4]
    assert v["touchpoints"]["touchpoint_id"].tolist() == [1, 2]
    assert len(v["customers"]) == 1 and len(v["truth"]) == 1
    assert v["messages"].empty and v["leads"].empty
    with pytest.raises(KeyError, match="99"):
        c3.customer_view(tiny(), 99)


def test_customer_summary_facts():
    s = c3.customer_summary(tiny(), 1)
    assert s.name == 1
    assert s["orders"] == "3 for 350 EUR"
    assert s["online and offline"] == "yes"
    assert s["cross-border orders"].startswith("1 (in IT")
    assert s["opted out"].startswith("yes")
    assert s["lifecycle stage now"] == "active"
    assert s["duplicate profile (truth)"] == "no"
    assert c3.customer_summary(tiny(), 3)["duplicate profile (truth)"] == "yes, of person 1"


def test_interesting_customers():
    picks = c3.interesting_customers(tiny())
    assert picks["top spender (#1)"] == 1
    assert picks["omnichannel buyer (#1)"] == 1
    assert picks["traveller (#1)"] == 1
    assert picks["one-order customer (#2)"] == 2
    assert picks["duplicate profile (#3)"] == 3
    assert picks["opted out (#1)"] == 1
    assert not any(k.startswith("repair") for k in picks)  # no tickets


def test_claim_measures_by_hand():
    t = tiny()
    assert c3.millennial_share(t["customers"]) == pytest.approx(2 / 3)
    assert c3.cross_border_share(t["orders"]) == pytest.approx(1 / 3)
    # 2024: customer 1 store + ecommerce (both), 2 ecommerce, 3 social → 1 of 3
    assert c3.omnichannel_share(t["orders"], year=2024) == pytest.approx(1 / 3)
    # last year (2025): customer 1 store only
    assert c3.omnichannel_share(t["orders"]) == 0.0
    assert c3.channel_share(t["orders"]) == pytest.approx(2 / 5)
    assert c3.channel_share(t["orders"], c3.ONLINE_CHANNELS) == pytest.approx(3 / 5)
    with pytest.raises(ValueError, match="2030"):
        c3.omnichannel_share(t["orders"], year=2030)


def test_brand_claims_table():
    c = c3.brand_claims(tiny(), year=2024)
    assert list(c.columns) == ["claim", "material", "brand", "unit", "test", "holds"]
    assert c.loc[0, "holds"] is True  # 67 % Millennials > 60 %
    assert c.loc[1, "holds"] is True  # 33 % cross-border > 30 %
    assert c.loc[2, "holds"] is False  # 33 % omnichannel is not "about 2 %"
    assert c.loc[3, "brand"] == 2 and c.loc[3, "holds"] is False
    assert c.loc[5, "holds"] is None
