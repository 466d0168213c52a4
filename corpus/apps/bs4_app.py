"""beautifulsoup4: tree builders registered by feature name (html.parser, lxml, lxml-xml)."""

from bs4 import BeautifulSoup

doc = "<html><body><p class='a'>One</p><p>Two <b>bold</b></p></body></html>"
for parser in ("html.parser", "lxml", "xml"):
    soup = BeautifulSoup(doc, parser)
    print(parser, [p.get_text() for p in soup.find_all("p")], type(soup.builder).__name__)
print(BeautifulSoup(doc, "html.parser").select_one("p.a").text)
