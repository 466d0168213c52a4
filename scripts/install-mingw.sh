#!/usr/bin/env bash
# Install what `nox -s bootloader-windows` needs on a Debian/Ubuntu host: the mingw-w64 cross
# compilers for 64-bit (x86_64-w64-mingw32-gcc) and 32-bit (i686-w64-mingw32-gcc) Windows, and
# wine64 to run the 64-bit console bootloader. zstd's C sources for Windows come from PyPI's
# zstandard sdist, fetched by the session itself (pip), not from apt.
# Safe to run again: it installs only what is missing. Needs root (or sudo).
set -euo pipefail

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
    echo "install-mingw: needs a Debian/Ubuntu host (dpkg, apt-get)" >&2
    exit 1
fi
packages=(gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 wine64 cmake ninja-build)
missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-mingw: apt-get install ${missing[*]}"
    # A foreign-architecture index out of sync with its Release file fails `apt-get update`
    # although the amd64 indexes are fine: go on, and let the install say what is missing.
    $sudo apt-get update -qq || echo "install-mingw: apt-get update reported errors (above); going on with the index it has"
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "install-mingw: ready ($(command -v x86_64-w64-mingw32-gcc), $(command -v i686-w64-mingw32-gcc), $(command -v wine64 || echo /usr/lib/wine/wine64))"
