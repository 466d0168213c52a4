#!/usr/bin/env bash
# Install what the linux-i686 cross-bitness freeze needs on a Debian/Ubuntu x86_64 host:
#   * the i386 libpython, its stdlib extension modules and shared libraries (libpython3.X:i386),
#   * gcc -m32 (gcc-multilib) and a 32-bit static zstd (libzstd-dev:i386) for the bootloader,
#   * the amd64 python3.X of the same Debian version, which analyses and compiles the app,
#   * the i386 C headers, unpacked (not installed: dpkg refuses libpython3.X-dev:i386 beside
#     the amd64 one) into $FREEZEKIT_I386_ROOT (default /opt/freezekit/i386) as a flat
#     include/python3.X folder whose pyconfig.h is the i386 one.
# Safe to run again: it does only what is missing. Needs root (or sudo).
#
#   bash scripts/install-i386.sh            # Python 3.11
#   FREEZEKIT_I386_PYTHON=3.12 bash scripts/install-i386.sh   # on a release that has 3.12
set -euo pipefail

version="${FREEZEKIT_I386_PYTHON:-3.11}"
root="${FREEZEKIT_I386_ROOT:-/opt/freezekit/i386}"
release="${FREEZEKIT_APT_RELEASE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
    echo "install-i386: needs a Debian/Ubuntu host (dpkg, apt-get)" >&2
    exit 1
fi
if [ "$(dpkg --print-architecture)" != "amd64" ]; then
    echo "install-i386: the host must be amd64 (it is $(dpkg --print-architecture))" >&2
    exit 1
fi

packages=(gcc-multilib "python${version}" "libpython${version}:i386"
          "libpython${version}-stdlib:i386" "libzstd-dev:i386")
missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
        echo "install-i386: dpkg --add-architecture i386"
        $sudo dpkg --add-architecture i386
    fi
    echo "install-i386: apt-get install ${missing[*]}"
    # A suite whose i386 index is out of sync with its Release file (seen on the security
    # mirror) fails `apt-get update` although the release suite is fine: go on, and let the
    # install below say whether what we need is there.
    $sudo apt-get update -qq || echo "install-i386: apt-get update reported errors (above); going on with the index it has"
    # -t <release>: the i386 packages of the security suite can lag behind the amd64 ones;
    # taking all of them (amd64 python3.X included) from the release keeps versions equal.
    target=()
    [ -n "$release" ] && target=(-t "$release")
    $sudo apt-get install -y -qq --no-install-recommends "${target[@]}" "${packages[@]}"
fi

include="$root/include/python${version}"
if [ ! -f "$include/Python.h" ] || [ ! -f "$root/.dev-version" ] \
   || [ "$(cat "$root/.dev-version")" != "$(dpkg-query -W -f='${Version}' "libpython${version}:i386")" ]; then
    echo "install-i386: unpacking libpython${version}-dev:i386 headers into $root"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    want="$(dpkg-query -W -f='${Version}' "libpython${version}:i386")"
    (cd "$work" && apt-get download -qq "libpython${version}-dev:i386=${want}")
    dpkg -x "$work"/libpython"${version}"-dev_*_i386.deb "$work/tree"
    $sudo rm -rf "$include"
    $sudo mkdir -p "$include"
    $sudo cp -a "$work/tree/usr/include/python${version}/." "$include/"
    # the generic pyconfig.h picks <i386-linux-gnu/...> by compiler macros; use that file directly
    $sudo cp "$work/tree/usr/include/i386-linux-gnu/python${version}/pyconfig.h" "$include/pyconfig.h"
    echo "$want" | $sudo tee "$root/.dev-version" >/dev/null
fi
echo "install-i386: ready (headers in $include)"
