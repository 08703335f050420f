"""Campaign KPIs: deliverability, opens, clicks, unsubscribes, A/B tests and send frequency.

Denominators (the usual e-mail marketing conventions):

=====================  ==========================  ================================
KPI                    formula                     why this denominator
=====================  ==========================  ================================
``delivery_rate``      delivered / sent            what reached an inbox
``open_rate``          opened / delivered          only delivered mail can be opened
``ctr``                clicked / delivered         click-through over the audience reached
``ctor``               clicked / opened            click-to-open: content quality
``hard_bounce_rate``   hard bounces / sent         bounces happen to sent mail
``soft_bounce_rate``   soft bounces / sent
``unsubscribe_rate``   unsubscribed / delivered    only a received message can trigger it
=====================  ==========================  ================================

A rate whose denominator is 0 is ``NaN``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from sim.analytics._validate import check_table

__all__ = [
    "RATES",
    "ab_compare",
    "ab_power",
    "ab_sample_size",
    "advisor_automation_split",
    "campaign_kpis",
    "click_revenue",
    "consent_audit",
    "inbound_outbound",
    "next_best_action",
    "personalisation_effect",
    "personalisation_whatif",
    "power_curve",
    "rate_intervals",
    "send_frequency_model",
    "two_proportion_ztest",
]

_FLAGS = ["delivered", "opened", "clicked", "unsubscribed"]


def _check_messages(messages: pd.DataFrame) -> pd.DataFrame:
    check_table(messages, "messages", columns=["campaign_id", "bounce"], flags=_FLAGS)
    bad = ~messages["bounce"].isin(["none", "soft", "hard"])
    if bad.any():
        raise ValueError(
            f"messages.bounce: expected none, soft or hard, found {messages.loc[bad, 'bounce'].iloc[0]!r}"
        )
    return messages


def _kpis(messages: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    m = pd.DataFrame({k: messages[k] for k in keys})
    for f in _FLAGS:
        m[f] = messages[f].astype("int64")
    m["hard_bounces"] = (messages["bounce"] == "hard").astype("int64")
    m["soft_bounces"] = (messages["bounce"] == "soft").astype("int64")
    g = m.groupby(keys, sort=True)
    out = g[[*_FLAGS, "hard_bounces", "soft_bounces"]].sum()
    out.insert(0, "sent", g.size())

    def rate(num: str, den: str) -> pd.Series:
        return out[num] / out[den].where(out[den] > 0)

    out["delivery_rate"] = rate("delivered", "sent")
    out["open_rate"] = rate("opened", "delivered")
    out["ctr"] = rate("clicked", "delivered")
    out["ctor"] = rate("clicked", "opened")
    out["hard_bounce_rate"] = rate("hard_bounces", "sent")
    out["soft_bounce_rate"] = rate("soft_bounces", "sent")
    out["unsubscribe_rate"] = rate("unsubscribed", "delivered")
    return out


def campaign_kpis(
    messages: pd.DataFrame, by: str | Sequence[str] = ("campaign_id", "channel")
) -> pd.DataFrame:
    """Counts and rates per campaign and channel (or any ``by`` columns of ``messages``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``: ``sent``, ``delivered``, ``opened``, ``clicked``,
        ``unsubscribed``, ``hard_bounces``, ``soft_bounces`` and the rates of
        the module table (``delivery_rate``, ``open_rate``, ``ctr``, ``ctor``,
        ``hard_bounce_rate``, ``soft_bounce_rate``, ``unsubscribe_rate``).
    """
    keys = [by] if isinstance(by, str) else list(by)
    _check_messages(messages)
    check_table(messages, "messages", columns=keys)
    return _kpis(messages, keys)


def two_proportion_ztest(
    successes_a: int, n_a: int, successes_b: int, n_b: int, alpha: float = 0.05
) -> pd.Series:
    """Two-sided z-test of p_B = p_A, and a confidence interval for p_B − p_A.

    The test uses the pooled proportion ``p = (x_A + x_B) / (n_A + n_B)``:
    ``z = (p_B − p_A) / sqrt(p (1 − p) (1/n_A + 1/n_B))``, ``p_value = 2 (1 − Φ(|z|))``.
    The (1 − alpha) interval is the unpooled Wald interval
    ``(p_B − p_A) ± z_{1−alpha/2} sqrt(p_A(1−p_A)/n_A + p_B(1−p_B)/n_B)``.

    Returns
    -------
    pandas.Series
        ``p_a``, ``p_b``, ``diff`` (p_B − p_A), ``relative_lift`` (diff / p_A),
        ``z``, ``p_value``, ``ci_low``, ``ci_high``, ``significant`` (p < alpha).
    """
    from scipy import stats

    for name, x, n in (("a", successes_a, n_a), ("b", successes_b, n_b)):
        if n <= 0:
            raise ValueError(f"n_{name}: need at least one trial, got {n}")
        if not 0 <= x <= n:
            raise ValueError(f"successes_{name}: must be between 0 and n_{name} ({n}), got {x}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must be between 0 and 1, got {alpha}")
    pa, pb = successes_a / n_a, successes_b / n_b
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    diff = pb - pa
    z = diff / se0 if se0 > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z)))
    se = math.sqrt(pa * (1 - pa) / n_a + pb * (1 - pb) / n_b)
    half = float(stats.norm.ppf(1 - alpha / 2)) * se
    return pd.Series(
        {
            "p_a": pa,
            "p_b": pb,
            "diff": diff,
            "relative_lift": diff / pa if pa > 0 else math.nan,
            "z": z,
            "p_value": p_value,
            "ci_low": diff - half,
            "ci_high": diff + half,
            "significant": p_value < alpha,
        },
        dtype=object,
    )


def ab_compare(
    messages: pd.DataFrame,
    campaigns: pd.DataFrame,
    metric: str = "clicked",
    base: str = "delivered",
    *,
    campaign_ids: Iterable[int] | None = None,
    alpha: float = 0.05,
) -> pd.Series:
    """A/B test of variant B against A: share of ``base`` messages with ``metric``.

    Messages are joined to ``campaigns`` on ``campaign_id``; those of campaigns
    with ``variant`` "A" or "B" (optionally only ``campaign_ids``) are pooled by
    variant. With the defaults the compared proportion is the CTR (clicked /
    delivered); ``metric="opened"`` gives the open rate, ``base="sent"`` counts
    every sent message as a trial. See :func:`two_proportion_ztest` for the output.
    """
    _check_messages(messages)
    check_table(campaigns, "campaigns", columns=["campaign_id", "variant"])
    if metric not in _FLAGS or base not in ("sent", *_FLAGS):
        raise ValueError(f"metric/base: flags of messages ({', '.join(_FLAGS)}; base also 'sent')")
    camp = campaigns.loc[campaigns["variant"].isin(["A", "B"]), ["campaign_id", "variant"]]
    if campaign_ids is not None:
        camp = camp.loc[camp["campaign_id"].isin(list(campaign_ids))]
    m = messages.merge(camp, on="campaign_id", how="inner")
    if base != "sent":
        m = m.loc[m[base].astype(bool)]
    counts = m.groupby("variant")[metric].agg(["sum", "size"])
    missing = [v for v in ("A", "B") if v not in counts.index]
    if missing:
        raise ValueError(
            f"campaigns.variant: no {base} messages for variant(s) {', '.join(missing)}"
        )
    return two_proportion_ztest(
        int(counts.loc["A", "sum"]),
        int(counts.loc["A", "size"]),
        int(counts.loc["B", "sum"]),
        int(counts.loc["B", "size"]),
        alpha,
    )


def inbound_outbound(messages: pd.DataFrame, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Campaign KPIs by direction (inbound = triggered by the customer, outbound = broadcast).

    Joins ``messages`` to ``campaigns`` on ``campaign_id`` and returns
    :func:`campaign_kpis` indexed by ``direction``, plus ``ctr_vs_outbound``
    (the direction's CTR divided by the outbound CTR) to test the claim that
    inbound responses are about 10× those of outbound campaigns.
    """
    _check_messages(messages)
    check_table(campaigns, "campaigns", columns=["campaign_id", "direction"])
    m = messages.merge(
        campaigns[["campaign_id", "direction"]], on="campaign_id", how="left", validate="m:1"
    )
    if m["direction"].isna().any():
        cid = m.loc[m["direction"].isna(), "campaign_id"].iloc[0]
        raise ValueError(f"messages.campaign_id: campaign {cid} is not in the campaigns table")
    out = _kpis(m, ["direction"])
    base = out["ctr"].get("outbound", math.nan)
    out["ctr_vs_outbound"] = out["ctr"] / base if base and not math.isnan(base) else math.nan
    return out


def send_frequency_model(
    frequencies: Iterable[float],
    *,
    audience: float = 10_000,
    weeks: float = 52,
    unsubscribe_base: float = 0.002,
    fatigue: float = 0.5,
    revenue_per_message: float = 0.10,
    cost_per_message: float = 0.0,
    delivery_rate: float = 1.0,
) -> pd.DataFrame:
    """Expected sends, unsubscribes and revenue over a horizon for each weekly send frequency.

    A simple, documented model for a what-if widget:

    - the brand sends ``f`` messages a week for ``weeks`` weeks: ``n = f × weeks``
      sends (a real number: 0.5 a week for 52 weeks is 26 sends);
    - each delivered message makes its recipient unsubscribe with probability
      ``u(f) = unsubscribe_base × (1 + fatigue × (f − 1))`` (capped at 1): more
      frequent sends annoy more per send;
    - a fraction ``delivery_rate`` of each send is delivered, so the list shrinks
      by ``1 − δu`` per send: subscribers before send ``i`` = ``N (1 − δu)^i``;
    - each delivered message earns ``revenue_per_message``; each sent one costs
      ``cost_per_message``.

    Hence sent = ``N (1 − (1 − δu)^n) / (δu)`` (``N n`` when ``u = 0``),
    delivered = δ × sent, unsubscribes = ``N (1 − (1 − δu)^n)``. Revenue first
    rises with frequency, then falls once fatigue empties the list.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``frequency`` (sends per week): ``sends_per_subscriber`` (n),
        ``unsubscribe_prob`` (u), ``sent``, ``delivered``, ``unsubscribes``,
        ``unsubscribe_share`` (of the audience), ``subscribers_end``, ``revenue``,
        ``cost`` and ``profit``.
    """
    f = np.asarray(list(frequencies), dtype=float)
    if f.size == 0 or np.any(~np.isfinite(f)) or np.any(f < 0):
        raise ValueError("frequencies: need one or more non-negative numbers (sends per week)")
    for name, val in (
        ("audience", audience),
        ("weeks", weeks),
        ("unsubscribe_base", unsubscribe_base),
        ("fatigue", fatigue),
        ("revenue_per_message", revenue_per_message),
        ("cost_per_message", cost_per_message),
    ):
        if not np.isfinite(val) or val < 0:
            raise ValueError(f"{name}: must be a non-negative number, got {val}")
    for name, val in (("unsubscribe_base", unsubscribe_base), ("delivery_rate", delivery_rate)):
        if not 0 <= val <= 1:
            raise ValueError(f"{name}: must be a probability between 0 and 1, got {val}")
    n = f * weeks
    u = np.clip(unsubscribe_base * (1 + fatigue * (f - 1)), 0.0, 1.0)
    loss = delivery_rate * u
    keep_end = (1 - loss) ** n
    with np.errstate(divide="ignore", invalid="ignore"):
        sent = np.where(
            loss > 0, audience * (1 - keep_end) / np.where(loss > 0, loss, 1), audience * n
        )
    delivered = delivery_rate * sent
    unsubscribes = audience * (1 - keep_end)
    out = pd.DataFrame(
        {
            "sends_per_subscriber": n,
            "unsubscribe_prob": u,
            "sent": sent,
            "delivered": delivered,
            "unsubscribes": unsubscribes,
            "unsubscribe_share": unsubscribes / audience if audience > 0 else np.nan,
            "subscribers_end": audience - unsubscribes,
            "revenue": delivered * revenue_per_message,
            "cost": sent * cost_per_message,
        },
        index=pd.Index(f, name="frequency"),
    )
    out["profit"] = out["revenue"] - out["cost"]
    return out


# --------------------------------------------------------------------------- additions for the course


def consent_audit(messages: pd.DataFrame, customers: pd.DataFrame) -> pd.Series:
    """Was consent respected? Counts of messages that a suppression list should have stopped.

    - ``messages``: all messages sent;
    - ``to_opt_out``: messages to customers on the do-not-contact (Robinson)
      list (``customers.opt_out``);
    - ``after_unsubscribe``: messages sent on a channel after the customer
      unsubscribed from that channel (their first ``unsubscribed`` message on it);
    - ``unsubscribes``: customer × channel pairs that unsubscribed — the
      suppression list the sends must respect;
    - ``no_consent_now``: messages on a channel for which the customer has no
      consent at the end of the horizon (``consent_email`` / ``consent_sms`` /
      ``consent_social``) — most of them were sent *before* an unsubscribe, so
      this is not a breach by itself.

    Returns
    -------
    pandas.Series
        The five counts (integers).
    """
    check_table(
        messages,
        "messages",
        columns=["customer_id", "channel"],
        datetime=["sent_at"],
        flags=["unsubscribed"],
        allow_empty=True,
    )
    check_table(
        customers,
        "customers",
        columns=["customer_id"],
        flags=["opt_out", "consent_email", "consent_sms", "consent_social"],
    )
    cust = customers.drop_duplicates("customer_id").set_index("customer_id")
    opt = messages["customer_id"].map(cust["opt_out"]).fillna(False).astype(bool)
    unsub = messages.loc[messages["unsubscribed"].astype(bool)]
    first_unsub = unsub.groupby(["customer_id", "channel"])["sent_at"].min().rename("_unsub_at")
    m = messages.join(first_unsub, on=["customer_id", "channel"])
    after = m["_unsub_at"].notna() & (m["sent_at"] > m["_unsub_at"])
    consent = pd.Series(False, index=messages.index)
    for ch in ("email", "sms", "social"):
        on = messages["channel"] == ch
        consent[on] = (
            messages.loc[on, "customer_id"].map(cust[f"consent_{ch}"]).fillna(False).astype(bool)
        )
    return pd.Series(
        {
            "messages": len(messages),
            "to_opt_out": int(opt.sum()),
            "after_unsubscribe": int(after.sum()),
            "unsubscribes": len(first_unsub),
            "no_consent_now": int((~consent).sum()),
        },
        dtype="int64",
    )


def click_revenue(
    messages: pd.DataFrame,
    orders: pd.DataFrame,
    window_days: float = 7,
    by: str | Sequence[str] = "message_type",
) -> pd.DataFrame:
    """Orders and revenue attributed to clicked messages (last click within ``window_days``).

    An order is attributed when the same customer clicked a message sent at
    ``sent_at`` with ``sent_at < order_date <= sent_at + window_days`` (strictly
    after: a thank-you sent with its order cannot claim that order); each
    order counts once, credited to the most recent such click. This is
    attribution, not proof that the message caused the order.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``: ``delivered``, ``clicked``, ``orders``, ``revenue``
        and ``revenue_per_delivered`` (EUR per delivered message).
    """
    keys = [by] if isinstance(by, str) else list(by)
    check_table(
        messages,
        "messages",
        columns=["customer_id", *keys],
        datetime=["sent_at"],
        flags=["delivered", "clicked"],
    )
    check_table(
        orders, "orders", columns=["order_id", "customer_id"], datetime=["order_date"],
        numeric=["net_amount"],
    )  # fmt: skip
    if not window_days > 0:
        raise ValueError(f"window_days: must be > 0, got {window_days!r}")
    clicks = messages.loc[messages["clicked"].astype(bool), ["customer_id", "sent_at", *keys]]
    m = orders[["order_id", "customer_id", "order_date", "net_amount"]].merge(
        clicks, on="customer_id"
    )
    window = pd.Timedelta(days=window_days)
    m = m[(m["sent_at"] < m["order_date"]) & (m["order_date"] <= m["sent_at"] + window)]
    m = m.sort_values(["order_id", "sent_at"], kind="stable").drop_duplicates(
        "order_id", keep="last"
    )
    g = messages.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "delivered": g["delivered"].sum().astype("int64"),
            "clicked": g["clicked"].sum().astype("int64"),
        }
    )
    att = m.groupby(keys)
    out["orders"] = att.size().reindex(out.index, fill_value=0).astype("int64")
    out["revenue"] = att["net_amount"].sum().reindex(out.index, fill_value=0.0).astype(float)
    out["revenue_per_delivered"] = out["revenue"] / out["delivered"].where(out["delivered"] > 0)
    return out


def next_best_action(
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    messages: pd.DataFrame,
    as_of: str | pd.Timestamp,
    *,
    new_days: float = 100,
    at_risk_days: float = 180,
    lapsed_days: float = 365,
    prior_weight: float = 20.0,
) -> pd.DataFrame:
    """A rule-based next best action per customer: right message, right channel, right time.

    Rules, applied to customers with an order before ``as_of``:

    - **message** from the lifecycle stage at ``as_of`` (days since the last
      order): first order within ``new_days`` → ``onboarding``; last order within
      ``at_risk_days`` → ``newsletter``; within ``lapsed_days`` →
      ``retention_offer`` (at risk); older → ``win_back``;
    - **channel**: among the channels the customer consents to (``email``,
      ``sms``, ``social``), the one with the highest click rate on the
      customer's own delivered messages before ``as_of``, shrunk towards the
      channel's overall click rate with ``prior_weight`` pseudo-messages; with
      no consent the action goes to a client advisor (``advisor``), and
      customers on the do-not-contact list get ``none``;
    - **time**: the stage is read at ``as_of``, so the action is due now; run it
      again tomorrow and a customer crossing a threshold gets a new action.

    Returns
    -------
    pandas.DataFrame
        Index ``customer_id``: ``stage``, ``message``, ``channel``,
        ``expected_ctr`` (the chosen channel's shrunk click rate; NaN for advisor/none).
    """
    check_table(orders, "orders", columns=["customer_id"], datetime=["order_date"])
    check_table(
        customers,
        "customers",
        columns=["customer_id"],
        flags=["opt_out", "consent_email", "consent_sms", "consent_social"],
    )
    check_table(
        messages,
        "messages",
        columns=["customer_id", "channel"],
        datetime=["sent_at"],
        flags=["delivered", "clicked"],
        allow_empty=True,
    )
    t = pd.Timestamp(as_of)
    past = orders.loc[orders["order_date"] < t]
    g = past.groupby("customer_id")["order_date"]
    first_days = (t - g.min()).dt.total_seconds() / 86400
    last_days = (t - g.max()).dt.total_seconds() / 86400
    stage = pd.Series(
        np.select(
            [first_days <= new_days, last_days <= at_risk_days, last_days <= lapsed_days],
            ["new", "active", "at_risk"],
            "lapsed",
        ),
        index=last_days.index,
    )
    message = stage.map(
        {"new": "onboarding", "active": "newsletter", "at_risk": "retention_offer"}
    ).fillna("win_back")
    ids = stage.index
    m = messages.loc[(messages["sent_at"] < t) & messages["delivered"].astype(bool)]
    channels = ["email", "sms", "social"]
    overall = m.groupby("channel")["clicked"].mean().reindex(channels).fillna(0.0)
    per = m.groupby(["customer_id", "channel"])["clicked"].agg(["sum", "size"])
    clicks = per["sum"].unstack().reindex(index=ids, columns=channels).fillna(0.0)
    sent = per["size"].unstack().reindex(index=ids, columns=channels).fillna(0.0)
    rate = (clicks + prior_weight * overall) / (sent + prior_weight)
    cust = customers.drop_duplicates("customer_id").set_index("customer_id").reindex(ids)
    allowed = pd.DataFrame(
        {ch: cust[f"consent_{ch}"].fillna(False).astype(bool) for ch in channels}, index=ids
    )
    scored = rate.where(allowed)
    has = allowed.any(axis=1)
    best = scored.fillna(-1.0).idxmax(axis=1).where(has, "advisor")
    expected = scored.max(axis=1).where(has)
    opt = cust["opt_out"].fillna(False).astype(bool)
    best = best.where(~opt, "none")
    message = message.where(~opt, "none")
    expected = expected.where(~opt)
    out = pd.DataFrame(
        {
            "stage": stage,
            "message": message,
            "channel": best,
            "expected_ctr": expected.astype(float),
        }
    )
    out.index.name = "customer_id"
    return out


# --------------------------------------------------------------------------- rates with intervals

#: Rate name → (numerator flag, denominator): the module table's conventions,
#: spam complaints per delivered message like unsubscribes.
RATES = {
    "open_rate": ("opened", "delivered"),
    "ctr": ("clicked", "delivered"),
    "ctor": ("clicked", "opened"),
    "unsubscribe_rate": ("unsubscribed", "delivered"),
    "spam_complaint_rate": ("spam_complaint", "delivered"),
}


def rate_intervals(
    messages: pd.DataFrame,
    by: str | Sequence[str] = "message_type",
    rates: Sequence[str] = tuple(RATES),
    level: float = 0.95,
) -> pd.DataFrame:
    """Each rate of :data:`RATES` per group, with its Wilson interval.

    Returns
    -------
    pandas.DataFrame
        Long table indexed by ``by`` and ``rate``: ``successes``, ``trials``,
        ``estimate``, ``low``, ``high``.
    """
    from sim.analytics.intervals import wilson_interval

    keys = [by] if isinstance(by, str) else list(by)
    unknown = [r for r in rates if r not in RATES]
    if unknown:
        raise ValueError(f"rates: unknown {unknown}; expected among {', '.join(RATES)}")
    flags = sorted({f for r in rates for f in RATES[r]})
    check_table(messages, "messages", columns=keys, flags=flags)
    sums = messages[keys + flags].astype({f: "int64" for f in flags}).groupby(keys).sum()
    rows = []
    for group, row in sums.iterrows():
        g = group if isinstance(group, tuple) else (group,)
        for r in rates:
            num, den = RATES[r]
            w = wilson_interval(int(row[num]), int(row[den]), level)
            rows.append((*g, r, int(row[num]), int(row[den]), w["estimate"], w["low"], w["high"]))
    out = pd.DataFrame(
        rows, columns=[*keys, "rate", "successes", "trials", "estimate", "low", "high"]
    )
    return out.set_index([*keys, "rate"])


def personalisation_effect(
    messages: pd.DataFrame, by: str | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Personalised against untargeted messages: each rate with its interval, and the ratio.

    Whether a message is personalised is drawn per message in the world, so
    the comparison is a randomised one: the ratio estimates what targeting
    does to each rate (optionally per ``by`` group, e.g. ``channel``).

    Returns
    -------
    pandas.DataFrame
        Index (``by``,) ``rate``: ``untargeted``, ``untargeted_low/high``,
        ``personalised``, ``personalised_low/high`` and ``ratio``.
    """
    keys = ["personalised"] + ([by] if by else [])
    check_table(messages, "messages", flags=["personalised"])
    t = rate_intervals(messages, by=keys, level=level)
    t = t.reset_index()
    t["personalised"] = t["personalised"].astype(bool)
    idx = ([by] if by else []) + ["rate"]
    a = t.loc[~t["personalised"]].set_index(idx)
    b = t.loc[t["personalised"]].set_index(idx)
    out = pd.DataFrame(
        {
            "untargeted": a["estimate"],
            "untargeted_low": a["low"],
            "untargeted_high": a["high"],
            "personalised": b["estimate"],
            "personalised_low": b["low"],
            "personalised_high": b["high"],
        }
    )
    out["ratio"] = out["personalised"] / out["untargeted"].where(out["untargeted"] > 0)
    return out


def personalisation_whatif(
    share: float,
    effect: pd.DataFrame,
    delivered: float,
    revenue_per_click: float,
    cost_per_personalised: float = 0.0,
) -> pd.DataFrame:
    """What a share of personalised messages would give, from the measured rates.

    Because personalisation is randomised per message, each rate at a share
    ``s`` is the mixture ``(1 − s) · untargeted + s · personalised`` of the
    rates measured in :func:`personalisation_effect` (no ``by``). The result
    scales them to ``delivered`` messages: opens, clicks, unsubscribes and
    spam complaints, revenue (``revenue_per_click`` per click), the cost of
    personalising (``cost_per_personalised`` per personalised message) and
    the net revenue. The measured share is reproduced exactly; shares far
    from it assume the targeting stays as relevant when stretched.

    Returns
    -------
    pandas.DataFrame
        Index ``share`` (0, 0.25, …, 1 and ``share``): the counts above.
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share: a share of messages between 0 and 1, got {share}")
    for name, v in (
        ("delivered", delivered),
        ("revenue_per_click", revenue_per_click),
        ("cost_per_personalised", cost_per_personalised),
    ):
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"{name}: a non-negative number, got {v}")
    need = ["open_rate", "ctr", "unsubscribe_rate", "spam_complaint_rate"]
    missing = [r for r in need if r not in effect.index]
    if missing or not {"untargeted", "personalised"} <= set(effect.columns):
        raise ValueError(f"effect: a personalisation_effect table with rates {', '.join(need)}")
    shares = np.array(sorted({0.0, 0.25, 0.5, 0.75, 1.0, float(share)}))
    a = effect.loc[need, "untargeted"].to_numpy(dtype=float)
    b = effect.loc[need, "personalised"].to_numpy(dtype=float)
    mix = ((1 - shares)[:, None] * a + shares[:, None] * b) * delivered  # shares × rates
    clicks = mix[:, 1]
    cost = shares * delivered * cost_per_personalised
    out = pd.DataFrame(
        {
            "opens": mix[:, 0],
            "clicks": clicks,
            "unsubscribes": mix[:, 2],
            "spam_complaints": mix[:, 3],
            "revenue": clicks * revenue_per_click,
            "cost": cost,
            "net_revenue": clicks * revenue_per_click - cost,
        },
        index=pd.Index(shares, name="share"),
    )
    return out


# --------------------------------------------------------------------------- A/B power


def ab_power(p_a: float, p_b: float, n_per_arm: float, alpha: float = 0.05) -> float:
    """Power of the two-sided two-proportion z-test (pooled) to detect p_B ≠ p_A.

    Normal approximation with n messages per arm:
    power = Φ((|Δ| − z₁₋α/₂ · sqrt(2 p̄ q̄ / n)) / sqrt((p_A q_A + p_B q_B) / n))
    + Φ((−|Δ| − z₁₋α/₂ · sqrt(2 p̄ q̄ / n)) / sqrt((p_A q_A + p_B q_B) / n)),
    p̄ = (p_A + p_B) / 2.
    """
    from scipy import stats

    for name, p in (("p_a", p_a), ("p_b", p_b)):
        if not 0 < p < 1:
            raise ValueError(f"{name}: a rate strictly between 0 and 1, got {p}")
    if not n_per_arm > 0:
        raise ValueError(f"n_per_arm: a positive number of messages, got {n_per_arm}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: between 0 and 1, got {alpha}")
    z = stats.norm.ppf(1 - alpha / 2)
    pbar = (p_a + p_b) / 2
    se0 = math.sqrt(2 * pbar * (1 - pbar) / n_per_arm)
    se1 = math.sqrt((p_a * (1 - p_a) + p_b * (1 - p_b)) / n_per_arm)
    d = abs(p_b - p_a)
    return float(stats.norm.cdf((d - z * se0) / se1) + stats.norm.cdf((-d - z * se0) / se1))


def ab_sample_size(p_a: float, p_b: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Messages per arm for the two-proportion z-test to reach ``power`` (normal approximation).

    n = (z₁₋α/₂ sqrt(2 p̄ q̄) + z_power sqrt(p_A q_A + p_B q_B))² / (p_B − p_A)², rounded up.
    """
    from scipy import stats

    if p_a == p_b:
        raise ValueError("p_b: must differ from p_a (no difference needs infinitely many messages)")
    if not 0 < power < 1:
        raise ValueError(f"power: between 0 and 1, got {power}")
    ab_power(p_a, p_b, 1, alpha)  # validates the rates and alpha
    za, zb = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p_a + p_b) / 2
    num = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b))
    return int(math.ceil(num**2 / (p_b - p_a) ** 2))


def power_curve(
    p_a: float, relative_lift: float, n_per_arm: float, alpha: float = 0.05
) -> pd.DataFrame:
    """Power against the number of messages per arm for p_B = p_A (1 + lift): the explorer's table.

    Returns
    -------
    pandas.DataFrame
        Index ``n_per_arm`` (a log grid from 100 to 10⁷ plus ``n_per_arm``):
        ``power``; ``attrs["n_for_80"]`` holds the size for 80 % power and
        ``attrs["power"]`` the power at ``n_per_arm``.
    """
    p_b = p_a * (1 + relative_lift)
    grid = sorted(set(np.unique(np.round(np.logspace(2, 7, 41))).tolist()) | {float(n_per_arm)})
    out = pd.DataFrame(
        {"power": [ab_power(p_a, p_b, n, alpha) for n in grid]},
        index=pd.Index(grid, name="n_per_arm"),
    )
    out.attrs["n_for_80"] = ab_sample_size(p_a, p_b, alpha, 0.8) if relative_lift else math.inf
    out.attrs["power"] = ab_power(p_a, p_b, n_per_arm, alpha)
    out.attrs["p_a"], out.attrs["p_b"], out.attrs["n"] = p_a, p_b, float(n_per_arm)
    return out


# --------------------------------------------------------------------------- advisors vs automation


def advisor_automation_split(
    advisor_tasks: pd.DataFrame,
    messages: pd.DataFrame,
    orders: pd.DataFrame | None = None,
    window_days: float = 28,
    level: float = 0.95,
) -> pd.DataFrame:
    """Advisors' share of the brand's contacts, against automated messages, two ways.

    - ``interactions``: advisor tasks that reached the client against
      messages delivered (every message is automated in the brand);
    - ``attributed orders`` (with ``orders``): orders preceded, within
      ``window_days``, by a reached advisor contact or a delivered message,
      credited to the most recent of the two (last touch).

    Returns
    -------
    pandas.DataFrame
        Index ``basis``: ``advisor``, ``automated``, ``advisor_share`` and its
        Wilson interval ``low``/``high``.
    """
    from sim.analytics.intervals import wilson_interval

    check_table(
        advisor_tasks, "advisor_tasks", columns=["customer_id", "outcome"], datetime=["done_at"]
    )
    check_table(
        messages, "messages", columns=["customer_id"], datetime=["sent_at"], flags=["delivered"]
    )
    reached = advisor_tasks.loc[advisor_tasks["outcome"] == "reached"]
    delivered = messages.loc[messages["delivered"].astype(bool)]
    rows = {"interactions": (len(reached), len(delivered))}
    if orders is not None:
        check_table(orders, "orders", columns=["customer_id", "order_id"], datetime=["order_date"])
        touches = pd.concat(
            [
                pd.DataFrame(
                    {
                        "customer_id": reached["customer_id"].to_numpy(),
                        "at": reached["done_at"].to_numpy(),
                        "advisor": True,
                    }
                ),
                pd.DataFrame(
                    {
                        "customer_id": delivered["customer_id"].to_numpy(),
                        "at": delivered["sent_at"].to_numpy(),
                        "advisor": False,
                    }
                ),
            ],
            ignore_index=True,
        ).sort_values("at", kind="stable")
        o = orders[["order_id", "customer_id", "order_date"]].sort_values(
            "order_date", kind="stable"
        )
        # strictly before the order: a touch sent with its own order cannot claim it
        o = o.assign(at=o["order_date"] - pd.Timedelta(microseconds=1))
        joined = pd.merge_asof(
            o,
            touches,
            on="at",
            by="customer_id",
            direction="backward",
            tolerance=pd.Timedelta(days=float(window_days)),
        )
        got = joined["advisor"].dropna().astype(bool)
        rows["attributed orders"] = (int(got.sum()), int((~got).sum()))
    out = {}
    for basis, (adv, auto) in rows.items():
        w = wilson_interval(adv, adv + auto, level)
        out[basis] = {
            "advisor": adv,
            "automated": auto,
            "advisor_share": w["estimate"],
            "low": w["low"],
            "high": w["high"],
        }
    res = pd.DataFrame.from_dict(out, orient="index")
    res.index.name = "basis"
    return res


# --------------------------------------------------------------------------- like-for-like claims

__all__ += [
    "frequency_by_horizon",
    "inbound_vs_untargeted",
    "top_client_split",
    "top_clients_since",
]


def inbound_vs_untargeted(
    messages: pd.DataFrame, campaigns: pd.DataFrame, level: float = 0.95
) -> pd.DataFrame:
    """The source's "inbound responses ≈ 10× untargeted outbound" claim, like for like.

    The claim compares inbound contacts with *untargeted* outbound campaigns;
    the brand personalises a share of its outbound messages, which click more,
    so the like-for-like base is the outbound messages that were not
    personalised. Rates are clicks / delivered; each ratio to the inbound CTR
    has a log-scale (Katz) interval.

    Returns
    -------
    pandas.DataFrame
        Index ``base`` (``untargeted outbound``, ``all outbound``): ``inbound_ctr``,
        ``base_ctr``, ``delivered`` (of the base), ``ratio``, ``low``, ``high``.
    """
    from sim.analytics.intervals import ratio_interval

    _check_messages(messages)
    check_table(messages, "messages", flags=["personalised"])
    check_table(campaigns, "campaigns", columns=["campaign_id", "direction"])
    m = messages.merge(
        campaigns[["campaign_id", "direction"]], on="campaign_id", how="left", validate="m:1"
    )
    if m["direction"].isna().any():
        cid = m.loc[m["direction"].isna(), "campaign_id"].iloc[0]
        raise ValueError(f"messages.campaign_id: campaign {cid} is not in the campaigns table")
    d = m[m["delivered"].astype(bool)]
    inbound = d[d["direction"] == "inbound"]
    outbound = d[d["direction"] == "outbound"]
    bases = {
        "untargeted outbound": outbound[~outbound["personalised"].astype(bool)],
        "all outbound": outbound,
    }
    k_in, n_in = int(inbound["clicked"].sum()), len(inbound)
    rows = {}
    for name, b in bases.items():
        r = ratio_interval(k_in, n_in, int(b["clicked"].sum()), len(b), level)
        rows[name] = {
            "inbound_ctr": r["a"],
            "base_ctr": r["b"],
            "delivered": len(b),
            "ratio": r["estimate"],
            "low": r["low"],
            "high": r["high"],
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "base"
    return out


def top_clients_since(orders: pd.DataFrame, top_client_spend: float) -> pd.Series:
    """When each customer became a top client: the order at which cumulative spend reached the bar.

    Spend is ``gross_amount`` (the price before rewards), cumulated per
    ``customer_id`` in order-date order. Customers who never reach
    ``top_client_spend`` are absent.
    """
    check_table(
        orders,
        "orders",
        columns=["customer_id"],
        numeric=["gross_amount"],
        datetime=["order_date"],
    )
    if not np.isfinite(top_client_spend) or top_client_spend <= 0:
        raise ValueError(
            f"top_client_spend: must be a positive amount in EUR, got {top_client_spend!r}"
        )
    o = orders.sort_values(["customer_id", "order_date"], kind="stable")
    cum = o.groupby("customer_id")["gross_amount"].cumsum()
    since = o[cum >= top_client_spend].groupby("customer_id")["order_date"].min()
    since.name = "since"
    return since


def top_client_split(
    advisor_tasks: pd.DataFrame,
    messages: pd.DataFrame,
    orders: pd.DataFrame,
    top_client_spend: float,
    level: float = 0.95,
) -> pd.Series:
    """Advisors' share of the interactions with top clients, counted after they became top.

    The source's "90 % of interactions involve a client advisor, 10 % automated
    e-mails" is about a clienteling group's top clients, not its whole list.
    Interactions are reached advisor tasks and delivered messages, each counted
    from the day the customer became a top client (:func:`top_clients_since`).

    Returns
    -------
    pandas.Series
        ``top_clients``, ``advisor``, ``automated``, ``advisor_share`` and its
        Wilson interval ``low`` / ``high``.
    """
    from sim.analytics.intervals import wilson_interval

    check_table(
        advisor_tasks, "advisor_tasks", columns=["customer_id", "outcome"], datetime=["done_at"]
    )
    check_table(
        messages, "messages", columns=["customer_id"], datetime=["sent_at"], flags=["delivered"]
    )
    since = top_clients_since(orders, top_client_spend)

    def after(df: pd.DataFrame, when: str) -> int:
        d = df.join(since, on="customer_id", how="inner")
        return int((d[when] >= d["since"]).sum())

    adv = after(advisor_tasks[advisor_tasks["outcome"] == "reached"], "done_at")
    auto = after(messages[messages["delivered"].astype(bool)], "sent_at")
    w = wilson_interval(adv, adv + auto, level)
    return pd.Series(
        {
            "top_clients": len(since),
            "advisor": adv,
            "automated": auto,
            "advisor_share": w["estimate"],
            "low": w["low"],
            "high": w["high"],
        },
        name="top clients",
    )


def frequency_by_horizon(
    frequencies: Iterable[float], horizons: Iterable[float], **model: float
) -> pd.DataFrame:
    """The most profitable weekly send frequency of :func:`send_frequency_model` per horizon.

    The model counts revenue only inside its horizon: a subscriber lost in
    week 10 costs the sends of weeks 11 to the horizon, nothing after. A short
    horizon therefore barely charges an unsubscribe and favours frequent sends;
    a longer one charges the lost future and moves the optimum down. ``model``
    holds the other arguments of :func:`send_frequency_model`.

    Returns
    -------
    pandas.DataFrame
        Index ``weeks``: ``best_frequency``, ``profit`` at it and
        ``unsubscribe_share`` (of the audience, by the horizon).
    """
    f = list(frequencies)
    rows = {}
    for h in horizons:
        t = send_frequency_model(f, weeks=float(h), **model)
        best = t["profit"].idxmax()
        rows[h] = {
            "best_frequency": float(best),
            "profit": float(t.loc[best, "profit"]),
            "unsubscribe_share": float(t.loc[best, "unsubscribe_share"]),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "weeks"
    return out
