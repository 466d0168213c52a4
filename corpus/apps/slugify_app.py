"""python-slugify: transliteration through text-unidecode's data file."""

from slugify import slugify

print(slugify("Héllo Wörld — frozen ❄ app"))
print(slugify("Пример текста", max_length=12), slugify("影師嗎"))
