"""rapidfuzz: C++ implementations imported by name at run time (pure-Python fallback otherwise)."""

from rapidfuzz import distance, fuzz, process

print(fuzz.ratio("frozen app", "frozen apps"), fuzz.partial_ratio("freeze", "freezekit"))
print(process.extractOne("pandas", ["numpy", "pandas2", "scipy"]))
print(distance.Levenshtein.distance("kitten", "sitting"))
print(type(fuzz.ratio).__module__ if hasattr(fuzz.ratio, "__module__") else None)
