"""dateparser: language data modules loaded by name, regex, tz data."""

import datetime

import dateparser

base = {
    "RELATIVE_BASE": datetime.datetime(2024, 3, 14, 12, 0),
    "TIMEZONE": "UTC",
    "RETURN_AS_TIMEZONE_AWARE": False,
}
for text, langs in (
    ("12 janvier 2023", ["fr"]),
    ("vor 2 Tagen", ["de"]),
    ("1 de marzo de 2021 a las 10:00", ["es"]),
    ("yesterday", None),
    ("3 июня 2020", ["ru"]),
):
    print(text, "->", dateparser.parse(text, languages=langs, settings=base))
