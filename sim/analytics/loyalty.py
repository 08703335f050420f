"""Loyalty programme KPIs and economics: enrolment, engagement, redemption, breakage, liability.

Inputs are the ``loyalty_ledger`` table (one row per points movement: ``kind``
``earn`` / ``burn`` / ``expire``, signed ``points``, running ``balance``, ``tier``)
and the ``customers`` table (``loyalty_member``, ``loyalty_enrol_date``).
Points are counted positive in every KPI: *issued* = earned points, *redeemed*
= burnt points, *expired* = expired points.

Two pure models sit beside the KPIs: :func:`programme_roi` (does the
programme pay for itself?) and :func:`programme_design` (what do earn rate,
reward threshold, expiry and point value do to liability, breakage and ROI?),
the engine of the loyalty-design widget.

>>> ledger = pd.DataFrame({"entry_id": [1, 2, 3], "customer_id": [7, 7, 7],
...     "timestamp": pd.to_datetime(["2024-01-05", "2024-03-01", "2025-01-05"]),
...     "kind": ["earn", "burn", "expire"], "points": [100, -60, -40], "balance": [100, 40, 0]})
>>> redemption_rate(ledger), breakage_rate(ledger)
(0.6, 0.4)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table, require_columns, require_datetime

__all__ = [
    "FEATURES",
    "LoyaltyEconomics",
    "ProgrammeDesign",
    "balance_table",
    "breakage_rate",
    "effect_economics",
    "engaged_comparison",
    "engagement_level",
    "enrolment_frame",
    "enrolment_level",
    "member_comparison",
    "member_effect_estimates",
    "member_redemption_share",
    "outstanding_liability",
    "outstanding_points",
    "points_by_period",
    "programme_design",
    "programme_kpis",
    "programme_roi",
    "redemption_curve",
    "redemption_rate",
    "tier_distribution",
]

_KINDS = ("earn", "burn", "expire")
Date = pd.Timestamp | str


# --------------------------------------------------------------------------- checks


def _ledger(ledger: pd.DataFrame, *extra: str) -> pd.DataFrame:
    check_table(
        ledger, "loyalty_ledger", columns=["customer_id", "kind", *extra], numeric=["points"],
        datetime=["timestamp"],
    )  # fmt: skip
    bad = ~ledger["kind"].isin(_KINDS)
    if bad.any():
        raise ValueError(
            f"loyalty_ledger.kind: {int(bad.sum())} value(s) not in earn/burn/expire "
            f"(e.g. {ledger.loc[bad, 'kind'].iloc[0]!r})"
        )
    return ledger


def _members(customers: pd.DataFrame) -> pd.DataFrame:
    check_table(customers, "customers", columns=["customer_id"], flags=["loyalty_member"])
    require_datetime(customers, "loyalty_enrol_date", "customers", allow_missing=True)
    return customers[customers["loyalty_member"].astype(bool)]


def _window(df: pd.DataFrame, col: str, start: Date | None, end: Date | None) -> pd.DataFrame:
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= df[col] >= pd.Timestamp(start)
    if end is not None:
        keep &= df[col] < pd.Timestamp(end)
    return df[keep]


def _totals(ledger: pd.DataFrame) -> dict[str, float]:
    by_kind = ledger.groupby("kind")["points"].sum().abs()
    return {k: float(by_kind.get(k, 0.0)) for k in _KINDS}


def _share(num: float, den: float, what: str) -> float:
    if den <= 0:
        raise ValueError(f"loyalty_ledger.points: no {what} in the period, the rate is undefined")
    return num / den


# --------------------------------------------------------------------------- KPIs


def enrolment_level(customers: pd.DataFrame, as_of: Date | None = None) -> float:
    """Enrolment level: members / customers (0–1).

    With ``as_of``, only customers signed up (``signup_date``) and members enrolled
    (``loyalty_enrol_date``) on or before that date count.
    """
    members = _members(customers)
    if as_of is None:
        check_table(customers, "customers")
        return len(members) / len(customers)
    check_table(customers, "customers", datetime=["signup_date"])
    t = pd.Timestamp(as_of)
    base = int((customers["signup_date"] <= t).sum())
    if base == 0:
        raise ValueError(f"customers.signup_date: no customer signed up by {t.date()}")
    return int((members["loyalty_enrol_date"] <= t).sum()) / base


def engagement_level(
    ledger: pd.DataFrame, customers: pd.DataFrame, start: Date, end: Date
) -> float:
    """Engagement level: share of members who earned points in ``[start, end)``.

    Members are customers with ``loyalty_member`` whose enrolment date (if known)
    is before ``end``.
    """
    _ledger(ledger)
    members = _members(customers)
    enrolled = members["loyalty_enrol_date"]
    members = members[enrolled.isna() | (enrolled < pd.Timestamp(end))]
    if members.empty:
        raise ValueError("customers.loyalty_member: no members enrolled before the period end")
    earns = _window(ledger[ledger["kind"] == "earn"], "timestamp", start, end)
    return float(members["customer_id"].isin(earns["customer_id"]).mean())


def points_by_period(ledger: pd.DataFrame, freq: str = "M") -> pd.DataFrame:
    """Points issued, redeemed and expired per calendar period (``freq``: "M", "Q" or "Y").

    Returns
    -------
    pandas.DataFrame
        Indexed by every period from the first to the last movement; columns ``issued, redeemed, expired`` (positive
        points), ``net`` (issued − redeemed − expired) and ``redemption_rate``
        (redeemed / issued in the same period, NaN when nothing was issued).
    """
    _ledger(ledger)
    period = ledger["timestamp"].dt.to_period(freq).rename("period")
    out = (
        ledger.assign(points=ledger["points"].abs())
        .pivot_table(index=period, columns="kind", values="points", aggfunc="sum", fill_value=0)
        .reindex(columns=list(_KINDS), fill_value=0)
        .rename(columns={"earn": "issued", "burn": "redeemed", "expire": "expired"})
    )
    out = out.reindex(
        pd.period_range(out.index.min(), out.index.max(), name="period"), fill_value=0
    )
    out.columns.name = None
    out["net"] = out["issued"] - out["redeemed"] - out["expired"]
    out["redemption_rate"] = out["redeemed"] / out["issued"].where(out["issued"] > 0)
    return out


def redemption_rate(
    ledger: pd.DataFrame, start: Date | None = None, end: Date | None = None
) -> float:
    """Points redeemed / points issued, for movements in ``[start, end)`` (default all)."""
    t = _totals(_window(_ledger(ledger), "timestamp", start, end))
    return _share(t["burn"], t["earn"], "points issued")


def member_redemption_share(
    ledger: pd.DataFrame, customers: pd.DataFrame, months: int = 12, as_of: Date | None = None
) -> float:
    """Share of members who redeemed at least once within ``months`` of enrolling.

    Only members enrolled at least ``months`` before ``as_of`` (default: the last
    ledger entry) count, so each had the full window; the KPI decks quote it
    for 6 or 12 months.
    """
    _ledger(ledger)
    if not (isinstance(months, int) and months >= 1):
        raise ValueError(f"months: must be a whole number >= 1, got {months!r}")
    members = _members(customers).dropna(subset=["loyalty_enrol_date"])
    t = ledger["timestamp"].max() if as_of is None else pd.Timestamp(as_of)
    window = pd.DateOffset(months=months)
    members = members[members["loyalty_enrol_date"] + window <= t]
    if members.empty:
        raise ValueError(
            f"customers.loyalty_enrol_date: no member enrolled {months} months before {t.date()}"
        )
    burns = ledger.loc[ledger["kind"] == "burn", ["customer_id", "timestamp"]]
    m = members[["customer_id", "loyalty_enrol_date"]].merge(burns, on="customer_id")
    inside = (m["timestamp"] >= m["loyalty_enrol_date"]) & (
        m["timestamp"] < m["loyalty_enrol_date"] + window
    )
    return float(members["customer_id"].isin(m.loc[inside, "customer_id"]).mean())


def breakage_rate(
    ledger: pd.DataFrame,
    method: str = "issued",
    start: Date | None = None,
    end: Date | None = None,
) -> float:
    """Breakage: the share of points that will never be redeemed.

    ``method="issued"``: expired / issued — what has already broken; a lower
    bound while balances are still open. ``method="settled"``: expired /
    (redeemed + expired) = 1 − redemption share of the points whose fate is
    known, projected onto the outstanding points (the usual accounting
    estimate once the programme is mature).
    """
    t = _totals(_window(_ledger(ledger), "timestamp", start, end))
    if method == "issued":
        return _share(t["expire"], t["earn"], "points issued")
    if method == "settled":
        return _share(t["expire"], t["burn"] + t["expire"], "points redeemed or expired")
    raise ValueError(f"method: expected 'issued' or 'settled', got {method!r}")


def _latest(ledger: pd.DataFrame, as_of: Date | None, *cols: str) -> pd.DataFrame:
    df = _ledger(ledger, *cols)
    if as_of is not None:
        df = df[df["timestamp"] <= pd.Timestamp(as_of)]
    order = ["customer_id", "timestamp"] + (["entry_id"] if "entry_id" in df.columns else [])
    return df.sort_values(order, kind="stable").drop_duplicates("customer_id", keep="last")


def outstanding_points(ledger: pd.DataFrame, as_of: Date | None = None) -> int:
    """Points outstanding at ``as_of``: the sum of every member's last running balance."""
    check_table(ledger, "loyalty_ledger", non_negative=["balance"])
    return int(_latest(ledger, as_of, "balance")["balance"].sum())


def outstanding_liability(
    ledger: pd.DataFrame,
    point_value: float,
    as_of: Date | None = None,
    expected_redemption: float = 1.0,
) -> float:
    """Accrued liability for unredeemed points, in EUR.

    ``outstanding points × point_value × expected_redemption``. With the default
    ``expected_redemption=1`` every point is assumed to be redeemed (the prudent
    gross figure); pass ``1 − breakage`` for the expected cost.
    """
    if not (math.isfinite(point_value) and point_value >= 0):
        raise ValueError(f"point_value: must be a finite number >= 0, got {point_value!r}")
    if not 0 <= expected_redemption <= 1:
        raise ValueError(f"expected_redemption: must be in 0–1, got {expected_redemption!r}")
    return outstanding_points(ledger, as_of) * point_value * expected_redemption


def tier_distribution(ledger: pd.DataFrame, as_of: Date | None = None) -> pd.DataFrame:
    """Members per tier at ``as_of`` (each member's tier after their last entry).

    Members without any ledger entry are not counted. Tiers are listed by
    descending count.
    """
    last = _latest(ledger, as_of, "tier")
    if last.empty:
        raise ValueError("loyalty_ledger: no entries on or before the date")
    counts = last["tier"].value_counts()
    out = pd.DataFrame({"members": counts.astype("int64"), "share": counts / counts.sum()})
    out.index.name = "tier"
    return out


def _base_before(
    customers: pd.DataFrame, orders: pd.DataFrame, start: str | pd.Timestamp
) -> tuple[pd.Timestamp, pd.DataFrame, pd.Series]:
    """Customers signed up before ``start`` and who of them was a member by then.

    Membership must precede the behaviour a comparison measures after ``start``.
    """
    check_table(customers, "customers", columns=["customer_id"], datetime=["signup_date"])
    _members(customers)
    check_table(
        orders, "orders", columns=["customer_id"], numeric=["net_amount"], datetime=["order_date"]
    )
    t0 = pd.Timestamp(start)
    base = customers[customers["signup_date"] < t0]
    if base.empty:
        raise ValueError(f"customers.signup_date: no customer signed up before {t0.date()}")
    member = base["loyalty_member"].astype(bool) & (base["loyalty_enrol_date"] < t0)
    return t0, base, member


def member_comparison(
    customers: pd.DataFrame, orders: pd.DataFrame, start: Date, end: Date
) -> pd.DataFrame:
    """Members versus non-members in ``[start, end)``: share who bought and spend per customer.

    Only customers signed up before ``start`` count, and a member only if enrolled
    before ``start`` (so membership precedes the behaviour measured). The gap is
    an upper bound on the programme's effect: keen buyers self-select into
    programmes. Use it, discounted, as ``spend_uplift`` in :func:`programme_roi`.
    """
    t0, base, member = _base_before(customers, orders, start)
    spend = _window(orders, "order_date", start, end).groupby("customer_id")["net_amount"].sum()
    df = pd.DataFrame(
        {
            "group": np.where(member, "members", "non_members"),
            "spend": base["customer_id"].map(spend).fillna(0.0).to_numpy(),
        }
    )
    out = df.groupby("group")["spend"].agg(
        customers="size", buyers=lambda s: float((s > 0).mean()), spend_per_customer="mean"
    )
    return out.reindex(["members", "non_members"])


# --------------------------------------------------------------------------- economics


@dataclass(frozen=True)
class LoyaltyEconomics:
    """Programme cost against the margin it adds over one period (EUR)."""

    incremental_revenue: float
    incremental_margin: float
    cost: float
    net_benefit: float
    roi: float  # net_benefit / cost


def _check_num(field: str, value: float, lo: float = 0.0, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise ValueError(f"{field}: expected a number, got {value!r}")
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{field}: must be between {lo:g} and {hi:g}, got {value!r}")
    return float(value)


def programme_roi(
    members: float,
    spend_per_member: float,
    margin_rate: float,
    spend_uplift: float = 0.0,
    retention_uplift: float = 0.0,
    reward_cost: float = 0.0,
    running_cost: float = 0.0,
) -> LoyaltyEconomics:
    """Does the programme pay? Incremental margin from member uplift versus reward + running cost.

    Model (one period, e.g. a year): without the programme each of ``members``
    would spend ``spend_per_member``. The programme raises spend of retained
    members by ``spend_uplift`` (0.05 = +5 %) and keeps an extra
    ``retention_uplift`` share of members (0.03 = 3 in 100 who would have
    lapsed), who spend the uplifted amount::

        incremental revenue = N·S·u + N·Δr·S·(1 + u)
        incremental margin  = margin_rate × incremental revenue
        cost                = reward_cost + running_cost
        ROI                 = (incremental margin − cost) / cost

    ``reward_cost`` is the cost of rewards redeemed in the period (redeemed
    points × point value); ``running_cost`` covers IT, staff and communication.
    """
    n = _check_num("members", members)
    s = _check_num("spend_per_member", spend_per_member)
    m = _check_num("margin_rate", margin_rate, hi=1.0)
    u = _check_num("spend_uplift", spend_uplift, lo=-1.0)
    dr = _check_num("retention_uplift", retention_uplift, lo=-1.0, hi=1.0)
    cost = _check_num("reward_cost", reward_cost) + _check_num("running_cost", running_cost)
    if cost <= 0:
        raise ValueError("reward_cost, running_cost: the programme must cost something (sum > 0)")
    revenue = n * s * u + n * dr * s * (1 + u)
    margin = m * revenue
    return LoyaltyEconomics(revenue, margin, cost, margin - cost, (margin - cost) / cost)


@dataclass(frozen=True)
class ProgrammeDesign:
    """Outcome of :func:`programme_design` over the horizon (points and EUR).

    ``breakage`` is the expected share of the points issued in the horizon that
    will never be redeemed; ``expected_liability`` values only the outstanding
    points expected to be redeemed. ``monthly`` has one row per month.
    """

    issued: float
    redeemed: float
    expired: float
    outstanding: float
    liability: float
    expected_liability: float
    breakage: float
    engaged_share: float
    reward_cost: float
    running_cost: float
    incremental_margin: float
    net_benefit: float
    roi: float
    monthly: pd.DataFrame


def _spend_types(annual_spend: float, spend_cv: float, n_types: int) -> np.ndarray:
    from scipy import stats

    if spend_cv == 0:
        return np.full(n_types, annual_spend)
    shape = 1.0 / spend_cv**2
    q = (np.arange(n_types) + 0.5) / n_types
    return stats.gamma.ppf(q, shape, scale=annual_spend / shape)


def programme_design(
    earn_rate: float,
    reward_threshold: float,
    expiry_months: int,
    point_value: float,
    *,
    members: int = 1000,
    annual_spend: float = 1000.0,
    spend_cv: float = 1.0,
    redeemer_share: float = 0.7,
    spend_uplift: float = 0.05,
    margin_rate: float = 0.6,
    running_cost: float = 5.0,
    horizon_months: int = 36,
    n_types: int = 200,
) -> ProgrammeDesign:
    """Liability, expected breakage and ROI of a points-programme design (deterministic model).

    The model, month by month, in expected values:

    - Member annual spend follows a Gamma distribution with mean ``annual_spend``
      and coefficient of variation ``spend_cv`` (0 = everyone alike),
      represented by ``n_types`` equally likely quantiles. Everyone stays active
      and spends evenly, earning ``earn_rate`` points per EUR each month.
    - Points expire ``expiry_months`` after the month they were earned
      (0 = never). Expiry happens at the start of a month, then points are
      earned, then redeemed.
    - A share ``redeemer_share`` of members claims rewards: as soon as the
      balance reaches ``reward_threshold`` they redeem whole rewards
      (multiples of the threshold), oldest points first. The others never claim.
    - Members who claim at least one reward in the horizon are *engaged* and
      spend ``spend_uplift`` more over the whole horizon (the programme's
      effect); the margin on that extra spend is the benefit.
    - Cost = redeemed points × ``point_value`` + ``running_cost`` per member per
      year. ROI = (incremental margin − cost) / cost.
    - Expected breakage counts the horizon's points that expire, plus the
      non-claimers' outstanding points, plus those of claimers that will expire
      before their next reward (found by running on past the horizon with
      members still earning). Without expiry, claimers eventually redeem all
      their points.

    Parameters
    ----------
    earn_rate
        Points per EUR spent.
    reward_threshold
        Points needed for one reward.
    expiry_months
        Months a point stays valid (0 = no expiry).
    point_value
        Cost to the brand of one redeemed point, EUR.
    """
    e_rate = _check_num("earn_rate", earn_rate)
    thr = _check_num("reward_threshold", reward_threshold)
    if thr <= 0:
        raise ValueError(f"reward_threshold: must be > 0, got {reward_threshold!r}")
    for field, v, lo in (("expiry_months", expiry_months, 0), ("horizon_months", horizon_months, 1),
                         ("members", members, 1), ("n_types", n_types, 1)):  # fmt: skip
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
            raise ValueError(f"{field}: must be a whole number >= {lo}, got {v!r}")
    pv = _check_num("point_value", point_value)
    spend = _check_num("annual_spend", annual_spend)
    cv = _check_num("spend_cv", spend_cv)
    q = _check_num("redeemer_share", redeemer_share, hi=1.0)
    up = _check_num("spend_uplift", spend_uplift, lo=-1.0)
    mr = _check_num("margin_rate", margin_rate, hi=1.0)
    run = _check_num("running_cost", running_cost)

    s = _spend_types(spend, cv, n_types)
    monthly_spend = np.concatenate([s, s]) / 12.0  # claimers, then non-claimers
    monthly_pts = monthly_spend * e_rate
    claims = np.repeat([True, False], n_types)
    weight = members / n_types * np.repeat([q, 1.0 - q], n_types)
    h, ex = horizon_months, expiry_months
    total = h + ex  # run on `ex` months so every horizon cohort is settled
    cohorts = np.zeros((2 * n_types, total))
    expired_h = np.zeros(2 * n_types)  # horizon cohorts' points that ever expire
    redeemed_rows = np.zeros(2 * n_types)  # within the horizon
    rows = []
    for m in range(total):
        expiring = np.zeros(2 * n_types)
        if ex and m >= ex:
            expiring = cohorts[:, m - ex].copy()
            cohorts[:, m - ex] = 0.0
            if m - ex < h:
                expired_h += expiring
        cohorts[:, m] = monthly_pts
        live = cohorts[:, : m + 1]
        balance = live.sum(axis=1)
        take = np.where(claims, np.floor(balance / thr + 1e-9) * thr, 0.0)
        taken_before = np.cumsum(live, axis=1) - live
        used = np.clip(take[:, None] - taken_before, 0.0, live)
        cohorts[:, : m + 1] = live - used
        if m < h:
            redeemed_rows += take
            rows.append(
                (m + 1, weight @ monthly_pts, weight @ take, weight @ expiring,
                 weight @ cohorts[:, : m + 1].sum(axis=1))
            )  # fmt: skip
    monthly = pd.DataFrame(rows, columns=["month", "issued", "redeemed", "expired", "outstanding"])
    monthly["liability"] = monthly["outstanding"] * pv

    issued = float(monthly["issued"].sum())
    outstanding = float(monthly["outstanding"].iloc[-1])
    horizon_left = cohorts[:, :h].sum(axis=1)  # only non-zero without expiry
    never = weight @ (expired_h + np.where(claims, 0.0, horizon_left))
    # Outstanding points at the horizon that will be redeemed: all that do not break.
    out_breaking = never - float(monthly["expired"].sum())
    breakage = never / issued if issued > 0 else math.nan
    engaged = (redeemed_rows > 0) & claims
    margin = float(weight[engaged] @ monthly_spend[engaged]) * h * up * mr
    reward_cost = float(monthly["redeemed"].sum()) * pv
    running = members * run * h / 12.0
    cost = reward_cost + running
    net = margin - cost
    return ProgrammeDesign(
        issued=issued,
        redeemed=float(monthly["redeemed"].sum()),
        expired=float(monthly["expired"].sum()),
        outstanding=outstanding,
        liability=outstanding * pv,
        expected_liability=float(max(outstanding - out_breaking, 0.0) * pv),
        breakage=float(breakage),
        engaged_share=float(weight[engaged].sum() / members),
        reward_cost=reward_cost,
        running_cost=running,
        incremental_margin=margin,
        net_benefit=net,
        roi=net / cost if cost > 0 else math.nan,
        monthly=monthly,
    )


# --------------------------------------------------------------------------- course additions


def programme_kpis(
    ledger: pd.DataFrame,
    customers: pd.DataFrame,
    point_value: float,
    as_of: Date | None = None,
) -> pd.Series:
    """The programme's dashboard at ``as_of`` (default: the last ledger entry), in one Series.

    ``members``, ``enrolment_level`` (members / customers), ``engagement_level``
    (share of members who earned in the 12 months up to ``as_of``),
    ``points_issued``, ``points_redeemed``, ``points_expired`` (all movements up
    to ``as_of``), ``redemption_rate`` (redeemed / issued), ``breakage_issued``
    (expired / issued) and ``breakage_settled`` (expired / (redeemed + expired)),
    ``outstanding_points``, ``liability`` (outstanding × ``point_value``, EUR) and
    ``reward_cost`` (redeemed × ``point_value``, EUR).
    """
    _ledger(ledger)  # an empty ledger (programme switched off) is an error
    t = ledger["timestamp"].max() if as_of is None else pd.Timestamp(as_of)
    upto = ledger[ledger["timestamp"] <= t]
    tot = _totals(upto)
    members = _members(customers)
    enrolled = members["loyalty_enrol_date"]
    n_members = int((enrolled.isna() | (enrolled <= t)).sum())
    end = t + pd.Timedelta(seconds=1)
    out = {
        "members": n_members,
        "enrolment_level": n_members / len(customers) if len(customers) else math.nan,
        "engagement_level": engagement_level(ledger, customers, t - pd.DateOffset(years=1), end),
        "points_issued": tot["earn"],
        "points_redeemed": tot["burn"],
        "points_expired": tot["expire"],
        "redemption_rate": tot["burn"] / tot["earn"] if tot["earn"] > 0 else math.nan,
        "breakage_issued": tot["expire"] / tot["earn"] if tot["earn"] > 0 else math.nan,
        "breakage_settled": tot["expire"] / (tot["burn"] + tot["expire"])
        if tot["burn"] + tot["expire"] > 0
        else math.nan,
        "outstanding_points": outstanding_points(ledger, t),
        "liability": outstanding_liability(ledger, point_value, t),
        "reward_cost": tot["burn"] * _check_num("point_value", point_value),
    }
    return pd.Series({k: float(v) for k, v in out.items()}, name="programme")


def redemption_curve(
    ledger: pd.DataFrame,
    customers: pd.DataFrame,
    months: int = 24,
    as_of: Date | None = None,
) -> pd.DataFrame:
    """Share of members who redeemed within m months of enrolling, for m = 1 … ``months``.

    Each point uses :func:`member_redemption_share`: only members enrolled at
    least m months before ``as_of`` count, so every point has its own, older,
    group of members (column ``members``). Months for which no member had the
    full window are left out.
    """
    if not (isinstance(months, int) and months >= 1):
        raise ValueError(f"months: must be a whole number >= 1, got {months!r}")
    _ledger(ledger)
    t = ledger["timestamp"].max() if as_of is None else pd.Timestamp(as_of)
    enrolled = _members(customers)["loyalty_enrol_date"].dropna()
    rows = []
    for m in range(1, months + 1):
        eligible = int((enrolled + pd.DateOffset(months=m) <= t).sum())
        if eligible == 0:
            break
        rows.append((m, member_redemption_share(ledger, customers, m, t), eligible))
    if not rows:
        raise ValueError(f"customers.loyalty_enrol_date: no member enrolled a month before {t}")
    return pd.DataFrame(rows, columns=["months", "redeemed_share", "members"]).set_index("months")


def engaged_comparison(
    ledger: pd.DataFrame,
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    start: Date,
    end: Date,
) -> pd.DataFrame:
    """Redeemers, other members and non-members: share who bought and spend per customer in ``[start, end)``.

    Customers signed up before ``start`` count. *Redeemers* are members who
    redeemed a reward before ``start``; *other members* enrolled before
    ``start`` without redeeming; everyone else is a *non-member* (members who
    enrolled later included). Redeeming needs ``reward_threshold`` points, i.e.
    a lot of past spend, so redeemers are the brand's keenest buyers before any
    reward: the gap to the other groups is mostly selection, not programme
    effect. Indexed ``redeemers, other_members, non_members``; columns
    ``customers``, ``buyers`` (share with an order) and ``spend_per_customer`` (EUR).
    """
    _ledger(ledger)
    t0, base, member = _base_before(customers, orders, start)
    burnt = ledger.loc[(ledger["kind"] == "burn") & (ledger["timestamp"] < t0), "customer_id"]
    redeemer = member & base["customer_id"].isin(burnt)
    group = np.where(redeemer, "redeemers", np.where(member, "other_members", "non_members"))
    spend = _window(orders, "order_date", start, end).groupby("customer_id")["net_amount"].sum()
    df = pd.DataFrame(
        {"group": group, "spend": base["customer_id"].map(spend).fillna(0.0).to_numpy()}
    )
    out = df.groupby("group")["spend"].agg(
        customers="size", buyers=lambda s: float((s > 0).mean()), spend_per_customer="mean"
    )
    return out.reindex(["redeemers", "other_members", "non_members"])


# --------------------------------------------------------------------------- member effect: naive, controlled, truth


def _logit_fit(
    x: np.ndarray, trials: np.ndarray, successes: np.ndarray, start: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Binomial logistic regression on grouped rows by Newton–Raphson: (each row's chance, β).

    ``trials`` and ``successes`` are counts per row (customers and members in a
    cell); ``start`` warm-starts β (a bootstrap refit starts from the full fit).
    A tiny ridge keeps the fit finite when a cell is all members or none. The
    products avoid multi-threaded BLAS, which thrashes on a busy machine for
    matrices this small.
    """
    beta = np.zeros(x.shape[1]) if start is None else start.copy()
    ridge = 1e-4 * np.eye(x.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.einsum("ij,j->i", x, beta)))
        hess = np.einsum("ij,i,ik->jk", x, trials * p * (1 - p), x) + ridge
        step = np.linalg.solve(hess, np.einsum("ij,i->j", x, successes - trials * p))
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return 1.0 / (1.0 + np.exp(-np.einsum("ij,j->i", x, beta))), beta


def enrolment_frame(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    truth: pd.DataFrame | None = None,
    outcome_days: int = 365,
) -> pd.DataFrame:
    """One row per customer: what was known at enrolment, membership, and spend afterwards.

    Enrolment is offered at the first purchase, so everything about that
    purchase and the profile is *pre-enrolment*: ``first_order`` (gross EUR,
    before any reward), ``first_channel``, ``acquisition_channel``,
    ``generation``, ``market``. ``member`` is the enrolment; ``spend_after`` is
    the net revenue in the ``outcome_days`` after the first purchase (first
    order excluded). Only customers whose first purchase lies at least
    ``outcome_days`` before the last order count, so everyone has the full
    window. With ``truth``, duplicate profiles are left out and the truth's
    ``enrol_propensity`` and ``loyalty_effect`` are joined.
    """
    check_table(
        customers,
        "customers",
        columns=["customer_id", "acquisition_channel", "generation", "market"],
        flags=["loyalty_member"],
    )
    check_table(
        orders, "orders", columns=["customer_id", "channel"], numeric=["net_amount", "gross_amount"],
        datetime=["order_date"],
    )  # fmt: skip
    if isinstance(outcome_days, bool) or not (isinstance(outcome_days, int) and outcome_days >= 1):
        raise ValueError(f"outcome_days: a whole number >= 1, got {outcome_days!r}")
    o = orders.sort_values(["customer_id", "order_date"], kind="stable")
    first = o.drop_duplicates("customer_id").set_index("customer_id")
    end = o["order_date"].max()
    window = pd.Timedelta(days=outcome_days)
    o = o.assign(_t0=o["customer_id"].map(first["order_date"]))
    after = o[(o["order_date"] > o["_t0"]) & (o["order_date"] <= o["_t0"] + window)]
    spend = after.groupby("customer_id")["net_amount"].sum()
    c = customers[customers["customer_id"].isin(first.index)]
    ids = c["customer_id"]
    frame = pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "first_date": ids.map(first["order_date"]).to_numpy(),
            "first_order": ids.map(first["gross_amount"]).to_numpy(dtype=float),
            "first_channel": ids.map(first["channel"]).astype(str).to_numpy(),
            "acquisition_channel": c["acquisition_channel"].astype(str).to_numpy(),
            "generation": c["generation"].astype(str).to_numpy(),
            "market": c["market"].astype(str).to_numpy(),
            "member": c["loyalty_member"].astype(bool).to_numpy(),
            "spend_after": ids.map(spend).fillna(0.0).to_numpy(dtype=float),
        }
    )
    frame = frame[frame["first_date"] + window <= end]
    if truth is not None:
        require_columns(
            truth, ["customer_id", "is_duplicate", "enrol_propensity", "loyalty_effect"], "truth"
        )
        t = truth.drop_duplicates("customer_id").set_index("customer_id")
        frame = frame[~frame["customer_id"].map(t["is_duplicate"]).fillna(False).astype(bool)]
        frame = frame.assign(
            enrol_propensity=frame["customer_id"].map(t["enrol_propensity"]).to_numpy(dtype=float),
            loyalty_effect=frame["customer_id"].map(t["loyalty_effect"]).to_numpy(dtype=float),
        )
    if frame.empty or frame["member"].all() or not frame["member"].any():
        raise ValueError(
            "customers.loyalty_member: need both members and non-members with a full outcome window"
        )
    return frame.reset_index(drop=True)


FEATURES = ("first_channel", "acquisition_channel", "generation", "market")


def _cells(frame: pd.DataFrame, bands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's cell of pre-enrolment features, and the cells' logistic design matrix.

    A cell is a band of first-order value × first order channel × acquisition
    channel × generation × market; the model is additive on the logit scale
    (one column per level, the first level of each feature as reference).
    """
    keys = pd.DataFrame({"band": bands, **{f: frame[f].astype(str).to_numpy() for f in FEATURES}})
    cell_keys = keys.drop_duplicates().reset_index(drop=True)
    code = pd.MultiIndex.from_frame(cell_keys).get_indexer(pd.MultiIndex.from_frame(keys))
    cols = [np.ones(len(cell_keys))]
    for f in ("band", *FEATURES):
        levels = sorted(cell_keys[f].unique())
        cols += [(cell_keys[f] == lv).to_numpy(dtype=float) for lv in levels[1:]]
    return code, np.column_stack(cols)


def member_effect_estimates(
    frame: pd.DataFrame,
    strata: int = 10,
    level: float = 0.95,
    replications: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """The programme's effect on spend in the outcome window, four ways, with bootstrap intervals.

    ``frame`` comes from :func:`enrolment_frame`. The estimators, in EUR of
    ``spend_after`` per customer (member − non-member):

    - ``naive`` — the plain difference of means;
    - ``stratified`` — the difference within ``strata`` equal-size bands of the
      first order's value (pre-enrolment spend), averaged over the bands with
      their sizes;
    - ``ipw`` — inverse propensity weighting (normalised weights) with a
      logistic model of enrolment on the pre-enrolment features: the band of
      first order value, first order channel, acquisition channel,
      generation, market;
    - ``truth_ipw`` (when ``frame`` has the truth's ``enrol_propensity``) —
      the same weighting with the *true* chance to enrol. Enrolment is a draw
      against that chance, so the true propensity balances everything that
      drives enrolment, observed or not: this estimates the causal effect.

    Intervals: percentile bootstrap over customers; the logistic model is
    refitted on every resample.

    Returns
    -------
    pandas.DataFrame
        Index the estimators; ``estimate``, ``low``, ``high`` (EUR) and
        ``relative`` (estimate ÷ the non-members' mean spend, weighted like
        the estimator).
    """
    require_columns(frame, ["member", "spend_after", "first_order", *FEATURES], "frame")
    if isinstance(strata, bool) or not (isinstance(strata, int) and strata >= 1):
        raise ValueError(f"strata: a whole number >= 1, got {strata!r}")
    if not (isinstance(replications, int) and replications >= 20):
        raise ValueError(f"replications: a whole number >= 20, got {replications!r}")
    if not 0 < level < 1:
        raise ValueError(f"level: must be strictly between 0 and 1, got {level!r}")
    y = frame["spend_after"].to_numpy(dtype=float)
    d = frame["member"].to_numpy(dtype=float)
    n = len(frame)
    band = pd.qcut(frame["first_order"].rank(method="first"), strata, labels=False).to_numpy()
    code, x = _cells(frame, band)
    k = x.shape[0]
    oracle = (
        frame["enrol_propensity"].to_numpy(dtype=float) if "enrol_propensity" in frame else None
    )

    def contrast(w1: np.ndarray, w0: np.ndarray) -> tuple[float, float]:
        # Elementwise sums rather than BLAS dot products (see _logit_fit).
        m0 = (w0 * y).sum() / w0.sum()
        return (w1 * y).sum() / w1.sum() - m0, m0

    warm: dict[str, np.ndarray] = {}

    def all_of(w: np.ndarray) -> list[float]:
        # w: how often each customer is in the (re)sample.
        out = [contrast(w * d, w * (1 - d))]
        n_s = np.bincount(band, weights=w, minlength=strata)
        n1 = np.bincount(band, weights=w * d, minlength=strata)
        s1 = np.bincount(band, weights=w * d * y, minlength=strata)
        s0 = np.bincount(band, weights=w * (1 - d) * y, minlength=strata)
        ok = (n1 > 0) & (n1 < n_s)
        m1, m0 = s1[ok] / n1[ok], s0[ok] / (n_s[ok] - n1[ok])
        share = n_s[ok] / n_s[ok].sum()
        out.append(((m1 - m0) @ share, m0 @ share))
        p, beta = _logit_fit(
            x,
            np.bincount(code, weights=w, minlength=k),
            np.bincount(code, weights=w * d, minlength=k),
            warm.get("beta"),
        )
        warm.setdefault("beta", beta)  # the full-sample fit starts every refit
        p = p[code]
        for prop in (p, oracle) if oracle is not None else (p,):
            prop = np.clip(prop, 1e-3, 1 - 1e-3)
            out.append(contrast(w * d / prop, w * (1 - d) / (1 - prop)))
        return out

    full = np.array(all_of(np.ones(n)))
    rng = np.random.default_rng(seed)
    # A resample of a tiny table may hold one group only: that draw is NaN, ignored.
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = np.array(
            [[e for e, _ in all_of(np.bincount(rng.integers(0, n, n), minlength=n).astype(float))]
             for _ in range(replications)]
        )  # fmt: skip
    lo, hi = np.nanquantile(draws, [0.5 - level / 2, 0.5 + level / 2], axis=0)
    names = ["naive", "stratified", "ipw"] + (["truth_ipw"] if oracle is not None else [])
    return pd.DataFrame(
        {"estimate": full[:, 0], "low": lo, "high": hi, "relative": full[:, 0] / full[:, 1]},
        index=pd.Index(names, name="estimator"),
    )


def balance_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Members against non-members before enrolment: first order value and, with truth, the true chance to enrol.

    Means per group; a large gap before enrolment is the self-selection that
    the naive comparison credits to the programme.
    """
    require_columns(frame, ["member", "first_order"], "frame")
    cols = ["first_order"] + (["enrol_propensity"] if "enrol_propensity" in frame else [])
    cols += ["spend_after"]
    group = frame["member"].map({True: "members", False: "non_members"})
    out = frame.groupby(group)[cols].mean()
    out.insert(0, "customers", group.value_counts())
    return out.reindex(["members", "non_members"])


def effect_economics(
    estimates: pd.DataFrame,
    margin_rate: float,
    running_cost: float,
    years: float = 1.0,
) -> pd.DataFrame:
    """What each member-effect estimate says the programme earns per member, with its interval.

    ``estimates`` comes from :func:`member_effect_estimates` (EUR of net revenue
    per customer over ``years``). Net benefit per member = ``margin_rate`` ×
    effect − ``running_cost`` (EUR per member and year) × ``years``; the
    interval bounds carry through because the formula is increasing in the
    effect. Rewards are granted as discounts on members' later orders, so
    they are already out of the net revenue (counted at the margin rate: a
    small approximation for small rewards). ``pays`` says whether the whole
    interval is above zero (``yes``), below it (``no``) or straddles it
    (``unclear``).
    """
    require_columns(estimates, ["estimate", "low", "high"], "estimates")
    m = _check_num("margin_rate", margin_rate, hi=1.0)
    cost = _check_num("running_cost", running_cost) * _check_num("years", years)
    out = pd.DataFrame(
        {
            "effect": estimates["estimate"],
            "net_benefit": m * estimates["estimate"] - cost,
            "low": m * estimates["low"] - cost,
            "high": m * estimates["high"] - cost,
        }
    )
    out["pays"] = np.where(out["low"] > 0, "yes", np.where(out["high"] < 0, "no", "unclear"))
    return out


# --------------------------------------------------------------------------- liability as a range

__all__ += ["liability_range", "redeemer_share"]


def redeemer_share(ledger: pd.DataFrame, reward_threshold: float) -> float:
    """Share of the members who earned a reward's worth of points that ever redeemed one.

    A member counts once their points earned reach ``reward_threshold``; they
    redeemed when the ledger holds at least one ``burn`` for them.
    """
    check_table(ledger, "loyalty_ledger", columns=["customer_id", "kind"], numeric=["points"])
    if not reward_threshold > 0:
        raise ValueError(f"reward_threshold: must be > 0 points, got {reward_threshold!r}")
    earned = ledger[ledger["kind"] == "earn"].groupby("customer_id")["points"].sum()
    reached = earned.index[earned >= reward_threshold]
    if len(reached) == 0:
        return float("nan")
    burnt = ledger.loc[ledger["kind"] == "burn", "customer_id"].unique()
    return float(pd.Index(reached).isin(burnt).mean())


def liability_range(kpis: pd.Series, redeemers: float) -> pd.Series:
    """The expected liability of outstanding points as a range, from two breakage estimates.

    The breakage of the points still outstanding is not known until they are
    redeemed or expire, and the two estimates the data give bracket it:

    - **settled points**: expired / (redeemed + expired) of the points whose fate
      is known (``kpis["breakage_settled"]``). Expiry comes after a long silence,
      so early-settled points lean towards redemption: a low estimate of
      breakage, the high end of the liability;
    - **members**: the share of members who reached a reward and never claimed
      one, ``1 − redeemers`` — the share of points that would never be claimed
      if members either claim all their rewards or none (the programme model's
      assumption).

    The liability is ``kpis["liability"]`` (gross) × (1 − breakage); the range
    runs from the larger breakage to the smaller.

    Returns
    -------
    pandas.Series
        ``gross``, ``breakage_settled``, ``breakage_members``, ``low``, ``high`` (EUR).
    """
    for key in ("liability", "breakage_settled"):
        if key not in kpis.index:
            raise ValueError(f"kpis: needs {key!r} (from programme_kpis)")
    if not (np.isfinite(redeemers) and 0 <= redeemers <= 1):
        raise ValueError(f"redeemers: must be a share between 0 and 1, got {redeemers!r}")
    gross = float(kpis["liability"])
    settled = float(kpis["breakage_settled"])
    members = 1.0 - float(redeemers)
    values = sorted((gross * (1 - settled), gross * (1 - members)))
    return pd.Series(
        {
            "gross": gross,
            "breakage_settled": settled,
            "breakage_members": members,
            "low": values[0],
            "high": values[1],
        },
        name="liability",
    )
