"""Scenario: every parameter of the simulated brand, validated on construction.

A :class:`Scenario` is a frozen tree of small dataclasses, one per area
(population, acquisition, purchases, experience, campaigns, service, advisors,
loyalty, data quality). Defaults describe a believable mid-size omnichannel
luxury/fashion brand; :func:`preset` returns named variants and
:func:`resolve_scenario` / :func:`load_scenario` read a YAML or JSON file of
overrides on top of a preset.

A scenario is immutable all the way down (mappings are :class:`FrozenMap`,
lists are tuples) and hashable, so it can key a cache. Every out-of-range
value raises :class:`ScenarioError` naming the field, the value and what is
allowed. :func:`estimate_run` tells how big a run would be and
:func:`check_fits` refuses one that cannot fit in memory, before any work.

>>> s = preset("default").with_overrides({"population": {"customers": 500}})
>>> s.population.customers
500
>>> hash(s) == hash(preset("default").with_overrides({"population": {"customers": 500}}))
True
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NoReturn

from sim.geography import MARKETS, country_codes, market_of
from sim.vocab import (
    ACQUISITION_CHANNELS,
    ADULT_AGE,
    GENERATION_YEARS,
    GENERATIONS,
    JOURNEYS,
    MESSAGE_CHANNELS,
    ORDER_CHANNELS,
    PAID_CHANNELS,
    RELATIONSHIP_STATES,
)

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
    "FIELD_CHANGES",
    "FrozenMap",
    "Loyalty",
    "Markets",
    "Population",
    "Purchases",
    "Relationship",
    "RunSize",
    "Scenario",
    "ScenarioError",
    "Service",
    "available_memory",
    "check_fits",
    "estimate_run",
    "load_scenario",
    "preset",
    "preset_names",
    "resolve_scenario",
]


#: Month keys of :attr:`Purchases.seasonality`, January first.
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


#: A calendar without seasons.
FLAT_MONTHS = {m: 1.0 for m in MONTHS}


class ScenarioError(ValueError):
    """A scenario value is out of range; the message names the field and what is allowed."""


# --------------------------------------------------------------------------- frozen values
class FrozenMap(Mapping):
    """A read-only, hashable mapping that keeps its keys' order.

    Equality follows :class:`collections.OrderedDict`: two FrozenMaps are equal
    only with the same items in the same order (the order of some mixes, e.g.
    the newsletter channels, feeds the random draws, so it is part of what a
    run is); against a plain dict the order does not matter. The hash is
    consistent with that equality, so equal scenarios hash equal.

    >>> m = FrozenMap({"email": 0.8, "sms": 0.2})
    >>> m["sms"], m == {"sms": 0.2, "email": 0.8}, hash(m) == hash(FrozenMap(m))
    (0.2, True, True)
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[Any, Any] | None = None) -> None:
        self._data = {k: _freeze(v) for k, v in (data or {}).items()}
        self._hash: int | None = None

    def __getitem__(self, key: Any) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return list(self._data.items()) == list(other._data.items())
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((FrozenMap, tuple(self._data.items())))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


def _freeze(value: Any) -> Any:
    """``value`` with every mapping made a :class:`FrozenMap` and every list a tuple."""
    if isinstance(value, FrozenMap):
        return value
    if isinstance(value, Mapping):
        return FrozenMap(value)
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _plain(value: Any) -> Any:
    """``value`` with mappings as dicts and tuples as lists (JSON-ready)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


# PyYAML (YAML 1.1) reads a float only with a dot and a signed exponent, so
# ``1e9`` and ``1.0e9`` arrive as strings. Such strings are converted to
# numbers where a number is expected; nothing else is (a quoted "0.5" in JSON
# is as much a number to its author, and "inf"/"nan" stay rejected).
_NUMBER_TEXT = re.compile(r"[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?")


def _number_text(value: Any) -> Any:
    """A string that YAML failed to read as a number, as a float; anything else unchanged."""
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        try:
            return float(value.strip().replace("_", ""))
        except ValueError:  # pragma: no cover - the pattern only admits floats
            return value
    return value


# --------------------------------------------------------------------------- checks
_MAX_COUNT = 2**53  # whole numbers beyond this are not exact as floats


def _show(value: Any) -> str:
    text = repr(_plain(value))
    return text if len(text) <= 200 else text[:197] + "..."


def _fail(path: str, value: Any, allowed: str) -> NoReturn:
    raise ScenarioError(f"{path} = {_show(value)} is not allowed: expected {allowed}")


def _num(path: str, value: Any, allowed: str = "a finite number") -> float:
    """``value`` as a float, or a ScenarioError if it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(path, value, allowed)
    try:
        out = float(value)
    except OverflowError:  # an int too large for a float
        out = math.inf
    if not math.isfinite(out):
        _fail(path, value, allowed)
    return out


def _positive(path: str, value: Any) -> None:
    if _num(path, value, "a finite number > 0") <= 0:
        _fail(path, value, "a finite number > 0")


def _non_negative(path: str, value: Any) -> None:
    if _num(path, value, "a finite number >= 0") < 0:
        _fail(path, value, "a finite number >= 0")


def _at_most(path: str, value: Any, maximum: float, allowed: str) -> None:
    if _num(path, value, allowed) > maximum:
        _fail(path, value, allowed)


def _prob(path: str, value: Any) -> None:
    if not 0 <= _num(path, value, "a probability in [0, 1]") <= 1:
        _fail(path, value, "a probability in [0, 1]")


def _count(path: str, value: Any, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= _MAX_COUNT:
        _fail(path, value, f"a whole number >= {minimum} (and at most 2**53)")


def _mix(path: str, mix: Any, allowed: tuple[str, ...] | None = None) -> None:
    if not isinstance(mix, Mapping) or not mix:
        _fail(path, mix, "a non-empty mapping of name -> share")
    for key, share in mix.items():
        if allowed is not None and key not in allowed:
            _fail(f"{path}.{key}", share, f"a name among {', '.join(allowed)}")
        if _num(f"{path}.{key}", share, "a finite share >= 0") < 0:
            _fail(f"{path}.{key}", share, "a finite share >= 0")
    total = sum(mix.values())
    if abs(total - 1) > 1e-6:
        _fail(path, mix, f"shares summing to 1 (they sum to {total:.6g})")


_FIRST_DATE, _LAST_DATE = _dt.date(1900, 1, 1), _dt.date(2100, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(path: str, value: Any) -> str:
    """``value`` (an ISO date text or a date) as 'YYYY-MM-DD', or a ScenarioError.

    A fixed calendar date only: 'now' or 'today' would make a dataset that can
    never be reproduced from its manifest, and a time or time zone has no
    meaning for a day-clocked simulation.
    """
    allowed = "an ISO date YYYY-MM-DD from 1900-01-01 to 2100-12-31, quoted or not"
    if isinstance(value, _dt.datetime):
        zone = " and time zone" if value.tzinfo is not None else ""
        _fail(path, value.isoformat(), f"{allowed}, without a time{zone}")
    if isinstance(value, _dt.date):
        day = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            day = _dt.date.fromisoformat(value.strip())
        except ValueError:  # e.g. 2023-02-30
            day = None
        if day is None:
            _fail(path, value, f"{allowed} (no such day)")
    else:
        if isinstance(value, str) and value.strip().lower() in ("now", "today", "yesterday"):
            _fail(path, value, f"{allowed} (a fixed date, so the dataset can be reproduced)")
        _fail(path, value, allowed)
    if not _FIRST_DATE <= day <= _LAST_DATE:
        _fail(path, day.isoformat(), allowed)
    return day.isoformat()


class _Section:
    """Shared behaviour of the scenario's sections: frozen values, validation on construction."""

    _name = ""

    def __post_init__(self) -> None:
        # Frozen dataclass: normalised values go in with object.__setattr__.
        for f in fields(self):
            value = getattr(self, f.name)
            new = _normalise(value, _kind(type(self), f.name))
            if new is not value:
                object.__setattr__(self, f.name, new)
        self._normalise()
        self.validate(self._name)

    def _normalise(self) -> None:
        """Section-specific normalisation before validation (none by default)."""

    def validate(self, prefix: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


_KINDS: dict[tuple[type, str], str] = {}


def _kind(cls: type, name: str) -> str:
    """What a field holds, from its default: 'int', 'float', 'map', 'seq' or 'other'."""
    key = (cls, name)
    if key not in _KINDS:
        f = next(f for f in fields(cls) if f.name == name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if isinstance(default, bool) or isinstance(default, str):
            kind = "other"
        elif isinstance(default, int):
            kind = "int"
        elif isinstance(default, float):
            kind = "float"
        elif isinstance(default, Mapping) or "Mapping" in str(f.type):
            kind = "map"
        elif isinstance(default, tuple):
            kind = "seq"
        else:
            kind = "other"
        _KINDS[key] = kind
    return _KINDS[key]


def _normalise(value: Any, kind: str) -> Any:
    """A field's value frozen, with YAML's unread numbers read (see :data:`_NUMBER_TEXT`)."""
    if kind in ("int", "float"):
        value = _number_text(value)
        # A whole number written as 1e6 or 20000.0 is still a count.
        if kind == "int" and isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if kind == "map" and isinstance(value, Mapping):
        return FrozenMap({k: _number_text(v) for k, v in value.items()})
    if kind == "seq" and isinstance(value, list | tuple):
        return _freeze(value)
    return _freeze(value) if isinstance(value, Mapping | list) else value


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
        default_factory=lambda: {"Gen Z": 0.16, "Millennials": 0.63, "Gen X": 0.14, "Boomers": 0.07}
    )
    consent_email: float = 0.72
    consent_sms: float = 0.38
    consent_social: float = 0.25  # follows the brand on social/messaging apps (WeChat, WhatsApp)
    opt_out: float = 0.04

    def _normalise(self) -> None:
        # Stored as 'YYYY-MM-DD' whatever the input (an unquoted YAML date is a date).
        object.__setattr__(
            self, "start_date", _iso_date(f"{self._name}.start_date", self.start_date)
        )

    def validate(self, p: str) -> None:
        _count(f"{p}.customers", self.customers, minimum=1)
        _positive(f"{p}.years", self.years)
        _at_most(f"{p}.years", self.years, 30, "a number of years > 0 and at most 30")
        _iso_date(f"{p}.start_date", self.start_date)
        if self.nationality_mix is not None:
            from sim.geography import COUNTRY_CODES

            _mix(f"{p}.nationality_mix", self.nationality_mix, COUNTRY_CODES)
        _prob(f"{p}.home_abroad_share", self.home_abroad_share)
        _mix(f"{p}.generation_mix", self.generation_mix, GENERATIONS)
        # Everyone is an adult on the first day: a generation too young for
        # the start date cannot be in the mix.
        latest = int(self.start_date[:4]) - ADULT_AGE
        young = [
            g for g, v in self.generation_mix.items() if v > 0 and GENERATION_YEARS[g][0] > latest
        ]
        if young:
            _fail(
                f"{p}.start_date",
                self.start_date,
                f"a date when every generation in generation_mix has adults ({', '.join(young)} "
                f"born {GENERATION_YEARS[young[0]][0]} or later are not 18 before "
                f"{GENERATION_YEARS[young[0]][0] + ADULT_AGE}-01-01; or drop them from the mix)",
            )
        for name in ("consent_email", "consent_sms", "consent_social", "opt_out"):
            _prob(f"{p}.{name}", getattr(self, name))


@dataclass(frozen=True)
class Acquisition(_Section):
    """Where customers come from, and what each channel's leads cost and convert."""

    _name = "acquisition"
    channel_mix: Mapping[str, float] = field(
        default_factory=lambda: {
            "paid_search": 0.26,
            "social": 0.24,
            "tv": 0.09,
            # Referral customers come on top, from the recommendations customers
            # make while the run goes on (word of mouth), not from this mix.
            "referral": 0.0,
            "store_walk_in": 0.32,
            "partners": 0.09,
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
    # Paid spend relative to the baseline the channel mix and costs describe.
    # Paid leads grow as budget ** saturation (diminishing returns), so a
    # paid lead costs cost_per_lead * budget ** (1 - saturation).
    budget: float = 1.0
    saturation: float = 0.6
    # Each channel brings its own kind of customer: a multiplier of the
    # purchase rate and of order value, and the mix of relationship states
    # new customers start in (committed / engaged / cooling).
    channel_traits: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {
            "paid_search": {"purchase_rate": 1.0, "spend": 1.0, "committed": 0.10, "engaged": 0.55, "cooling": 0.35},
            "social": {"purchase_rate": 0.7, "spend": 0.85, "committed": 0.04, "engaged": 0.36, "cooling": 0.60},
            "tv": {"purchase_rate": 0.9, "spend": 0.95, "committed": 0.08, "engaged": 0.50, "cooling": 0.42},
            "referral": {"purchase_rate": 1.2, "spend": 1.2, "committed": 0.35, "engaged": 0.50, "cooling": 0.15},
            "store_walk_in": {"purchase_rate": 1.15, "spend": 1.15, "committed": 0.25, "engaged": 0.55, "cooling": 0.20},
            "partners": {"purchase_rate": 0.95, "spend": 1.0, "committed": 0.10, "engaged": 0.50, "cooling": 0.40},
        }
    )  # fmt: skip
    # Word of mouth against: a lead in a market whose active customers are
    # this share detractors (cooling) converts with chance 1 - penalty * share.
    detractor_penalty: float = 0.3
    # Lead volume follows the purchase calendar to this power (0 = flat).
    seasonality_weight: float = 0.5

    def validate(self, p: str) -> None:
        _mix(f"{p}.channel_mix", self.channel_mix, ACQUISITION_CHANNELS)
        for name in ("cost_per_lead", "lead_conversion"):
            table = getattr(self, name)
            if not isinstance(table, Mapping):
                _fail(f"{p}.{name}", table, "a mapping of channel -> value")
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
                elif not 0 < _num(f"{p}.{name}.{ch}", v, "a conversion rate in (0, 1]") <= 1:
                    _fail(f"{p}.{name}.{ch}", v, "a conversion rate in (0, 1]")
        _non_negative(f"{p}.days_to_convert", self.days_to_convert)
        budget = "a spend multiplier > 0 and at most 20"
        if not 0 < _num(f"{p}.budget", self.budget, budget) <= 20:
            _fail(f"{p}.budget", self.budget, budget)
        sat = "an elasticity in [0, 1] (1 = constant cost per lead)"
        if not 0 <= _num(f"{p}.saturation", self.saturation, sat) <= 1:
            _fail(f"{p}.saturation", self.saturation, sat)
        _prob(f"{p}.detractor_penalty", self.detractor_penalty)
        weight = "an exponent in [0, 3]"
        if not 0 <= _num(f"{p}.seasonality_weight", self.seasonality_weight, weight) <= 3:
            _fail(f"{p}.seasonality_weight", self.seasonality_weight, weight)
        traits = self.channel_traits
        if not isinstance(traits, Mapping):
            _fail(f"{p}.channel_traits", traits, "a mapping of channel -> traits")
        for ch in ACQUISITION_CHANNELS:
            if ch not in traits:
                _fail(
                    f"{p}.channel_traits", dict(traits), f"traits for every channel ({ch} missing)"
                )
        for ch, tr in traits.items():
            where = f"{p}.channel_traits.{ch}"
            if ch not in ACQUISITION_CHANNELS:
                _fail(where, tr, f"a channel among {', '.join(ACQUISITION_CHANNELS)}")
            keys = ("purchase_rate", "spend", *RELATIONSHIP_STATES[:3])
            if not isinstance(tr, Mapping) or set(tr) != set(keys):
                _fail(where, tr, f"a mapping with exactly {', '.join(keys)}")
            for k in ("purchase_rate", "spend"):
                _positive(f"{where}.{k}", tr[k])
            _mix(where, {k: tr[k] for k in RELATIONSHIP_STATES[:3]})
        # Above +10,000 % a year the acquisition curve overflows a float.
        growth = "a growth rate > -1 and at most 100 (+10,000 % a year)"
        if not -1 < _num(f"{p}.growth_per_year", self.growth_per_year, growth) <= 100:
            _fail(f"{p}.growth_per_year", self.growth_per_year, growth)


@dataclass(frozen=True)
class Purchases(_Section):
    """The buy-till-you-die core (BG/NBD + Gamma-Gamma), rates per day, money in EUR."""

    _name = "purchases"
    r: float = 0.55  # purchase rate λ ~ Gamma(shape r, rate alpha), per day
    alpha: float = 110.0
    a: float = 0.9  # dropout p ~ Beta(a, b) after each purchase
    b: float = 3.2
    spend_p: float = 6.0  # order value z ~ Gamma(shape spend_p, rate ν)
    spend_q: float = 4.0  # ν ~ Gamma(shape spend_q, rate spend_gamma)
    spend_gamma: float = 180.0
    channel_mix: Mapping[str, float] = field(
        default_factory=lambda: {"store": 0.84, "ecommerce": 0.11, "social_commerce": 0.05}
    )
    channel_loyalty: float = 0.985  # chance an order uses the customer's usual channel
    traveller_share: float = 0.62  # customers who sometimes buy abroad
    travel_purchase_prob: float = 0.5  # a traveller's order is abroad with this chance
    discount_prob: float = 0.08
    discount_rate: float = 0.15
    gross_margin: float = 0.65
    # Calendar: purchase intensity by month (end-of-year peak, January and
    # July sales), the Lunar New Year peak for Chinese customers (its three
    # weeks, centred on the festival) and a yearly trend. All 1 = flat.
    seasonality: Mapping[str, float] = field(
        default_factory=lambda: {
            "jan": 1.15, "feb": 0.85, "mar": 0.9, "apr": 0.95, "may": 0.95, "jun": 1.0,
            "jul": 1.2, "aug": 0.85, "sep": 0.9, "oct": 0.95, "nov": 1.15, "dec": 1.55,
        }
    )  # fmt: skip
    lunar_new_year: float = 1.8
    trend_per_year: float = 0.0

    def validate(self, p: str) -> None:
        months = MONTHS
        table = self.seasonality
        if not isinstance(table, Mapping) or set(table) != set(months):
            _fail(f"{p}.seasonality", table, f"a multiplier for each month ({', '.join(months)})")
        for m in months:
            mult = "a multiplier > 0 and at most 5"
            if not 0 < _num(f"{p}.seasonality.{m}", table[m], mult) <= 5:
                _fail(f"{p}.seasonality.{m}", table[m], mult)
        lny = "a multiplier > 0 and at most 5"
        if not 0 < _num(f"{p}.lunar_new_year", self.lunar_new_year, lny) <= 5:
            _fail(f"{p}.lunar_new_year", self.lunar_new_year, lny)
        trend = "a yearly trend in [-0.5, 1]"
        if not -0.5 <= _num(f"{p}.trend_per_year", self.trend_per_year, trend) <= 1:
            _fail(f"{p}.trend_per_year", self.trend_per_year, trend)
        for name in ("r", "alpha", "a", "b", "spend_p", "spend_q", "spend_gamma"):
            _positive(f"{p}.{name}", getattr(self, name))
        if self.spend_q <= 1:  # a number: checked just above
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
    """How experiences move the relationship: the what-if levers.

    In the relationship-state model (``relationship.model: states``):
    ``retention_uplift`` cuts the hazard of being lost by this share;
    ``bad_service_churn`` multiplies the chance that a bad service contact or
    repair moves the relationship one step down; ``win_back_rate`` is the
    chance a win-back message revives a lost customer (an advisor's win-back
    call: three times it); ``advisor_responsive`` the share of reached clients
    who bring their next purchase forward. The loyalty programme's effect is
    ``loyalty.member_effect``. In the textbook cores (``bgnbd``,
    ``pareto_nbd``) every multiplier scales the dropout probability p after a
    purchase (the lifetime rate μ in ``pareto_nbd``), and ``retention_uplift``
    cuts p (μ); all at 1.0 with ``win_back_rate = 0`` is the pure core.
    """

    _name = "experience"
    bad_service_churn: float = 2.5  # after an abandoned or high-effort contact
    loyalty_member_churn: float = 0.8
    advisor_contact_churn: float = 0.8  # reached by an advisor since the last purchase
    retention_uplift: float = 0.0  # what-if: cut every dropout p by this share
    win_back_rate: float = 0.06  # a lapsed, truly lost customer is revived by a win-back action
    # Clienteling: this share of clients answer a reached advisor call by
    # bringing their next purchase forward into the attribution window.
    advisor_responsive: float = 0.12

    def validate(self, p: str) -> None:
        for name in ("bad_service_churn", "loyalty_member_churn", "advisor_contact_churn"):
            if not 0 <= _num(f"{p}.{name}", getattr(self, name), "a multiplier in [0, 10]") <= 10:
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
    # Personalisation: this share of messages is targeted (matched to the
    # recipient's segment, channel and interests). A relevant message is
    # opened and clicked more, unsubscribed from and reported as spam less.
    personalisation: float = 0.3
    relevance_open_lift: float = 1.4
    relevance_click_lift: float = 2.0
    relevance_complaint_cut: float = 0.3  # unsubscribe and spam complaints × this
    spam_complaint_rate: float = 0.002  # per delivered untargeted message

    def validate(self, p: str) -> None:
        _prob(f"{p}.personalisation", self.personalisation)
        for name in ("relevance_open_lift", "relevance_click_lift"):
            lift = "a lift from 1 to 10"
            if not 1 <= _num(f"{p}.{name}", getattr(self, name), lift) <= 10:
                _fail(f"{p}.{name}", getattr(self, name), lift)
        _prob(f"{p}.relevance_complaint_cut", self.relevance_complaint_cut)
        _prob(f"{p}.spam_complaint_rate", self.spam_complaint_rate)
        per_month = "a number of newsletters a month from 0 to 30"
        if not 0 <= _num(f"{p}.newsletters_per_month", self.newsletters_per_month, per_month) <= 30:
            _fail(f"{p}.newsletters_per_month", self.newsletters_per_month, per_month)
        _mix(f"{p}.newsletter_channel_mix", self.newsletter_channel_mix, MESSAGE_CHANNELS)
        allowed = JOURNEYS
        if not isinstance(self.triggered, tuple):
            _fail(
                f"{p}.triggered", self.triggered, f"a list of journeys among {', '.join(allowed)}"
            )
        for t in self.triggered:
            if not isinstance(t, str) or t not in allowed:
                _fail(f"{p}.triggered", t, f"journeys among {', '.join(allowed)}")
        for name in ("ab_test_share", "hard_bounce", "soft_bounce", "unsubscribe_rate"):
            _prob(f"{p}.{name}", getattr(self, name))
        for name in ("open_rate", "click_rate", "cost_per_message"):
            table = getattr(self, name)
            if not isinstance(table, Mapping):
                _fail(f"{p}.{name}", table, "a mapping of channel -> value")
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
        lapsed = f"more days than at_risk_days ({self.at_risk_days}), finite"
        if _num(f"{p}.lapsed_days", self.lapsed_days, lapsed) <= self.at_risk_days:
            _fail(
                f"{p}.lapsed_days",
                self.lapsed_days,
                f"more days than at_risk_days ({self.at_risk_days})",
            )


@dataclass(frozen=True)
class Service(_Section):
    """Contact centre, repair workshop and surveys."""

    _name = "service"
    agents: int = 5
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
        _non_negative(f"{p}.patience_minutes", self.patience_minutes)
        if self.patience_minutes == 0 and self.shared_traffic >= self.agents:
            # Nobody hangs up: a queue with more work than agents grows forever.
            _fail(
                f"{p}.shared_traffic",
                self.shared_traffic,
                f"fewer Erlangs than agents ({self.agents}) when callers never hang up",
            )
        _positive(f"{p}.open_hours", self.open_hours)
        _at_most(f"{p}.open_hours", self.open_hours, 24, "a number of hours > 0 and at most 24")
        _positive(f"{p}.handle_minutes", self.handle_minutes)
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
        if isinstance(self.high_effort, bool) or self.high_effort not in range(1, 8):
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
    # Share of advisors who work through the clienteling app (its day plan);
    # the others manage this share of the app users' tasks a day.
    app_adoption: float = 0.65
    offline_capacity: float = 0.5
    # Top clients (lifetime spend at or above this) are looked after by
    # advisors: a check-in every check_in_days, and no mass newsletters.
    top_client_spend: float = 3000.0
    check_in_days: float = 60.0

    def validate(self, p: str) -> None:
        _prob(f"{p}.app_adoption", self.app_adoption)
        _prob(f"{p}.offline_capacity", self.offline_capacity)
        _non_negative(f"{p}.top_client_spend", self.top_client_spend)
        _positive(f"{p}.check_in_days", self.check_in_days)
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
    # Who enrols chooses to: the log-odds of enrolling rise by this much per
    # step of relationship (cooling → engaged → committed) and per unit of
    # log spend scale. 0 = a coin flip with enrolment_prob.
    self_selection: float = 1.0
    # The programme's causal effect: a member's chance of moving down after
    # a neutral or negative impression is multiplied by this.
    member_effect: float = 0.8

    def validate(self, p: str) -> None:
        sel = "a log-odds slope in [0, 5]"
        if not 0 <= _num(f"{p}.self_selection", self.self_selection, sel) <= 5:
            _fail(f"{p}.self_selection", self.self_selection, sel)
        eff = "a multiplier in [0, 2]"
        if not 0 <= _num(f"{p}.member_effect", self.member_effect, eff) <= 2:
            _fail(f"{p}.member_effect", self.member_effect, eff)
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
        values = [
            _num(f"{p}.tier_thresholds.{k}", v, "a finite annual spend >= 0")
            for k, v in tiers.items()
        ]
        if min(values) != 0 or len(set(values)) != len(values):
            _fail(f"{p}.tier_thresholds", tiers, "distinct thresholds, the lowest at 0")


@dataclass(frozen=True)
class DataQuality(_Section):
    """Imperfect data: duplicate profiles and typo'd e-mail addresses."""

    _name = "data_quality"
    duplicate_share: float = 0.028  # people who register a second profile
    name_typo_prob: float = 0.5  # the duplicate's name is misspelt
    email_typo_prob: float = 0.015  # an address is registered with a typo

    def validate(self, p: str) -> None:
        for name in ("duplicate_share", "name_typo_prob", "email_typo_prob"):
            _prob(f"{p}.{name}", getattr(self, name))


_STATE_MAP_KEYS = RELATIONSHIP_STATES[:3]
MODELS = ("states", "bgnbd", "pareto_nbd")


def _state_map(path: str, table: Any, allowed: str, low: float, high: float) -> None:
    if not isinstance(table, Mapping) or set(table) != set(_STATE_MAP_KEYS):
        _fail(path, table, f"a value for each of {', '.join(_STATE_MAP_KEYS)}")
    for k in _STATE_MAP_KEYS:
        if not low <= _num(f"{path}.{k}", table[k], allowed) <= high:
            _fail(f"{path}.{k}", table[k], allowed)


@dataclass(frozen=True)
class Relationship(_Section):
    """The latent relationship each customer has with the brand, and what moves it.

    In the ``states`` model a customer is committed, engaged, cooling or
    lost. Every touchpoint leaves an impression; a positive one moves the
    state one step up with ``up_prob``, a neutral one one step down with
    ``down_prob`` and a negative one with ``down_prob * negative_factor``
    (one step down from cooling is lost). Without touchpoints a relationship
    cools at ``cooling_per_year``. The state sets the purchase rate (times the
    person's own Gamma rate), the continuous-time hazard of being lost,
    how often messages are answered and how many referrals the customer
    makes. ``bgnbd`` is the textbook BG/NBD core (dropout right after a
    purchase) and ``pareto_nbd`` the Pareto/NBD one (exponential lifetimes,
    μ ~ Gamma(lifetime_s, lifetime_beta) per day); neither has states.
    """

    _name = "relationship"
    model: str = "states"
    purchase_multiplier: Mapping[str, float] = field(
        default_factory=lambda: {"committed": 1.5, "engaged": 1.0, "cooling": 0.45}
    )
    lost_per_year: Mapping[str, float] = field(
        default_factory=lambda: {"committed": 0.04, "engaged": 0.18, "cooling": 0.9}
    )
    cooling_per_year: Mapping[str, float] = field(
        default_factory=lambda: {"committed": 0.35, "engaged": 0.35, "cooling": 0.0}
    )
    response_multiplier: Mapping[str, float] = field(
        default_factory=lambda: {"committed": 1.4, "engaged": 1.0, "cooling": 0.6}
    )
    referrals_per_year: Mapping[str, float] = field(
        default_factory=lambda: {"committed": 0.25, "engaged": 0.05, "cooling": 0.0}
    )
    up_prob: float = 0.15
    down_prob: float = 0.03
    negative_factor: float = 8.0
    purchase_delight: float = 0.4  # a purchase leaves a positive impression, else neutral
    lifetime_s: float = 0.8
    lifetime_beta: float = 900.0

    def validate(self, p: str) -> None:
        if self.model not in MODELS:
            _fail(f"{p}.model", self.model, f"one of {', '.join(MODELS)}")
        _state_map(
            f"{p}.purchase_multiplier",
            self.purchase_multiplier,
            "a multiplier in (0, 10]",
            1e-9,
            10,
        )
        _state_map(f"{p}.lost_per_year", self.lost_per_year, "a yearly hazard in [0, 50]", 0, 50)
        _state_map(
            f"{p}.cooling_per_year", self.cooling_per_year, "a yearly rate in [0, 50]", 0, 50
        )
        _state_map(
            f"{p}.response_multiplier", self.response_multiplier, "a multiplier in [0, 10]", 0, 10
        )
        _state_map(
            f"{p}.referrals_per_year", self.referrals_per_year, "a yearly rate in [0, 20]", 0, 20
        )
        for name in ("up_prob", "down_prob", "purchase_delight"):
            _prob(f"{p}.{name}", getattr(self, name))
        factor = f"a factor >= 1 with down_prob * factor <= 1 (down_prob is {self.down_prob})"
        nf = _num(f"{p}.negative_factor", self.negative_factor, factor)
        if nf < 1 or nf * self.down_prob > 1:
            _fail(f"{p}.negative_factor", self.negative_factor, factor)
        _positive(f"{p}.lifetime_s", self.lifetime_s)
        _positive(f"{p}.lifetime_beta", self.lifetime_beta)

    @property
    def states(self) -> bool:
        """True in the relationship-state model (False for the textbook cores)."""
        return self.model == "states"


@dataclass(frozen=True)
class Markets(_Section):
    """Home countries grouped into regional markets, each with its own service teams.

    A customer belongs to the market of their home country (the country's
    region in :mod:`sim.geography`, unless ``countries`` moves it). Each
    market has its own contact centre, repair workshop and advisor desk; the
    brand-level ``service.agents``, ``service.shared_traffic``, the workshop's
    benches and ``advisors.advisors`` are split across markets in proportion
    to each market's expected share of customers (largest remainders), every
    market with customers keeping at least one agent and one bench. ``agents``
    staffs named markets' contact centres exactly (market -> agents, at least
    one); the markets it omits keep their share of ``service.agents``. The
    scale of a run is sharded by market.
    """

    _name = "markets"
    names: tuple[str, ...] = MARKETS
    countries: Mapping[str, str] = field(default_factory=dict)  # country -> market overrides
    # market -> agents of its contact centre; omitted markets: their share of service.agents
    agents: Mapping[str, int] = field(default_factory=dict)

    def _normalise(self) -> None:
        # The markets' order, whatever order they were written in: equal staffing is an
        # equal (and equally hashed) scenario. Unknown names stay, last, for validate.
        if isinstance(self.agents, Mapping) and self.agents:
            known = (
                [m for m in self.names if m in self.agents] if isinstance(self.names, tuple) else []
            )
            order = known + [m for m in self.agents if m not in known]
            whole = {
                m: int(v) if isinstance(v, float) and v.is_integer() else v
                for m, v in ((m, self.agents[m]) for m in order)
            }
            object.__setattr__(self, "agents", FrozenMap(whole))

    def validate(self, p: str) -> None:
        if not isinstance(self.names, tuple) or not self.names:
            _fail(f"{p}.names", self.names, "a non-empty list of market names")
        for name in self.names:
            if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                _fail(f"{p}.names", name, "names of lower-case letters, digits and _")
        if len(set(self.names)) != len(self.names):
            _fail(f"{p}.names", list(self.names), "distinct names")
        if not isinstance(self.countries, Mapping):
            _fail(f"{p}.countries", self.countries, "a mapping of country code -> market")
        known = set(country_codes())
        for code, market in self.countries.items():
            if code not in known:
                _fail(f"{p}.countries.{code}", market, "a known ISO country code as key")
            if market not in self.names:
                _fail(f"{p}.countries.{code}", market, f"a market among {', '.join(self.names)}")
        for code in country_codes():
            if self.market_of(code) not in self.names:
                _fail(
                    f"{p}.countries.{code}",
                    self.market_of(code),
                    f"a market among {', '.join(self.names)} (its region is not a market)",
                )
        if not isinstance(self.agents, Mapping):
            _fail(f"{p}.agents", self.agents, "a mapping of market -> agents")
        for market, n in self.agents.items():
            if market not in self.names:
                _fail(f"{p}.agents.{market}", n, f"a market among {', '.join(self.names)} as key")
            _count(f"{p}.agents.{market}", n, minimum=1)

    def market_of(self, code: str) -> str:
        """The market of home country ``code``."""
        return self.countries.get(code) or market_of(code)


#: Fields left out of :meth:`Scenario.to_dict` while empty: added after datasets were
#: published, so their manifests (and the bytes written from them) stay as they were.
_OMIT_EMPTY = frozenset({("markets", "agents")})

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
    "relationship": Relationship,
    "markets": Markets,
}


@dataclass(frozen=True)
class Scenario:
    """All parameters of one simulated brand. Sections validate themselves.

    Immutable and hashable: equal scenarios hash equal, so a scenario (with a
    seed) can key a cache of runs.
    """

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
    relationship: Relationship = field(default_factory=Relationship)
    markets: Markets = field(default_factory=Markets)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
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
            out[key] = {
                f.name: _plain(getattr(section, f.name))
                for f in fields(section)
                if (key, f.name) not in _OMIT_EMPTY or getattr(section, f.name)
            }
        return out

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new scenario with nested overrides, e.g. ``{"service": {"agents": 5}}``."""
        return _apply(self, overrides)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build from a nested dict (missing fields keep their defaults)."""
        return _apply(cls(), data)


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
            raise ScenarioError(f"{key} must be a mapping of field -> value, got {_show(value)}")
        section = getattr(base, key)
        names = {f.name for f in fields(section)}
        for fname in value:
            if fname not in names:
                raise ScenarioError(
                    f"{key}.{fname} is not a known field: expected one of {', '.join(sorted(names))}"
                )
        try:  # the section freezes and validates the new values itself
            changes[key] = dataclasses.replace(section, **value)
        except TypeError as err:  # e.g. a wrong type reaching a comparison
            raise ScenarioError(f"{key}: {err}") from None
    return dataclasses.replace(base, **changes)


# --------------------------------------------------------------------------- changes
#: Scenario fields added, renamed, removed or given a new meaning by the
#: relationship-state brand: (field, change, what it means now).
FIELD_CHANGES: tuple[tuple[str, str, str], ...] = (
    ("relationship", "new section", "latent relationship states and what moves them; model: states, bgnbd or pareto_nbd"),
    ("markets", "new section", "home countries grouped into markets, each with its own contact centre, workshop and advisors"),
    ("acquisition.budget", "new", "paid spend relative to the baseline; paid leads grow as budget ** saturation"),
    ("acquisition.saturation", "new", "diminishing returns of paid spend (replaces the what-if studio's acquisition_elasticity assumption)"),
    ("acquisition.channel_traits", "new", "each channel's purchase-rate and spend multipliers and starting relationship mix"),
    ("acquisition.detractor_penalty", "new", "word of mouth against: detractors put leads in their market off"),
    ("acquisition.seasonality_weight", "new", "lead volume follows the purchase calendar to this power"),
    ("acquisition.channel_mix.referral", "new meaning", "0 by default: referral customers come on top, from recommendations made during the run"),
    ("purchases.seasonality", "new", "purchase intensity by month"),
    ("purchases.lunar_new_year", "new", "Chinese customers' purchase peak around the Lunar New Year"),
    ("purchases.trend_per_year", "new", "yearly trend of purchase intensity"),
    ("purchases.a, purchases.b", "new meaning", "the BG/NBD dropout p ~ Beta(a, b): used by relationship.model bgnbd only"),
    ("campaigns.personalisation", "new", "share of messages targeted to the recipient"),
    ("campaigns.relevance_open_lift, relevance_click_lift, relevance_complaint_cut", "new", "what a targeted message does to opens, clicks, unsubscribes and spam complaints"),
    ("campaigns.spam_complaint_rate", "new", "spam complaints per delivered untargeted message (a new message outcome)"),
    ("advisors.app_adoption, offline_capacity", "new", "share of advisors on the clienteling app; the others' daily capacity"),
    ("advisors.top_client_spend, check_in_days", "new", "top clients are looked after by advisors (check-ins), not newsletters"),
    ("loyalty.self_selection", "new", "enrolment rises with engagement and spend (members are self-selected)"),
    ("loyalty.member_effect", "new", "the programme's causal effect on members' chance of cooling and of being lost"),
    ("loyalty.enrolment_prob", "new meaning", "the enrolment chance of an average engaged customer (before self-selection)"),
    ("experience.retention_uplift", "new meaning", "a relative cut of the hazard of being lost (of the dropout p in bgnbd)"),
    ("experience.bad_service_churn", "new meaning", "multiplies the chance a bad contact or repair moves the relationship down"),
    ("experience.loyalty_member_churn, advisor_contact_churn", "new meaning", "used by the textbook cores (bgnbd, pareto_nbd) only"),
    ("service.agents, shared_traffic, workshop_benches_per_10k; advisors.advisors", "new meaning", "brand totals split across markets by expected customers (largest remainders, at least one agent and bench per market)"),
    ("markets.agents", "new", "agents of named markets' contact centres (market -> agents, at least 1); the markets it omits keep their share of service.agents"),
)  # fmt: skip


# --------------------------------------------------------------------------- presets
_NEUTRAL_TRAITS = {
    "purchase_rate": 1.0,
    "spend": 1.0,
    "committed": 0.0,
    "engaged": 1.0,
    "cooling": 0.0,
}
_TEXTBOOK: dict[str, Any] = {
    "experience": {
        "bad_service_churn": 1.0,
        "loyalty_member_churn": 1.0,
        "advisor_contact_churn": 1.0,
        "retention_uplift": 0.0,
        "win_back_rate": 0.0,
        "advisor_responsive": 0.0,
    },
    "purchases": {"seasonality": FLAT_MONTHS, "lunar_new_year": 1.0, "trend_per_year": 0.0},
    "acquisition": {
        "channel_traits": {ch: _NEUTRAL_TRAITS for ch in ACQUISITION_CHANNELS},
        "seasonality_weight": 0.0,
        "detractor_penalty": 0.0,
    },
}
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
                "paid_search": 0.45,
                "social": 0.35,
                "tv": 0.10,
                "referral": 0.0,
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
        "service": {"agents": 12, "contact_prob": 0.12, "repair_prob": 0.0},
        "advisors": {"advisors": 0, "tasks_per_day": 0, "event_invites_per_month": 0},
        "loyalty": {"points_per_eur": 1.0, "reward_threshold": 200, "point_value": 0.01},
    },
    "pure_bgnbd": {
        # The textbook BG/NBD core alone: dropout right after a purchase, no
        # relationship states, flat calendar, every channel alike, no
        # experience effect, no win-back. Checks the simulation against the
        # BG/NBD closed form.
        "name": "pure_bgnbd",
        "relationship": {"model": "bgnbd"},
        **_TEXTBOOK,
    },
    "pure_pareto_nbd": {
        # The Pareto/NBD core: exponential lifetimes (μ ~ Gamma(s, β)) that
        # can end between purchases; otherwise as pure_bgnbd. Checks the
        # simulation against the Pareto/NBD closed forms.
        "name": "pure_pareto_nbd",
        "relationship": {"model": "pareto_nbd"},
        **_TEXTBOOK,
    },
    "luxury_group": {
        # The course's brand at a group's scale (the default preset is it at
        # course size), calibrated to the luxury group's deck: see
        # sim.calibration_report.
        "name": "luxury_group",
        "population": {"customers": 200_000},
    },
}


def preset_names() -> list[str]:
    """Names accepted by :func:`preset`."""
    return list(_PRESETS)


def preset(name: str = "default") -> Scenario:
    """A named scenario: ``default`` (the luxury group at course size), ``luxury_group``,
    ``mass_market`` (the contrast) and the validation cores ``pure_bgnbd``, ``pure_pareto_nbd``."""
    if not isinstance(name, str) or name not in _PRESETS:
        raise ScenarioError(f"unknown preset {_show(name)}: expected one of {', '.join(_PRESETS)}")
    return _preset(name)


@functools.cache
def _preset(name: str) -> Scenario:
    # Scenarios are immutable, so one instance per preset can be shared.
    return Scenario().with_overrides(_PRESETS[name])


# --------------------------------------------------------------------------- files
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


def _names_a_file(text: str) -> bool:
    """The rule: a .yaml/.yml/.json suffix or a path separator makes an argument a file."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return text.lower().endswith(SCENARIO_SUFFIXES) or any(s in text for s in separators)


def resolve_scenario(text: str | os.PathLike[str]) -> tuple[Scenario, str]:
    """The scenario an argument names, and which one was used.

    The rule, so that a file is never mistaken for a preset or the other way
    round: text ending in ``.yaml``, ``.yml`` or ``.json``, or containing a
    path separator, is a file (``./default`` is the file *default*); anything
    else is a preset name. A :class:`os.PathLike` is always a file.

    Returns
    -------
    tuple
        ``(scenario, used)`` where ``used`` is ``"preset <name>"`` or
        ``"file <absolute path>"``, for the run's summary.

    Raises
    ------
    ScenarioError
        Unknown preset (listing the presets), missing or unreadable file, a
        file that is not UTF-8, does not parse, repeats a key or holds a bad
        value.
    """
    if isinstance(text, os.PathLike):
        path = Path(text)
    elif isinstance(text, str) and text.strip():
        if not _names_a_file(text):
            if text not in _PRESETS:
                raise ScenarioError(
                    f"scenario {text!r} is not a preset: expected one of {', '.join(_PRESETS)}, "
                    "or a file ending in .yaml, .yml or .json (or written with a path, ./name)"
                )
            return preset(text), f"preset {text}"
        path = Path(text)
    else:
        raise ScenarioError(
            f"scenario = {_show(text)} is not allowed: expected a preset name "
            f"({', '.join(_PRESETS)}) or the path of a .yaml, .yml or .json file"
        )
    path = path.expanduser()
    return _load_file(path), f"file {path.resolve()}"


def load_scenario(source: str | os.PathLike[str]) -> Scenario:
    """A preset by name, or a YAML/JSON file of overrides (see :func:`resolve_scenario`).

    A file may name a ``preset`` to start from (default ``default``); every
    other key overrides that preset's sections.
    """
    return resolve_scenario(source)[0]


def _load_file(path: Path) -> Scenario:
    if not path.exists():
        raise ScenarioError(f"scenario file {str(path)!r} does not exist")
    if not path.is_file():
        raise ScenarioError(f"scenario file {str(path)!r} is not a file")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read the scenario file ({err.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors) is fine
    except UnicodeDecodeError as err:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte 0x{raw[err.start]:02x} at position {err.start}); "
            "save the scenario file as UTF-8"
        ) from None
    data = _parse_json(path, text) if path.suffix.lower() == ".json" else _parse_yaml(path, text)
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"{path}: a scenario file must hold a mapping of sections, got {type(data).__name__}"
        )
    data = dict(data)
    base_name = data.pop("preset", "default")
    if not isinstance(base_name, str) or base_name not in _PRESETS:
        raise ScenarioError(
            f"{path}: preset = {_show(base_name)} is not allowed: expected one of {', '.join(_PRESETS)}"
        )
    data.setdefault("name", path.stem)
    return preset(base_name).with_overrides(data)


class _DuplicateKey(Exception):
    """A mapping in a scenario file repeats a key (raised from inside the parser)."""


def _parse_json(path: Path, text: str) -> Any:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise _DuplicateKey(f"duplicate key {key!r}: each key may appear once")
            out[key] = value
        return out

    try:
        return json.loads(text, object_pairs_hook=unique)
    except _DuplicateKey as err:
        raise ScenarioError(f"{path}: {err}") from None
    except json.JSONDecodeError as err:
        raise ScenarioError(
            f"{path}: line {err.lineno}: cannot parse scenario file ({err.msg})"
        ) from None


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """SafeLoader that refuses a key repeated in one mapping (PyYAML keeps the last)."""

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<' merges may override on purpose
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.get(key)
                except TypeError:
                    continue  # unhashable: the parent raises its own clear error
                if first is not None:
                    raise _DuplicateKey(
                        f"line {line}: duplicate key {key!r} (first on line {first}): "
                        "each key may appear once"
                    )
                seen[key] = line
            return super().construct_mapping(node, deep=deep)

    try:
        return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader subclass: safe
    except _DuplicateKey as err:
        raise ScenarioError(f"{path}: {err}") from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        what = " ".join(str(x) for x in (err.context, err.problem) if x)
        raise ScenarioError(f"{path}: {where}cannot parse scenario file ({what})") from None
    except yaml.YAMLError as err:
        raise ScenarioError(
            f"{path}: cannot parse scenario file ({' '.join(str(err).split())})"
        ) from None


# --------------------------------------------------------------------------- size of a run
# Bytes of peak memory (max RSS of a process running sim.simulate) per row of
# each kind, fitted (least squares on relative error) to 15 measured runs of
# varied scenarios, 1,000 to 300,000 customers: the presets, 10 years, many
# candidate purchases, no dropout, 20 or 0 newsletters a month, 1 % lead
# conversion, a contact per order. Every fitted run is within 7 % of its
# measured peak (300k customers: 4.14 GB measured). A row's figure covers
# everything that row brings along (a message's share of the touchpoints
# table, an order's ledger entries, surveys, SimPy events, ...); the base is
# the interpreter, the libraries and the data layer's fixed cost.
_BASE_BYTES = 251e6
_BYTES_PER = {
    "profiles": 2_210.0,
    "candidates": 426.0,  # every candidate purchase is drawn up front (~30 columns)
    "orders": 1_035.0,
    "messages": 228.0,
    "leads": 304.0,
    "tickets": 896.0,
    # A day's calls from the other brands are scheduled at once (measured
    # with a million calls in one day).
    "shared_calls_per_day": 700.0,
}
_DRAW_SAMPLE = 2048  # people drawn to average the purchase core over (λ, p)
_AGE_POINTS = 64  # quantiles of the acquisition day


@dataclass(frozen=True)
class RunSize:
    """How big a run of a scenario would be: expected rows and peak memory.

    Estimated from the scenario alone by :func:`estimate_run`, in a few
    milliseconds whatever the size, so that a run too big for the machine is
    refused before it starts (:func:`check_fits`).

    Attributes
    ----------
    customers
        Customer profiles, duplicates included.
    candidates
        Candidate purchases drawn up front (every purchase each person would
        make if they never left): what the purchase core holds in memory.
    orders, messages, tickets, touchpoints, leads
        Expected rows of those tables.
    calls
        Phone calls of the brand's own customers.
    shared_calls_per_day, shared_calls
        Calls from the group's other brands (``service.shared_traffic``): a
        day's worth exist at once, the total sets the run time.
    peak_bytes
        Estimated peak memory of :func:`sim.simulate`, in bytes.
    parts
        ``peak_bytes`` split by row kind (plus ``base``), bytes.
    """

    customers: int
    candidates: int
    orders: int
    messages: int
    tickets: int
    calls: int
    shared_calls_per_day: int
    shared_calls: int
    touchpoints: int
    leads: int
    peak_bytes: int
    parts: FrozenMap = field(default_factory=FrozenMap)

    @property
    def largest(self) -> str:
        """The row kind that needs the most memory (a key of :attr:`parts`)."""
        return max((k for k in self.parts if k != "base"), key=self.parts.__getitem__)

    def describe(self) -> str:
        """A few lines: expected rows and peak memory."""
        lines = [
            f"customers (with duplicates) {_amount(self.customers)}",
            f"candidate purchases         {_amount(self.candidates)}",
            f"orders                      {_amount(self.orders)}",
            f"messages                    {_amount(self.messages)}",
            f"tickets (calls {_amount(self.calls)})".ljust(28) + _amount(self.tickets),
            f"other brands' calls         {_amount(self.shared_calls)}"
            f" ({_amount(self.shared_calls_per_day)} a day)",
            f"touchpoints                 {_amount(self.touchpoints)}",
            f"leads                       {_amount(self.leads)}",
            f"peak memory                 about {_bytes(self.peak_bytes)}",
        ]
        return "\n".join(lines)


def _whole(x: float) -> int:
    """A non-negative expected count as an int (astronomic or undefined ones capped)."""
    if not x > 0:
        return 0
    return int(min(x, 1e30))


def _amount(n: float) -> str:
    """A count for people: 1,234,567 / about 40 billion / 1e+24."""
    if n < 1e7:
        return f"{int(n):,}"
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if n >= size:
            return f"{n / size:,.3g} {word}" if n < size * 1e4 else f"{n:.2g}"
    return f"{n:,.0f}"  # pragma: no cover


def _bytes(n: float) -> str:
    """Bytes in GB (or MB below one GB), 1 GB = 10**9 bytes."""
    if n < 1e9:
        return f"{n / 1e6:,.0f} MB"
    gb = n / 1e9
    return f"{gb:,.3g} GB" if gb < 100 else (f"{gb:,.0f} GB" if gb < 1e7 else f"{gb:.2g} GB")


def _phi(k: Any, x: Any) -> Any:
    """(1 - exp(-k·x)) / k, which tends to x as k -> 0 (numpy, elementwise)."""
    import numpy as np

    kx = k * x
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(kx < 1e-9, x * (1.0 - kx / 2.0), -np.expm1(-kx) / k)
    return out


def _acquisition_day(u: Any, horizon: float, growth_per_year: float) -> Any:
    """Acquisition day at quantile ``u``: volume grows by ``growth_per_year`` a year.

    The inverse CDF :func:`sim.world.purchases.acquisition_day` draws with
    (restated here, not imported: the world imports this module, and a test
    checks the two agree).
    """
    import numpy as np

    if abs(growth_per_year) < 1e-12:
        return u * horizon
    k = np.log1p(growth_per_year) / 365.0
    return np.log1p(u * np.expm1(k * horizon)) / k


def _chinese_share(sc: Scenario) -> float:
    """Share of Chinese nationals in the nationality mix."""
    from sim.geography import default_nationality_mix

    mix = dict(sc.population.nationality_mix or default_nationality_mix())
    return mix.get("CN", 0.0) / max(sum(mix.values()), 1e-12)


def _relationship_core(sc: Scenario, lam: Any, ages: Any) -> dict[str, Any]:
    """Expected purchases, living days and more by age, in the relationship-state model.

    The states form a continuous-time Markov chain (impressions from purchases
    and from bad service contacts, drift, the hazard of being lost), solved on
    a time grid for each purchase rate in ``lam``; results are interpolated at
    ``ages`` and have shape ``(len(lam), len(ages))``.
    """
    import numpy as np
    from scipy.linalg import expm

    rel, ex, sv, lo, ac = sc.relationship, sc.experience, sc.service, sc.loyalty, sc.acquisition
    states = RELATIONSHIP_STATES[:3]
    m = np.array([rel.purchase_multiplier[x] for x in states])
    member = lo.enrolment_prob if lo.enabled else 0.0
    soften = 1.0 - member * (1.0 - lo.member_effect)
    h = np.array([rel.lost_per_year[x] for x in states]) / 365.0 * (1 - ex.retention_uplift)
    d = np.array([rel.cooling_per_year[x] for x in states]) / 365.0 * soften
    h = h * soften
    # Per purchase: its own impression, and those of the service contact it
    # may set off (about a quarter bad, four in ten easy).
    up = (rel.purchase_delight + 0.4 * sv.contact_prob) * rel.up_prob
    bad = (
        sv.contact_prob
        * 0.25
        * min(1.0, rel.down_prob * rel.negative_factor * ex.bad_service_churn)
    )
    # Clicks on messages (a positive impression a day, roughly).
    ca = sc.campaigns
    click = (
        ca.newsletters_per_month / 30.4375 * 0.6 * ca.open_rate["email"] * ca.click_rate["email"]
    )
    down = ((1 - rel.purchase_delight) * rel.down_prob + bad) * soften
    mix = np.zeros(3)
    for ch, w in ac.channel_mix.items():
        tr = ac.channel_traits[ch]
        mix += w * np.array([tr[x] for x in states])
    mix /= mix.sum()
    top = float(np.max(ages)) if np.size(ages) else 0.0
    steps = 64
    grid = np.linspace(0.0, max(top, 1e-9), steps + 1)
    dt = grid[1] - grid[0]
    names = ("purchases", "alive", "referrals", "cooling", "engaged")
    out = {k: np.zeros((len(lam), len(ages))) for k in names}
    lapse = sc.campaigns.lapsed_days
    ref = np.array([rel.referrals_per_year[x] for x in states]) / 365.0
    for a, rate in enumerate(np.asarray(lam, dtype=float)):
        q = np.zeros((4, 4))
        for i in range(3):
            buy = rate * m[i]
            q[i, 3] += h[i]
            q[i, i + 1] += d[i] + buy * down
            if i > 0:
                q[i, i - 1] += buy * up + click * rel.response_multiplier[states[i]] * rel.up_prob
        q -= np.diag(q.sum(axis=1))
        step = expm(q * dt)
        prob = np.empty((steps + 1, 4))
        prob[0] = np.concatenate([mix, [0.0]])
        for k in range(steps):
            prob[k + 1] = prob[k] @ step
        alive3 = prob[:, :3]

        def cum(f: Any) -> Any:
            return np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) / 2.0 * dt)])

        out["purchases"][a] = np.interp(ages, grid, cum(rate * alive3 @ m))
        out["alive"][a] = np.interp(ages, grid, cum(alive3.sum(axis=1)))
        out["referrals"][a] = np.interp(ages, grid, cum(alive3 @ ref))
        out["cooling"][a] = np.interp(ages, grid, cum(alive3[:, 2]))
        # Engaged (bought within lapsed_days): the first lapsed_days, then
        # while alive and a purchase fell in the window.
        window = alive3 @ -np.expm1(-rate * m * lapse)
        out["engaged"][a] = np.minimum(ages, lapse) + np.interp(
            np.maximum(ages - lapse, 0.0), grid, cum(window)
        )
    return out


def estimate_run(scenario: Scenario) -> RunSize:
    """Expected size of a run of ``scenario``: rows of each kind and peak memory.

    The purchase core sets most of it: each person buys at the times of a
    Poisson(λ) process, λ ~ Gamma(r, alpha) a day, and the world draws every
    candidate purchase of the horizon up front, so memory follows
    ``customers · (1 + r/alpha · remaining days)`` candidate rows. Orders are
    the BG/NBD expectation ``(1 − exp(−λ·p·t)) / p`` per person (dropout p ~
    Beta(a, b), scaled by the experience levers), messages follow the
    consenting, engaged base (a purchase within ``lapsed_days``) times the
    newsletters sent, plus the triggered journeys, and the other brands'
    calls come ``shared_traffic · open_hours · 60 / handle_minutes`` a day.
    In the relationship-state model the states are a continuous-time Markov
    chain per purchase rate (:func:`_relationship_core`), with the
    impressions' rates approximated. Averages use a fixed sample, so the
    estimate is deterministic; measured runs of the presets are within about
    20 % of it for orders and tickets (it errs low), 15 % for messages and
    5 % for customers.

    >>> size = estimate_run(preset("default"))
    >>> 50_000 < size.orders < 65_000
    True
    """
    import numpy as np

    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario, got {type(scenario).__name__}")
    sc = scenario
    rel = sc.relationship
    pop, ac, pu, ex, ca, sv, ad, lo, dq = (
        sc.population, sc.acquisition, sc.purchases, sc.experience, sc.campaigns,
        sc.service, sc.advisors, sc.loyalty, sc.data_quality,
    )  # fmt: skip
    n = float(pop.customers)
    horizon = sc.horizon_days
    # Time each customer has left after acquisition, at quantiles of the acquisition day.
    u = (np.arange(_AGE_POINTS) + 0.5) / _AGE_POINTS
    left = np.maximum(horizon - _acquisition_day(u, horizon, ac.growth_per_year), 0.0)
    mean_left = float(left.mean())

    # Candidate purchases: exact expectation, E[λ] = r / alpha. Blocks of BLOCK
    # people are drawn whole, so a small population still draws one block.
    # Thinning: candidates are drawn at the highest intensity (the best state's
    # multiplier, the calendar's peak; Chinese customers' peak has the Lunar New Year).
    ceiling = 1.0
    if rel.states:
        month = np.array([pu.seasonality[x] for x in MONTHS])
        peak = float(np.max(month / month.mean())) * (1 + max(pu.trend_per_year, 0.0)) ** (
            horizon / 365.0
        )
        cn = _chinese_share(sc)
        # The festival falls in late January or February.
        lny = float(np.max(month[:2] / month.mean())) * pu.lunar_new_year
        ceiling = max(rel.purchase_multiplier.values()) * (cn * max(peak, lny) + (1 - cn) * peak)
        traits = ac.channel_traits
        total = sum(ac.channel_mix.values())
        ceiling *= sum(traits[c]["purchase_rate"] * w for c, w in ac.channel_mix.items()) / total
    grow = ac.budget**ac.saturation
    paid = sum(w for c, w in ac.channel_mix.items() if c in PAID_CHANNELS) / sum(
        ac.channel_mix.values()
    )
    n = n * (1.0 - paid + paid * grow)
    cand_per_person = 1.0 + pu.r / pu.alpha * ceiling * mean_left
    candidates = n * cand_per_person
    drawn = candidates

    # The purchase core, averaged over a fixed sample of people and ages.
    rng = np.random.default_rng(20_240_601)
    with np.errstate(all="ignore"):
        lam = rng.standard_gamma(pu.r, _DRAW_SAMPLE)[:, None] / pu.alpha
        p = rng.beta(pu.a, pu.b, _DRAW_SAMPLE)[:, None]
        # Experience levers scale each dropout: loyalty members and uplift
        # keep customers, a bad service contact (about a quarter of contacts)
        # adds (bad_service_churn - 1) · p.
        member = lo.enrolment_prob if lo.enabled else 0.0
        keep = (1.0 - ex.retention_uplift) * (1.0 + member * (ex.loyalty_member_churn - 1.0))
        bad = 0.25 * sv.contact_prob * max(ex.bad_service_churn - 1.0, 0.0)
        p_eff = np.minimum(p * (keep + bad), 1.0)
        t = left[None, :]
        lapse = ca.lapsed_days
        after = np.maximum(t - lapse, 0.0)
        referred = 0.0
        if rel.states:
            # The state model: a Markov chain over the relationship states,
            # for quantiles of λ (the channel's purchase-rate multiplier included).
            rate = (
                np.mean(
                    [ac.channel_traits[c]["purchase_rate"] * w for c, w in ac.channel_mix.items()]
                )
                / max(sum(ac.channel_mix.values()), 1e-12)
                * len(ac.channel_mix)
            )
            lam_q = np.quantile(lam[:, 0], (np.arange(16) + 0.5) / 16) * rate
            core = _relationship_core(sc, lam_q, left)
            repeat = core["purchases"]
            alive_days = core["alive"]
            engaged = core["engaged"]
            lapsed_share = float(np.mean(alive_days + lapse < t))
            # Word of mouth: detractors put some leads off, referrals add friends
            # (who join later: about half the time left).
            cooling = float(np.nan_to_num(core["cooling"].sum() / max(alive_days.sum(), 1e-12)))
            cooling = min(max(cooling, 0.0), 1.0)
            n_conv = n * (1.0 - ac.detractor_penalty * cooling)
            referred = n_conv * float(core["referrals"].mean())
            mean_repeat = float(np.nan_to_num(repeat.mean(), nan=np.inf))
            orders_pp = 1.0 + mean_repeat
            n_all = n_conv + float(np.nan_to_num(referred, nan=0.0))
            friends = n_all - n_conv
            orders = n_conv * orders_pp + (friends * (1.0 + 0.5 * mean_repeat) if friends else 0.0)
            orders = min(orders, candidates)
        else:
            repeat = lam * _phi(lam * p_eff, t)  # E[X(t) | λ, p] of BG/NBD
            if rel.model == "pareto_nbd":
                mu = rng.standard_gamma(rel.lifetime_s, _DRAW_SAMPLE)[:, None] / rel.lifetime_beta
                mu = mu * (1.0 - ex.retention_uplift)
                repeat = lam * _phi(mu, t)  # E[X(t) | λ, μ] of Pareto/NBD
            orders_pp = 1.0 + float(np.nan_to_num(repeat.mean(), nan=np.inf))
            n_all = n_conv = n
            orders = min(n * orders_pp, candidates)
            # Engaged (bought within lapsed_days) days of a customer over the horizon:
            # all of the first lapsed_days, then exp(-λp(a - L)) · (1 - exp(-λL)) at age a.
            engaged = np.minimum(t, lapse) + -np.expm1(-lam * lapse) * _phi(lam * p_eff, after)
            lapsed_share = float(
                np.nan_to_num(
                    np.where(
                        t > lapse, 1.0 - np.exp(-lam * p_eff * after) * -np.expm1(-lam * lapse), 0
                    ).mean(),
                    nan=1.0,
                )
            )
        engaged_days = float(np.nan_to_num(np.mean(engaged), nan=mean_left))
        at_risk_share = float(
            np.nan_to_num(
                np.where(
                    t > ca.at_risk_days,
                    np.exp(-lam * ca.at_risk_days) * orders_pp,
                    0,
                ).mean(),
                nan=0.0,
            )
        )
        # Order values (Gamma-Gamma) for the share of orders worth a thank-you call.
        nu = rng.standard_gamma(pu.spend_q, _DRAW_SAMPLE) / pu.spend_gamma
        value = rng.standard_gamma(pu.spend_p, _DRAW_SAMPLE) / nu
        big_share = float(np.mean(value >= ad.thank_you_threshold))
        # At risk, a client worth the threshold over all their orders gets a call.
        valuable = float(np.mean(value * orders_pp >= ad.thank_you_threshold))

    # Profiles: a duplicate registers 20-400 days after the first purchase.
    dup_in_time = float(np.clip((left - 20.0) / 380.0, 0.0, 1.0).mean())
    profiles = n_all * (1.0 + dq.duplicate_share * dup_in_time)

    # Messages: triggered journeys go to any reachable profile, newsletters to
    # the engaged profiles reachable on the newsletter's channel.
    consent = {"email": pop.consent_email, "sms": pop.consent_sms, "social": pop.consent_social}
    reach_any = (1.0 - math.prod(1.0 - c for c in consent.values())) * (1.0 - pop.opt_out)
    journeys = set(ca.triggered)
    triggered = reach_any * (
        profiles * ("welcome" in journeys)
        + orders * ("thank_you" in journeys)
        + orders * sv.repair_prob * 2.2 * ("repair_update" in journeys)
        + n * lapsed_share * ("win_back" in journeys)
        + profiles * mean_left / 365.25 * ("birthday" in journeys)
    )
    per_day = ca.newsletters_per_month / 30.4375
    fatigue = 1.0 + ca.fatigue * max(ca.newsletters_per_month - 1.0, 0.0)
    newsletters = 0.0
    clicks = 0.0
    for ch, w in ca.newsletter_channel_mix.items():
        reach = consent.get(ch, 0.0) * (1.0 - pop.opt_out)
        loss = min(ca.unsubscribe_rate * fatigue, 1.0)
        if ch == "email":
            reach *= 1.0 - dq.email_typo_prob
            loss += ca.hard_bounce
        # Unsubscribes and hard bounces wear the audience down over a lifetime.
        x = loss * per_day * w * engaged_days
        survive = 1.0 if x < 1e-9 else -math.expm1(-x) / x
        sent = profiles * reach * survive * engaged_days * per_day * w
        newsletters += sent
        clicks += sent * ca.open_rate.get(ch, 0.0) * ca.click_rate.get(ch, 0.0)
    messages = triggered + newsletters
    # Triggered messages go to the first allowed channel, the customer's own
    # (inbound) ones with a response boost.
    first = {
        "email": pop.consent_email,
        "sms": (1 - pop.consent_email) * pop.consent_sms,
        "social": (1 - pop.consent_email) * (1 - pop.consent_sms) * pop.consent_social,
    }
    boost = ca.inbound_response_boost
    for ch, share in first.items():
        rate = min(1.0, ca.open_rate.get(ch, 0.0) * boost) * min(
            1.0, ca.click_rate.get(ch, 0.0) * boost
        )
        clicks += triggered / max(reach_any, 1e-12) * share * (1.0 - pop.opt_out) * rate

    tickets = orders * (sv.contact_prob + 0.9 * sv.repair_prob)
    calls = orders * sv.contact_prob * sv.phone_share
    shared_per_day = (
        sv.shared_traffic * sv.open_hours * 60.0 / sv.handle_minutes
        if sv.shared_traffic > 0
        else 0.0
    )
    shared = shared_per_day * math.ceil(horizon)
    leads = (
        n_conv
        * sum(ac.channel_mix[c] / ac.lead_conversion[c] for c in ac.channel_mix)
        / sum(ac.channel_mix.values())
        + (n - n_conv)
        + max(n_all - n_conv, 0.0) / ac.lead_conversion["referral"]
    )
    surveys = sv.survey_prob * (orders + tickets)
    demand = orders * big_share + n * at_risk_share * valuable
    demand += ad.event_invites_per_month * horizon / 30.4375
    tasks = min(demand, ad.advisors * ad.tasks_per_day * horizon)
    stages = n * (2.0 + float(np.mean(left > 100.0)) + 2.0 * at_risk_share)
    touchpoints = stages + orders + tickets + surveys + tasks * ad.reach_prob + clicks

    rows = {
        "profiles": profiles,
        "candidates": drawn,
        "orders": orders,
        "messages": messages,
        "leads": leads,
        "tickets": tickets,
        "shared_calls_per_day": shared_per_day,
    }
    parts = {"base": _BASE_BYTES} | {k: rows[k] * _BYTES_PER[k] for k in rows}
    return RunSize(
        customers=_whole(profiles),
        candidates=_whole(candidates),
        orders=_whole(orders),
        messages=_whole(messages),
        tickets=_whole(tickets),
        calls=_whole(calls),
        shared_calls_per_day=_whole(shared_per_day),
        shared_calls=_whole(shared),
        touchpoints=_whole(touchpoints),
        leads=_whole(leads),
        peak_bytes=_whole(sum(parts.values())),
        parts=FrozenMap({k: _whole(v) for k, v in parts.items()}),
    )


def available_memory() -> int | None:
    """Bytes of memory this process could still use, or None if unknown.

    ``MemAvailable`` from ``/proc/meminfo`` (what the kernel could hand out
    without swapping), lowered to the room left under a container's cgroup
    limit, since a container sees the host's meminfo; else
    ``os.sysconf`` free pages.
    """
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            limit_text = Path(limit_file).read_text(encoding="ascii").strip()
            if limit_text != "max" and int(limit_text) < 2**60:  # v1 says "no limit" with ~2**63
                found.append(max(int(limit_text) - int(Path(usage_file).read_text().strip()), 0))
            break
        except (OSError, ValueError):
            continue
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, OSError, ValueError):
            return None
    return min(found)


MEMORY_SHARE = 0.8  # of the available memory a run may plan to use: the rest is headroom


def check_fits(scenario: Scenario, memory_bytes: int | None = None) -> RunSize:
    """Refuse, before any work, a run of ``scenario`` that cannot fit in memory.

    Parameters
    ----------
    scenario
        The scenario to run.
    memory_bytes
        Memory available, bytes; default :func:`available_memory` (the check
        is skipped if that is unknown).

    Returns
    -------
    RunSize
        The estimate (see :func:`estimate_run`), when the run fits.

    Raises
    ------
    ScenarioError
        If the estimated peak memory exceeds :data:`MEMORY_SHARE` of the
        available memory; the message names the field to change, the size the
        run would have and what to lower.
    """
    size = estimate_run(scenario)
    available = available_memory() if memory_bytes is None else int(memory_bytes)
    if available is None or size.peak_bytes <= MEMORY_SHARE * available:
        return size
    raise ScenarioError(_too_big(scenario, size, available))


def _too_big(sc: Scenario, size: RunSize, available: int) -> str:
    """The one-line refusal: which field, how big, what to change."""
    pop, n = sc.population, sc.population.customers
    run = f"a run of {n:,} customers over {pop.years:g} years"
    need = f"would need about {_bytes(size.peak_bytes)} of memory"
    have = f"this machine has {_bytes(available)} available"
    largest = size.largest
    per_customer = {k: getattr(size, k, 0) / n for k in ("candidates", "messages", "leads")}
    if largest == "shared_calls_per_day":
        sv = sc.service
        return (
            f"service.handle_minutes: {run} {need} (the other brands' calls, service.shared_traffic "
            f"× open_hours × 60 / handle_minutes = {_amount(size.shared_calls_per_day)} a day, "
            f"are scheduled a day at a time; handle_minutes = {sv.handle_minutes:g}); {have} — "
            "raise service.handle_minutes or lower service.shared_traffic (0 = a dedicated team)"
        )
    if largest == "candidates" and per_customer["candidates"] > 1_000:
        pu = sc.purchases
        return (
            f"purchases.r: {run} {need} (about {_amount(size.candidates)} candidate purchases, "
            f"{_amount(per_customer['candidates'])} per customer: r/alpha = {pu.r / pu.alpha:.3g} "
            f"purchases a day); {have} — lower purchases.r or raise purchases.alpha "
            "(r/alpha is the mean purchase rate a day), or lower population.customers or years"
        )
    if largest == "leads" and per_customer["leads"] > 100:
        return (
            f"acquisition.lead_conversion: {run} {need} (about {_amount(size.leads)} leads, "
            f"{_amount(per_customer['leads'])} per customer); {have} — raise "
            "acquisition.lead_conversion or lower population.customers"
        )
    if largest == "messages" and per_customer["messages"] > 1_000:
        return (
            f"campaigns.newsletters_per_month: {run} {need} (about {_amount(size.messages)} "
            f"messages); {have} — lower campaigns.newsletters_per_month, population.customers "
            "or population.years"
        )
    detail = (
        f"about {_amount(size.candidates)} candidate purchases, {_amount(size.orders)} orders "
        f"and {_amount(size.messages)} messages"
    )
    return (
        f"population.customers: {run} {need} ({detail}); {have} — lower "
        "population.customers or population.years, or purchases.r/alpha"
    )
