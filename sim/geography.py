"""Countries of the simulated brand: nationalities, locales, currencies, cities, e-mail domains.

One row per country in :data:`COUNTRIES`: about 200 nationalities, as the
luxury group's deck counts them. The weights describe the brand's global
clientele by nationality (a luxury/fashion house: Chinese, American and
European clients first, then Japan, Korea, the Gulf and many smaller
nationalities); a long tail of 150 small ones makes about 3 % of the clientele. A
country's currency is what its orders are paid in; amounts are simulated in
EUR, the brand's reporting currency, so no exchange rates are needed.
:func:`market_of` gives the regional market a country reports to
(:data:`MARKETS`).

Cities are short curated lists of real cities where such clients live, listed
most populous first (the capital first where it is not much smaller); Faker's
own city generators mostly invent names ("Port Jennifer") or write them in
native script, which reads badly in a course.

>>> currency_of("JP"), round(sum(default_nationality_mix().values()), 9)
('JPY', 1.0)
>>> market_of("HK"), market_of("KZ"), len(COUNTRIES) > 190
('greater_china', 'asia_pacific', True)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "COUNTRIES",
    "COUNTRY_CODES",
    "EMAIL_DOMAIN_TYPOS",
    "GLOBAL_EMAIL_DOMAINS",
    "MARKETS",
    "LUNAR_NEW_YEAR",
    "MARKET_OF",
    "TRAVEL_DESTINATIONS",
    "Country",
    "country",
    "country_codes",
    "currency_of",
    "default_nationality_mix",
    "email_domains",
    "market_of",
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
    # ---- The long tail (weights 0.15-0.6: together about 3 % of the clientele). ----
    # Locales: the country's own Faker locale where it has names of its own; otherwise the
    # nearest pool, noted on the row. Faker locales without names of their own (sq_AL, bs_BA,
    # sr_BA, el_CY, mt_MT, lb_LU, am_ET, en_BD, es_VE, ...) fall back to American names, and
    # he_IL, fa_IR, hy_AM, ka_GE, bn_BD, ne_NP, si_LK hold non-Latin names only.
    # Europe
    _c("LU", "Luxembourgish", "de_LU", "EUR", "352", 9, 0.6, ("Luxembourg", "Esch-sur-Alzette", "Differdange"), ("pt.lu",), 0.2),
    _c("MC", "Monegasque", "fr_FR", "EUR", "377", 9, 0.6, ("Monaco", "Monte Carlo"), ("gmail.com",)),  # no Monaco locale
    _c("AD", "Andorran", "es_CA", "EUR", "376", 6, 0.15, ("Andorra la Vella", "Escaldes-Engordany"), ("andorra.ad",), 0.2),  # Catalan names
    _c("SM", "Sammarinese", "it_IT", "EUR", "378", 8, 0.15, ("San Marino", "Serravalle"), ("gmail.com",)),
    _c("LI", "Liechtensteiner", "de_LI", "CHF", "423", 9, 0.15, ("Vaduz", "Schaan"), ("gmail.com",)),
    _c("MT", "Maltese", "it_IT", "EUR", "356", 8, 0.3, ("Valletta", "Birkirkara", "Sliema"), ("maltanet.net", "go.net.mt"), 0.2),
    _c("IS", "Icelandic", "is_IS", "ISK", "354", 7, 0.15, ("Reykjavík", "Kópavogur", "Hafnarfjörður", "Akureyri"), ("simnet.is", "internet.is"), 0.3),
    _c("EE", "Estonian", "et_EE", "EUR", "372", 8, 0.3, ("Tallinn", "Tartu", "Pärnu"), ("hot.ee", "mail.ee"), 0.3),
    _c("LV", "Latvian", "lv_LV", "EUR", "371", 8, 0.3, ("Riga", "Jūrmala", "Daugavpils", "Liepāja"), ("inbox.lv", "apollo.lv"), 0.35),
    _c("LT", "Lithuanian", "lt_LT", "EUR", "370", 8, 0.3, ("Vilnius", "Kaunas", "Klaipėda"), ("inbox.lt", "takas.lt"), 0.3),
    _c("SK", "Slovak", "sk_SK", "EUR", "421", 9, 0.3, ("Bratislava", "Košice", "Žilina", "Prešov"), ("azet.sk", "centrum.sk", "zoznam.sk"), 0.5),
    _c("SI", "Slovenian", "sl_SI", "EUR", "386", 8, 0.3, ("Ljubljana", "Maribor", "Koper", "Celje"), ("siol.net", "t-2.net", "amis.net"), 0.35),
    _c("HR", "Croatian", "hr_HR", "EUR", "385", 9, 0.3, ("Zagreb", "Split", "Rijeka", "Dubrovnik"), ("net.hr", "t-com.hr", "inet.hr"), 0.3),
    _c("RS", "Serbian", "hr_HR", "RSD", "381", 9, 0.3, ("Belgrade", "Novi Sad", "Niš"), ("eunet.rs", "sbb.rs", "open.telekom.rs"), 0.25),  # Serbo-Croatian names in Latin
    _c("BA", "Bosnian", "hr_HR", "BAM", "387", 8, 0.15, ("Sarajevo", "Banja Luka", "Mostar", "Tuzla"), ("bih.net.ba",), 0.2),
    _c("ME", "Montenegrin", "hr_HR", "EUR", "382", 8, 0.15, ("Podgorica", "Budva", "Herceg Novi"), ("t-com.me",), 0.2),
    _c("MK", "Macedonian", "mk_MK", "MKD", "389", 8, 0.15, ("Skopje", "Bitola", "Ohrid"), ("t-home.mk", "mt.net.mk"), 0.2),
    _c("AL", "Albanian", "hr_HR", "ALL", "355", 9, 0.15, ("Tirana", "Durrës", "Vlorë", "Shkodër"), ("gmail.com",)),  # no Albanian names: nearest Balkan pool
    _c("BG", "Bulgarian", "bg_BG", "EUR", "359", 9, 0.3, ("Sofia", "Plovdiv", "Varna", "Burgas"), ("abv.bg", "mail.bg", "dir.bg"), 0.55),  # euro since 2026
    _c("MD", "Moldovan", "ro_RO", "MDL", "373", 8, 0.15, ("Chișinău", "Bălți"), ("mail.ru",), 0.3),
    _c("BY", "Belarusian", "ru_RU", "BYN", "375", 9, 0.15, ("Minsk", "Gomel", "Brest", "Grodno"), ("tut.by", "mail.ru", "yandex.by"), 0.6),
    _c("CY", "Cypriot", "el_GR", "EUR", "357", 8, 0.6, ("Nicosia", "Limassol", "Larnaca", "Paphos"), ("cytanet.com.cy", "primehome.com"), 0.3),
    _c("GE", "Georgian", "ru_RU", "GEL", "995", 9, 0.15, ("Tbilisi", "Batumi", "Kutaisi"), ("mail.ru",), 0.3),  # ka_GE: Georgian script
    _c("AM", "Armenian", "ru_RU", "AMD", "374", 8, 0.15, ("Yerevan", "Gyumri", "Vanadzor"), ("mail.ru", "yandex.ru"), 0.4),  # hy_AM: Armenian script
    _c("AZ", "Azerbaijani", "az_AZ", "AZN", "994", 9, 0.3, ("Baku", "Ganja", "Sumgait"), ("mail.ru", "box.az"), 0.4),
    _c("GI", "Gibraltarian", "en_GB", "GIP", "350", 8, 0.15, ("Gibraltar",), ("gibtele.com",), 0.3),
    _c("JE", "Jersey", "en_GB", "GBP", "44", 10, 0.15, ("Saint Helier",), ("jerseymail.co.uk",), 0.2),
    _c("GG", "Guernsey", "en_GB", "GBP", "44", 10, 0.15, ("Saint Peter Port",), ("cwgsy.net",), 0.2),
    _c("IM", "Manx", "en_GB", "GBP", "44", 10, 0.15, ("Douglas", "Ramsey"), ("manx.net",), 0.3),
    _c("FO", "Faroese", "da_DK", "DKK", "298", 6, 0.15, ("Tórshavn", "Klaksvík"), ("olivant.fo",), 0.3),
    # Middle East (the curated romanised Arabic names serve every ar_* locale)
    _c("BH", "Bahraini", "ar_BH", "BHD", "973", 8, 0.6, ("Manama", "Riffa", "Muharraq"), ("batelco.com.bh",), 0.15),
    _c("OM", "Omani", "ar_AE", "OMR", "968", 8, 0.6, ("Muscat", "Seeb", "Salalah", "Sohar"), ("omantel.net.om",), 0.15),  # Gulf: ar_AE
    _c("JO", "Jordanian", "ar_JO", "JOD", "962", 9, 0.3, ("Amman", "Zarqa", "Irbid", "Aqaba"), ("gmail.com",)),
    _c("LB", "Lebanese", "ar_JO", "LBP", "961", 8, 0.6, ("Beirut", "Tripoli", "Jounieh", "Sidon"), ("idm.net.lb", "terra.net.lb"), 0.15),  # Levant: ar_JO
    _c("IL", "Israeli", "en_US", "ILS", "972", 9, 0.6, ("Jerusalem", "Tel Aviv", "Haifa", "Herzliya"), ("walla.co.il", "netvision.net.il", "bezeqint.net"), 0.3),  # he_IL: Hebrew script
    _c("IQ", "Iraqi", "ar_AA", "IQD", "964", 10, 0.15, ("Baghdad", "Erbil", "Basra"), ("gmail.com",)),
    _c("IR", "Iranian", "ar_AA", "IRR", "98", 10, 0.15, ("Tehran", "Mashhad", "Isfahan", "Shiraz"), ("chmail.ir",), 0.1),  # fa_IR: Persian script
    _c("SY", "Syrian", "ar_AA", "SYP", "963", 9, 0.15, ("Damascus", "Aleppo", "Latakia"), ("gmail.com",)),
    _c("PS", "Palestinian", "ar_PS", "ILS", "970", 9, 0.15, ("Ramallah", "Gaza", "Hebron", "Nablus"), ("gmail.com",)),
    _c("YE", "Yemeni", "ar_AA", "YER", "967", 9, 0.15, ("Sanaa", "Aden"), ("gmail.com",)),
    # Africa (West and Central: fr_FR or en_NG; Maghreb: fr_DZ's French-spelt names)
    _c("MA", "Moroccan", "fr_DZ", "MAD", "212", 9, 0.6, ("Rabat", "Casablanca", "Marrakesh", "Tangier"), ("menara.ma",), 0.15),
    _c("DZ", "Algerian", "fr_DZ", "DZD", "213", 9, 0.3, ("Algiers", "Oran", "Constantine"), ("gmail.com",)),
    _c("TN", "Tunisian", "fr_DZ", "TND", "216", 8, 0.3, ("Tunis", "Sfax", "Sousse"), ("topnet.tn",), 0.15),
    _c("LY", "Libyan", "ar_AA", "LYD", "218", 9, 0.15, ("Tripoli", "Benghazi", "Misrata"), ("gmail.com",)),
    _c("SD", "Sudanese", "ar_AA", "SDG", "249", 9, 0.15, ("Khartoum", "Omdurman", "Port Sudan"), ("gmail.com",)),
    _c("SN", "Senegalese", "fr_FR", "XOF", "221", 9, 0.3, ("Dakar", "Touba", "Thiès"), ("gmail.com",)),
    _c("CI", "Ivorian", "fr_FR", "XOF", "225", 10, 0.3, ("Abidjan", "Yamoussoukro", "Bouaké"), ("gmail.com",)),  # Abidjan first: far larger than the capital
    _c("GH", "Ghanaian", "tw_GH", "GHS", "233", 9, 0.3, ("Accra", "Kumasi", "Tamale", "Takoradi"), ("gmail.com",)),
    _c("ML", "Malian", "fr_FR", "XOF", "223", 8, 0.15, ("Bamako", "Sikasso"), ("gmail.com",)),
    _c("BF", "Burkinabe", "fr_FR", "XOF", "226", 8, 0.15, ("Ouagadougou", "Bobo-Dioulasso"), ("gmail.com",)),
    _c("NE", "Nigerien", "ha_NG", "XOF", "227", 8, 0.15, ("Niamey", "Zinder", "Maradi"), ("gmail.com",)),  # Hausa, Niger's main language
    _c("GN", "Guinean", "fr_FR", "GNF", "224", 9, 0.15, ("Conakry", "Kankan"), ("gmail.com",)),
    _c("BJ", "Beninese", "fr_FR", "XOF", "229", 10, 0.15, ("Cotonou", "Porto-Novo", "Parakou"), ("gmail.com",)),  # Cotonou: seat of government
    _c("TG", "Togolese", "fr_FR", "XOF", "228", 8, 0.15, ("Lomé", "Sokodé"), ("gmail.com",)),
    _c("SL", "Sierra Leonean", "en_NG", "SLE", "232", 8, 0.15, ("Freetown", "Bo"), ("gmail.com",)),
    _c("LR", "Liberian", "en_NG", "LRD", "231", 9, 0.15, ("Monrovia",), ("gmail.com",)),
    _c("GM", "Gambian", "en_NG", "GMD", "220", 7, 0.15, ("Banjul", "Serekunda"), ("gmail.com",)),
    _c("CV", "Cape Verdean", "pt_PT", "CVE", "238", 7, 0.15, ("Praia", "Mindelo"), ("gmail.com",)),
    _c("MR", "Mauritanian", "fr_DZ", "MRU", "222", 8, 0.15, ("Nouakchott", "Nouadhibou"), ("gmail.com",)),
    _c("CM", "Cameroonian", "fr_FR", "XAF", "237", 9, 0.3, ("Yaoundé", "Douala", "Bamenda"), ("gmail.com",)),
    _c("GA", "Gabonese", "fr_FR", "XAF", "241", 8, 0.15, ("Libreville", "Port-Gentil"), ("gmail.com",)),
    _c("CG", "Congolese", "fr_FR", "XAF", "242", 9, 0.15, ("Brazzaville", "Pointe-Noire"), ("gmail.com",)),
    _c("CD", "Congolese (DRC)", "fr_FR", "CDF", "243", 9, 0.15, ("Kinshasa", "Lubumbashi", "Goma"), ("gmail.com",)),
    _c("TD", "Chadian", "fr_FR", "XAF", "235", 8, 0.15, ("N'Djamena", "Moundou"), ("gmail.com",)),
    _c("GQ", "Equatoguinean", "es_ES", "XAF", "240", 9, 0.15, ("Malabo", "Bata"), ("gmail.com",)),
    _c("KE", "Kenyan", "en_KE", "KES", "254", 9, 0.3, ("Nairobi", "Mombasa", "Kisumu"), ("gmail.com",)),
    _c("TZ", "Tanzanian", "sw", "TZS", "255", 9, 0.3, ("Dar es Salaam", "Dodoma", "Arusha", "Zanzibar"), ("gmail.com",)),  # Dodoma: small capital
    _c("UG", "Ugandan", "en_KE", "UGX", "256", 9, 0.15, ("Kampala", "Entebbe", "Jinja"), ("gmail.com",)),  # East African pool
    _c("RW", "Rwandan", "en_KE", "RWF", "250", 9, 0.15, ("Kigali", "Butare"), ("gmail.com",)),
    _c("ET", "Ethiopian", "en_KE", "ETB", "251", 9, 0.15, ("Addis Ababa", "Dire Dawa", "Bahir Dar"), ("gmail.com",)),
    _c("DJ", "Djiboutian", "fr_FR", "DJF", "253", 8, 0.15, ("Djibouti",), ("gmail.com",)),
    _c("SC", "Seychellois", "fr_FR", "SCR", "248", 7, 0.15, ("Victoria",), ("gmail.com",)),
    _c("MU", "Mauritian", "en_IN", "MUR", "230", 8, 0.3, ("Port Louis", "Curepipe", "Quatre Bornes"), ("intnet.mu",), 0.2),  # mostly of Indian descent
    _c("MG", "Malagasy", "fr_FR", "MGA", "261", 9, 0.15, ("Antananarivo", "Toamasina"), ("gmail.com",)),
    _c("AO", "Angolan", "pt_PT", "AOA", "244", 9, 0.3, ("Luanda", "Huambo", "Lobito"), ("gmail.com",)),
    _c("MZ", "Mozambican", "pt_PT", "MZN", "258", 9, 0.15, ("Maputo", "Matola", "Beira", "Nampula"), ("gmail.com",)),
    _c("ZM", "Zambian", "zu_ZA", "ZMW", "260", 9, 0.15, ("Lusaka", "Kitwe", "Ndola"), ("gmail.com",)),  # southern African pool
    _c("ZW", "Zimbabwean", "zu_ZA", "USD", "263", 9, 0.15, ("Harare", "Bulawayo"), ("gmail.com",)),  # luxury is paid in dollars
    _c("BW", "Motswana", "zu_ZA", "BWP", "267", 8, 0.15, ("Gaborone", "Francistown"), ("gmail.com",)),
    _c("NA", "Namibian", "zu_ZA", "NAD", "264", 9, 0.15, ("Windhoek", "Walvis Bay", "Swakopmund"), ("gmail.com",)),
    _c("MW", "Malawian", "zu_ZA", "MWK", "265", 9, 0.15, ("Lilongwe", "Blantyre"), ("gmail.com",)),
    _c("LS", "Basotho", "zu_ZA", "LSL", "266", 8, 0.15, ("Maseru",), ("gmail.com",)),
    _c("SZ", "Swazi", "zu_ZA", "SZL", "268", 8, 0.15, ("Mbabane", "Manzini"), ("gmail.com",)),
    _c("RE", "Réunionese", "fr_FR", "EUR", "262", 9, 0.15, ("Saint-Denis", "Saint-Paul", "Saint-Pierre"), ("orange.fr", "wanadoo.fr"), 0.3),
    # Americas (Central America and the Caribbean: es_MX or es_ES; Andes: es_CO; River Plate: es_AR)
    _c("GT", "Guatemalan", "es_MX", "GTQ", "502", 8, 0.3, ("Guatemala City", "Quetzaltenango", "Antigua Guatemala"), ("gmail.com",)),
    _c("HN", "Honduran", "es_MX", "HNL", "504", 8, 0.15, ("Tegucigalpa", "San Pedro Sula"), ("gmail.com",)),
    _c("SV", "Salvadoran", "es_MX", "USD", "503", 8, 0.15, ("San Salvador", "Santa Ana"), ("gmail.com",)),
    _c("NI", "Nicaraguan", "es_MX", "NIO", "505", 8, 0.15, ("Managua", "León", "Granada"), ("gmail.com",)),
    _c("CR", "Costa Rican", "es_MX", "CRC", "506", 8, 0.3, ("San José", "Alajuela", "Heredia"), ("racsa.co.cr",), 0.15),
    _c("PA", "Panamanian", "es_MX", "USD", "507", 8, 0.6, ("Panama City", "Colón", "David"), ("cwpanama.net",), 0.15),  # the balboa circulates as coins only
    _c("BZ", "Belizean", "en_US", "BZD", "501", 7, 0.15, ("Belize City", "Belmopan"), ("gmail.com",)),  # Belize City: far larger than the capital
    _c("CU", "Cuban", "es_ES", "CUP", "53", 8, 0.15, ("Havana", "Santiago de Cuba"), ("nauta.cu",), 0.3),
    _c("DO", "Dominican", "es_MX", "DOP", "1", 10, 0.3, ("Santo Domingo", "Santiago de los Caballeros", "Punta Cana"), ("gmail.com",)),
    _c("PR", "Puerto Rican", "es_MX", "USD", "1", 10, 0.3, ("San Juan", "Bayamón", "Ponce"), ("gmail.com",)),
    _c("JM", "Jamaican", "en_GB", "JMD", "1", 10, 0.15, ("Kingston", "Montego Bay"), ("gmail.com",)),
    _c("HT", "Haitian", "fr_FR", "HTG", "509", 8, 0.15, ("Port-au-Prince", "Cap-Haïtien"), ("gmail.com",)),
    _c("BS", "Bahamian", "en_GB", "BSD", "1", 10, 0.3, ("Nassau", "Freeport"), ("gmail.com",)),
    _c("BB", "Barbadian", "en_GB", "BBD", "1", 10, 0.15, ("Bridgetown",), ("gmail.com",)),
    _c("TT", "Trinidadian", "en_GB", "TTD", "1", 10, 0.15, ("Port of Spain", "Chaguanas", "San Fernando"), ("gmail.com",)),
    _c("BM", "Bermudian", "en_GB", "BMD", "1", 10, 0.3, ("Hamilton",), ("gmail.com",)),
    _c("KY", "Caymanian", "en_GB", "KYD", "1", 10, 0.3, ("George Town",), ("gmail.com",)),
    _c("AW", "Aruban", "nl_NL", "AWG", "297", 7, 0.15, ("Oranjestad",), ("gmail.com",)),
    _c("CW", "Curaçaoan", "nl_NL", "XCG", "599", 8, 0.15, ("Willemstad",), ("gmail.com",)),  # Caribbean guilder since 2025
    _c("LC", "Saint Lucian", "en_GB", "XCD", "1", 10, 0.15, ("Castries",), ("gmail.com",)),
    _c("AG", "Antiguan", "en_GB", "XCD", "1", 10, 0.15, ("Saint John's",), ("gmail.com",)),
    _c("GD", "Grenadian", "en_GB", "XCD", "1", 10, 0.15, ("Saint George's",), ("gmail.com",)),
    _c("KN", "Kittitian", "en_GB", "XCD", "1", 10, 0.15, ("Basseterre",), ("gmail.com",)),
    _c("VC", "Vincentian", "en_GB", "XCD", "1", 10, 0.15, ("Kingstown",), ("gmail.com",)),
    _c("VG", "British Virgin Islander", "en_GB", "USD", "1", 10, 0.15, ("Road Town",), ("gmail.com",)),
    _c("VI", "US Virgin Islander", "en_US", "USD", "1", 10, 0.15, ("Charlotte Amalie",), ("gmail.com",)),
    _c("TC", "Turks and Caicos Islander", "en_GB", "USD", "1", 10, 0.15, ("Cockburn Town", "Providenciales"), ("gmail.com",)),
    _c("GP", "Guadeloupean", "fr_FR", "EUR", "590", 9, 0.15, ("Basse-Terre", "Pointe-à-Pitre", "Les Abymes"), ("orange.fr", "wanadoo.fr"), 0.3),
    _c("MQ", "Martinican", "fr_FR", "EUR", "596", 9, 0.15, ("Fort-de-France", "Le Lamentin"), ("orange.fr", "wanadoo.fr"), 0.3),
    _c("PE", "Peruvian", "es_CO", "PEN", "51", 9, 0.6, ("Lima", "Arequipa", "Trujillo", "Cusco"), ("gmail.com",)),
    _c("EC", "Ecuadorian", "es_CO", "USD", "593", 9, 0.3, ("Quito", "Guayaquil", "Cuenca"), ("gmail.com",)),
    _c("VE", "Venezuelan", "es_CO", "VES", "58", 10, 0.3, ("Caracas", "Maracaibo", "Valencia"), ("cantv.net",), 0.15),
    _c("BO", "Bolivian", "es_CO", "BOB", "591", 8, 0.15, ("La Paz", "Santa Cruz de la Sierra", "Cochabamba", "Sucre"), ("gmail.com",)),
    _c("PY", "Paraguayan", "es_AR", "PYG", "595", 9, 0.15, ("Asunción", "Ciudad del Este"), ("gmail.com",)),
    _c("UY", "Uruguayan", "es_AR", "UYU", "598", 8, 0.3, ("Montevideo", "Punta del Este", "Salto"), ("adinet.com.uy",), 0.2),
    _c("GY", "Guyanese", "en_GB", "GYD", "592", 7, 0.15, ("Georgetown",), ("gmail.com",)),
    _c("SR", "Surinamese", "nl_NL", "SRD", "597", 7, 0.15, ("Paramaribo",), ("gmail.com",)),
    _c("GF", "French Guianese", "fr_FR", "EUR", "594", 9, 0.15, ("Cayenne", "Kourou"), ("orange.fr", "wanadoo.fr"), 0.3),
    # Greater China
    _c("MO", "Macanese", "zh_TW", "MOP", "853", 8, 0.6, ("Macau", "Taipa"), ("macau.ctm.net",), 0.3),
    # Asia-Pacific (South Asia: en_IN or en_PK; Central Asia: ru_RU; mainland South-East Asia: en_TH)
    _c("PK", "Pakistani", "en_PK", "PKR", "92", 10, 0.3, ("Islamabad", "Karachi", "Lahore"), ("gmail.com",)),
    _c("BD", "Bangladeshi", "en_IN", "BDT", "880", 10, 0.15, ("Dhaka", "Chittagong"), ("gmail.com",)),
    _c("LK", "Sri Lankan", "en_IN", "LKR", "94", 9, 0.15, ("Colombo", "Kandy", "Galle"), ("sltnet.lk",), 0.15),
    _c("NP", "Nepali", "en_IN", "NPR", "977", 10, 0.15, ("Kathmandu", "Pokhara"), ("gmail.com",)),
    _c("BT", "Bhutanese", "en_IN", "BTN", "975", 8, 0.15, ("Thimphu", "Phuntsholing"), ("gmail.com",)),
    _c("MV", "Maldivian", "ar_AA", "MVR", "960", 7, 0.15, ("Malé", "Addu City"), ("gmail.com",)),  # Arabic names are the norm
    _c("AF", "Afghan", "en_PK", "AFN", "93", 9, 0.15, ("Kabul", "Herat", "Mazar-i-Sharif"), ("gmail.com",)),
    _c("KZ", "Kazakh", "ru_RU", "KZT", "7", 10, 0.6, ("Astana", "Almaty", "Shymkent"), ("mail.ru", "mail.kz", "yandex.kz"), 0.6),
    _c("UZ", "Uzbek", "uz_UZ", "UZS", "998", 9, 0.3, ("Tashkent", "Samarkand", "Bukhara"), ("mail.ru",), 0.4),
    _c("KG", "Kyrgyz", "ru_RU", "KGS", "996", 9, 0.15, ("Bishkek", "Osh"), ("mail.ru",), 0.5),
    _c("TJ", "Tajik", "ru_RU", "TJS", "992", 9, 0.15, ("Dushanbe", "Khujand"), ("mail.ru",), 0.5),
    _c("TM", "Turkmen", "ru_RU", "TMT", "993", 8, 0.15, ("Ashgabat", "Turkmenabat"), ("mail.ru",), 0.4),
    _c("MN", "Mongolian", "ru_RU", "MNT", "976", 8, 0.15, ("Ulaanbaatar", "Erdenet"), ("gmail.com",)),  # no Mongolian names in Faker
    _c("KH", "Cambodian", "en_TH", "KHR", "855", 9, 0.15, ("Phnom Penh", "Siem Reap"), ("gmail.com",)),
    _c("LA", "Lao", "en_TH", "LAK", "856", 10, 0.15, ("Vientiane", "Luang Prabang"), ("gmail.com",)),
    _c("MM", "Burmese", "en_TH", "MMK", "95", 9, 0.15, ("Yangon", "Mandalay", "Naypyidaw"), ("gmail.com",)),  # Yangon: far larger than the capital
    _c("BN", "Bruneian", "id_ID", "BND", "673", 7, 0.3, ("Bandar Seri Begawan",), ("gmail.com",)),  # Malay pool, as for Malaysia
    _c("TL", "Timorese", "pt_PT", "USD", "670", 8, 0.15, ("Dili",), ("gmail.com",)),
    _c("FJ", "Fijian", "en_NZ", "FJD", "679", 7, 0.15, ("Suva", "Nadi", "Lautoka"), ("gmail.com",)),  # Pacific: en_NZ (en_AU has no names)
    _c("PG", "Papua New Guinean", "en_NZ", "PGK", "675", 8, 0.15, ("Port Moresby", "Lae"), ("gmail.com",)),
    _c("WS", "Samoan", "en_NZ", "WST", "685", 7, 0.15, ("Apia",), ("gmail.com",)),
    _c("TO", "Tongan", "en_NZ", "TOP", "676", 7, 0.15, ("Nuku'alofa",), ("gmail.com",)),
    _c("VU", "Ni-Vanuatu", "en_NZ", "VUV", "678", 7, 0.15, ("Port Vila", "Luganville"), ("gmail.com",)),
    _c("SB", "Solomon Islander", "en_NZ", "SBD", "677", 7, 0.15, ("Honiara",), ("gmail.com",)),
    _c("PF", "French Polynesian", "fr_FR", "XPF", "689", 8, 0.15, ("Papeete", "Faaa"), ("mail.pf",), 0.3),
    _c("NC", "New Caledonian", "fr_FR", "XPF", "687", 6, 0.15, ("Nouméa",), ("lagoon.nc", "canl.nc"), 0.3),
    _c("GU", "Guamanian", "en_US", "USD", "1", 10, 0.15, ("Hagåtña", "Dededo", "Tamuning"), ("gmail.com",)),
    _c("PW", "Palauan", "en_US", "USD", "680", 7, 0.15, ("Koror", "Ngerulmud"), ("gmail.com",)),  # Koror: far larger than the capital
    _c("FM", "Micronesian", "en_US", "USD", "691", 7, 0.15, ("Palikir", "Weno"), ("gmail.com",)),
)
# fmt: on

COUNTRY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)
_BY_CODE: dict[str, Country] = {c.code: c for c in COUNTRIES}

#: The brand's regional markets, in reporting order.
MARKETS: tuple[str, ...] = (
    "europe_middle_east_africa",
    "americas",
    "greater_china",
    "asia_pacific",
)

# Members of each market. Russia, Turkey and the Caucasus report to Europe; Central and
# South Asia to Asia-Pacific; overseas departments and territories to the region they lie in.
_MARKET_MEMBERS: dict[str, str] = {
    "europe_middle_east_africa": (
        "FR IT GB DE ES CH NL BE AT SE NO DK FI PL PT GR IE CZ HU RO UA RU TR "
        "LU MC AD SM LI MT IS EE LV LT SK SI HR RS BA ME MK AL BG MD BY CY GE AM AZ GI JE GG IM FO "
        "AE SA QA KW BH OM JO LB IL IQ IR SY PS YE "
        "EG NG ZA MA DZ TN LY SD SN CI GH ML BF NE GN BJ TG SL LR GM CV MR CM GA CG CD TD GQ "
        "KE TZ UG RW ET DJ SC MU MG AO MZ ZM ZW BW NA MW LS SZ RE"
    ),
    "americas": (
        "US CA MX BR AR CL CO GT HN SV NI CR PA BZ CU DO PR JM HT BS BB TT BM KY AW CW "
        "LC AG GD KN VC VG VI TC GP MQ PE EC VE BO PY UY GY SR GF"
    ),
    "greater_china": "CN HK MO TW",
    "asia_pacific": (
        "JP KR SG IN TH ID MY PH VN AU NZ PK BD LK NP BT MV AF KZ UZ KG TJ TM MN KH LA MM BN TL "
        "FJ PG WS TO VU SB PF NC GU PW FM"
    ),
}


def _market_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for market in MARKETS:
        for code in _MARKET_MEMBERS[market].split():
            if code in table or code not in _BY_CODE:
                raise ValueError(f"{code!r} listed twice or not a country ({market})")
            table[code] = market
    return table


#: Country code -> regional market (one of :data:`MARKETS`).
MARKET_OF: MappingProxyType[str, str] = MappingProxyType(_market_table())

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
    return dict(_default_mix())


@functools.cache
def _default_mix() -> MappingProxyType[str, float]:
    total = sum(c.weight for c in COUNTRIES)
    return MappingProxyType({c.code: c.weight / total for c in COUNTRIES})


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


def market_of(code: str) -> str:
    """Regional market of a country, one of :data:`MARKETS`: ``market_of("MO") == "greater_china"``."""
    country(code)  # a KeyError that names the code and lists the known ones
    return MARKET_OF[code]


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
