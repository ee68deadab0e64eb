#!/bin/sh
# Installs, from Debian, the container engines the engine group (make engines) drives: podman
# with conmon, containerd with ctr and its runc shim, dockerd with the docker client. Their
# services are not started: the group runs its own daemons with private roots. Idempotent.
set -eu
packages="podman conmon catatonit golang-github-containers-common containerd docker.io
          busybox-static runc file util-linux"
missing=""
for p in $packages; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

# Without systemd, the packages' maintainer scripts would start dockerd and containerd as
# system services through invoke-rc.d; a policy-rc.d that denies every action keeps them off.
policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# engines: no services during install-engine-deps.sh\nexit 101\n' > "$policy"
    chmod 0755 "$policy"
    ours=1
fi
trap '[ -z "$ours" ] || rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
