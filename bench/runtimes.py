"""The runtimes under test: binary, private --root, container ids, cleanup."""

import glob
import json
import os
import shutil
from dataclasses import dataclass, field

import procs

ID_PREFIX = "swbench-"


@dataclass
class Runtime:
    name: str          # column name: swiftlet, runc, crun
    key: str           # short tag inside container ids
    binary: str
    root: str          # private state dir (--root)
    broken: str = ""   # why the sanity check failed; a broken runtime is never timed
    exec_na: str = ""  # why exec is not available / failed its check
    ids: list = field(default_factory=list)   # every id ever used, for cleanup
    _n: int = 0

    def cmd(self, *args: str) -> list[str]:
        return [self.binary, "--root", self.root, *args]

    def new_id(self) -> str:
        self._n += 1
        cid = f"{ID_PREFIX}{self.key}-{self._n}"
        self.ids.append(cid)
        return cid

    def version_lines(self) -> list[str]:
        o = procs.quiet([self.binary, "--version"])
        return o.out.strip().splitlines() if o.ok else [f"--version failed: {o.describe()}"]


KNOWN = {
    "swiftlet": ("sl", None),
    "runc": ("rc", "/usr/sbin/runc"),
    "crun": ("cr", "/usr/bin/crun"),
}


def make(names: list[str], swiftlet: str, workdir: str) -> list[Runtime]:
    out = []
    for name in names:
        key, default = KNOWN[name]
        binary = os.path.abspath(swiftlet) if name == "swiftlet" else default
        root = os.path.join(workdir, f"root-{name}")
        os.makedirs(root, mode=0o700, exist_ok=True)
        out.append(Runtime(name, key, binary, root))
    return out


def read_pid(path: str) -> int:
    with open(path) as f:
        return int(f.read().strip())


def state_pid(rt: Runtime, cid: str) -> int:
    o = procs.quiet(rt.cmd("state", cid))
    if not o.ok:
        return 0
    try:
        return int(json.loads(o.out).get("pid") or 0)
    except ValueError:
        return 0


def mount_type(path: str) -> str:
    """fstype of the last mount at exactly path, or "" (mountinfo escapes spaces)."""
    found = ""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            if left.split()[4] == path:
                found = right.split()[0]
    return found


def _cgroup_dirs() -> list[str]:
    # Inside the bench's mount namespace every v1 hierarchy (memory remounted)
    # is rooted at or above the bench's own cgroup; containers without a
    # cgroupsPath land at <hierarchy>/<id>. Only real cgroup mounts count (the
    # private tmpfs over unified/ holds crun's stray directories, it goes away
    # with the namespace).
    dirs = [d for d in glob.glob(f"/sys/fs/cgroup/*/{ID_PREFIX}*")
            if mount_type(os.path.dirname(d)) in ("cgroup", "cgroup2")]
    return sorted(dirs, key=len, reverse=True)


def cleanup(runtimes: list[Runtime]) -> list[str]:
    """Removes every container the bench may have left: delete --force of each
    id in each private root, then SIGKILL by pid of anything still in one of
    our cgroups, then rmdir of those cgroups. Returns what it had to do."""
    notes = []
    for rt in runtimes:
        ids = set(rt.ids)
        if os.path.isdir(rt.root):
            ids.update(d for d in os.listdir(rt.root) if d.startswith(ID_PREFIX))
        for cid in sorted(ids):
            if not os.path.exists(os.path.join(rt.root, cid)):
                continue
            pid = state_pid(rt, cid)
            o = procs.quiet(rt.cmd("delete", "--force", cid))
            notes.append(f"{rt.name}: delete --force {cid} -> {o.rc}")
            if pid:
                procs.kill_pid(pid)
    for d in _cgroup_dirs():
        procs_file = os.path.join(d, "cgroup.procs")
        try:
            with open(procs_file) as f:
                pids = [int(x) for x in f.read().split()]
        except OSError:
            pids = []
        for pid in pids:
            procs.kill_pid(pid)
            notes.append(f"killed leftover pid {pid} in {d}")
    procs.reap_orphans()
    for d in _cgroup_dirs():
        for sub, _, _ in sorted(os.walk(d), key=lambda t: len(t[0]), reverse=True):
            try:
                os.rmdir(sub)
                notes.append(f"removed cgroup {sub}")
            except OSError as e:
                notes.append(f"could not remove cgroup {sub}: {e.strerror}")
    procs.reap_orphans()
    return notes


def remove_workdir(workdir: str) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
