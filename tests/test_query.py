"""SQL over datasets (DuckDB) and lazy loading: answers equal pandas', reads only what is asked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sim
from sim.compose import default_dataset_path
from sim.data import schema
from sim.data.dataset import MANIFEST, DatasetError
from sim.data.query import LazyDataset, QueryError, table_files

TABLE_LIST = ", ".join(schema.TABLES)


@pytest.fixture(scope="module")
def course_path(tmp_path_factory) -> Path:
    """The course dataset saved with one file per table (a dataset built in memory has no parts)."""
    stored = sim.load(default_dataset_path())
    folder = tmp_path_factory.mktemp("files") / "data"
    sim.Dataset(tables=dict(stored.tables), scenario=stored.scenario, seed=stored.seed).save(folder)
    assert (folder / "orders.parquet").is_file()
    return folder


def test_lazy_reads_the_course_dataset_in_market_parts() -> None:
    """The shipped dataset is stored by market (``<table>/part-<market>.parquet``)."""
    path = default_dataset_path()
    assert (path / "orders").is_dir()
    eager, lazy = sim.load(path), sim.load(path, lazy=True)
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(lazy[name], eager[name])
    got = lazy.sql("SELECT market, count(*) AS n FROM customers GROUP BY market ORDER BY market")
    want = eager.customers.groupby("market").size().sort_index()
    assert got["n"].tolist() == want.tolist()


@pytest.fixture(scope="module")
def eager(course_path: Path) -> sim.Dataset:
    return sim.load(course_path)


@pytest.fixture(scope="module")
def parts_path(course_path: Path, eager: sim.Dataset, tmp_path_factory) -> Path:
    """The course dataset re-stored as parts ``<table>/part-<x>.parquet``, listed out of alphabetical order.

    Each table is cut into three contiguous chunks; the first chunk is named
    ``part-c``, the second ``part-a``, the third ``part-b``, and the manifest
    lists them in that (row) order, so reading them sorted by name would
    scramble the rows and fail the checksum.
    """
    folder = tmp_path_factory.mktemp("parts") / "data"
    folder.mkdir()
    manifest = json.loads((course_path / MANIFEST).read_text(encoding="utf-8"))
    files = [MANIFEST]
    for name in schema.TABLES:
        table = pq.read_table(course_path / f"{name}.parquet")
        (folder / name).mkdir()
        cuts = np.linspace(0, table.num_rows, 4).astype(int)
        for label, lo, hi in zip("cab", cuts[:-1], cuts[1:], strict=True):
            rel = f"{name}/part-{label}.parquet"
            pq.write_table(table.slice(lo, hi - lo), folder / rel)
            files.append(rel)
    manifest["files"] = files
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- layout
def test_table_files_reads_both_layouts_in_listed_order() -> None:
    manifest = {
        "files": [
            "manifest.json",
            "csv/orders.csv",
            "customers.parquet",
            "orders/part-eu.parquet",
            "orders/part-americas.parquet",
            "notes/orders.parquet",  # not a table's folder
        ]
    }
    files = table_files(manifest)
    assert set(files) == set(schema.TABLES)
    assert files["customers"] == ["customers.parquet"]
    assert files["orders"] == ["orders/part-eu.parquet", "orders/part-americas.parquet"]
    assert files["leads"] == []


# --------------------------------------------------------------------------- SQL = pandas
@pytest.fixture(scope="module", params=["memory", "lazy-files", "lazy-parts"])
def answer(request, eager: sim.Dataset, course_path: Path, parts_path: Path):
    """``sql(query)`` over the in-memory frames, the single files, or the parts."""
    if request.param == "memory":
        return eager.sql
    path = course_path if request.param == "lazy-files" else parts_path
    return sim.load(path, lazy=True).sql


def test_row_counts_of_every_table(answer, eager: sim.Dataset) -> None:
    union = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM {t}" for t in schema.TABLES)
    got = answer(union).set_index("t")["n"]
    assert {t: int(got[t]) for t in schema.TABLES} == {t: len(eager[t]) for t in schema.TABLES}
    assert len(eager.orders) > 10_000  # the course dataset, not a toy


def test_group_by_channel_counts_and_sums(answer, eager: sim.Dataset) -> None:
    got = answer(
        "SELECT channel, count(*) AS n, sum(net_amount) AS revenue, "
        "count(advisor_id) AS served FROM orders GROUP BY channel ORDER BY channel"
    ).set_index("channel")
    g = eager.orders.groupby("channel")
    want = pd.DataFrame(
        {"n": g.size(), "revenue": g["net_amount"].sum(), "served": g["advisor_id"].count()}
    )
    assert list(got.index) == sorted(want.index)
    assert got["n"].tolist() == want["n"].tolist()
    assert got["served"].tolist() == want["served"].tolist()
    np.testing.assert_allclose(got["revenue"], want["revenue"], rtol=1e-10)
    assert want.loc["store", "served"] > 0  # the nullable column holds values


def test_join_customers_orders_revenue_per_market(answer, eager: sim.Dataset) -> None:
    got = answer(
        "SELECT c.market, count(DISTINCT o.customer_id) AS buyers, count(*) AS n, "
        "sum(o.net_amount) AS revenue, avg(o.gross_amount) AS basket "
        "FROM orders o JOIN customers c ON o.customer_id = c.customer_id "
        "GROUP BY c.market ORDER BY c.market"
    ).set_index("market")
    joined = eager.orders.merge(eager.customers[["customer_id", "market"]], on="customer_id")
    g = joined.groupby("market")
    assert len(joined) == len(eager.orders)  # every order has its customer
    assert got.index.tolist() == sorted(g.groups)
    assert got["buyers"].tolist() == g["customer_id"].nunique().tolist()
    assert got["n"].tolist() == g.size().tolist()
    np.testing.assert_allclose(got["revenue"], g["net_amount"].sum(), rtol=1e-10)
    np.testing.assert_allclose(got["basket"], g["gross_amount"].mean(), rtol=1e-10)


def test_date_filters(answer, eager: sim.Dataset) -> None:
    orders = eager.orders
    start = orders["order_date"].min().normalize()
    lo, hi = start + pd.DateOffset(months=6), start + pd.DateOffset(months=18)
    got = answer(
        "SELECT count(*) AS n, sum(net_amount) AS revenue, count(DISTINCT customer_id) AS buyers "
        f"FROM orders WHERE order_date >= TIMESTAMP '{lo:%Y-%m-%d}' "
        f"AND order_date < TIMESTAMP '{hi:%Y-%m-%d}'"
    )
    sel = orders[(orders["order_date"] >= lo) & (orders["order_date"] < hi)]
    assert 0 < len(sel) < len(orders)
    assert int(got["n"].iloc[0]) == len(sel)
    assert int(got["buyers"].iloc[0]) == sel["customer_id"].nunique()
    assert got["revenue"].iloc[0] == pytest.approx(sel["net_amount"].sum(), rel=1e-10)
    # Orders per calendar month of signup year: date_trunc equals pandas' periods.
    monthly = answer(
        "SELECT date_trunc('month', order_date) AS month, count(*) AS n "
        "FROM orders GROUP BY 1 ORDER BY 1"
    )
    want = orders.groupby(orders["order_date"].dt.to_period("M")).size()
    assert monthly["n"].tolist() == want.tolist()
    assert [pd.Timestamp(m).to_period("M") for m in monthly["month"]] == list(want.index)


def test_repeat_buyers_and_touchpoints(answer, eager: sim.Dataset) -> None:
    got = answer(
        "SELECT count(*) AS repeaters FROM "
        "(SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) >= 2)"
    )
    per = eager.orders.groupby("customer_id").size()
    assert int(got["repeaters"].iloc[0]) == int((per >= 2).sum())
    tp = answer("SELECT channel, count(*) AS n FROM touchpoints GROUP BY 1 ORDER BY 1")
    want = eager.touchpoints["channel"].value_counts().sort_index()
    assert dict(zip(tp["channel"], tp["n"].astype(int), strict=True)) == want.to_dict()


def test_sql_sees_changes_to_in_memory_tables(eager: sim.Dataset) -> None:
    ds = eager.copy()
    ds.tables["orders"] = ds.orders[ds.orders["channel"] == "store"]
    assert int(ds.sql("SELECT count(*) AS n FROM orders")["n"].iloc[0]) == len(ds.orders)
    assert len(ds.orders) < len(eager.orders)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("mode", ["memory", "lazy"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * FROM orderz", "unknown table 'orderz' in the query; tables: "),
        ("SELEC count(*) FROM orders", "SQL error: Parser Error: syntax error"),
        ("SELECT no_such_column FROM orders", "SQL error: Binder Error"),
        ("   ", "query must be a non-empty SQL string; tables: "),
    ],
)
def test_bad_sql_is_one_clear_line(
    mode: str, query: str, expected: str, eager: sim.Dataset, course_path: Path
) -> None:
    ds = eager if mode == "memory" else sim.load(course_path, lazy=True)
    with pytest.raises(QueryError) as info:
        ds.sql(query)
    message = str(info.value)
    assert message.startswith(expected)
    assert "\n" not in message
    assert message.endswith(f"tables: {TABLE_LIST}")
    assert isinstance(info.value, ValueError)


def test_sql_ignores_dataframes_in_the_callers_variables(eager: sim.Dataset) -> None:
    orderz = pd.DataFrame({"x": [1, 2]})  # DuckDB would otherwise find it by name
    assert len(orderz) == 2
    with pytest.raises(QueryError, match="unknown table 'orderz'"):
        eager.sql("SELECT * FROM orderz")


def test_unknown_table_or_column_in_lazy_access(course_path: Path) -> None:
    ds = sim.load(course_path, lazy=True)
    with pytest.raises(
        AttributeError, match=f"no attribute or table 'orderz'; tables: {TABLE_LIST}"
    ):
        ds.orderz  # noqa: B018
    with pytest.raises(KeyError, match=f"no table 'orderz'; tables: {TABLE_LIST}"):
        ds["orderz"]
    with pytest.raises(KeyError, match="no table 'orderz'"):
        ds.read("orderz", columns=["x"])
    with pytest.raises(
        ValueError, match="columns: 'amount' not in table 'orders'; its columns: order_id"
    ):
        ds.read("orders", columns=["customer_id", "amount"])
    with pytest.raises(TypeError, match="lazy must be True or False"):
        sim.load(course_path, lazy="yes")
    assert ds.loaded == ()


# --------------------------------------------------------------------------- laziness
@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...] | None]]:
    """Every Parquet file pyarrow reads, with the columns asked for."""
    calls: list[tuple[str, tuple[str, ...] | None]] = []
    real = pq.read_table

    def spy(source, *args, columns=None, **kwargs):
        calls.append((Path(source).as_posix(), tuple(columns) if columns else None))
        return real(source, *args, columns=columns, **kwargs)

    monkeypatch.setattr(pq, "read_table", spy)
    return calls


@pytest.mark.parametrize("layout", ["files", "parts"])
def test_lazy_reads_only_the_tables_asked(
    layout: str, opened, course_path: Path, parts_path: Path, eager: sim.Dataset
) -> None:
    path = course_path if layout == "files" else parts_path
    ds = sim.load(path, lazy=True)
    assert isinstance(ds, LazyDataset)
    # Names, length, iteration, summary and metadata read no table.
    assert list(ds) == list(ds.tables) == list(schema.TABLES)
    assert len(ds) == len(schema.TABLES) and "orders" in ds
    assert ds.summary()["rows"].to_dict() == {t: len(eager[t]) for t in schema.TABLES}
    assert ds.scenario == eager.scenario and ds.seed == eager.seed
    assert opened == []

    orders = ds.orders
    suffixes = ["part-c", "part-a", "part-b"] if layout == "parts" else [None]
    want_files = [
        (path / ("orders.parquet" if s is None else f"orders/{s}.parquet")).as_posix()
        for s in suffixes
    ]
    assert [f for f, _ in opened] == want_files
    assert ds["orders"] is orders and ds.tables["orders"] is orders  # kept, not re-read
    assert len(opened) == len(want_files)
    assert ds.loaded == ("orders",)

    opened.clear()
    few = ds.read("customers", columns=["customer_id", "market"])
    assert {f.split("/")[-1 if layout == "files" else -2] for f, _ in opened} == {
        "customers.parquet" if layout == "files" else "customers"
    }
    assert {c for _, c in opened} == {("customer_id", "market")}
    pd.testing.assert_frame_equal(few, eager.customers[["customer_id", "market"]])
    assert ds.loaded == ("orders",)  # a column read is not kept as the table


@pytest.mark.parametrize("layout", ["files", "parts"])
def test_lazy_equals_eager_for_every_table(
    layout: str, course_path: Path, parts_path: Path, eager: sim.Dataset
) -> None:
    ds = sim.load(course_path if layout == "files" else parts_path, lazy=True)
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(ds[name], eager[name], check_exact=True)
    whole = ds.to_dataset()
    assert whole.checksums() == eager.checksums()
    assert whole.scenario == eager.scenario


# --------------------------------------------------------------------------- checks
@pytest.fixture
def tampered(course_path: Path, tmp_path: Path) -> Path:
    """A copy of the course dataset whose orders file has one amount changed (same rows)."""
    folder = tmp_path / "data"
    shutil.copytree(course_path, folder)
    table = pq.read_table(folder / "orders.parquet")
    amounts = table.column("net_amount").to_numpy().copy()
    amounts[0] += 1.0
    i = table.schema.get_field_index("net_amount")
    table = table.set_column(i, "net_amount", pa.array(amounts))
    pq.write_table(table, folder / "orders.parquet")
    return folder


def test_lazy_checks_the_checksum_of_a_table_when_read(tampered: Path) -> None:
    ds = sim.load(tampered, lazy=True)  # the manifest is fine
    assert len(ds.customers) > 0  # an untouched table reads and checks clean
    with pytest.raises(DatasetError, match=r"orders\.parquet checksum mismatch"):
        ds.orders  # noqa: B018
    with pytest.raises(DatasetError, match=r"orders\.parquet checksum mismatch"):
        sim.load(tampered)


def test_lazy_verifies_the_manifest_and_the_files_it_lists(
    course_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    shutil.copytree(course_path, folder)
    (folder / "leads.parquet").unlink()
    with pytest.raises(DatasetError, match=r"leads\.parquet is missing \(incomplete dataset\)"):
        sim.load(folder, lazy=True)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest["schema_version"] = "0" * 16
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(DatasetError, match="written for another data model"):
        sim.load(folder, lazy=True)


def test_lazy_sql_checks_row_counts(course_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(course_path, folder)
    table = pq.read_table(folder / "tickets.parquet")
    pq.write_table(table.slice(1), folder / "tickets.parquet")
    ds = sim.load(folder, lazy=True)
    with pytest.raises(DatasetError, match=r"tickets\.parquet has [\d,]+ rows, the manifest says"):
        ds.sql("SELECT count(*) FROM orders")
