"""msgspec: a C extension with typed structs, JSON and MessagePack."""

import msgspec


class User(msgspec.Struct):
    name: str
    groups: set[str] = set()


data = msgspec.json.encode(User("ada", {"admin"}))
print(data, msgspec.json.decode(data, type=User))
print(msgspec.msgpack.decode(msgspec.msgpack.encode([1, "x"])))
try:
    msgspec.json.decode(b'{"name": 1}', type=User)
except msgspec.ValidationError as exc:
    print(exc)
