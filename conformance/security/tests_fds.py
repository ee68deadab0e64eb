"""CVE-2024-21626: host file descriptors leaking into the container.

runc 1.0-1.1.11 left a directory fd of the host's /sys/fs/cgroup open in init, so
`process.cwd: /proc/self/fd/7` (or `exec --cwd`) put the container in the host's tree, and
an entrypoint path through /proc/self/fd/N ran a host binary. Here every fd number a
runtime is likely to use is tried as cwd and as a path prefix of the entrypoint, the
container process lists its own fds (only stdio and --preserve-fds may be there, both
for `run` and for `exec`), and a racing container process goes through /proc/<pid>/fd of
each exec'd init while it sets up (CVE-2016-9962's window), with a host log file open.
Reading the host marker (a file outside every rootfs) or writing the log from inside
is a breach.
"""
import fcntl
import os
import subprocess
import time

from lib import proc
from lib.framework import Failure
from seclib import (ATTACKER, Vulnerable, attack, attempt, exec_detached, host_marker, vulnerable_lines,
                    wait_exit)

FD_RANGE = range(3, 16)


def self_report(out):
    """Parses `sec-attacker self` output: ({fd: (link, mode, dev, ino)}, cwd, breaches)."""
    fds, cwd = {}, None
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("fd ") and len(parts) >= 6:
            fds[int(parts[1])] = (parts[2], parts[3], parts[4], parts[5])
        elif line.startswith("cwd "):
            cwd = line[4:]
    return fds, cwd, vulnerable_lines(out)


def host_script(t):
    """A host script the container can only run by reaching the host's tree."""
    path = t.path("host-script.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho host script ran > /out/host-script-ran\n")
    os.chmod(path, 0o755)
    return path


@attack("cve_2024_21626_cwd", ["CVE-2024-21626"],
        "process.cwd /proc/self/fd/N (N=3..15) and an entrypoint /proc/self/fd/N/../../<host "
        "script> give no host access")
def _(t, env):
    marker, secret = host_marker(t)
    script = host_script(t)
    outcomes = {}
    b = t.bundle()
    for n in FD_RANGE:
        b.config["process"]["cwd"] = "/proc/self/fd/%d" % n
        b.config["process"]["args"] = [ATTACKER, "self", marker]
        r = attempt(t, b)
        if r[0] == "ran":
            fds, cwd, bad = self_report(r[1])
            if bad or secret in r[1]:
                raise Vulnerable("cwd /proc/self/fd/%d: %s (cwd %s)" % (n, "; ".join(bad), cwd))
            outcomes["cwd fd %d" % n] = "ran in %s" % cwd
        else:
            outcomes["cwd fd %d" % n] = "refused"
        b.config["process"]["cwd"] = "/"
        b.config["process"]["args"] = ["/proc/self/fd/%d/%s%s" % (n, "../" * 30, script.lstrip("/"))]
        r = attempt(t, b)
        if b.out_exists("host-script-ran"):
            raise Vulnerable("entrypoint /proc/self/fd/%d/../..%s ran the host's script" % (n, script))
        outcomes["exe fd %d" % n] = r[0]
    summary = {}
    for k, v in outcomes.items():
        summary.setdefault(k.split(" fd")[0] + ": " + v.split(" in ")[0], []).append(k.split()[-1])
    t.note("; ".join("%s for fds %s" % (k, ",".join(v)) for k, v in sorted(summary.items())))


@attack("cve_2024_21626_fds_run", ["CVE-2024-21626"],
        "the container process holds only stdio and the --preserve-fds fd, even with host "
        "files and directories open in the runtime's caller")
def _(t, env):
    marker, secret = host_marker(t)
    b = t.bundle([ATTACKER, "self", marker])
    preserved = t.path("preserved")
    open(preserved, "w").close()
    # Host files and directories open in the caller, far above the preserved fd 3.
    opened = [os.open(t.path(), os.O_RDONLY | os.O_DIRECTORY), os.open("/", os.O_RDONLY | os.O_DIRECTORY),
              os.open(t.path("leak-file"), os.O_CREAT | os.O_RDWR, 0o600)]
    leaks = [fcntl.fcntl(fd, fcntl.F_DUPFD, 20) for fd in opened]
    for fd in opened:
        os.close(fd)
    b.write()
    t.ids.append("sec-fds")
    try:
        # The shell opens the preserved file as fd 3 and execs the runtime with it.
        with open(b.stdout, "ab") as fo, open(b.stderr, "ab") as fe:
            p = subprocess.Popen(["sh", "-c", 'exec 3<>"$0"; exec "$@"', preserved, t.runtime, "--root", t.root,
                                  "create", "--bundle", b.dir, "--preserve-fds", "1", "sec-fds"],
                                 stdin=subprocess.DEVNULL, stdout=fo, stderr=fe, pass_fds=leaks,
                                 start_new_session=True)
            rc = p.wait(timeout=20)
    finally:
        for fd in leaks:
            os.close(fd)
    t.check(rc == 0, "create failed (%s): %s" % (rc, open(b.stderr).read()[-500:]))
    pid = t.state("sec-fds")["pid"]
    t.start_ok("sec-fds")
    wait_exit(pid)
    st3 = os.stat(preserved)
    out = open(b.stdout).read()
    fds, cwd, bad = self_report(out)
    if bad or secret in out:
        raise Vulnerable("; ".join(bad))
    extra = sorted(set(fds) - {0, 1, 2, 3})
    if extra:
        raise Vulnerable("fds beyond stdio and --preserve-fds reached the container: %s" % (
            ", ".join("%d -> %s" % (n, fds[n][0]) for n in extra)))
    t.check(3 in fds and fds[3][3] == "ino=%d" % st3.st_ino,
            "the --preserve-fds fd 3 did not arrive as the caller's file: %r" % (fds.get(3),))
    t.note("fds in the container: %s" % ", ".join("%d -> %s" % (n, fds[n][0]) for n in sorted(fds)))


@attack("cve_2024_21626_exec", ["CVE-2024-21626", "CVE-2016-9962"],
        "exec: --cwd /proc/self/fd/N gives no host access, the exec'd process holds only stdio, "
        "and a container process racing each exec's init cannot open its fds")
def _(t, env):
    marker, secret = host_marker(t)
    b = t.bundle([ATTACKER, "watch", "40", "/out/attack.log", marker])
    b.config["process"]["env"].append("SEC_STOP=/out/stop")
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    log = t.path("exec.log")
    open(log, "w").close()
    outcomes = {}
    for n in FD_RANGE:
        out = t.path("exec-out")
        r = t.rt("--log", log, "exec", "--cwd", "/proc/self/fd/%d" % n, cid, ATTACKER, "self", marker,
                 files=(out, t.path("exec-err")), timeout=10)
        text = open(out).read()
        os.unlink(out)
        fds, cwd, bad = self_report(text)
        if bad or secret in text:
            raise Vulnerable("exec --cwd /proc/self/fd/%d: %s" % (n, "; ".join(bad)))
        extra = sorted(set(fds) - {0, 1, 2})
        if extra:
            raise Vulnerable("exec: fds beyond stdio reached the process: %s" % (
                ", ".join("%d -> %s" % (k, fds[k][0]) for k in extra)))
        outcomes.setdefault("ran" if r.rc == 0 else "refused", []).append(str(n))
    # More plain execs for the racing attacker to go after.
    deadline = time.monotonic() + 8
    execs = 0
    while time.monotonic() < deadline and execs < 40:
        t.rt("--log", log, "exec", cid, "true", timeout=10)
        execs += 1
    open(os.path.join(b.out, "stop"), "w").close()
    wait_exit(pid, 10)
    attack_log = b.out_file("attack.log") or ""
    bad = vulnerable_lines(attack_log)
    if bad:
        raise Vulnerable("racing attacker: " + "; ".join(bad[:5]))
    if "sec-attacker wrote" in open(log).read():
        raise Vulnerable("the host log file was written through a leaked fd")
    reached = [l for l in attack_log.splitlines() if l.startswith(("target ", "exe pid=", "fds pid="))]
    if not reached:
        raise Failure("the racing attacker never saw an exec's init: cannot judge\n" + attack_log[-1500:])
    fd_lines = sorted(set(" ".join(w for w in l.split() if not w.startswith(("pid=", "dev=", "ino=")))
                          for l in attack_log.splitlines() if l.startswith(("fd ", "fds ", "exe pid="))))
    t.note("exec --cwd /proc/self/fd/N: %s" % "; ".join("%s for %s" % (k, ",".join(v)) for k, v in outcomes.items()))
    t.note("racing attacker, %d execs: %d sightings; what it got: %s" % (
        execs, len(reached), "; ".join(fd_lines[:12]) or "nothing"))


@attack("cve_2016_9962_barrier", ["CVE-2016-9962"],
        "a process exec'd into a created container cannot reach the fds of init waiting at the "
        "start barrier (the exec fifo, the runtime's pipes) to start or kill it",
        runc_vulnerable="runc 1.1.5 makes init non-dumpable only when it joins namespaces, so a "
                        "process exec'd into a created container opens /proc/1/fd/<exec fifo> and "
                        "releases (and kills) init")
def _(t, env):
    marker, _ = host_marker(t)
    b = t.bundle(["sh", "-c", "echo started > /out/started"])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    r = exec_detached(t, cid, ATTACKER, "watch", "2", "/out/attack.log", marker, "fds")
    t.check(r.rc == 0, "exec of the attacker into the created container failed: %r" % r)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "done " not in (b.out_file("attack.log") or "") and proc.alive(pid):
        time.sleep(0.1)
    attack_log = b.out_file("attack.log") or ""
    st = t.state_or_none(cid)
    bad = vulnerable_lines(attack_log)
    if b.out_exists("started") or not proc.alive(pid) or (st or {}).get("status") != "created":
        raise Vulnerable("the attacker changed the created container (status %s, process %s): %s" % (
            (st or {}).get("status"), "started" if b.out_exists("started") else "alive" if proc.alive(pid) else "dead",
            "; ".join(bad[:5])))
    if bad:
        raise Vulnerable("; ".join(bad[:5]))
    if "done " not in attack_log:
        raise Failure("the attacker did not finish: %s" % attack_log[-1500:])
    seen = sorted(set(l.split(" pid=")[0] + " " + l.split()[-1] for l in attack_log.splitlines()
                      if l.startswith(("exe pid=", "fds pid=", "fd pid="))))
    if not seen:
        raise Failure("the attacker never saw init: cannot judge\n" + attack_log[-1500:])
    t.start_ok(cid)
    wait_exit(pid)
    t.check(b.out_exists("started"), "the container did not run after start")
    t.note("what the attacker got of init at the barrier: " + "; ".join(seen))


@attack("cve_2016_9962_shared_pidns", ["CVE-2016-9962"],
        "a container joining another's pid namespace: the other's processes cannot reach its "
        "init's fds while it sets up or waits at the start barrier")
def _(t, env):
    marker, _ = host_marker(t)
    a = t.bundle([ATTACKER, "watch", "40", "/out/attack.log", marker, "fds"], name="attacker")
    a.config["process"]["env"].append("SEC_STOP=/out/stop")
    a_id = t.create_ok(a)
    a_pid = t.state(a_id)["pid"]
    t.start_ok(a_id)
    b = t.bundle(["sh", "-c", "echo started >> /out/started"], name="victim")
    b.set_namespace("pid", "/proc/%d/ns/pid" % a_pid)
    for _ in range(8):
        cid = t.create_ok(b)
        time.sleep(0.3)
        if b.out_exists("started"):
            raise Vulnerable("the victim ran before start: the attacker released its init")
        r = t.delete(cid, force=True)
        t.check(r.rc == 0, "delete failed: %r" % r)
        t.ids.remove(cid)
    open(os.path.join(a.out, "stop"), "w").close()
    wait_exit(a_pid, 10)
    attack_log = a.out_file("attack.log") or ""
    bad = vulnerable_lines(attack_log)
    if bad:
        raise Vulnerable("; ".join(bad[:5]))
    seen = sorted(set(l.split(" pid=")[0] + " " + l.split("errno=")[-1] for l in attack_log.splitlines()
                      if l.startswith(("exe pid=", "fds pid=", "fd pid="))))
    if not seen:
        raise Failure("the attacker never saw the victim's init: cannot judge\n" + attack_log[-1500:])
    t.note("what the attacker got of the victim's init (8 creates): " + "; ".join(seen))
