"""lz4: frame and block C extensions."""

import lz4.block
import lz4.frame

data = b"frozen " * 500
frame = lz4.frame.compress(data)
print(len(frame) < 200, lz4.frame.decompress(frame) == data)
print(lz4.block.decompress(lz4.block.compress(data)) == data)
