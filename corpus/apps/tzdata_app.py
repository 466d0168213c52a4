"""tzdata: IANA zone files shipped as package data, read by zoneinfo through importlib.resources."""

import importlib.resources
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

zone = ZoneInfo.from_file(
    importlib.resources.files("tzdata.zoneinfo.America").joinpath("Sao_Paulo").open("rb"),
    key="America/Sao_Paulo",
)
print(datetime(2024, 1, 1, tzinfo=zone).utcoffset())
print(importlib.resources.files("tzdata").joinpath("zones").read_text().count("\n") > 400)
print(len(available_timezones()) > 400)
