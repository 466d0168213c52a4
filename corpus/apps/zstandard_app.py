"""zstandard: the C backend picked at import time (the cffi one is the fallback)."""

import zstandard

data = b"freeze me " * 1000
compressed = zstandard.ZstdCompressor(level=10).compress(data)
print(len(compressed) < 100, zstandard.ZstdDecompressor().decompress(compressed) == data)
print(zstandard.backend)
d = zstandard.train_dictionary(1024, [(b"sample %d " % i) * 20 for i in range(200)])
print(len(d.as_bytes()) > 0)
