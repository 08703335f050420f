"""Product categories: the brand's mix, crossing by relationship state, keyed draws, nothing else moved.

Each person has a home category (``truth.home_category``) drawn from
:data:`sim.world.purchases.CATEGORY_MIX`; an order leaves it with the chance
:data:`sim.world.purchases.CROSS_CATEGORY` gives the relationship state at the
time of the order. Statistical checks use one seeded run and a tolerance of
four binomial standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim.world.engine as engine
from sim.analytics.rfm import relationship_on
from sim.compose import simulate
from sim.data.schema import TABLES
from sim.scenario import preset
from sim.vocab import PRODUCT_CATEGORIES, RELATIONSHIP_STATES
from sim.world.purchases import CATEGORY_MIX, CROSS_CATEGORY, order_categories

SEED = 3


def _scenario(n: int, years: float = 1.0, agents: int = 5):
    return preset("default").with_overrides(
        {"population": {"customers": n, "years": years}, "service": {"agents": agents}}
    )


@pytest.fixture(scope="module")
def world():
    """One seeded run of the default brand: 3,000 customers over two years."""
    return simulate(_scenario(3_000, years=2.0), seed=SEED)


@pytest.fixture(scope="module")
def orders_with_truth(world):
    orders = world.orders.merge(
        world.truth[["customer_id", "person_id", "home_category"]], on="customer_id"
    )
    # The state each order was placed in (before the purchase moved it), from the truth.
    orders["state"] = relationship_on(
        world.truth_states, orders["order_date"], orders["person_id"], before=True
    )
    return orders


def test_constants_are_the_stated_mix_and_crossing_chances():
    assert CATEGORY_MIX == {
        "leather_goods": 0.36, "ready_to_wear": 0.22, "shoes": 0.16, "accessories": 0.16,
        "watches_jewellery": 0.10,
    }  # fmt: skip
    assert tuple(CATEGORY_MIX) == PRODUCT_CATEGORIES
    assert sum(CATEGORY_MIX.values()) == pytest.approx(1.0)
    assert CROSS_CATEGORY == {"committed": 0.45, "engaged": 0.30, "cooling": 0.15, "lost": 0.05}


def test_columns_come_last_and_hold_categories(world):
    assert [c.name for c in TABLES["orders"]][-1] == "category"
    assert [c.name for c in TABLES["truth"]][-1] == "home_category"
    assert list(world.orders.columns)[-1] == "category"
    assert set(world.orders["category"]) == set(PRODUCT_CATEGORIES)
    assert set(world.truth["home_category"]) == set(PRODUCT_CATEGORIES)
    # Duplicate profiles are the same person: one home category per person.
    assert (world.truth.groupby("person_id")["home_category"].nunique() == 1).all()


def test_home_categories_follow_the_brand_mix(world):
    people = world.truth.drop_duplicates("person_id")
    n = len(people)
    share = people["home_category"].value_counts(normalize=True)
    for cat, p in CATEGORY_MIX.items():
        assert abs(share[cat] - p) < 4 * np.sqrt(p * (1 - p) / n), (cat, share[cat], p)


def test_crossing_chance_by_state_at_the_order(orders_with_truth):
    o = orders_with_truth
    assert o["state"].notna().all()
    crossed = o["category"] != o["home_category"]
    # Lost customers do not buy in this world (their purchase multiplier is 0), so
    # the lost chance is checked on the draws themselves (next test).
    assert (o["state"] == "lost").sum() == 0
    for state in RELATIONSHIP_STATES[:3]:
        sub = crossed[o["state"] == state]
        p = CROSS_CATEGORY[state]
        assert len(sub) >= 100, (state, len(sub))
        assert abs(sub.mean() - p) < 4 * np.sqrt(p * (1 - p) / len(sub)), (state, sub.mean(), p)


def test_crossing_draws_by_state_for_every_state():
    n = 20_000
    for k, state in enumerate(RELATIONSHIP_STATES):
        home = np.arange(n) % len(PRODUCT_CATEGORIES)
        got = order_categories(SEED, home, np.arange(n) + k * n, np.full(n, k))
        share, p = (got != home).mean(), CROSS_CATEGORY[state]
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n), (state, share, p)


def test_order_mix_is_what_home_and_state_predict(orders_with_truth):
    """Expected count per category: the home's share kept, the rest spread over the others' mix."""
    o = orders_with_truth
    mix = np.array([CATEGORY_MIX[c] for c in PRODUCT_CATEGORIES])
    home = o["home_category"].map({c: i for i, c in enumerate(PRODUCT_CATEGORIES)}).to_numpy()
    x = o["state"].map(CROSS_CATEGORY).to_numpy(float)
    other = np.broadcast_to(mix, (len(o), len(mix))).copy()
    other[np.arange(len(o)), home] = 0.0
    prob = x[:, None] * other / other.sum(axis=1, keepdims=True)
    prob[np.arange(len(o)), home] = 1 - x
    expected, sd = prob.sum(axis=0), np.sqrt((prob * (1 - prob)).sum(axis=0))
    got = o["category"].value_counts().reindex(PRODUCT_CATEGORIES).to_numpy()
    assert np.all(np.abs(got - expected) < 4 * sd), (got, expected.round(1))


def test_order_categories_by_hand():
    # Home shoes (index 2): a draw below the crossing chance crosses, into the
    # other categories' mix renormalised without shoes (0.36, 0.22, 0.16, 0.10) / 0.84.
    home = np.full(4, 2)
    states = np.array([0, 0, 1, 3])  # committed, committed, engaged, lost
    got = order_categories(SEED, home, np.arange(4), states)
    from sim.world.seeding import uniforms

    u = uniforms(SEED, "order-category", np.arange(4)[:, None], [[0, 1]])
    cum = np.cumsum([0.36, 0.22, 0.0, 0.16, 0.10]) / 0.84
    for k in range(4):
        crosses = u[k, 0] < [0.45, 0.30, 0.15, 0.05][states[k]]
        want = int(np.searchsorted(cum, u[k, 1], side="right")) if crosses else 2
        assert got[k] == want and (got[k] != 2) == crosses


def test_categories_are_keyed_changing_agents_leaves_them():
    """Fewer agents change the world (waits, states, orders), not the category an order draws."""
    a = engine.run(_scenario(1_000, agents=1), seed=SEED, market="europe_middle_east_africa")
    b = engine.run(_scenario(1_000, agents=5), seed=SEED, market="europe_middle_east_africa")
    oa, ob = a.orders, b.orders
    both = oa.merge(ob, on="candidate", suffixes=("_a", "_b"))
    # The lever did change the run: some orders or their states differ.
    assert len(both) < max(len(oa), len(ob)) or (both["state_a"] != both["state_b"]).any()
    same = both["state_a"] == both["state_b"]
    assert same.sum() > 300
    assert (both.loc[same, "category_a"] == both.loc[same, "category_b"]).all()


def test_every_other_column_is_what_a_run_without_categories_gives(monkeypatch):
    """Categories are drawn after the run: with them switched off, every other column is the same."""
    sc = _scenario(400)
    with_cats = simulate(sc, seed=SEED)
    monkeypatch.setattr(engine, "home_categories", lambda seed, keys: np.zeros(len(keys), int))
    monkeypatch.setattr(engine, "order_categories", lambda seed, home, c, s: np.asarray(home))
    without = simulate(sc, seed=SEED)
    assert set(without.orders["category"]) == {PRODUCT_CATEGORIES[0]}
    assert with_cats.orders["category"].nunique() > 1
    for name in TABLES:
        keep = [c for c in with_cats.tables[name].columns if c not in ("category", "home_category")]
        pd.testing.assert_frame_equal(with_cats.tables[name][keep], without.tables[name][keep])
