"""/proc as the image or config.json shapes it.

CVE-2019-16884 and CVE-2023-28642: a /proc that is not the fresh procfs the runtime
mounted (a symlink in the image, a tmpfs or a host directory mounted over it) lets the
container dodge maskedPaths, readonlyPaths and the LSM label the runtime writes to
/proc/self/attr. CVE-2025-52881: the runtime's own writes to /proc (sysctls,
oom_score_adj, LSM attributes) must reach the object they are meant for, not one a mount
in config.json put on the way. Each case must be refused, or run with /proc the real,
masked procfs and every write where it belongs.
"""
import os
import subprocess

from lib import proc
from lib.framework import Failure
from seclib import PROC_AUDIT, Vulnerable, attack, attempt, attempt_live, proc_audit_problems


def fake_proc_tree(path):
    """A directory that looks like /proc to a path-following runtime (every file holds
    FAKE-PROC)."""
    for d in ("self/attr", "sys/kernel", "sys/net/core"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    for f in ("keys", "timer_list", "self/attr/exec", "self/oom_score_adj", "sys/kernel/shmmni",
              "sys/kernel/domainname"):
        with open(os.path.join(path, f), "w") as fh:
            fh.write("FAKE-PROC\n")
    return path


def replace_proc_mount(b, replacement):
    b.config["mounts"] = [replacement if m["destination"] == "/proc" else m for m in b.config["mounts"]]


@attack("cve_2019_16884_proc_replaced", ["CVE-2019-16884", "CVE-2023-28642"],
        "/proc as a symlink in the image, a tmpfs mounted over it, a host directory bound on it, "
        "a mount inside it: refused, or /proc stays the masked, read-only procfs",
        runc_vulnerable="runc 1.1.5 checks only bind mounts against /proc: a tmpfs inside /proc is "
                        "mounted, and the runtime's writes there land in it")
def _(t, env):
    fake_host = fake_proc_tree(t.path("fake-proc"))
    cases = []

    def symlinked(b):
        fake_proc_tree(os.path.join(b.rootfs, "fakeproc"))
        os.rmdir(os.path.join(b.rootfs, "proc"))
        os.symlink("/fakeproc", os.path.join(b.rootfs, "proc"))
    cases.append(("image /proc -> /fakeproc", symlinked))
    cases.append(("tmpfs over /proc", lambda b: b.add_mount("/proc", "tmpfs", "tmpfs")))
    cases.append(("host directory bound on /proc",
                  lambda b: replace_proc_mount(b, {"destination": "/proc", "type": "bind", "source": fake_host,
                                                   "options": ["rbind"]})))
    cases.append(("host directory bound on /proc/self/attr",
                  lambda b: b.add_mount("/proc/self/attr", "bind", os.path.join(fake_host, "self/attr"), ["rbind"])))
    cases.append(("tmpfs over /proc/sys", lambda b: b.add_mount("/proc/sys", "tmpfs", "tmpfs")))
    cases.append(("tmpfs over /proc/self/attr", lambda b: b.add_mount("/proc/self/attr", "tmpfs", "tmpfs")))
    cases.append(("bind of procfs's /proc/sys as /proc",
                  lambda b: replace_proc_mount(b, {"destination": "/proc", "type": "bind", "source": "/proc/sys",
                                                   "options": ["rbind"]})))
    outcomes = []
    for i, (what, shape) in enumerate(cases):
        b = t.bundle(name="case%d" % i)
        shape(b)
        b.script(PROC_AUDIT)
        r = attempt(t, b)
        if r[0] == "ran":
            problems = proc_audit_problems(r[1])
            if problems:
                raise Vulnerable("%s: %s" % (what, "; ".join(problems)))
            outcomes.append("%s: ran with the real masked procfs" % what)
        else:
            outcomes.append("%s: refused (%s)" % (what, r[1]))
    for o in outcomes:
        t.note(o)


@attack("cve_2025_52881_proc_writes", ["CVE-2025-52881"],
        "sysctl and oom_score_adj writes reach the container's own kernel objects (checked from the "
        "host) even when config.json mounts procfs files, a tmpfs or a fake tree over /proc/sys and "
        "/proc/self",
        runc_vulnerable="runc 1.1.5 mounts a tmpfs inside /proc and writes the sysctl into it; /proc "
                        "write redirection was fixed in runc 1.2.8/1.3.3/1.4.0-rc.3")
def _(t, env):
    fake_host = fake_proc_tree(t.path("fake-proc"))
    host_before = host_values()
    fake_before = tree_content(fake_host)
    cases = [
        ("no attack (control)", lambda b: None),
        # A procfs file bound where a sysctl goes: the write would land in the bound file.
        ("procfs domainname bound on /proc/sys/kernel/shmmni",
         lambda b: b.add_mount("/proc/sys/kernel/shmmni", "bind", "/proc/sys/kernel/domainname", ["bind"])),
        ("procfs domainname bound on lxcfs's /proc/sys/kernel/ns_last_pid",
         lambda b: b.add_mount("/proc/sys/kernel/ns_last_pid", "bind", "/proc/sys/kernel/domainname", ["bind"])),
        ("host fake tree bound on /proc/sys/kernel",
         lambda b: b.add_mount("/proc/sys/kernel", "bind", os.path.join(fake_host, "sys/kernel"), ["rbind"])),
        ("tmpfs over /proc/sys/kernel", lambda b: b.add_mount("/proc/sys/kernel", "tmpfs", "tmpfs")),
        ("host fake tree bound on /proc/self",
         lambda b: b.add_mount("/proc/self", "bind", os.path.join(fake_host, "self"), ["rbind"])),
        ("tmpfs over /proc/self", lambda b: b.add_mount("/proc/self", "tmpfs", "tmpfs")),
    ]

    def kernel_view(pid):
        # What the kernel holds for the container, read from the host: its IPC namespace's
        # shmmni and its process's oom_score_adj, whatever its /proc shows.
        shmmni = subprocess.run(["nsenter", "-t", str(pid), "-i", "cat", "/proc/sys/kernel/shmmni"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout.decode().strip()
        return {"shmmni": shmmni, "oom": proc.read("/proc/%d/oom_score_adj" % pid).strip()}

    outcomes = []
    for i, (what, shape) in enumerate(cases):
        b = t.bundle(name="case%d" % i)
        b.linux["sysctl"] = {"kernel.shmmni": "1234"}
        b.process["oomScoreAdj"] = 345
        shape(b)
        b.script("touch /out/ready; sleep 10")
        r = attempt_live(t, b, kernel_view)
        if r[0] == "ran":
            wrong = ["%s is %r, not %s" % (k, r[2][k], v) for k, v in (("shmmni", "1234"), ("oom", "345"))
                     if r[2][k] != v]
            if wrong:
                raise Vulnerable("%s: the runtime's writes missed the container's objects: %s" % (what, "; ".join(wrong)))
            outcomes.append("%s: ran, the kernel has the container's shmmni and oom_score_adj" % what)
        else:
            if what.endswith("(control)"):
                raise Failure("the control case was refused: %s" % r[1])
            outcomes.append("%s: refused (%s)" % (what, r[1]))
        if tree_content(fake_host) != fake_before:
            raise Vulnerable("%s: the runtime wrote into the host's fake tree: %r" % (what, tree_content(fake_host)))
        if host_values() != host_before:
            raise Vulnerable("%s: host values changed: %r -> %r" % (what, host_before, host_values()))
    for o in outcomes:
        t.note(o)
    t.note("LSM attribute writes are not exercised: this kernel has no LSM that takes labels")



def tree_content(path):
    out = {}
    for dirpath, _, files in os.walk(path):
        for f in files:
            with open(os.path.join(dirpath, f)) as fh:
                out[os.path.relpath(os.path.join(dirpath, f), path)] = fh.read()
    return out


def host_values():
    return tuple(proc.read(p).strip() for p in ("/proc/sys/kernel/shmmni", "/proc/sys/kernel/domainname",
                                                 "/proc/self/oom_score_adj", "/proc/1/oom_score_adj"))
