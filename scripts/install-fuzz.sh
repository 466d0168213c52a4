#!/usr/bin/env bash
# Install what `nox -s fuzz` needs on a Debian/Ubuntu host: clang with its libFuzzer and
# sanitizer runtimes (Debian ships them in libclang-rt-<version>-dev, which clang does not
# always pull in). Safe to run again: it installs only what is missing. Needs root (or sudo).
set -euo pipefail

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

works() {
    local probe
    probe="$(mktemp -d)"
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
        > "$probe/probe.c"
    clang -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" >/dev/null 2>&1
    local status=$?
    rm -rf "$probe"
    return $status
}

if command -v clang >/dev/null && works; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install-fuzz: needs a Debian/Ubuntu host (apt-get), or clang with libFuzzer on PATH" >&2
    exit 1
fi
echo "install-fuzz: apt-get install clang"
$sudo apt-get update -qq
$sudo apt-get install -y -qq clang >/dev/null
if ! works; then
    major="$(clang -dumpversion | cut -d. -f1)"
    echo "install-fuzz: apt-get install libclang-rt-${major}-dev"
    $sudo apt-get install -y -qq "libclang-rt-${major}-dev" >/dev/null
fi
works || { echo "install-fuzz: clang cannot build a libFuzzer target" >&2; exit 1; }
