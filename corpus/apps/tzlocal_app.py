"""tzlocal: the local zone from TZ, returned as a zoneinfo (tzdata) object."""

import os

os.environ["TZ"] = "Europe/Paris"
import datetime

import tzlocal

print(tzlocal.get_localzone_name())
zone = tzlocal.get_localzone()
print(type(zone).__module__, datetime.datetime(2024, 7, 1, tzinfo=zone).utcoffset())
