"""regex: a C extension with Unicode property tables."""

import regex

print(regex.findall(r"\p{Greek}+", "alpha αβγ beta δέλτα"))
print(regex.sub(r"(?i)straße", "road", "STRASSE Straße", flags=regex.FULLCASE))
print(regex.match(r"(?<word>\w+)\s(?&word)", "hello world").group(0))
print(regex.fullmatch(r"(?:cat){e<=1}", "cut") is not None)
print(regex.findall(r"\X", "e\u0301a"))
