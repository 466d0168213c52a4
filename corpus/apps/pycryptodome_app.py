"""pycryptodome: native modules (.so files) loaded by path through ctypes/cffi, not imported."""

from Crypto.Cipher import AES, ChaCha20
from Crypto.Hash import SHA3_256, BLAKE2b
from Crypto.Protocol.KDF import scrypt

cipher = AES.new(bytes(16), AES.MODE_GCM, nonce=bytes(12))
ct, tag = cipher.encrypt_and_digest(b"frozen")
print(ct.hex(), tag.hex())
print(ChaCha20.new(key=bytes(32), nonce=bytes(8)).encrypt(b"abc").hex())
print(SHA3_256.new(b"abc").hexdigest()[:16], BLAKE2b.new(digest_bits=128, data=b"abc").hexdigest())
print(scrypt(b"pw", b"salt", 16, N=2**10, r=8, p=1).hex())
