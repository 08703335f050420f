"""Loaders for the CDNOW reference sample shipped in ``datasets/reference/cdnow/``.

The files come from the lifetimes 0.11.3 wheel on PyPI (``lifetimes/datasets/``),
itself Bruce Hardie's CDNOW sample: 2,357 customers, 1/10th of the cohort who
made their first purchase at CDNOW in the first quarter of 1997, followed to
the end of June 1998. See the folder's README.md.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["cdnow_dir", "load_cdnow_summary", "load_cdnow_transactions"]


def cdnow_dir() -> Path:
    """Folder holding the CDNOW files, resolved from this file (any working directory)."""
    return Path(__file__).resolve().parents[3] / "datasets" / "reference" / "cdnow"


def load_cdnow_summary() -> pd.DataFrame:
    """The CDNOW calibration summary used by Fader, Hardie & Lee (2005).

    Source: ``cdnow_customers_summary_with_transactions.csv`` from lifetimes
    0.11.3 (Hardie's CDNOW sample). Calibration period: 1997-01-01 to
    1997-09-30 (39 weeks); times in weeks.

    Returns
    -------
    pandas.DataFrame
        2,357 rows indexed by ``customer_id`` (1…2357), columns
        ``frequency`` (repeat purchases x), ``recency`` (t_x, weeks),
        ``T`` (weeks) and ``monetary`` (average repeat spend z̄, US$; 0 if x = 0).
    """
    raw = pd.read_csv(cdnow_dir() / "cdnow_customers_summary_with_transactions.csv")
    out = pd.DataFrame(
        {
            "frequency": raw["x"].astype("int64").to_numpy(),
            "recency": raw["t_x"].astype(float).to_numpy(),
            "T": raw["T"].astype(float).to_numpy(),
            "monetary": raw["zbar"].astype(float).to_numpy(),
        },
        index=pd.Index(raw["ID"].astype("int64"), name="customer_id"),
    )
    return out


def load_cdnow_transactions() -> pd.DataFrame:
    """The CDNOW sample's transactions, 1997-01-01 to 1998-06-30.

    Source: ``CDNOW_sample.txt`` from lifetimes 0.11.3 (Hardie's CDNOW sample).
    Column names follow ``sim.data.schema`` "orders" so the table feeds
    :func:`~sim.analytics.clv.summary_from_orders` directly.

    Returns
    -------
    pandas.DataFrame
        6,919 rows: ``customer_id`` (sample id 1…2357, as in the summary),
        ``master_id`` (id in the full CDNOW file), ``order_date`` (datetime, by day),
        ``quantity`` (CDs bought) and ``net_amount`` (US$).
    """
    raw = pd.read_csv(
        cdnow_dir() / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "quantity", "net_amount"],
        dtype={"date": str},
    )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("int64"),
            "master_id": raw["master_id"].astype("int64"),
            "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "quantity": raw["quantity"].astype("int64"),
            "net_amount": raw["net_amount"].astype(float),
        }
    )
