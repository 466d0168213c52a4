"""orjson: a Rust extension that imports stdlib modules (uuid, json, dataclasses, zoneinfo) from C."""

import dataclasses
import datetime
import uuid

import orjson


@dataclasses.dataclass
class Point:
    x: int
    y: int


data = {
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "when": datetime.datetime(2024, 3, 14, 1, 2, 3, tzinfo=datetime.timezone.utc),
    "p": Point(1, 2),
    "n": [1, 2.5, None, True],
}
out = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)
print(out.decode())
print(orjson.loads(out)["p"])
