"""charset-normalizer: mypyc-compiled modules, encoding detection over codec modules looked up by name."""

from charset_normalizer import from_bytes

for text, enc in (
    ("Bonjour, ceci est un texte français assez long pour être détecté.", "cp1252"),
    ("Привет, это довольно длинный русский текст для проверки кодировки.", "cp1251"),
    ("日本語のテキストです。文字コードを判定します。", "shift_jis"),
):
    best = from_bytes(text.encode(enc)).best()
    print(enc, best.encoding if best else None, str(best) == text if best else None)
