"""pendulum: Rust extension, locale modules imported by name, time zones."""

import pendulum

dt = pendulum.datetime(2024, 3, 14, 15, 9, 26, tz="Europe/Paris")
print(dt.isoformat())
print(dt.in_timezone("Asia/Tokyo").isoformat())
print(dt.format("dddd D MMMM YYYY", locale="fr"))
print(dt.format("dddd D MMMM YYYY", locale="de"))
print(dt.add(days=3).diff_for_humans(dt, locale="es"))
print(pendulum.duration(days=1, hours=2).in_words(locale="it"))
print(type(pendulum.parse("2024-01-02T03:04:05Z")).__name__)
