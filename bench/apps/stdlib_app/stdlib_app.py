"""A standard-library-heavy app: json, sqlite3, ssl, asyncio and a multiprocessing worker."""

import asyncio
import json
import multiprocessing
import sqlite3
import ssl


def square(value: int) -> int:
    return value * value


def store_and_sum(rows: list[dict[str, int]]) -> int:
    with sqlite3.connect(":memory:") as db:
        db.execute("create table t (k integer, v integer)")
        db.executemany("insert into t values (:k, :v)", rows)
        (total,) = db.execute("select sum(v) from t").fetchone()
    return int(total)


async def gather_doubles(values: list[int]) -> list[int]:
    async def double(value: int) -> int:
        await asyncio.sleep(0)
        return 2 * value

    return await asyncio.gather(*(double(v) for v in values))


def main() -> None:
    rows = json.loads(json.dumps([{"k": i, "v": i * 10} for i in range(5)]))
    print("sqlite sum:", store_and_sum(rows))
    print("asyncio:", asyncio.run(gather_doubles([1, 2, 3])))
    print("ssl verifies:", ssl.create_default_context().verify_mode == ssl.CERT_REQUIRED)
    with multiprocessing.Pool(1) as pool:
        print("worker:", pool.map(square, [2, 3]))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    main()
