"""Customer identities: names, contact details, birth dates, origins and consent.

:func:`build_identities` draws one identity per person key (``0..n-1`` for
the acquired population). Every draw of a person is keyed by their key
(:func:`sim.world.seeding.uniforms`), so an identity depends only on
``(seed, key)``: growing the population only appends people. Draws are fixed-width rows of uniforms mapped onto name, city
and domain pools, so changing a probability in the scenario (say the e-mail
consent rate) changes only the trait it governs.

Names are stored in **Latin script**, as a global CRM with passport-style name
fields would hold them, sampled from the pools of :mod:`sim.world.names`, so that
e-mails, misspellings and deduplication work the same for everybody.

>>> from sim.scenario import DataQuality, Population
>>> ids = build_identities(1, 3, Population(), DataQuality(), "2023-01-01")
>>> list(ids.columns)[:4]
['first_name', 'last_name', 'email', 'phone']
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.geography import (
    COUNTRY_CODES,
    EMAIL_DOMAIN_TYPOS,
    country,
    default_nationality_mix,
    email_domains,
)
from sim.scenario import DataQuality, Population
from sim.vocab import ADULT_AGE, GENERATION_YEARS, GENERATIONS
from sim.world.names import ascii_key, name_pools
from sim.world.seeding import uniforms

__all__ = [
    "GENERATION_YEARS",
    "IDENTITY_COLUMNS",
    "build_identities",
    "identity_basics",
    "unique_emails",
    "identity_uniforms",
    "nationality_of",
    "duplicate_identities",
    "misspell",
]


IDENTITY_COLUMNS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_date",
    "generation",
    "nationality",
    "home_country",
    "city",
    "consent_email",
    "consent_sms",
    "opt_out",
    "email_typo",
)

_FEMALE_SHARE = 0.6  # luxury/fashion clienteles lean female; only picks the name pool
_ADULT_AGE = ADULT_AGE

# Columns of the per-person uniform draws. Never reorder: each column feeds one
# trait, so a seed keeps giving the same people. Spare columns leave room to
# add traits without disturbing existing ones.
_U_NAT, _U_ABROAD, _U_HOME, _U_GEN, _U_BIRTH, _U_SEX, _U_FIRST, _U_LAST = range(8)
_U_CITY, _U_PATTERN, _U_DIGITS, _U_DIGVAL, _U_DOMAIN, _U_PHONE = range(8, 14)
_U_CEMAIL, _U_CSMS, _U_OPTOUT, _U_TYPO, _U_TYPO_KIND, _U_TYPO_POS, _U_TYPO_PICK = range(14, 21)
_N_U = 24

# Duplicate-profile draws (keyed by the person, stream "duplicates").
_D_PHONE, _D_PHONE_NEW, _D_NAME, _D_WHICH, _D_OP, _D_POS, _D_PICK = range(7)
_D_EMAIL, _D_EMAIL_KIND, _D_DOMAIN, _D_PATTERN, _D_DIGVAL = range(7, 12)
_D_CEMAIL, _D_CSMS, _D_OPTOUT, _D_TYPO, _D_TYPO_KIND, _D_TYPO_POS, _D_TYPO_PICK = range(12, 19)
_N_D = 24

_DUP_SAME_PHONE = 0.6
_DUP_NEW_EMAIL = 0.7


@functools.cache
def _country_arrays(code: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cities with cumulative probabilities, e-mail domains with cumulative probabilities."""
    c = country(code)
    # Cities are listed most populous first: Zipf-like weights 1/rank.
    w = 1.0 / np.arange(1, len(c.cities) + 1)
    city_cum = np.cumsum(w / w.sum())
    domains, probs = email_domains(code)
    dom_cum = np.cumsum(probs)
    city_cum[-1] = dom_cum[-1] = 1.0
    return (
        np.array(c.cities, dtype=object),
        city_cum,
        np.array(domains, dtype=object),
        dom_cum,
    )


def _pick(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


def _groups(labels: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``(label, rows)`` for each distinct integer label, rows ascending.

    One sort instead of a boolean mask over every row per label: with ~200
    nationalities the masks dominated the build.
    """
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return [(int(labels[rows[0]]), rows) for rows in np.split(order, cuts) if len(rows)]


# --------------------------------------------------------------------------- misspelling
_VOWELS = "aeiouy"


def _misspell_one(name: str, u_op: float, u_pos: float, u_pick: float) -> str:
    """Apply exactly one edit to ``name``: swap, drop, double or replace a vowel."""
    letters = [j for j, ch in enumerate(name) if ch.isalpha()]
    if not letters:
        return name + "x"
    ops = ["swap", "drop", "double", "vowel"]
    op = ops[min(int(u_op * 4), 3)]
    swaps = [
        j
        for j in range(len(name) - 1)
        if name[j].isalpha() and name[j + 1].isalpha() and name[j].lower() != name[j + 1].lower()
    ]
    vowels = [j for j in letters if name[j].lower() in _VOWELS]
    # Fall back to doubling, which always changes the name, when the chosen
    # edit is impossible (no distinct neighbours, no vowel, too short to drop).
    if (
        (op == "swap" and not swaps)
        or (op == "vowel" and not vowels)
        or (op == "drop" and len(letters) < 3)
    ):
        op = "double"
    if op == "swap":
        j = swaps[min(int(u_pos * len(swaps)), len(swaps) - 1)]
        a, b = name[j], name[j + 1]
        if j == 0 and a.isupper():  # keep the capital at the front
            a, b = a.lower(), b.upper()
        out = name[:j] + b + a + name[j + 2 :]
    elif op == "drop":
        j = letters[min(int(u_pos * len(letters)), len(letters) - 1)]
        out = name[:j] + name[j + 1 :]
        if j == 0 and name[0].isupper():
            out = out[:1].upper() + out[1:]
    elif op == "double":
        j = letters[min(int(u_pos * len(letters)), len(letters) - 1)]
        out = name[: j + 1] + name[j].lower() + name[j + 1 :]
    else:
        j = vowels[min(int(u_pos * len(vowels)), len(vowels) - 1)]
        others = [v for v in "aeiou" if v != name[j].lower()]
        v = others[min(int(u_pick * len(others)), len(others) - 1)]
        out = name[:j] + (v.upper() if name[j].isupper() else v) + name[j + 1 :]
    return out


def misspell(names: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Misspell each name with exactly one edit.

    The edit is one of: swap two adjacent (different) letters, drop a letter,
    double a letter, or replace a vowel by another. The initial capital is
    kept, so the edit distance ignoring case is 1 (a swap counts as one edit).

    Parameters
    ----------
    names : array of str
    rng : Generator supplying three uniforms per name.

    Returns
    -------
    numpy.ndarray of object (str), same length as ``names``.
    """
    names = np.asarray(names, dtype=object)
    u = rng.random((len(names), 3))
    return np.array(
        [_misspell_one(str(s), *row) for s, row in zip(names, u.tolist(), strict=True)],
        dtype=object,
    )


# --------------------------------------------------------------------------- e-mail helpers
def _local_part(first_key: str, last_key: str, pattern: float, u_dig: float, yy: int) -> str:
    """first.last / f.last / firstlast / last.first, sometimes followed by digits."""
    if pattern < 0.40:
        local = f"{first_key}.{last_key}"
    elif pattern < 0.62:
        local = f"{first_key[:1]}.{last_key}"
    elif pattern < 0.85:
        local = f"{first_key}{last_key}"
    else:
        local = f"{last_key}.{first_key}"
    if u_dig < 0.20:  # two-digit birth year, a very common habit
        local += f"{yy:02d}"
    elif u_dig < 0.40:  # 1-3 random digits (u_dig re-used: its fraction is uniform)
        local += str(int((u_dig - 0.20) / 0.20 * 999) + 1)
    return local


def _typo_email(email: str, u_kind: float, u_pos: float, u_pick: float) -> str:
    """A mistyped address that would hard-bounce: domain typo (70 %) or local-part typo."""
    local, domain = email.rsplit("@", 1)
    if u_kind < 0.7:
        variants = EMAIL_DOMAIN_TYPOS.get(domain)
        if variants:
            return f"{local}@{variants[min(int(u_pick * len(variants)), len(variants) - 1)]}"
        label, _, rest = domain.partition(".")
        if u_pick < 0.25:  # ".com" -> ".con" style slip on the last character
            return f"{local}@{domain[:-1]}{'n' if domain[-1] != 'n' else 'm'}"
        return f"{local}@{_misspell_one(label, u_pick, u_pos, u_pick).lower()}.{rest}"
    return f"{_misspell_one(local, u_pos, u_pick, u_kind).lower()}@{domain}"


def _make_unique(emails: np.ndarray) -> np.ndarray:
    # Addresses are unique per person in real systems: a later namesake gets a
    # ".<person index>" suffix, which no other rule produces. Depends only on
    # earlier people, so prefix stability holds.
    dup = pd.Series(emails).duplicated().to_numpy()
    if dup.any():
        emails = emails.copy()
        for i in np.flatnonzero(dup):
            local, domain = emails[i].rsplit("@", 1)
            emails[i] = f"{local}.{i}@{domain}"
    return emails


# --------------------------------------------------------------------------- identities
def _mix_arrays(mix: Mapping[str, float] | None) -> tuple[list[str], np.ndarray]:
    mix = dict(default_nationality_mix() if mix is None else mix)
    codes = [
        c for c in COUNTRY_CODES if mix.get(c, 0.0) > 0
    ]  # fixed order: dict order is irrelevant
    unknown = set(mix) - set(COUNTRY_CODES)
    if unknown:
        raise ValueError(f"unknown nationality codes in mix: {sorted(unknown)}")
    p = np.array([mix[c] for c in codes], dtype=float)
    return codes, p / p.sum()


def _birth_ranges(
    start_date: pd.Timestamp, generations: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """First and last admissible birth day (days since 1970) of each generation."""
    latest = (start_date - pd.DateOffset(years=_ADULT_AGE)).normalize()
    lo, hi = [], []
    for g in generations:
        y0, y1 = GENERATION_YEARS[g]
        first = pd.Timestamp(year=y0, month=1, day=1)
        last = min(pd.Timestamp(year=y1, month=12, day=31), latest)
        lo.append(first)
        hi.append(last)
    to_days = lambda ts: np.array([t.value // 86_400_000_000_000 for t in ts], dtype=np.int64)  # noqa: E731
    return to_days(lo), to_days(hi)


def identity_uniforms(seed: int, keys: np.ndarray) -> np.ndarray:
    """The ``(len(keys), _N_U)`` uniforms an identity is made of, keyed by the person."""
    return uniforms(seed, "identities", np.asarray(keys, dtype=np.int64)[:, None], np.arange(_N_U))


def _origins(u: np.ndarray, population: Population) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Mix codes, nationality and home-country indices from identity uniforms."""
    codes, p = _mix_arrays(population.nationality_mix)
    nat_idx = _pick(np.cumsum(p), u[:, _U_NAT])
    home_idx = nat_idx.copy()
    abroad = u[:, _U_ABROAD] < population.home_abroad_share
    if len(codes) > 1:
        expats = np.flatnonzero(abroad)
        for k, rows in _groups(nat_idx[expats]):
            m = expats[rows]
            q = p.copy()
            q[k] = 0.0
            home_idx[m] = _pick(np.cumsum(q / q.sum()), u[m, _U_HOME])
    return codes, nat_idx, home_idx


def nationality_of(u: np.ndarray, population: Population) -> tuple[np.ndarray, np.ndarray]:
    """Nationality and home country codes from identity uniforms (as :func:`build_identities`)."""
    codes, nat_idx, home_idx = _origins(u, population)
    code_arr = np.array(codes, dtype=object)
    return code_arr[nat_idx], code_arr[home_idx]


def _phones(codes: np.ndarray, u: np.ndarray) -> np.ndarray:
    """International numbers "+<calling code> <national number>" for home countries ``codes``."""
    out = np.empty(len(codes), dtype=object)
    # Group by integer labels: comparing ~200 country strings with every row is slow.
    uniq, inv = np.unique(codes, return_inverse=True)
    for j, m in _groups(inv):
        c = country(str(uniq[j]))
        k = c.phone_digits
        # Leading digit 1-9 so the national number keeps its full length.
        num = 10 ** (k - 1) + np.floor(u[m] * 9 * 10 ** (k - 1)).astype(np.int64)
        out[m] = [f"+{c.calling_code} {x}" for x in num.tolist()]
    return out


def _births(
    u: np.ndarray, population: Population, start: pd.Timestamp
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Generation (names and index) and birth date from identity uniforms."""
    gens = [g for g in GENERATIONS if population.generation_mix.get(g, 0.0) > 0]
    gp = np.array([population.generation_mix[g] for g in gens], dtype=float)
    gen_idx = _pick(np.cumsum(gp / gp.sum()), u[:, _U_GEN])
    lo, hi = _birth_ranges(start, gens)
    if np.any(hi < lo):
        bad = [g for g, a, b in zip(gens, lo, hi, strict=True) if b < a]
        raise ValueError(f"no adult can belong to {bad} at start date {start.date()}")
    span = (hi - lo + 1)[gen_idx]
    birth_days = lo[gen_idx] + np.floor(u[:, _U_BIRTH] * span).astype(np.int64)
    return gens, gen_idx, birth_days.astype("datetime64[D]").astype("datetime64[ns]")


def identity_basics(
    u: np.ndarray, population: Population, data_quality: DataQuality, start_date
) -> dict[str, np.ndarray]:
    """What the world needs of identities while it runs, from their uniforms (cheap).

    Consent flags, opt-out, e-mail typo and day of the year of the birthday
    (0 = 1 January), exactly as :func:`build_identities` makes them.
    """
    _, _, birth = _births(u, population, pd.Timestamp(start_date))
    return {
        "consent_email": u[:, _U_CEMAIL] < population.consent_email,
        "consent_sms": u[:, _U_CSMS] < population.consent_sms,
        "opt_out": u[:, _U_OPTOUT] < population.opt_out,
        "email_typo": u[:, _U_TYPO] < data_quality.email_typo_prob,
        "birth_doy": (pd.DatetimeIndex(birth).day_of_year - 1).to_numpy(),
    }


def unique_emails(emails: np.ndarray) -> np.ndarray:
    """The addresses, with a digit added where one repeats an earlier one (people's own)."""
    return _make_unique(np.asarray(emails, dtype=object).copy())


def build_identities(
    seed: int,
    n: int | np.ndarray,
    population: Population,
    data_quality: DataQuality,
    start_date: str | pd.Timestamp,
) -> pd.DataFrame:
    """One identity per person ``0..n-1``, prefix-stable in ``n``.

    Parameters
    ----------
    seed : scenario seed; identities use the stream label ``"identities"``.
    n : number of people.
    population : nationality and generation mixes, expatriate share, consent rates.
    data_quality : ``email_typo_prob`` is the chance an address is registered
        with a typo that hard-bounces (flagged in ``email_typo``).
    start_date : start of the simulated horizon; everyone is at least 18 then.

    Returns
    -------
    pandas.DataFrame indexed 0..n-1 with :data:`IDENTITY_COLUMNS`. ``opt_out``
    does not clear the consent flags: the simulation checks both.
    """
    if isinstance(n, np.ndarray):
        keys = n.astype(np.int64)
    elif isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative integer or an array of keys, got {n!r}")
    else:
        keys = np.arange(int(n), dtype=np.int64)
    n = len(keys)
    start = pd.Timestamp(start_date)
    u = identity_uniforms(seed, keys)

    # Origins: nationality from the mix; expatriates live in another mix country.
    codes, nat_idx, home_idx = _origins(u, population)
    code_arr = np.array(codes, dtype=object)
    nationality = code_arr[nat_idx]
    home = code_arr[home_idx]

    gens, gen_idx, birth_date = _births(u, population, start)
    birth_yy = (birth_date.astype("datetime64[Y]").astype(np.int64) + 1970) % 100

    # Names by nationality, city and e-mail domain by home country.
    female = u[:, _U_SEX] < _FEMALE_SHARE
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    first_key = np.empty(n, dtype=object)
    last_key = np.empty(n, dtype=object)
    for k, m in _groups(nat_idx):
        pools = name_pools(country(codes[k]).locale)
        fem = female[m]
        for sex_mask, fp, lp in (
            (m[fem], pools.first_female, pools.last_female),
            (m[~fem], pools.first_male, pools.last_male),
        ):
            first[sex_mask], first_key[sex_mask] = fp.pick(u[sex_mask, _U_FIRST])
            last[sex_mask], last_key[sex_mask] = lp.pick(u[sex_mask, _U_LAST])
    city = np.empty(n, dtype=object)
    domain = np.empty(n, dtype=object)
    for k, m in _groups(home_idx):
        cities, city_cum, domains, dom_cum = _country_arrays(codes[k])
        city[m] = cities[_pick(city_cum, u[m, _U_CITY])]
        domain[m] = domains[_pick(dom_cum, u[m, _U_DOMAIN])]

    emails = np.array(
        [
            f"{_local_part(f, la, pat, dig, yy)}@{d}"
            for f, la, pat, dig, yy, d in zip(
                first_key.tolist(),
                last_key.tolist(),
                u[:, _U_PATTERN].tolist(),
                u[:, _U_DIGITS].tolist(),
                birth_yy.tolist(),
                domain.tolist(),
                strict=True,
            )
        ],
        dtype=object,
    )
    typo = u[:, _U_TYPO] < data_quality.email_typo_prob
    for i in np.flatnonzero(typo):
        emails[i] = _typo_email(
            emails[i], u[i, _U_TYPO_KIND], u[i, _U_TYPO_POS], u[i, _U_TYPO_PICK]
        )
    emails = _make_unique(emails)

    gen_names = np.array(gens, dtype=object)
    return pd.DataFrame(
        {
            "first_name": first,
            "last_name": last,
            "email": emails,
            "phone": _phones(home, u[:, _U_PHONE]),
            "birth_date": birth_date,
            "generation": gen_names[gen_idx],
            "nationality": nationality,
            "home_country": home,
            "city": city,
            "consent_email": u[:, _U_CEMAIL] < population.consent_email,
            "consent_sms": u[:, _U_CSMS] < population.consent_sms,
            "opt_out": u[:, _U_OPTOUT] < population.opt_out,
            "email_typo": typo,
        },
        index=pd.RangeIndex(n),
    )


# --------------------------------------------------------------------------- duplicates
def duplicate_identities(
    identities: pd.DataFrame,
    rows: np.ndarray,
    seed: int,
    data_quality: DataQuality,
    *,
    population: Population | None = None,
    keys: np.ndarray | None = None,
) -> pd.DataFrame:
    """A second registration of the people at positions ``rows`` of ``identities``.

    The same person keeps birth date, nationality, home country and city; keeps
    the phone number with probability 0.6; has the first or last name misspelt
    with probability ``data_quality.name_typo_prob``; registers another e-mail
    address (another domain, or another local part) with probability 0.7, which
    may itself carry a typo (``email_typo_prob``); consent flags are drawn afresh.

    Draws are keyed by the person's index (stream ``"duplicates"``), so a
    person's duplicate does not depend on which other people are duplicated.

    Parameters
    ----------
    identities : output of :func:`build_identities` (positions = person indices).
    rows : person indices to duplicate (unique).
    seed : scenario seed.
    data_quality : typo probabilities.
    population : consent rates for the fresh flags; by default the shares
        observed in ``identities``.

    Returns
    -------
    pandas.DataFrame with the columns of ``identities``, indexed by the person
    index (index name ``"person"``), in the order of ``rows``.
    """
    rows = np.asarray(rows, dtype=np.int64)
    keys = rows if keys is None else np.asarray(keys, dtype=np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= len(identities)):
        raise ValueError(f"rows must lie in 0..{len(identities) - 1}")
    if len(np.unique(rows)) != len(rows):
        raise ValueError("rows must not repeat a person")
    src = identities.iloc[rows]
    out = src.copy()
    out.index = pd.Index(rows, name="person")
    if not rows.size:
        return out
    d = uniforms(seed, "duplicates", keys[:, None], np.arange(_N_D))

    if population is None:
        rates = {
            c: float(identities[c].mean()) for c in ("consent_email", "consent_sms", "opt_out")
        }
    else:
        rates = {c: getattr(population, c) for c in ("consent_email", "consent_sms", "opt_out")}

    home = src["home_country"].to_numpy(dtype=object)
    new_phone = d[:, _D_PHONE] >= _DUP_SAME_PHONE
    phones = src["phone"].to_numpy(dtype=object).copy()
    phones[new_phone] = _phones(home[new_phone], d[new_phone, _D_PHONE_NEW])
    out["phone"] = phones

    first = src["first_name"].to_numpy(dtype=object).copy()
    last = src["last_name"].to_numpy(dtype=object).copy()
    typo_name = d[:, _D_NAME] < data_quality.name_typo_prob
    for j in np.flatnonzero(typo_name):
        target = first if d[j, _D_WHICH] < 0.5 else last
        target[j] = _misspell_one(target[j], d[j, _D_OP], d[j, _D_POS], d[j, _D_PICK])
    out["first_name"] = first
    out["last_name"] = last

    emails = src["email"].to_numpy(dtype=object).copy()
    typos = src["email_typo"].to_numpy(dtype=bool).copy()
    taken = set(identities["email"].tolist())
    src_first = src["first_name"].tolist()
    src_last = src["last_name"].tolist()
    birth_yy = (src["birth_date"].dt.year % 100).to_numpy()
    for j in np.flatnonzero(d[:, _D_EMAIL] < _DUP_NEW_EMAIL):
        local, dom = emails[j].rsplit("@", 1)
        if d[j, _D_EMAIL_KIND] < 0.5:
            # Same habits, another mailbox provider of the home country.
            domains, probs = email_domains(home[j])
            others = [x for x in domains if x != dom]
            q = np.array([pr for x, pr in zip(domains, probs, strict=True) if x != dom])
            dom = others[_pick(np.cumsum(q / q.sum()), np.array([d[j, _D_DOMAIN]]))[0]]
            # Start from the clean address pattern: a typo of the first profile
            # is not repeated on a new mailbox.
            local = _local_part(
                ascii_key(src_first[j]) or "client",
                ascii_key(src_last[j]) or "client",
                d[j, _D_PATTERN],
                d[j, _D_DIGVAL],
                int(birth_yy[j]),
            )
        else:
            # Same provider, another local part (new pattern and/or digits).
            local = _local_part(
                ascii_key(src_first[j]) or "client",
                ascii_key(src_last[j]) or "client",
                d[j, _D_PATTERN],
                0.2 + 0.2 * d[j, _D_DIGVAL],  # always some digits: a second mailbox
                int(birth_yy[j]),
            )
        email = f"{local}@{dom}"
        bad = d[j, _D_TYPO] < data_quality.email_typo_prob
        # Keeping a mistyped domain keeps the bounce: flag it as a typo too.
        bad = bad or dom not in email_domains(home[j])[0]
        if bad:
            email = _typo_email(email, d[j, _D_TYPO_KIND], d[j, _D_TYPO_POS], d[j, _D_TYPO_PICK])
        # Another address of the same person: never someone else's existing one.
        while email in taken or email == emails[j]:
            at = email.rindex("@")
            email = f"{email[:at]}{int(d[j, _D_DIGVAL] * 10)}{email[at:]}"
        emails[j], typos[j] = email, bad
    out["email"] = emails
    out["email_typo"] = typos

    out["consent_email"] = d[:, _D_CEMAIL] < rates["consent_email"]
    out["consent_sms"] = d[:, _D_CSMS] < rates["consent_sms"]
    out["opt_out"] = d[:, _D_OPTOUT] < rates["opt_out"]
    return out
