"""tld: the public suffix list shipped as a package data file."""

from tld import get_fld, get_tld

print(get_tld("https://www.example.co.uk/page"), get_fld("http://a.b.example.com.au"))
print(get_tld("https://foo.blogspot.com", as_object=True).subdomain)
