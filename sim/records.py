"""From the world's recorded events to the dataset's tables.

The SimPy run records flat events (who bought which candidate purchase when,
stage changes, tickets, messages, advisor tasks). Everything that needs no
time or state — order values and channels, the loyalty ledger replay, survey
answers, referral links, touchpoints and spend — is derived here, vectorised,
and every table is conformed to :mod:`sim.schema`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.acquisition import build_leads
from sim.customers import STAGES
from sim.geography import TRAVEL_DESTINATIONS, currency_of
from sim.loyalty import replay_ledger
from sim.scenario import ACQUISITION_CHANNELS, ORDER_CHANNELS
from sim.schema import conform
from sim.seeding import stream
from sim.service import survey_scores

if TYPE_CHECKING:
    from sim.engine import World

__all__ = ["TICKET_FIELDS", "build_tables"]

SERVED_BY_ADVISOR = 0.6  # share of store orders rung up by the client's own advisor
# What the world records per service contact (see World.record_ticket).
TICKET_FIELDS = (
    "person", "customer_id", "order", "t", "channel", "reason", "wait_minutes", "abandoned",
    "handle_minutes", "contacts_to_resolve", "effort_score", "repair_outcome", "repair_days",
)  # fmt: skip


def _money(x: np.ndarray) -> np.ndarray:
    return np.round(x, 2)


def _nullable(values, keep) -> pd.Series:
    """Nullable integers: ``values`` where ``keep``, missing elsewhere."""
    return pd.Series(np.asarray(values), dtype="Int64").where(np.asarray(keep, dtype=bool))


def _orders(w: World) -> pd.DataFrame:
    tl, sc = w.tl, w.sc
    rec = w.orders.to_numpy()
    person, profile, ev, t = rec["person"], rec["profile"], rec["candidate"], rec["t"]
    pu = sc.purchases
    gross = _money(tl.basket[ev] / tl.nu[person])
    usual = tl.usual_channel[person]
    alt = tl.alt_channel[ev]
    alt = alt + (alt >= usual)  # one of the two other channels
    ch_idx = np.where(tl.u_channel[ev] < pu.channel_loyalty, usual, alt)
    channel = np.asarray(ORDER_CHANNELS)[ch_idx]
    home = w.profiles["home_country"].to_numpy(dtype=object)[profile]
    dests = np.array(list(TRAVEL_DESTINATIONS), dtype=object)
    cum = np.cumsum(list(TRAVEL_DESTINATIONS.values()))
    dest = dests[np.minimum(np.searchsorted(cum / cum[-1], tl.u_dest[ev]), len(dests) - 1)]
    abroad = (
        tl.traveller[person]
        & (tl.u_travel[ev] < pu.travel_purchase_prob)
        & (channel == "store")
        & (dest != home)
    )
    country = np.where(abroad, dest, home)
    codes = pd.unique(country)
    currency = pd.Series(country).map({c: currency_of(c) for c in codes}).to_numpy()
    promo = _money(np.where(tl.u_discount[ev] < pu.discount_prob, gross * pu.discount_rate, 0.0))
    n_adv = sc.advisors.advisors
    served = (channel == "store") & (tl.u_serve[ev] < SERVED_BY_ADVISOR) & (n_adv > 0)
    advisor = np.floor(tl.advisor_u[person] * max(n_adv, 1)).astype(np.int64) + 1
    return pd.DataFrame(
        {
            "order_id": np.arange(1, len(t) + 1),
            "customer_id": profile + 1,
            "person": person,
            "t": t,
            "channel": channel,
            "country": country,
            "cross_border": abroad,
            "currency": currency,
            "gross_amount": gross,
            "discount_amount": promo,
            "advisor_id": _nullable(advisor, served),
            "u_survey": tl.u_survey[ev],
        }
    )


def _ledger(w: World, orders: pd.DataFrame) -> pd.DataFrame:
    tl = w.tl
    members = np.flatnonzero(w.member)
    enrol = pd.Series(tl.t0[members], index=members + 1)
    ledger, reward = replay_ledger(
        orders, enrol, w.sc.loyalty, w.horizon, stream(w.seed, "loyalty")
    )
    orders["reward"] = reward  # kept for the programme's cost in marketing_spend
    orders["discount_amount"] = _money(orders["discount_amount"].to_numpy() + reward)
    orders["net_amount"] = _money(orders["gross_amount"] - orders["discount_amount"])
    ledger = ledger.sort_values(["customer_id", "t"], kind="stable").reset_index(drop=True)
    ledger.insert(0, "entry_id", np.arange(1, len(ledger) + 1))
    ledger["timestamp"] = w._ts(ledger.pop("t"))
    ledger["order_id"] = _nullable(
        ledger["order_id"].fillna(0).astype(np.int64), ledger["order_id"].notna()
    )
    return ledger


def _tickets(w: World) -> pd.DataFrame:
    cols = list(TICKET_FIELDS)
    tk = pd.DataFrame(w.tickets, columns=cols)
    tk = tk.astype(
        {
            "customer_id": "int64",
            "order": "int64",
            "t": "float64",
            "wait_minutes": "float64",
            "abandoned": bool,
            "handle_minutes": "float64",
            "contacts_to_resolve": "int64",
            "effort_score": "int64",
            "repair_days": "float64",
        }
    )
    tk["customer_id"] += 1
    tk = tk.drop(columns="person")
    tk = tk.sort_values(["t", "customer_id"], kind="stable").reset_index(drop=True)
    tk.insert(0, "ticket_id", np.arange(1, len(tk) + 1))
    tk["order_id"] = _nullable(tk.pop("order") + 1, np.ones(len(tk), dtype=bool))
    tk["resolved"] = tk["repair_outcome"] != "rejected"
    tk["wait_minutes"] = tk["wait_minutes"].round(2)
    tk["handle_minutes"] = tk["handle_minutes"].round(2)
    tk["repair_days"] = tk["repair_days"].round(2)
    return tk


def _surveys(w: World, orders: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    cfg = w.sc.service
    rng = stream(w.seed, "surveys")
    o = orders[orders["u_survey"] < cfg.survey_prob]
    o = o[o["t"] + 2.0 < w.horizon]
    tk_answer = rng.random(len(tickets)) < cfg.survey_prob
    tk = tickets[tk_answer]
    tk_done = tk["t"] + 1.0 + tk["repair_days"].fillna(0.0)
    keep = tk_done < w.horizon
    tk, tk_done = tk[keep], tk_done[keep]
    bad_tk = (
        tk["abandoned"]
        | (tk["effort_score"] >= cfg.high_effort)
        | tk["repair_outcome"].isin(["delayed", "rejected"])
    ).to_numpy()
    sv = pd.DataFrame(
        {
            "customer_id": np.concatenate([o["customer_id"], tk["customer_id"]]),
            "t": np.concatenate([o["t"] + 2.0, tk_done]),
            "trigger": np.concatenate(
                [
                    np.full(len(o), "order"),
                    np.where(tk["reason"] == "repair", "repair", "ticket"),
                ]
            ),
            "order_id": np.concatenate([o["order_id"], np.full(len(tk), -1)]),
            "ticket_id": np.concatenate([np.full(len(o), -1), tk["ticket_id"]]),
            "bad": np.concatenate([np.zeros(len(o), dtype=bool), bad_tk]),
        }
    )
    sv["order_id"] = _nullable(sv["order_id"], sv["order_id"] > 0)
    sv["ticket_id"] = _nullable(sv["ticket_id"], sv["ticket_id"] > 0)
    sv = sv.sort_values(["t", "customer_id", "trigger"], kind="stable").reset_index(drop=True)
    sv["nps"], sv["csat"], sv["ces"] = survey_scores(rng, sv.pop("bad").to_numpy())
    sv.insert(0, "survey_id", np.arange(1, len(sv) + 1))
    return sv


def _referrers(w: World, leads: pd.DataFrame, surveys: pd.DataFrame) -> np.ndarray:
    """Word of mouth: each referral customer names a promoter who answered before."""
    rng = stream(w.seed, "referrals")
    prom = surveys[surveys["nps"] >= 9]
    prom_t = prom["t"].to_numpy()
    prom_c = prom["customer_id"].to_numpy()
    out = np.full(w.n, -1, dtype=np.int64)
    won = leads[leads["converted"] & (leads["channel"] == "referral")]
    person = won["person"].to_numpy()
    before = np.searchsorted(prom_t, won["t"].to_numpy())
    pick = np.floor(rng.random(len(won)) * before).astype(np.int64)
    has = before > 0
    out[person[has]] = prom_c[pick[has]]
    return out


def _touchpoints(w: World, orders, tickets, surveys, tasks, messages) -> pd.DataFrame:
    st = pd.DataFrame(w.stages.to_numpy())
    st["stage"] = np.asarray(STAGES, dtype=object)[st["stage"].to_numpy()]
    bad = tickets["abandoned"] | (tickets["effort_score"] >= w.sc.service.high_effort)
    bad |= tickets["repair_outcome"].isin(["delayed", "rejected"])
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
                # A purchase that needed a call or a repair left a worse memory.
                "impression": np.where(
                    orders["order_id"].isin(tickets.loc[bad, "order_id"]),
                    "negative",
                    np.where(orders["order_id"].isin(tickets["order_id"]), "neutral", "positive"),
                ),
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
                "impression": np.where(bad, "negative", np.where(easy, "positive", "neutral")),
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
    tp = pd.concat(parts, ignore_index=True)
    tp["person"] = w.profile_person[tp["customer_id"].to_numpy() - 1]
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
    tp["timestamp"] = w._ts(tp["t"])
    return tp


def _month_start(stamps: pd.Series) -> pd.Series:
    return stamps.dt.to_period("M").dt.start_time


def _retention_costs(w: World, adv: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Advisors' time and the loyalty programme (rewards granted + running cost) by month."""
    sc = w.sc
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
            "month": _month_start(w._ts(rewarded["t"])),
            "channel": "loyalty",
            "purpose": "retention",
            "spend": rewarded["reward"].to_numpy(),
        }
    )
    parts = [advisor, rewards]
    if sc.loyalty.enabled and w.member.any():
        months = pd.date_range(w.start, periods=int(np.ceil(w.horizon / 30.4375)) + 1, freq="MS")
        months = months[months < w.start + pd.Timedelta(days=w.horizon)]
        enrolled = np.sort(w._ts(w.tl.t0[w.member]).to_numpy())
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
    w: World,
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
    unit = camp["channel"].map(w.sc.campaigns.cost_per_message).astype(float)
    ret = pd.DataFrame(
        {
            "month": per["month"].astype("datetime64[ns]"),
            "channel": camp["channel"].reindex(per["campaign_id"]).to_numpy(),
            "purpose": "retention",
            "spend": per["size"].to_numpy() * unit.reindex(per["campaign_id"]).to_numpy(),
        }
    )
    sp = pd.concat([acq, ret, _retention_costs(w, adv, orders)], ignore_index=True)
    sp = sp.groupby(["month", "channel", "purpose"], as_index=False, sort=True)["spend"].sum()
    sp["spend"] = sp["spend"].round(2)
    return sp


def build_tables(w: World) -> dict[str, pd.DataFrame]:
    """All tables of the dataset, conformed to the schema."""
    tl, sc = w.tl, w.sc
    n = w.n
    orders = _orders(w)
    ledger = _ledger(w, orders)
    tickets = _tickets(w)
    surveys = _surveys(w, orders, tickets)

    leads = build_leads(tl, w.ident["generation"].to_numpy(), sc, w.seed)
    leads.insert(0, "lead_id", np.arange(1, len(leads) + 1))
    leads["created_at"] = w._ts(leads["t"])
    leads["converted_at"] = w._ts(leads["t_converted"])
    person_lead = np.zeros(n, dtype=np.int64)
    won = leads["person"] >= 0
    person_lead[leads.loc[won, "person"].to_numpy()] = leads.loc[won, "lead_id"].to_numpy()
    referrer = _referrers(w, leads, surveys)
    leads["customer_id"] = _nullable(leads["person"] + 1, won)

    adv = pd.DataFrame(
        w.desk.records,
        columns=["advisor_id", "profile", "t_created", "t_done", "task_type", "outcome"],
    )
    adv = adv.astype(
        {"advisor_id": "int64", "profile": "int64", "t_created": float, "t_done": float}
    )
    adv["customer_id"] = adv.pop("profile") + 1
    adv.insert(0, "task_id", np.arange(1, len(adv) + 1))
    adv["created_at"] = w._ts(adv["t_created"])
    adv["done_at"] = w._ts(adv["t_done"])

    messages, campaigns = w.messenger.tables(np.arange(1, len(w.profile_person) + 1))
    messages["sent_at"] = w._ts(messages["sent_at"])
    campaigns["start_date"] = w._ts(campaigns["start_date"])
    campaigns["cost"] = campaigns["cost"].round(4)

    touch = _touchpoints(
        w,
        orders,
        tickets,
        surveys,
        adv,
        messages.assign(sent_at=(messages["sent_at"] - w.start).dt.total_seconds() / 86400.0),
    )
    spend = _spend(w, leads, messages, campaigns, adv, orders)

    # Customers: every person's first profile, then the second registrations.
    dup = w.dup_people
    prof = w.profiles
    first_channel = orders.groupby("customer_id")["channel"].first()
    acq = np.asarray(ACQUISITION_CHANNELS)[tl.acq_channel]
    signup_t = np.concatenate([tl.t0, w.dup_time[dup]])
    n_prof = len(prof)
    ids = np.arange(1, n_prof + 1)
    is_primary = ids <= n
    lead_id = np.concatenate([person_lead, np.zeros(len(dup), dtype=np.int64)])
    ref = np.concatenate([referrer, np.full(len(dup), -1)])
    member = np.concatenate([w.member, np.zeros(len(dup), dtype=bool)])
    enrol = np.where(member, np.concatenate([tl.t0, np.zeros(len(dup))]), np.nan)
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
            "signup_date": w._ts(signup_t),
            "signup_channel": pd.Series(ids).map(first_channel).fillna("ecommerce").astype(str),
            "acquisition_channel": np.concatenate([acq, acq[dup]]),
            "lead_id": _nullable(lead_id, is_primary),
            "referred_by": _nullable(ref, ref > 0),
            "consent_email": w.messenger.consent["email"],
            "consent_sms": w.messenger.consent["sms"],
            "consent_social": w.messenger.consent["social"],
            "opt_out": w.messenger.opt_out,
            "loyalty_member": member,
            "loyalty_enrol_date": w._ts(enrol),
        }
    )

    pp = w.profile_person
    truth = pd.DataFrame(
        {
            "customer_id": ids,
            "person_id": pp + 1,
            "is_duplicate": ~is_primary,
            "email_typo": prof["email_typo"].to_numpy(dtype=bool),
            "purchase_rate": tl.lam[pp],
            "dropout_prob": tl.p[pp],
            "spend_scale": tl.nu[pp],
            "first_dropout_date": w._ts(w.first_drop[pp]),
            "won_back_date": w._ts(w.won_back[pp]),
            "dropout_date": w._ts(w.final_drop[pp]),
        }
    )

    orders["order_date"] = w._ts(orders["t"])
    tickets["created_at"] = w._ts(tickets["t"])
    surveys["responded_at"] = w._ts(surveys["t"])
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
    }
    from sim.schema import TABLES

    return {name: conform(name, raw[name][[c.name for c in TABLES[name]]]) for name in TABLES}
