"""argon2-cffi: a cffi extension (_argon2_cffi_bindings) that needs _cffi_backend."""

import argon2
from argon2.low_level import Type, hash_secret_raw

print(
    hash_secret_raw(
        b"secret",
        b"somesalt",
        time_cost=2,
        memory_cost=1024,
        parallelism=1,
        hash_len=16,
        type=Type.ID,
    ).hex()
)
ph = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
h = ph.hash("frozen")
print(h.split("$")[1], ph.verify(h, "frozen"))
