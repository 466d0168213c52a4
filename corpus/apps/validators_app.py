"""validators: a package of validators (some reading data files)."""

import validators

print(bool(validators.email("ada@example.com")), bool(validators.email("nope")))
print(bool(validators.url("https://example.com/a?b=c")), bool(validators.ipv4("256.1.1.1")))
print(
    bool(validators.iban("DE89370400440532013000")),
    bool(validators.uuid("12345678-1234-5678-1234-567812345678")),
)
print(bool(validators.domain("bücher.example", rfc_2782=False)))
