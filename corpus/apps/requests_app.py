"""requests: certifi's CA bundle, charset detection and urllib3, without the network."""

import os

import requests
from requests.adapters import HTTPAdapter

req = requests.Request("POST", "http://example.invalid/api", json={"a": 1}, params={"q": "x y"})
prepared = requests.Session().prepare_request(req)
print(prepared.method, prepared.url)
print(prepared.headers["Content-Type"], prepared.body)
print(os.path.isfile(requests.utils.DEFAULT_CA_BUNDLE_PATH))
resp = requests.Response()
resp._content = "Grüße aus dem Gefrierfach".encode("utf-8")
resp.encoding = None
print(resp.apparent_encoding.lower(), resp.text)
print(type(HTTPAdapter().poolmanager).__module__)
