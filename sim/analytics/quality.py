"""Data quality: duplicate-profile detection, entity clustering, scoring against truth, e-mail checks.

Deduplication follows the classic record-linkage recipe:

1. **Blocking** — only profiles sharing a cheap key become candidate pairs:
   the same birth date, the same phone digits, or the same name key (Soundex
   of the last name + first initial). This keeps the work far below the
   n·(n−1)/2 pairs of a full comparison (25 000 profiles → ~312 million pairs).
2. **Comparison** — each candidate pair gets similarity scores in 0–1: full
   name (rapidfuzz ``token_sort_ratio``, so swapped first/last names still
   match), e-mail local part (``ratio``), phone digits and birth date (equal
   or not). A weighted mean of the available scores is the pair ``score``.
3. **Decision** — ``match = score >= threshold``; matched pairs are merged
   into entities with union-find (a duplicate of a duplicate is the same person).

The ``truth`` table (``person_id``) says which profiles really are one person,
so :func:`pair_metrics` scores the detected pairs (precision, recall, F1).

>>> soundex("Robert"), soundex("Rupert"), soundex("Tymczak")
('R163', 'R163', 'T522')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from sim.analytics._validate import check_table
from sim.geography import COUNTRIES, EMAIL_DOMAIN_TYPOS, GLOBAL_EMAIL_DOMAINS

__all__ = [
    "DEFAULT_WEIGHTS",
    "DUPLICATE_RATE_TARGET",
    "bounce_rates",
    "candidate_pairs",
    "cluster_entities",
    "duplicate_contacts",
    "duplicate_rate",
    "email_checks",
    "find_duplicates",
    "label_pairs",
    "pair_metrics",
    "score_pairs",
    "soundex",
    "threshold_curve",
    "threshold_metrics",
    "true_pairs",
    "typo_detection",
]

#: Share of duplicate profiles a well-run CRM database stays below ("< 2 % at any time").
DUPLICATE_RATE_TARGET = 0.02

#: Weights of the comparison scores in the pair score (renormalised over available scores).
DEFAULT_WEIGHTS: Mapping[str, float] = {"name": 0.4, "birth": 0.25, "email": 0.2, "phone": 0.15}

BLOCKS = ("birth_date", "phone", "name_key")

# Real mailbox providers: the simulated brand's (global and local) plus a few common ones.
KNOWN_DOMAINS: frozenset[str] = frozenset(
    [*GLOBAL_EMAIL_DOMAINS, *(d for c in COUNTRIES for d in c.email_domains)]
    + ["mail.com", "gmx.com", "gmx.net", "aol.com", "live.com", "msn.com", "me.com", "mac.com",
       "ymail.com", "proton.me", "protonmail.com", "googlemail.com"]
)  # fmt: skip
_KNOWN_TYPOS = {typo: good for good, typos in EMAIL_DOMAIN_TYPOS.items() for typo in typos}
_EMAIL_RE = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9._%+'-]+(?<!\.)@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,}$"
)

_SOUNDEX = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


# --------------------------------------------------------------------------- normalisation


def _ascii(text: str) -> str:
    """Lower-case ASCII letters and spaces only: "Müller-Lüdenscheidt" -> "muller ludenscheidt"."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z]+", " ", t).split())


def soundex(name: str) -> str:
    """American Soundex code of a name (letter + 3 digits); ``""`` when it has no letters."""
    letters = _ascii(name).replace(" ", "")
    if not letters:
        return ""
    out, last = [letters[0].upper()], _SOUNDEX.get(letters[0], "")
    for ch in letters[1:]:
        code = _SOUNDEX.get(ch, "")
        if code and code != last:
            out.append(code)
        if ch not in "hw":  # h and w do not separate equal codes; vowels do
            last = code
    return ("".join(out) + "000")[:4]


def _profiles(customers: pd.DataFrame) -> pd.DataFrame:
    check_table(
        customers, "customers", columns=["customer_id", "first_name", "last_name", "email", "phone"],
        datetime=["birth_date"],
    )  # fmt: skip
    if customers["customer_id"].duplicated().any():
        raise ValueError("customers.customer_id: ids are not unique")
    text = {
        c: customers[c].fillna("").astype(str)
        for c in ("first_name", "last_name", "email", "phone")
    }
    first = text["first_name"].map(_ascii)
    last = text["last_name"].map(_ascii)
    email = text["email"].str.strip().str.lower()
    phone = text["phone"].str.replace(r"\D", "", regex=True)
    sx = last.map(soundex)
    name_key = (sx + first.str[:1]).where((sx != "") & (first != ""))
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "name": (first + " " + last).str.strip(),
            "local": email.str.rsplit("@", n=1).str[0],
            "phone": phone.where(phone.str.len() >= 6),
            "birth_date": customers["birth_date"].to_numpy(),
            "name_key": name_key,
        }
    )


# --------------------------------------------------------------------------- pairs


def candidate_pairs(
    customers: pd.DataFrame, blocks: Iterable[str] = BLOCKS, max_block_size: int = 1000
) -> pd.DataFrame:
    """Candidate pairs of profiles that share at least one blocking key.

    Parameters
    ----------
    customers
        The customers table (``customer_id, first_name, last_name, email, phone, birth_date``).
    blocks
        Keys to block on: ``"birth_date"``, ``"phone"`` (digits only, at least 6)
        and/or ``"name_key"`` (Soundex of the last name + first initial).
    max_block_size
        Blocks with more profiles than this are skipped: a key shared by
        thousands of profiles says nothing and would make the pairs quadratic.

    Returns
    -------
    pandas.DataFrame
        ``customer_id_a < customer_id_b``, one row per pair, sorted.
    """
    blocks = list(blocks)
    unknown = sorted(set(blocks) - set(BLOCKS))
    if unknown or not blocks:
        raise ValueError(f"blocks: expected some of {', '.join(BLOCKS)}, got {blocks!r}")
    prof = _profiles(customers)
    parts = []
    for key in blocks:
        k = prof[["customer_id", key]].dropna()
        size = k.groupby(key)["customer_id"].transform("size")
        k = k[(size > 1) & (size <= max_block_size)]
        m = k.merge(k, on=key, suffixes=("_a", "_b"))
        parts.append(
            m.loc[m["customer_id_a"] < m["customer_id_b"], ["customer_id_a", "customer_id_b"]]
        )
    pairs = pd.concat(parts, ignore_index=True).drop_duplicates()
    return pairs.sort_values(["customer_id_a", "customer_id_b"], ignore_index=True)


def _weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    bad = sorted(set(w) - set(DEFAULT_WEIGHTS))
    if bad or any(not v >= 0 for v in w.values()) or sum(w.values()) <= 0:
        raise ValueError(
            f"weights: expected non-negative weights for {', '.join(DEFAULT_WEIGHTS)} "
            f"with a positive sum, got {w!r}"
        )
    return w


def score_pairs(
    customers: pd.DataFrame, pairs: pd.DataFrame, weights: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Similarity scores (0–1) of each candidate pair and their weighted mean ``score``.

    Scores: ``name`` (token-sort ratio of normalised first + last name),
    ``email`` (ratio of the e-mail local parts), ``phone`` and ``birth`` (1 if
    equal, else 0). A score is missing (NaN) when either profile lacks the
    field, and ``score`` averages the available ones with ``weights``
    (default :data:`DEFAULT_WEIGHTS`).
    """
    w = _weights(weights)
    check_table(pairs, "pairs", columns=["customer_id_a", "customer_id_b"], allow_empty=True)
    prof = _profiles(customers).set_index("customer_id")
    missing = ~pairs["customer_id_a"].isin(prof.index) | ~pairs["customer_id_b"].isin(prof.index)
    if missing.any():
        raise ValueError(f"pairs: {int(missing.sum())} pair(s) name a customer_id not in customers")
    a = prof.loc[pairs["customer_id_a"]].reset_index(drop=True)
    b = prof.loc[pairs["customer_id_b"]].reset_index(drop=True)
    out = pairs[["customer_id_a", "customer_id_b"]].reset_index(drop=True)

    def fuzzy(col: str, scorer) -> np.ndarray:
        if not len(a):
            return np.zeros(0)
        s = process.cpdist(a[col].tolist(), b[col].tolist(), scorer=scorer, workers=1) / 100.0
        empty = (a[col] == "").to_numpy() | (b[col] == "").to_numpy()
        return np.where(empty, np.nan, s)

    def equal(col: str) -> np.ndarray:
        known = (a[col].notna() & b[col].notna()).to_numpy()
        same = (a[col] == b[col]).fillna(False).to_numpy(dtype=bool)
        return np.where(known, same.astype(float), np.nan)

    out["name"] = fuzzy("name", fuzz.token_sort_ratio)
    out["email"] = fuzzy("local", fuzz.ratio)
    out["phone"] = equal("phone")
    out["birth"] = equal("birth_date")
    scores = out[list(w)].to_numpy(dtype=float)
    wt = np.where(np.isnan(scores), 0.0, np.array(list(w.values())))
    with np.errstate(invalid="ignore"):
        out["score"] = np.nansum(scores * wt, axis=1) / wt.sum(axis=1)
    return out


def find_duplicates(
    customers: pd.DataFrame,
    threshold: float = 0.7,
    blocks: Iterable[str] = BLOCKS,
    weights: Mapping[str, float] | None = None,
    max_block_size: int = 1000,
) -> pd.DataFrame:
    """Candidate pairs with their scores and a ``match`` decision (``score >= threshold``).

    Blocking + comparison + decision in one call; see the module docstring.
    Sorted by descending score.
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold: must be in 0–1, got {threshold!r}")
    pairs = candidate_pairs(customers, blocks, max_block_size)
    out = score_pairs(customers, pairs, weights)
    out["match"] = out["score"] >= threshold
    return out.sort_values(
        ["score", "customer_id_a", "customer_id_b"],
        ascending=[False, True, True],
        ignore_index=True,
    )


def cluster_entities(
    pairs: pd.DataFrame, customer_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Group matched pairs into entities with union-find (transitive closure).

    Uses the rows with ``match`` True when the column exists, else every row.
    ``customer_ids`` (e.g. ``customers["customer_id"]``) adds the unmatched
    profiles as single-profile entities. The ``entity_id`` is the smallest
    ``customer_id`` of the entity.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, entity_id``, sorted by ``customer_id``.
    """
    check_table(pairs, "pairs", columns=["customer_id_a", "customer_id_b"], allow_empty=True)
    if "match" in pairs.columns:
        pairs = pairs[pairs["match"].astype(bool)]
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for x in [] if customer_ids is None else customer_ids:
        parent.setdefault(int(x), int(x))
    for x, y in zip(pairs["customer_id_a"].tolist(), pairs["customer_id_b"].tolist(), strict=True):
        parent.setdefault(x, x)
        parent.setdefault(y, y)
        rx, ry = find(x), find(y)
        if rx != ry:  # the smaller id becomes the root, so the root is the entity's min id
            parent[max(rx, ry)] = min(rx, ry)
    ids = sorted(parent)
    return pd.DataFrame(
        {
            "customer_id": np.array(ids, dtype="int64"),
            "entity_id": np.array([find(i) for i in ids], dtype="int64"),
        }
    )


def true_pairs(truth: pd.DataFrame) -> pd.DataFrame:
    """All pairs of profiles that share a ``person_id`` (``customer_id_a < customer_id_b``)."""
    check_table(truth, "truth", columns=["customer_id", "person_id"], allow_empty=True)
    t = truth[["customer_id", "person_id"]]
    m = t.merge(t, on="person_id", suffixes=("_a", "_b"))
    m = m[m["customer_id_a"] < m["customer_id_b"]]
    return m[["customer_id_a", "customer_id_b"]].sort_values(
        ["customer_id_a", "customer_id_b"], ignore_index=True
    )


def pair_metrics(pairs: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Precision, recall and F1 of detected pairs against the true pairs of ``truth``.

    The detected pairs are the rows with ``match`` True (every row if the
    column is absent); a pair is true when both profiles share a ``person_id``.
    Precision = TP / detected (NaN if nothing was detected), recall = TP / true
    pairs (NaN if there are none), F1 their harmonic mean.
    """
    check_table(pairs, "pairs", columns=["customer_id_a", "customer_id_b"], allow_empty=True)
    check_table(truth, "truth", columns=["customer_id", "person_id"])
    if "match" in pairs.columns:
        pairs = pairs[pairs["match"].astype(bool)]
    lo = np.minimum(pairs["customer_id_a"], pairs["customer_id_b"])
    hi = np.maximum(pairs["customer_id_a"], pairs["customer_id_b"])
    detected = set(zip(lo.tolist(), hi.tolist(), strict=True))
    real = true_pairs(truth)
    actual = set(zip(real["customer_id_a"].tolist(), real["customer_id_b"].tolist(), strict=True))
    tp = len(detected & actual)
    precision = tp / len(detected) if detected else np.nan
    recall = tp / len(actual) if actual else np.nan
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else np.nan
    return pd.Series(
        {
            "detected": len(detected),
            "true_pairs": len(actual),
            "tp": tp,
            "fp": len(detected) - tp,
            "fn": len(actual) - tp,
            "precision": precision,
            "recall": recall,
            "f1": f1,
        }
    )


def duplicate_rate(table: pd.DataFrame) -> float:
    """Share of profiles that are duplicates (compare with :data:`DUPLICATE_RATE_TARGET`).

    Accepts the ``truth`` table (mean of ``is_duplicate``: the real rate) or the
    output of :func:`cluster_entities` (1 − entities / profiles: the estimated rate).
    """
    if isinstance(table, pd.DataFrame) and "is_duplicate" in table.columns:
        check_table(table, "truth", flags=["is_duplicate"])
        return float(table["is_duplicate"].astype(bool).mean())
    check_table(table, "entities", columns=["customer_id", "entity_id"])
    return 1.0 - table["entity_id"].nunique() / table["customer_id"].nunique()


# --------------------------------------------------------------------------- e-mail


def _suggest(domain: str, known: Sequence[str]) -> str:
    if domain in _KNOWN_TYPOS:
        return _KNOWN_TYPOS[domain]
    if domain in KNOWN_DOMAINS:
        return ""
    best = process.extractOne(domain, known, scorer=OSA.distance, score_cutoff=1)
    return best[0] if best else ""


def email_checks(customers: pd.DataFrame) -> pd.DataFrame:
    """Syntax and domain-typo check of every e-mail address.

    ``valid_syntax`` tests the usual shape ``local@label.tld`` (no spaces, no
    double dots, a TLD of two letters or more). ``suggestion`` is the real
    provider a domain looks like a slip of: a known mistyping (gmial.com →
    gmail.com) or one edit (insert, delete, replace or swap) away from a known
    provider domain; ``typo_suspect`` is True then. ``flag`` = invalid or suspect.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, email, valid_syntax, domain, suggestion, typo_suspect, flag``.
    """
    check_table(customers, "customers", columns=["customer_id", "email"])
    email = customers["email"].fillna("").astype(str).str.strip()
    valid = email.map(lambda e: bool(_EMAIL_RE.match(e)))
    domain = email.str.rsplit("@", n=1).str[-1].str.lower().where(email.str.contains("@"), "")
    known = sorted(KNOWN_DOMAINS)
    uniq = {d: _suggest(d, known) for d in domain.unique()}
    suggestion = domain.map(uniq)
    typo = suggestion != ""
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "email": email.to_numpy(),
            "valid_syntax": valid.to_numpy(dtype=bool),
            "domain": domain.to_numpy(),
            "suggestion": suggestion.to_numpy(),
            "typo_suspect": typo.to_numpy(dtype=bool),
            "flag": (~valid | typo).to_numpy(dtype=bool),
        }
    )


# --------------------------------------------------------------------------- course additions
# Threshold trade-off, the cost of duplicates and e-mail typo scoring (appended
# for notebook 02; the functions above are unchanged).


def label_pairs(pairs: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` with an ``is_true`` column: both profiles belong to the same person.

    Score the candidate pairs once (:func:`find_duplicates`), label them once,
    then :func:`threshold_metrics` only compares scores with a threshold.
    """
    check_table(pairs, "pairs", columns=["customer_id_a", "customer_id_b"], allow_empty=True)
    check_table(truth, "truth", columns=["customer_id", "person_id"])
    person = truth.set_index("customer_id")["person_id"]
    a = pairs["customer_id_a"].map(person)
    b = pairs["customer_id_b"].map(person)
    return pairs.assign(is_true=(a == b).fillna(False).to_numpy(dtype=bool))


def threshold_metrics(
    labelled: pd.DataFrame, threshold: float, true_pairs: int, profiles: int
) -> pd.Series:
    """Precision, recall, F1 and the estimated duplicate rate at one match threshold.

    Parameters
    ----------
    labelled
        Scored candidate pairs with ``score`` and ``is_true`` (:func:`label_pairs`).
    threshold
        A pair matches when ``score >= threshold``.
    true_pairs
        Number of true pairs (``len(true_pairs(truth))``), including those
        blocking never proposed, so recall counts them as missed.
    profiles
        Number of profiles; the estimated duplicate rate is the share of
        profiles merged away (``1 − entities / profiles``).
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold: must be in 0–1, got {threshold!r}")
    if profiles <= 0:
        raise ValueError(f"profiles: must be > 0, got {profiles!r}")
    check_table(
        labelled, "pairs", columns=["customer_id_a", "customer_id_b"], numeric=["score"],
        flags=["is_true"], allow_empty=True,
    )  # fmt: skip
    hit = labelled[labelled["score"].to_numpy() >= threshold]
    tp = int(hit["is_true"].sum())
    detected = len(hit)
    entities = cluster_entities(hit[["customer_id_a", "customer_id_b"]])
    merged = len(entities) - entities["entity_id"].nunique()
    precision = tp / detected if detected else np.nan
    recall = tp / true_pairs if true_pairs else np.nan
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else np.nan
    return pd.Series(
        {
            "threshold": float(threshold),
            "detected": detected,
            "tp": tp,
            "fp": detected - tp,
            "fn": int(true_pairs) - tp,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "estimated_duplicate_rate": merged / profiles,
        }
    )


def threshold_curve(
    labelled: pd.DataFrame, thresholds: Iterable[float], true_pairs: int, profiles: int
) -> pd.DataFrame:
    """:func:`threshold_metrics` for each threshold, one row each (the trade-off curve)."""
    rows = [threshold_metrics(labelled, float(t), true_pairs, profiles) for t in thresholds]
    return pd.DataFrame(rows).reset_index(drop=True)


def duplicate_contacts(messages: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """The cost of duplicates: how often one person got the same message twice.

    A person with several profiles receives a campaign once per profile. A
    *repeat* is any message beyond the first of the same campaign to the same
    person on the same day.

    Returns
    -------
    pandas.Series
        ``people_with_duplicates``, ``messages_to_them`` (all messages to their
        profiles), ``repeats`` and ``repeat_share`` (repeats / messages_to_them).
    """
    check_table(messages, "messages", columns=["customer_id", "campaign_id"], datetime=["sent_at"])
    check_table(truth, "truth", columns=["customer_id", "person_id"])
    size = truth.groupby("person_id")["customer_id"].transform("size")
    dup = truth.loc[size > 1, ["customer_id", "person_id"]]
    m = messages[["customer_id", "campaign_id", "sent_at"]].merge(dup, on="customer_id")
    per = m.groupby(["person_id", "campaign_id", m["sent_at"].dt.floor("D")]).size()
    repeats = int((per - 1).sum())
    return pd.Series(
        {
            "people_with_duplicates": int(dup["person_id"].nunique()),
            "messages_to_them": len(m),
            "repeats": repeats,
            "repeat_share": repeats / len(m) if len(m) else np.nan,
        }
    )


def bounce_rates(messages: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """E-mail bounce rates (none / soft / hard, shares of sends) for typo'd and correct addresses.

    Rows ``correct address`` and ``typo in address`` (from ``truth.email_typo``),
    columns ``sends``, ``none``, ``soft``, ``hard``. Only e-mail sends count.
    """
    check_table(messages, "messages", columns=["customer_id", "channel", "bounce"])
    check_table(truth, "truth", columns=["customer_id"], flags=["email_typo"])
    e = messages.loc[messages["channel"] == "email", ["customer_id", "bounce"]]
    typo = e["customer_id"].map(truth.set_index("customer_id")["email_typo"]).fillna(False)
    label = np.where(typo.astype(bool), "typo in address", "correct address")
    shares = pd.crosstab(label, e["bounce"], normalize="index")
    shares = shares.reindex(columns=["none", "soft", "hard"], fill_value=0.0)
    shares.columns.name = None
    out = pd.concat([pd.Series(label).value_counts().rename("sends"), shares], axis=1)
    out = out.reindex([x for x in ("correct address", "typo in address") if x in out.index])
    out.index.name = "address"
    return out


def typo_detection(checks: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """How well :func:`email_checks` flags the typo'd addresses: precision and recall vs truth."""
    check_table(checks, "email checks", columns=["customer_id"], flags=["flag"])
    check_table(truth, "truth", columns=["customer_id"], flags=["email_typo"])
    actual = checks["customer_id"].map(truth.set_index("customer_id")["email_typo"])
    actual = actual.fillna(False).astype(bool).to_numpy()
    flagged = checks["flag"].astype(bool).to_numpy()
    tp = int((flagged & actual).sum())
    return pd.Series(
        {
            "flagged": int(flagged.sum()),
            "typos": int(actual.sum()),
            "tp": tp,
            "precision": tp / flagged.sum() if flagged.sum() else np.nan,
            "recall": tp / actual.sum() if actual.sum() else np.nan,
        }
    )


# --------------------------------------------------------------------------- uncertainty and GDPR
# A brand without a truth table estimates its duplicate rate and its matcher's
# precision from a hand-reviewed random sample; these functions say how far
# such an estimate can be trusted (Wilson intervals), and what duplicates do
# to consent.
__all__ += [
    "GDPR_SPECIAL_CATEGORIES",
    "consent_conflicts",
    "duplicate_cut",
    "personal_data_inventory",
    "precision_audit",
    "sample_duplicate_rate",
    "target_verdict",
]

#: The special categories of personal data of GDPR Article 9(1). Processing them is
#: prohibited unless an exception of Article 9(2) applies; for a brand's marketing that
#: is in practice the person's explicit consent.
GDPR_SPECIAL_CATEGORIES: tuple[str, ...] = (
    "racial or ethnic origin",
    "political opinions",
    "religious or philosophical beliefs",
    "trade union membership",
    "genetic data",
    "biometric data (to identify a person)",
    "health",
    "sex life or sexual orientation",
)


def duplicate_cut(before: float, after: float) -> float:
    """Relative cut of the duplicate rate: (before − after) / before.

    The measure of the source's "duplicates cut by 30 %": a share of the
    duplicates removed, not a difference of two rates in points.

    >>> round(duplicate_cut(0.02, 0.005), 2)
    0.75
    """
    for name, v in (("before", before), ("after", after)):
        if not (np.isfinite(v) and 0 <= v <= 1):
            raise ValueError(f"{name}: must be a duplicate rate between 0 and 1, got {v!r}")
    if before == 0:
        raise ValueError("before: the duplicate rate before deduplication is 0, nothing to cut")
    return float((before - after) / before)


def target_verdict(low: float, high: float, target: float) -> str:
    """What an interval for a rate says about a ``rate < target`` goal.

    ``"meets"`` when the whole interval is below the target, ``"misses"`` when
    it is wholly at or above it, ``"cannot tell"`` when it straddles it.

    >>> target_verdict(0.01, 0.018, 0.02), target_verdict(0.015, 0.03, 0.02)
    ('meets', 'cannot tell')
    """
    if not (np.isfinite(low) and np.isfinite(high)):
        return "cannot tell"
    if high < target:
        return "meets"
    if low >= target:
        return "misses"
    return "cannot tell"


def _sample_size(n: int, name: str) -> int:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"{name}: must be a whole number >= 1, got {n!r}")
    return int(n)


def sample_duplicate_rate(
    truth: pd.DataFrame,
    sample_size: int,
    seed: int = 0,
    level: float = 0.95,
    target: float = DUPLICATE_RATE_TARGET,
) -> pd.Series:
    """The duplicate rate a clerical review of ``sample_size`` random profiles would report.

    The reviewers' verdicts are the truth's ``is_duplicate`` for the sampled
    profiles (drawn without replacement with ``numpy.random.default_rng(seed)``).

    Returns
    -------
    pandas.Series
        ``reviewed``, ``duplicates``, ``estimate``, ``low``, ``high`` (Wilson
        interval at ``level``), ``true_rate`` (the whole base) and ``verdict``
        (:func:`target_verdict` of the interval against ``target``).
    """
    from sim.analytics.intervals import wilson_interval

    check_table(truth, "truth", columns=["customer_id"], flags=["is_duplicate"])
    n = min(_sample_size(sample_size, "sample_size"), len(truth))
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(truth), size=n, replace=False)
    dups = int(truth["is_duplicate"].astype(bool).to_numpy()[picked].sum())
    ci = wilson_interval(dups, n, level)
    return pd.Series(
        {
            "reviewed": n,
            "duplicates": dups,
            "estimate": ci["estimate"],
            "low": ci["low"],
            "high": ci["high"],
            "true_rate": duplicate_rate(truth),
            "verdict": target_verdict(ci["low"], ci["high"], target),
        },
        dtype=object,
    )


def precision_audit(
    labelled: pd.DataFrame,
    threshold: float,
    sample_size: int,
    seed: int = 0,
    level: float = 0.95,
) -> pd.Series:
    """Precision at ``threshold`` as a review of ``sample_size`` random matched pairs estimates it.

    Parameters
    ----------
    labelled
        Scored pairs with ``score`` and ``is_true`` (:func:`label_pairs`); the
        reviewer's verdict on a pair is its ``is_true``.
    threshold
        Pairs with ``score >= threshold`` are the matches under review.
    sample_size
        Matches reviewed by hand (all of them if fewer).

    Returns
    -------
    pandas.Series
        ``matches``, ``reviewed``, ``confirmed``, ``estimate``, ``low``,
        ``high`` (Wilson interval) and ``true_precision`` (over every match).
    """
    from sim.analytics.intervals import wilson_interval

    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold: must be in 0–1, got {threshold!r}")
    check_table(labelled, "pairs", numeric=["score"], flags=["is_true"], allow_empty=True)
    sample_size = _sample_size(sample_size, "sample_size")
    hit = labelled["is_true"].to_numpy(dtype=bool)[labelled["score"].to_numpy() >= threshold]
    n = min(sample_size, len(hit))
    picked = np.random.default_rng(seed).choice(len(hit), size=n, replace=False)
    confirmed = int(hit[picked].sum())
    ci = wilson_interval(confirmed, n, level)
    return pd.Series(
        {
            "matches": len(hit),
            "reviewed": n,
            "confirmed": confirmed,
            "estimate": ci["estimate"],
            "low": ci["low"],
            "high": ci["high"],
            "true_precision": float(hit.mean()) if len(hit) else np.nan,
        }
    )


def consent_conflicts(
    customers: pd.DataFrame,
    truth: pd.DataFrame,
    columns: Sequence[str] = ("consent_email", "consent_sms", "consent_social", "opt_out"),
) -> pd.DataFrame:
    """People whose profiles disagree on a consent flag: the brand cannot honour both.

    A person who opted out on one profile and is still opted in on the other
    keeps receiving marketing they refused; GDPR asks that consent (and its
    withdrawal) be respected for the person, not the record.

    Returns
    -------
    pandas.DataFrame
        One row per consent column: ``people_with_duplicates``,
        ``conflicting`` (people whose profiles hold both values) and
        ``share`` (conflicting / people_with_duplicates).
    """
    cols = list(columns)
    check_table(customers, "customers", columns=["customer_id"], flags=cols)
    check_table(truth, "truth", columns=["customer_id", "person_id"])
    m = customers[["customer_id", *cols]].merge(
        truth[["customer_id", "person_id"]], on="customer_id"
    )
    size = m.groupby("person_id")["customer_id"].transform("size")
    dup = m[size > 1]
    people = int(dup["person_id"].nunique())
    rows = {}
    for col in cols:
        conflicting = int((dup.groupby("person_id")[col].nunique() > 1).sum())
        rows[col] = {
            "people_with_duplicates": people,
            "conflicting": conflicting,
            "share": conflicting / people if people else np.nan,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "consent"
    return out


# How each customers column counts under GDPR: (category, legal note).
_CUSTOMER_FIELDS: Mapping[str, tuple[str, str]] = {
    "customer_id": ("pseudonymous key", "personal data once linked to the profile"),
    "first_name": ("identity", "direct identifier"),
    "last_name": ("identity", "direct identifier"),
    "email": ("contact", "direct identifier; marketing needs e-mail consent"),
    "phone": ("contact", "direct identifier; marketing needs SMS consent"),
    "birth_date": ("declared", "personal data; ask only if used (minimisation)"),
    "generation": ("derived", "derived from birth date"),
    "nationality": ("declared", "may reveal ethnic origin: treat with special-category care"),
    "home_country": ("declared", "personal data"),
    "city": ("declared", "personal data"),
    "market": ("derived", "derived from home country"),
    "signup_date": ("transactional", "personal data"),
    "signup_channel": ("transactional", "personal data"),
    "acquisition_channel": ("behavioural", "personal data"),
    "lead_id": ("pseudonymous key", "links to the lead's behaviour"),
    "referred_by": ("relationship", "personal data of two people"),
    "consent_email": ("consent", "proof of opt-in must be kept"),
    "consent_sms": ("consent", "proof of opt-in must be kept"),
    "consent_social": ("consent", "proof of opt-in must be kept"),
    "opt_out": ("consent", "suppression list: kept to honour the refusal, never deleted"),
    "loyalty_member": ("transactional", "personal data"),
    "loyalty_enrol_date": ("transactional", "personal data"),
}
# Columns that could reveal a special category (directly or as a close proxy).
_SPECIAL_PROXIES: Mapping[str, str] = {"nationality": "racial or ethnic origin"}


def personal_data_inventory(columns: Iterable[str]) -> pd.DataFrame:
    """GDPR inventory of a customers table's columns: category, note, special-category risk.

    Parameters
    ----------
    columns
        Column names (e.g. ``customers.columns``). A column the workbench does
        not know is listed as ``"unknown"`` so that a new field is reviewed,
        not assumed harmless.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``column``: ``category``, ``note`` and ``special_category``
        (the GDPR Article 9 category it may reveal, ``""`` if none).
    """
    rows = []
    for col in columns:
        category, note = _CUSTOMER_FIELDS.get(col, ("unknown", "review before use"))
        rows.append(
            {
                "column": col,
                "category": category,
                "note": note,
                "special_category": _SPECIAL_PROXIES.get(col, ""),
            }
        )
    return pd.DataFrame(rows).set_index("column")


def audit_view(
    labelled: pd.DataFrame,
    threshold: float,
    review: int,
    true_pairs: int,
    profiles: int,
    seed: int = 0,
) -> pd.Series:
    """For the explorer: the metrics at ``threshold`` and what a review of ``review`` matches shows.

    :func:`threshold_metrics` plus :func:`precision_audit` (prefixed ``audit_``)
    and the verdict on the duplicates left (``fn / profiles``) against the target.
    """
    m = threshold_metrics(labelled, threshold, true_pairs, profiles)
    a = precision_audit(labelled, threshold, review, seed)
    out = pd.concat([m, a.add_prefix("audit_")])
    out["left_rate"] = m["fn"] / profiles
    return out


__all__ += ["audit_view"]
