"""Host-side observation: /proc, mountinfo, cgroups, reaping."""
import ctypes
import errno
import os
import subprocess
import time

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36
MNT_DETACH = 2


def become_subreaper():
    """Container processes outlive the runtime's create; as a subreaper the
    harness inherits them, reaps them (no zombies pile up) and sees their
    exit status."""
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = data[data.rindex(")") + 2:].split()[0]
    return state not in ("Z", "X")


def wait_pid(pid, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
            if got == pid:
                return status
        except ChildProcessError:
            # not our child (reaped elsewhere, or the runtime keeps it)
            if not alive(pid):
                return None
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


def reap_zombies():
    """Reaps zombie children of ours by pid (never waitpid(-1): that would
    steal the exit status of a subprocess the harness is waiting for)."""
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                data = f.read()
        except OSError:
            continue
        rest = data[data.rindex(")") + 2:].split()
        if rest[0] == "Z" and int(rest[1]) == me:
            try:
                os.waitpid(int(name), os.WNOHANG)
            except ChildProcessError:
                pass


def exit_code(status):
    """Shell-style exit code of a wait status (128+N for signal N)."""
    if status is None:
        return None
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return None


def ns_inode(pid, ns):
    return os.readlink("/proc/%s/ns/%s" % (pid, ns))


def status_fields(pid):
    out = {}
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def parse_mountinfo(text):
    """List of dicts: id, parent, major_minor, root, mountpoint, opts (set),
    optional (list), fstype, source, super (set)."""
    mounts = []
    for line in text.splitlines():
        if not line.strip():
            continue
        left, _, right = line.partition(" - ")
        f = left.split()
        r = right.split()
        mounts.append({
            "id": f[0], "parent": f[1], "major_minor": f[2], "root": _unescape(f[3]),
            "mountpoint": _unescape(f[4]), "opts": set(f[5].split(",")), "optional": f[6:],
            "fstype": r[0] if r else "", "source": r[1] if len(r) > 1 else "",
            "super": set(r[2].split(",")) if len(r) > 2 else set(),
        })
    return mounts


def _unescape(s):
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def mountinfo(pid="self"):
    with open("/proc/%s/mountinfo" % pid) as f:
        return parse_mountinfo(f.read())


def find_mount(mounts, mountpoint):
    """Top-most mount at mountpoint (the last one listed)."""
    found = [m for m in mounts if m["mountpoint"] == mountpoint]
    return found[-1] if found else None


def mount(source, target, fstype=None, flags=(), data=None):
    argv = ["mount"]
    if fstype:
        argv += ["-t", fstype]
    for fl in flags:
        argv.append(fl)
    if data:
        argv += ["-o", data]
    argv += [source, target]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def umount(target):
    _libc.umount2(target.encode(), MNT_DETACH)


def unmount_under(prefix, extra):
    """Lazily unmounts every mount at or below prefix in our namespace,
    deepest first, plus the paths in extra."""
    targets = set(extra)
    try:
        for m in mountinfo():
            mp = m["mountpoint"]
            if mp == prefix or mp.startswith(prefix.rstrip("/") + "/"):
                targets.add(mp)
    except OSError:
        pass
    for t in sorted(targets, key=len, reverse=True):
        for _ in range(8):
            if _libc.umount2(t.encode(), MNT_DETACH) != 0:
                break


def cgroup_paths(pid):
    """{controller: path} from /proc/<pid>/cgroup (v1 lines; '' for v2)."""
    out = {}
    with open("/proc/%s/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in ctrls.split(","):
                out[c.replace("name=", "")] = path
    return out


CGROUP_ROOT = "/sys/fs/cgroup"


def cgroup_dir(controller, path):
    return os.path.join(CGROUP_ROOT, controller, path.lstrip("/"))


def read(path):
    with open(path) as f:
        return f.read()


def read_or_none(path):
    try:
        return read(path)
    except OSError:
        return None


def sh(cmd, check=True, timeout=20):
    """Runs a host shell command, returns stdout."""
    p = subprocess.run(["sh", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("host command failed (%d): %s: %s" % (p.returncode, cmd, p.stderr.decode()))
    return p.stdout.decode()


class Holder:
    """A long-lived host process in fresh namespaces (`unshare`), used for
    namespaces-by-path tests; killed by pid at cleanup."""

    def __init__(self, ctx, flags):
        user = {}
        if ctx.rootless:
            # The rootless user's own namespaces, under a user namespace of its own: a
            # container joins that user namespace too (Bundle.join_userns), as a rootless
            # pod's containers join its infra container's.
            flags = ["--user", "--map-root-user"] + flags
            user = ctx.rootless.popen_args()
        self.p = subprocess.Popen(["unshare"] + flags + ["sleep", "600"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, **user)
        ctx.defer(self.stop)
        # unshare execs sleep; --fork would put sleep in a child, so wait for
        # the namespaces to differ from ours.
        deadline = time.monotonic() + 5
        self.pid = self.p.pid
        while time.monotonic() < deadline:
            try:
                if os.readlink("/proc/%d/exe" % self.pid).endswith("sleep"):
                    break
            except OSError:
                pass
            time.sleep(0.01)

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def errno_name(code):
    return errno.errorcode.get(code, str(code))
