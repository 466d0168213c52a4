"""A CycloneDX (1.6, JSON) software bill of materials for one frozen app.

It lists what the app carries, read from the app itself (``freezekit.inspect.inventory``): the
interpreter, every bundled distribution (name, version, the licence its metadata declares,
purl), every bundled shared library (file name, sha256, and the system package it came from
where the build machine's package manager says so) and freezekit, whose bootloader and run-time
code are inside every app. The document is reproducible: its serial number comes from the
archive's content and its timestamp from ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import datetime
import logging
import re
import shutil
import subprocess
import uuid
from collections.abc import Mapping
from pathlib import Path

from freezekit import __version__
from freezekit.inspect.inventory import Inventory

# cyclonedx's serialiser logs every class it registers at DEBUG, which nox shows (800 lines)
logging.getLogger("py_serializable").setLevel(logging.WARNING)

#: Licence of a distribution whose metadata declares none: never a guess.
NOASSERTION = "NOASSERTION"
SBOM_SUFFIX = ".cdx.json"


def _pypi_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def system_packages(paths: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """name -> (package, version) for the files the OS package manager owns (dpkg, then rpm)."""
    found: dict[str, tuple[str, str]] = {}
    if not paths:
        return found
    by_path = {str(Path(source).resolve()): name for name, source in paths.items()}
    by_path.update({source: name for name, source in paths.items()})
    if shutil.which("dpkg-query"):
        listing = subprocess.run(
            ["dpkg-query", "-S", *sorted(by_path)], capture_output=True, text=True
        ).stdout
        owners: dict[str, str] = {}
        for line in listing.splitlines():
            package, _, path = line.partition(": ")
            if path in by_path and "," not in package:
                owners[by_path[path]] = package.strip()
        versions = _dpkg_versions(sorted(set(owners.values())))
        for name, package in owners.items():
            if package in versions:
                found[name] = (package, versions[package])
    elif shutil.which("rpm"):
        for path, name in by_path.items():
            answer = subprocess.run(
                ["rpm", "-qf", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\\n", path],
                capture_output=True,
                text=True,
            )
            if answer.returncode == 0 and answer.stdout.count(" ") == 1:
                package, version = answer.stdout.strip().split(" ")
                found.setdefault(name, (package, version))
    return found


def _dpkg_versions(packages: list[str]) -> dict[str, str]:
    if not packages:
        return {}
    answer = subprocess.run(
        ["dpkg-query", "-W", "-f", "${binary:Package} ${Version}\\n", *packages],
        capture_output=True,
        text=True,
    ).stdout
    versions = {}
    for line in answer.splitlines():
        package, _, version = line.partition(" ")
        versions[package] = version
        versions[package.split(":")[0]] = version
    return versions


def build_sbom(
    inventory: Inventory,
    *,
    app: str,
    version: str,
    python_version: str,
    archive_sha256: str,
    epoch: int,
    library_sources: Mapping[str, str] | None = None,
) -> str:
    """The SBOM as CycloneDX 1.6 JSON text."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"sha256:{archive_sha256}"))
    bom.metadata.timestamp = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    bom.metadata.component = Component(
        name=app,
        version=version,
        type=ComponentType.APPLICATION,
        bom_ref=f"app:{app}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=archive_sha256)],
        properties=[Property(name="freezekit:mode", value=inventory.mode)],
    )
    tool = Component(
        name="freezekit",
        version=__version__,
        type=ComponentType.APPLICATION,
        bom_ref="tool:freezekit",
        purl=PackageURL("pypi", "freezekit", __version__),
        description="bootloader and run-time code inside the app",
        licenses=[LicenseExpression("MIT")],
    )
    bom.metadata.tools.components.add(
        Component(name="freezekit", version=__version__, type=ComponentType.APPLICATION)
    )
    bom.components.add(tool)
    bom.components.add(
        Component(
            name="CPython",
            version=python_version,
            type=ComponentType.PLATFORM,
            bom_ref="python:cpython",
            purl=PackageURL("generic", "cpython", python_version),
            licenses=[LicenseExpression("PSF-2.0")],
            properties=[Property(name="freezekit:libpython", value=inventory.libpython)],
        )
    )
    for _key, dist in sorted(inventory.distributions.items()):
        licenses: list[LicenseExpression | DisjunctiveLicense]
        if dist.license:
            licenses = [LicenseExpression(dist.license)]
        elif dist.license_text:
            licenses = [DisjunctiveLicense(name=dist.license_text)]
        else:
            licenses = [LicenseExpression(NOASSERTION)]
        name = _pypi_name(dist.name)
        bom.components.add(
            Component(
                name=dist.name,
                version=dist.version,
                type=ComponentType.LIBRARY,
                bom_ref=f"pypi:{name}",
                purl=PackageURL("pypi", name, dist.version),
                licenses=licenses,
                properties=[Property(name="freezekit:dist-info", value=dist.folder)],
            )
        )
    owners = system_packages(
        {
            item.name: source
            for item in inventory.of_kind("library")
            if (source := (library_sources or {}).get(item.name))
        }
    )
    for item in inventory.of_kind("library"):
        properties = [Property(name="freezekit:path", value=item.name)]
        purl = None
        if item.name in owners:
            package, package_version = owners[item.name]
            properties.append(Property(name="freezekit:system-package", value=package))
            purl = PackageURL("deb", "debian", package.split(":")[0], package_version)
        bom.components.add(
            Component(
                name=item.name.rsplit("/", 1)[-1],
                version=owners[item.name][1] if item.name in owners else None,
                type=ComponentType.FILE,
                bom_ref=f"file:{item.name}",
                hashes=[HashType(alg=HashAlgorithm.SHA_256, content=item.sha256)],
                purl=purl,
                properties=properties,
            )
        )
    bom.register_dependency(bom.metadata.component, list(bom.components))
    return str(JsonV1Dot6(bom).output_as_string(indent=2)) + "\n"


def sbom_path(archive: Path) -> Path:
    """``app-1.0-linux-x86_64-py312.tar.gz`` -> ``app-1.0-linux-x86_64-py312.cdx.json``."""
    name = archive.name
    for suffix in (".tar.gz", ".zip", ".tgz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return archive.with_name(name + SBOM_SUFFIX)
