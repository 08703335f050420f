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
from scipy import stats

from sim.analytics._validate import check_table

__all__ = [
    "ab_compare",
    "campaign_kpis",
    "inbound_outbound",
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
