"""CVE-2022-29162 (runc) and CVE-2022-27650 (crun): inheritable capabilities beyond the spec.

A process whose inheritable set holds capabilities the spec did not give gains them by
exec'ing a file that has them as inheritable file capabilities, even as a non-root user:
P'(permitted) = P(inheritable) & F(inheritable). The image here ships /capbin/grep, busybox with
every capability in its inheritable file set (and the effective bit): run as nobody with no
capabilities, it must come out with none, for `run` and for `exec` (also `exec --cap`, the
path runc 1.1.1 got wrong); with inheritable given in the spec it gets exactly those.
"""
import os
import struct

from seclib import Vulnerable, attack, attempt, wait_exit
from lib.framework import Failure

CAP_NUMBERS = {"CAP_CHOWN": 0, "CAP_KILL": 5, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13,
               "CAP_SYS_CHROOT": 18, "CAP_AUDIT_WRITE": 29}
BOUNDING = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE"]
# busybox picks its applet from its name: this copy runs as grep.
CAPBB = "/capbin/grep"
REPORT = "grep Cap /proc/self/status | sed 's/^/self /'; %s Cap /proc/self/status | sed 's/^/capbb /'" % CAPBB


def mask(names):
    return sum(1 << CAP_NUMBERS[n] for n in names)


def install_capbb(b):
    """busybox with all capabilities inheritable + effective (VFS_CAP_REVISION_2)."""
    path = os.path.join(b.rootfs, CAPBB.lstrip("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(os.path.join(b.rootfs, "bin", "busybox"), "rb") as src, open(path, "wb") as dst:
        dst.write(src.read())
    os.chmod(path, 0o755)
    value = struct.pack("<IIIII", 0x02000000 | 0x1, 0, 0xffffffff, 0, 0xffffffff)
    os.setxattr(path, "security.capability", value)


def caps_of(out, who):
    got = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == who and parts[1].startswith("Cap"):
            got[parts[1].rstrip(":")] = int(parts[2], 16)
    return got


def unprivileged_bundle(t, name, inheritable=None):
    b = t.bundle(name=name)
    install_capbb(b)
    caps = {"bounding": BOUNDING, "effective": [], "permitted": []}
    if inheritable is not None:
        caps["inheritable"] = inheritable
    b.process["capabilities"] = caps
    b.process["user"] = {"uid": 65534, "gid": 65534}
    # File capabilities are ignored under no_new_privs; the attack needs them honoured.
    b.process["noNewPrivileges"] = False
    return b


def judge(out, want_inh, what):
    self_caps, capbb = caps_of(out, "self"), caps_of(out, "capbb")
    if "CapInh" not in self_caps or "CapPrm" not in capbb:
        raise Failure("%s: no capability report: %r" % (what, out[-800:]))
    if self_caps["CapInh"] != want_inh:
        raise Vulnerable("%s: CapInh is %#x, the spec gives %#x" % (what, self_caps["CapInh"], want_inh))
    gained = capbb["CapPrm"] & ~want_inh
    if gained:
        raise Vulnerable("%s: exec of a file with inheritable file caps gained %#x as nobody" % (what, gained))
    return "%s: CapInh %#x, capbb permitted %#x" % (what, self_caps["CapInh"], capbb["CapPrm"])


@attack("cve_2022_29162_inheritable", ["CVE-2022-29162", "CVE-2022-27650"],
        "no inheritable capabilities beyond the spec (run, exec, exec --cap): a non-root process "
        "exec'ing a file with inheritable file caps gains nothing it was not given")
def _(t, env):
    notes = []
    b = unprivileged_bundle(t, "unset")
    b.script(REPORT)
    r = attempt(t, b)
    if r[0] != "ran":
        raise Failure("run refused: %s" % r[1])
    notes.append(judge(r[1], 0, "run, inheritable unset"))

    b = unprivileged_bundle(t, "given", inheritable=["CAP_KILL"])
    b.script(REPORT)
    r = attempt(t, b)
    if r[0] != "ran":
        raise Failure("run refused: %s" % r[1])
    notes.append(judge(r[1], mask(["CAP_KILL"]), "run, inheritable [CAP_KILL]"))

    b = unprivileged_bundle(t, "exec")
    b.set_args("sleep", "30")
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    for extra, what in (((), "exec"), (("--cap", "CAP_NET_RAW"), "exec --cap CAP_NET_RAW")):
        r = t.rt("exec", *extra, cid, "sh", "-c", REPORT, timeout=15)
        if r.rc != 0:
            raise Failure("%s failed: %r" % (what, r))
        notes.append(judge(r.out, 0, what))
    t.kill(cid, "KILL")
    wait_exit(pid)
    for n in notes:
        t.note(n)
