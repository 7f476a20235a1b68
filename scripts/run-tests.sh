#!/usr/bin/env bash
# Build shardproxy twice and run every test in both builds:
#   build/           -DSP_WERROR=ON
#   build-sanitize/  -DSP_SANITIZE=ON -DSP_WERROR=ON (AddressSanitizer + UBSan)
# Each build runs the unit tests (label "unit") and the integration suite
# (label "integration": two MariaDB servers and the proxy, see
# tests/integration/run.sh). Exits non-zero if any build or test fails.
# Installs missing Debian packages first (needs root for that).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/install-deps.sh

failures=()

# build_and_test DIR CMAKE_OPTION...
build_and_test() {
    local dir=$1
    shift

    echo "==== $dir: configure and build ($*)"
    if ! cmake -S . -B "$dir" "$@" || ! cmake --build "$dir" -j2; then
        failures+=("$dir: build")
        return
    fi
    echo "==== $dir: ctest"
    if ! ctest --test-dir "$dir" --output-on-failure; then
        failures+=("$dir: tests")
    fi
}

build_and_test build -DSP_WERROR=ON
build_and_test build-sanitize -DSP_SANITIZE=ON -DSP_WERROR=ON

if ((${#failures[@]} > 0)); then
    echo "run-tests.sh: FAILED: ${failures[*]}"
    exit 1
fi
echo "run-tests.sh: both builds passed all tests"
