"""pyjwt: HMAC and Ed25519 tokens (cryptography as its backend)."""

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519

token = jwt.encode({"sub": "ada", "n": 1}, "secret", algorithm="HS256")
print(token)
print(jwt.decode(token, "secret", algorithms=["HS256"]))
key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(32))
signed = jwt.encode({"x": 1}, key, algorithm="EdDSA")
print(signed, jwt.decode(signed, key.public_key(), algorithms=["EdDSA"]))
