"""Calibration: does a simulated brand reproduce the figures of the source material?

:func:`calibration_report` measures each claim of the luxury group's deck (and
the mass-market contrast) on a dataset's tables, beside the claim's target and
tolerance, and says whether it holds. A preset is calibrated to some claims
only: the others are reported with ``holds`` missing, and the claims no preset
reproduces by design (for example "5 % more retention → +50 % profit") are
listed as questions the course asks, not facts the brand is tuned to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CLAIMS", "Claim", "calibration_report"]

DECK = "luxury group's CRM and data strategy deck"
TALK = "marketing-automation and loyalty talk"
LECTURE = "university CRM lecture"


@dataclass(frozen=True)
class Claim:
    """One figure of the source material and how to measure it on the tables."""

    claim: str
    source: str
    target: float
    # "at_least", "at_most" or "about" (within ``tolerance`` of the target)
    kind: str
    tolerance: float
    measure: Callable[[dict[str, pd.DataFrame], object], float] | None
    presets: tuple[str, ...]  # presets calibrated to it; () = taught as a question

    def describe_tolerance(self) -> str:
        """The claim's acceptance rule in words."""
        if not self.presets or self.measure is None:
            return "not calibrated: taught as a question"
        if self.kind == "at_least":
            return f">= {self.target:g}"
        if self.kind == "at_most":
            return f"<= {self.target:g}"
        return f"{self.target:g} ± {self.tolerance:g}"

    def holds(self, value: float) -> bool:
        """Whether ``value`` satisfies the claim."""
        if self.kind == "at_least":
            return value >= self.target
        if self.kind == "at_most":
            return value <= self.target
        return abs(value - self.target) <= self.tolerance


def _primary(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    truth = t["truth"]
    ids = truth.loc[~truth["is_duplicate"], "customer_id"]
    return t["customers"][t["customers"]["customer_id"].isin(ids)]


def _person_orders(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    person = t["truth"].set_index("customer_id")["person_id"]
    o = t["orders"]
    return o.assign(person_id=person.reindex(o["customer_id"]).to_numpy())


def _millennials(t, _sc) -> float:
    return float((_primary(t)["generation"] == "Millennials").mean())


def _cross_border(t, _sc) -> float:
    o = _person_orders(t)
    return float(o.groupby("person_id")["cross_border"].any().mean())


def _both_channels(t, _sc) -> float:
    """Share of a year's buyers who bought both in store and online that year (full years)."""
    o = _person_orders(t)
    year = o["order_date"].dt.year
    o = o.assign(year=year, online=o["channel"] != "store", store=o["channel"] == "store")
    per = o.groupby(["year", "person_id"])[["online", "store"]].any()
    both = (per["online"] & per["store"]).groupby(level="year").mean()
    # Only calendar years fully inside the data.
    first, last = o["order_date"].min(), o["order_date"].max()
    full = [y for y in both.index if pd.Timestamp(y, 1, 1) >= first.normalize() - pd.Timedelta(days=1)
            and pd.Timestamp(y, 12, 31) <= last + pd.Timedelta(days=1)]  # fmt: skip
    return float(both.loc[full].mean() if full else both.mean())


def _nationalities(t, _sc) -> float:
    return float(_primary(t)["nationality"].nunique())


def _duplicates(t, _sc) -> float:
    return float(t["truth"]["is_duplicate"].mean())


def _top_client_interactions(t, sc) -> tuple[float, float]:
    """Advisor contacts and automated messages to top clients, counted after they became top."""
    o = t["orders"].sort_values(["customer_id", "order_date"])
    person = t["truth"].set_index("customer_id")["person_id"]
    o = o.assign(person_id=person.reindex(o["customer_id"]).to_numpy())
    o = o.sort_values(["person_id", "order_date"], kind="stable")
    cum = o.groupby("person_id")["gross_amount"].cumsum()
    crossed = o[cum >= sc.advisors.top_client_spend].groupby("person_id")["order_date"].min()
    if crossed.empty:
        return 0.0, 0.0
    since = crossed.rename("since")

    def after(df: pd.DataFrame, when: str) -> int:
        d = df.assign(person_id=person.reindex(df["customer_id"]).to_numpy())
        d = d.join(since, on="person_id", how="inner")
        return int((d[when] >= d["since"]).sum())

    adv = t["advisor_tasks"]
    contacts = after(adv[adv["outcome"] == "reached"], "done_at")
    msgs = t["messages"]
    automated = after(msgs[msgs["delivered"]], "sent_at")
    return float(contacts), float(automated)


def _advisor_share(t, sc) -> float:
    contacts, automated = _top_client_interactions(t, sc)
    total = contacts + automated
    return contacts / total if total else 0.0


def _app_adoption(t, _sc) -> float:
    adv = t["advisor_tasks"]
    if adv.empty:
        return 0.0
    return float(adv.groupby("advisor_id")["via_app"].first().mean())


def _attributed_sales(t, sc) -> float:
    """Share of sales from clients an advisor reached in the previous ``attribution_days``."""
    o, adv = t["orders"], t["advisor_tasks"]
    reached = adv.loc[adv["outcome"] == "reached", ["customer_id", "done_at"]]
    if reached.empty or o.empty:
        return 0.0
    days = pd.Timedelta(days=sc.advisors.attribution_days)
    left = o[["order_id", "customer_id", "order_date", "net_amount"]].sort_values("order_date")
    right = reached.sort_values("done_at")
    hit = pd.merge_asof(
        left, right, left_on="order_date", right_on="done_at", by="customer_id",
        direction="backward", tolerance=days,
    )  # fmt: skip
    attributed = hit.loc[hit["done_at"].notna(), "net_amount"].sum()
    return float(attributed / o["net_amount"].sum())


def _ecommerce(t, _sc) -> float:
    return float((t["orders"]["channel"] == "ecommerce").mean())


def _online(t, _sc) -> float:
    return float((t["orders"]["channel"] != "store").mean())


def _chinese_in_china(t, _sc) -> float:
    o = t["orders"]
    cn = o[o["country"] == "CN"]
    if cn.empty:
        return 0.0
    nat = t["customers"].set_index("customer_id")["nationality"]
    return float((nat.reindex(cn["customer_id"]).to_numpy() == "CN").mean())


def _discounted(t, _sc) -> float:
    return float((t["orders"]["discount_amount"] > 0).mean())


def _top20(t, _sc) -> float:
    o = _person_orders(t)
    spend = o.groupby("person_id")["net_amount"].sum().sort_values(ascending=False)
    k = max(1, int(round(0.2 * len(spend))))
    return float(spend.iloc[:k].sum() / spend.sum())


LUXURY = ("default", "luxury_group")
MASS = ("mass_market",)

#: Every claim the report checks, in the order it lists them.
CLAIMS: tuple[Claim, ...] = (
    Claim("Millennials are more than 60 % of customers", DECK, 0.60, "at_least", 0, _millennials, LUXURY),
    Claim("More than 30 % of customers buy outside their home country", DECK, 0.30, "at_least", 0, _cross_border, LUXURY),
    Claim("About 2 % of a year's customers buy both online and offline", DECK, 0.02, "about", 0.015, _both_channels, LUXURY),
    Claim("Around 200 nationalities among the customers", DECK, 150, "at_least", 0, _nationalities, LUXURY),
    Claim("Duplicate profiles around 2 % of the base (the deck's target)", DECK, 0.02, "about", 0.006, _duplicates, LUXURY),
    Claim("90 % of top clients' interactions go through a client advisor, 10 % automated", DECK, 0.90, "about", 0.05, _advisor_share, LUXURY),
    Claim("Clienteling app adoption 65 % of advisors", DECK, 0.65, "about", 0.08, _app_adoption, LUXURY),
    Claim("About 14 % of sales from clients an advisor contacted within 28 days", DECK, 0.144, "about", 0.04, _attributed_sales, LUXURY),
    Claim("About 11 % of transactions are e-commerce", DECK, 0.11, "about", 0.03, _ecommerce, LUXURY),
    Claim("More than 30 % of sales in China are to Chinese customers", DECK, 0.30, "at_least", 0, _chinese_in_china, LUXURY),
    Claim("Mass market: most orders are online (e-commerce and social commerce)", LECTURE, 0.70, "at_least", 0, _online, MASS),
    Claim("Mass market: discounts are common (a quarter of orders or more)", LECTURE, 0.25, "at_least", 0, _discounted, MASS),
    Claim("Mass market: advisors handle few top-client interactions", LECTURE, 0.10, "at_most", 0, _advisor_share, MASS),
    Claim("Mass market: the top 20 % of customers bring most of the revenue (80/20)", LECTURE, 0.60, "at_least", 0, _top20, MASS),
    Claim("More than 67 % of clients use WeChat to talk to advisors or the brand", DECK, 0.67, "at_least", 0, None, ()),
    Claim("Duplicates cut by 30 % by a data-quality programme", DECK, 0.30, "at_least", 0, None, ()),
    Claim("Acquisition costs rose by over 50 % in recent years", LECTURE, 0.50, "at_least", 0, None, ()),
    Claim("5 % more retention raises lifetime profits by about 50 % (up to 90 % in insurance)", LECTURE, 0.50, "about", 0, None, ()),
    Claim("13.8M transactions a year, 470M e-mails sent", DECK, 13.8e6, "about", 0, None, ()),
)  # fmt: skip


def calibration_report(dataset) -> pd.DataFrame:
    """Each claim of the source material measured on ``dataset`` (a :class:`sim.Dataset`).

    Returns a DataFrame with columns ``claim, source, simulated, tolerance,
    holds``: ``simulated`` is the figure on the dataset (missing for a claim
    that cannot be measured on the data), ``tolerance`` the acceptance rule,
    and ``holds`` True or False for the claims the dataset's preset is
    calibrated to, missing otherwise. The preset is read from the dataset's
    scenario name.
    """
    tables, sc = dataset.tables, dataset.scenario
    rows = []
    for c in CLAIMS:
        value = np.nan if c.measure is None else c.measure(tables, sc)
        calibrated = sc.name in c.presets and c.measure is not None
        rows.append(
            {
                "claim": c.claim,
                "source": c.source,
                "simulated": value,
                "tolerance": c.describe_tolerance() if calibrated or c.measure is None
                else "not calibrated in this preset",
                "holds": c.holds(value) if calibrated else pd.NA,
            }
        )  # fmt: skip
    out = pd.DataFrame(rows)
    out["holds"] = out["holds"].astype("boolean")
    return out
