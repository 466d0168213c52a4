"""Code signing of a frozen app, where a certificate is configured.

Windows: Authenticode with ``osslsigncode`` (runs on Linux, Debian package ``osslsigncode``) or
``signtool`` on a Windows runner, from a PKCS#12 file. Signing appends a certificate table to
the executable; both archive readers find the archive before it (``archive_end`` in
archive/reader.py, ``skip_signature`` in bootloader/src/archive.c), so a signed app still runs.
macOS: ``codesign --options runtime`` with a keychain identity (notarisation is a separate,
documented step: docs/windows-macos.md).

Everything is driven by the environment (workflow secrets), and nothing is signed when it is
not set: ``signing_from_env`` returns the reason, which the cell logs in one line.

* ``FREEZEKIT_SIGN_PFX`` (a file) or ``FREEZEKIT_SIGN_PFX_BASE64`` (its content, as a secret
  holds it), ``FREEZEKIT_SIGN_PASSWORD``, optional ``FREEZEKIT_SIGN_TIMESTAMP_URL``;
* ``FREEZEKIT_CODESIGN_IDENTITY`` for macOS.
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from freezekit.errors import PublishError

PFX = "FREEZEKIT_SIGN_PFX"
PFX_BASE64 = "FREEZEKIT_SIGN_PFX_BASE64"
PASSWORD = "FREEZEKIT_SIGN_PASSWORD"
TIMESTAMP_URL = "FREEZEKIT_SIGN_TIMESTAMP_URL"
IDENTITY = "FREEZEKIT_CODESIGN_IDENTITY"


class SigningError(PublishError):
    """A configured signature could not be made: the cell fails and publishes nothing."""


@dataclass(frozen=True, kw_only=True)
class WindowsSigning:
    pfx: bytes
    password: str
    timestamp_url: str | None = None


def windows_signing(env: Mapping[str, str] | None = None) -> WindowsSigning | str:
    """The Windows signing configuration, or why there is none (a line for the log)."""
    env = os.environ if env is None else env
    password = env.get(PASSWORD, "")
    if env.get(PFX_BASE64):
        try:
            pfx = base64.b64decode(env[PFX_BASE64], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SigningError(
                f"{PFX_BASE64} is set but is not base64 ({exc})",
                hint="store the .pfx file's content base64-encoded (base64 -w0 cert.pfx)",
            ) from exc
    elif env.get(PFX):
        try:
            pfx = Path(env[PFX]).read_bytes()
        except OSError as exc:
            raise SigningError(
                f"{PFX} names {env[PFX]}, which cannot be read: {exc.strerror}",
                hint="point it at the PKCS#12 (.pfx) file of the signing certificate",
            ) from exc
    else:
        return f"Windows signing skipped: neither {PFX} nor {PFX_BASE64} is set"
    return WindowsSigning(pfx=pfx, password=password, timestamp_url=env.get(TIMESTAMP_URL))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def sign_windows(exe: Path, config: WindowsSigning, *, description: str) -> None:
    """Sign ``exe`` in place (a signed copy replaces it only when signing succeeded)."""
    tool = shutil.which("osslsigncode")
    signtool = shutil.which("signtool")
    if tool is None and signtool is None:
        raise SigningError(
            "a signing certificate is configured but neither osslsigncode nor signtool is on PATH",
            hint="install osslsigncode (apt-get install osslsigncode) or run on a Windows runner",
        )
    with tempfile.TemporaryDirectory(prefix="freezekit-sign-") as scratch:
        pfx = Path(scratch) / "signing.pfx"
        pfx.write_bytes(config.pfx)
        signed = Path(scratch) / exe.name
        if tool is not None:
            command = [tool, "sign", "-pkcs12", str(pfx), "-pass", config.password]
            command += ["-n", description, "-h", "sha256"]
            if config.timestamp_url:
                command += ["-ts", config.timestamp_url]
            command += ["-in", str(exe), "-out", str(signed)]
        else:  # pragma: no cover - Windows runners only
            shutil.copy2(exe, signed)
            command = [str(signtool), "sign", "/f", str(pfx), "/p", config.password]
            command += ["/fd", "sha256", "/d", description]
            if config.timestamp_url:
                command += ["/tr", config.timestamp_url, "/td", "sha256"]
            command.append(str(signed))
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not signed.is_file():
            raise SigningError(
                f"signing {exe.name} failed: {_last_line(done.stdout + done.stderr)}",
                hint=f"check {PFX}/{PFX_BASE64} and {PASSWORD}; nothing was published",
            )
        shutil.copymode(exe, signed)
        os.replace(signed, exe)


def verify_windows(exe: Path, *, ca_file: Path | None = None) -> tuple[bool, str]:
    """``osslsigncode verify`` on ``exe``: (verified, the tool's last line)."""
    tool = shutil.which("osslsigncode")
    if tool is None:
        return False, "osslsigncode is not installed"
    command = [tool, "verify", "-in", str(exe)]
    if ca_file is not None:
        command += ["-CAfile", str(ca_file)]
    done = subprocess.run(command, capture_output=True, text=True)
    text = done.stdout + done.stderr
    return done.returncode == 0 and "Signature verification: ok" in text, _last_line(text)


def macos_identity(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    return env.get(IDENTITY) or None


def sign_macos(path: Path, identity: str) -> None:  # pragma: no cover - macOS runners only
    """``codesign`` with the hardened runtime (needed for notarisation) and a timestamp."""
    codesign = shutil.which("codesign")
    if codesign is None:
        raise SigningError(
            f"{IDENTITY} is set but codesign is not on PATH", hint="sign on a macOS runner"
        )
    command = [codesign, "--force", "--timestamp", "--options", "runtime", "--sign", identity]
    done = subprocess.run([*command, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SigningError(
            f"codesign of {path.name} failed: {_last_line(done.stdout + done.stderr)}",
            hint=f"check {IDENTITY} and the runner's keychain; nothing was published",
        )


def make_test_certificate(folder: Path, *, password: str = "test") -> tuple[Path, Path]:
    """A throwaway self-signed code-signing certificate: (the .pfx, the CA file to verify with).
    For tests and for trying the signing step; never for a release."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SigningError("openssl is not installed", hint="apt-get install openssl")
    key, cert, pfx = folder / "test.key", folder / "test.pem", folder / "test.pfx"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=freezekit test signer", "-addext", "extendedKeyUsage=codeSigning"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [openssl, "pkcs12", "-export", "-inkey", str(key), "-in", str(cert)]
        + ["-out", str(pfx), "-passout", f"pass:{password}"],
        check=True,
        capture_output=True,
    )
    return pfx, cert
