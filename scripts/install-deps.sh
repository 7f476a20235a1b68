#!/usr/bin/env bash
# Install the Debian 12 packages needed to build shardproxy, run its tests
# and run the local cluster and benchmark. Packages that are already
# installed are not touched, so a prepared machine needs no network.
set -euo pipefail

readonly PACKAGES=(
    cmake make gcc libc6-dev pkg-config
    libuv1-dev libxxhash-dev libjsmn-dev libmariadb-dev libcmocka-dev
    mariadb-server mariadb-client sysbench
    python3 python3-pymysql python3-xxhash
)

missing=()
for package in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != installed ]]; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps.sh: all ${#PACKAGES[@]} packages are installed"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps.sh: missing packages: ${missing[*]}" >&2
    echo "install-deps.sh: run as root, or install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${missing[@]}"
