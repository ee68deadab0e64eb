#!/bin/sh
# fuzz/build.sh [OUT]
#
# Builds the libFuzzer target for config.json decoding and validation: Sources/OCISpec/*.swift
# and fuzz/ConfigFuzzTarget.swift compiled as one module with -sanitize=fuzzer,address, linked
# against the static yajl (as the runtime is). Output: OUT (default .build-fuzz/config-fuzz).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${1:-$repo/.build-fuzz/config-fuzz}
swiftc=${SWIFTC:-swiftc}
mkdir -p "$(dirname "$out")"
rm -f "$out"
# -O keeps executions per second high; bounds checks and ASan still catch memory errors.
# ld.gold warns about every ASan helper it cannot export; those lines are noise.
"$swiftc" -parse-as-library -module-name OCISpecFuzz -O \
    -sanitize=fuzzer,address \
    -I "$repo/Sources/CYajl" \
    "$repo"/Sources/OCISpec/*.swift "$here/ConfigFuzzTarget.swift" \
    -o "$out" 2>&1 | grep -v "Cannot export local symbol" >&2 || true
[ -x "$out" ] || { echo "$0: build failed" >&2; exit 1; }
echo "$out"
