"""bcrypt: a Rust (pyo3) extension module."""

import bcrypt

salt = b"$2b$12$" + b"abcdefghijklmnopqrstuu"
hashed = bcrypt.hashpw(b"frozen secret", salt)
print(hashed.decode())
print(bcrypt.checkpw(b"frozen secret", hashed), bcrypt.checkpw(b"wrong", hashed))
print(bcrypt.kdf(b"pw", b"salt", desired_key_bytes=8, rounds=10).hex())
