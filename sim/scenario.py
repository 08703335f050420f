"""Scenario: every parameter of the simulated brand, validated on construction.

A :class:`Scenario` is a frozen tree of small dataclasses, one per area
(population, acquisition, purchases, experience, campaigns, service, advisors,
loyalty, data quality). Defaults describe a believable mid-size omnichannel
luxury/fashion brand; :func:`preset` returns named variants and
:func:`load_scenario` reads a YAML or JSON file of overrides on top of a preset.

Every out-of-range value raises :class:`ScenarioError` naming the field, the
value and what is allowed.

>>> s = preset("default").with_overrides({"population": {"customers": 500}})
>>> s.population.customers
500
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sim.vocab import ACQUISITION_CHANNELS, GENERATIONS, JOURNEYS, MESSAGE_CHANNELS, ORDER_CHANNELS

__all__ = [
    "ACQUISITION_CHANNELS",
    "GENERATIONS",
    "MESSAGE_CHANNELS",
    "ORDER_CHANNELS",
    "Acquisition",
    "Advisors",
    "Campaigns",
    "DataQuality",
    "Experience",
    "Loyalty",
    "Population",
    "Purchases",
    "Scenario",
    "ScenarioError",
    "Service",
    "load_scenario",
    "preset",
    "preset_names",
]


class ScenarioError(ValueError):
    """A scenario value is out of range; the message names the field and what is allowed."""


# --------------------------------------------------------------------------- checks
def _fail(path: str, value: Any, allowed: str) -> None:
    raise ScenarioError(f"{path} = {value!r} is not allowed: expected {allowed}")


def _num(path: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        _fail(path, value, "a number")
    return float(value)


def _positive(path: str, value: Any) -> None:
    if _num(path, value) <= 0:
        _fail(path, value, "a number > 0")


def _non_negative(path: str, value: Any) -> None:
    if _num(path, value) < 0:
        _fail(path, value, "a number >= 0")


def _prob(path: str, value: Any) -> None:
    if not 0 <= _num(path, value) <= 1:
        _fail(path, value, "a probability in [0, 1]")


def _count(path: str, value: Any, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        _fail(path, value, f"a whole number >= {minimum}")


def _mix(path: str, mix: Any, allowed: tuple[str, ...] | None = None) -> None:
    if not isinstance(mix, Mapping) or not mix:
        _fail(path, mix, "a non-empty mapping of name -> share")
    for key, share in mix.items():
        if allowed is not None and key not in allowed:
            _fail(f"{path}.{key}", share, f"a name among {', '.join(allowed)}")
        if _num(f"{path}.{key}", share) < 0:
            _fail(f"{path}.{key}", share, "a share >= 0")
    total = sum(mix.values())
    if abs(total - 1) > 1e-6:
        _fail(path, dict(mix), f"shares summing to 1 (they sum to {total:.6g})")


class _Section:
    """Shared behaviour of the scenario's sections: validation on construction."""

    _name = ""

    def __post_init__(self) -> None:
        self.validate(self._name)

    def validate(self, prefix: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


# --------------------------------------------------------------------------- sections
@dataclass(frozen=True)
class Population(_Section):
    """Who the customers are: size, horizon, origins, ages and consent."""

    _name = "population"
    customers: int = 20_000
    years: float = 3.0
    start_date: str = "2023-01-01"
    nationality_mix: Mapping[str, float] | None = None  # None: the brand's global default mix
    home_abroad_share: float = 0.12  # nationals living in another country (expats)
    generation_mix: Mapping[str, float] = field(
        default_factory=lambda: {"Gen Z": 0.17, "Millennials": 0.61, "Gen X": 0.15, "Boomers": 0.07}
    )
    consent_email: float = 0.72
    consent_sms: float = 0.38
    consent_social: float = 0.25  # follows the brand on social/messaging apps (WeChat, WhatsApp)
    opt_out: float = 0.04

    def validate(self, p: str) -> None:
        _count(f"{p}.customers", self.customers, minimum=1)
        _positive(f"{p}.years", self.years)
        if self.years > 30:
            _fail(f"{p}.years", self.years, "at most 30 years")
        try:
            import pandas as pd

            pd.Timestamp(self.start_date)
        except (ValueError, TypeError):
            _fail(f"{p}.start_date", self.start_date, "an ISO date such as 2023-01-01")
        if self.nationality_mix is not None:
            from sim.geography import COUNTRY_CODES

            _mix(f"{p}.nationality_mix", self.nationality_mix, COUNTRY_CODES)
        _prob(f"{p}.home_abroad_share", self.home_abroad_share)
        _mix(f"{p}.generation_mix", self.generation_mix, GENERATIONS)
        for name in ("consent_email", "consent_sms", "consent_social", "opt_out"):
            _prob(f"{p}.{name}", getattr(self, name))


@dataclass(frozen=True)
class Acquisition(_Section):
    """Where customers come from, and what each channel's leads cost and convert."""

    _name = "acquisition"
    channel_mix: Mapping[str, float] = field(
        default_factory=lambda: {
            "paid_search": 0.22,
            "social": 0.20,
            "tv": 0.08,
            "referral": 0.15,
            "store_walk_in": 0.27,
            "partners": 0.08,
        }
    )
    cost_per_lead: Mapping[str, float] = field(
        default_factory=lambda: {
            "paid_search": 18.0,
            "social": 12.0,
            "tv": 45.0,
            "referral": 5.0,
            "store_walk_in": 2.0,
            "partners": 25.0,
        }
    )
    lead_conversion: Mapping[str, float] = field(
        default_factory=lambda: {
            "paid_search": 0.12,
            "social": 0.07,
            "tv": 0.05,
            "referral": 0.30,
            "store_walk_in": 0.40,
            "partners": 0.15,
        }
    )
    days_to_convert: float = 9.0  # mean delay from lead to first purchase
    growth_per_year: float = 0.10  # acquisition volume grows through the horizon

    def validate(self, p: str) -> None:
        _mix(f"{p}.channel_mix", self.channel_mix, ACQUISITION_CHANNELS)
        for name in ("cost_per_lead", "lead_conversion"):
            table = getattr(self, name)
            for ch in ACQUISITION_CHANNELS:
                if ch not in table:
                    _fail(f"{p}.{name}", dict(table), f"a value for every channel ({ch} missing)")
            for ch, v in table.items():
                if ch not in ACQUISITION_CHANNELS:
                    _fail(
                        f"{p}.{name}.{ch}", v, f"a channel among {', '.join(ACQUISITION_CHANNELS)}"
                    )
                if name == "cost_per_lead":
                    _non_negative(f"{p}.{name}.{ch}", v)
                else:
                    _prob(f"{p}.{name}.{ch}", v)
                    if v == 0:
                        _fail(f"{p}.{name}.{ch}", v, "a conversion rate in (0, 1]")
        _non_negative(f"{p}.days_to_convert", self.days_to_convert)
        if _num(f"{p}.growth_per_year", self.growth_per_year) <= -1:
            _fail(f"{p}.growth_per_year", self.growth_per_year, "a growth rate > -1")


@dataclass(frozen=True)
class Purchases(_Section):
    """The buy-till-you-die core (BG/NBD + Gamma-Gamma), rates per day, money in EUR."""

    _name = "purchases"
    r: float = 0.55  # purchase rate λ ~ Gamma(shape r, rate alpha), per day
    alpha: float = 95.0
    a: float = 0.9  # dropout p ~ Beta(a, b) after each purchase
    b: float = 3.2
    spend_p: float = 6.0  # order value z ~ Gamma(shape spend_p, rate ν)
    spend_q: float = 4.0  # ν ~ Gamma(shape spend_q, rate spend_gamma)
    spend_gamma: float = 180.0
    channel_mix: Mapping[str, float] = field(
        default_factory=lambda: {"store": 0.62, "ecommerce": 0.30, "social_commerce": 0.08}
    )
    channel_loyalty: float = 0.97  # chance an order uses the customer's usual channel
    traveller_share: float = 0.32  # customers who sometimes buy abroad
    travel_purchase_prob: float = 0.35  # a traveller's order is abroad with this chance
    discount_prob: float = 0.08
    discount_rate: float = 0.15
    gross_margin: float = 0.65

    def validate(self, p: str) -> None:
        for name in ("r", "alpha", "a", "b", "spend_p", "spend_q", "spend_gamma"):
            _positive(f"{p}.{name}", getattr(self, name))
        if self.spend_q <= 1:
            _fail(f"{p}.spend_q", self.spend_q, "a number > 1 (mean order value is finite)")
        _mix(f"{p}.channel_mix", self.channel_mix, ORDER_CHANNELS)
        for name in (
            "channel_loyalty",
            "traveller_share",
            "travel_purchase_prob",
            "discount_prob",
            "discount_rate",
            "gross_margin",
        ):
            _prob(f"{p}.{name}", getattr(self, name))

    @property
    def mean_order_value(self) -> float:
        """Population mean order value, EUR: p·γ / (q − 1)."""
        return self.spend_p * self.spend_gamma / (self.spend_q - 1)


@dataclass(frozen=True)
class Experience(_Section):
    """How experiences move the latent churn: the what-if levers.

    Each multiplier scales the dropout probability p at a purchase. 1.0 means
    no effect; all at 1.0 with ``win_back_rate = 0`` gives the pure BG/NBD core.
    """

    _name = "experience"
    bad_service_churn: float = 2.5  # after an abandoned or high-effort contact
    loyalty_member_churn: float = 0.8
    advisor_contact_churn: float = 0.8  # reached by an advisor since the last purchase
    retention_uplift: float = 0.0  # what-if: cut every dropout p by this share
    win_back_rate: float = 0.06  # a lapsed, truly lost customer is revived by a win-back action
    # Clienteling: this share of clients answer a reached advisor call by
    # bringing their next purchase forward into the attribution window.
    advisor_responsive: float = 0.08

    def validate(self, p: str) -> None:
        for name in ("bad_service_churn", "loyalty_member_churn", "advisor_contact_churn"):
            _non_negative(f"{p}.{name}", getattr(self, name))
            if getattr(self, name) > 10:
                _fail(f"{p}.{name}", getattr(self, name), "a multiplier in [0, 10]")
        _prob(f"{p}.retention_uplift", self.retention_uplift)
        _prob(f"{p}.win_back_rate", self.win_back_rate)
        _prob(f"{p}.advisor_responsive", self.advisor_responsive)

    @property
    def neutral(self) -> bool:
        """True when no experience effect touches the purchase core."""
        return (
            self.bad_service_churn == 1
            and self.loyalty_member_churn == 1
            and self.advisor_contact_churn == 1
            and self.retention_uplift == 0
            and self.win_back_rate == 0
            and self.advisor_responsive == 0
        )


@dataclass(frozen=True)
class Campaigns(_Section):
    """Newsletters and triggered journeys, and how recipients respond."""

    _name = "campaigns"
    newsletters_per_month: float = 2.0
    newsletter_channel_mix: Mapping[str, float] = field(
        default_factory=lambda: {"email": 0.8, "sms": 0.1, "social": 0.1}
    )
    triggered: tuple[str, ...] = JOURNEYS
    ab_test_share: float = 0.25  # share of newsletters sent as an A/B test
    hard_bounce: float = 0.004  # valid addresses that still hard-bounce (blocked domains)
    soft_bounce: float = 0.02
    open_rate: Mapping[str, float] = field(
        default_factory=lambda: {"email": 0.22, "sms": 0.9, "social": 0.35}
    )
    click_rate: Mapping[str, float] = field(  # clicks per open
        default_factory=lambda: {"email": 0.12, "sms": 0.05, "social": 0.08}
    )
    inbound_response_boost: float = 3.0  # triggered messages: response multiplier
    unsubscribe_rate: float = 0.002  # per delivered newsletter, at one newsletter a month
    fatigue: float = 0.5  # unsubscribe grows by this share per extra newsletter a month
    cost_per_message: Mapping[str, float] = field(
        default_factory=lambda: {"email": 0.002, "sms": 0.06, "social": 0.01}
    )
    at_risk_days: float = 180.0
    lapsed_days: float = 365.0

    def validate(self, p: str) -> None:
        _non_negative(f"{p}.newsletters_per_month", self.newsletters_per_month)
        if self.newsletters_per_month > 30:
            _fail(f"{p}.newsletters_per_month", self.newsletters_per_month, "at most 30")
        _mix(f"{p}.newsletter_channel_mix", self.newsletter_channel_mix, MESSAGE_CHANNELS)
        allowed = JOURNEYS
        for t in self.triggered:
            if t not in allowed:
                _fail(f"{p}.triggered", t, f"journeys among {', '.join(allowed)}")
        for name in ("ab_test_share", "hard_bounce", "soft_bounce", "unsubscribe_rate"):
            _prob(f"{p}.{name}", getattr(self, name))
        for name in ("open_rate", "click_rate", "cost_per_message"):
            table = getattr(self, name)
            for ch in MESSAGE_CHANNELS:
                if ch not in table:
                    _fail(f"{p}.{name}", dict(table), f"a value for every channel ({ch} missing)")
            for ch, v in table.items():
                if ch not in MESSAGE_CHANNELS:
                    _fail(f"{p}.{name}.{ch}", v, f"a channel among {', '.join(MESSAGE_CHANNELS)}")
                (_non_negative if name == "cost_per_message" else _prob)(f"{p}.{name}.{ch}", v)
        _positive(f"{p}.inbound_response_boost", self.inbound_response_boost)
        _non_negative(f"{p}.fatigue", self.fatigue)
        _positive(f"{p}.at_risk_days", self.at_risk_days)
        if _num(f"{p}.lapsed_days", self.lapsed_days) <= self.at_risk_days:
            _fail(
                f"{p}.lapsed_days",
                self.lapsed_days,
                f"more days than at_risk_days ({self.at_risk_days})",
            )


@dataclass(frozen=True)
class Service(_Section):
    """Contact centre, repair workshop and surveys."""

    _name = "service"
    agents: int = 2
    # The contact centre is shared with the group's other brands: their calls
    # bring this much traffic, in Erlangs (agents' worth of work while open),
    # whatever the number of agents; they fund that many agents, the brand the
    # rest. 0 = a team dedicated to this brand.
    shared_traffic: float = 1.0
    open_hours: float = 10.0  # calls arrive within opening hours
    handle_minutes: float = 9.0  # mean handling time (exponential)
    patience_minutes: float = 6.0  # mean patience before hanging up (exponential); 0 = infinite
    contact_prob: float = 0.15  # an order leads to a service contact
    phone_share: float = 0.55  # of contacts; the rest e-mail, chat, store
    first_contact_resolution: float = 0.7
    repair_prob: float = 0.02  # an order comes back for repair
    # Benches per 10,000 customers: the workshop grows with the customer base
    # (2% of orders come back, each taking ~10 days of a bench).
    workshop_benches_per_10k: float = 7.0
    repair_days: float = 10.0  # mean workshop time per repair, days
    repair_promise_days: float = 21.0  # longer → 'delayed' notification
    repair_reject_prob: float = 0.08
    survey_prob: float = 0.25  # a survey follows an experience, answered with this chance
    high_effort: int = 5  # CES at or above this counts as bad service

    def validate(self, p: str) -> None:
        _count(f"{p}.agents", self.agents, minimum=1)
        _non_negative(f"{p}.shared_traffic", self.shared_traffic)
        if self.patience_minutes == 0 and self.shared_traffic >= self.agents:
            # Nobody hangs up: a queue with more work than agents grows forever.
            _fail(
                f"{p}.shared_traffic",
                self.shared_traffic,
                f"fewer Erlangs than agents ({self.agents}) when callers never hang up",
            )
        _positive(f"{p}.open_hours", self.open_hours)
        if self.open_hours > 24:
            _fail(f"{p}.open_hours", self.open_hours, "at most 24 hours")
        _positive(f"{p}.handle_minutes", self.handle_minutes)
        _non_negative(f"{p}.patience_minutes", self.patience_minutes)
        for name in (
            "contact_prob",
            "phone_share",
            "first_contact_resolution",
            "repair_prob",
            "repair_reject_prob",
            "survey_prob",
        ):
            _prob(f"{p}.{name}", getattr(self, name))
        if self.first_contact_resolution == 0:
            _fail(f"{p}.first_contact_resolution", 0, "a probability in (0, 1]")
        _positive(f"{p}.workshop_benches_per_10k", self.workshop_benches_per_10k)
        _positive(f"{p}.repair_days", self.repair_days)
        _positive(f"{p}.repair_promise_days", self.repair_promise_days)
        _count(f"{p}.high_effort", self.high_effort, minimum=1)
        if self.high_effort > 7:
            _fail(f"{p}.high_effort", self.high_effort, "a score from 1 to 7")


@dataclass(frozen=True)
class Advisors(_Section):
    """Clienteling: client advisors with a limited number of tasks a day."""

    _name = "advisors"
    advisors: int = 12
    tasks_per_day: int = 6  # per advisor
    thank_you_threshold: float = 800.0  # orders at or above this get a thank-you call
    reach_prob: float = 0.65
    event_invites_per_month: int = 40  # invitations to top clients per month
    attribution_days: int = 28
    cost_per_task: float = 15.0  # EUR of advisor time per task (booked as retention spend)

    def validate(self, p: str) -> None:
        _count(f"{p}.advisors", self.advisors, minimum=0)
        _count(f"{p}.tasks_per_day", self.tasks_per_day, minimum=0)
        _non_negative(f"{p}.thank_you_threshold", self.thank_you_threshold)
        _prob(f"{p}.reach_prob", self.reach_prob)
        _count(f"{p}.event_invites_per_month", self.event_invites_per_month, minimum=0)
        _count(f"{p}.attribution_days", self.attribution_days, minimum=1)
        _non_negative(f"{p}.cost_per_task", self.cost_per_task)


@dataclass(frozen=True)
class Loyalty(_Section):
    """The loyalty programme: enrolment, points, tiers, redemption and expiry."""

    _name = "loyalty"
    enabled: bool = True
    enrolment_prob: float = 0.45  # at the first purchase
    points_per_eur: float = 1.0
    reward_threshold: int = 500  # points per reward
    point_value: float = 0.02  # EUR of discount per point redeemed
    redemption_prob: float = 0.6  # a member with a reward available redeems it at an order
    expiry_days: float = 540.0  # points expire after this many days without activity
    tier_thresholds: Mapping[str, float] = field(
        default_factory=lambda: {"silver": 0.0, "gold": 1500.0, "platinum": 5000.0}
    )
    running_cost_per_member: float = 4.0  # EUR a year: platform, statements, service

    def validate(self, p: str) -> None:
        if not isinstance(self.enabled, bool):
            _fail(f"{p}.enabled", self.enabled, "true or false")
        _prob(f"{p}.enrolment_prob", self.enrolment_prob)
        _non_negative(f"{p}.points_per_eur", self.points_per_eur)
        _count(f"{p}.reward_threshold", self.reward_threshold, minimum=1)
        _non_negative(f"{p}.point_value", self.point_value)
        _prob(f"{p}.redemption_prob", self.redemption_prob)
        _positive(f"{p}.expiry_days", self.expiry_days)
        _non_negative(f"{p}.running_cost_per_member", self.running_cost_per_member)
        tiers = self.tier_thresholds
        if not isinstance(tiers, Mapping) or not tiers:
            _fail(f"{p}.tier_thresholds", tiers, "a mapping of tier name -> annual spend")
        values = [_num(f"{p}.tier_thresholds.{k}", v) for k, v in tiers.items()]
        if min(values) != 0 or len(set(values)) != len(values):
            _fail(f"{p}.tier_thresholds", dict(tiers), "distinct thresholds, the lowest at 0")


@dataclass(frozen=True)
class DataQuality(_Section):
    """Imperfect data: duplicate profiles and typo'd e-mail addresses."""

    _name = "data_quality"
    duplicate_share: float = 0.035  # people who register a second profile
    name_typo_prob: float = 0.5  # the duplicate's name is misspelt
    email_typo_prob: float = 0.015  # an address is registered with a typo

    def validate(self, p: str) -> None:
        for name in ("duplicate_share", "name_typo_prob", "email_typo_prob"):
            _prob(f"{p}.{name}", getattr(self, name))


_SECTIONS = {
    "population": Population,
    "acquisition": Acquisition,
    "purchases": Purchases,
    "experience": Experience,
    "campaigns": Campaigns,
    "service": Service,
    "advisors": Advisors,
    "loyalty": Loyalty,
    "data_quality": DataQuality,
}


@dataclass(frozen=True)
class Scenario:
    """All parameters of one simulated brand. Sections validate themselves."""

    name: str = "default"
    population: Population = field(default_factory=Population)
    acquisition: Acquisition = field(default_factory=Acquisition)
    purchases: Purchases = field(default_factory=Purchases)
    experience: Experience = field(default_factory=Experience)
    campaigns: Campaigns = field(default_factory=Campaigns)
    service: Service = field(default_factory=Service)
    advisors: Advisors = field(default_factory=Advisors)
    loyalty: Loyalty = field(default_factory=Loyalty)
    data_quality: DataQuality = field(default_factory=DataQuality)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            _fail("name", self.name, "a non-empty text")
        for key, cls in _SECTIONS.items():
            if not isinstance(getattr(self, key), cls):
                _fail(key, getattr(self, key), f"a {cls.__name__} section")

    @property
    def horizon_days(self) -> float:
        """Length of the simulated period in days."""
        return self.population.years * 365.0

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (JSON-ready) of every parameter."""
        out: dict[str, Any] = {"name": self.name}
        for key in _SECTIONS:
            section = getattr(self, key)
            out[key] = {f.name: _plain(getattr(section, f.name)) for f in fields(section)}
        return out

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with nested overrides, e.g. ``{"service": {"agents": 5}}``."""
        return _apply(self, overrides)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build from a nested dict (missing fields keep their defaults)."""
        return _apply(cls(), data)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


def _apply(base: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    if not isinstance(overrides, Mapping):
        raise ScenarioError(f"scenario overrides must be a mapping, got {type(overrides).__name__}")
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key == "name":
            changes["name"] = value
            continue
        if key not in _SECTIONS:
            raise ScenarioError(
                f"{key!r} is not a scenario section: expected one of name, {', '.join(_SECTIONS)}"
            )
        if not isinstance(value, Mapping):
            raise ScenarioError(f"{key} must be a mapping of field -> value, got {value!r}")
        section = getattr(base, key)
        names = {f.name for f in fields(section)}
        for fname in value:
            if fname not in names:
                raise ScenarioError(
                    f"{key}.{fname} is not a known field: expected one of {', '.join(sorted(names))}"
                )
        cleaned = {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
        try:
            changes[key] = dataclasses.replace(section, **cleaned)
        except TypeError as err:  # e.g. a wrong type reaching a comparison
            raise ScenarioError(f"{key}: {err}") from None
    return dataclasses.replace(base, **changes)


# --------------------------------------------------------------------------- presets
_PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "mass_market": {
        "name": "mass_market",
        "population": {
            "customers": 20_000,
            "generation_mix": {"Gen Z": 0.30, "Millennials": 0.40, "Gen X": 0.20, "Boomers": 0.10},
            "consent_email": 0.85,
            "consent_sms": 0.5,
        },
        "acquisition": {
            "channel_mix": {
                "paid_search": 0.40,
                "social": 0.30,
                "tv": 0.10,
                "referral": 0.10,
                "store_walk_in": 0.02,
                "partners": 0.08,
            },
        },
        "purchases": {
            "r": 0.8,
            "alpha": 70.0,
            "a": 1.0,
            "b": 2.5,
            "spend_p": 4.0,
            "spend_q": 3.0,
            "spend_gamma": 30.0,
            "channel_mix": {"store": 0.05, "ecommerce": 0.75, "social_commerce": 0.20},
            "traveller_share": 0.08,
            "discount_prob": 0.35,
            "discount_rate": 0.2,
            "gross_margin": 0.35,
        },
        "campaigns": {"newsletters_per_month": 6.0},
        "service": {"agents": 6, "contact_prob": 0.12, "repair_prob": 0.0},
        "advisors": {"advisors": 0, "tasks_per_day": 0, "event_invites_per_month": 0},
        "loyalty": {"points_per_eur": 1.0, "reward_threshold": 200, "point_value": 0.01},
    },
    "pure_bgnbd": {
        # The purchase core alone: no experience effect, no win-back. Used to
        # check the simulation against the BG/NBD closed form.
        "name": "pure_bgnbd",
        "experience": {
            "bad_service_churn": 1.0,
            "loyalty_member_churn": 1.0,
            "advisor_contact_churn": 1.0,
            "retention_uplift": 0.0,
            "win_back_rate": 0.0,
            "advisor_responsive": 0.0,
        },
    },
}


def preset_names() -> list[str]:
    """Names accepted by :func:`preset`."""
    return list(_PRESETS)


def preset(name: str = "default") -> Scenario:
    """A named scenario: ``default`` (luxury/fashion omnichannel), ``mass_market``, ``pure_bgnbd``."""
    if name not in _PRESETS:
        raise ScenarioError(f"unknown preset {name!r}: expected one of {', '.join(_PRESETS)}")
    return Scenario().with_overrides(_PRESETS[name])


def load_scenario(source: str | Path) -> Scenario:
    """A preset by name, or a YAML/JSON file of overrides.

    A file may name a ``preset`` to start from (default ``default``); every
    other key overrides that preset's sections.
    """
    text_source = str(source)
    if text_source in _PRESETS:
        return preset(text_source)
    path = Path(source)
    if not path.exists():
        raise ScenarioError(
            f"scenario {text_source!r} is neither a preset ({', '.join(_PRESETS)}) nor an existing file"
        )
    raw = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            import yaml

            data = yaml.safe_load(raw)
    except Exception as err:  # json.JSONDecodeError or yaml.YAMLError
        raise ScenarioError(f"{path}: cannot parse scenario file ({err})") from None
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{path}: a scenario file must hold a mapping of sections")
    data = dict(data)
    base = preset(data.pop("preset", "default"))
    data.setdefault("name", path.stem)
    return base.with_overrides(data)
