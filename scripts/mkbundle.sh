#!/bin/sh
# mkbundle.sh DIR [ARG...]
#
# Makes an OCI bundle in DIR: DIR/rootfs holds a static busybox with its applet
# symlinks, /etc/passwd and /etc/group (root and nobody) and the usual empty
# top-level directories; DIR/config.json is shaped like `runc spec` output with
# `terminal: false` and process.args set to ARG... (default: sh).
#
# Environment: BUSYBOX  path of a statically linked busybox (default: the one
#                       from Debian's busybox-static, /bin/busybox)
#              HOSTNAME_IN_CONTAINER  hostname in config.json (default: swiftlet)
# POSIX sh and standard tools only: it is used by the README demo, the
# integration tests and the conformance suite.
set -eu

usage() {
    echo "usage: $0 DIR [ARG...]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac
dir=$1
shift
[ $# -ge 1 ] || set -- sh

busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "$0: no busybox at $busybox (install busybox-static or set BUSYBOX)" >&2; exit 1; }
# A dynamic busybox would need the host's loader and libc inside the rootfs.
if command -v file >/dev/null 2>&1; then
    case "$(file -L "$busybox")" in
        *"statically linked"*|*"static-pie linked"*) ;;
        *) echo "$0: $busybox is not statically linked" >&2; exit 1 ;;
    esac
fi

rootfs=$dir/rootfs
mkdir -p "$rootfs"
for d in bin sbin usr/bin usr/sbin etc dev proc sys tmp root home run var/tmp mnt; do
    mkdir -p "$rootfs/$d"
done
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 0700 "$rootfs/root"

cp "$busybox" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"

# One symlink per applet, at the path busybox itself reports (bin/ls,
# usr/bin/awk, ...), pointing at /bin/busybox by absolute path so links at
# any depth resolve.
"$rootfs/bin/busybox" --list-full | while read -r applet; do
    [ -n "$applet" ] || continue
    case "$applet" in bin/busybox) continue ;; esac
    mkdir -p "$rootfs/$(dirname "$applet")"
    ln -sf /bin/busybox "$rootfs/$applet"
done

cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
: > "$rootfs/etc/hosts"
echo "nameserver 127.0.0.1" > "$rootfs/etc/resolv.conf"

# JSON string body of one argument: backslash, quote, tab, newline escaped.
tab=$(printf '\t')
json_escape() {
    printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e "s/$tab/\\\\t/g" |
        awk 'BEGIN { ORS = "" } { if (NR > 1) printf "%s", "\\n"; print }'
}

args=""
for a in "$@"; do
    [ -z "$args" ] || args="$args, "
    args="$args\"$(json_escape "$a")\""
done
hostname=$(json_escape "${HOSTNAME_IN_CONTAINER:-swiftlet}")

cat > "$dir/config.json" <<JSON
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [ $args ],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "$hostname",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [ "nosuid", "noexec", "nodev" ]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [ "nosuid", "noexec", "nodev", "ro" ]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{ "type": "pid" },
			{ "type": "network" },
			{ "type": "ipc" },
			{ "type": "uts" },
			{ "type": "mount" },
			{ "type": "cgroup" }
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
}
JSON
