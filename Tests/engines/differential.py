"""Differential scenarios: the same container, made by the same engine from the same options,
described from inside (mounts and their options, devices, open fds, limits, capabilities,
environment, cgroups) under runc and then swiftlet. Names and numbers that differ between any
two containers (ids, inode and mount numbers, layer paths) are normalized away; whatever is
left differs because the runtimes differ, and the scenario fails with the diff."""

import difflib
import re

from engine import scenario
from harness import Failure, Skip, expect_rc

# Busybox sh; every section is sorted where the order is not the runtime's doing.
SNAPSHOT = r"""
echo '== mounts'
sed -e 's/^[0-9]* [0-9]* [0-9]*:[0-9]* //' /proc/self/mountinfo | sed -e 's/ shared:[0-9]*//; s/ master:[0-9]*//'
echo '== dirs'
stat -c '%a %u %g %F %n' / /dev /dev/pts /dev/shm /dev/mqueue /etc /proc /run /sys /sys/fs/cgroup /tmp 2>&1
echo '== status'
grep -E '^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Seccomp_filters|Umask):' /proc/self/status
echo '== fds'
for fd in /proc/self/fd/*; do echo "$fd -> $(readlink $fd)"; done
echo '== limits'
cat /proc/self/limits
echo '== dev'
ls -ln /dev /dev/pts /dev/shm /dev/mqueue 2>&1
echo '== env'
env | sort
echo '== cgroup'
cat /proc/self/cgroup
echo '== misc'
echo "oom_score_adj $(cat /proc/self/oom_score_adj) umask $(umask) cwd $(pwd)"
echo "hostname $(hostname) domainname $(cat /proc/sys/kernel/domainname)"
echo "sysctl ip_unprivileged_port_start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>&1) ping_group_range=$(cat /proc/sys/net/ipv4/ping_group_range 2>&1)"
echo "ns $(for n in cgroup ipc mnt net pid pid_for_children time user uts; do [ -e /proc/self/ns/$n ] && echo -n "$n "; done)"
"""

_NORMALIZE = [
    (re.compile(r"\b[0-9a-f]{64}\b"), "<id>"),
    (re.compile(r"\b[0-9a-f]{12}\b"), "<id12>"),
    (re.compile(r"\b[0-9A-Z]{26}\b"), "<layer>"),  # containers/storage short layer links
    (re.compile(r"(pipe|socket|anon_inode:\[?[a-z]*\]?):\[\d+\]"), r"\1:[N]"),
    (re.compile(r"\b(swe-(?:runc|swiftlet)-[a-z_]+-)\d+"), r"\1N"),
    (re.compile(r"swe-(runc|swiftlet)"), "swe-RUNTIME"),
    (re.compile(r"/state-(runc|swiftlet)\b"), "/state-RUNTIME"),
    (re.compile(r"/snapshots/\d+/"), "/snapshots/N/"),
    # ls -ln: the dates of device nodes and directories are the container's creation time.
    (re.compile(r"\b[A-Z][a-z]{2} +\d+ +\d\d:\d\d\b"), "<date>"),
]


# Differences that change nothing a container can observe but its mount table, each decided:
# - a masked directory gets one tiny read-only tmpfs (shared by every masked directory)
#   where runc mounts an unbounded one;
# - a tmpfs over an existing directory is mounted with that directory's mode= where runc
#   chmods it after mounting (the dirs section compares the modes themselves).
_ACCEPTED = [
    (re.compile(r"^(.* - tmpfs tmpfs ro),size=4k,nr_inodes=[12]"), r"\1"),
    (re.compile(r"^(.* - tmpfs \S+ .*?),mode=\d+"), r"\1"),
]


# What Debian's runc 1.1.5 shows that current runc (1.1.8 and later, runc#3912) does not: it
# chmods a tmpfs to the mode of the directory it covers after mounting, so the cgroup tmpfs at
# /sys/fs/cgroup (mode=755) ends up 555 like the sysfs directory under it. Current runc, as
# swiftlet, passes the directory's mode as the first mode= and lets the mount's own win.
_CONTROL_FIXUPS = [
    (re.compile(r"^555 0 0 directory /sys/fs/cgroup$", re.M), "755 0 0 directory /sys/fs/cgroup"),
]


def normalize(text, control=False):
    if control and re.search(r"^\S+ /sys/fs/cgroup .*? - tmpfs ", text, re.M):
        for pattern, replacement in _CONTROL_FIXUPS:
            text = pattern.sub(replacement, text)
    for pattern, replacement in _NORMALIZE:
        text = pattern.sub(replacement, text)
    lines = []
    for line in text.splitlines():
        for pattern, replacement in _ACCEPTED:
            line = pattern.sub(replacement, line)
        lines.append(line)
    text = "\n".join(lines)
    sections, current = {}, None
    for line in text.splitlines():
        if line.startswith("== "):
            current = line[3:]
            sections[current] = []
        elif current:
            sections[current].append(line.rstrip())
    # Sorted, mounts too: podman orders its own bind mounts differently from one container to
    # the next (the order of mounts is the conformance suite's business).
    return "\n".join(f"== {name}\n" + "\n".join(sorted(lines)) for name, lines in sections.items())


def register(engine_name, variants, run_snapshot):
    """variants: (title, options[, why swiftlet is known to differ]); run_snapshot(engine, rt,
    options, script, None) -> Result (the engines' probe runners)."""
    for title, options, *known in variants:
        def body(eng, rt, title=title, options=options):
            r = run_snapshot(eng, rt, options, SNAPSHOT, None)
            expect_rc(r, 0, "snapshot")
            seen = normalize(r.out, control=rt.name == "runc")
            key = ("differential", title)
            if rt.name == "runc":
                eng.observed[key] = seen
                return
            control = eng.observed.get(key)
            if control is None:
                raise Skip("no control snapshot (runc did not run or failed)")
            if seen != control:
                diff = difflib.unified_diff(control.splitlines(), seen.splitlines(), "runc", "swiftlet", lineterm="", n=1)
                raise Failure("differs from runc:\n" + "\n".join(diff))
        scenario(engine_name, f"same container as runc: {title}", todo={"swiftlet": known[0]} if known else None)(body)
