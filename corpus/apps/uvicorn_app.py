"""uvicorn: protocol, loop and lifespan classes imported from dotted names."""

from uvicorn.config import Config


async def app(scope, receive, send):
    pass


config = Config(app=app, http="auto", ws="auto", loop="asyncio", lifespan="on", log_config=None)
config.load()
print(config.http_protocol_class.__name__)
print(config.ws_protocol_class.__name__ if config.ws_protocol_class else None)
print(type(config.lifespan_class).__name__, config.lifespan_class.__name__)
h11 = Config(app=app, http="h11", log_config=None)
h11.load()
print(h11.http_protocol_class.__module__)
