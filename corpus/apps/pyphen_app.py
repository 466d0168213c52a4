"""pyphen: hyphenation dictionaries (.dic files) read from its data folder."""

import pyphen

print(len(pyphen.LANGUAGES) > 50)
for lang, word in (
    ("fr", "anticonstitutionnellement"),
    ("de_DE", "Donaudampfschifffahrt"),
    ("en_US", "hyphenation"),
):
    print(lang, pyphen.Pyphen(lang=lang).inserted(word))
