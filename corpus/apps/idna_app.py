"""idna: the large uts46data table module and the codec registered on import."""

import idna
import idna.codec  # noqa: F401

print(idna.encode("ドメイン.テスト"), idna.decode("xn--eckwd4c7c.xn--zckzah"))
print(idna.encode("Königsgäßchen", uts46=True))
print("bücher.example".encode("idna2008"))
