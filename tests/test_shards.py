"""The sharded simulation: one world per market, the same bytes however the shards run.

A shard is a deterministic function of (scenario, seed, market); the dataset
numbers the shards one after another in market order. These tests check that
the bytes do not depend on the workers (one process, local worker processes, a
Dask cluster), that the saved parts load back into the in-memory tables, that a
shard tells each of its people's stories exactly as a world holding every
market does, that the closed forms (Erlang C, Little's law, BG/NBD) hold on
the sharded world, and that no worker outlives a killed driver.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analytics.service import erlang_c
from sim.compose import simulate, simulate_shard
from sim.data.dataset import load
from sim.data.tables import build_tables
from sim.scenario import preset
from sim.world import engine
from sim.world.purchases import expected_purchases

REPO = Path(__file__).resolve().parents[1]


def _scenario(customers: int = 2500, years: float = 1.0, **overrides):
    sc = preset("default").with_overrides({"population": {"customers": customers, "years": years}})
    return sc.with_overrides(overrides) if overrides else sc


@pytest.fixture(scope="module")
def small():
    return _scenario()


@pytest.fixture(scope="module")
def in_memory(small):
    return simulate(small, seed=5)


def _folder_bytes(path: Path) -> dict[str, bytes]:
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_bytes_do_not_depend_on_the_workers(small, in_memory, tmp_path):
    in_memory.save(tmp_path / "one")
    simulate(small, seed=5, workers=2).save(tmp_path / "two")
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        simulate(small, seed=5, client=client).save(tmp_path / "dask")
    one = _folder_bytes(tmp_path / "one")
    assert one == _folder_bytes(tmp_path / "two")
    assert one == _folder_bytes(tmp_path / "dask")
    manifest = json.loads(one["manifest.json"])
    # Every market's part of every per-customer table, with its checksum.
    markets = list(small.markets.names)
    assert [e["file"] for e in manifest["parts"]["orders"]] == [
        f"orders/part-{m}.parquet" for m in markets
    ]
    assert sum(e["rows"] for e in manifest["parts"]["orders"]) == len(in_memory.orders)
    assert "campaigns.parquet" in manifest["files"]


def test_a_streamed_save_writes_the_same_bytes(small, in_memory, tmp_path):
    # simulate_to: each shard writes its parts in its worker, the driver only
    # renumbers them one at a time; the folder is the in-memory run's, byte for byte.
    in_memory.save(tmp_path / "memory")
    rows = sim.compose.simulate_to(tmp_path / "streamed", small, 5, workers=2)
    assert rows == {t: len(df) for t, df in in_memory.tables.items()}
    assert _folder_bytes(tmp_path / "memory") == _folder_bytes(tmp_path / "streamed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memory", "streamed"]


def test_load_of_the_parts_equals_the_in_memory_run(in_memory, tmp_path):
    in_memory.save(tmp_path / "ds")
    back = load(tmp_path / "ds")
    for name, df in in_memory.tables.items():
        pd.testing.assert_frame_equal(back[name], df, check_exact=True, obj=name)
    assert back.checksums() == in_memory.checksums()
    # Saved again from the loaded copy: the same layout and bytes.
    back.save(tmp_path / "again")
    assert _folder_bytes(tmp_path / "ds") == _folder_bytes(tmp_path / "again")


def test_ids_are_unique_and_numbered_in_market_order(in_memory, small):
    c = in_memory.customers
    assert (c["customer_id"].to_numpy() == np.arange(1, len(c) + 1)).all()
    assert c["email"].is_unique
    rank = {m: k for k, m in enumerate(small.markets.names)}
    assert c["market"].map(rank).is_monotonic_increasing
    # Referred friends join their referrer's market.
    ref = c.dropna(subset=["referred_by"])
    referrer_market = c.set_index("customer_id")["market"].reindex(ref["referred_by"].astype(int))
    assert len(ref) > 10
    assert (referrer_market.to_numpy() == ref["market"].to_numpy()).all()
    o = in_memory.orders
    assert o["order_id"].is_unique and o["customer_id"].isin(c["customer_id"]).all()


def test_a_shard_is_its_markets_rows_of_the_whole_run(in_memory, small):
    # The shard's own tables, numbered from 1, are the dataset's part for its
    # market moved by the shards before it.
    market = small.markets.names[1]
    shard = simulate_shard(small, 5, market)
    part = in_memory.customers[in_memory.customers["market"] == market]
    mine = shard.tables["customers"]
    assert len(mine) == len(part)
    first = int(part["customer_id"].iloc[0]) - 1
    assert (mine["customer_id"].to_numpy() + first == part["customer_id"].to_numpy()).all()
    for col in ("first_name", "signup_date", "acquisition_channel", "nationality"):
        assert (mine[col].to_numpy() == part[col].to_numpy()).all(), col


def test_a_market_alone_tells_the_same_stories_as_every_market_together(small):
    # One SimPy environment holding all markets against one market's shard:
    # every person's orders, service calls (waits) and relationship moves are
    # the same, so nothing crosses markets.
    whole = build_tables(engine.run(small, 7), small)
    for market in small.markets.names:
        part = simulate_shard(small, 7, market).tables
        ids = whole["customers"].loc[whole["customers"]["market"] == market, "customer_id"]
        assert len(ids) == len(part["customers"]), market

        def rows(t, cols, ids=ids):
            df = t if ids is None else t[t["customer_id"].isin(ids)]
            return sorted(map(tuple, df[cols].astype(str).to_numpy().tolist()))

        for table, cols in (
            ("orders", ["order_date", "gross_amount", "channel"]),
            ("tickets", ["created_at", "wait_minutes", "abandoned"]),
            ("messages", ["sent_at", "message_type", "opened", "clicked"]),
            ("advisor_tasks", ["created_at", "task_type", "outcome"]),
        ):
            assert rows(whole[table], cols) == rows(part[table], cols, ids=None), (market, table)


def test_erlang_c_holds_at_a_sharded_markets_centre():
    # Two equal markets, 5 agents each; the other brands' calls (4 Erlangs a
    # market, no hang-ups) dominate. Callers arriving at random see the
    # stationary M/M/c queue (PASTA): their mean wait is Erlang C's at the
    # offered load, within 3 standard errors of the daily means (the queue
    # empties every night, so days are independent). The centre opens at 9 with
    # an empty queue, which takes about an hour to fill (relaxation time
    # h / (c (1 - rho)^2) with h = 10 min): callers from 11 on are compared.
    sc = _scenario(
        3000,
        1.0,
        population={"nationality_mix": {"FR": 0.5, "CN": 0.5}},
        service={
            "agents": 10,
            "shared_traffic": 8.0,
            "patience_minutes": 0.0,
            "handle_minutes": 10.0,
            "contact_prob": 0.4,
        },
    )
    ds = simulate(sc, seed=3, workers=1)
    tk = ds.tickets.merge(ds.customers[["customer_id", "market"]], on="customer_id")
    phone = tk[tk["channel"] == "phone"]
    svc = sc.service
    assert phone["market"].nunique() == 2
    for market, calls in phone.groupby("market"):
        day = calls["created_at"].dt.normalize()
        ours = len(calls) / (day.nunique() * svc.open_hours * 60.0)  # a minute, while open
        load = 4.0 + ours * svc.handle_minutes
        theory = erlang_c(load / svc.handle_minutes, svc.handle_minutes, 5)
        late = calls[calls["created_at"].dt.hour >= 11]
        daily = late.groupby(late["created_at"].dt.normalize())["wait_minutes"].mean()
        se = daily.std(ddof=1) / math.sqrt(len(daily))
        assert len(late) > 150, market
        assert abs(late["wait_minutes"].mean() - theory.mean_wait) < 3 * se, (
            market,
            late["wait_minutes"].mean(),
            theory.mean_wait,
            se,
        )


def test_littles_law_at_the_sharded_workshops():
    # Repairs in the workshop: the time-average number in progress equals the
    # arrival rate times the mean repair time (L = lambda W), market by market;
    # 10 % is the edge effect of repairs straddling the window's ends.
    small = _scenario(4000, 2.0, population={"nationality_mix": {"FR": 0.5, "CN": 0.5}},
                      service={"repair_prob": 0.5})  # fmt: skip
    ds = simulate(small, seed=2, workers=2)
    tk = ds.tickets.merge(ds.customers[["customer_id", "market"]], on="customer_id")
    repairs = tk[(tk["reason"] == "repair") & tk["repair_days"].notna()]
    start = pd.Timestamp(small.population.start_date)
    horizon = small.horizon_days
    assert repairs["market"].nunique() == 2
    for market, r in repairs.groupby("market"):
        t0 = (r["created_at"] - start).dt.total_seconds().to_numpy() / 86400
        t1 = t0 + r["repair_days"].to_numpy()
        # Repairs begun within the window [60, horizon - 60] days and their days in it.
        a, b = 60.0, horizon - 60.0
        inside = (t0 >= a) & (t0 < b)
        busy = np.clip(np.minimum(t1, b) - np.maximum(t0, a), 0, None).sum() / (b - a)
        lam = inside.sum() / (b - a)
        w = r["repair_days"].to_numpy()[inside].mean()
        assert inside.sum() > 100, market
        assert busy == pytest.approx(lam * w, rel=0.1), market


def test_bgnbd_expected_purchases_on_the_sharded_world():
    # The pure BG/NBD brand spread over two markets (two shards): repeat
    # purchases in a person's first year match E[X(t)] (Fader, Hardie & Lee
    # 2005, eq. 7) within 3 standard errors.
    sc = preset("pure_bgnbd").with_overrides(
        {
            "population": {
                "customers": 6000,
                "years": 2.0,
                "nationality_mix": {"FR": 0.5, "US": 0.5},
            }
        }
    )
    ds = simulate(sc, seed=8)
    assert ds.customers["market"].nunique() == 2
    start = pd.Timestamp(sc.population.start_date)
    orders = ds.orders.merge(ds.truth[["customer_id", "person_id"]], on="customer_id")
    days = (orders["order_date"] - start).dt.total_seconds() / 86400
    first = days.groupby(orders["person_id"]).min()
    t = 365.0
    eligible = first[first <= sc.horizon_days - t - 1].index
    since = days - orders["person_id"].map(first)
    seen = (since > 0) & (since <= t) & orders["person_id"].isin(eligible)
    x = orders[seen].groupby("person_id").size().reindex(eligible, fill_value=0).to_numpy()
    pu = sc.purchases
    expected = expected_purchases(pu.r, pu.alpha, pu.a, pu.b, t)
    se = x.std(ddof=1) / math.sqrt(len(x))
    assert len(x) > 2000
    assert abs(x.mean() - expected) < 3 * se, (x.mean(), expected, se)


def test_bad_workers_are_refused_before_any_work(small):
    with pytest.raises(ValueError, match="workers must be a whole number >= 1"):
        simulate(small, seed=1, workers=0)
    with pytest.raises(TypeError, match="client must be a distributed.Client"):
        simulate(small, seed=1, client="tcp://nowhere:1")
    with pytest.raises(ValueError, match="market must be one of"):
        engine.run(small, 1, market="atlantis")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        found += kids
        todo += kids
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) is gone too.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[-1][0] != "Z"


def test_no_worker_outlives_a_killed_driver(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [
        sys.executable, "-m", "sim", "simulate", "--customers", "60000", "--years", "3",
        "--workers", "2", "--quiet", "--out", str(tmp_path / "big"),
    ]  # fmt: skip
    driver = subprocess.Popen(cmd, env=env, cwd=tmp_path)
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 3:
            time.sleep(0.5)
            workers = _descendants(driver.pid)
        assert len(workers) >= 3, "the driver did not start its worker processes"
        time.sleep(2.0)  # the shards are running now
        assert driver.poll() is None
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not [p for p in workers if _alive(p)], "worker processes outlived the driver"
    finally:
        if driver.poll() is None:
            driver.kill()
    assert not (tmp_path / "big").exists()


def test_simulate_is_the_public_entry(small):
    assert sim.simulate is simulate
