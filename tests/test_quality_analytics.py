"""Data-quality analytics: blocking, pair scores, clustering and metrics on a hand-made table."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.analytics import quality as qa

#   id  person  who
#   1   1       Anna Schmidt
#   2   1       "Ana" Schmidt: misspelt first name, other provider, same phone and birth
#   3   2       Peter Müller
#   4   2       Peter Muller: accent lost, other e-mail (with a domain typo) and phone
#   5   3       Paul Smith, born the same day as Anna (a birth-date block, not a match)
#   6   4       John Smyth  } same Soundex S530 + initial j: a name block, not a match
#   7   5       Jon Smith   }
#   8   6       another Anna Schmidt (homonym: other birth date, phone, e-mail)
CUSTOMERS = pd.DataFrame(
    {
        "customer_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "first_name": ["Anna", "Ana", "Peter", "Peter", "Paul", "John", "Jon", "Anna"],
        "last_name": ["Schmidt", "Schmidt", "Müller", "Muller", "Smith", "Smyth", "Smith", "Schmidt"],
        "email": [
            "anna.schmidt@gmail.com", "anna.schmidt@web.de", "peter.mueller@gmx.de",
            "p.muller@gmial.com", "paul.smith@yahoo.com", "jsmyth@hotmail.com",
            "jon.smith@outlook.com", "anna.s@orange.fr",
        ],
        "phone": [
            "+49 151 1234567", "+49 151 1234567", "+49 160 9999999", "+49 170 1111111",
            "+44 7700 900123", "+1 202 555 0100", "+1 303 555 0199", "+33 6 12 34 56 78",
        ],
        "birth_date": pd.to_datetime(
            ["1980-05-01", "1980-05-01", "1975-02-02", "1975-02-02", "1980-05-01",
             "1990-01-01", "1985-03-03", "1992-07-07"]
        ),
    }
)  # fmt: skip
TRUTH = pd.DataFrame(
    {
        "customer_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "person_id": [1, 1, 2, 2, 3, 4, 5, 6],
        "is_duplicate": [False, True, False, True, False, False, False, False],
    }
)


def pairs_of(df: pd.DataFrame) -> list[tuple[int, int]]:
    return list(zip(df["customer_id_a"], df["customer_id_b"], strict=True))


def test_soundex():
    # classic reference codes (Knuth, TAOCP vol. 3)
    assert qa.soundex("Robert") == qa.soundex("Rupert") == "R163"
    assert qa.soundex("Ashcraft") == "A261"  # h does not separate s and c
    assert qa.soundex("Tymczak") == "T522"
    assert qa.soundex("Pfister") == "P236"
    assert qa.soundex("Müller") == qa.soundex("Muller") == "M460"
    assert qa.soundex("") == ""


def test_blocking():
    # birth 1980-05-01 {1,2,5}: (1,2) (1,5) (2,5); birth 1975-02-02: (3,4); phone: (1,2)
    # name keys: S253a {1,2,8}: (1,2) (1,8) (2,8); M460p: (3,4); S530j {6,7}: (6,7)
    assert pairs_of(qa.candidate_pairs(CUSTOMERS)) == [
        (1, 2), (1, 5), (1, 8), (2, 5), (2, 8), (3, 4), (6, 7),
    ]  # fmt: skip
    assert pairs_of(qa.candidate_pairs(CUSTOMERS, blocks=["phone"])) == [(1, 2)]
    # a block larger than max_block_size is skipped: birth {1,2,5} goes, (3,4) stays
    assert pairs_of(qa.candidate_pairs(CUSTOMERS, ["birth_date"], max_block_size=2)) == [(3, 4)]


def test_pair_scores_hand_computed():
    out = qa.find_duplicates(CUSTOMERS).set_index(["customer_id_a", "customer_id_b"])
    # (1,2): names "ana schmidt" vs "anna schmidt": Indel distance 1, ratio (11+12-1)/23
    # e-mail locals equal (1), phone equal (1), birth equal (1)
    # score = 0.4*22/23 + 0.2*1 + 0.15*1 + 0.25*1 = 0.98261
    assert out.loc[(1, 2), "name"] == pytest.approx(22 / 23)
    assert out.loc[(1, 2), "score"] == pytest.approx(0.4 * 22 / 23 + 0.6)
    # (3,4): names equal after accent folding; locals "peter.mueller" (13) vs "p.muller" (8),
    # longest common subsequence "p.muller" (8) -> ratio 2*8/21; phone differs; birth equal
    # score = 0.4 + 0.2*16/21 + 0 + 0.25 = 0.80238
    assert out.loc[(3, 4), "email"] == pytest.approx(16 / 21)
    assert out.loc[(3, 4), "score"] == pytest.approx(0.65 + 0.2 * 16 / 21)
    # homonym (1,8): same name, nothing else -> score = 0.4 + 0.2 * email ratio < 0.7
    assert out.loc[(1, 8), "birth"] == 0 and out.loc[(1, 8), "score"] < 0.7
    assert sorted(out.index[out["match"]]) == [(1, 2), (3, 4)]


def test_missing_field_drops_its_weight():
    c = CUSTOMERS.assign(phone=CUSTOMERS["phone"].where(CUSTOMERS["customer_id"] != 2, ""))
    out = qa.score_pairs(c, pd.DataFrame({"customer_id_a": [1], "customer_id_b": [2]}))
    # phone unknown -> (0.4*22/23 + 0.2 + 0.25) / 0.85
    assert pd.isna(out.loc[0, "phone"])
    assert out.loc[0, "score"] == pytest.approx((0.4 * 22 / 23 + 0.45) / 0.85)


def test_pair_metrics():
    detected = pd.DataFrame(
        {
            "customer_id_a": [1, 1, 6, 3],
            "customer_id_b": [2, 8, 7, 5],
            "match": [True, True, False, True],
        }
    )
    m = qa.pair_metrics(detected, TRUTH)
    # detected (match): (1,2) (1,8) (3,5); true pairs (1,2) (3,4)
    # TP 1, FP 2, FN 1 -> precision 1/3, recall 1/2, F1 = 2*(1/6)/(5/6) = 0.4
    assert (m["tp"], m["fp"], m["fn"]) == (1, 2, 1)
    assert m["precision"] == pytest.approx(1 / 3)
    assert m["recall"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(0.4)
    perfect = qa.pair_metrics(qa.find_duplicates(CUSTOMERS), TRUTH)
    assert (perfect["precision"], perfect["recall"]) == (1.0, 1.0)


def test_clusters_and_duplicate_rate():
    pairs = pd.DataFrame({"customer_id_a": [2, 1, 5], "customer_id_b": [3, 2, 6]})
    ent = qa.cluster_entities(pairs, customer_ids=range(1, 8))
    # 1-2, 2-3 -> {1,2,3}; 5-6 -> {5,6}; 4 and 7 alone: 4 entities of 7 profiles
    assert ent["entity_id"].tolist() == [1, 1, 1, 4, 5, 5, 7]
    assert qa.duplicate_rate(ent) == pytest.approx(1 - 4 / 7)
    assert qa.duplicate_rate(TRUTH) == pytest.approx(2 / 8)  # above the 2 % target
    assert qa.duplicate_rate(TRUTH) > qa.DUPLICATE_RATE_TARGET
    # matched pairs only when a match column is present
    ent = qa.cluster_entities(pairs.assign(match=[True, False, True]))
    assert ent.set_index("customer_id")["entity_id"].to_dict() == {2: 2, 3: 2, 5: 5, 6: 5}


def test_email_checks():
    c = pd.DataFrame(
        {
            "customer_id": range(9),
            "email": [
                "anna.schmidt@gmail.com",
                "p.muller@gmial.com",
                "x@hotmal.com",
                "bob@web.dn",
                "bad@@x.com",
                "no-at-sign",
                "a..b@gmail.com",
                "jean@orange.fr",
                "x@mail.com",
            ],
        }
    )
    out = qa.email_checks(c).set_index("customer_id")
    assert out["valid_syntax"].tolist() == [True, True, True, True, False, False, False, True, True]
    # known typos, and web.dn one edit away from web.de
    assert out["suggestion"].tolist()[:4] == ["", "gmail.com", "hotmail.com", "web.de"]
    assert out["flag"].tolist() == [False, True, True, True, True, True, True, False, False]


def test_bad_input():
    with pytest.raises(ValueError, match=r"customers: missing column\(s\) phone"):
        qa.find_duplicates(CUSTOMERS.drop(columns="phone"))
    with pytest.raises(ValueError, match="customers: table is empty"):
        qa.candidate_pairs(CUSTOMERS.iloc[:0])
    with pytest.raises(ValueError, match=r"customers\.customer_id: ids are not unique"):
        qa.candidate_pairs(pd.concat([CUSTOMERS, CUSTOMERS]))
    with pytest.raises(ValueError, match="customers.birth_date: expected datetime"):
        qa.candidate_pairs(CUSTOMERS.assign(birth_date="1980-05-01"))
    with pytest.raises(ValueError, match="blocks"):
        qa.candidate_pairs(CUSTOMERS, blocks=["email"])
    with pytest.raises(ValueError, match="threshold"):
        qa.find_duplicates(CUSTOMERS, threshold=70)
    with pytest.raises(ValueError, match="weights"):
        qa.find_duplicates(CUSTOMERS, weights={"nickname": 1.0})
    with pytest.raises(ValueError, match="truth: missing column"):
        qa.pair_metrics(qa.find_duplicates(CUSTOMERS), TRUTH.drop(columns="person_id"))
