#!/bin/sh
# Installs, from Debian, what `make bench` compares and measures with beyond the build and test
# dependencies: crun (runc comes with install-deps.sh) and GNU time for peak RSS. Idempotent.
set -eu
packages="crun time runc strace util-linux busybox-static"
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $missing
fi
