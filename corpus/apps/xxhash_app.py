"""xxhash: a C extension."""

import xxhash

print(xxhash.xxh64(b"frozen", seed=1).hexdigest(), xxhash.xxh3_128_hexdigest(b"frozen"))
print(xxhash.xxh32_intdigest(b"abc"))
