"""httpx: a client through a mock transport (h11, anyio, certifi, idna underneath)."""

import httpx


def handler(request):
    return httpx.Response(200, json={"path": request.url.path, "q": request.url.params.get("q")})


with httpx.Client(
    transport=httpx.MockTransport(handler), base_url="https://example.invalid"
) as client:
    r = client.get("/api/ü", params={"q": "x"})
    print(r.status_code, r.json(), r.request.url)
print(httpx.URL("https://Bücher.example/a b").raw_host)
import asyncio


async def main():
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        return (await client.get("http://a.invalid/async")).json()


print(asyncio.run(main()))
