"""phonenumbers: per-region metadata modules loaded lazily by name; geocoder/carrier data."""

import phonenumbers
from phonenumbers import carrier, geocoder, timezone

for raw in ("+33 1 42 68 53 00", "+81 3-3224-9999", "+1 650-253-0000", "+44 20 7031 3000"):
    number = phonenumbers.parse(raw)
    print(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        phonenumbers.region_code_for_number(number),
        phonenumbers.is_valid_number(number),
        geocoder.description_for_number(number, "en"),
        timezone.time_zones_for_number(number),
    )
print(carrier.name_for_number(phonenumbers.parse("+447912345678"), "en"))
