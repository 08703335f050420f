"""The 360° customer view and the data model, described for people who use it.

A brand knows a customer through many tables: what they bought (``orders``),
every interaction (``touchpoints``), what it sent them (``messages``), their
service contacts, surveys, loyalty points and advisor calls. "One client,
recognised everywhere" means being able to put those rows side by side.

- :func:`customer_view` — each table's rows for one customer (the 360° view);
- :func:`customer_summary` — the headline facts of that view, one line each;
- :func:`interesting_customers` — a few customers worth looking at, by label;
- :func:`data_model` / :func:`customer_fields` — each table and field with its
  kind of data (transactional, declared, behavioural) and source party;
- :func:`consent_summary` — opt-in / opt-out shares and who may be contacted;
- :func:`campaign_reach` — the audience a campaign on some channels may reach;
- :func:`market_summary`, :func:`relationship_states` — the regional markets and
  the (latent, simulated) relationship states of the people behind the profiles;
- :func:`brand_claims` — the source material's claims about a global luxury
  customer base, tested on the brand (with :func:`millennial_share`,
  :func:`cross_border_share`, :func:`omnichannel_share`, :func:`channel_share`).

Every function takes a :class:`sim.Dataset` or any mapping ``name → DataFrame``
holding the tables it needs, so it can be tested on tiny hand-made tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table
from sim.data.schema import TABLES

__all__ = [
    "CAMPAIGN_CHANNELS",
    "CUSTOMER_FIELDS",
    "campaign_reach",
    "RELATIONSHIP_TYPES",
    "market_summary",
    "relationship_states",
    "ONLINE_CHANNELS",
    "TABLE_ROLES",
    "brand_claims",
    "channel_share",
    "consent_summary",
    "cross_border_share",
    "customer_fields",
    "customer_summary",
    "customer_view",
    "data_model",
    "interesting_customers",
    "millennial_share",
    "omnichannel_share",
    "omnichannel_value_share",
]

#: Order channels that count as online (the rest, ``store``, is offline).
ONLINE_CHANNELS: tuple[str, ...] = ("ecommerce", "social_commerce")

#: What each table holds: kind of data, who collects it, what it is for.
TABLE_ROLES: dict[str, dict[str, str]] = {
    "customers": {
        "data": "declared",
        "party": "first",
        "about": "identity, contact details, demographics and consent the customer gave",
    },
    "orders": {
        "data": "transactional",
        "party": "first",
        "about": "every purchase, online and offline, in any country",
    },
    "touchpoints": {
        "data": "behavioural",
        "party": "first",
        "about": "every interaction and lifecycle stage change, with the impression it left",
    },
    "messages": {
        "data": "behavioural",
        "party": "first",
        "about": "campaign data: each send and what the customer did with it",
    },
    "campaigns": {
        "data": "operational",
        "party": "first",
        "about": "the brand's campaigns: type, channel, direction, A/B variant, cost",
    },
    "leads": {
        "data": "behavioural",
        "party": "first (partners' leads: second)",
        "about": "prospects before their first purchase: channel, cost, engagement",
    },
    "tickets": {
        "data": "transactional",
        "party": "first",
        "about": "service contacts: channel, waiting, effort, repairs",
    },
    "surveys": {
        "data": "declared",
        "party": "first",
        "about": "what customers say: NPS, CSAT, effort",
    },
    "loyalty_ledger": {
        "data": "transactional",
        "party": "first",
        "about": "loyalty points earned, redeemed and expired; tier",
    },
    "advisor_tasks": {
        "data": "behavioural",
        "party": "first",
        "about": "store interaction data: client advisors' calls and invitations",
    },
    "marketing_spend": {
        "data": "operational",
        "party": "first",
        "about": "the brand's own spend per channel and month (no customer in it)",
    },
    "truth": {
        "data": "simulation only",
        "party": "none",
        "about": "what no real brand knows: the person behind each profile, latent rates",
    },
    "truth_states": {
        "data": "simulation only",
        "party": "none",
        "about": "what no real brand knows: every change of each relationship's state, and why",
    },
}

#: Kind of data of each customers column, and whether it is personal data (GDPR).
CUSTOMER_FIELDS: dict[str, tuple[str, bool]] = {
    "customer_id": ("key", False),
    "first_name": ("declared", True),
    "last_name": ("declared", True),
    "email": ("declared", True),
    "phone": ("declared", True),
    "birth_date": ("declared", True),
    "generation": ("derived", False),
    "nationality": ("declared", True),
    "home_country": ("declared", True),
    "city": ("declared", True),
    "market": ("derived", False),
    "signup_date": ("transactional", False),
    "signup_channel": ("transactional", False),
    "acquisition_channel": ("behavioural", False),
    "lead_id": ("key", False),
    "referred_by": ("behavioural", False),
    "consent_email": ("consent", False),
    "consent_sms": ("consent", False),
    "consent_social": ("consent", False),
    "opt_out": ("consent", False),
    "loyalty_member": ("declared", False),
    "loyalty_enrol_date": ("transactional", False),
}

# Tables with one row per customer event, linked by customer_id (truth last).
_CUSTOMER_TABLES = (
    "customers",
    "orders",
    "touchpoints",
    "messages",
    "tickets",
    "surveys",
    "loyalty_ledger",
    "advisor_tasks",
    "truth",
)


def _get(ds: Any, name: str) -> pd.DataFrame | None:
    try:
        return ds[name]
    except (KeyError, TypeError):
        return None


# --------------------------------------------------------------------------- data model


def data_model(ds: Any = None) -> pd.DataFrame:
    """One row per table: kind of data, source party, meaning, key, links and size.

    ``links`` lists the id columns that join the table to others
    (``customer_id`` is the thread of the 360° view). With a dataset, ``rows``
    gives each table's row count.
    """
    rows = []
    for name, cols in TABLES.items():
        names = [c.name for c in cols]
        key = names[0]
        links = [c for c in names[1:] if c.endswith("_id")]
        role = TABLE_ROLES.get(name, {"data": "?", "party": "?", "about": ""})
        row = {
            "table": name,
            "data": role["data"],
            "party": role["party"],
            "about": role["about"],
            "key": key,
            "links": ", ".join(links),
            "columns": len(names),
        }
        if ds is not None:
            table = _get(ds, name)
            row["rows"] = len(table) if table is not None else 0
        rows.append(row)
    return pd.DataFrame(rows).set_index("table")


def customer_fields() -> pd.DataFrame:
    """The customers table's fields: kind of data, personal data or not, meaning."""
    meaning = {c.name: c.meaning for c in TABLES["customers"]}
    out = pd.DataFrame(
        [(f, kind, personal, meaning[f]) for f, (kind, personal) in CUSTOMER_FIELDS.items()],
        columns=["field", "data", "personal", "meaning"],
    )
    return out.set_index("field")


def consent_summary(customers: pd.DataFrame) -> pd.DataFrame:
    """Per channel: share opted in, and share that may be contacted (opted in, not opted out).

    The ``opt_out`` flag is the suppression (do-not-contact) list: it overrides
    any channel opt-in. Rows: ``email``, ``sms``, ``social``; columns
    ``opted_in``, ``contactable`` (shares 0–1) and ``customers`` (contactable count).
    """
    check_table(
        customers, "customers",
        flags=["consent_email", "consent_sms", "consent_social", "opt_out"],
    )  # fmt: skip
    out_ = customers["opt_out"].astype(bool)
    rows = {}
    for channel in ("email", "sms", "social"):
        opted = customers[f"consent_{channel}"].astype(bool)
        ok = opted & ~out_
        rows[channel] = {
            "opted_in": float(opted.mean()),
            "contactable": float(ok.mean()),
            "customers": int(ok.sum()),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out["customers"] = out["customers"].astype("int64")
    out.index.name = "channel"
    return out


# --------------------------------------------------------------------------- 360° view


def customer_view(ds: Any, customer_id: int) -> dict[str, pd.DataFrame]:
    """Every table's rows for one customer: the 360° view.

    Keys are the tables that mention the customer (``customers``, ``orders``,
    ``touchpoints``, ``messages``, ``tickets``, ``surveys``, ``loyalty_ledger``,
    ``advisor_tasks``, ``truth``), plus ``leads`` (the lead behind the profile)
    and ``campaigns`` (the campaigns of the messages received). Event tables
    are in time order. Tables missing from ``ds`` are left out.

    Raises
    ------
    KeyError
        If ``customer_id`` is not in the customers table.
    """
    customers = _get(ds, "customers")
    if customers is None:
        raise ValueError("customer_view needs a customers table")
    cid = int(customer_id)
    if not (customers["customer_id"] == cid).any():
        raise KeyError(f"customer_id {cid} is not in the customers table")
    time_cols = {
        "orders": "order_date",
        "touchpoints": "timestamp",
        "messages": "sent_at",
        "tickets": "created_at",
        "surveys": "responded_at",
        "loyalty_ledger": "timestamp",
        "advisor_tasks": "done_at",
    }
    view: dict[str, pd.DataFrame] = {}
    for name in _CUSTOMER_TABLES:
        table = _get(ds, name)
        if table is None:
            continue
        rows = table[table["customer_id"].to_numpy() == cid]
        if name in time_cols:
            rows = rows.sort_values([time_cols[name], rows.columns[0]], kind="stable")
        view[name] = rows.reset_index(drop=True)
    leads = _get(ds, "leads")
    if leads is not None:
        view["leads"] = leads[leads["customer_id"].eq(cid).fillna(False).to_numpy(dtype=bool)]
        view["leads"] = view["leads"].reset_index(drop=True)
    campaigns = _get(ds, "campaigns")
    if campaigns is not None and "messages" in view:
        ids = view["messages"]["campaign_id"].unique()
        view["campaigns"] = campaigns[campaigns["campaign_id"].isin(ids)].reset_index(drop=True)
    return view


def _online(channel: pd.Series, online: Sequence[str]) -> pd.Series:
    return channel.isin(list(online))


def customer_summary(
    ds: Any, customer_id: int, online: Sequence[str] = ONLINE_CHANNELS
) -> pd.Series:
    """Headline facts of one customer's 360° view, as a labelled Series (text values).

    Who they are (declared), what they bought (transactional), how they
    interact (behavioural), what they said (surveys), consent, loyalty and —
    from the simulation's truth — whether the profile is a duplicate.
    """
    v = customer_view(ds, customer_id)
    c = v["customers"].iloc[0]
    facts: dict[str, Any] = {
        "name": f"{c['first_name']} {c['last_name']}",
        "generation": c["generation"],
        "nationality / home": f"{c['nationality']} / {c['home_country']} ({c['city']})",
        "market": str(c["market"]) if "market" in c.index else "-",
        "signed up": f"{c['signup_date']:%Y-%m-%d} via {c['signup_channel']} "
        f"(acquired by {c['acquisition_channel']})",
        "consent": ", ".join(ch for ch in ("email", "sms", "social") if bool(c[f"consent_{ch}"]))
        or "none",
        "opted out": "yes (suppressed)" if bool(c["opt_out"]) else "no",
    }
    o = v.get("orders", pd.DataFrame())
    if len(o):
        chans = o["channel"].value_counts()
        facts["orders"] = f"{len(o)} for {o['net_amount'].sum():,.0f} EUR"
        facts["first / last order"] = (
            f"{o['order_date'].min():%Y-%m-%d} / {o['order_date'].max():%Y-%m-%d}"
        )
        facts["channels"] = ", ".join(f"{k} {n}" for k, n in chans.items())
        facts["online and offline"] = (
            "yes" if _online(o["channel"], online).any() and (~_online(o["channel"], online)).any()
            else "no"
        )  # fmt: skip
        facts["cross-border orders"] = (
            f"{int(o['cross_border'].sum())} (in {', '.join(sorted(o.loc[o['cross_border'], 'country'].unique())) or '-'})"
        )
    else:
        facts["orders"] = "none"
    tp = v.get("touchpoints", pd.DataFrame())
    if len(tp):
        imp = tp["impression"].value_counts()
        facts["touchpoints"] = (
            f"{len(tp)} ({imp.get('positive', 0)} positive, {imp.get('negative', 0)} negative)"
        )
        facts["lifecycle stage now"] = tp["stage"].iloc[-1]
    m = v.get("messages", pd.DataFrame())
    if len(m):
        facts["messages"] = (
            f"{len(m)} sent, {int(m['opened'].sum())} opened, {int(m['clicked'].sum())} clicked, "
            f"{int((m['bounce'] != 'none').sum())} bounced"
        )
    t = v.get("tickets", pd.DataFrame())
    if len(t):
        facts["service contacts"] = f"{len(t)} ({', '.join(t['reason'].value_counts().index)})"
    s = v.get("surveys", pd.DataFrame())
    if len(s):
        classes = pd.cut(s["nps"], [-1, 6, 8, 10], labels=["detractor", "passive", "promoter"])
        counts = classes.value_counts()
        facts["surveys"] = f"{len(s)} answers: " + ", ".join(
            f"{int(counts.get(k, 0))} {k}" for k in ("promoter", "passive", "detractor")
        )
    led = v.get("loyalty_ledger", pd.DataFrame())
    if bool(c["loyalty_member"]):
        if len(led):
            last = led.iloc[-1]
            facts["loyalty"] = f"member, {int(last['balance'])} points, tier {last['tier']}"
        else:
            facts["loyalty"] = "member, no points yet"
    a = v.get("advisor_tasks", pd.DataFrame())
    if len(a):
        facts["advisor contacts"] = f"{len(a)} ({int((a['outcome'] == 'reached').sum())} reached)"
    tr = v.get("truth", pd.DataFrame())
    if len(tr):
        row = tr.iloc[0]
        facts["duplicate profile (truth)"] = (
            f"yes, of person {int(row['person_id'])}" if bool(row["is_duplicate"]) else "no"
        )
        if "final_state" in tr.columns:
            facts["relationship (truth)"] = (
                f"{row['initial_state']} at acquisition, {row['final_state']} at the end"
            )
    out = pd.Series({k: str(x) for k, x in facts.items()}, name=int(customer_id), dtype=object)
    out.index.name = "fact"
    return out


def interesting_customers(ds: Any) -> dict[str, int]:
    """A few customers worth a look, as ``label → customer_id`` (labels carry the id).

    Top spender, most orders online and offline, most cross-border orders, a
    won-back customer, a repair customer, a detractor, a one-order customer,
    a duplicate profile and an opted-out buyer — whichever exist; ties go to
    the smallest id.
    """
    orders = ds["orders"]
    picks: dict[str, int | None] = {}
    is_online = _online(orders["channel"], ONLINE_CHANNELS)
    per = (
        orders.assign(online=is_online, offline=~is_online)
        .groupby("customer_id")
        .agg(
            revenue=("net_amount", "sum"),
            n=("order_id", "size"),
            cross=("cross_border", "sum"),
            online=("online", "any"),
            offline=("offline", "any"),
        )
    )

    def best(frame: pd.DataFrame, col: str) -> int | None:
        frame = frame[frame[col] > 0]
        if frame.empty:
            return None
        top = frame[col].max()
        return int(frame.index[frame[col] == top].min())

    picks["top spender"] = best(per, "revenue")
    picks["omnichannel buyer"] = best(per[per["online"] & per["offline"]], "n")
    picks["traveller"] = best(per, "cross")
    tp = _get(ds, "touchpoints")
    if tp is not None:
        won = tp.loc[tp["stage"] == "won_back", "customer_id"].unique()
        picks["won back"] = best(per[per.index.isin(won)], "n")
    tickets = _get(ds, "tickets")
    if tickets is not None:
        rep = tickets.loc[tickets["reason"] == "repair", "customer_id"]
        picks["repair"] = int(rep.min()) if len(rep) else None
    surveys = _get(ds, "surveys")
    if surveys is not None and len(surveys):
        low = surveys.groupby("customer_id")["nps"].mean()
        picks["detractor"] = int(low.index[low == low.min()].min())
    one = per.index[per["n"] == 1]
    picks["one-order customer"] = int(one.min()) if len(one) else None
    truth = _get(ds, "truth")
    if truth is not None:
        dup = truth.loc[truth["is_duplicate"].astype(bool), "customer_id"]
        picks["duplicate profile"] = int(dup.min()) if len(dup) else None
    cust = ds["customers"]
    out_ = cust.loc[cust["opt_out"].astype(bool), "customer_id"]
    out_ = out_[out_.isin(per.index)]
    picks["opted out"] = int(out_.min()) if len(out_) else None
    return {f"{label} (#{cid})": cid for label, cid in picks.items() if cid is not None}


# --------------------------------------------------------------------------- claims


def millennial_share(customers: pd.DataFrame, generation: str = "Millennials") -> float:
    """Share of profiles in one generation (default Millennials)."""
    check_table(customers, "customers", columns=["generation"])
    return float((customers["generation"] == generation).mean())


def cross_border_share(orders: pd.DataFrame) -> float:
    """Share of buying customers with at least one order outside their home country."""
    check_table(orders, "orders", columns=["customer_id"], flags=["cross_border"])
    return float(orders.groupby("customer_id")["cross_border"].any().mean())


def omnichannel_share(
    orders: pd.DataFrame, year: int | None = None, online: Sequence[str] = ONLINE_CHANNELS
) -> float:
    """Share of the year's buyers who bought both online and offline in that year.

    ``year`` defaults to the last calendar year in ``orders``; ``online`` lists
    the online channels (every other channel is offline).
    """
    check_table(orders, "orders", columns=["customer_id", "channel"], datetime=["order_date"])
    years = orders["order_date"].dt.year
    year = int(years.max()) if year is None else int(year)
    o = orders[years == year]
    if o.empty:
        raise ValueError(f"year: no orders in {year} (orders span {years.min()}–{years.max()})")
    is_online = _online(o["channel"], online)
    per = pd.DataFrame({"customer_id": o["customer_id"], "on": is_online, "off": ~is_online})
    both = per.groupby("customer_id")[["on", "off"]].any()
    return float((both["on"] & both["off"]).mean())


def omnichannel_value_share(
    orders: pd.DataFrame, year: int | None = None, online: Sequence[str] = ONLINE_CHANNELS
) -> float:
    """Share of the year's net revenue bought by the customers who bought both online and offline.

    The same buyers as :func:`omnichannel_share` (``year`` defaults to the last
    calendar year in ``orders``), weighed by their net spend that year instead
    of counted: the source's "3 % of value" beside its "2 % of customers".
    """
    check_table(
        orders,
        "orders",
        columns=["customer_id", "channel"],
        numeric=["net_amount"],
        datetime=["order_date"],
    )
    years = orders["order_date"].dt.year
    year = int(years.max()) if year is None else int(year)
    o = orders[years == year]
    if o.empty:
        raise ValueError(f"year: no orders in {year} (orders span {years.min()}–{years.max()})")
    is_online = _online(o["channel"], online)
    per = pd.DataFrame({"customer_id": o["customer_id"], "on": is_online, "off": ~is_online})
    both = per.groupby("customer_id")[["on", "off"]].any()
    omni = both.index[both["on"] & both["off"]]
    total = float(o["net_amount"].sum())
    if total <= 0:
        return float("nan")
    return float(o.loc[o["customer_id"].isin(omni), "net_amount"].sum()) / total


def channel_share(orders: pd.DataFrame, channels: Sequence[str] = ("ecommerce",)) -> float:
    """Share of orders (transactions) placed in ``channels``."""
    check_table(orders, "orders", columns=["channel"])
    if isinstance(channels, str):
        channels = [channels]
    return float(orders["channel"].isin(list(channels)).mean())


def _holds(test: str, material: float, brand: float) -> bool | None:
    if test == ">":
        return bool(brand > material)
    if test == "<":
        return bool(brand < material)
    if test == "~":
        return bool(material / 2 <= brand <= material * 2)
    return None


def brand_claims(ds: Any, year: int | None = None) -> pd.DataFrame:
    """The source material's claims about a global luxury customer base, tested on the brand.

    Columns: ``claim`` (the material's figure, in words), ``material`` (its
    number), ``brand`` (the same measure on this dataset), ``unit`` (share or
    count), ``test`` (``>`` "more than", ``~`` "about": within half to double)
    and ``holds`` (True/False; None for the comparison row without a claim).
    """
    customers, orders = ds["customers"], ds["orders"]
    rows = [
        ("Millennials are more than 60 % of customers", 0.60, millennial_share(customers),
         "share", ">"),
        ("more than 30 % of customers buy outside their home country", 0.30,
         cross_border_share(orders), "share", ">"),
        ("only about 2 % bought both online and offline in a year", 0.02,
         omnichannel_share(orders, year), "share", "~"),
        ("about 200 nationalities", 200.0, float(customers["nationality"].nunique()), "count",
         "~"),
        ("e-commerce is about 11 % of transactions", 0.11, channel_share(orders), "share", "~"),
        ("(online incl. social commerce, for comparison)", np.nan,
         channel_share(orders, ONLINE_CHANNELS), "share", ""),
        ("those omnichannel buyers bring about 3 % of the year's value", 0.03,
         omnichannel_value_share(orders, year), "share", "~"),
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=["claim", "material", "brand", "unit", "test"])
    out["holds"] = [
        _holds(t, m, b) for t, m, b in zip(out["test"], out["material"], out["brand"], strict=True)
    ]
    return out


# --------------------------------------------------------------------------- markets and states

#: The world's relationship states (best first), read as the relationship types and
#: attributes of the course material. The mapping is a modelling choice of the
#: workbench: the world simulates states that change how often a person buys and
#: whether they recommend, and the course names them by the type they resemble.
RELATIONSHIP_TYPES = pd.DataFrame(
    {
        "relationship type": [
            "cooperative (or dependent)",
            "basic",
            "exploratory, or a basic one fading",
            "ended",
        ],
        "trust / commitment": [
            "high trust, committed",
            "some trust, no commitment yet",
            "trust eroding",
            "none left",
        ],
        "what the world does": [
            "buys most often, recommends the brand",
            "buys at the person's own rate",
            "buys less, drifts towards lost",
            "buys no more unless won back",
        ],
    },
    index=pd.Index(["committed", "engaged", "cooling", "lost"], name="state"),
)


def market_summary(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Per regional market: customers, their share, buyers, orders, revenue and cross-border share.

    ``revenue_per_customer`` divides by every profile of the market (buyers or
    not); ``cross_border_share`` is the share of the market's orders placed
    outside the buyer's home country.
    """
    check_table(customers, "customers", columns=["customer_id", "market"])
    check_table(
        orders, "orders", columns=["customer_id"], numeric=["net_amount"], flags=["cross_border"]
    )
    market = customers.set_index("customer_id")["market"]
    o = orders.assign(market=orders["customer_id"].map(market))
    out = pd.DataFrame(
        {
            "customers": customers.groupby("market").size(),
            "buyers": o.groupby("market")["customer_id"].nunique(),
            "orders": o.groupby("market").size(),
            "revenue": o.groupby("market")["net_amount"].sum(),
            "cross_border_share": o.groupby("market")["cross_border"].mean(),
        }
    )
    out[["buyers", "orders"]] = out[["buyers", "orders"]].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0)
    out["customer_share"] = out["customers"] / out["customers"].sum()
    out["revenue_per_customer"] = out["revenue"] / out["customers"]
    out.index.name = "market"
    return out.sort_values("customers", ascending=False, kind="stable")


def relationship_states(truth: pd.DataFrame) -> pd.DataFrame:
    """People per relationship state at acquisition and at the end of the horizon (from the truth).

    Counted per person (a duplicate profile is the same person), in the order
    committed, engaged, cooling, lost; shares in ``share_at_acquisition`` and
    ``share_at_end``.
    """
    check_table(truth, "truth", columns=["person_id", "initial_state", "final_state"])
    people = truth.drop_duplicates("person_id")
    states = list(RELATIONSHIP_TYPES.index)
    out = pd.DataFrame(
        {
            "at_acquisition": people["initial_state"].value_counts().reindex(states, fill_value=0),
            "at_end": people["final_state"].value_counts().reindex(states, fill_value=0),
        }
    ).astype("int64")
    out["share_at_acquisition"] = out["at_acquisition"] / len(people)
    out["share_at_end"] = out["at_end"] / len(people)
    out.index.name = "state"
    return out


CAMPAIGN_CHANNELS: tuple[str, ...] = ("email", "sms", "social")


def campaign_reach(
    customers: pd.DataFrame, channels: Sequence[str] = ("email",), market: str | None = None
) -> pd.Series:
    """Who a campaign on ``channels`` may reach: opted in to at least one, not suppressed.

    A decision for the campaign planner (which channels, which market) and its
    consequence (the audience). ``market=None`` takes every market.

    Returns
    -------
    pandas.Series
        ``profiles`` (in the market), ``reachable`` (opted in to one of the
        channels and not on the suppression list), ``share`` and, per channel,
        ``only_<channel>`` (reachable through that channel alone).
    """
    if isinstance(channels, str):
        channels = [channels]
    channels = list(channels)
    bad = [c for c in channels if c not in CAMPAIGN_CHANNELS]
    if not channels or bad:
        raise ValueError(
            f"channels: one or more of {', '.join(CAMPAIGN_CHANNELS)}, got {channels!r}"
        )
    check_table(customers, "customers", columns=["market"], flags=["opt_out"])
    c = customers
    if market is not None:
        if market not in set(c["market"]):
            raise ValueError(
                f"market: one of {', '.join(sorted(set(c['market'])))}, got {market!r}"
            )
        c = c[c["market"] == market]
    ok = ~c["opt_out"].astype(bool)
    opted = pd.DataFrame({ch: c[f"consent_{ch}"].astype(bool) & ok for ch in channels})
    reach = opted.any(axis=1)
    out = {"profiles": len(c), "reachable": int(reach.sum())}
    out["share"] = out["reachable"] / out["profiles"] if out["profiles"] else np.nan
    for ch in channels:
        others = opted.drop(columns=ch).any(axis=1)
        out[f"only_{ch}"] = int((opted[ch] & ~others).sum())
    return pd.Series(out, name="reach", dtype=object)
