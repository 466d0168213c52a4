"""humanize: gettext translations (.mo files) activated by locale name."""

import datetime as dt

import humanize

print(humanize.naturalsize(123456789))
print(humanize.intword(1234567890))
humanize.i18n.activate("fr_FR")
print(humanize.naturaldelta(dt.timedelta(hours=3)))
print(humanize.ordinal(2))
humanize.i18n.activate("ru_RU")
print(humanize.naturaldelta(dt.timedelta(days=40)))
humanize.i18n.deactivate()
print(humanize.apnumber(7))
