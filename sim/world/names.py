"""Name pools per locale, read once from Faker's data and romanised to Latin script.

Faker's per-call API runs at a few thousand names a second, far too slow for
a million people, so each locale's weighted first- and last-name lists are read
once into pools that the population samples from with uniform draws.

- ``zh_CN``, ``zh_TW`` and ``ja_JP`` use Faker's romanised name lists;
- Korean names are romanised from Hangul (Revised Romanisation, with the usual
  spellings of common family names: Kim, Lee, Park, ...);
- Russian, Ukrainian, Bulgarian, Macedonian and Greek names are transliterated
  letter by letter;
- Polish and Icelandic surnames, which Faker builds in methods rather than
  lists, are rebuilt from its lists (Kowalski/Kowalska, Jónsson/Jónsdóttir);
- Arabic-speaking countries use a small curated list of romanised Gulf names,
  because Faker has Arabic-script names only (or none at all for ``ar_AE``).

Other locales keep their diacritics (Müller, José); :func:`ascii_key` folds a
name to ASCII for e-mail addresses.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import locale as pylocale
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["NamePool", "NamePools", "ascii_key", "name_pools"]


@dataclass(frozen=True)
class NamePool:
    """Names (display form), their ASCII e-mail keys and cumulative probabilities."""

    names: np.ndarray
    keys: np.ndarray
    cum: np.ndarray

    def pick(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        idx = np.minimum(np.searchsorted(self.cum, u, side="right"), len(self.names) - 1)
        return self.names[idx], self.keys[idx]


@dataclass(frozen=True)
class NamePools:
    first_female: NamePool
    first_male: NamePool
    last_female: NamePool
    last_male: NamePool


_FOLD = str.maketrans(
    {"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ɛ": "e"}
    | {"æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "þ": "th", "ð": "d"}
)


_NOT_AZ = re.compile("[^a-z]")


def ascii_key(name: str) -> str:
    """Lower-case ASCII letters of a name, as used in e-mail local parts."""
    if name.isascii():
        # Nothing to fold or decompose (the folds are all non-ASCII letters).
        return _NOT_AZ.sub("", name.lower())
    folded = unicodedata.normalize("NFKD", name.translate(_FOLD))
    return _NOT_AZ.sub("", folded.lower())


_CYRILLIC = dict(
    zip(
        "абвгґдеєёжзиіїйклмнопрстуфхцчшщъыьэюя",
        "a b v g g d e ye yo zh z i i yi y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)
# Ukrainian: г is h, и is y, and the apostrophe (ʼ) is dropped as in the official scheme.
_UKRAINIAN = _CYRILLIC | {"г": "h", "и": "y", "е": "e", "ʼ": "-", "'": "-"}
# Bulgarian (official 2009 scheme: щ is sht, ъ is a) and Macedonian (passport spellings).
_BULGARIAN = _CYRILLIC | {"х": "h", "щ": "sht", "ъ": "a", "ь": "y"}
_MACEDONIAN = _CYRILLIC | {"х": "h", "ц": "c", "ѓ": "gj", "ќ": "kj", "ѕ": "dz", "ј": "j"}
_MACEDONIAN |= {"љ": "lj", "њ": "nj", "џ": "dzh"}
_GREEK = dict(
    zip(
        "αβγδεζηθικλμνξοπρσςτυφχψω",
        "a v g d e z i th i k l m n x o p r s s t y f ch ps o".split(),
        strict=True,
    )
)


def _transliterate(name: str, table: Mapping[str, str]) -> str:
    # Strip accents first (Greek tonos), map letter by letter, keep separators.
    base = "".join(ch for ch in unicodedata.normalize("NFD", name) if not unicodedata.combining(ch))
    if table is _GREEK:
        base = base.replace("ου", "ou").replace("ΟΥ", "OU").replace("Ου", "Ou")
    out = []
    for ch in base:
        low = ch.lower()
        if low in table:
            piece = table[low].replace("-", "")
            out.append(piece.capitalize() if ch != low else piece)
        else:
            out.append(ch)
    return "".join(out)


# Hangul syllable = 0xAC00 + (initial * 21 + medial) * 28 + final.
_KO_INITIAL = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()
_KO_MEDIAL = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_KO_FINAL = ("- k k k n n n t l k m l l l p l m p p t t ng t t k t p t").split()
_KO_SURNAMES = dict(
    zip(
        "김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 류 전 홍 고 문 양 손 배 백 허 유 남 심 노 하 곽 성 차 주 우 구 민 진 나 지 엄".split(),
        "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song Ryu "
        "Jeon Hong Ko Moon Yang Son Bae Baek Heo Yoo Nam Shim Noh Ha Kwak Sung Cha Joo Woo Koo "
        "Min Jin Na Ji Um".split(),
        strict=True,
    )
)


def _romanize_hangul(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch) - 0xAC00
        if not 0 <= code < 11172:
            out.append(ch)
            continue
        ini, rest = divmod(code, 21 * 28)
        med, fin = divmod(rest, 28)
        out.append((_KO_INITIAL[ini] + _KO_MEDIAL[med] + _KO_FINAL[fin]).replace("-", ""))
    return "".join(out).capitalize()


# Faker has no Latin-script Arabic names: a short list of common romanised ones.
_ARABIC_FIRST_MALE = (
    "Mohammed Ahmed Abdullah Khalid Omar Ali Hamad Saeed Sultan Faisal Rashid Nasser Yousef "
    "Hassan Majid Salem Fahad Saud Tariq Ibrahim Mansour Hamdan Abdulaziz Mubarak Jassim "
    "Hamza Karim Mahmoud Mostafa Adel Waleed Ziad Bader Turki Nawaf"
).split()
_ARABIC_FIRST_FEMALE = (
    "Fatima Aisha Maryam Noura Sara Mariam Reem Hessa Latifa Shamma Mona Amna Alya Dana "
    "Lulwa Haya Noor Layla Salma Hind Asma Jawaher Moza Shaikha Yasmin Rania Dalia Nadia "
    "Huda Lina Farah Rana Aya Malak"
).split()
_ARABIC_LAST = (
    "Al Mansouri|Al Falasi|Al Mazrouei|Al Suwaidi|Al Hashimi|Al Shamsi|Al Ketbi|Al Dhaheri|"
    "Al Nuaimi|Al Otaiba|Al Qahtani|Al Harbi|Al Otaibi|Al Ghamdi|Al Zahrani|Al Dosari|"
    "Al Shehri|Al Mutairi|Al Anazi|Al Kuwari|Al Marri|Al Sulaiti|Al Ajmi|Al Enezi|"
    "Al Rashidi|Al Hajri|Al Kaabi|Al Amri|Hassan|Ibrahim|Mahmoud|Abdelrahman|El Sayed|"
    "Mostafa|Farouk|Nasser|Khalil|Saleh|Haddad|Khoury"
).split("|")


def _feminine_polish(surname: str) -> str:
    """Kowalski -> Kowalska, Nowicki -> Nowicka; other surnames do not change."""
    return surname[:-1] + "a" if surname.endswith(("ski", "cki", "dzki")) else surname


def _provider(locale: str) -> type:
    """Faker's person-provider class of a locale, as ``Faker(locale)`` would pick it.

    The name lists are class attributes, so the class is read directly: building
    a whole ``Faker(locale)`` (every provider of the locale) costs ~20 ms a locale.
    Like Faker, a bare language is normalised ("de" -> "de_DE") and a locale
    without a person module of its own falls back to en_US.
    """
    package = "faker.providers.person"
    module = f"{package}.{pylocale.normalize(locale.replace('-', '_')).split('.')[0]}"
    if importlib.util.find_spec(module) is None:
        module = f"{package}.en_US"
    return importlib.import_module(module).Provider


def _weighted(values: object) -> tuple[list[str], list[float]]:
    # Faker stores names either as plain sequences or as OrderedDicts name -> weight.
    if isinstance(values, Mapping):
        return [str(k) for k in values], [float(w) for w in values.values()]
    names = [str(v) for v in values]  # type: ignore[attr-defined]
    return names, [1.0] * len(names)


def _pool(values: object, convert=None) -> NamePool:
    names, weights = _weighted(values)
    if convert is not None:
        names = [convert(n) for n in names]
    keys = [ascii_key(n) or "client" for n in names]
    w = np.asarray(weights, dtype=float)
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0
    return NamePool(np.array(names, dtype=object), np.array(keys, dtype=object), cum)


@functools.cache
def name_pools(locale: str) -> NamePools:
    """Latin-script name pools of a Faker locale (built once, deterministic per Faker version)."""
    if locale.startswith("ar_"):
        last = _pool(_ARABIC_LAST)
        return NamePools(_pool(_ARABIC_FIRST_FEMALE), _pool(_ARABIC_FIRST_MALE), last, last)
    p = _provider(locale)
    attr = functools.partial(getattr, p)
    if locale in ("zh_CN", "zh_TW", "ja_JP"):
        fem = getattr(p, "first_romanized_names_female", None) or attr("first_romanized_names")
        mal = getattr(p, "first_romanized_names_male", None) or attr("first_romanized_names")
        last = _pool(attr("last_romanized_names"), str.title)
        return NamePools(_pool(fem, str.title), _pool(mal, str.title), last, last)
    convert = None
    if locale == "ko_KR":
        convert = _romanize_hangul
    elif locale == "ru_RU":
        convert = functools.partial(_transliterate, table=_CYRILLIC)
    elif locale == "uk_UA":
        convert = functools.partial(_transliterate, table=_UKRAINIAN)
    elif locale == "bg_BG":
        convert = functools.partial(_transliterate, table=_BULGARIAN)
    elif locale == "mk_MK":
        convert = functools.partial(_transliterate, table=_MACEDONIAN)
    elif locale == "el_GR":
        convert = functools.partial(_transliterate, table=_GREEK)
    elif locale == "tw_GH":
        convert = lambda n: n.replace("ε", "ɛ")  # noqa: E731 - Faker types Twi's open e as Greek
    elif locale == "tr_TR":
        convert = lambda n: n.replace("˜", "i")  # noqa: E731 - Faker's "N˜zamett˜n" (Nizamettin)
    first = getattr(p, "first_names", ())
    fem = getattr(p, "first_names_female", None) or first
    mal = getattr(p, "first_names_male", None) or first
    last = attr("last_names")
    last_f = getattr(p, "last_names_female", None) or last
    last_m = getattr(p, "last_names_male", None) or last
    if locale == "bg_BG":  # one entry is a nickname gloss in brackets
        fem, mal = ([n for n in names if "(" not in n] for names in (fem, mal))
    elif locale == "pl_PL":  # Faker draws Polish surnames in a method; its lists are these
        last_m = (*p.unisex_last_names, *p.male_last_names)
        last_f = (*p.unisex_last_names, *(_feminine_polish(n) for n in p.male_last_names))
    elif locale == "is_IS":  # Icelandic surnames are patronymics: Jónsson, Jónsdóttir
        last_m = tuple(f"{n}son" for n in p.last_names_without_suffix)
        last_f = tuple(f"{n}dóttir" for n in p.last_names_without_suffix)
    if locale == "ko_KR":
        surname = _pool(last, lambda s: _KO_SURNAMES.get(s) or _romanize_hangul(s))
        return NamePools(_pool(fem, convert), _pool(mal, convert), surname, surname)
    return NamePools(
        _pool(fem, convert), _pool(mal, convert), _pool(last_f, convert), _pool(last_m, convert)
    )
