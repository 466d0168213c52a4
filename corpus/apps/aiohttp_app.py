"""aiohttp: C extensions (multidict, yarl, frozenlist, propcache, the http parser); a loopback server and client."""

import asyncio

from aiohttp import ClientSession, web


async def hello(request):
    return web.json_response({"name": request.match_info["name"], "q": request.query.get("q")})


async def main():
    app = web.Application()
    app.router.add_get("/hello/{name}", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/hello/frozen", params={"q": "1"}) as resp:
            print(resp.status, await resp.json(), resp.headers["Content-Type"])
    await runner.cleanup()


asyncio.run(main())
import multidict
import yarl

print(type(multidict.MultiDict()).__module__, yarl.URL("http://a/b?c=d").query["c"])
