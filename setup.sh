#!/usr/bin/env bash
# Set up a development machine (Debian/Ubuntu): system packages the bootloader build needs,
# then a virtual environment in .venv with freezekit and its development tools.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

need=()
for pkg in gcc make cmake ninja-build libzstd-dev binutils pkg-config xvfb xauth; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing system packages: ${need[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # an added foreign architecture's index can fail to refresh; the packages here are amd64
    $sudo apt-get update -qq || echo "setup: apt-get update reported errors; trying the install anyway"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "setup: $python is older than 3.10; set PYTHON=/path/to/python3.10+" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
# the bootloaders for this Python, as a platform wheel ships them (build/bootloaders/, named by
# the C sources they came from: after an edit, the first build compiles a new one)
.venv/bin/python -c "from freezekit.assemble.bootloader import prebuild; prebuild()"
echo "setup: ready (.venv/bin/freezekit, .venv/bin/nox)"
