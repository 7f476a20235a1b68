#!/usr/bin/env bash
# Checks that dependencies between the code folders point one way:
#   common <- protocol <- router <- proxy, and common <- config <- router/proxy.
# Lower layers must not include higher layers, libuv or libmariadb: they
# never do I/O, block or log.
set -euo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
status=0

# check FOLDER PATTERN WHY
check() {
    local folder=$1 pattern=$2 why=$3 hits

    hits=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" \
        "$root/$folder"/*.[ch] 2>/dev/null || true)
    if [[ -n "$hits" ]]; then
        echo "layering violation in $folder/ ($why):"
        echo "$hits"
        status=1
    fi
}

check common 'protocol/|router/|config/|proxy/|uv\.h|mysql\.h' "common/ is the lowest layer"
check protocol 'router/|config/|proxy/|uv\.h|mysql\.h' "protocol/ uses only common/"
check config 'protocol/|router/|proxy/|uv\.h|mysql\.h' "config/ uses only common/"
check router 'proxy/|uv\.h|mysql\.h' "router/ must not see sockets or loops"

if [[ $status -eq 0 ]]; then
    echo "layering: 1 passed, 0 failed"
fi
exit $status
