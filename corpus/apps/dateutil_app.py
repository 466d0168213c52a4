"""python-dateutil: its bundled zoneinfo tarball, parser and rrule."""

from datetime import datetime

from dateutil import parser, rrule, tz
from dateutil.relativedelta import relativedelta
from dateutil.zoneinfo import get_zonefile_instance

zones = get_zonefile_instance()
print(len(zones.zones) > 300)
print(datetime(2024, 7, 1, tzinfo=zones.get("Europe/Paris")).utcoffset())
print(parser.parse("March 14, 2024 3:09 PM EST", tzinfos={"EST": -18000}).isoformat())
print(datetime(2024, 1, 31) + relativedelta(months=1))
print(
    [d.date().isoformat() for d in rrule.rrule(rrule.WEEKLY, count=3, dtstart=datetime(2024, 1, 1))]
)
print(datetime(2024, 1, 1, tzinfo=tz.gettz("Asia/Tokyo")).utcoffset())
