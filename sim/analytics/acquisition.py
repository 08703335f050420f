"""Acquisition: what leads and customers cost, how the funnel converts, and where to spend.

- :func:`acquisition_costs` — CPL = spend / leads and CAC = spend / customers
  acquired, by channel, by month or both, from the ``leads`` table and
  (optionally) the ``marketing_spend`` table;
- :func:`clv_cac_ratio`, :func:`payback_period` — is a customer worth their cost,
  and how many months until their margin pays it back;
- :func:`funnel_conversion` — counts and step conversion rates by stage;
- :class:`LeadScoringRules`, :func:`score_leads`, :func:`lift_table` — points-based
  lead scoring and its gains/lift table;
- :func:`budget_allocation` — expected leads, customers and CAC of a split of
  the budget over channels (for a what-if widget).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table
from sim.vocab import PAID_CHANNELS

__all__ = [
    "LeadScoringRules",
    "acquisition_costs",
    "budget_allocation",
    "clv_cac_ratio",
    "funnel_conversion",
    "lift_table",
    "payback_period",
    "score_leads",
]

_BY = {"channel": ["channel"], "month": ["month"], "month_channel": ["month", "channel"]}


def _month_start(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("M").dt.to_timestamp()


def acquisition_costs(
    leads: pd.DataFrame,
    spend: pd.DataFrame | None = None,
    by: str = "channel",
) -> pd.DataFrame:
    """Spend, leads, customers acquired, conversion rate, CPL and CAC per group.

    Parameters
    ----------
    leads
        Leads table: ``lead_id``, ``created_at``, ``channel``, ``cost``,
        ``converted``, ``converted_at`` (missing when not converted).
    spend
        Optional ``marketing_spend`` table (``month``, ``channel``, ``purpose``,
        ``spend``). When given, spend is its ``purpose == "acquisition"`` rows;
        otherwise spend is the sum of the leads' ``cost``.
    by
        ``"channel"``, ``"month"`` or ``"month_channel"``. Leads count in the
        month they were created; customers in the month they converted
        (``converted_at``), so a month's CAC is that month's spend over the
        customers won in it.

    Returns
    -------
    pandas.DataFrame
        Indexed by the group(s): ``spend``, ``leads``, ``customers``,
        ``conversion_rate`` (customers / leads of the group), ``cpl``
        (spend / leads) and ``cac`` (spend / customers). Rates with a zero
        denominator are ``NaN`` ("undefined"), not infinite.
    """
    if by not in _BY:
        raise ValueError(f"by: one of {', '.join(_BY)}, got {by!r}")
    check_table(
        leads,
        "leads",
        columns=["lead_id", "channel"],
        datetime=["created_at"],
        non_negative=["cost"],
        flags=["converted"],
    )
    conv = leads.loc[leads["converted"].astype(bool)]
    if len(conv):
        check_table(conv, "leads", datetime=["converted_at"])
    keys = _BY[by]
    lead_rows = pd.DataFrame(
        {"month": _month_start(leads["created_at"]), "channel": leads["channel"]}
    )
    cust_rows = pd.DataFrame(
        {"month": _month_start(conv["converted_at"]), "channel": conv["channel"]}
    )
    n_leads = lead_rows.groupby(keys).size()
    n_cust = cust_rows.groupby(keys).size()
    if spend is None:
        money = leads["cost"].groupby([lead_rows[k] for k in keys]).sum()
    else:
        check_table(
            spend,
            "marketing_spend",
            columns=["channel", "purpose"],
            datetime=["month"],
            non_negative=["spend"],
        )
        acq = spend.loc[spend["purpose"] == "acquisition"]
        money = acq.assign(month=_month_start(acq["month"])).groupby(keys)["spend"].sum()
    out = pd.concat(
        {"spend": money, "leads": n_leads, "customers": n_cust}, axis=1, sort=True
    ).fillna(0)
    out["spend"] = out["spend"].astype("float64")
    out[["leads", "customers"]] = out[["leads", "customers"]].astype("int64")
    out["conversion_rate"] = out["customers"] / out["leads"].where(out["leads"] > 0)
    out["cpl"] = out["spend"] / out["leads"].where(out["leads"] > 0)
    out["cac"] = out["spend"] / out["customers"].where(out["customers"] > 0)
    return out


def clv_cac_ratio(clv: float | pd.Series, cac: float | pd.Series) -> float | pd.Series:
    """CLV divided by CAC (a ratio above 3 is the usual rule of thumb; below 1 loses money).

    Works on two numbers or two Series aligned on their index (e.g. channel);
    a zero CAC gives ``NaN``.
    """
    if isinstance(clv, pd.Series) or isinstance(cac, pd.Series):
        clv_s, cac_s = pd.Series(clv, dtype="float64"), pd.Series(cac, dtype="float64")
        frame = pd.DataFrame({"clv": clv_s, "cac": cac_s})
        check_table(frame.dropna(), "clv_cac", numeric=["clv"], non_negative=["cac"])
        return (frame["clv"] / frame["cac"].where(frame["cac"] > 0)).rename("clv_cac")
    if cac < 0:
        raise ValueError(f"cac: must be non-negative, got {cac}")
    return float(clv) / cac if cac > 0 else math.nan


def payback_period(cac: float, monthly_margin: float | Sequence[float]) -> float:
    """Months until the cumulative margin of a customer covers their acquisition cost.

    Parameters
    ----------
    cac
        Acquisition cost per customer (EUR, ≥ 0).
    monthly_margin
        Either a constant margin per month, or the expected margin of month
        1, 2, … (e.g. margin × survival, which may shrink).

    Returns
    -------
    float
        The first month ``k`` (1-based) with ``margin_1 + … + margin_k >= cac``;
        0 if ``cac`` is 0; ``inf`` if the margins never cover it.

    >>> payback_period(100, 30)   # 30, 60, 90, 120 → month 4
    4.0
    """
    if not np.isfinite(cac) or cac < 0:
        raise ValueError(f"cac: must be a non-negative number, got {cac}")
    if cac == 0:
        return 0.0
    if np.ndim(monthly_margin) == 0:
        m = float(monthly_margin)  # type: ignore[arg-type]
        return float(math.ceil(cac / m - 1e-12)) if m > 0 else math.inf
    cum = np.cumsum(np.asarray(monthly_margin, dtype=float))
    hit = np.nonzero(cum >= cac - 1e-12)[0]
    return float(hit[0] + 1) if len(hit) else math.inf


def funnel_conversion(stages: Mapping[str, float] | pd.Series) -> pd.DataFrame:
    """Counts and conversion rates of an ordered funnel (first stage = top of the funnel).

    Returns a DataFrame indexed by ``stage`` with ``count``, ``step_conversion``
    (count / previous stage's count; 1.0 for the first stage), ``overall_conversion``
    (count / first stage's count) and ``drop_off`` (previous count − count).
    Counts must be non-negative and must not grow down the funnel.
    """
    s = pd.Series(stages, dtype="float64") if not isinstance(stages, pd.Series) else stages
    frame = pd.DataFrame({"count": s})
    check_table(frame, "funnel", non_negative=["count"])
    counts = frame["count"].astype("float64")
    grows = counts.diff() > 0
    if grows.any():
        stage = counts.index[grows.to_numpy().argmax()]
        raise ValueError(f"funnel.{stage}: count is larger than the previous stage's")
    prev = counts.shift(1)
    step = counts / prev.where(prev > 0)
    step.iloc[0] = 1.0
    first = counts.iloc[0]
    out = pd.DataFrame(
        {
            "count": counts,
            "step_conversion": step,
            "overall_conversion": counts / first if first > 0 else np.nan,
            "drop_off": (prev - counts).fillna(0.0),
        }
    )
    out.index.name = "stage"
    return out


@dataclass(frozen=True)
class LeadScoringRules:
    """Points of a lead-scoring model; validated when created.

    A lead's score is the sum of

    - demographic fit: ``generation_points[lead.generation]`` (0 if absent);
    - behaviour: ``points_per_page`` × pages viewed, at most ``max_behaviour_points``;
    - e-mail engagement: ``points_per_open`` × e-mails opened, at most
      ``max_engagement_points``;
    - ``event_points`` if the lead attended an event;
    - ``invalid_email_points`` (≤ 0, a negative score) if the e-mail bounced.
    """

    generation_points: Mapping[str, float] = field(
        default_factory=lambda: {"Millennials": 10.0, "Gen Z": 8.0, "Gen X": 6.0, "Boomers": 4.0}
    )
    points_per_page: float = 1.0
    max_behaviour_points: float = 20.0
    points_per_open: float = 3.0
    max_engagement_points: float = 15.0
    event_points: float = 15.0
    invalid_email_points: float = -20.0

    def __post_init__(self) -> None:
        for name in (
            "points_per_page",
            "max_behaviour_points",
            "points_per_open",
            "max_engagement_points",
            "event_points",
        ):
            val = getattr(self, name)
            if not np.isfinite(val) or val < 0:
                raise ValueError(
                    f"LeadScoringRules.{name}: must be a non-negative number, got {val}"
                )
        if not np.isfinite(self.invalid_email_points) or self.invalid_email_points > 0:
            raise ValueError(
                "LeadScoringRules.invalid_email_points: must be zero or negative, "
                f"got {self.invalid_email_points}"
            )
        for gen, pts in self.generation_points.items():
            if not np.isfinite(pts):
                raise ValueError(f"LeadScoringRules.generation_points[{gen!r}]: not a number")


def score_leads(leads: pd.DataFrame, rules: LeadScoringRules | None = None) -> pd.DataFrame:
    """Score each lead with :class:`LeadScoringRules`; one column per component plus ``score``.

    Returns a DataFrame indexed like ``leads`` with ``demographic``,
    ``behaviour``, ``engagement``, ``event``, ``negative`` and ``score`` (their sum).
    """
    rules = LeadScoringRules() if rules is None else rules
    check_table(
        leads,
        "leads",
        columns=["generation"],
        non_negative=["pages_viewed", "email_opens"],
        flags=["attended_event", "invalid_email"],
    )
    out = pd.DataFrame(index=leads.index)
    out["demographic"] = (
        leads["generation"].map(dict(rules.generation_points)).astype("float64").fillna(0.0)
    )
    out["behaviour"] = (leads["pages_viewed"] * rules.points_per_page).clip(
        upper=rules.max_behaviour_points
    )
    out["engagement"] = (leads["email_opens"] * rules.points_per_open).clip(
        upper=rules.max_engagement_points
    )
    out["event"] = np.where(leads["attended_event"].astype(bool), rules.event_points, 0.0)
    out["negative"] = np.where(leads["invalid_email"].astype(bool), rules.invalid_email_points, 0.0)
    out = out.astype("float64")
    out["score"] = out.sum(axis=1)
    return out


def lift_table(
    scores: Sequence[float] | pd.Series, converted: Sequence[bool] | pd.Series, bins: int = 10
) -> pd.DataFrame:
    """Gains and lift by score band: are the best-scored leads the ones that convert?

    Leads are sorted by score, best first (ties keep input order), and cut into
    ``bins`` equal-count bands: lead at position ``i`` (0-based) of ``n`` is in
    band ``1 + floor(bins * i / n)`` (band 1 = top scores; deciles by default).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``band``: ``leads``, ``conversions``, ``conversion_rate``,
        ``cum_lead_share`` (share of leads in bands 1..k), ``cum_gains`` (share of
        all conversions captured by bands 1..k), ``lift`` (band rate / overall
        rate) and ``cum_lift`` (cum_gains / cum_lead_share).
    """
    if bins < 1:
        raise ValueError(f"bins: must be at least 1, got {bins}")
    frame = pd.DataFrame({"score": np.asarray(scores), "converted": np.asarray(converted)})
    check_table(frame, "lift", numeric=["score"], flags=["converted"])
    n = len(frame)
    order = np.argsort(-frame["score"].to_numpy(dtype=float), kind="stable")
    band = np.empty(n, dtype="int64")
    band[order] = 1 + (bins * np.arange(n)) // n
    conv = frame["converted"].astype(bool).astype("int64")
    g = conv.groupby(band)
    out = pd.DataFrame({"leads": g.size(), "conversions": g.sum()})
    out = out.reindex(range(1, bins + 1), fill_value=0)
    total = conv.sum()
    overall = total / n
    out["conversion_rate"] = out["conversions"] / out["leads"].where(out["leads"] > 0)
    out["cum_lead_share"] = out["leads"].cumsum() / n
    out["cum_gains"] = out["conversions"].cumsum() / total if total else np.nan
    out["lift"] = out["conversion_rate"] / overall if overall else np.nan
    out["cum_lift"] = out["cum_gains"] / out["cum_lead_share"].where(out["cum_lead_share"] > 0)
    out.index.name = "band"
    return out


def _per_channel(values: Mapping[str, float] | pd.Series, name: str, channels: list) -> pd.Series:
    """A per-channel parameter as a float Series in ``channels`` order, checked ≥ 0."""
    s = pd.Series(values)
    missing = [c for c in channels if c not in s.index]
    if missing:
        raise ValueError(f"{name}: no value for channel(s) {', '.join(map(str, missing))}")
    s = s.reindex(channels)
    for ch, val in s.items():
        if isinstance(val, bool) or not isinstance(val, (int, float, np.number)) or np.isnan(val):
            raise ValueError(f"{name}.{ch}: expected a number, got {val!r}")
        if val < 0:
            raise ValueError(f"{name}.{ch}: negative value {val}")
    return s.astype("float64")


def budget_allocation(
    shares: Mapping[str, float] | pd.Series,
    total_budget: float,
    cpl: Mapping[str, float] | pd.Series,
    conversion_rate: Mapping[str, float] | pd.Series,
    saturation: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Expected leads, customers and CAC of splitting ``total_budget`` over channels.

    Parameters
    ----------
    shares
        Budget share per channel. Normalised to sum to 1, so raw slider values work.
    total_budget
        Budget to spend (EUR).
    cpl
        Cost per lead per channel (EUR, > 0); with ``saturation`` it is the
        cost of the first leads.
    conversion_rate
        Lead → customer conversion rate per channel (0–1).
    saturation
        Optional diminishing returns: a spend scale ``s`` per channel (EUR).
        Leads become ``(s / cpl) · (1 − exp(−spend / s))`` instead of
        ``spend / cpl``: close to linear while spend ≪ s, never more than
        ``s / cpl`` however much is spent. ``None``: constant returns.

    Returns
    -------
    pandas.DataFrame
        One row per channel plus a ``"total"`` row: ``share``, ``spend``,
        ``leads``, ``customers``, ``cpl`` (effective spend / leads) and ``cac``
        (spend / customers, ``NaN`` with no customers).

    >>> budget_allocation({"tv": 1, "social": 3}, 1000, {"tv": 50, "social": 10},
    ...                   {"tv": 0.1, "social": 0.05})["customers"].tolist()
    [0.5, 3.75, 4.25]
    """
    if not np.isfinite(total_budget) or total_budget < 0:
        raise ValueError(f"total_budget: must be a non-negative number, got {total_budget}")
    share = pd.Series(shares)
    if share.empty:
        raise ValueError("shares: no channel given")
    channels = list(share.index)
    share = _per_channel(share, "shares", channels)
    if share.sum() <= 0:
        raise ValueError("shares: at least one channel needs a positive share")
    share = share / share.sum()
    cost = _per_channel(cpl, "cpl", channels)
    if (cost <= 0).any():
        raise ValueError(f"cpl.{cost.index[(cost <= 0).to_numpy()][0]}: must be positive")
    rate = _per_channel(conversion_rate, "conversion_rate", channels)
    if (rate > 1).any():
        raise ValueError(
            f"conversion_rate.{rate.index[(rate > 1).to_numpy()][0]}: must be at most 1"
        )
    spend = share * total_budget
    if saturation is None:
        leads = spend / cost
    else:
        scale = _per_channel(saturation, "saturation", channels)
        if (scale <= 0).any():
            raise ValueError(
                f"saturation.{scale.index[(scale <= 0).to_numpy()][0]}: must be positive"
            )
        leads = scale / cost * (1 - np.exp(-spend / scale))
    out = pd.DataFrame({"share": share, "spend": spend, "leads": leads, "customers": leads * rate})
    out.loc["total"] = out.sum()
    out["cpl"] = out["spend"] / out["leads"].where(out["leads"] > 0)
    out["cac"] = out["spend"] / out["customers"].where(out["customers"] > 0)
    out.index.name = "channel"
    return out


# --------------------------------------------------------------------------- course helpers
__all__ += ["budget_by_channel", "lead_temperature", "revenue_by_tenure"]


def budget_by_channel(
    total_budget: float,
    cpl: Mapping[str, float] | pd.Series,
    conversion_rate: Mapping[str, float] | pd.Series,
    saturation: Mapping[str, float] | pd.Series | None = None,
    **shares: float,
) -> pd.DataFrame:
    """:func:`budget_allocation` with one keyword per channel's share (for one slider each).

    >>> budget_by_channel(1000, {"tv": 50, "social": 10}, {"tv": 0.1, "social": 0.05},
    ...                   tv=1, social=3)["customers"].tolist()
    [0.5, 3.75, 4.25]
    """
    return budget_allocation(shares, total_budget, cpl, conversion_rate, saturation)


def lead_temperature(
    scores: pd.Series | Sequence[float], warm: float = 15.0, hot: float = 30.0
) -> pd.Series:
    """Cold / warm / hot labels from lead scores: ``score < warm`` is cold, ``>= hot`` is hot.

    Returns an ordered categorical Series (cold < warm < hot) indexed like ``scores``.

    >>> lead_temperature(pd.Series([-5.0, 15.0, 29.0, 30.0])).tolist()
    ['cold', 'warm', 'warm', 'hot']
    """
    if not (np.isfinite(warm) and np.isfinite(hot)) or hot <= warm:
        raise ValueError(f"hot: must be a number above warm ({warm}), got {hot}")
    s = pd.Series(scores, dtype="float64") if not isinstance(scores, pd.Series) else scores
    check_table(s.rename("score").to_frame(), "scores", numeric=["score"])
    codes = np.where(s >= hot, 2, np.where(s >= warm, 1, 0))
    labels = pd.Categorical.from_codes(codes, categories=["cold", "warm", "hot"], ordered=True)
    return pd.Series(labels, index=s.index, name="temperature")


def revenue_by_tenure(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    months: int = 12,
    by: str = "acquisition_channel",
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Mean revenue per acquired customer in each month of tenure, per group.

    A customer's tenure month ``k`` (1-based) runs from ``signup_date + (k−1)·30.4375``
    days to ``signup_date + k·30.4375`` days. Only customers observed for the
    full ``months`` (``signup_date + months`` months ≤ ``end``) count, so every
    cell averages over the same customers, including those who never bought
    again (their revenue is 0).

    Parameters
    ----------
    customers
        ``customer_id``, ``signup_date`` and the grouping column ``by``.
    orders
        ``customer_id``, ``order_date``, ``net_amount``.
    months
        Tenure months to report (≥ 1).
    by
        Grouping column of ``customers`` (default: the acquisition channel).
    end
        End of the observation window; default the last order's date.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, columns ``1..months`` (mean EUR per customer in that
        tenure month); ``attrs["customers"]`` holds the number of customers per group.
        Cumulate a row and multiply by a margin for the payback curve.
    """
    if int(months) != months or months < 1:
        raise ValueError(f"months: must be a whole number >= 1, got {months}")
    months = int(months)
    check_table(customers, "customers", columns=["customer_id", by], datetime=["signup_date"])
    check_table(
        orders,
        "orders",
        columns=["customer_id"],
        datetime=["order_date"],
        non_negative=["net_amount"],
    )
    stop = orders["order_date"].max() if end is None else pd.Timestamp(end)
    month = pd.Timedelta(days=30.4375)
    cust = customers.loc[customers["signup_date"] + months * month <= stop]
    if cust.empty:
        raise ValueError(f"customers: nobody was observed for {months} months before {stop.date()}")
    cust = cust.set_index("customer_id")
    joined = orders.loc[orders["customer_id"].isin(cust.index)]
    signup = cust["signup_date"].reindex(joined["customer_id"]).to_numpy()
    k = np.floor((joined["order_date"].to_numpy() - signup) / month).astype("int64") + 1
    keep = (k >= 1) & (k <= months)  # orders before the signup (none expected) are dropped
    groups = cust[by].reindex(joined["customer_id"]).to_numpy()
    frame = pd.DataFrame(
        {"group": groups[keep], "month": k[keep], "revenue": joined["net_amount"].to_numpy()[keep]}
    )
    sums = frame.pivot_table(
        index="group", columns="month", values="revenue", aggfunc="sum", fill_value=0.0
    )
    sizes = cust.groupby(by).size()
    sums = sums.reindex(index=sizes.index, columns=range(1, months + 1), fill_value=0.0)
    out = sums.div(sizes, axis=0).astype("float64")
    out.index.name = by
    out.columns.name = "tenure_month"
    out.attrs["customers"] = sizes.astype("int64").to_dict()
    return out


# --------------------------------------------------------------------------- uncertainty and budgets
__all__ += ["channel_rates", "plan_budget", "referrals_by_state", "value_by_channel"]


def channel_rates(
    leads: pd.DataFrame, spend: pd.DataFrame | None = None, level: float = 0.95
) -> pd.DataFrame:
    """:func:`acquisition_costs` by channel with Wilson intervals on conversion and CAC.

    CAC = spend / customers = CPL / conversion rate, so the interval of CAC
    is CPL divided by the bounds of the conversion rate's Wilson interval
    (spend and leads are counted, not estimated).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`acquisition_costs` plus ``conversion_low``,
        ``conversion_high``, ``cac_low`` and ``cac_high``.
    """
    from sim.analytics.intervals import wilson_interval

    out = acquisition_costs(leads, spend, by="channel")
    bounds = [
        wilson_interval(int(c), int(n), level)
        for c, n in zip(out["customers"], out["leads"], strict=True)
    ]
    out["conversion_low"] = [b["low"] for b in bounds]
    out["conversion_high"] = [b["high"] for b in bounds]
    out["cac_low"] = out["cpl"] / out["conversion_high"].where(out["conversion_high"] > 0)
    out["cac_high"] = out["cpl"] / out["conversion_low"].where(out["conversion_low"] > 0)
    return out


def value_by_channel(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    months: int = 24,
    margin: float = 0.6,
    level: float = 0.95,
    by: str = "acquisition_channel",
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Mean margin per acquired customer over their first ``months`` months, with a t interval.

    Counts, like :func:`revenue_by_tenure`, only customers observed for the
    full ``months`` (those who never bought again count with their first
    order only), so channels are compared on the same footing.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``: ``customers``, ``value`` (mean margin, EUR),
        ``se``, ``low``, ``high`` (Student t interval at ``level``).
    """
    from sim.analytics.intervals import mean_interval

    if not 0 < margin <= 1:
        raise ValueError(f"margin: must be in (0, 1], got {margin!r}")
    if int(months) != months or months < 1:
        raise ValueError(f"months: must be a whole number >= 1, got {months}")
    check_table(customers, "customers", columns=["customer_id", by], datetime=["signup_date"])
    check_table(
        orders, "orders", columns=["customer_id"], datetime=["order_date"],
        non_negative=["net_amount"],
    )  # fmt: skip
    stop = orders["order_date"].max() if end is None else pd.Timestamp(end)
    month = pd.Timedelta(days=30.4375)
    cust = customers.loc[customers["signup_date"] + int(months) * month <= stop]
    if cust.empty:
        raise ValueError(f"customers: nobody was observed for {months} months before {stop.date()}")
    signup = cust.set_index("customer_id")["signup_date"]
    o = orders.loc[orders["customer_id"].isin(signup.index)]
    start = signup.reindex(o["customer_id"]).to_numpy()
    inside = (o["order_date"].to_numpy() >= start) & (
        o["order_date"].to_numpy() < start + int(months) * month
    )
    revenue = o.loc[inside].groupby("customer_id")["net_amount"].sum()
    per = margin * revenue.reindex(cust["customer_id"], fill_value=0.0).to_numpy()
    rows = {}
    for group, idx in cust.groupby(by).indices.items():
        ci = mean_interval(per[idx], level)
        rows[group] = {
            "customers": ci["n"],
            "value": ci["estimate"],
            "se": ci["se"],
            "low": ci["low"],
            "high": ci["high"],
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    return out


def referrals_by_state(
    customers: pd.DataFrame,
    truth: pd.DataFrame,
    state: str = "initial_state",
    level: float = 0.95,
) -> pd.DataFrame:
    """Referred customers per referrer, by the referrer's relationship state (from the truth).

    Word of mouth: ``customers.referred_by`` names the customer who
    recommended a referred customer. Grouping every customer by a state of
    ``truth`` (``initial_state`` or ``final_state``) shows who recommends.

    Returns
    -------
    pandas.DataFrame
        Indexed by state: ``customers``, ``referrals`` (customers they
        brought), ``per_customer`` and its Student t interval ``low``, ``high``.
    """
    from sim.analytics.intervals import mean_interval

    check_table(customers, "customers", columns=["customer_id", "referred_by"])
    check_table(truth, "truth", columns=["customer_id", state])
    made = customers["referred_by"].dropna().astype("int64").value_counts()
    m = truth[["customer_id", state]].assign(
        referrals=truth["customer_id"].map(made).fillna(0).to_numpy(dtype=float)
    )
    rows = {}
    for s, g in m.groupby(state):
        ci = mean_interval(g["referrals"].to_numpy(), level)
        rows[s] = {
            "customers": len(g),
            "referrals": int(g["referrals"].sum()),
            "per_customer": ci["estimate"],
            "low": ci["low"],
            "high": ci["high"],
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = state
    return out


def plan_budget(
    today: pd.DataFrame,
    budget: float = 1.0,
    saturation: float = 0.6,
    paid: Sequence[str] = PAID_CHANNELS,
    value: Mapping[str, float] | pd.Series | None = None,
    **shares: float,
) -> pd.DataFrame:
    """Leads, customers, CAC and net margin of a paid budget ``budget`` × today's, split by ``shares``.

    The brand's response curve (the simulated world's): a paid channel given
    ``x`` times its current spend brings ``x ** saturation`` times its leads
    (diminishing returns for ``saturation < 1``), at today's conversion rate;
    unpaid channels (referrals, walk-ins) keep their spend and leads.

    Parameters
    ----------
    today
        :func:`channel_rates` (or :func:`acquisition_costs`) by channel:
        ``spend``, ``leads``, ``conversion_rate``; with ``conversion_low`` /
        ``conversion_high`` the customers get an interval too.
    budget
        Total paid spend relative to today's (1 = today, 0 = no paid spend).
    saturation
        Exponent of the response curve, in (0, 1].
    paid
        The channels bought with money.
    value
        Optional margin per customer per channel (EUR, e.g. :func:`value_by_channel`'s
        ``value``): adds ``margin`` and ``net`` (margin − spend).
    shares
        One keyword per paid channel: its percentage of the paid budget
        (slider values; channels left out keep today's percentage, and the
        whole is normalised to 100). None given: today's split.

    Returns
    -------
    pandas.DataFrame
        One row per channel and ``"total"``: ``spend``, ``leads``,
        ``customers`` (and ``customers_low``, ``customers_high``), ``cac``,
        and with ``value`` also ``margin`` and ``net``.

    >>> today = pd.DataFrame({"spend": [100.0, 10.0], "leads": [10.0, 5.0],
    ...                       "conversion_rate": [0.1, 0.5]}, index=["tv", "referral"])
    >>> plan_budget(today, budget=4.0, saturation=0.5, paid=["tv"])["leads"].tolist()
    [20.0, 5.0, 25.0]
    """
    check_table(today, "today", numeric=["spend", "leads", "conversion_rate"])
    if not np.isfinite(budget) or budget < 0:
        raise ValueError(f"budget: must be a non-negative multiple of today's, got {budget!r}")
    if not 0 < saturation <= 1:
        raise ValueError(f"saturation: must be in (0, 1], got {saturation!r}")
    paid = [c for c in paid if c in today.index]
    unknown = sorted(set(shares) - set(paid))
    if unknown:
        raise ValueError(f"shares: {', '.join(unknown)} not among the paid channels {paid}")
    spend0 = today["spend"].astype(float)
    base_share = spend0[paid] / spend0[paid].sum()
    share = base_share.copy()
    for ch, s in shares.items():
        if isinstance(s, bool) or not isinstance(s, int | float) or not np.isfinite(s) or s < 0:
            raise ValueError(f"shares.{ch}: must be a non-negative number, got {s!r}")
    given = [c for c in paid if c in shares]
    if given:
        # Slider values are percentages of the paid budget; the rest keep their share.
        rest = [c for c in paid if c not in shares]
        raw = pd.Series({c: float(shares[c]) for c in given})
        kept = base_share[rest]
        total = raw.sum() + 100.0 * kept.sum()
        if total <= 0:
            raise ValueError("shares: at least one paid channel needs a positive share")
        share = pd.concat([raw / total, 100.0 * kept / total]).reindex(paid)
    spend = spend0.copy()
    spend[paid] = budget * spend0[paid].sum() * share
    ratio = pd.Series(1.0, index=today.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio[paid] = np.where(spend0[paid] > 0, (spend[paid] / spend0[paid]) ** saturation, 0.0)
    leads = today["leads"].astype(float) * ratio
    out = pd.DataFrame({"spend": spend, "leads": leads})
    out["customers"] = leads * today["conversion_rate"]
    if {"conversion_low", "conversion_high"} <= set(today.columns):
        out["customers_low"] = leads * today["conversion_low"]
        out["customers_high"] = leads * today["conversion_high"]
    if value is not None:
        v = pd.Series(value, dtype="float64").reindex(today.index)
        if v.isna().any():
            raise ValueError(f"value: no value for channel(s) {', '.join(v.index[v.isna()])}")
        out["margin"] = out["customers"] * v
        out["net"] = out["margin"] - out["spend"]
    out.loc["total"] = out.sum()
    out["cac"] = out["spend"] / out["customers"].where(out["customers"] > 0)
    out.index.name = "channel"
    return out


__all__ += ["conversion_independence"]


def conversion_independence(
    leads: pd.DataFrame, by: str = "generation", alpha: float = 0.05
) -> dict[str, object]:
    """Does conversion depend on ``by``? Pearson's chi-square test of the leads' contingency table.

    The table is ``by`` × converted (yes / no); the test asks whether the
    conversion rates of the groups differ by more than chance. A lead-scoring
    rule that gives points for ``by`` is only earned when they do.

    Returns
    -------
    dict
        ``chi2``, ``dof``, ``p_value``, ``groups`` (conversion rate per group)
        and ``reading``: "evidence of a difference" when ``p_value < alpha``,
        else "no evidence of a difference" (not proof that there is none).
    """
    from scipy import stats

    check_table(leads, "leads", columns=[by], flags=["converted"])
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must be strictly between 0 and 1, got {alpha!r}")
    conv = leads["converted"].astype(bool)
    table = pd.crosstab(leads[by], conv).reindex(columns=[False, True], fill_value=0)
    if len(table) < 2:
        raise ValueError(f"{by}: need at least two groups to compare, got {len(table)}")
    chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
    return {
        "chi2": float(chi2),
        "dof": int(dof),
        "p_value": float(p),
        "groups": conv.groupby(leads[by]).mean(),
        "reading": "evidence of a difference" if p < alpha else "no evidence of a difference",
    }
