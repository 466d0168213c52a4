import asyncio
import decimal
import hashlib
import json
import pkgutil
import sqlite3
import ssl
import zlib

import mypkg


async def _answer() -> int:
    await asyncio.sleep(0)
    return 42


db = sqlite3.connect(":memory:")
db.execute("create table t (x)")
db.execute("insert into t values (7)")
print("json", json.dumps({"a": [1, 2]}, sort_keys=True))
print("sqlite", db.execute("select x from t").fetchone()[0])
print("ssl", ssl.create_default_context().protocol.name)
print("decimal", decimal.Decimal("1.10") + decimal.Decimal("2.20"))
print("sha256", hashlib.sha256(b"abc").hexdigest()[:16])
print("zlib", zlib.decompress(zlib.compress(b"x" * 100)) == b"x" * 100)
print("asyncio", asyncio.run(_answer()))
print("data", pkgutil.get_data("mypkg", "data.txt").decode().strip())
print("pkg", mypkg.VALUE)
