#!/usr/bin/env bash
# Install what `nox -s bootloader-windows` needs on a Debian/Ubuntu host:
#   * the mingw-w64 cross compilers for 64-bit (x86_64-w64-mingw32-gcc) and 32-bit
#     (i686-w64-mingw32-gcc) Windows, and wine64 to run the 64-bit console bootloader;
#   * CPython's headers as a Windows build sees them (Include/ plus PC/pyconfig.h), taken from
#     Debian's source package of python3.X (a deb-src entry is added for the release suite if
#     there is none) and unpacked into $FREEZEKIT_WINDOWS_ROOT/include/python3.X (default
#     /opt/freezekit/windows).
# zstd's C sources for Windows come from PyPI's zstandard sdist, fetched by the session itself
# (pip), not from apt. Safe to run again: it does only what is missing. Needs root (or sudo).
set -euo pipefail

version="${FREEZEKIT_WINDOWS_PYTHON:-3.11}"
root="${FREEZEKIT_WINDOWS_ROOT:-/opt/freezekit/windows}"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
    echo "install-mingw: needs a Debian/Ubuntu host (dpkg, apt-get)" >&2
    exit 1
fi
packages=(gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 wine64 cmake ninja-build osslsigncode openssl)
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
include="$root/include/python${version}"
if [ ! -f "$include/Python.h" ] || [ ! -f "$include/pyconfig.h" ]; then
    if ! apt-get source --print-uris -qq "python${version}" >/dev/null 2>&1; then
        # deb-src for the release suite, from the first URIs of the existing deb822 sources
        list=/etc/apt/sources.list.d/freezekit-src.sources
        uris="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
        [ -n "$uris" ] || uris="$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
        suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
        if [ -z "$uris" ] || [ -z "$suite" ]; then
            echo "install-mingw: cannot add a deb-src entry (no apt source found); add one for python${version}" >&2
            exit 1
        fi
        echo "install-mingw: adding $list (deb-src $uris $suite main)"
        printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$uris" "$suite" | $sudo tee "$list" >/dev/null
        $sudo apt-get update -qq || echo "install-mingw: apt-get update reported errors (above); going on with the index it has"
    fi
    echo "install-mingw: CPython ${version} headers for Windows into $include"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get source --download-only -qq -o APT::Sandbox::User=root "python${version}")
    tarball="$(ls "$work"/python"${version}"_*.orig.tar.*)"
    top="$(tar tf "$tarball" | awk -F/ 'NR == 1 {print $1}')"
    tar xf "$tarball" -C "$work" "$top/Include" "$top/PC/pyconfig.h"
    $sudo rm -rf "$include"
    $sudo mkdir -p "$include"
    $sudo cp -a "$work/$top/Include/." "$include/"
    $sudo cp "$work/$top/PC/pyconfig.h" "$include/pyconfig.h"
fi
echo "install-mingw: ready ($(command -v x86_64-w64-mingw32-gcc), $(command -v i686-w64-mingw32-gcc), $(command -v wine64 || echo /usr/lib/wine/wine64), $include)"
