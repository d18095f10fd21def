#!/usr/bin/env bash
# setup.sh: installs every Debian package Ztyle needs (idempotent; run as root
# or with sudo). `scripts/setup.sh` installs what building, running and
# testing need (clang for the fuzzers too); `scripts/setup.sh --dev` adds the
# tools for golden files and benchmarks (python3-torch, python3-skimage, OpenCV, wrk).
# libopenblas0-pthread is a runtime need: FAISS (IVF k-means) and Debian's torch
# reach BLAS through libblas.so.3, whose netlib default is 10-30x slower.
# fonts-noto-cjk: Korean glyphs for headless chromium (the e2e screenshots of
# the Korean page); the page itself names each system's Korean font.
set -eu
# clang + libclang-rt: make test runs the libFuzzer harnesses for a bounded time (tests/fuzz_test.sh)
# haproxy: tests/front_test.sh runs deploy/haproxy.cfg in front of two replicas
RUNTIME_PKGS="build-essential pkg-config libjpeg-dev libpng-dev libwebp-dev libexif-dev
  libdnnl-dev libsqlite3-dev libmicrohttpd-dev libjansson-dev libpq-dev postgresql
  libfaiss-dev libopenblas0-pthread xxd curl python3 chromium fonts-noto-cjk clang
  libclang-rt-14-dev haproxy libopencv-imgproc-dev"
DEV_PKGS="python3-torch python3-skimage python3-opencv python3-numpy wrk"
want="$RUNTIME_PKGS"
[ "${1:-}" = "--dev" ] && want="$want $DEV_PKGS"
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js and npm (for the browser test's playwright-core) may come from elsewhere
# (e.g. NodeSource's nodejs, which bundles npm and conflicts with Debian's npm):
# any working node + npm will do, Debian's are installed only when there is none.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi
if [ -z "$missing" ]; then
    echo "setup: all packages present"
    exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
