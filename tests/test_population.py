"""Identities: prefix stability, determinism, scenario shares, e-mails, duplicates, misspelling."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pytest

from sim.geography import COUNTRY_CODES, GLOBAL_EMAIL_DOMAINS, country, default_nationality_mix
from sim.scenario import DataQuality, Population
from sim.world.population import (
    GENERATION_YEARS,
    IDENTITY_COLUMNS,
    build_identities,
    duplicate_identities,
    misspell,
)

START = "2023-01-01"
N = 20_000
EMAIL_RE = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*@[a-z0-9-]+(\.[a-z0-9-]+)+$")


def _build(seed: int = 11, n: int = N, **overrides) -> pd.DataFrame:
    return build_identities(seed, n, Population(**overrides), DataQuality(), START)


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return _build()


def _within_3se(observed: float, p: float, n: int, k: float = 3.0) -> bool:
    """|observed - p| within k binomial standard errors (k=3 unless many shares are tested)."""
    se = np.sqrt(p * (1 - p) / n)
    return abs(observed - p) <= k * se + 1e-12


def _osa_distance(a: str, b: str) -> int:
    """Edit distance counting an adjacent transposition as one edit."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


# --------------------------------------------------------------------------- stability
def test_prefix_stable():
    small, large = _build(n=1500), _build(n=3000)
    pd.testing.assert_frame_equal(small, large.iloc[:1500])


def test_deterministic_and_seed_dependent():
    a, b, c = _build(seed=5, n=2000), _build(seed=5, n=2000), _build(seed=6, n=2000)
    pd.testing.assert_frame_equal(a, b)
    assert (a["email"] != c["email"]).mean() > 0.9


def test_columns_and_types(big):
    assert tuple(big.columns) == IDENTITY_COLUMNS
    assert big.index.equals(pd.RangeIndex(N))
    assert big["birth_date"].dtype == "datetime64[ns]"
    for col in ("consent_email", "consent_sms", "opt_out", "email_typo"):
        assert big[col].dtype == bool
    assert big[["first_name", "last_name", "email", "phone", "city"]].notna().all().all()


def test_empty_population():
    assert len(_build(n=0)) == 0


# --------------------------------------------------------------------------- scenario shares
def test_generation_matches_birth_year(big):
    years = big["birth_date"].dt.year
    for gen, (y0, y1) in GENERATION_YEARS.items():
        sel = big["generation"] == gen
        assert sel.any()
        assert years[sel].between(y0, y1).all(), gen
    adult = pd.Timestamp(START) - pd.DateOffset(years=18)
    assert (big["birth_date"] <= adult).all()


def test_generation_shares(big):
    observed = big["generation"].value_counts(normalize=True)
    for gen, p in Population().generation_mix.items():
        assert _within_3se(observed.get(gen, 0.0), p, N), gen


def test_consent_and_opt_out_shares(big):
    pop, dq = Population(), DataQuality()
    for col, p in (
        ("consent_email", pop.consent_email),
        ("consent_sms", pop.consent_sms),
        ("opt_out", pop.opt_out),
        ("email_typo", dq.email_typo_prob),
    ):
        assert _within_3se(big[col].mean(), p, N), col


def test_nationality_shares_and_variety(big):
    mix = default_nationality_mix()
    observed = big["nationality"].value_counts(normalize=True)
    tail = [code for code, p in mix.items() if p < 0.001]  # ~150 of a few people each
    for code, p in mix.items():
        if code not in tail:
            # 51 shares tested at once: 4 SE keeps the family-wise false alarm rate < 0.5 %.
            assert _within_3se(observed.get(code, 0.0), p, N, k=4.0), code
    # The long tail as a whole: a normal SE means little for 3-12 people a country.
    assert _within_3se(observed.reindex(tail, fill_value=0.0).sum(), sum(mix[c] for c in tail), N)
    assert big["nationality"].nunique() >= 150
    assert set(big["nationality"]) <= set(COUNTRY_CODES)


def test_home_abroad(big):
    abroad = big["home_country"] != big["nationality"]
    assert _within_3se(abroad.mean(), Population().home_abroad_share, N)
    # Cities belong to the home country; phones carry its calling code.
    for code, grp in big.groupby("home_country"):
        c = country(code)
        assert set(grp["city"]) <= set(c.cities), code
        assert grp["phone"].str.startswith(f"+{c.calling_code} ").all(), code


def test_custom_nationality_mix():
    df = _build(n=3000, nationality_mix={"FR": 0.5, "KR": 0.5}, home_abroad_share=0.0)
    assert set(df["nationality"]) == {"FR", "KR"}
    assert (df["home_country"] == df["nationality"]).all()


# --------------------------------------------------------------------------- e-mails and names
def test_emails_valid_unless_typo(big):
    clean = big.loc[~big["email_typo"], "email"]
    bad = [e for e in clean if not EMAIL_RE.match(e)]
    assert not bad, bad[:5]
    assert big["email"].is_unique


def test_email_typos_mostly_hit_the_domain(big):
    known = set(GLOBAL_EMAIL_DOMAINS)
    for code in COUNTRY_CODES:
        known |= set(country(code).email_domains)
    typo_domains = big.loc[big["email_typo"], "email"].str.split("@").str[1]
    assert len(typo_domains) > 100
    assert (~typo_domains.isin(known)).mean() > 0.5  # about 70 % are domain typos


def test_names_are_latin_script(big):
    for col in ("first_name", "last_name"):
        text = "".join(big[col])
        odd = {
            ch
            for ch in set(text)
            if not (ch.isascii() or "LATIN" in unicodedata.name(ch, ""))
            and not unicodedata.category(ch).startswith("P")  # apostrophes as in D’Alia
        }
        assert not odd, (col, odd)


# --------------------------------------------------------------------------- misspell
def test_misspell_one_edit():
    rng = np.random.default_rng(0)
    names = np.array(["Anna", "Li", "Xu", "Smith", "Chia-Hao", "Al Mansouri", "Müller", "O"] * 50)
    out = misspell(names, rng)
    assert out.shape == names.shape
    for a, b in zip(names, out, strict=True):
        assert a != b
        assert _osa_distance(a.lower(), b.lower()) == 1, (a, b)
        assert b[0].isupper() == a[0].isupper(), (a, b)


# --------------------------------------------------------------------------- duplicates
def test_duplicates(big):
    dq = DataQuality()
    rows = np.random.default_rng(1).choice(N, size=3000, replace=False)
    dup = duplicate_identities(big, rows, 11, dq, population=Population())
    src = big.iloc[rows]
    assert list(dup.index) == list(rows)
    assert tuple(dup.columns) == IDENTITY_COLUMNS
    for col in ("birth_date", "generation", "nationality", "home_country", "city"):
        assert (dup[col].to_numpy() == src[col].to_numpy()).all(), col

    name_changed = (dup["first_name"].to_numpy() != src["first_name"].to_numpy()) | (
        dup["last_name"].to_numpy() != src["last_name"].to_numpy()
    )
    email_changed = dup["email"].to_numpy() != src["email"].to_numpy()
    same_phone = dup["phone"].to_numpy() == src["phone"].to_numpy()
    n = len(rows)
    assert _within_3se(name_changed.mean(), dq.name_typo_prob, n)
    assert _within_3se(email_changed.mean(), 0.7, n)
    assert _within_3se(same_phone.mean(), 0.6, n)
    assert (name_changed | email_changed).mean() == pytest.approx(
        1 - (1 - dq.name_typo_prob) * 0.3, abs=3 * np.sqrt(0.15 * 0.85 / n)
    )
    # A new address is a different person's address never.
    others = set(big["email"]) - set(src["email"])
    assert not set(dup["email"]) & others
    # Fresh consent: correlation with the first profile's flags is weak.
    agree = (dup["consent_email"].to_numpy() == src["consent_email"].to_numpy()).mean()
    assert agree < 0.8


def test_duplicates_keyed_by_person(big):
    dq = DataQuality()
    a = duplicate_identities(big, np.array([3, 900, 42, 7000]), 11, dq)
    b = duplicate_identities(big.iloc[:1000], np.array([42, 900]), 11, dq)
    pd.testing.assert_frame_equal(
        a.loc[[42, 900], ["first_name", "last_name", "phone"]],
        b.loc[[42, 900], ["first_name", "last_name", "phone"]],
    )
    c = duplicate_identities(big, np.array([3, 900, 42, 7000]), 11, dq)
    pd.testing.assert_frame_equal(a, c)
    assert len(duplicate_identities(big, np.array([], dtype=int), 11, dq)) == 0
