"""Reference data: about 200 nationalities, each complete, Latin-named and in one market."""

from __future__ import annotations

import math
import re
import unicodedata

import pytest
from faker.config import AVAILABLE_LOCALES

from sim.geography import (
    COUNTRIES,
    COUNTRY_CODES,
    MARKET_OF,
    MARKETS,
    country,
    default_nationality_mix,
    email_domains,
    market_of,
)
from sim.scenario import DataQuality, Population
from sim.world.names import name_pools
from sim.world.population import build_identities

DOMAIN_RE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


def _not_latin(text: str) -> set[str]:
    """Characters that are neither ASCII nor Latin letters (punctuation such as D’Alia is fine)."""
    return {
        ch
        for ch in set(text)
        if not (ch.isascii() or "LATIN" in unicodedata.name(ch, ""))
        and not unicodedata.category(ch).startswith("P")
    }


# --------------------------------------------------------------------------- the rows
def test_about_200_distinct_countries():
    assert len(COUNTRIES) >= 190
    assert len(set(COUNTRY_CODES)) == len(COUNTRY_CODES)
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in COUNTRY_CODES)
    labels = [c.nationality for c in COUNTRIES]
    assert len(set(labels)) == len(labels)


def test_codes_and_currencies_are_iso():
    pycountry = pytest.importorskip("pycountry")  # not a dependency: checked where installed
    assert [c for c in COUNTRY_CODES if pycountry.countries.get(alpha_2=c) is None] == []
    assert [c.code for c in COUNTRIES if pycountry.currencies.get(alpha_3=c.currency) is None] == []


def test_every_country_is_complete():
    problems = []
    for c in COUNTRIES:
        checks = {
            "currency": re.fullmatch(r"[A-Z]{3}", c.currency),
            "calling_code": re.fullmatch(r"[1-9][0-9]{0,2}", c.calling_code),
            "phone_digits": 5 <= c.phone_digits <= 12,
            "weight": c.weight > 0,
            "cities": len(c.cities) >= 1 and all(city.strip() for city in c.cities),
            "email_domains": len(c.email_domains) >= 1
            and all(DOMAIN_RE.match(d) for d in c.email_domains),
            "local_email_share": 0.0 <= c.local_email_share <= 1.0,
            "locale": c.locale in AVAILABLE_LOCALES,
        }
        problems += [(c.code, field) for field, ok in checks.items() if not ok]
        domains, probs = email_domains(c.code)
        if len(domains) != len(probs) or not math.isclose(sum(probs), 1.0):
            problems.append((c.code, "email_domains() probabilities"))
    assert problems == []


def test_every_locale_gives_latin_names():
    for locale in sorted({c.locale for c in COUNTRIES}):
        pools = name_pools(locale)
        for pool in (pools.first_female, pools.first_male, pools.last_female, pools.last_male):
            names = list(pool.names)
            assert names and all(n.strip() for n in names), locale
            assert _not_latin("".join(names)) == set(), locale
            assert all(pool.keys), locale  # every name has an ASCII e-mail key


# --------------------------------------------------------------------------- weights
def test_the_big_markets_keep_their_weights():
    spot = {"CN": 180, "US": 150, "FR": 70, "JP": 60, "IT": 50, "KR": 50, "DE": 45, "HU": 2}
    assert {code: country(code).weight for code in spot} == spot
    assert sum(c.weight for c in COUNTRIES[:51]) == 1017  # the 51 original rows, first
    mix = default_nationality_mix()
    tail = sum(mix[c.code] for c in COUNTRIES[51:])
    assert 0.01 < tail < 0.06  # a long tail of a few percent
    assert mix["CN"] > 0.15
    assert max(c.weight for c in COUNTRIES[51:]) < min(c.weight for c in COUNTRIES[:51])


def test_default_mix_is_a_fresh_normalised_dict():
    mix = default_nationality_mix()
    assert list(mix) == list(COUNTRY_CODES)
    assert math.isclose(sum(mix.values()), 1.0)
    mix["CN"] = 0.0
    assert default_nationality_mix()["CN"] > 0.15


# --------------------------------------------------------------------------- markets
def test_every_country_is_in_one_market():
    assert MARKETS == ("europe_middle_east_africa", "americas", "greater_china", "asia_pacific")
    assert sorted(MARKET_OF) == sorted(COUNTRY_CODES)
    assert {market_of(code) for code in COUNTRY_CODES} == set(MARKETS)
    assert sorted(c for c in COUNTRY_CODES if market_of(c) == "greater_china") == [
        "CN",
        "HK",
        "MO",
        "TW",
    ]
    expected = {
        "europe_middle_east_africa": ("FR", "RU", "TR", "AE", "ZA", "EG"),
        "americas": ("US", "CA", "BR", "MX"),
        "asia_pacific": ("JP", "KR", "SG", "IN", "AU", "NZ", "KZ"),
    }
    for market, codes in expected.items():
        assert {market_of(c) for c in codes} == {market}, market


def test_unknown_code_names_itself():
    with pytest.raises(KeyError, match="'XX'"):
        market_of("XX")


# --------------------------------------------------------------------------- a population
@pytest.fixture(scope="module")
def people():
    return build_identities(0, 20_000, Population(), DataQuality(), "2023-01-01")


def test_a_population_shows_most_nationalities(people):
    assert people["nationality"].nunique() >= 150
    assert set(people["nationality"].map(market_of)) == set(MARKETS)


def test_a_population_has_latin_names(people):
    for col in ("first_name", "last_name"):
        assert people[col].str.strip().str.len().gt(0).all(), col
        assert _not_latin("".join(people[col])) == set(), col
