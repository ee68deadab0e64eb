"""Bundles: one busybox rootfs built per run by scripts/mkbundle.sh, copied
into each test's own bundle directory with a config.json from its template."""
import copy
import json
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MKBUNDLE = os.path.join(REPO, "scripts", "mkbundle.sh")


class BaseImage:
    def __init__(self, run_tmp, rootless=None):
        self.dir = os.path.join(run_tmp, "base")
        subprocess.run(["sh", MKBUNDLE, self.dir, "sh"], check=True,
                       stdout=subprocess.DEVNULL)
        os.mkdir(os.path.join(self.dir, "rootfs", "out"))
        with open(os.path.join(self.dir, "config.json")) as f:
            self.template = json.load(f)
        if rootless:
            from .rootless import rootless_template
            rootless_template(self.template, rootless.uid, rootless.gid)


class Bundle:
    """A bundle of the test's own. `config` is the dict written to
    config.json by write() (create() in Ctx calls write() first)."""

    def __init__(self, ctx, path):
        self.ctx = ctx
        self.dir = path
        os.makedirs(path)
        self.rootfs = os.path.join(path, "rootfs")
        subprocess.run(["cp", "-a", os.path.join(ctx.base.dir, "rootfs"), self.rootfs], check=True)
        if ctx.rootless:
            # A rootless user runs bundles of its own (and container root is that user).
            ctx.rootless.own(path)
        # results written by the container go to /out, a bind mount of this
        self.out = os.path.join(path, "out")
        os.mkdir(self.out)
        os.chmod(self.out, 0o777)
        self.stdout = os.path.join(path, "stdout")
        self.stderr = os.path.join(path, "stderr")
        self.config = copy.deepcopy(ctx.base.template)
        self.config["mounts"].append({
            "destination": "/out", "type": "bind", "source": self.out,
            "options": ["rbind", "rw"]})
        self.written = False

    # ----- config helpers -----
    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config.setdefault("linux", {})

    def set_args(self, *args):
        self.process["args"] = list(args)

    def script(self, text):
        self.process["args"] = ["sh", "-c", text]

    def add_mount(self, destination, type_, source, options=None, first=False):
        m = {"destination": destination, "type": type_, "source": source}
        if options is not None:
            m["options"] = list(options)
        if first:
            self.config["mounts"].insert(0, m)
        else:
            self.config["mounts"].append(m)
        return m

    def namespaces(self):
        return self.linux.setdefault("namespaces", [])

    def set_namespace(self, type_, path=None):
        nss = [n for n in self.namespaces() if n["type"] != type_]
        n = {"type": type_}
        if path:
            n["path"] = path
        nss.append(n)
        self.linux["namespaces"] = nss

    def join_userns(self, holder):
        """Rootless pass: joins the user namespace of a proc.Holder (which made its
        namespaces as the user, under a user namespace of its own), so the holder's other
        namespaces can be joined by path; the mappings are that namespace's. No-op as root."""
        if not self.ctx.rootless:
            return
        self.set_namespace("user", "/proc/%d/ns/user" % holder.pid)
        self.linux.pop("uidMappings", None)
        self.linux.pop("gidMappings", None)

    def drop_namespace(self, type_):
        self.linux["namespaces"] = [n for n in self.namespaces() if n["type"] != type_]

    def userns(self, host_uid=100000, size=65536):
        """Adds a user namespace mapping container 0..size-1 to host_uid...
        The rootfs stays owned by host root: it is world-readable and
        read-only, and /out is world-writable, so the mapped root needs no
        chown (which also lets tests check the runtime did not chown).
        In the rootless pass see id_map."""
        self.set_namespace("user")
        self.linux["uidMappings"] = self.id_map(host_uid, size, "uid")
        self.linux["gidMappings"] = self.id_map(host_uid, size, "gid")

    def id_map(self, host_id, size, kind="uid"):
        """The mappings of container ids 0..size-1 to host_id...: one range as root. In the
        rootless pass container root is the user itself (runc and swiftlet hand the exec
        fifo to container root, which an unprivileged user can only do for itself), and
        1..size-1 come from the same place in the user's subordinate range (newuidmap)."""
        rl = self.ctx.rootless
        if not rl:
            return [{"containerID": 0, "hostID": host_id, "size": size}]
        own = rl.uid if kind == "uid" else rl.gid
        return [{"containerID": 0, "hostID": own, "size": 1},
                {"containerID": 1, "hostID": rl.host_id(host_id, kind) + 1, "size": size - 1}]

    def map_subids(self):
        """Rootless pass: container root stays the user, ids 1..65535 come from the user's
        subordinate ranges (newuidmap/newgidmap), so process.user may name other ids and
        setgroups is allowed. A no-op as root, where the container shares the host's ids."""
        rl = self.ctx.rootless
        if not rl:
            return
        self.linux["uidMappings"] = [{"containerID": 0, "hostID": rl.uid, "size": 1},
                                     {"containerID": 1, "hostID": rl.subuid[0], "size": 65535}]
        self.linux["gidMappings"] = [{"containerID": 0, "hostID": rl.gid, "size": 1},
                                     {"containerID": 1, "hostID": rl.subgid[0], "size": 65535}]

    def add_hook(self, phase, path, args=None, env=None, timeout=None):
        h = {"path": path}
        if args is not None:
            h["args"] = list(args)
        if env is not None:
            h["env"] = list(env)
        if timeout is not None:
            h["timeout"] = timeout
        self.config.setdefault("hooks", {}).setdefault(phase, []).append(h)
        return h

    # ----- files -----
    def write(self):
        if self.ctx.rootless and not any(n["type"] == "user" for n in self.namespaces()):
            # A test that lists its namespaces from scratch still gets the user namespace
            # every rootless container needs (with the template's mappings).
            self.namespaces().append({"type": "user"})
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)
        self.written = True

    def write_rootfs_file(self, rel, text, mode=0o644):
        p = os.path.join(self.rootfs, rel.lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def mkdir(self, rel):
        """Pre-creates a mount point: a user-namespaced root cannot create
        it in a rootfs owned by host root."""
        os.makedirs(os.path.join(self.rootfs, rel.lstrip("/")), exist_ok=True)

    def out_file(self, name):
        p = os.path.join(self.out, name)
        try:
            with open(p) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def out_exists(self, name):
        return os.path.exists(os.path.join(self.out, name))
