"""What a container or a killed runtime can leave on the host, for one test environment:
mounts under its directory, cgroup directories (and their processes) below its cgroup parent,
processes that mention it, and state directories, fifos and temp files under its --root."""

import os


class Leaks:
    def __init__(self):
        self.mounts, self.cgroups, self.processes, self.state = [], [], [], []

    def __bool__(self):
        return bool(self.mounts or self.cgroups or self.processes or self.state)

    def count(self):
        return len(self.mounts) + len(self.cgroups) + len(self.processes) + len(self.state)

    def lines(self):
        return (["mount: " + m for m in self.mounts] + ["cgroup: " + c for c in self.cgroups]
                + ["process: " + p for p in self.processes] + ["state: " + s for s in self.state])

    def pids(self):
        return sorted({int(p.split(":", 1)[0]) for p in self.processes})


def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def mounts(env):
    text = read("/proc/self/mountinfo") or ""
    return [line for line in text.splitlines() if env.base in line or env.token in line]


def cgroup_dirs(env):
    """Every directory below the test cgroup parent is a leak: the parent itself holds only
    this driver (and the commands it is running)."""
    found = []
    for key, top in env.cgroup.dirs.items():
        for dirpath, dirnames, _ in os.walk(top):
            for d in dirnames:
                found.append(os.path.join(dirpath, d))
    return sorted(found)


def cgroup_pids(env):
    pids = set()
    for top in env.cgroup.dirs.values():
        for dirpath, _, _ in os.walk(top):
            for line in (read(os.path.join(dirpath, "cgroup.procs")) or "").split():
                pids.add(int(line))
    return pids


def process_state(pid):
    """(state letter, ppid) from /proc/PID/stat, or None if it is gone."""
    stat = read("/proc/%d/stat" % pid)
    if not stat:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[0], int(fields[1])


def processes(env, excluding=()):
    """Processes of the test: their cmdline, environment, cwd or root names the test's
    directory or token, or they sit in the test's cgroups. The driver itself and `excluding`
    (commands it is running on purpose) are not leaks, and neither is a zombie that the
    machine's init has not reaped yet (it is gone from the container, this VM reaps lazily)."""
    me = os.getpid()
    skip = set(excluding) | {me}
    in_cgroup = cgroup_pids(env)
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        if pid in skip:
            continue
        why = None
        if pid in in_cgroup:
            why = "in the test cgroup"
        else:
            for f in ("cmdline", "environ"):
                data = read("/proc/%d/%s" % (pid, f), "rb")
                if data and (env.base.encode() in data or env.token.encode() in data):
                    why = f + " mentions the test"
                    break
            if not why:
                for link in ("cwd", "root"):
                    try:
                        target = os.readlink("/proc/%d/%s" % (pid, link))
                    except OSError:
                        continue
                    if env.base in target:
                        why = "%s is %s" % (link, target)
                        break
        if not why:
            continue
        st = process_state(pid)
        if st is None:
            continue
        if st[0] == "Z" and st[1] == 1:
            continue
        cmd = (read("/proc/%d/cmdline" % pid, "rb") or b"?").replace(b"\0", b" ").decode(errors="replace")
        found.append("%d: %s; state %s, ppid %d; %s" % (pid, why, st[0], st[1], cmd.strip()))
    return found


def state_entries(env):
    """Container directories (and anything else but the runtime's caches) under --root, plus
    temp files left in the caches."""
    found = []
    try:
        names = os.listdir(env.root)
    except FileNotFoundError:
        return found
    for name in names:
        path = os.path.join(env.root, name)
        if name in (".seal", ".seccomp-cache"):
            for dirpath, _, filenames in os.walk(path):
                # A cache entry is a finished file; a killed writer leaves a temp name behind.
                for f in filenames:
                    if ".tmp" in f or f.startswith("."):
                        found.append(os.path.join(dirpath, f))
            continue
        found.append(path + ("/ (" + ", ".join(sorted(os.listdir(path))) + ")" if os.path.isdir(path) else ""))
    return sorted(found)


def check(env, excluding=()):
    leaks = Leaks()
    leaks.mounts = mounts(env)
    leaks.cgroups = cgroup_dirs(env)
    leaks.processes = processes(env, excluding)
    leaks.state = state_entries(env)
    return leaks


def wait_clean(env, seconds=2.0, excluding=()):
    """Processes SIGKILLed a moment ago may still be exiting: look again for a little while
    before calling anything a leak."""
    import time
    deadline = time.monotonic() + seconds
    while True:
        leaks = check(env, excluding)
        if not leaks or time.monotonic() >= deadline:
            return leaks
        time.sleep(0.02)


def reap_children():
    """Zombies of commands we killed ourselves (timeouts) are ours to reap."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def force_clean(env, leaks):
    """Last resort after a failed check, so one failure does not cascade into the next test:
    SIGKILL leaked processes by pid, remove leaked cgroups and state. Returns what it did."""
    import shutil
    import signal
    done = []
    for pid in leaks.pids():
        try:
            os.kill(pid, signal.SIGKILL)
            done.append("killed %d" % pid)
        except OSError:
            pass
    import time
    time.sleep(0.05)
    for d in sorted(cgroup_dirs(env), key=len, reverse=True):
        try:
            os.rmdir(d)
            done.append("rmdir " + d)
        except OSError as e:
            done.append("rmdir %s: %s" % (d, e))
    for name in os.listdir(env.root) if os.path.isdir(env.root) else []:
        if name not in (".seal", ".seccomp-cache"):
            shutil.rmtree(os.path.join(env.root, name), ignore_errors=True)
            done.append("rm -r " + name)
    for line in mounts(env):
        mp = line.split()[4]
        os.system("umount -l '%s' 2>/dev/null" % mp)
        done.append("umount " + mp)
    return done
