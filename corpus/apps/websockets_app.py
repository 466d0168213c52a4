"""websockets: names resolved by its lazy module __getattr__; an echo server and client on loopback."""

import asyncio

import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message[::-1])


async def main():
    async with serve(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}") as ws:
            await ws.send("frozen")
            print(await ws.recv())


asyncio.run(main())
print(websockets.ConnectionClosed.__name__, websockets.frames.Opcode.TEXT)
