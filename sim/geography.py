"""Countries of the simulated brand: nationalities, locales, currencies, cities, e-mail domains.

One row per country in :data:`COUNTRIES`. The weights describe the brand's
global clientele by nationality (a luxury/fashion house: Chinese, American and
European clients first, then Japan, Korea, the Gulf and many smaller
nationalities). A country's currency is what its orders are paid in; amounts
are simulated in EUR, the brand's reporting currency, so no exchange rates are
needed.

Cities are short curated lists of real cities where such clients live, listed
most populous first; Faker's own city generators mostly invent names ("Port
Jennifer") or write them in native script, which reads badly in a course.

>>> currency_of("JP"), round(sum(default_nationality_mix().values()), 9)
('JPY', 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "COUNTRIES",
    "COUNTRY_CODES",
    "EMAIL_DOMAIN_TYPOS",
    "GLOBAL_EMAIL_DOMAINS",
    "TRAVEL_DESTINATIONS",
    "Country",
    "country",
    "currency_of",
    "default_nationality_mix",
    "email_domains",
]


@dataclass(frozen=True, slots=True)
class Country:
    """One country / nationality of the simulated clientele.

    Attributes
    ----------
    code : ISO 3166-1 alpha-2 code.
    nationality : nationality label in English.
    locale : Faker locale used for this nationality's names.
    currency : ISO 4217 code of the local currency.
    calling_code : international dialling code, without "+".
    phone_digits : length of the national (significant) phone number.
    weight : raw weight in the brand's default nationality mix (normalised by
        :func:`default_nationality_mix`).
    cities : main cities, most populous first.
    email_domains : popular local mailbox providers.
    local_email_share : probability that an address uses a local provider
        rather than a global one (gmail.com, outlook.com, ...).
    """

    code: str
    nationality: str
    locale: str
    currency: str
    calling_code: str
    phone_digits: int
    weight: float
    cities: tuple[str, ...]
    email_domains: tuple[str, ...]
    local_email_share: float


def _c(
    code: str,
    nationality: str,
    locale: str,
    currency: str,
    calling: str,
    digits: int,
    weight: float,
    cities: tuple[str, ...],
    domains: tuple[str, ...],
    local: float = 0.4,
) -> Country:
    return Country(
        code, nationality, locale, currency, calling, digits, weight, cities, domains, local
    )


# Raw weights are relative (roughly per mille of the clientele); default_nationality_mix
# normalises them to sum to 1.
# fmt: off
COUNTRIES: tuple[Country, ...] = (
    _c("CN", "Chinese", "zh_CN", "CNY", "86", 11, 180, ("Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Chengdu", "Hangzhou", "Wuhan", "Nanjing"), ("qq.com", "163.com", "126.com", "sina.com"), 0.85),
    _c("US", "American", "en_US", "USD", "1", 10, 150, ("New York", "Los Angeles", "Chicago", "Houston", "Miami", "San Francisco", "Dallas", "Boston"), ("aol.com", "comcast.net", "hotmail.com", "att.net"), 0.25),
    _c("FR", "French", "fr_FR", "EUR", "33", 9, 70, ("Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Bordeaux", "Lille"), ("orange.fr", "free.fr", "sfr.fr", "laposte.net", "wanadoo.fr"), 0.45),
    _c("JP", "Japanese", "ja_JP", "JPY", "81", 10, 60, ("Tokyo", "Osaka", "Yokohama", "Nagoya", "Kyoto", "Fukuoka", "Sapporo"), ("yahoo.co.jp", "docomo.ne.jp", "nifty.com", "ezweb.ne.jp"), 0.5),
    _c("IT", "Italian", "it_IT", "EUR", "39", 10, 50, ("Rome", "Milan", "Naples", "Turin", "Florence", "Bologna", "Venice"), ("libero.it", "virgilio.it", "tiscali.it", "alice.it"), 0.45),
    _c("GB", "British", "en_GB", "GBP", "44", 10, 50, ("London", "Manchester", "Birmingham", "Edinburgh", "Glasgow", "Leeds", "Bristol"), ("btinternet.com", "sky.com", "hotmail.co.uk", "yahoo.co.uk"), 0.35),
    _c("KR", "Korean", "ko_KR", "KRW", "82", 10, 50, ("Seoul", "Busan", "Incheon", "Daegu", "Daejeon", "Gwangju"), ("naver.com", "daum.net", "hanmail.net", "kakao.com"), 0.75),
    _c("DE", "German", "de_DE", "EUR", "49", 11, 45, ("Berlin", "Munich", "Hamburg", "Frankfurt", "Cologne", "Düsseldorf", "Stuttgart"), ("gmx.de", "web.de", "t-online.de", "freenet.de"), 0.5),
    _c("ES", "Spanish", "es_ES", "EUR", "34", 9, 22, ("Madrid", "Barcelona", "Valencia", "Seville", "Málaga", "Bilbao"), ("telefonica.net", "movistar.es", "terra.es"), 0.2),
    _c("CH", "Swiss", "de_CH", "CHF", "41", 9, 20, ("Zürich", "Geneva", "Basel", "Lausanne", "Bern", "Lugano"), ("bluewin.ch", "gmx.ch", "sunrise.ch"), 0.4),
    _c("AE", "Emirati", "ar_AE", "AED", "971", 9, 22, ("Dubai", "Abu Dhabi", "Sharjah", "Al Ain"), ("emirates.net.ae", "eim.ae"), 0.15),
    _c("SA", "Saudi", "ar_SA", "SAR", "966", 9, 20, ("Riyadh", "Jeddah", "Dammam", "Mecca", "Medina", "Khobar"), ("stc.com.sa", "awalnet.net.sa"), 0.1),
    _c("QA", "Qatari", "ar_AE", "QAR", "974", 8, 6, ("Doha", "Al Rayyan", "Al Wakrah"), ("qatar.net.qa",), 0.15),
    _c("KW", "Kuwaiti", "ar_AE", "KWD", "965", 8, 6, ("Kuwait City", "Hawalli", "Salmiya"), ("kems.net", "qualitynet.net"), 0.1),
    _c("HK", "Hong Konger", "zh_TW", "HKD", "852", 8, 22, ("Hong Kong", "Kowloon", "Sha Tin", "Tsuen Wan"), ("netvigator.com", "hkbn.net", "yahoo.com.hk"), 0.3),
    _c("TW", "Taiwanese", "zh_TW", "TWD", "886", 9, 15, ("Taipei", "Kaohsiung", "Taichung", "Tainan", "Hsinchu"), ("yahoo.com.tw", "hinet.net", "pchome.com.tw"), 0.45),
    _c("SG", "Singaporean", "zh_CN", "SGD", "65", 8, 12, ("Singapore",), ("singnet.com.sg", "starhub.net.sg"), 0.15),
    _c("RU", "Russian", "ru_RU", "RUB", "7", 10, 15, ("Moscow", "Saint Petersburg", "Yekaterinburg", "Kazan", "Novosibirsk", "Sochi"), ("mail.ru", "yandex.ru", "rambler.ru", "bk.ru"), 0.7),
    _c("BR", "Brazilian", "pt_BR", "BRL", "55", 11, 12, ("São Paulo", "Rio de Janeiro", "Brasília", "Belo Horizonte", "Curitiba", "Porto Alegre"), ("uol.com.br", "bol.com.br", "terra.com.br", "ig.com.br"), 0.3),
    _c("MX", "Mexican", "es_MX", "MXN", "52", 10, 12, ("Mexico City", "Guadalajara", "Monterrey", "Puebla", "Cancún"), ("prodigy.net.mx", "hotmail.com.mx", "yahoo.com.mx"), 0.25),
    _c("IN", "Indian", "en_IN", "INR", "91", 10, 15, ("Mumbai", "Delhi", "Bangalore", "Hyderabad", "Chennai", "Kolkata", "Pune"), ("rediffmail.com", "yahoo.co.in", "sify.com"), 0.2),
    _c("AU", "Australian", "en_AU", "AUD", "61", 9, 15, ("Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"), ("bigpond.com", "optusnet.com.au", "iinet.net.au"), 0.3),
    _c("CA", "Canadian", "en_CA", "CAD", "1", 10, 15, ("Toronto", "Montreal", "Vancouver", "Calgary", "Ottawa"), ("rogers.com", "shaw.ca", "sympatico.ca", "videotron.ca"), 0.25),
    _c("NL", "Dutch", "nl_NL", "EUR", "31", 9, 10, ("Amsterdam", "Rotterdam", "The Hague", "Utrecht", "Eindhoven"), ("ziggo.nl", "kpnmail.nl", "xs4all.nl", "planet.nl"), 0.35),
    _c("BE", "Belgian", "nl_BE", "EUR", "32", 9, 8, ("Brussels", "Antwerp", "Ghent", "Liège", "Bruges"), ("skynet.be", "telenet.be", "proximus.be"), 0.35),
    _c("AT", "Austrian", "de_AT", "EUR", "43", 10, 6, ("Vienna", "Graz", "Linz", "Salzburg", "Innsbruck"), ("gmx.at", "aon.at", "chello.at"), 0.4),
    _c("SE", "Swedish", "sv_SE", "SEK", "46", 9, 6, ("Stockholm", "Gothenburg", "Malmö", "Uppsala"), ("telia.com", "bredband.net", "spray.se"), 0.25),
    _c("NO", "Norwegian", "no_NO", "NOK", "47", 8, 4, ("Oslo", "Bergen", "Trondheim", "Stavanger"), ("online.no", "live.no", "getmail.no"), 0.25),
    _c("DK", "Danish", "da_DK", "DKK", "45", 8, 4, ("Copenhagen", "Aarhus", "Odense", "Aalborg"), ("jubii.dk", "mail.dk", "live.dk"), 0.25),
    _c("FI", "Finnish", "fi_FI", "EUR", "358", 9, 3, ("Helsinki", "Espoo", "Tampere", "Turku"), ("elisanet.fi", "luukku.com", "saunalahti.fi"), 0.25),
    _c("PL", "Polish", "pl_PL", "PLN", "48", 9, 6, ("Warsaw", "Kraków", "Wrocław", "Gdańsk", "Poznań"), ("wp.pl", "onet.pl", "interia.pl", "o2.pl"), 0.55),
    _c("PT", "Portuguese", "pt_PT", "EUR", "351", 9, 5, ("Lisbon", "Porto", "Braga", "Faro", "Coimbra"), ("sapo.pt", "netcabo.pt", "clix.pt"), 0.3),
    _c("GR", "Greek", "el_GR", "EUR", "30", 10, 4, ("Athens", "Thessaloniki", "Patras", "Heraklion"), ("otenet.gr", "yahoo.gr", "hol.gr"), 0.25),
    _c("IE", "Irish", "en_IE", "EUR", "353", 9, 4, ("Dublin", "Cork", "Galway", "Limerick"), ("eircom.net", "iol.ie"), 0.2),
    _c("TR", "Turkish", "tr_TR", "TRY", "90", 10, 8, ("Istanbul", "Ankara", "Izmir", "Antalya", "Bursa"), ("hotmail.com.tr", "mynet.com", "ttmail.com"), 0.3),
    _c("TH", "Thai", "en_TH", "THB", "66", 9, 8, ("Bangkok", "Chiang Mai", "Phuket", "Pattaya", "Nonthaburi"), ("hotmail.co.th", "yahoo.co.th", "truemail.co.th"), 0.25),
    _c("ID", "Indonesian", "id_ID", "IDR", "62", 10, 6, ("Jakarta", "Surabaya", "Bandung", "Medan", "Denpasar"), ("yahoo.co.id", "telkom.net", "plasa.com"), 0.2),
    _c("MY", "Malaysian", "id_ID", "MYR", "60", 9, 6, ("Kuala Lumpur", "George Town", "Johor Bahru", "Ipoh", "Kota Kinabalu"), ("streamyx.com", "tm.net.my", "yahoo.com.my"), 0.15),
    _c("PH", "Filipino", "fil_PH", "PHP", "63", 10, 4, ("Manila", "Quezon City", "Cebu City", "Davao City", "Makati"), ("yahoo.com.ph", "pldtdsl.net"), 0.15),
    _c("VN", "Vietnamese", "vi_VN", "VND", "84", 9, 5, ("Ho Chi Minh City", "Hanoi", "Da Nang", "Hai Phong", "Nha Trang"), ("vnn.vn", "fpt.vn", "viettel.vn"), 0.15),
    _c("EG", "Egyptian", "ar_EG", "EGP", "20", 10, 4, ("Cairo", "Alexandria", "Giza", "Sharm El Sheikh"), ("link.net", "tedata.net"), 0.15),
    _c("NG", "Nigerian", "en_NG", "NGN", "234", 10, 4, ("Lagos", "Abuja", "Port Harcourt", "Ibadan", "Kano"), ("yahoo.co.uk", "ymail.com"), 0.3),
    _c("ZA", "South African", "zu_ZA", "ZAR", "27", 9, 4, ("Johannesburg", "Cape Town", "Durban", "Pretoria", "Port Elizabeth"), ("mweb.co.za", "telkomsa.net", "webmail.co.za"), 0.3),
    _c("AR", "Argentine", "es_AR", "ARS", "54", 10, 4, ("Buenos Aires", "Córdoba", "Rosario", "Mendoza", "Mar del Plata"), ("fibertel.com.ar", "yahoo.com.ar", "arnet.com.ar"), 0.3),
    _c("CL", "Chilean", "es_CL", "CLP", "56", 9, 3, ("Santiago", "Valparaíso", "Concepción", "Viña del Mar"), ("vtr.net", "entelchile.net", "terra.cl"), 0.25),
    _c("CO", "Colombian", "es_CO", "COP", "57", 10, 3, ("Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena"), ("une.net.co", "yahoo.es", "etb.net.co"), 0.2),
    _c("UA", "Ukrainian", "uk_UA", "UAH", "380", 9, 3, ("Kyiv", "Kharkiv", "Odesa", "Dnipro", "Lviv"), ("ukr.net", "i.ua", "meta.ua"), 0.6),
    _c("CZ", "Czech", "cs_CZ", "CZK", "420", 9, 3, ("Prague", "Brno", "Ostrava", "Plzeň"), ("seznam.cz", "centrum.cz", "email.cz", "atlas.cz"), 0.6),
    _c("NZ", "New Zealander", "en_NZ", "NZD", "64", 9, 3, ("Auckland", "Wellington", "Christchurch", "Queenstown"), ("xtra.co.nz", "clear.net.nz", "slingshot.co.nz"), 0.3),
    _c("HU", "Hungarian", "hu_HU", "HUF", "36", 9, 2, ("Budapest", "Debrecen", "Szeged", "Pécs"), ("freemail.hu", "citromail.hu", "t-online.hu"), 0.45),
    _c("RO", "Romanian", "ro_RO", "RON", "40", 9, 3, ("Bucharest", "Cluj-Napoca", "Timișoara", "Iași", "Constanța"), ("yahoo.ro", "rdslink.ro"), 0.3),
)
# fmt: on

COUNTRY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)
_BY_CODE: dict[str, Country] = {c.code: c for c in COUNTRIES}

# Where cross-border (travel) purchases happen: the flagship-store destinations.
# Shares of travel purchases by country of purchase; they sum to 1.
TRAVEL_DESTINATIONS: MappingProxyType[str, float] = MappingProxyType(
    {
        "FR": 0.20, "IT": 0.14, "GB": 0.09, "US": 0.11, "JP": 0.08, "AE": 0.07, "CH": 0.05,
        "HK": 0.05, "SG": 0.04, "ES": 0.06, "KR": 0.04, "DE": 0.04, "CN": 0.03,
    }
)  # fmt: skip

# Global mailbox providers used in every country, with their relative shares.
GLOBAL_EMAIL_DOMAINS: MappingProxyType[str, float] = MappingProxyType(
    {
        "gmail.com": 0.55,
        "outlook.com": 0.13,
        "hotmail.com": 0.12,
        "yahoo.com": 0.10,
        "icloud.com": 0.10,
    }
)

# Common mistypings of the global domains: mail sent there hard-bounces.
EMAIL_DOMAIN_TYPOS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "gmail.com": ("gmial.com", "gmai.com", "gnail.com", "gmail.con", "gmaill.com"),
        "outlook.com": ("outlok.com", "outloo.com", "outllook.com", "outlook.con"),
        "hotmail.com": ("hotmial.com", "hotmal.com", "hotmai.com", "hotmail.con"),
        "yahoo.com": ("yaho.com", "yahooo.com", "yahho.com", "yahoo.con"),
        "icloud.com": ("iclod.com", "icoud.com", "icluod.com", "icloud.con"),
    }
)


def country(code: str) -> Country:
    """The :class:`Country` record for an ISO alpha-2 code (KeyError names the code)."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(
            f"unknown country code {code!r}; known: {', '.join(COUNTRY_CODES)}"
        ) from None


def default_nationality_mix() -> dict[str, float]:
    """The brand's global clientele by nationality: code -> share, shares sum to 1."""
    total = sum(c.weight for c in COUNTRIES)
    return {c.code: c.weight / total for c in COUNTRIES}


def currency_of(code: str) -> str:
    """ISO 4217 currency of a country, e.g. ``currency_of("GB") == "GBP"``."""
    return country(code).currency


def email_domains(code: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Mailbox domains of a country's residents and their probabilities (summing to 1).

    Local providers share ``local_email_share`` equally; global providers share
    the rest in the proportions of :data:`GLOBAL_EMAIL_DOMAINS`.
    """
    c = country(code)
    local = tuple(d for d in c.email_domains if d not in GLOBAL_EMAIL_DOMAINS)
    share = c.local_email_share if local else 0.0
    domains = local + tuple(GLOBAL_EMAIL_DOMAINS)
    probs = tuple([share / len(local)] * len(local)) if local else ()
    probs += tuple((1 - share) * p for p in GLOBAL_EMAIL_DOMAINS.values())
    return domains, probs


# --------------------------------------------------------------------------- markets
#: The brand's regional markets, each with its own service teams.
MARKETS = ("europe_middle_east_africa", "americas", "greater_china", "asia_pacific")
_GREATER_CHINA = frozenset({"CN", "HK", "MO", "TW"})
_AMERICAS = frozenset(
    "US CA MX BR AR CL CO PE VE EC UY PY BO CR PA DO GT HN SV NI CU JM TT BS BB PR HT BZ GY SR".split()
)
_ASIA_PACIFIC = frozenset(
    "JP KR SG TH MY ID PH VN IN AU NZ PK BD LK NP KH LA MM BN MN KZ UZ KG TJ TM MV BT FJ PG TL".split()
)


def market_of(code: str) -> str:
    """The regional market of country ``code`` (see :data:`MARKETS`)."""
    if code in _GREATER_CHINA:
        return "greater_china"
    if code in _AMERICAS:
        return "americas"
    if code in _ASIA_PACIFIC:
        return "asia_pacific"
    return "europe_middle_east_africa"


def country_codes() -> tuple[str, ...]:
    """Every country code the brand knows, in :data:`COUNTRIES` order."""
    return COUNTRY_CODES


#: Lunar New Year's day, by year: the festival that moves Chinese customers' purchases.
LUNAR_NEW_YEAR = {
    2015: "2015-02-19", 2016: "2016-02-08", 2017: "2017-01-28", 2018: "2018-02-16",
    2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01",
    2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17",
    2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-03",
    2031: "2031-01-23", 2032: "2032-02-11", 2033: "2033-01-31", 2034: "2034-02-19",
    2035: "2035-02-08", 2036: "2036-01-28", 2037: "2037-02-15", 2038: "2038-02-04",
    2039: "2039-01-24", 2040: "2040-02-12",
}  # fmt: skip
