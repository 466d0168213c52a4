"""faker: locale providers imported by name at run time."""

from faker import Faker

fake = Faker(["fr_FR", "ja_JP", "de_DE"])
Faker.seed(4321)
for locale in ("fr_FR", "ja_JP", "de_DE"):
    print(locale, fake[locale].name(), "|", fake[locale].city())
print(Faker("en_US").providers[0].__class__.__module__.split(".")[1])
