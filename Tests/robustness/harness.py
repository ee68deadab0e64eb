"""Shared pieces of the robustness driver: the runtime under test, a private test
environment (temp dir, state root, bundle, cgroup parent) and a TAP-ish reporter."""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CGROUP_ROOT = "/sys/fs/cgroup"


class Result:
    """What one command did: exit code, output, wall time in seconds."""

    def __init__(self, argv, code, out, err, seconds):
        self.argv, self.code, self.out, self.err, self.seconds = argv, code, out, err, seconds

    @property
    def ok(self):
        return self.code == 0

    def __str__(self):
        return "%s -> %s (%.1f ms)%s%s" % (" ".join(self.argv), self.code, self.seconds * 1000,
                                           ("\n  stdout: " + self.out.strip()) if self.out.strip() else "",
                                           ("\n  stderr: " + self.err.strip()) if self.err.strip() else "")


class Runtime:
    """The binary under test, always with the environment's private --root."""

    def __init__(self, binary, root):
        self.binary, self.root = binary, root

    def argv(self, *args):
        return [self.binary, "--root", self.root] + list(args)

    def run(self, *args, timeout=30, stdin=None):
        """Runs to completion. Output goes through files, not pipes: a created container
        inherits the runtime's stdio, and a pipe would stay open as long as it lives."""
        argv = self.argv(*args)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.monotonic()
            try:
                p = subprocess.run(argv, input=stdin.encode() if stdin is not None else None,
                                   stdin=subprocess.DEVNULL if stdin is None else None,
                                   stdout=out, stderr=err, timeout=timeout)
                code = p.returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
            seconds = time.monotonic() - started
            out.seek(0)
            err.seek(0)
            return Result(argv, code, out.read().decode(errors="replace"), err.read().decode(errors="replace"), seconds)

    def spawn(self, *args, wrapper=(), out=None):
        """Starts without waiting (for kill points and races); stdio to `out` or nowhere."""
        sink = out if out is not None else subprocess.DEVNULL
        return subprocess.Popen(list(wrapper) + self.argv(*args), stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)


class OrphanReaper:
    """Makes this driver a child subreaper (as containerd-shim and conmon are) and reaps the
    orphans that get reparented to it, at once. Without it orphans go to the machine's init,
    which here reaps lazily (about every 1.5 s): a SIGKILLed `exec` leaves its half-started
    process to it, and the container's init, dying, waits in the kernel until that zombie is
    reaped, so every `delete --force` would take that long.

    Only processes that no live Popen owns are reaped: Popen.wait must still see its own
    child's status. A lock around Popen creation closes the fork-to-registered window."""

    PR_SET_CHILD_SUBREAPER = 36
    installed = None

    @classmethod
    def install(cls):
        """Once per driver, before its first subprocess."""
        if cls.installed is None:
            cls.installed = cls()
        return cls.installed

    def __init__(self):
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(self.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
        self.lock = threading.Lock()
        self.owned = {}   # pid -> weakref to its Popen
        self.reaped = 0
        original = subprocess.Popen.__init__
        reaper = self

        def init(popen, *args, **kwargs):
            with reaper.lock:
                original(popen, *args, **kwargs)
                reaper.owned[popen.pid] = weakref.ref(popen)
        subprocess.Popen.__init__ = init
        threading.Thread(target=self.loop, daemon=True, name="orphan-reaper").start()

    def children(self):
        pids = []
        for tid in os.listdir("/proc/self/task"):
            try:
                with open("/proc/self/task/%s/children" % tid) as f:
                    pids += [int(p) for p in f.read().split()]
            except OSError:
                pass
        return pids

    def is_owned(self, pid):
        ref = self.owned.get(pid)
        popen = ref() if ref else None
        return popen is not None and popen.returncode is None

    def loop(self):
        while True:
            with self.lock:
                for pid in self.children():
                    if self.is_owned(pid):
                        continue
                    try:
                        done, _ = os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        continue
                    if done:
                        self.reaped += 1
                        self.owned.pop(pid, None)
            time.sleep(0.003)


class TestCgroup:
    """A cgroup of our own in every mounted hierarchy, below the caller's cgroup, that this
    driver moves itself into: the runtime then puts container cgroups (no cgroupsPath or a
    relative one) below it, and anything left below it afterwards is a leak."""

    def __init__(self, name):
        self.name = name
        self.dirs = {}        # hierarchy key ("" for cgroup2, else the controller list) -> dir
        self.original = {}    # hierarchy key -> the caller's own cgroup dir

    @staticmethod
    def hierarchies():
        """hierarchy key -> mount point, from our mountinfo."""
        found = {}
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                fields, rfields = left.split(), right.split()
                if len(rfields) < 3:
                    continue
                if rfields[0] == "cgroup2":
                    found[""] = fields[4]
                elif rfields[0] == "cgroup":
                    opts = [o for o in rfields[2].split(",") if o not in
                            ("rw", "ro", "relatime", "nosuid", "nodev", "noexec", "clone_children", "xattr")
                            and not o.startswith("release_agent")]
                    found[",".join(opts)] = fields[4]
        return found

    @staticmethod
    def own_cgroups(pid="self"):
        result = {}
        with open("/proc/%s/cgroup" % pid) as f:
            for line in f:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) == 3:
                    result[parts[1]] = parts[2]
        return result

    def enter(self):
        mounts, own = self.hierarchies(), self.own_cgroups()
        for key, mount in mounts.items():
            if key not in own:
                continue
            caller = os.path.join(mount, own[key].lstrip("/"))
            d = os.path.join(caller, self.name)
            os.makedirs(d, exist_ok=True)
            if "cpuset" in key.split(","):
                # A new v1 cpuset starts empty and takes no task until it has cpus and mems.
                for f in ("cpuset.cpus", "cpuset.mems"):
                    with open(os.path.join(caller, f)) as src:
                        value = src.read().strip()
                    with open(os.path.join(d, f), "w") as dst:
                        dst.write(value)
            self.original[key], self.dirs[key] = caller, d
        for key, d in self.dirs.items():
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def leave(self):
        """Back to the caller's cgroups; removes ours if empty (returns what could not be)."""
        left = []
        for key, caller in self.original.items():
            try:
                with open(os.path.join(caller, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))
            except OSError as e:
                left.append("%s: move back: %s" % (caller, e))
        for key, d in self.dirs.items():
            try:
                os.rmdir(d)
            except OSError as e:
                left.append("%s: %s" % (d, e))
        return left


class Environment:
    """One driver run's private world. Every container id starts with the token; every path
    lives in `base`; the container's process carries the token in its environment."""

    def __init__(self, binary):
        self.token = "srb%d" % os.getpid()
        self.base = tempfile.mkdtemp(prefix="swiftlet-robust-%s-" % self.token)
        self.root = os.path.join(self.base, "state")
        self.bundle = os.path.join(self.base, "bundle")
        # The same with docker's seccomp profile: create then compiles it and fills the cache.
        self.seccomp_bundle = os.path.join(self.base, "bundle-seccomp")
        self.runtime = Runtime(binary, self.root)
        self.cgroup = TestCgroup("swiftlet-robust-" + self.token)
        self.counter = 0

    def setup(self):
        self.reaper = OrphanReaper.install()
        os.makedirs(self.root)
        make_bundle(self.bundle, ["sleep", "1000"], self.token)
        make_bundle(self.seccomp_bundle, ["sleep", "1000"], self.token, edit=with_docker_seccomp)
        self.cgroup.enter()

    def teardown(self):
        problems = self.cgroup.leave()
        shutil.rmtree(self.base, ignore_errors=True)
        return problems

    def new_id(self, label):
        self.counter += 1
        return "%s-%s-%d" % (self.token, label, self.counter)


def make_bundle(directory, args, token, edit=None):
    """scripts/mkbundle.sh, then the process gets ROBUST_TOKEN=<token> and `edit(config)`
    may change the config further."""
    import json
    subprocess.run(["sh", os.path.join(REPO, "scripts", "mkbundle.sh"), directory] + args,
                   check=True, stdout=subprocess.DEVNULL)
    path = os.path.join(directory, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["process"]["env"].append("ROBUST_TOKEN=" + token)
    if edit:
        edit(config)
    with open(path, "w") as f:
        json.dump(config, f, indent="\t")


def with_docker_seccomp(config):
    import json
    with open(os.path.join(REPO, "Tests", "OCISpecTests", "Fixtures", "engine-configs", "docker.json")) as f:
        config["linux"]["seccomp"] = json.load(f)["linux"]["seccomp"]


class Reporter:
    """TAP-ish: `ok N - name # detail`, `not ok N - name` with indented diagnostics, `ok N -
    name # SKIP why`, and at the end `N passed, N failed, N skipped`."""

    def __init__(self, out=sys.stdout):
        self.out = out
        self.n = self.passed = self.failed = self.skipped = 0
        self.timings = []

    def line(self, text):
        print(text, file=self.out, flush=True)

    def ok(self, name, detail=""):
        self.n += 1
        self.passed += 1
        self.line("ok %d - %s%s" % (self.n, name, (" # " + detail) if detail else ""))

    def fail(self, name, diagnostics):
        self.n += 1
        self.failed += 1
        self.line("not ok %d - %s" % (self.n, name))
        for d in (diagnostics if isinstance(diagnostics, list) else str(diagnostics).splitlines()):
            for line in str(d).splitlines():
                self.line("  # " + line)

    def skip(self, name, why):
        self.n += 1
        self.skipped += 1
        self.line("ok %d - %s # SKIP %s" % (self.n, name, why))

    def check(self, name, problems, detail=""):
        if problems:
            self.fail(name, problems)
        else:
            self.ok(name, detail)

    def summary(self):
        for part, seconds in self.timings:
            self.line("# %s took %.1f s" % (part, seconds))
        self.line("1..%d" % self.n)
        self.line("%d passed, %d failed, %d skipped" % (self.passed, self.failed, self.skipped))
