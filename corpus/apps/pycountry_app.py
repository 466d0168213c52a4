"""pycountry: ISO JSON databases and gettext translations shipped as package data."""

import gettext

import pycountry

print(pycountry.countries.get(alpha_2="DE").name, len(pycountry.countries) > 240)
print(pycountry.languages.get(alpha_3="fra").name, pycountry.currencies.get(alpha_3="JPY").name)
print(pycountry.subdivisions.get(code="US-CA").name)
de = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"])
print(de.gettext("France"))
