"""msgpack: the Cython extension (msgpack._cmsgpack) and ext types."""

import msgpack

packed = msgpack.packb(
    {"a": [1, 2, 3], "b": b"\x00\x01", "t": msgpack.Timestamp(1_700_000_000)}, use_bin_type=True
)
print(packed.hex())
print(msgpack.unpackb(packed, raw=False, timestamp=3))
print(msgpack.Packer.__module__)
