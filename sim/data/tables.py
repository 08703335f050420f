"""From the run's records to the dataset's tables.

The world hands over plain records (:class:`sim.world.eventlog.RunRecords`:
arrays and DataFrames with times in days). Here they become the tables of the
data model — timestamps, touchpoints with the stage in force, marketing spend
by month, the customers and truth tables — and every table is conformed to
:mod:`sim.data.schema`. Nothing here draws a random number or sees the world.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.data.schema import TABLES, conform
from sim.scenario import Scenario
from sim.vocab import (
    ACQUISITION_CHANNELS,
    PRODUCT_CATEGORIES,
    RELATIONSHIP_STATES,
    STAGES,
    TOUCHPOINT_CAUSES,
)

__all__ = [
    "ID_COLUMNS",
    "SHARED_TABLES",
    "build_tables",
    "id_counts",
    "merge_campaigns",
    "merge_spend",
    "offset_ids",
    "timestamps",
]

#: Every id column and the kind of id it holds. A market's shard numbers its
#: rows 1..n in each table; the dataset numbers the shards one after another in
#: the scenario's market order, adding to each id the rows of that kind in the
#: shards before it (:func:`offset_ids`), so ids are unique, contiguous and the
#: same whatever ran the shards. Advisors and campaigns are the brand's own
#: (numbered from the scenario), never offset.
ID_COLUMNS: dict[str, dict[str, str]] = {
    "customers": {"customer_id": "customer", "lead_id": "lead", "referred_by": "customer"},
    "orders": {"order_id": "order", "customer_id": "customer"},
    "touchpoints": {"touchpoint_id": "touchpoint", "customer_id": "customer"},
    "messages": {"message_id": "message", "customer_id": "customer"},
    "leads": {"lead_id": "lead", "customer_id": "customer"},
    "tickets": {"ticket_id": "ticket", "customer_id": "customer", "order_id": "order"},
    "surveys": {
        "survey_id": "survey",
        "customer_id": "customer",
        "order_id": "order",
        "ticket_id": "ticket",
    },
    "loyalty_ledger": {"entry_id": "entry", "customer_id": "customer", "order_id": "order"},
    "advisor_tasks": {"task_id": "task", "customer_id": "customer"},
    "truth": {"customer_id": "customer", "person_id": "person"},
    "truth_states": {"change_id": "change", "person_id": "person"},
}
# The table whose rows are the ids of each kind (people: truth's first profiles).
_ID_TABLE = {
    "customer": "customers",
    "order": "orders",
    "touchpoint": "touchpoints",
    "message": "messages",
    "lead": "leads",
    "ticket": "tickets",
    "survey": "surveys",
    "entry": "loyalty_ledger",
    "task": "advisor_tasks",
    "change": "truth_states",
}
#: Tables of the brand as a whole, merged across shards into one file.
SHARED_TABLES = ("campaigns", "marketing_spend")


def id_counts(tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """How many ids of each kind one shard's tables use (its block in the dataset)."""
    out = {kind: len(tables[table]) for kind, table in _ID_TABLE.items()}
    out["person"] = int((~tables["truth"]["is_duplicate"]).sum())
    return out


def offset_ids(tables: dict[str, pd.DataFrame], offsets: dict[str, int]) -> dict[str, pd.DataFrame]:
    """One shard's tables with every id moved past the shards before it (``offsets`` by kind)."""
    out = dict(tables)
    for name, cols in ID_COLUMNS.items():
        if name not in tables or not any(offsets.get(kind, 0) for kind in cols.values()):
            continue
        df = tables[name].copy()
        for col, kind in cols.items():
            if offsets.get(kind, 0):
                df[col] = df[col] + offsets[kind]  # Int columns keep their missing values
        out[name] = df
    return out


def merge_campaigns(parts: list[tuple[pd.DataFrame, np.ndarray]]) -> pd.DataFrame:
    """The brand's campaigns from every shard's (campaigns, messages sent per campaign).

    Every shard makes the same campaigns (their schedule and A/B splits are the
    brand's); a campaign costs what its messages cost in all markets and starts
    with its first message in any market (its planned start if none was sent).
    """
    base = parts[0][0].copy()
    for camps, _ in parts[1:]:
        if not camps["name"].equals(base["name"]):
            raise ValueError("shards made different campaigns; they must share the schedule")
    sends = np.vstack([np.asarray(s, dtype=np.int64) for _, s in parts])
    cost = np.vstack([c["cost"].to_numpy(dtype=float) for c, _ in parts]).sum(axis=0)
    starts = np.vstack([c["start_date"].to_numpy(dtype="datetime64[ns]") for c, _ in parts])
    never = np.datetime64("2262-01-01", "ns")
    first = np.where(sends > 0, starts, never).min(axis=0)
    base["start_date"] = np.where(sends.sum(axis=0) > 0, first, starts[0])
    base["cost"] = cost.round(4)
    return conform("campaigns", base)


def merge_spend(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The brand's marketing spend by month, channel and purpose, summed over the shards."""
    sp = pd.concat(parts, ignore_index=True)
    sp = sp.groupby(["month", "channel", "purpose"], as_index=False, sort=True)["spend"].sum()
    sp["spend"] = sp["spend"].round(2)
    return conform("marketing_spend", sp)


def _nullable(values, keep) -> pd.Series:
    """Nullable integers: ``values`` where ``keep``, missing elsewhere."""
    return pd.Series(np.asarray(values), dtype="Int64").where(np.asarray(keep, dtype=bool))


def timestamps(start: pd.Timestamp, days) -> pd.Series:
    """Timestamps ``days`` after ``start`` (to the second; NaN days give NaT)."""
    days = np.asarray(days, dtype=float)
    stamps = start + pd.to_timedelta(np.round(days * 86400.0), unit="s")
    return pd.Series(stamps).astype("datetime64[ns]")


def _touchpoints(rec: Any, sc: Scenario, orders, tickets, surveys, tasks, messages) -> pd.DataFrame:
    st = pd.DataFrame(rec.stages)
    st["stage"] = np.asarray(STAGES, dtype=object)[st["stage"].to_numpy()]
    bad = tickets["abandoned"] | (tickets["effort_score"] >= sc.service.high_effort)
    repair = tickets["reason"] == "repair"
    bad = (bad & ~repair) | tickets["repair_outcome"].isin(["delayed", "rejected"])
    parts = [
        pd.DataFrame(
            {
                "customer_id": st["person"] + 1,
                "t": st["t"],
                "channel": "crm",
                "touchpoint": "stage_change",
                "impression": "neutral",
                "own_stage": st["stage"],
            }
        ),
        pd.DataFrame(
            {
                "customer_id": orders["customer_id"],
                "t": orders["t"],
                "channel": orders["channel"],
                "touchpoint": "purchase",
                # The moment of truth the world recorded (the calls and repairs
                # an order sets off are touchpoints of their own).
                "impression": np.where(orders["delighted"], "positive", "neutral"),
            }
        ),
    ]
    easy = tickets["effort_score"] <= 2
    parts.append(
        pd.DataFrame(
            {
                "customer_id": tickets["customer_id"],
                "t": tickets["t"],
                "channel": np.where(tickets["reason"] == "repair", "workshop", tickets["channel"]),
                "touchpoint": np.where(tickets["reason"] == "repair", "repair", "service_contact"),
                "impression": np.where(
                    bad, "negative", np.where(easy | repair, "positive", "neutral")
                ),
            }
        )
    )
    reached = tasks[tasks["outcome"] == "reached"]
    parts.append(
        pd.DataFrame(
            {
                "customer_id": reached["customer_id"],
                "t": reached["t_done"],
                "channel": "advisor",
                "touchpoint": "advisor_contact",
                "impression": "positive",
            }
        )
    )
    parts.append(
        pd.DataFrame(
            {
                "customer_id": surveys["customer_id"],
                "t": surveys["t"],
                "channel": "email",
                "touchpoint": "survey",
                "impression": np.where(
                    surveys["nps"] >= 9,
                    "positive",
                    np.where(surveys["nps"] <= 6, "negative", "neutral"),
                ),
            }
        )
    )
    clicks = messages[messages["clicked"]]
    parts.append(
        pd.DataFrame(
            {
                "customer_id": clicks["customer_id"],
                "t": clicks["sent_at"],
                "channel": clicks["channel"],
                "touchpoint": "message_click",
                "impression": "positive",
            }
        )
    )
    complaints = messages[messages["unsubscribed"] | messages["spam_complaint"]]
    parts.append(
        pd.DataFrame(
            {
                "customer_id": complaints["customer_id"],
                "t": complaints["sent_at"],
                "channel": complaints["channel"],
                "touchpoint": "message_complaint",
                "impression": "negative",
            }
        )
    )
    tp = pd.concat(parts, ignore_index=True)
    tp["person"] = rec.profile_person[tp["customer_id"].to_numpy() - 1]
    # Ties in time keep the order of recording (a walk-in is a prospect, then new).
    tp["seq"] = np.arange(len(tp))
    tp = tp.sort_values(["t", "customer_id", "seq"]).reset_index(drop=True)
    # The stage in force after each interaction: the person's latest stage change.
    st = st.sort_values("t", kind="stable")
    tp = pd.merge_asof(
        tp,
        st.rename(columns={"t": "t_stage"}),
        left_on="t",
        right_on="t_stage",
        by="person",
        direction="backward",
    )
    # A stage change carries the stage it enters, even when two share a moment.
    tp["stage"] = tp["own_stage"].fillna(tp["stage"]).fillna("prospect")
    tp = tp.sort_values(["t", "customer_id", "seq"]).reset_index(drop=True)
    tp.insert(0, "touchpoint_id", np.arange(1, len(tp) + 1))
    tp["timestamp"] = timestamps(_start(sc), tp["t"])
    return tp


def _month_start(stamps: pd.Series) -> pd.Series:
    return stamps.dt.to_period("M").dt.start_time


def _start(sc: Scenario) -> pd.Timestamp:
    return pd.Timestamp(sc.population.start_date)


def _retention_costs(
    rec: Any, sc: Scenario, adv: pd.DataFrame, orders: pd.DataFrame
) -> pd.DataFrame:
    """Advisors' time and the loyalty programme (rewards granted + running cost) by month."""
    start, horizon = _start(sc), rec.horizon
    advisor = pd.DataFrame(
        {
            "month": _month_start(adv["done_at"]),
            "channel": "advisor",
            "purpose": "retention",
            "spend": sc.advisors.cost_per_task,
        }
    )
    rewarded = orders[orders["reward"] > 0]
    rewards = pd.DataFrame(
        {
            "month": _month_start(timestamps(start, rewarded["t"])),
            "channel": "loyalty",
            "purpose": "retention",
            "spend": rewarded["reward"].to_numpy(),
        }
    )
    parts = [advisor, rewards]
    member = rec.people["member"]
    if sc.loyalty.enabled and member.any():
        months = pd.date_range(start, periods=int(np.ceil(horizon / 30.4375)) + 1, freq="MS")
        months = months[months < start + pd.Timedelta(days=horizon)]
        enrolled = np.sort(timestamps(start, rec.people["t0"][member]).to_numpy())
        month_end = (months + pd.offsets.MonthBegin(1)).to_numpy()
        members = np.searchsorted(enrolled, month_end)
        parts.append(
            pd.DataFrame(
                {
                    "month": months,
                    "channel": "loyalty",
                    "purpose": "retention",
                    "spend": members * sc.loyalty.running_cost_per_member / 12.0,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _spend(
    rec: Any,
    sc: Scenario,
    leads: pd.DataFrame,
    messages: pd.DataFrame,
    campaigns: pd.DataFrame,
    adv: pd.DataFrame,
    orders: pd.DataFrame,
) -> pd.DataFrame:
    acq = pd.DataFrame(
        {
            "month": _month_start(leads["created_at"]),
            "channel": leads["channel"],
            "purpose": "acquisition",
            "spend": leads["cost"],
        }
    )
    # Message costs by month and campaign first (integers: fast), then by channel.
    month = messages["sent_at"].to_numpy().astype("datetime64[M]")
    per = pd.DataFrame({"month": month, "campaign_id": messages["campaign_id"].to_numpy()})
    per = per.groupby(["month", "campaign_id"], as_index=False, sort=True).size()
    camp = campaigns.set_index("campaign_id")
    unit = camp["channel"].map(sc.campaigns.cost_per_message).astype(float)
    ret = pd.DataFrame(
        {
            "month": per["month"].astype("datetime64[ns]"),
            "channel": camp["channel"].reindex(per["campaign_id"]).to_numpy(),
            "purpose": "retention",
            "spend": per["size"].to_numpy() * unit.reindex(per["campaign_id"]).to_numpy(),
        }
    )
    sp = pd.concat([acq, ret, _retention_costs(rec, sc, adv, orders)], ignore_index=True)
    sp = sp.groupby(["month", "channel", "purpose"], as_index=False, sort=True)["spend"].sum()
    sp["spend"] = sp["spend"].round(2)
    return sp


def build_tables(rec: Any, scenario: Scenario) -> dict[str, pd.DataFrame]:
    """All tables of the dataset from one run's records, conformed to the schema.

    ``rec`` is a :class:`sim.world.eventlog.RunRecords` (read by attribute:
    the data layer does not import the world).
    """
    sc = scenario
    start = _start(sc)

    def ts(days) -> pd.Series:
        return timestamps(start, days)

    n = rec.n
    people = rec.people
    orders = rec.orders.copy()
    ledger = rec.ledger.copy()
    ledger["timestamp"] = ts(ledger.pop("t"))
    tickets = rec.tickets.copy()
    surveys = rec.surveys.copy()

    leads = rec.leads.copy()
    leads["created_at"] = ts(leads["t"])
    leads["converted_at"] = ts(leads["t_converted"])
    person_lead = np.zeros(n, dtype=np.int64)
    won = leads["person"] >= 0
    person_lead[leads.loc[won, "person"].to_numpy()] = leads.loc[won, "lead_id"].to_numpy()
    referrer = rec.referrer
    leads["customer_id"] = _nullable(leads["person"] + 1, won)

    adv = rec.advisor_tasks.copy()
    adv["created_at"] = ts(adv["t_created"])
    adv["done_at"] = ts(adv["t_done"])

    messages, campaigns = rec.messages.copy(), rec.campaigns.copy()
    messages["sent_at"] = ts(messages["sent_at"])
    campaigns["start_date"] = ts(campaigns["start_date"])
    campaigns["cost"] = campaigns["cost"].round(4)

    touch = _touchpoints(
        rec,
        sc,
        orders,
        tickets,
        surveys,
        adv,
        messages.assign(sent_at=(messages["sent_at"] - start).dt.total_seconds() / 86400.0),
    )
    spend = _spend(rec, sc, leads, messages, campaigns, adv, orders)

    # Customers: every person's first profile, then the second registrations.
    dup = rec.dup_people
    prof = rec.profiles
    first_channel = orders.groupby("customer_id")["channel"].first()
    t0 = people["t0"]
    acq = np.asarray(ACQUISITION_CHANNELS)[people["acq_channel"]]
    signup_t = np.concatenate([t0, rec.dup_time[dup]])
    n_prof = len(prof)
    ids = np.arange(1, n_prof + 1)
    is_primary = ids <= n
    lead_id = np.concatenate([person_lead, np.zeros(len(dup), dtype=np.int64)])
    ref = np.concatenate([referrer, np.full(len(dup), -1)])
    member = np.concatenate([people["member"], np.zeros(len(dup), dtype=bool)])
    enrol = np.where(member, np.concatenate([t0, np.zeros(len(dup))]), np.nan)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "first_name": prof["first_name"].astype(str),
            "last_name": prof["last_name"].astype(str),
            "email": prof["email"].astype(str),
            "phone": prof["phone"].astype(str),
            "birth_date": prof["birth_date"],
            "generation": prof["generation"].astype(str),
            "nationality": prof["nationality"].astype(str),
            "home_country": prof["home_country"].astype(str),
            "city": prof["city"].astype(str),
            "market": np.asarray(rec.markets["market"], dtype=object)[
                np.concatenate([people["market"], people["market"][dup]])
            ],
            "signup_date": ts(signup_t),
            # object dtype first: with no orders the mapped ids are all-NaN floats.
            "signup_channel": pd.Series(ids)
            .map(first_channel)
            .astype(object)
            .fillna("ecommerce")
            .astype(str),
            "acquisition_channel": np.concatenate([acq, acq[dup]]),
            "lead_id": _nullable(lead_id, is_primary),
            "referred_by": _nullable(ref, ref > 0),
            "consent_email": rec.consent["email"],
            "consent_sms": rec.consent["sms"],
            "consent_social": rec.consent["social"],
            "opt_out": rec.opt_out,
            "loyalty_member": member,
            "loyalty_enrol_date": ts(enrol),
        }
    )

    pp = rec.profile_person
    state_names = np.asarray(RELATIONSHIP_STATES, dtype=object)
    member_p = people["member"]
    truth = pd.DataFrame(
        {
            "customer_id": ids,
            "person_id": pp + 1,
            "is_duplicate": ~is_primary,
            "email_typo": prof["email_typo"].to_numpy(dtype=bool),
            "purchase_rate": people["lam"][pp],
            "dropout_prob": people["p"][pp],
            "lifetime_rate": people["mu"][pp],
            "spend_scale": people["nu"][pp],
            "channel_rate_multiplier": people["rate_multiplier"][pp],
            "channel_spend_multiplier": people["spend_multiplier"][pp],
            "initial_state": state_names[people["state0"][pp]],
            "final_state": state_names[people["final_state"][pp]],
            "enrol_propensity": people["enrol_propensity"][pp],
            "loyalty_effect": np.where(member_p[pp], sc.loyalty.member_effect, 1.0),
            "first_dropout_date": ts(people["first_drop"][pp]),
            "won_back_date": ts(people["won_back"][pp]),
            "dropout_date": ts(people["final_drop"][pp]),
            "home_category": np.asarray(PRODUCT_CATEGORIES, dtype=object)[
                people["home_category"][pp]
            ],
        }
    )
    st = rec.states
    keep = st["person"] >= 0
    before = np.asarray(["-", *RELATIONSHIP_STATES], dtype=object)[st["before"][keep] + 1]
    truth_states = pd.DataFrame(
        {
            "person_id": st["person"][keep] + 1,
            "timestamp": ts(st["t"][keep]),
            "from_state": before,
            "to_state": state_names[st["after"][keep]],
            "cause": np.asarray(TOUCHPOINT_CAUSES, dtype=object)[st["cause"][keep]],
        }
    )
    truth_states = truth_states.sort_values(["timestamp", "person_id"], kind="stable")
    truth_states = truth_states.reset_index(drop=True)
    truth_states.insert(0, "change_id", np.arange(1, len(truth_states) + 1))

    orders["order_date"] = ts(orders["t"])
    tickets["created_at"] = ts(tickets["t"])
    surveys["responded_at"] = ts(surveys["t"])
    raw = {
        "customers": customers,
        "orders": orders,
        "touchpoints": touch,
        "messages": messages,
        "campaigns": campaigns,
        "leads": leads,
        "tickets": tickets,
        "surveys": surveys,
        "loyalty_ledger": ledger,
        "advisor_tasks": adv,
        "marketing_spend": spend,
        "truth": truth,
        "truth_states": truth_states,
    }
    return {name: conform(name, raw[name][[c.name for c in TABLES[name]]]) for name in TABLES}
