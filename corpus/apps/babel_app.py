"""babel: CLDR locale data (.dat files) read by path at run time."""

from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

print(Locale.parse("fr_FR").display_name)
print(Locale("ja").territories["JP"])
print(format_date(date(2024, 3, 14), format="full", locale="de_DE"))
print(format_decimal(1234567.891, locale="hi_IN"))
print(format_currency(1099.98, "EUR", locale="es_ES"))
