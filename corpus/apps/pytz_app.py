"""pytz: the zoneinfo database shipped as package data files."""

from datetime import datetime

import pytz

print(len(pytz.all_timezones) > 400)
for name in ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"):
    zone = pytz.timezone(name)
    local = zone.localize(datetime(2024, 7, 1, 12, 0))
    print(name, local.strftime("%Z %z"))
print(pytz.timezone("US/Eastern").zone)
