"""arrow: locale classes looked up by name, humanize in several languages."""

import arrow

t = arrow.get("2024-03-14T15:09:26+01:00")
base = t.shift(hours=-5)
for locale in ("en", "fr", "de", "ja", "ru"):
    print(locale, t.humanize(base, locale=locale), t.format("dddd D MMMM", locale=locale))
print(t.to("US/Pacific").isoformat())
