"""simplejson: the C speedups module."""

import decimal

import simplejson

print(
    simplejson.dumps(
        {"b": decimal.Decimal("1.10"), "a": [1, None]}, sort_keys=True, use_decimal=True
    )
)
print(
    simplejson.loads('{"x": 1.5}', use_decimal=True),
    simplejson._speedups.__name__ if simplejson._speedups else None,
)
