"""pynacl: libsodium through a cffi extension (nacl._sodium)."""

import nacl.hash
import nacl.secret
import nacl.signing
import nacl.utils

key = bytes(range(32))
box = nacl.secret.SecretBox(key)
msg = box.encrypt(b"frozen", nonce=bytes(24))
print(msg.hex())
print(box.decrypt(msg))
print(nacl.signing.SigningKey(key).verify_key.encode().hex()[:16])
print(nacl.hash.blake2b(b"abc", digest_size=16).decode())
