"""cryptography: the Rust extension (cryptography.hazmat.bindings._rust) and OpenSSL inside it."""

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

digest = hashes.Hash(hashes.SHA256())
digest.update(b"abc")
print(digest.finalize().hex()[:16])
key = Fernet(Fernet.generate_key())
print(key.decrypt(key.encrypt(b"frozen secret")).decode())
print(AESGCM(bytes(32)).encrypt(bytes(12), b"data", None).hex())
private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
print(
    private.public_key()
    .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    .hex()[:16]
)
