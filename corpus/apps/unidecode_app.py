"""unidecode: one table module per Unicode block, imported by a name built at run time."""

from unidecode import unidecode

for text in ("Ærøskøbing", "北京", "Москва", "ᚠᛇᚻ", "αβγ", "한국어", "ﬁ"):
    print(unidecode(text))
