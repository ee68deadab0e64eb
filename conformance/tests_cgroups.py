"""config-linux.md control groups: cgroupsPath, ownership, the device
allowlist and resources, read back from the container's cgroup files (cgroup
v1 controllers on this machine)."""
import os

from lib import proc
from lib.framework import test
from tests_config import must_fail_create


def cgdir(t, pid, controller):
    path = proc.cgroup_paths(pid).get(controller)
    t.check(path is not None, "process %s has no %s cgroup" % (pid, controller))
    return proc.cgroup_dir(controller, path)


def cgread(t, pid, controller, name):
    p = os.path.join(cgdir(t, pid, controller), name)
    v = proc.read_or_none(p)
    t.check(v is not None, "cannot read %s" % p)
    return v.strip()


def created(t, b):
    cid = t.create_ok(b)
    return cid, t.state(cid)["pid"]


def my_memory_cgroup():
    return proc.cgroup_paths("self").get("memory", "/")


def rel_name():
    return "cf-cg-" + os.urandom(3).hex()


@test("cgroups_path_relative", ["cl.cgroupsPath.relative"],
      "a relative cgroupsPath is created under a runtime-chosen place; the process is in it",
      needs_root="the check is that a cgroup is made for the relative cgroupsPath; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none, so a rootless runtime leaves the container in the caller's cgroup (create_applies_config checks that)")
def _(t):
    b = t.bundle(["true"])
    name = rel_name()
    b.linux["cgroupsPath"] = name
    cid, pid = created(t, b)
    path = proc.cgroup_paths(pid)["memory"]
    t.check(path.endswith("/" + name), "memory cgroup %r does not end with %s" % (path, name))
    t.check(os.path.isdir(proc.cgroup_dir("memory", path)), "cgroup directory missing")
    with open(os.path.join(proc.cgroup_dir("memory", path), "cgroup.procs")) as f:
        t.check(str(pid) in f.read().split(), "pid not in cgroup.procs")


def remove_new_parents(t, rel):
    """The runtime removes the container's own cgroup; parents it had to
    create for an absolute path are removed here if they were not there."""
    todo = []
    for c in ("memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio", "systemd"):
        parts = rel.strip("/").split("/")
        for i in range(1, len(parts)):
            d = proc.cgroup_dir(c, "/".join(parts[:i]))
            if not os.path.isdir(d):
                todo.append(d)

    def cleanup():
        for d in sorted(todo, key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass
    t.defer(cleanup)


@test("cgroups_path_absolute", ["cl.cgroupsPath.absolute"],
      "an absolute cgroupsPath (under the caller's memory cgroup) is taken relative to the cgroup mount point",
      needs_root="an absolute cgroupsPath means mkdir in the v1 hierarchies; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    b = t.bundle(["true"])
    path = my_memory_cgroup().rstrip("/") + "/" + rel_name()
    remove_new_parents(t, path + "/x")
    b.linux["cgroupsPath"] = path
    cid, pid = created(t, b)
    t.eq(proc.cgroup_paths(pid)["memory"], path, "memory cgroup of the process")
    t.check(os.path.isdir(proc.cgroup_dir("memory", path)), "cgroup directory missing")


@test("cgroups_path_consistent", ["cl.cgroupsPath.consistent"], "the same cgroupsPath twice gives the same cgroup",
      needs_root="compares the cgroups two containers get for one cgroupsPath; rootless both stay in the caller's cgroup (this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none), which would pass without testing anything")
def _(t):
    name = rel_name()
    seen = []
    for _ in range(2):
        b = t.bundle(["true"])
        b.linux["cgroupsPath"] = name
        cid, pid = created(t, b)
        seen.append(proc.cgroup_paths(pid)["memory"])
        r = t.delete(cid, force=True)
        t.check(r.rc == 0, "delete --force failed: %r" % r)
    t.eq(seen[1], seen[0], "cgroup of the second container")


@test("cgroup_ownership_v1", ["cl.cgroup-ownership.v1"],
      "with a user namespace, cgroup namespace and rw cgroup mount on v1, the cgroup stays owned by host root",
      needs_root="needs a container cgroup to look at the owner of; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    b = t.bundle(["true"])
    b.userns(100000, 65536)
    b.set_namespace("cgroup")
    for m in b.config["mounts"]:
        if m["destination"] == "/sys/fs/cgroup":
            m["options"] = [o for o in m.get("options", []) if o != "ro"]
    # sysfs cannot be mounted from a user namespace that does not own the
    # network namespace; a new one is in the template.
    cid, pid = created(t, b)
    st = os.stat(cgdir(t, pid, "memory"))
    t.eq((st.st_uid, st.st_gid), (0, 0), "owner of the memory cgroup directory")


@test("devices_cgroup_order", ["cl.devices-cgroup.order"],
      "allow then deny of the same device denies it; deny then allow allows it",
      needs_root="needs the v1 devices controller (root's) and a mknod'ed /dev/cf-fuse (CAP_MKNOD over the host)")
def _(t):
    results = []
    # /dev/fuse (10:229): opening it needs no capability, and it is not among
    # the default devices a runtime may allow after the configured rules.
    if not os.path.exists("/dev/fuse"):
        t.skip("no /dev/fuse on this host")
    for rules in ([{"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"},
                   {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "r"}],
                  [{"allow": False, "type": "c", "major": 10, "minor": 229, "access": "r"},
                   {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"}]):
        b = t.bundle()
        b.linux["devices"] = [{"path": "/dev/cf-fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666}]
        b.linux["resources"]["devices"] = [{"allow": False, "access": "rwm"}] + rules
        _, _, out = t.run_script("dd if=/dev/cf-fuse of=/dev/null bs=1 count=0 2>/dev/null && echo open || echo denied",
                                 bundle=b)
        results.append(out.strip())
    t.eq(results, ["denied", "open"], "read open of c 1:11 with allow,deny / deny,allow")


@test("resources_memory", ["cl.resources.memory"], "limit, reservation, swap, swappiness, disableOOMKiller",
      needs_root="writes memory.limit_in_bytes and friends in a v1 memory cgroup of the container; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    b = t.bundle(["true"])
    b.linux["resources"]["memory"] = {"limit": 64 << 20, "reservation": 32 << 20, "swap": 128 << 20,
                                      "swappiness": 10, "disableOOMKiller": True}
    cid, pid = created(t, b)
    t.eq(cgread(t, pid, "memory", "memory.limit_in_bytes"), str(64 << 20), "memory.limit_in_bytes")
    t.eq(cgread(t, pid, "memory", "memory.soft_limit_in_bytes"), str(32 << 20), "memory.soft_limit_in_bytes")
    if os.path.exists(os.path.join(cgdir(t, pid, "memory"), "memory.memsw.limit_in_bytes")):
        t.eq(cgread(t, pid, "memory", "memory.memsw.limit_in_bytes"), str(128 << 20), "memory.memsw.limit_in_bytes")
    t.eq(cgread(t, pid, "memory", "memory.swappiness"), "10", "memory.swappiness")
    oom = dict(line.split() for line in cgread(t, pid, "memory", "memory.oom_control").splitlines())
    t.eq(oom.get("oom_kill_disable"), "1", "oom_kill_disable")


@test("resources_memory_kernel", ["cl.resources.memory-kernel"], "kernelTCP 16 MiB is memory.kmem.tcp.limit_in_bytes",
      runc="runc (1.1.5 and 1.5) ignores memory.kernel and memory.kernelTCP on purpose (both NOT RECOMMENDED; the "
           "kernel deprecated kmem limits), so memory.kmem.tcp.limit_in_bytes stays unlimited although this kernel "
           "still implements it.",
      needs_root="writes memory.kmem.tcp.limit_in_bytes in a v1 memory cgroup of the container; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    b = t.bundle(["true"])
    b.linux["resources"]["memory"] = {"kernelTCP": 16 << 20}
    cid, pid = created(t, b)
    t.eq(cgread(t, pid, "memory", "memory.kmem.tcp.limit_in_bytes"), str(16 << 20), "memory.kmem.tcp.limit_in_bytes")


@test("resources_cpu", ["cl.resources.cpu"], "shares, quota, period, cpus, mems",
      needs_root="writes cpu.shares/cfs_* and cpuset.cpus/mems in v1 cgroups of the container; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    b = t.bundle(["true"])
    b.linux["resources"]["cpu"] = {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}
    cid, pid = created(t, b)
    t.eq(cgread(t, pid, "cpu", "cpu.shares"), "512", "cpu.shares")
    t.eq(cgread(t, pid, "cpu", "cpu.cfs_quota_us"), "50000", "cpu.cfs_quota_us")
    t.eq(cgread(t, pid, "cpu", "cpu.cfs_period_us"), "100000", "cpu.cfs_period_us")
    t.eq(cgread(t, pid, "cpuset", "cpuset.cpus"), "0", "cpuset.cpus")
    t.eq(cgread(t, pid, "cpuset", "cpuset.mems"), "0", "cpuset.mems")


@test("resources_cpu_burst_idle", ["cl.resources.cpu"], "burst and idle (cpu.cfs_burst_us, cpu.idle)",
      runc="runc 1.1.5 predates cpu.burst and cpu.idle (runc 1.2.0 implements both), so both files keep 0.",
      needs_root="writes cpu.cfs_burst_us and cpu.idle in a v1 cpu cgroup of the container; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    b = t.bundle(["true"])
    b.linux["resources"]["cpu"] = {"quota": 50000, "period": 100000, "burst": 20000, "idle": 1}
    cid, pid = created(t, b)
    d = cgdir(t, pid, "cpu")
    if not os.path.exists(os.path.join(d, "cpu.cfs_burst_us")) or not os.path.exists(os.path.join(d, "cpu.idle")):
        t.skip("kernel lacks cpu.cfs_burst_us or cpu.idle")
    t.eq(cgread(t, pid, "cpu", "cpu.cfs_burst_us"), "20000", "cpu.cfs_burst_us")
    t.eq(cgread(t, pid, "cpu", "cpu.idle"), "1", "cpu.idle")


@test("resources_cpu_realtime", ["cl.resources.cpu"], "realtimePeriod and realtimeRuntime (cpu.rt_period_us, cpu.rt_runtime_us)",
      needs_root="writes cpu.rt_period_us/rt_runtime_us in a v1 cpu cgroup of the container; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    b = t.bundle(["true"])
    b.linux["resources"]["cpu"] = {"realtimePeriod": 500000, "realtimeRuntime": 0}
    cid, pid = created(t, b)
    t.eq(cgread(t, pid, "cpu", "cpu.rt_period_us"), "500000", "cpu.rt_period_us")
    t.eq(cgread(t, pid, "cpu", "cpu.rt_runtime_us"), "0", "cpu.rt_runtime_us")


@test("resources_pids", ["cl.resources.pids"], "limit 42 is pids.max 42; -1 is max",
      needs_root="writes pids.max in a v1 pids cgroup of the container; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    for limit, want in ((42, "42"), (-1, "max")):
        b = t.bundle(["true"])
        b.linux["resources"]["pids"] = {"limit": limit}
        cid, pid = created(t, b)
        t.eq(cgread(t, pid, "pids", "pids.max"), want, "pids.max for limit %d" % limit)


@test("resources_pids_zero", ["cl.resources.pids-zero"], "limit 0 is a real limit (pids.max 0, or 1 like runc 1.4)",
      runc="runc 1.1.5 treats pids.limit 0 as unset and leaves pids.max at max; runc 1.4.0 follows the spec "
           "(0 is a limit; it writes 1 for systemd's sake).",
      needs_root="writes pids.max 0 in a v1 pids cgroup of the container; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    b = t.bundle(["true"])
    b.linux["resources"]["pids"] = {"limit": 0}
    cid, pid = created(t, b)
    t.check(cgread(t, pid, "pids", "pids.max") in ("0", "1"), "pids.max is %r" % cgread(t, pid, "pids", "pids.max"))


def root_disk():
    for name in sorted(os.listdir("/sys/block")):
        if name.startswith(("loop", "ram", "zram")):
            continue
        dev = proc.read_or_none("/sys/block/%s/dev" % name)
        if dev:
            return name, dev.strip()
    return None, None


@test("resources_blockio_throttle", ["cl.resources.blockIO"], "throttleReadBpsDevice and throttleWriteIOPSDevice on the disk",
      needs_root="writes blkio.throttle.* in a v1 blkio cgroup of the container; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    name, dev = root_disk()
    if not dev:
        t.skip("no block device")
    major, minor = (int(x) for x in dev.split(":"))
    b = t.bundle(["true"])
    b.linux["resources"]["blockIO"] = {
        "throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
        "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 300}]}
    cid, pid = created(t, b)
    t.eq(cgread(t, pid, "blkio", "blkio.throttle.read_bps_device"), "%s 1048576" % dev, "read_bps_device")
    t.eq(cgread(t, pid, "blkio", "blkio.throttle.write_iops_device"), "%s 300" % dev, "write_iops_device")


@test("resources_blockio_weight", ["cl.resources.blockIO"], "weight 300 (blkio.weight or blkio.bfq.weight)",
      needs_root="writes blkio.weight in a v1 blkio cgroup of the container; this host's cgroup v1 hierarchies belong to root and the rootless pass delegates none")
def _(t):
    root = proc.cgroup_dir("blkio", "/")
    files = [f for f in ("blkio.weight", "blkio.bfq.weight") if os.path.exists(os.path.join(root, f))]
    if not files:
        t.skip("no blkio weight file: the disk's I/O scheduler is not BFQ/CFQ")
    b = t.bundle(["true"])
    b.linux["resources"]["blockIO"] = {"weight": 300}
    cid, pid = created(t, b)
    got = cgread(t, pid, "blkio", files[0]).split()
    t.check("300" in got, "%s is %r" % (files[0], got))


@test("unified_on_v1", ["cl.unified.error"], "unified memory.max on a host whose controllers are on v1 fails")
def _(t):
    if proc.read_or_none("/sys/fs/cgroup/cgroup.controllers") is not None:
        t.skip("the host uses cgroup v2")
    b = t.bundle(["true"])
    b.linux.setdefault("resources", {})["unified"] = {"memory.max": "67108864"}
    must_fail_create(t, b, "unified resources without cgroup v2 controllers")
