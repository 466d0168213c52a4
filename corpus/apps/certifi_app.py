"""certifi: the CA bundle (cacert.pem) read as a package data file."""

import ssl

import certifi

pem = certifi.contents()
print(pem.count("BEGIN CERTIFICATE") > 100)
ctx = ssl.create_default_context(cafile=certifi.where())
print(len(ctx.get_ca_certs()) > 100)
