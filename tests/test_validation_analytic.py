"""The simulation checked against closed forms: Erlang C, Little's law, BG/NBD E[X(t)]."""

import numpy as np
import pytest

from sim.analytics.service import erlang_c
from sim.compose import simulate
from sim.scenario import preset
from sim.world.contact_centre import simulate_queue
from sim.world.purchases import expected_purchases

REPLICATIONS = 20


@pytest.fixture(scope="module")
def mmc_runs():
    # M/M/c with c = 10 agents at utilisation 0.8: handle 1 minute, 8 calls a minute.
    return [
        simulate_queue(
            arrival_rate=8.0,
            handle_time=1.0,
            agents=10,
            patience=None,
            horizon=2_200.0,
            warmup=200.0,
            seed=seed,
        )
        for seed in range(REPLICATIONS)
    ]


def test_mmc_wait_matches_erlang_c(mmc_runs):
    theory = erlang_c(8.0, 1.0, 10)  # A = 8 Erlangs, c = 10
    # Erlang C: P(wait) = 0.4092, Wq = P(wait) * h / (c - A) = 0.2046 minutes.
    assert theory.p_wait == pytest.approx(0.40918, abs=1e-4)
    waits = np.array([calls["wait"].mean() for calls, _ in mmc_runs])
    p_wait = np.array([(calls["wait"] > 0).mean() for calls, _ in mmc_runs])
    se = waits.std(ddof=1) / np.sqrt(len(waits))
    assert abs(waits.mean() - theory.mean_wait) < 3 * se
    assert p_wait.mean() == pytest.approx(theory.p_wait, rel=0.03)


def test_littles_law_in_every_replication(mmc_runs):
    for calls, monitor in mmc_runs:
        # Queue length measured by sampling vs arrival rate x mean wait.
        assert monitor["Lq"] == pytest.approx(
            monitor["arrival_rate"] * calls["wait"].mean(), rel=0.06
        )


def test_reneging_callers_hang_up():
    calls, _ = simulate_queue(8.0, 1.0, 10, patience=0.5, horizon=1_200.0, warmup=200.0, seed=1)
    assert calls["abandoned"].mean() > 0.05
    # Abandoned callers waited exactly until they gave up; none waited forever.
    assert calls.loc[calls["abandoned"], "wait"].max() < 10


def test_queue_rejects_bad_input():
    with pytest.raises(ValueError, match="agents"):
        simulate_queue(1.0, 1.0, 0)


@pytest.mark.slow
def test_purchase_core_matches_bgnbd_expected_purchases():
    # With every experience effect switched off the simulated brand is a BG/NBD
    # process: compare mean repeat purchases in a person's first year with
    # E[X(t)] (Fader, Hardie & Lee 2005, eq. 7).
    sc = preset("pure_bgnbd").with_overrides({"population": {"customers": 12_000, "years": 3.0}})
    ds = simulate(sc, seed=21)
    pu = sc.purchases
    t = 365.0
    orders = ds.orders.merge(ds.truth[["customer_id", "person_id"]], on="customer_id")
    first = orders.groupby("person_id")["order_date"].min()
    eligible = first[first <= first.min() + np.timedelta64(int(sc.horizon_days - t - 1), "D")]
    o = orders[orders["person_id"].isin(eligible.index)]
    days = (o["order_date"] - o["person_id"].map(first)).dt.total_seconds() / 86400
    repeats = o[(days > 0) & (days <= t)].groupby("person_id").size()
    x = repeats.reindex(eligible.index, fill_value=0).to_numpy()
    expected = expected_purchases(pu.r, pu.alpha, pu.a, pu.b, t)
    se = x.std(ddof=1) / np.sqrt(len(x))
    assert len(x) > 5_000
    assert abs(x.mean() - expected) < 3 * se, (x.mean(), expected, se)
