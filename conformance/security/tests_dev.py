"""/dev as the attacker shapes it: the node masking binds (CVE-2025-31133) and the
terminal bound over /dev/console (CVE-2025-52565).

The attacker controls /dev when it is a bind mount of a directory of theirs (a volume at
/dev), or /dev/pts when a volume is mounted there. Masking must bind the null device and
nothing else (a symlink in place of /dev/null pointed runc's bind at core_pattern; a missing
one made runc skip masking); the console bind must put the container's own pty on
/dev/console and nowhere else (a symlinked /dev/console moved it over a procfs file; a
symlink swapped in at /dev/pts/N made runc bind that file, writable, on /dev/console).
Targets here are procfs files that are either read only (core_pattern) or namespaced
(domainname), so a breach harms nothing.
"""
import os

from lib.framework import Failure
from lib.sockets import ConsoleSocket
from seclib import (PROC_AUDIT, Racer, Vulnerable, attack, attempt, first_line, proc_audit_problems,
                    race, reset_output, wait_exit)


def dev_dir(t, name="devdir"):
    """A host directory to bind at /dev, with what a container needs there."""
    d = t.path(name)
    os.makedirs(os.path.join(d, "pts"))
    os.makedirs(os.path.join(d, "shm"))
    os.makedirs(os.path.join(d, "mqueue"))
    os.mknod(os.path.join(d, "zero"), 0o20666, os.makedev(1, 5))
    return d


def bind_dev(b, devdir):
    """/dev as a bind of devdir (no tmpfs: the runtime leaves a bound /dev alone)."""
    mounts = [m for m in b.config["mounts"] if m["destination"] != "/dev"]
    b.config["mounts"] = mounts
    b.add_mount("/dev", "bind", devdir, ["rbind", "rw"], first=True)
    # /proc first still: the volume is mounted before the mounts inside /dev.
    b.config["mounts"].insert(0, b.config["mounts"].pop(next(i for i, m in enumerate(b.config["mounts"])
                                                              if m["destination"] == "/proc")))


MASK_CASES = [
    ("symlink to core_pattern", lambda d: os.symlink("/proc/sys/kernel/core_pattern", os.path.join(d, "null"))),
    ("regular file", lambda d: open(os.path.join(d, "null"), "w").write("FAKE-NULL\n")),
    ("missing", lambda d: None),
    ("real null device (control)", lambda d: os.mknod(os.path.join(d, "null"), 0o20666, os.makedev(1, 3))),
]


@attack("cve_2025_31133_masked_devnull", ["CVE-2025-31133"],
        "with /dev bound from the attacker's directory, /dev/null as a symlink, a file or missing: "
        "masked paths are the null device (or the container is refused), never something else",
        runc_vulnerable="fixed in runc 1.2.8/1.3.3/1.4.0-rc.3: the bind source /dev/null is not "
                        "checked to be the null device, and a missing /dev/null skips masking")
def _(t, env):
    results = []
    for i, (what, make) in enumerate(MASK_CASES):
        devdir = dev_dir(t, "devdir%d" % i)
        make(devdir)
        b = t.bundle(name="mask%d" % i)
        bind_dev(b, devdir)
        b.script(PROC_AUDIT)
        r = attempt(t, b)
        if r[0] == "ran":
            problems = [p for p in proc_audit_problems(r[1]) if p.startswith("maskedPaths")]
            if problems:
                raise Vulnerable("/dev/null %s: %s" % (what, "; ".join(problems)))
            results.append("%s: ran, masks are the null device" % what)
        else:
            if what.endswith("(control)"):
                raise Failure("the control with a real /dev/null was refused: %s" % r[1])
            results.append("%s: refused (%s)" % (what, r[1]))
    for line in results:
        t.note(line)


CONSOLE_AUDIT = r'''
echo "console=$(stat -L -c '%F %t:%T %d:%i' /dev/console 2>&1)"
echo "domainname=$(stat -L -c '%F %t:%T %d:%i' /proc/sys/kernel/domainname 2>&1)"
case "$(stat -L -c %F /dev/console)" in
character*) ;;
*) (echo sec-pwned > /dev/console) 2>/dev/null; echo "after-write=$(cat /proc/sys/kernel/domainname)" ;;
esac
'''


def console_attempt(t, b):
    reset_output(b)
    cs = ConsoleSocket(t)
    r = t.create(b, extra=("--console-socket", cs.path))
    if r.rc != 0:
        t.ids.remove(r.id)
        return ("refused", first_line(r.err or r.out))
    pid = t.state(r.id)["pid"]
    t.start_ok(r.id)
    wait_exit(pid, 15)
    t.wait_status(r.id, "stopped")
    t.delete(r.id)
    t.ids.remove(r.id)
    return ("ran", cs.text(timeout=5))


def console_problems(out):
    got = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    problems = []
    console, domain = got.get("console", "?"), got.get("domainname", "?")
    if not console.startswith("character special file 88:"):
        problems.append("/dev/console is %r, not the container's pty" % console)
    if domain.startswith("character special file"):
        problems.append("the pty was bound over /proc/sys/kernel/domainname (%s)" % domain)
    if "sec-pwned" in got.get("after-write", ""):
        problems.append("writing /dev/console wrote the domainname sysctl")
    return problems


@attack("cve_2025_52565_console_symlink", ["CVE-2025-52565"],
        "terminal: true with /dev bound from the attacker's directory where console, or pts, is a "
        "symlink towards a procfs file: the pty is not bound over that file nor that file on "
        "/dev/console",
        runc_vulnerable="fixed in runc 1.2.8/1.3.3/1.4.0-rc.3: /dev/console is created and bound "
                        "by path, following the symlink")
def _(t, env):
    def console_link(devdir, b):
        os.symlink("/proc/sys/kernel/domainname", os.path.join(devdir, "console"))
        os.symlink("pts/ptmx", os.path.join(devdir, "ptmx"))

    def pts_link(devdir, b):
        # /dev/pts/0 (the first pty of a fresh devpts) leads to the sysctl; the real devpts
        # is at /realpts, where /dev/ptmx points.
        os.rmdir(os.path.join(devdir, "pts"))
        os.symlink("/fakepts", os.path.join(devdir, "pts"))
        os.makedirs(os.path.join(b.rootfs, "fakepts"))
        os.symlink("/proc/sys/kernel/domainname", os.path.join(b.rootfs, "fakepts", "0"))
        os.symlink("/realpts/ptmx", os.path.join(devdir, "ptmx"))
        b.mkdir("/realpts")
        next(m for m in b.config["mounts"] if m["destination"] == "/dev/pts")["destination"] = "/realpts"

    for i, (what, shape) in enumerate((("/dev/console -> /proc/sys/kernel/domainname", console_link),
                                       ("/dev/pts -> a directory whose 0 -> /proc/sys/kernel/domainname", pts_link))):
        devdir = dev_dir(t, "devdir%d" % i)
        os.mknod(os.path.join(devdir, "null"), 0o20666, os.makedev(1, 3))
        b = t.bundle(name="victim%d" % i)
        bind_dev(b, devdir)
        shape(devdir, b)
        b.process["terminal"] = True
        b.script(CONSOLE_AUDIT)
        r = console_attempt(t, b)
        if r[0] == "ran":
            problems = console_problems(r[1])
            if problems:
                raise Vulnerable("%s: %s" % (what, "; ".join(problems)))
            t.note("%s: ran; /dev/console is the pty (%s)" % (what, r[1].strip().splitlines()[0]))
        else:
            t.note("%s: refused (%s)" % (what, r[1]))


@attack("cve_2025_52565_pts_race", ["CVE-2025-52565"],
        "terminal: true with a volume at /dev/pts where the pty's name is swapped with a symlink "
        "to a procfs file: /dev/console is always the pty, never a writable procfs file",
        runc_vulnerable="fixed in runc 1.2.8/1.3.3/1.4.0-rc.3: the pty is reopened and bound by "
                        "its /dev/pts/N path")
def _(t, env):
    vol = t.path("vol")
    os.makedirs(vol)
    os.symlink("/realpts/ptmx", os.path.join(vol, "ptmx"))
    # A fresh devpts instance numbers its first pty 0.
    os.symlink("/realpts/0", os.path.join(vol, "0"))
    os.symlink("/proc/sys/kernel/domainname", os.path.join(vol, "0x"))
    b = t.bundle(name="victim")
    b.mkdir("/realpts")
    devpts = next(m for m in b.config["mounts"] if m["destination"] == "/dev/pts")
    devpts["destination"] = "/realpts"
    b.add_mount("/dev/pts", "bind", vol, ["rbind", "rw"])
    b.process["terminal"] = True
    b.script(CONSOLE_AUDIT)
    racer = Racer(t, vol, "0", "0x")

    def judge(result, i):
        if result[0] == "ran":
            problems = console_problems(result[1])
            if problems:
                raise Vulnerable("attempt %d: %s" % (i, "; ".join(problems)))

    tally = race(t, lambda i: console_attempt(t, b), racer, budget_s=25, max_attempts=60, judge=judge)
    if not tally.get("ran"):
        t.note("no attempt ran: every one was refused")
