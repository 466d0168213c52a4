"""ujson: a C extension."""

import ujson

data = {"b": [1, 2.5, None], "a": "é", "c": {"n": True}}
print(ujson.dumps(data, sort_keys=True, ensure_ascii=False))
print(ujson.loads('{"x": [1, 2, {"y": null}]}'))
