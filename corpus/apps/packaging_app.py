"""packaging: versions, specifiers, markers and tags of this interpreter."""

from packaging import tags
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

print(sorted(["1.10", "1.2", "1.2rc1", "2.0.post1"], key=Version))
print(Version("2.0") in SpecifierSet(">=1.5,<3"))
r = Requirement('requests[socks]>=2.8; python_version>"3.6"')
print(r.name, sorted(r.extras), str(r.specifier), r.marker.evaluate())
print(Marker('os_name == "posix"').evaluate())
print(next(iter(tags.sys_tags())).interpreter.startswith("cp3"))
