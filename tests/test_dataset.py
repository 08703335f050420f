"""Dataset: save/load round trip, checksums, atomic writes, clear errors, generated docs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.compose import course_dataset, default_dataset_path, regenerate_and_compare
from sim.data import dataset as dsmod
from sim.data import schema
from sim.data.dataset import Dataset, DatasetError, load, read_manifest, table_checksum
from sim.data.schema_docs import BEGIN_SCHEMA, END_SCHEMA, schema_markdown
from sim.scenario import preset

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- fixtures
def _column(kind: str, n: int, offset: int) -> pd.Series:
    """n schema-conformant values of one kind, with missing values where allowed."""
    i = np.arange(n) + offset
    if kind == "int":
        return pd.Series(i + 1, dtype="int64")
    if kind == "Int":
        return pd.Series([None if k % 3 == 1 else int(k) for k in i], dtype="Int64")
    if kind == "float":
        return pd.Series([np.nan if k % 4 == 2 else k * 1.25 for k in i], dtype="float64")
    if kind == "bool":
        return pd.Series(i % 2 == 0)
    if kind == "str":
        # Accents and separators, to exercise CSV quoting and UTF-8 hashing.
        return pd.Series([f'Zoë, "{k}" | x' if k % 2 else f"v{k}" for k in i], dtype=str)
    if kind == "datetime":
        t = pd.Timestamp("2023-01-01") + pd.to_timedelta(i * 36.5, unit="D")
        return pd.Series(t.where(i % 5 != 3, pd.NaT))
    raise AssertionError(kind)


def tiny_tables(rows: int = 4) -> dict[str, pd.DataFrame]:
    """A few schema-conformant rows for every table (built from sim.data.schema)."""
    out = {}
    for k, (name, cols) in enumerate(schema.TABLES.items()):
        n = rows + k % 3  # tables of different lengths
        out[name] = pd.DataFrame({c.name: _column(c.kind, n, offset=j) for j, c in enumerate(cols)})
    return out


def tiny_dataset(seed: int = 7) -> Dataset:
    scenario = preset("default").with_overrides({"population": {"customers": 10}})
    return Dataset(tiny_tables(), scenario, seed=seed, meta={"seconds": 0.5})


@pytest.fixture
def ds() -> Dataset:
    return tiny_dataset()


@pytest.fixture
def saved(ds: Dataset, tmp_path: Path) -> Path:
    return ds.save(tmp_path / "data")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------- the object
def test_construction_conforms_and_gives_access(ds: Dataset) -> None:
    assert list(ds) == list(schema.TABLES)
    assert ds.orders is ds["orders"] is ds.tables["orders"]
    assert ds.customers["lead_id"].dtype == "Int64"
    assert ds.customers["customer_id"].dtype == "int64"
    assert "orders" in dir(ds)
    with pytest.raises(AttributeError):
        _ = ds.no_such_table
    with pytest.raises(KeyError, match="no_such_table"):
        _ = ds["no_such_table"]
    summary = ds.summary()
    assert summary.loc["orders", "rows"] == len(ds.orders)
    assert summary.loc["orders", "columns"] == len(schema.TABLES["orders"])
    assert ds.meta["package_version"] and ds.meta["seconds"] == 0.5


def test_missing_column_is_a_schema_error_naming_table_and_column() -> None:
    tables = tiny_tables()
    tables["orders"] = tables["orders"].drop(columns="net_amount")
    with pytest.raises(schema.SchemaError, match=r"orders.*net_amount"):
        Dataset(tables, preset("default"), seed=0)


def test_missing_table_is_a_schema_error() -> None:
    tables = tiny_tables()
    del tables["surveys"]
    with pytest.raises(schema.SchemaError, match="surveys"):
        Dataset(tables, preset("default"), seed=0)


def test_checksums_depend_on_content_only(ds: Dataset) -> None:
    sums = ds.checksums()
    assert set(sums) == set(schema.TABLES)
    assert all(len(v) == 64 for v in sums.values())
    assert len(set(sums.values())) == len(sums)  # different tables, different hashes
    assert tiny_dataset(seed=99).checksums() == sums  # the seed is not content
    changed = ds.orders.copy()
    changed.loc[0, "net_amount"] += 0.01
    assert table_checksum("orders", changed) != sums["orders"]
    # How pandas stores text (Arrow or Python objects, sliced or not) does not matter.
    as_objects = ds.orders.astype({"channel": object, "country": object, "currency": object})
    assert table_checksum("orders", as_objects) == sums["orders"]
    tail = ds.orders.iloc[1:].reset_index(drop=True)
    assert table_checksum("orders", tail) == table_checksum("orders", tail.copy(deep=True))
    # Text boundaries matter: ("ab", "c") is not ("a", "bc").
    moved = ds.campaigns.copy()
    moved["name"] = ["ab", "c"] + list(moved["name"][2:])
    moved2 = moved.copy()
    moved2["name"] = ["a", "bc"] + list(moved["name"][2:])
    assert table_checksum("campaigns", moved) != table_checksum("campaigns", moved2)


# --------------------------------------------------------------------------- round trip
def test_round_trip_keeps_tables_and_checksums(ds: Dataset, saved: Path) -> None:
    assert sorted(p.name for p in saved.iterdir()) == sorted(
        [f"{t}.parquet" for t in schema.TABLES] + ["manifest.json"]
    )
    back = load(saved)
    assert back.checksums() == ds.checksums()
    assert back.seed == ds.seed
    assert back.scenario == ds.scenario
    for name in schema.TABLES:
        pd.testing.assert_frame_equal(back[name], ds[name])
    manifest = read_manifest(saved)
    assert manifest["seed"] == 7
    assert manifest["rows"] == {t: len(df) for t, df in ds.tables.items()}
    assert manifest["checksums"] == ds.checksums()
    assert manifest["package_version"] and manifest["schema_version"]
    assert _leftovers(saved.parent) == ["data"]  # no temporary folder left
    plain = saved.parent / "plain"
    plain.mkdir()
    assert saved.stat().st_mode == plain.stat().st_mode  # umask applies, not 0700


def test_saving_twice_gives_identical_files(ds: Dataset, tmp_path: Path) -> None:
    a, b = ds.save(tmp_path / "a"), ds.save(tmp_path / "b")
    for name in schema.TABLES:
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes()


def test_csv_export_has_every_table_with_schema_headers(ds: Dataset, tmp_path: Path) -> None:
    out = ds.to_csv(tmp_path / "csv")
    # Since format 2 an export carries a manifest listing its files, so that a
    # later overwrite can tell the workbench's files from the user's.
    assert _leftovers(out) == sorted([f"{t}.csv" for t in schema.TABLES] + ["manifest.json"])
    assert json.loads((out / "manifest.json").read_text())["format"] == dsmod.CSV_FORMAT
    for name, cols in schema.TABLES.items():
        df = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig")
        assert list(df.columns) == [c.name for c in cols]
        assert len(df) == len(ds[name])
    assert _leftovers(tmp_path) == ["csv"]


def test_save_with_csv_adds_csv_folder_and_still_loads(ds: Dataset, tmp_path: Path) -> None:
    out = ds.save(tmp_path / "data", csv=True)
    assert _leftovers(out / "csv") == sorted(f"{t}.csv" for t in schema.TABLES)
    assert load(out).checksums() == ds.checksums()


# --------------------------------------------------------------------------- atomic writes
def test_existing_folder_needs_overwrite(ds: Dataset, saved: Path) -> None:
    with pytest.raises(DatasetError, match="already exists"):
        ds.save(saved)


def test_overwrite_replaces_the_dataset(saved: Path) -> None:
    other = tiny_dataset(seed=11)
    other.tables["orders"] = other.orders.iloc[:2]
    other.save(saved, overwrite=True)
    back = load(saved)
    assert back.seed == 11 and len(back.orders) == 2
    assert _leftovers(saved.parent) == ["data"]


def test_overwrite_refuses_a_folder_that_is_not_a_dataset(ds: Dataset, tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.docx").write_text("years of work")
    with pytest.raises(DatasetError, match="not a dataset folder"):
        ds.save(precious, overwrite=True)
    assert (precious / "thesis.docx").read_text() == "years of work"


def test_failed_save_leaves_nothing_behind(
    ds: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = dsmod._write_parquet

    def failing(name, df, file):
        if name == "tickets":  # mid-way: earlier tables are already written
            raise RuntimeError("disk on fire")
        real(name, df, file)

    monkeypatch.setattr(dsmod, "_write_parquet", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        ds.save(tmp_path / "nested" / "data")
    assert _leftovers(tmp_path) == []  # no folder, no temp folder, no created parent


def test_failed_overwrite_keeps_the_old_dataset(
    saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = load(saved).checksums()

    def failing(name, df, file):
        raise KeyboardInterrupt

    monkeypatch.setattr(dsmod, "_write_parquet", failing)
    with pytest.raises(KeyboardInterrupt):
        tiny_dataset(seed=3).save(saved, overwrite=True)
    assert load(saved).checksums() == before
    assert _leftovers(saved.parent) == ["data"]


def test_failed_csv_export_leaves_nothing_behind(
    ds: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    with pytest.raises(DatasetError, match="No space left"):
        ds.to_csv(tmp_path / "csv")
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------- bad datasets
def test_corrupt_parquet_names_the_file(saved: Path) -> None:
    (saved / "orders.parquet").write_bytes(b"this is not parquet at all" * 10)
    with pytest.raises(DatasetError, match=r"orders\.parquet.*corrupt"):
        load(saved)


def test_truncated_parquet_names_the_file(saved: Path) -> None:
    data = (saved / "tickets.parquet").read_bytes()
    (saved / "tickets.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"tickets\.parquet"):
        load(saved)


def test_missing_table_file_is_named(saved: Path) -> None:
    (saved / "surveys.parquet").unlink()
    with pytest.raises(DatasetError, match=r"surveys\.parquet is missing"):
        load(saved)


def test_missing_folder_and_manifest(tmp_path: Path, saved: Path) -> None:
    with pytest.raises(DatasetError, match="no dataset folder"):
        load(tmp_path / "nowhere")
    (saved / "manifest.json").unlink()
    with pytest.raises(DatasetError, match=r"manifest\.json is missing"):
        load(saved)


def test_broken_manifest(saved: Path) -> None:
    (saved / "manifest.json").write_text("{not json")
    with pytest.raises(DatasetError, match=r"manifest\.json"):
        load(saved)
    # The format marker is checked first (a foreign manifest.json is no dataset),
    # so a manifest that is ours but lacks an entry needs the marker to get there.
    (saved / "manifest.json").write_text(json.dumps({"format": dsmod.FORMAT, "seed": 1}))
    with pytest.raises(DatasetError, match="scenario"):
        load(saved)


def _read(file: Path) -> pd.DataFrame:
    # Nullable dtypes, so that integer columns with gaps stay integers when rewritten.
    return pd.read_parquet(file, dtype_backend="numpy_nullable")


def test_edited_value_is_a_checksum_mismatch(saved: Path) -> None:
    orders = _read(saved / "orders.parquet")
    orders.loc[0, "net_amount"] = 1e6
    orders.to_parquet(saved / "orders.parquet", index=False)
    with pytest.raises(DatasetError, match=r"orders\.parquet checksum mismatch.*regenerate"):
        load(saved)


def test_dropped_rows_are_a_row_count_mismatch(saved: Path) -> None:
    orders = _read(saved / "orders.parquet").iloc[:1]
    orders.to_parquet(saved / "orders.parquet", index=False)
    with pytest.raises(DatasetError, match=r"orders\.parquet has 1 rows"):
        load(saved)


def test_stored_table_with_missing_column_is_a_schema_error(saved: Path) -> None:
    orders = _read(saved / "orders.parquet").drop(columns="currency")
    orders.to_parquet(saved / "orders.parquet", index=False)
    with pytest.raises(schema.SchemaError, match=r"orders\.parquet.*orders.*currency") as err:
        load(saved)
    assert isinstance(err.value, DatasetError)


def test_stored_table_with_wrong_type_names_the_column(saved: Path) -> None:
    orders = _read(saved / "orders.parquet")
    orders["order_date"] = "yesterday"
    orders.to_parquet(saved / "orders.parquet", index=False)
    with pytest.raises(schema.SchemaError, match=r"orders\.order_date"):
        load(saved)


# --------------------------------------------------------------------------- course helpers
def test_course_dataset_loads_a_stored_dataset_as_a_copy(saved: Path) -> None:
    a = course_dataset(saved)
    a.tables["orders"] = a.orders.iloc[:0]
    a.customers.loc[0, "city"] = "Atlantis"
    b = course_dataset(saved, seed=7)
    assert len(b.orders) > 0 and b.customers.loc[0, "city"] != "Atlantis"
    assert b.checksums() == load(saved).checksums()


def test_default_dataset_path_is_in_the_repository() -> None:
    assert default_dataset_path() == REPO / "datasets" / "default"


def test_default_dataset_regenerates_from_its_manifest() -> None:
    """The committed course dataset is exactly what the simulation gives today."""
    assert regenerate_and_compare(default_dataset_path()) == {}


# --------------------------------------------------------------------------- docs
def test_schema_markdown_documents_every_column() -> None:
    text = schema_markdown()
    for name, cols in schema.TABLES.items():
        assert f"### `{name}`" in text
        for c in cols:
            assert f"| `{c.name}` |" in text


def test_datasets_readme_embeds_the_current_schema() -> None:
    readme = (REPO / "datasets" / "README.md").read_text(encoding="utf-8")
    embedded = readme.split(BEGIN_SCHEMA, 1)[1].split(END_SCHEMA, 1)[0]
    assert embedded == "\n" + schema_markdown(), (
        "datasets/README.md is out of date with sim/schema.py: "
        "run `python -m sim schema --update datasets/README.md`"
    )
