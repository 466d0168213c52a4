"""lxml: parse, XPath, ElementPath (lxml.etree imports lxml._elementpath from C), objectify."""

from lxml import etree, html

root = etree.fromstring("<a><b n='1'>x</b><b n='2'>y</b></a>")
print([b.text for b in root.findall("b")], root.xpath("string(//b[@n='2'])"))
print(etree.tostring(root.find("b")).decode())
doc = html.fromstring("<p>Hello <i>frozen</i> world</p>")
print(doc.text_content())
