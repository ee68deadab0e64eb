#!/bin/sh
# Installs, from Debian, what building and testing swiftlet needs, and any packages named as
# arguments (`make bench` adds crun and GNU time). Idempotent.
set -eu
packages="libseccomp-dev libcap-dev libyajl-dev busybox-static runc strace file iproute2 util-linux uidmap passwd gcc libc6-dev $*"
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $missing
fi
