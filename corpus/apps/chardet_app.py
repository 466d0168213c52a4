"""chardet: encoding detection with its language models."""

import chardet

print(
    chardet.detect(
        "Привет, это довольно длинный русский текст для проверки кодировки.".encode("koi8-r")
    )["encoding"]
)
print(
    chardet.detect(
        "Ελληνικά κείμενο για τον έλεγχο της κωδικοποίησης των χαρακτήρων.".encode("iso-8859-7")
    )["encoding"]
)
print(chardet.detect(b"plain ascii")["encoding"])
