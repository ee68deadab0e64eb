"""The rootless pass: a throw-away unprivileged user who runs the runtime under test.

The harness stays root: it makes the user (with its own /etc/subuid and /etc/subgid
ranges, so newuidmap/newgidmap can map more than the user's own ids), hands it the
per-test directories, starts every runtime command as that user with a clean
environment, observes container processes from outside and removes the user and
its files afterwards, also after a failure, Ctrl-C or SIGTERM.
"""
import os
import pwd
import shutil
import signal
import subprocess
import tempfile

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Tests written for root map container ids to host ids 100000 and up (ns_user uses
# 200000 for gids); the user's subordinate range stands in for that block.
ROOT_PASS_BASE = 100000
SUB_COUNT = 300000
TOOLS = ("useradd", "userdel", "usermod", "newuidmap", "newgidmap")


def userns_forbidden():
    """Why unprivileged user namespaces are off here, or None."""
    for path, bad in (("/proc/sys/kernel/unprivileged_userns_clone", "0"),
                      ("/proc/sys/user/max_user_namespaces", "0"),
                      ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1")):
        try:
            with open(path) as f:
                if f.read().strip() == bad:
                    return "%s is %s" % (path, bad)
        except FileNotFoundError:
            pass
    return None


class RootlessUser:
    def __init__(self):
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            raise SystemExit("the rootless pass needs %s (scripts/install-deps.sh installs uidmap and passwd)"
                             % ", ".join(missing))
        forbidden = userns_forbidden()
        if forbidden:
            raise SystemExit("the rootless pass needs unprivileged user namespaces: " + forbidden)
        self.name = "swcf%d" % (os.getpid() % 100000)
        self.home = tempfile.mkdtemp(prefix="oci-conformance-user.")
        self.created = False
        self._old_handlers = {}

    # ----- life -----
    def create(self):
        # SIGTERM (CI timeouts) must unwind through the callers' finally blocks too.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, _exit_on_signal)
        # No automatic subordinate range: ours is bigger and out of the way of other users'.
        subprocess.run(["useradd", "--no-create-home", "--home-dir", self.home, "--shell", "/bin/sh",
                        "--user-group", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", self.name],
                       check=True, capture_output=True)
        self.created = True
        pw = pwd.getpwnam(self.name)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        start = 2000000000 + (self.uid % 1000) * SUB_COUNT
        subprocess.run(["usermod", "--add-subuids", "%d-%d" % (start, start + SUB_COUNT - 1),
                        "--add-subgids", "%d-%d" % (start, start + SUB_COUNT - 1), self.name],
                       check=True, capture_output=True)
        self.subuid = sub_range("/etc/subuid", self.name)
        self.subgid = sub_range("/etc/subgid", self.name)
        if self.subuid is None or self.subgid is None:
            raise RuntimeError("usermod did not record subordinate ids for %s" % self.name)
        os.chown(self.home, self.uid, self.gid)
        os.chmod(self.home, 0o700)
        self.xdg = os.path.join(self.home, "xdg")
        os.mkdir(self.xdg, 0o700)
        os.chown(self.xdg, self.uid, self.gid)

    def remove(self):
        if self.created:
            # Processes the user still has would keep userdel from succeeding.
            for pid in _pids_of_uid(self.uid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            subprocess.run(["userdel", self.name], capture_output=True)
            remove_sub_ranges(self.name)
            self.created = False
        shutil.rmtree(self.home, ignore_errors=True)
        for sig, old in self._old_handlers.items():
            signal.signal(sig, old)
        self._old_handlers = {}

    def gone(self):
        return not os.path.exists(self.home) and subprocess.run(
            ["id", self.name], capture_output=True).returncode != 0

    # ----- running as the user -----
    def env(self, extra=None):
        e = {"PATH": PATH, "HOME": self.home, "USER": self.name, "LOGNAME": self.name,
             "XDG_RUNTIME_DIR": self.xdg}
        if extra:
            # A test that passes env=dict(os.environ, X=...) means "the caller's env plus X":
            # the caller here is the user, so only what the test added is carried over.
            e.update({k: v for k, v in extra.items() if os.environ.get(k) != v})
        return e

    def popen_args(self):
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, path):
        """Gives path (recursively, symlinks themselves, never their targets) to the user."""
        subprocess.run(["chown", "-R", "-h", "%d:%d" % (self.uid, self.gid), path], check=True)

    def host_id(self, n, kind="uid"):
        """The host id standing in for id n of the root pass's 100000+ block."""
        start, count = self.subuid if kind == "uid" else self.subgid
        off = n - ROOT_PASS_BASE
        if not 0 <= off < count:
            raise ValueError("host id %d is outside the block the rootless pass maps" % n)
        return start + off


def _exit_on_signal(signum, frame):
    raise SystemExit("interrupted by signal %d" % signum)


def remove_sub_ranges(name):
    """Drops NAME's lines from /etc/subuid and /etc/subgid (userdel leaves them)."""
    for path in ("/etc/subuid", "/etc/subgid"):
        with open(path) as f:
            lines = f.readlines()
        kept = [l for l in lines if not l.startswith(name + ":")]
        if kept != lines:
            with open(path, "w") as f:
                f.writelines(kept)


def sub_range(path, name):
    """NAME's (start, count) in /etc/subuid or /etc/subgid, or None."""
    with open(path) as f:
        for line in f:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[0] == name:
                return int(parts[1]), int(parts[2])
    return None


def _pids_of_uid(uid):
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.stat("/proc/" + name).st_uid == uid:
                out.append(int(name))
        except OSError:
            pass
    return out


def rootless_template(config, uid, gid):
    """What `swiftlet spec --rootless` (and `runc spec --rootless`) change in a config:
    a user namespace mapping the user to root instead of a network namespace, /sys bound
    from the host, no uid=/gid= mount options, no linux.resources."""
    linux = config.setdefault("linux", {})
    linux["namespaces"] = [n for n in linux.get("namespaces", []) if n["type"] not in ("network", "user")]
    linux["namespaces"].append({"type": "user"})
    linux["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1}]
    linux["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1}]
    linux.pop("resources", None)
    mounts = []
    for m in config.get("mounts", []):
        if os.path.normpath(m["destination"]) == "/sys":
            m = {"destination": "/sys", "type": "none", "source": "/sys",
                 "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}
        elif m.get("options"):
            m = dict(m, options=[o for o in m["options"] if not o.startswith(("uid=", "gid="))])
        mounts.append(m)
    config["mounts"] = mounts
    return config
