#!/bin/sh
# Runs a command (swift build/test) with a TMPDIR of its own, removed when it ends: the Swift
# toolchain leaves an empty /tmp/TemporaryDirectory.* behind on every run (swift-driver issues
# 1720 and 2049: `swiftc -print-target-info`, `-version`, the manifest build), thousands a day
# on a machine that builds often. Our own tests write none.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swiftlet-swift.XXXXXX") || exit 1
# Containers a test starts with a mapped user must still traverse to bundles made here.
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
TMPDIR=$tmp "$@"
