"""What the security tests share: the registry, the attacker binary, runtime copies,
racing containers and the verdicts.

A test runs a real attack and ends in one of three ways:
- it returns: the attack ran and did not get through (`pass`);
- it raises Vulnerable: the attack got through, with the evidence (for swiftlet a failure;
  for runc reported as "runc vulnerable");
- it raises framework.Failure: the attack could not be judged (the race never ran, the
  harness broke), which is a failure for every runtime.
Each test leaves notes saying what every attempt came to, so a pass shows its work.
"""
import hashlib
import os
import re
import shutil
import subprocess
import time

from lib import framework, proc
from lib.framework import Failure

HERE = os.path.dirname(os.path.abspath(__file__))
ATTACKER_SOURCE = os.path.join(HERE, "attacker.c")
ATTACKER = "/bin/sec-attacker"   # inside every rootfs

TESTS = []


class Vulnerable(Exception):
    """The attack succeeded; the message is the evidence."""


class SecTest:
    def __init__(self, name, func, cves, desc, runc):
        self.name, self.func, self.cves, self.desc = name, func, list(cves), desc
        self.runc_vulnerable = runc


def attack(name, cves, desc, runc_vulnerable=None):
    """Registers a test. runc_vulnerable: why runc 1.1.5 is known to lose this one (and where
    it was fixed), printed with its result."""
    def register(func):
        if any(t.name == name for t in TESTS):
            raise RuntimeError("duplicate test name " + name)
        TESTS.append(SecTest(name, func, cves, desc, runc_vulnerable))
        return func
    return register


# ----- the attacker binary -----

def build_attacker(run_tmp):
    """Compiles attacker.c statically (the rootfs has no libc); returns its host path."""
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        raise SystemExit("security tests need a C compiler (cc) to build the attacker")
    out = os.path.join(run_tmp, "sec-attacker")
    p = subprocess.run([cc, "-static", "-O2", "-o", out, ATTACKER_SOURCE],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise SystemExit("building the attacker failed:\n" + p.stdout.decode(errors="replace"))
    return out


def install_attacker(base, attacker):
    """Puts the attacker in the base rootfs, so every test bundle has it."""
    dst = os.path.join(base.dir, "rootfs", ATTACKER.lstrip("/"))
    shutil.copy(attacker, dst)
    os.chmod(dst, 0o755)


# ----- runtime copies (CVE-2019-5736: an attack that works hits only a copy) -----

class BinaryWitness:
    """Content, size and mtime of a binary, to show afterwards it was not touched."""

    def __init__(self, path):
        self.path = path
        self.before = self._take()

    def _take(self):
        st = os.stat(self.path)
        h = hashlib.sha256()
        with open(self.path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return (h.hexdigest(), st.st_size, st.st_mtime_ns)

    def changes(self):
        now = self._take()
        if now == self.before:
            return None
        what = []
        if now[0] != self.before[0]:
            what.append("content (sha256 %s -> %s)" % (self.before[0][:16], now[0][:16]))
        if now[1] != self.before[1]:
            what.append("size %d -> %d" % (self.before[1], now[1]))
        if now[2] != self.before[2]:
            what.append("mtime changed")
        return "%s: %s" % (self.path, ", ".join(what))


def copy_runtime(src, directory):
    os.makedirs(directory, exist_ok=True)
    dst = os.path.join(directory, os.path.basename(src))
    shutil.copy2(src, dst)
    os.chmod(dst, 0o755)
    return dst


class Env:
    """The run: the runtime under test (a copy), the original, the attacker, runc or not."""

    def __init__(self, original, copy, attacker, is_runc):
        self.original, self.copy, self.attacker, self.is_runc = original, copy, attacker, is_runc


def own_runtime_copy(t, env):
    """A fresh copy of the runtime for this test alone; t runs it from now on. Returns the
    witnesses of the copy and of the original."""
    t.runtime = copy_runtime(env.original, t.path("runtime-bin"))
    return [BinaryWitness(t.runtime), BinaryWitness(env.original)]


def binaries_untouched(witnesses):
    changed = [c for c in (w.changes() for w in witnesses) if c]
    if changed:
        raise Vulnerable("runtime binary modified from the container: " + "; ".join(changed))


# ----- host-side markers -----

def host_marker(t, name="host-secret"):
    """A host file outside every rootfs with unguessable content: reading it from a
    container is proof of host access."""
    secret = "host-secret-" + os.urandom(8).hex()
    path = t.path(name)
    with open(path, "w") as f:
        f.write(secret + "\n")
    os.chmod(path, 0o644)
    return path, secret


def tree(path):
    """Every entry below path (relative), for 'nothing appeared here' checks."""
    found = []
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            found.append(os.path.relpath(os.path.join(dirpath, n), path))
    return sorted(found)


# ----- containers -----

def reset_output(b):
    for p in (b.stdout, b.stderr):
        open(p, "w").close()


def attempt(t, b, timeout=20, extra=(), console=None):
    """create + start + wait + delete of one container. Returns ("refused", error text) when
    the runtime refused to create it, else ("ran", stdout, wait status)."""
    reset_output(b)
    r = t.create(b, extra=extra, timeout=timeout)
    if r.rc != 0:
        t.ids.remove(r.id)
        if r.rc == "timeout":
            raise Failure("create hung: %r" % r)
        return ("refused", first_line(r.err or r.out))
    cid = r.id
    st = t.state(cid)
    pid = st.get("pid")
    t.start_ok(cid)
    status = wait_exit(pid, timeout) if pid else None
    if pid and proc.alive(pid):
        raise Failure("container process %s still running after %ss" % (pid, timeout))
    t.wait_status(cid, "stopped", timeout=5)
    d = t.delete(cid)
    t.check(d.rc == 0, "delete failed: %r" % d)
    t.ids.remove(cid)
    return ("ran", framework._read(b.stdout), status)


def attempt_live(t, b, inspect, timeout=20):
    """Like attempt(), but calls inspect(pid) while the container's process still runs: the
    process must create /out/ready and then wait (e.g. `...; touch /out/ready; sleep 5`).
    Returns ("refused", error) or ("ran", stdout, what inspect returned)."""
    reset_output(b)
    ready = os.path.join(b.out, "ready")
    if os.path.exists(ready):
        os.unlink(ready)
    r = t.create(b, timeout=timeout)
    if r.rc != 0:
        t.ids.remove(r.id)
        return ("refused", first_line(r.err or r.out))
    pid = t.state(r.id)["pid"]
    t.start_ok(r.id)
    deadline = time.monotonic() + timeout
    while not os.path.exists(ready) and proc.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if not os.path.exists(ready):
        raise Failure("the container process did not get ready: %r" % framework._read(b.stderr)[-500:])
    seen = inspect(pid)
    t.kill(r.id, "KILL")
    wait_exit(pid, 10)
    t.wait_status(r.id, "stopped")
    t.delete(r.id)
    t.ids.remove(r.id)
    return ("ran", framework._read(b.stdout), seen)


def wait_exit(pid, timeout=10):
    """Waits for pid to end, reaping every zombie child of ours meanwhile: processes exec'd
    into a container are reparented to the harness (a subreaper) when the runtime's exec
    exits, and the container's init cannot finish dying until they are reaped."""
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        try:
            got, st = os.waitpid(pid, os.WNOHANG)
            if got == pid:
                status = st
                break
        except ChildProcessError:
            if not proc.alive(pid):
                break
        proc.reap_zombies()
        time.sleep(0.01)
    proc.reap_zombies()
    return status


def exec_detached(t, cid, *args):
    """`exec --detach`; its output goes to files, since the detached process keeps them."""
    return t.rt("exec", "--detach", cid, *args, files=(t.path("exec-detach.out"), t.path("exec-detach.err")),
                timeout=15)


def first_line(text):
    """The runtime's last error line, shortened to its kind so tallies group: no log
    prefix, temp paths and numbers folded."""
    lines = [l for l in text.strip().splitlines() if l.strip()]
    line = lines[-1] if lines else "(no message)"
    m = re.search(r'msg="(.*)"\s*$', line)
    if m:
        line = m.group(1).replace('\\"', '"')
    line = re.sub(r"/tmp/oci-security\.[^\s\"':)]*", "<tmp>", line)
    line = re.sub(r"\d+", "N", line)
    for noise in ("runc create failed: ", "unable to start container process: ", "error during container init: "):
        line = line.replace(noise, "")
    return line[:160]


class Racer:
    """A container that swaps two names in a shared volume as fast as it can: the attacker's
    second container of CVE-2021-30465 and its successors. The volume is bind-mounted at
    /vol; stop() ends the race and returns the number of swaps made."""

    def __init__(self, t, volume, a, b, seconds=60):
        self.t = t
        self.stop_path = os.path.join(volume, ".stop")
        self.bundle = t.bundle(name="racer")
        self.bundle.add_mount("/vol", "bind", volume, ["rbind", "rw"])
        self.bundle.config["process"]["args"] = [ATTACKER, "exchange", "/vol/" + a, "/vol/" + b, str(seconds)]
        self.bundle.config["process"]["env"].append("SEC_STOP=/vol/.stop")
        self.cid = t.create_ok(self.bundle)
        self.pid = t.state(self.cid)["pid"]
        t.start_ok(self.cid)
        # Let it get going before anything races it.
        time.sleep(0.2)
        if not proc.alive(self.pid):
            raise Failure("racer exited at once: %s" % framework._read(self.bundle.stdout))

    def stop(self):
        open(self.stop_path, "w").close()
        wait_exit(self.pid, 10)
        out = framework._read(self.bundle.stdout)
        os.unlink(self.stop_path)
        for line in out.splitlines():
            if line.startswith("swaps "):
                swaps = int(line.split()[1])
                if swaps == 0:
                    raise Failure("the racer made no swap: %s" % line)
                return swaps
        raise Failure("the racer did not report: %r %r" % (out, framework._read(self.bundle.stderr)))


def race(t, victim, racer, budget_s, max_attempts, judge, min_attempts=5):
    """Runs `victim` (a callable returning an attempt() result) while `racer` swaps, until
    the budget or max_attempts; `judge(result, i)` raises Vulnerable on a breach. Notes a
    tally of the outcomes."""
    tally = {}
    deadline = time.monotonic() + budget_s
    i = 0
    try:
        while i < max_attempts and (i < min_attempts or time.monotonic() < deadline):
            result = victim(i)
            i += 1
            key = result[0] if result[0] == "ran" else "refused: " + result[1]
            tally[key] = tally.get(key, 0) + 1
            judge(result, i)
    finally:
        swaps = racer.stop()
        t.note("%d attempts against %d swaps by the racer: %s" % (
            i, swaps, "; ".join("%s x%d" % (k, v) for k, v in sorted(tally.items()))))
    return tally


def vulnerable_lines(text):
    return [l for l in text.splitlines() if l.startswith("VULNERABLE")]


# ----- what the container sees of /proc -----

# Run inside a container: reports what its /proc is, whether maskedPaths and readonlyPaths
# hold there, and whether a planted fake /proc tree shows through.
PROC_AUDIT = r'''
echo "procfs=$(stat -f -c %T /proc 2>&1)"
echo "procino=$(stat -c %i /proc 2>&1)"
for f in /proc/keys /proc/timer_list; do
    [ -e "$f" ] && echo "masked $f=$(stat -L -c '%F %t:%T' "$f" 2>&1)"
done
[ -e /proc/acpi ] && echo "masked /proc/acpi=$(stat -f -c %T /proc/acpi 2>&1)"
echo "sysctl=$( (echo x > /proc/sys/kernel/domainname) 2>&1 && echo written)"
for d in /proc/sys /proc/sys/kernel /proc/self/attr; do echo "fstype $d=$(stat -f -c %T $d 2>&1)"; done
grep -rl FAKE-PROC /proc/keys /proc/timer_list /proc/self/attr 2>/dev/null | sed 's/^/fake /'
'''


def proc_audit_problems(out, host_has=("/proc/keys", "/proc/timer_list", "/proc/acpi")):
    """What is wrong with the /proc PROC_AUDIT saw: [] when it is a fresh procfs with its
    masks and read-only /proc/sys in place."""
    problems = []
    got = {}
    for line in out.splitlines():
        if "=" in line:
            k, _, v = line.partition("=")
            got[k.strip()] = v.strip()
        if line.startswith("fake "):
            problems.append("planted fake file visible at " + line[5:])
    if got.get("procfs") != "proc":
        problems.append("/proc is %r, not procfs" % got.get("procfs"))
    elif got.get("procino") != "1":
        problems.append("/proc is not the root of a procfs (inode %s)" % got.get("procino"))
    for f in host_has:
        if not os.path.exists(f):
            continue
        v = got.get("masked " + f)
        want = "tmpfs" if f == "/proc/acpi" else "character special file 1:3"
        if v != want:
            problems.append("maskedPaths: %s is %r, not %s" % (f, v, want))
    if got.get("sysctl", "").endswith("written"):
        problems.append("readonlyPaths: /proc/sys is writable")
    for d in ("/proc/sys", "/proc/sys/kernel", "/proc/self/attr"):
        fstype = got.get("fstype " + d)
        # What else is mounted there gets the runtime's sysctl and LSM writes.
        if got.get("procfs") == "proc" and fstype != "proc":
            problems.append("%s is %r, not procfs, inside the container's /proc" % (d, fstype))
    return problems


# ----- the host after every test -----

HOST_SYSCTLS = ["kernel/core_pattern", "kernel/hostname", "kernel/domainname", "kernel/shmmni",
                "kernel/modprobe", "fs/suid_dumpable", "vm/panic_on_oom"]
# Where other work on this machine (other test runs, engines) mounts things legitimately.
BUSY_PREFIXES = ("/tmp/", "/run/", "/var/lib/", "/sys/fs/cgroup/", "/proc/sys/fs/binfmt_misc")


class HostSnapshot:
    """Host-wide sysctls and the host's mount points outside scratch places: a breach that
    reached the host shows up here even when the test's own check missed it."""

    def __init__(self):
        self.values = self._take()

    @staticmethod
    def _take():
        got = {}
        for k in HOST_SYSCTLS:
            got[k] = proc.read_or_none("/proc/sys/" + k)
        got["mounts"] = sorted(set(m["mountpoint"] for m in proc.mountinfo()
                                   if not m["mountpoint"].startswith(BUSY_PREFIXES)))
        got["/"] = sorted(os.listdir("/"))
        return got

    def changes(self):
        now = self._take()
        out = []
        for k, v in self.values.items():
            if now.get(k) != v:
                if isinstance(v, list):
                    added = sorted(set(now[k]) - set(v))
                    gone = sorted(set(v) - set(now[k]))
                    out.append("%s: added %s, removed %s" % (k, added, gone))
                else:
                    out.append("%s: %r -> %r" % (k, v, now.get(k)))
        return out
