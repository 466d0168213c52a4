"""lxml: Cython extensions importing lxml._elementpath from C; bundled libxml2/libxslt."""

from lxml import etree, html, objectify

root = etree.fromstring("<r><a n='1'>x</a><a n='2'>y</a><b/></r>")
print([a.text for a in root.findall("a")], root.xpath("count(//a)"))
print(root.find(".//a[@n='2']").text)
xslt = etree.XSLT(
    etree.XML(
        "<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform'>"
        "<xsl:template match='/'><out><xsl:value-of select='count(//a)'/></out></xsl:template>"
        "</xsl:stylesheet>"
    )
)
print(str(xslt(root)).strip())
print(html.fromstring("<p>Hello <b>frozen</b></p>").text_content())
print(objectify.fromstring("<r><n>3</n></r>").n + 1)
print(
    etree.tostring(
        etree.XMLSchema(
            etree.XML(
                "<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'><xs:element name='r' type='xs:string'/></xs:schema>"
            )
        ).validate(etree.XML("<r>ok</r>"))
        and root[0],
        encoding="unicode",
    )
)
