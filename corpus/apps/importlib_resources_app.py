"""importlib_resources: files() and as_file() over package data (certifi's cacert.pem, tzdata zones)."""

import certifi  # the packages whose data is read are imported, as an app would
import importlib_resources
import tzdata

pem = importlib_resources.files(certifi).joinpath("cacert.pem")
print(pem.is_file(), pem.read_text(encoding="ascii").count("BEGIN CERTIFICATE") > 100)
with importlib_resources.as_file(pem) as path:
    print(path.exists())
zones = importlib_resources.files(tzdata).joinpath("zoneinfo", "Europe")
print(sorted(p.name for p in zones.iterdir() if p.name.startswith("Par")))
print(zones.joinpath("Paris").read_bytes()[:4])
