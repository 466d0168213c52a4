#!/usr/bin/env bash
# Install what the linux-i686 cross-bitness freeze needs on a Debian/Ubuntu x86_64 host:
#   * the i386 libpython, its stdlib extension modules and shared libraries (libpython3.X:i386),
#   * gcc -m32 (gcc-multilib) for the bootloader,
#   * the amd64 python3.X of the same Debian version, which analyses and compiles the app,
#   * unpacked, not installed, into $FREEZEKIT_I386_ROOT (default /opt/freezekit/i386):
#     - the i386 C headers as a flat include/python3.X folder whose pyconfig.h is the i386 one
#       (dpkg refuses libpython3.X-dev:i386 beside the amd64 one),
#     - the 32-bit static zstd library as lib/libzstd.a (installing libzstd-dev:i386 would make
#       `dpkg -s libzstd-dev`, which setup.sh runs, fail as ambiguous).
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
          "libpython${version}-stdlib:i386" "libzstd1:i386")
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
    # libzstd1:i386 is named because libpython does not always pull it in (a fresh bookworm
    # machine did not). It must be the version of the installed amd64 libzstd1 (the two are
    # Multi-Arch: same), which may come from the security suite: pin it to that version.
    wanted=("${packages[@]}")
    zstd_amd64="$(dpkg-query -W -f='${Version}' libzstd1:amd64 2>/dev/null || true)"
    if [ -n "$zstd_amd64" ]; then
        wanted=("${wanted[@]/#libzstd1:i386/libzstd1:i386=$zstd_amd64}")
    fi
    $sudo apt-get install -y -qq --no-install-recommends "${target[@]}" "${wanted[@]}"
fi

include="$root/include/python${version}"
want="$(dpkg-query -W -f='${Version}' "libpython${version}:i386")"
stamp="$want $(dpkg-query -W -f='${Version}' libzstd1:i386)"
if [ ! -f "$include/Python.h" ] || [ ! -f "$root/lib/libzstd.a" ] || [ ! -f "$root/.versions" ] \
   || [ "$(cat "$root/.versions")" != "$stamp" ]; then
    echo "install-i386: unpacking libpython${version}-dev:i386 and libzstd-dev:i386 into $root"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    zstd_version="$(dpkg-query -W -f='${Version}' libzstd1:i386)"
    (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "libpython${version}-dev:i386=${want}" \
        "libzstd-dev:i386=${zstd_version}")
    for deb in "$work"/*.deb; do
        dpkg -x "$deb" "$work/tree"
    done
    $sudo rm -rf "$include" "$root/lib"
    $sudo mkdir -p "$include" "$root/lib"
    $sudo cp -a "$work/tree/usr/include/python${version}/." "$include/"
    # the generic pyconfig.h picks <i386-linux-gnu/...> by compiler macros; use that file directly
    $sudo cp "$work/tree/usr/include/i386-linux-gnu/python${version}/pyconfig.h" "$include/pyconfig.h"
    $sudo cp "$work/tree/usr/lib/i386-linux-gnu/libzstd.a" "$root/lib/libzstd.a"
    echo "$stamp" | $sudo tee "$root/.versions" >/dev/null
fi
echo "install-i386: ready ($include, $root/lib/libzstd.a)"
