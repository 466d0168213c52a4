"""dnspython: rdata type modules imported by a name built at run time (dns.rdtypes.IN.A, ...)."""

import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone

for rdtype, text in (
    ("A", "192.0.2.1"),
    ("AAAA", "2001:db8::1"),
    ("MX", "10 mail.example."),
    ("TXT", '"hello"'),
    ("CAA", '0 issue "ca.example"'),
    ("SRV", "0 5 5060 sip.example."),
):
    rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)
    print(rdtype, type(rd).__module__, rd.to_text())
zone = dns.zone.from_text(
    "@ 3600 IN SOA ns. host. 1 2 3 4 5\n@ 3600 IN NS ns.\nwww 60 IN A 192.0.2.2\n",
    origin="example.",
)
print(sorted(str(n) for n in zone.nodes))
print(dns.message.make_query("example.com", "A").question[0])
