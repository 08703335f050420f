"""What-if studio: compare a baseline scenario and its variants, simulated with the same seed.

A consultant's question ("what if retention rose five points?") becomes a
*variant* of a baseline :class:`~sim.scenario.Scenario`, built with named
levers (:func:`lever_scenario`). Baseline and variants are simulated with the
**same seed** — common random numbers: the same people arrive on the same days
with the same candidate purchases, so the differences between the runs come
from the levers, not from luck. :func:`kpis` reduces each run to one column of
business KPIs (:data:`KPI_DEFINITIONS`), :func:`compare` lines the runs up side
by side and :func:`deltas` shows each variant against the baseline.

>>> from sim.scenario import preset
>>> base = preset("default").with_overrides({"population": {"customers": 300, "years": 1.0}})
>>> variant = lever_scenario(base, retention_uplift=0.05)
>>> table = compare({"baseline": base, "retention +5": variant}, seed=1)
>>> bool(deltas(table).loc["orders", "retention +5"] >= 0)
True

The money KPIs are in EUR over the whole simulated horizon. ``profit`` is a
contribution after marketing, service and loyalty costs, not an accounting
profit: fixed costs that no lever moves (stores, head office) are left out.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analytics import loyalty as _loyalty
from sim.analytics import retention as _retention
from sim.analytics import service as _service
from sim.scenario import Scenario, ScenarioError
from sim.vocab import ACQUISITION_CHANNELS
from sim.vocab import PAID_CHANNELS as _PAID_CHANNELS
from sim.world.engine import team_sizes

__all__ = [
    "AGENT_COST_PER_YEAR",
    "KPI_DEFINITIONS",
    "LEVERS",
    "PAID_CHANNELS",
    "PROFIT_TERMS",
    "RUNS",
    "RunCache",
    "acquisition_budget_shares",
    "compare",
    "deltas",
    "kpi_definitions",
    "kpi_table",
    "kpis",
    "lever_scenario",
    "monthly_revenue",
    "profit_bridge",
    "simulate_scenarios",
]

#: Fully loaded cost of one contact-centre agent for a year, EUR (an assumption).
AGENT_COST_PER_YEAR = 45_000.0
#: Channels bought with the media budget (referral and store walk-ins are not).
PAID_CHANNELS = _PAID_CHANNELS

#: Every KPI of :func:`kpis`: (unit, definition).
KPI_DEFINITIONS: dict[str, tuple[str, str]] = {
    "customers": ("people", "customers acquired in the horizon (converted leads)"),
    "orders": ("orders", "orders placed in the horizon"),
    "revenue": ("EUR", "sum of orders' net_amount (after promotions and loyalty rewards)"),
    "gross_margin": (
        "EUR",
        "revenue − cost of goods; cost of goods = (1 − purchases.gross_margin) × gross_amount, "
        "so discounts and rewards come out of the margin",
    ),
    "acquisition_spend": ("EUR", "marketing_spend with purpose 'acquisition' (cost of all leads)"),
    "retention_spend": (
        "EUR",
        "marketing_spend with purpose 'retention': message sends, advisors' tasks, loyalty "
        "rewards and the programme's running cost",
    ),
    "marketing_spend": ("EUR", "acquisition_spend + retention_spend"),
    "service_cost": (
        "EUR",
        "(agents staffed − service.shared_traffic, at least 0) × agent cost per year × years: "
        "the agents staffed are every market's: markets.agents where it names the market, "
        "otherwise its share of the brand total, every market with customers keeping at least "
        "one; the group's other brands fund as many agents as "
        "Erlangs of calls they bring, the brand funds the rest",
    ),
    "loyalty_cost": (
        "EUR",
        "marketing_spend on channel 'loyalty': rewards granted + running cost "
        "(loyalty.running_cost_per_member a year per member); part of retention_spend",
    ),
    "loyalty_rewards": (
        "EUR",
        "points redeemed × loyalty.point_value: the rewards, given as discounts on orders, so "
        "already out of revenue and margin",
    ),
    "loyalty_liability": (
        "EUR",
        "points outstanding at the end × loyalty.point_value (gross: every point assumed redeemed)",
    ),
    "profit": (
        "EUR",
        "gross_margin − (marketing_spend − loyalty_rewards) − service_cost − loyalty_liability: "
        "rewards are counted once, in the margin",
    ),
    "repeat_rate": ("share", "customers with 2+ orders / customers with an order"),
    "churn": (
        "share",
        "customers active (≥ 1 order) in the year before the last one who bought nothing in "
        "the last year (two halves of the horizon when it is shorter than 2 years)",
    ),
    "nps": ("points", "net promoter score of all survey answers, −100 to 100"),
    "abandonment": ("share", "phone contacts whose caller hung up before being answered"),
    "members": ("share", "customer profiles enrolled in the loyalty programme"),
    "cac": ("EUR", "acquisition_spend / customers"),
    "past_margin_per_customer": (
        "EUR",
        "gross_margin / customers: margin realised so far per customer (undiscounted, within "
        "the horizon); backward-looking, so not a CLV, which is the expected future margin",
    ),
}


def kpi_definitions() -> pd.DataFrame:
    """The KPI dictionary as a table (index ``kpi``; columns ``unit``, ``definition``)."""
    out = pd.DataFrame(
        [(k, u, d) for k, (u, d) in KPI_DEFINITIONS.items()],
        columns=["kpi", "unit", "definition"],
    )
    return out.set_index("kpi")


# --------------------------------------------------------------------------- KPIs


def _horizon(ds) -> tuple[pd.Timestamp, pd.Timestamp, float]:
    pop = ds.scenario.population
    start = pd.Timestamp(pop.start_date)
    return start, start + pd.Timedelta(days=pop.years * 365.0), float(pop.years)


def _churn(orders: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    window = min(pd.Timedelta(days=365), (end - start) / 2)
    if orders.empty:
        return math.nan
    r = _retention.period_retention(orders, (end - 2 * window, end - window), (end - window, end))
    return float(r["churn_rate"])


def kpis(
    ds,
    *,
    agent_cost_per_year: float = AGENT_COST_PER_YEAR,
) -> pd.Series:
    """Business KPIs of one simulated run; see :data:`KPI_DEFINITIONS` for each definition.

    Parameters
    ----------
    ds
        A :class:`~sim.data.dataset.Dataset` (anything with its tables as attributes
        and a ``scenario``): ``orders``, ``leads``, ``marketing_spend``,
        ``surveys``, ``tickets``, ``loyalty_ledger`` and ``customers`` are read.
    agent_cost_per_year
        Fully loaded cost of an agent for a year, EUR (:data:`AGENT_COST_PER_YEAR`);
        every other cost is booked by the simulation in ``marketing_spend``.

    Returns
    -------
    pandas.Series
        Indexed by KPI name in the order of :data:`KPI_DEFINITIONS`. A rate
        without data (no survey, no phone contact) is ``NaN``.
    """
    value = agent_cost_per_year
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"agent_cost_per_year: must be a finite number >= 0, got {value!r}")
    sc = ds.scenario
    start, end, years = _horizon(ds)
    orders, customers = ds.orders, ds.customers
    revenue = float(orders["net_amount"].sum())
    margin = revenue - (1.0 - sc.purchases.gross_margin) * float(orders["gross_amount"].sum())
    ms = ds.marketing_spend
    spend = ms.groupby("purpose")["spend"].sum()
    acq, ret = float(spend.get("acquisition", 0.0)), float(spend.get("retention", 0.0))
    loyalty_cost = float(ms.loc[ms["channel"] == "loyalty", "spend"].sum())
    # What the centres staff: per-market overrides as given, the other markets their share
    # of the total, at least one each (a total below the number of markets costs more).
    staffed = sum(team_sizes(sc)["agents"].values())
    funded = max(staffed - sc.service.shared_traffic, 0.0)
    service = funded * agent_cost_per_year * years
    ledger = ds.loyalty_ledger
    redeemed = float(-ledger.loc[ledger["kind"] == "burn", "points"].sum())
    rewards = redeemed * sc.loyalty.point_value
    liability = (
        _loyalty.outstanding_liability(ledger, sc.loyalty.point_value) if len(ledger) else 0.0
    )
    n_customers = int(ds.leads["converted"].astype(bool).sum())
    has_phone = bool((ds.tickets["channel"] == "phone").any())
    out = {
        "customers": n_customers,
        "orders": len(orders),
        "revenue": revenue,
        "gross_margin": margin,
        "acquisition_spend": acq,
        "retention_spend": ret,
        "marketing_spend": acq + ret,
        "service_cost": service,
        "loyalty_cost": loyalty_cost,
        "loyalty_rewards": rewards,
        "loyalty_liability": float(liability),
        "profit": margin - (acq + ret - rewards) - service - liability,
        "repeat_rate": _retention.repeat_purchase_rate(orders) if len(orders) else math.nan,
        "churn": _churn(orders, start, end),
        "nps": _service.nps(ds.surveys) if len(ds.surveys) else math.nan,
        "abandonment": _service.abandonment_rate(ds.tickets) if has_phone else math.nan,
        "members": float(customers["loyalty_member"].astype(bool).mean())
        if len(customers)
        else math.nan,
        "cac": acq / n_customers if n_customers else math.nan,
        "past_margin_per_customer": margin / n_customers if n_customers else math.nan,
    }
    return pd.Series({k: float(v) for k, v in out.items()}, name="kpi")


# --------------------------------------------------------------------------- levers


@dataclass(frozen=True)
class Lever:
    """A named lever: the scenario field it sets and what it means."""

    target: str  # "section.field", or "*" for levers computed from several fields
    meaning: str


LEVERS: dict[str, Lever] = {
    "customers": Lever("population.customers", "customers acquired over the horizon"),
    "years": Lever("population.years", "length of the simulated horizon, years"),
    "retention_uplift": Lever(
        "experience.retention_uplift", "cut every customer's dropout chance by this share"
    ),
    "win_back_rate": Lever("experience.win_back_rate", "a win-back message revives a lost client"),
    "agents": Lever("service.agents", "contact-centre agents"),
    "advisors": Lever("advisors.advisors", "client advisors (clienteling)"),
    "newsletters_per_month": Lever("campaigns.newsletters_per_month", "newsletter frequency"),
    "loyalty_enabled": Lever("loyalty.enabled", "run the loyalty programme at all"),
    "enrolment_prob": Lever("loyalty.enrolment_prob", "share of new customers who enrol"),
    "earn_rate": Lever("loyalty.points_per_eur", "points earned per EUR paid"),
    "reward_threshold": Lever("loyalty.reward_threshold", "points per reward"),
    "point_value": Lever("loyalty.point_value", "EUR of discount per point redeemed"),
    "expiry_days": Lever("loyalty.expiry_days", "days without activity before points expire"),
    "loyalty_running_cost": Lever(
        "loyalty.running_cost_per_member", "programme running cost per member and year, EUR"
    ),
    "discount_prob": Lever("purchases.discount_prob", "share of orders with a promotion"),
    "acquisition_budget_change": Lever(
        "*",
        "relative change of the paid media budget (0.2 = +20 %): acquisition.budget × (1 + c); "
        "the world's saturation curve gives paid customers × budget ** saturation and cost "
        "per lead × budget ** (1 − saturation)",
    ),
    "acquisition_elasticity": Lever(
        "acquisition.saturation",
        "e in [0, 1]: paid leads grow as budget ** e (1 = constant cost per lead)",
    ),
    "acquisition_budget_mix": Lever(
        "*",
        "share of the paid media budget per paid channel (sums to 1); the budget is kept, "
        "so cheaper channels buy more customers",
    ),
}


def _lever_error(name: str, value: Any, allowed: str) -> ScenarioError:
    return ScenarioError(f"lever {name} = {value!r} is not allowed: expected {allowed}")


def _channel_cac(sc: Scenario) -> pd.Series:
    """Expected cost per acquired customer by channel: cost per lead / lead conversion."""
    ac = sc.acquisition
    return pd.Series({c: ac.cost_per_lead[c] / ac.lead_conversion[c] for c in ACQUISITION_CHANNELS})


def _customer_mix(sc: Scenario) -> pd.Series:
    mix = sc.acquisition.channel_mix
    return pd.Series({c: float(mix.get(c, 0.0)) for c in ACQUISITION_CHANNELS})


def acquisition_budget_shares(scenario: Scenario) -> pd.Series:
    """The scenario's expected split of the paid media budget over :data:`PAID_CHANNELS`.

    A channel's expected cost per customer (CAC) is cost per lead / lead
    conversion (every lead is paid for, converted or not), so its share of the
    budget is ``mix × CAC`` over the sum of that for the paid channels.
    """
    cost = (_customer_mix(scenario) * _channel_cac(scenario))[list(PAID_CHANNELS)]
    if cost.sum() <= 0:
        return pd.Series(np.nan, index=list(PAID_CHANNELS), name="budget_share")
    return (cost / cost.sum()).rename("budget_share")


def _paid_shares(sc: Scenario, shares: Any) -> pd.Series:
    name = "acquisition_budget_mix"
    if not isinstance(shares, Mapping) or not shares:
        raise _lever_error(
            name, shares, f"a mapping channel -> budget share over {', '.join(PAID_CHANNELS)}"
        )
    for ch, v in shares.items():
        if ch not in PAID_CHANNELS:
            raise _lever_error(
                f"{name}.{ch}", v, f"a paid channel among {', '.join(PAID_CHANNELS)}"
            )
        if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0:
            raise _lever_error(f"{name}.{ch}", v, "a share >= 0")
    total = float(sum(shares.values()))
    if abs(total - 1.0) > 1e-6:
        raise _lever_error(name, dict(shares), f"shares summing to 1 (they sum to {total:.6g})")
    return pd.Series({c: float(shares.get(c, 0.0)) for c in PAID_CHANNELS})


def _acquisition(sc: Scenario, levers: Mapping[str, Any]) -> Scenario:
    """Apply the budget levers: the paid budget, and a new split of it over the paid channels."""
    c = levers.get("acquisition_budget_change", 0.0)
    if isinstance(c, bool) or not isinstance(c, int | float) or not (c > -1 and math.isfinite(c)):
        raise _lever_error("acquisition_budget_change", c, "a relative change > -1 (0.2 = +20 %)")
    if c:
        try:
            sc = sc.with_overrides({"acquisition": {"budget": sc.acquisition.budget * (1.0 + c)}})
        except ScenarioError as err:
            raise ScenarioError(f"lever acquisition_budget_change = {c!r}: {err}") from None
    if "acquisition_budget_mix" not in levers:
        return sc
    paid = list(PAID_CHANNELS)
    cac = _channel_cac(sc)
    n = sc.population.customers * _customer_mix(sc)  # expected baseline customers by channel
    budget = float((n[paid] * cac[paid]).sum())
    new = n.copy()
    shares = _paid_shares(sc, levers["acquisition_budget_mix"])
    free = [ch for ch in paid if shares[ch] > 0 and cac[ch] <= 0]
    if free:
        raise _lever_error(
            "acquisition_budget_mix", dict(levers["acquisition_budget_mix"]),
            f"budget only on channels whose leads cost something ({', '.join(free)} cost 0)",
        )  # fmt: skip
    # The same baseline budget bought at each channel's baseline cost per customer;
    # acquisition.budget then moves every paid channel along the saturation curve.
    bought = budget * shares / cac[paid].where(shares > 0, 1.0)
    new[paid] = bought.where(shares > 0, 0.0)
    total = float(new.sum())
    if total <= 0:
        raise _lever_error("acquisition_budget_mix", levers.get("acquisition_budget_mix"),
                           "a budget that buys some customers")  # fmt: skip
    return sc.with_overrides(
        {
            "population": {"customers": max(1, int(round(total)))},
            "acquisition": {"channel_mix": (new / total).to_dict()},
        }
    )


def lever_scenario(base: Scenario, **levers: Any) -> Scenario:
    """A variant of ``base`` with named levers set (see :data:`LEVERS`).

    Simple levers set one scenario field (``agents=3`` → ``service.agents = 3``)
    and the scenario validates the value. The acquisition levers are computed,
    because the number of customers is a scenario input
    (``population.customers``): a budget acts through it. Referral and store
    walk-in customers come from word of mouth and store traffic, not from the
    media budget, so they stay as they are; the paid channels
    (:data:`PAID_CHANNELS`) move:

    - ``acquisition_budget_change=c`` (> −1) scales the paid budget by ``1 + c``
      (``acquisition.budget``). The world's saturation curve does the rest:
      each paid channel's customers scale by ``budget ** e`` and its cost per
      lead by ``budget ** (1 − e)``, so spend grows by ``1 + c`` but each extra
      customer costs more than the average one when ``e < 1`` (diminishing
      returns; ``acquisition_elasticity=e`` sets ``acquisition.saturation``).
    - ``acquisition_budget_mix={channel: share}`` re-splits the paid budget
      over the paid channels (shares sum to 1). A channel buys customers at its
      baseline cost per lead / lead conversion, so the number of customers and
      the channel mix follow. (Each channel's own saturation within a re-split
      is not modelled; read big shifts with care.)
    - ``customers`` and ``years`` set the population size and horizon first.

    Raises
    ------
    ScenarioError
        For an unknown lever (the message lists the allowed ones) or a value
        out of range (naming the lever or the scenario field).

    >>> s = lever_scenario(Scenario(), agents=3, retention_uplift=0.05)
    >>> s.service.agents, s.experience.retention_uplift
    (3, 0.05)
    """
    unknown = sorted(set(levers) - set(LEVERS))
    if unknown:
        raise ScenarioError(
            f"unknown lever(s) {', '.join(unknown)}: expected one of {', '.join(LEVERS)}"
        )
    overrides: dict[str, dict[str, Any]] = {}
    for name, value in levers.items():
        target = LEVERS[name].target
        if target != "*":
            section, fname = target.split(".")
            overrides.setdefault(section, {})[fname] = value
    try:
        sc = base.with_overrides(overrides)
    except ScenarioError as err:
        names = ", ".join(k for k in levers if LEVERS[k].target != "*")
        raise ScenarioError(f"lever(s) {names}: {err}") from None
    if any(LEVERS[k].target == "*" for k in levers):
        sc = _acquisition(sc, levers)
    return sc


# --------------------------------------------------------------------------- comparing


class RunCache:
    """A small least-recently-used memo of simulated runs, keyed by (scenario, seed).

    A run is a pure function of its scenario and seed (the scenario is
    immutable and hashable, and equal scenarios simulate equal bytes), so one
    kernel never needs to simulate the same (scenario, seed) twice: a lesson
    that compares the baseline again, a staffing sweep that contains the
    baseline's own number of agents, or a replicated sweep whose first seed is
    the one already compared all reuse the run. ``hits`` and ``misses`` count
    lookups; ``maxsize`` runs are kept (the least recently used goes first).
    """

    def __init__(self, maxsize: int = 32) -> None:
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
            raise ValueError(f"maxsize: must be a whole number >= 1, got {maxsize!r}")
        self.maxsize = maxsize
        self._runs: OrderedDict[tuple[Scenario, int], Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._runs)

    def __contains__(self, key: tuple[Scenario, int]) -> bool:
        return (key[0], int(key[1])) in self._runs

    def peek(self, scenario: Scenario, seed: int) -> Any | None:
        """The stored run or ``None``, without counting a lookup or simulating."""
        key = (scenario, int(seed))
        if key not in self._runs:
            return None
        self._runs.move_to_end(key)
        return self._runs[key]

    def get(self, scenario: Scenario, seed: int, run: Any = None) -> Any:
        """The run of ``(scenario, seed)``: stored, or ``run(scenario, seed)`` now and stored."""
        key = (scenario, int(seed))
        if key in self._runs:
            self.hits += 1
            self._runs.move_to_end(key)
            return self._runs[key]
        self.misses += 1
        ds = (run or _simulate_once)(scenario, int(seed))
        self._runs[key] = ds
        while len(self._runs) > self.maxsize:
            self._runs.popitem(last=False)
        return ds

    def clear(self) -> None:
        """Forget every run and reset the counts."""
        self._runs.clear()
        self.hits = self.misses = 0


def _simulate_once(scenario: Scenario, seed: int):
    # On disk too when sim.compose.CACHE_ENV names a folder (the tests: a sheet's kernel
    # and checker share runs).
    from sim.compose import cached_on_disk

    return cached_on_disk(scenario, seed)


#: The runs of this process (:func:`simulate_scenarios` and the sweep's in-process tasks).
RUNS = RunCache(maxsize=32)


def simulate_scenarios(
    scenarios: Mapping[str, Scenario], seed: int, progress: bool = False
) -> dict[str, Any]:
    """Simulate every scenario with the same ``seed``; a dict name → Dataset, in order.

    Runs are kept in memory by (scenario, seed) in :data:`RUNS`, so asking
    again for a scenario already simulated in this process (the baseline once
    more, a staffing sweep that contains the baseline's agents, a self-check)
    costs nothing. Each returned Dataset is a copy.
    """
    if not isinstance(scenarios, Mapping) or not scenarios:
        raise ValueError("scenarios: expected a non-empty mapping of name -> Scenario")
    for name, sc in scenarios.items():
        if not isinstance(sc, Scenario):
            raise TypeError(f"scenarios[{name!r}]: expected a Scenario, got {type(sc).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: must be a non-negative integer, got {seed!r}")
    items = list(scenarios.items())
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, unit="scenario", desc="Simulating")
    return {name: RUNS.get(sc, int(seed)).copy() for name, sc in items}


def kpi_table(datasets: Mapping[str, Any], **costs: float) -> pd.DataFrame:
    """KPIs of each dataset side by side: rows = KPIs, columns = scenario names."""
    table = pd.DataFrame({name: kpis(ds, **costs) for name, ds in datasets.items()})
    table.index.name = "kpi"
    table.columns.name = "scenario"
    return table


def compare(scenarios: Mapping[str, Scenario], seed: int, progress: bool = False) -> pd.DataFrame:
    """Simulate each scenario with the same seed and return their KPIs side by side.

    Same seed = common random numbers: the same people and candidate purchases
    in every run, so differences come from the levers. Rows are the KPIs of
    :func:`kpis`, columns the scenario names in the order given.
    """
    return kpi_table(simulate_scenarios(scenarios, seed, progress=progress))


def deltas(table: pd.DataFrame, baseline: str = "baseline", relative: bool = False) -> pd.DataFrame:
    """Each variant minus the baseline (``relative=True``: as a share of the baseline).

    A relative change against a baseline of zero is ``NaN``.
    """
    if baseline not in table.columns:
        raise KeyError(
            f"baseline {baseline!r} is not a column of the table: columns are {list(table.columns)}"
        )
    base = table[baseline]
    diff = table.drop(columns=baseline).sub(base, axis=0)
    if relative:
        diff = diff.div(base.abs().where(base != 0), axis=0)
    return diff


#: The terms of ``profit`` (see :data:`KPI_DEFINITIONS`), as :func:`profit_bridge` splits it.
PROFIT_TERMS = (
    "gross_margin",
    "marketing_spend net of loyalty rewards",
    "service_cost",
    "loyalty_liability",
)


def profit_bridge(table: pd.DataFrame, variant: str, baseline: str = "baseline") -> pd.Series:
    """The profit difference ``variant − baseline`` split into the terms of the profit KPI.

    profit = gross_margin − (marketing_spend − loyalty_rewards) − service_cost
    − loyalty_liability, so the difference is the sum of: the margin's change,
    minus the change of marketing spend net of the rewards (which the margin
    already holds), minus the service cost's change, minus the liability's
    change. Index: :data:`PROFIT_TERMS` and ``"profit"`` (their sum, equal to
    the profit KPI's difference).
    """
    for col in (variant, baseline):
        if col not in table.columns:
            raise KeyError(
                f"{col!r} is not a column of the table: columns are {list(table.columns)}"
            )
    d = table[variant] - table[baseline]
    terms = pd.Series(
        {
            "gross_margin": d["gross_margin"],
            "marketing_spend net of loyalty rewards": -(
                d["marketing_spend"] - d["loyalty_rewards"]
            ),
            "service_cost": -d["service_cost"],
            "loyalty_liability": -d["loyalty_liability"],
        },
        name=f"{variant} − {baseline}",
    )
    terms["profit"] = terms.sum()
    return terms


def monthly_revenue(datasets: Mapping[str, Any]) -> pd.DataFrame:
    """Revenue (sum of net_amount, EUR) per calendar month, one column per scenario."""
    cols = {}
    for name, ds in datasets.items():
        o = ds.orders
        cols[name] = o.groupby(o["order_date"].dt.to_period("M"))["net_amount"].sum()
    out = pd.DataFrame(cols).fillna(0.0)
    out.index.name = "month"
    return out.astype(np.float64)
