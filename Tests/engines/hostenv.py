"""What the group does to the host, and how it checks and undoes it: the cgroup subtree its
containers live in, mounts under its work directory, host paths the engines create whatever
their flags say, and processes that outlive their engine."""

import os
import signal
import time

SELF = "/proc/self"


def _mountinfo(super_options=False):
    """(mount point, fs type, root[, super options]) per line of our mountinfo, octal escapes
    decoded."""
    entries = []
    with open(f"{SELF}/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            decode = lambda s: s.encode().decode("unicode_escape")
            entry = (decode(fields[4]), fields[sep + 1], decode(fields[3]))
            if super_options:
                entry += (set(fields[sep + 3].split(",")) if len(fields) > sep + 3 else set(),)
            entries.append(entry)
    return entries


class CgroupPlace:
    """<our own cgroup>/swiftlet-engines-<pid>: every container of the group goes below it (an
    absolute cgroupsPath, so all three engines accept it). Our own cgroup is the memory
    controller's on cgroup v1 (where the caller is accounted) or the unified one."""

    def __init__(self, name=None):
        own = {}
        with open(f"{SELF}/cgroup") as f:
            for line in f:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                for c in controllers.split(",") if controllers else [""]:
                    own[c] = path
        caller = own.get("memory", own.get("", "/"))
        self.path = os.path.join(caller, name or f"swiftlet-engines-{os.getpid()}")
        # Each hierarchy's mount point and the cgroup its root shows.
        self.hierarchies = [(mp, root) for mp, fstype, root in _mountinfo() if fstype in ("cgroup", "cgroup2")]
        self._created = []

    def sub(self, *parts):
        return os.path.join(self.path, *parts)

    def _directory(self, mount_point, root, cgroup_path):
        relative = os.path.relpath(cgroup_path, root)
        return None if relative.startswith("..") else os.path.normpath(os.path.join(mount_point, relative))

    def directories(self, cgroup_path=None):
        dirs = (self._directory(mp, root, cgroup_path or self.path) for mp, root in self.hierarchies)
        return [d for d in dirs if d]

    def prepare(self):
        """Remembers, per hierarchy, which directories on the way to our place do not exist yet
        (the runtimes create them; remove() takes them away again)."""
        for mp, root in self.hierarchies:
            d = self._directory(mp, root, self.path)
            chain = []
            while d and d != mp and not os.path.exists(d):
                chain.append(d)
                d = os.path.dirname(d)
            self._created.extend(chain)  # deepest first

    def leftovers(self):
        """(cgroup directories below our place, pids still in any of them)."""
        dirs, pids = [], set()
        for top in self.directories():
            for current, subdirs, files in os.walk(top):
                if current != top:
                    dirs.append(current)
                if "cgroup.procs" in files:
                    try:
                        with open(os.path.join(current, "cgroup.procs")) as f:
                            pids.update(int(p) for p in f.read().split())
                    except OSError:
                        pass
        return sorted(set(dirs)), sorted(pids)

    def remove(self):
        """rmdir, deepest first, of everything below our place, the place, and its ancestors we
        made; returns what would not go."""
        failed = []
        victims = []
        for top in self.directories():
            for current, _, _ in os.walk(top, topdown=False):
                victims.append(current)
        victims.extend(self._created)
        for d in sorted(set(victims), key=lambda p: -p.count("/")):
            if not os.path.isdir(d):
                continue
            for attempt in range(50):  # a cgroup whose last task just died can be EBUSY briefly
                try:
                    os.rmdir(d)
                    break
                except OSError as e:
                    if attempt == 49:
                        failed.append(f"{d}: {e.strerror}")
                    time.sleep(0.1)
        return failed


def mounts_under(directory):
    directory = directory.rstrip("/") + "/"
    return [mp for mp, _, _ in _mountinfo() if (mp + "/").startswith(directory)]


def unmount_all(mount_points):
    failed = []
    for mp in sorted(set(mount_points), key=lambda p: -p.count("/")):
        if os.system(f"umount -l '{mp}' 2>/dev/null") != 0 and mp in mounts_under(os.path.dirname(mp)):
            failed.append(mp)
    return failed


# Paths outside the work directory that the engines create whatever their root flags say:
# podman's netns directory (a shared self-bind) and image blob cache, CNI's lock, containerd's
# shim sockets, dockerd's plugin directory and trust key. Deepest first.
HOST_FOOTPRINT = [
    "/run/netns",
    "/var/lib/containers/cache/blob-info-cache-v1.boltdb", "/var/lib/containers/cache", "/var/lib/containers",
    "/etc/cni/net.d/cni.lock",
    "/run/containerd/s", "/run/containerd/runc", "/run/containerd",
    "/run/docker/plugins", "/run/docker",
    "/etc/docker/key.json",
]


class HostFootprint:
    def __init__(self, paths=HOST_FOOTPRINT):
        self.before = {p: os.path.lexists(p) for p in paths}
        self.mounted_before = {p for p in paths if p in mounts_under(os.path.dirname(p) or "/")}

    def restore(self):
        """Removes what the group created (files, empty directories, an empty self-bound
        /run/netns); returns what it left because it was not empty."""
        kept = []
        for path, existed in self.before.items():
            if existed or not os.path.lexists(path):
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                if path not in self.mounted_before and path in mounts_under(os.path.dirname(path)) and not os.listdir(path):
                    os.system(f"umount '{path}' 2>/dev/null")
                try:
                    os.rmdir(path)
                except OSError:
                    kept.append(f"{path} (not empty: {', '.join(sorted(os.listdir(path))[:5])})")
            else:
                os.unlink(path)
        return kept


def processes_mentioning(text):
    """PIDs (other than ours) whose command line contains text: conmon, shims, daemons."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


def describe_process(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f"{pid} " + f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
    except OSError:
        return f"{pid} (gone)"


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def frozen(pid):
    """Whether the freezer holds pid's cgroup: v1 freezer.state, else v2 cgroup.freeze."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    for _, controllers, path in lines:
        for mp, fstype, root, options in _mountinfo(super_options=True):
            if controllers and fstype == "cgroup" and "freezer" in controllers.split(",") and "freezer" in options:
                file = os.path.join(mp, os.path.relpath(path, root), "freezer.state")
            elif not controllers and fstype == "cgroup2":
                file = os.path.join(mp, os.path.relpath(path, root), "cgroup.freeze")
            else:
                continue
            if os.path.exists(file):
                with open(file) as f:
                    return f.read().strip() in ("FROZEN", "1")
    raise RuntimeError(f"no freezer file for pid {pid}")
