"""config-linux.md: filesystems, namespaces, id mappings, devices, network
devices, sysctl, rootfs propagation, masked/readonly paths, personality,
memory policy, Intel RDT. Cgroups are in tests_cgroups.py, seccomp in
tests_seccomp.py."""
import os
import subprocess

from lib import proc
from lib.framework import test
from tests_config import must_fail_create, mounts_in
from tests_runtime import RUNC_USERNS_PATH

CREATED_NS = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt", "cgroup": "cgroup"}


def created(t, b):
    cid = t.create_ok(b)
    return cid, t.state(cid)["pid"]


@test("default_filesystems", ["cl.default-filesystems"], "/proc proc, /sys sysfs, /dev/pts devpts, /dev/shm tmpfs")
def _(t):
    ms = mounts_in(t, t.bundle())
    for mp, fs in (("/proc", "proc"), ("/sys", "sysfs"), ("/dev/pts", "devpts"), ("/dev/shm", "tmpfs")):
        m = proc.find_mount(ms, mp)
        t.check(m is not None and m["fstype"] == fs, "%s is not %s: %r" % (mp, fs, m))


@test("ns_new", ["cl.ns.new", "cl.ns.types"], "pid, network, ipc, uts, mount, cgroup without path are new namespaces")
def _(t):
    b = t.bundle(["true"])
    for typ in CREATED_NS:
        b.set_namespace(typ)
    cid, pid = created(t, b)
    for typ, n in CREATED_NS.items():
        t.check(proc.ns_inode(pid, n) != proc.ns_inode("self", n), "%s namespace is the caller's" % typ)


@test("ns_pid_init", ["cl.ns.new"], "in a new pid namespace the process is pid 1 and sees only its own processes")
def _(t):
    _, _, out = t.run_script("echo $$; ls -d /proc/[0-9]* | wc -l")
    lines = out.split()
    t.eq(lines[0], "1", "pid of the process")
    t.check(int(lines[1]) <= 3, "the container sees %s processes" % lines[1])


@test("ns_inherit", ["cl.ns.inherit"], "types missing from namespaces (network, ipc, uts, cgroup) are the caller's")
def _(t):
    b = t.bundle(["true"])
    b.linux["namespaces"] = [{"type": "pid"}, {"type": "mount"}]
    b.config.pop("hostname", None)
    if t.rootless:
        # mqueue can only be mounted by the user namespace owning the IPC namespace, which
        # inherited is the host's: the template's /dev/mqueue would fail create for that.
        b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] != "mqueue"]
        t.note("rootless: the template's /dev/mqueue mount is left out (the inherited IPC namespace is the host's)")
    cid, pid = created(t, b)
    for n in ("net", "ipc", "uts", "cgroup"):
        t.eq(proc.ns_inode(pid, n), proc.ns_inode("self", n), "%s namespace" % n)


@test("ns_user", ["cl.ns.new", "cl.idmap", "cfg.user.ids"],
      "a user namespace with uid/gid maps 0->100000 (65536): maps inside, host ids outside")
def _(t):
    b = t.bundle(["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; while [ ! -e /out/go ]; do sleep 0.05; done"])
    b.userns(100000, 65536)
    b.linux["gidMappings"] = b.id_map(200000, 1000, "gid")
    uids, gids = b.linux["uidMappings"], b.linux["gidMappings"]
    cid, pid = created(t, b)
    t.check(proc.ns_inode(pid, "user") != proc.ns_inode("self", "user"), "no new user namespace")
    t.start_ok(cid)
    st = proc.status_fields(pid)
    t.eq(st["Uid"].split()[0], str(uids[0]["hostID"]), "host uid of container root")
    t.eq(st["Gid"].split()[0], str(gids[0]["hostID"]), "host gid of container root")
    open(os.path.join(b.out, "go"), "w").close()
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    with open(b.stdout) as f:
        out = f.read().split()
    want = [str(m[k]) for m in uids + gids for k in ("containerID", "hostID", "size")] + ["0"]
    t.eq(out, want, "uid_map, gid_map, id -u")


@test("idmap_no_chown", ["cl.idmap.no-chown"], "a user-namespaced container does not chown its rootfs")
def _(t):
    b = t.bundle(["true"])
    b.userns(100000, 65536)
    before = {p: os.lstat(os.path.join(b.rootfs, p)).st_uid for p in ("bin/busybox", "etc/passwd", "tmp", ".")}
    t.run(b)
    after = {p: os.lstat(os.path.join(b.rootfs, p)).st_uid for p in before}
    t.eq(after, before, "rootfs owners after running")


TIME_RUNC = "runc 1.1.5 does not know the time namespace (create fails: 'namespace {\"time\" \"\"} does not exist'); runc 1.2.0 added it."


@test("ns_time", ["cl.ns.new", "cl.ns.types", "cl.timeOffsets"],
      "a time namespace with a boottime offset of 10^6 s shows in /proc/uptime", runc=TIME_RUNC)
def _(t):
    b = t.bundle()
    b.set_namespace("time")
    b.linux["timeOffsets"] = {"boottime": {"secs": 1000000, "nanosecs": 0}}
    _, _, out = t.run_script("cut -d. -f1 /proc/uptime", bundle=b)
    with open("/proc/uptime") as f:
        host = int(f.read().split(".")[0])
    t.check(int(out.strip()) >= host + 1000000 - 5, "uptime inside %s vs host %s" % (out.strip(), host))


@test("ns_path_join", ["cl.ns.path-join"], "network, uts and ipc by path join the holder process's namespaces",
      runc_rootless=RUNC_USERNS_PATH)
def _(t):
    h = proc.Holder(t, ["--net", "--uts", "--ipc"])
    b = t.bundle(["true"])
    b.config.pop("hostname", None)
    for typ, n in (("network", "net"), ("uts", "uts"), ("ipc", "ipc")):
        b.set_namespace(typ, "/proc/%d/ns/%s" % (h.pid, n))
    b.join_userns(h)
    cid, pid = created(t, b)
    for n in ("net", "uts", "ipc"):
        t.eq(proc.ns_inode(pid, n), proc.ns_inode(h.pid, n), "%s namespace" % n)


@test("ns_path_wrong_type", ["cl.ns.path-wrong-type"], "type network with the path of a uts namespace fails")
def _(t):
    h = proc.Holder(t, ["--uts"])
    b = t.bundle(["true"])
    b.set_namespace("network", "/proc/%d/ns/uts" % h.pid)
    b.join_userns(h)
    must_fail_create(t, b, "network namespace path of a uts namespace")


@test("ns_path_relative", ["cl.ns.path-abs", "cfg.valid-values"], "a relative namespace path fails")
def _(t):
    h = proc.Holder(t, ["--net"])
    b = t.bundle(["true"])
    b.set_namespace("network", "proc/%d/ns/net" % h.pid)
    b.join_userns(h)
    r = t.create(b, cwd="/")  # from /, the relative path would name a real namespace
    t.fails(r, "create with a relative namespace path")


@test("ns_duplicate", ["cl.ns.duplicate"], "two network entries fail")
def _(t):
    b = t.bundle(["true"])
    b.set_namespace("network")  # the rootless template has none
    b.namespaces().append({"type": "network"})
    must_fail_create(t, b, "duplicated network namespace")


# ---------------- devices ----------------

@test("devices_created", ["cl.devices.available"],
      "c 1:3 (mode 0620, uid 1000, gid 1001), u 1:5, b 7:0 and a FIFO exist with those attributes",
      needs_root="mknod of device nodes needs CAP_MKNOD over the host; a rootless runtime can only bind "
                 "existing host nodes, and /dev/cf-* with these numbers, modes and owners exist nowhere on the host")
def _(t):
    b = t.bundle()
    b.linux["devices"] = [
        {"path": "/dev/cf-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620, "uid": 1000, "gid": 1001},
        {"path": "/dev/cf-zero", "type": "u", "major": 1, "minor": 5, "fileMode": 0o666},
        {"path": "/dev/cf-blk", "type": "b", "major": 7, "minor": 0, "fileMode": 0o600},
        {"path": "/dev/cf-fifo", "type": "p", "fileMode": 0o644}]
    _, _, out = t.run_script("stat -c '%n|%F|%t:%T|%a|%u:%g' /dev/cf-null /dev/cf-zero /dev/cf-blk /dev/cf-fifo", bundle=b)
    got = {line.split("|")[0]: line.split("|")[1:] for line in out.splitlines()}
    t.eq(got.get("/dev/cf-null"), ["character special file", "1:3", "620", "1000:1001"], "/dev/cf-null")
    t.eq(got.get("/dev/cf-zero", [None] * 3)[:3], ["character special file", "1:5", "666"], "/dev/cf-zero")
    t.eq(got.get("/dev/cf-blk", [None] * 3)[:3], ["block special file", "7:0", "600"], "/dev/cf-blk")
    t.eq(got.get("/dev/cf-fifo", [None])[0], "fifo", "/dev/cf-fifo")


@test("devices_existing_mismatch", ["cl.devices.exists-mismatch"],
      "a regular file at the device path (outside /dev) makes create fail",
      needs_root="rootless, no device node can be made at all (no CAP_MKNOD over the host), so a failed create "
                 "would not show that the existing file was detected",
      runc="runc (1.1.5 and 1.5) ignores EEXIST from mknod and leaves the regular file in place; config-linux.md: "
           "If a file already exists at path that does not match the requested device, the runtime MUST generate an error.")
def _(t):
    b = t.bundle(["true"])
    b.config["root"]["readonly"] = False
    b.write_rootfs_file("/cf-dev", "not a device\n")
    b.linux["devices"] = [{"path": "/cf-dev", "type": "c", "major": 1, "minor": 3, "fileMode": 0o666}]
    must_fail_create(t, b, "device over an existing regular file")


DEFAULT_DEVICES = {"null": "1:3", "zero": "1:5", "full": "1:7", "random": "1:8", "urandom": "1:9", "tty": "5:0"}


@test("devices_default", ["cl.devices.default"], "null zero full random urandom tty with their numbers, /dev/ptmx, and they work")
def _(t):
    script = ("for d in null zero full random urandom tty; do echo $d $(stat -c '%F %t:%T' /dev/$d); done; "
              "echo ptmx $(readlink /dev/ptmx || stat -c '%t:%T' /dev/ptmx); "
              "echo zero $(head -c 4 /dev/zero | od -An -tx1); "
              "echo x > /dev/full 2>/dev/null && echo full-ok || echo full-err; "
              "echo x > /dev/null && echo null-ok; head -c 8 /dev/urandom | wc -c")
    _, _, out = t.run_script(script)
    lines = out.splitlines()
    got = {l.split()[0]: l.split(" ", 1)[1] for l in lines[:7]}
    for d, num in DEFAULT_DEVICES.items():
        t.eq(got.get(d), "character special file " + num, "/dev/" + d)
    t.check(got.get("ptmx") in ("pts/ptmx", "/dev/pts/ptmx", "5:2"), "/dev/ptmx: %r" % got.get("ptmx"))
    t.eq(lines[7:], ["zero 00 00 00 00", "full-err", "null-ok", "8"], "device behaviour")


# ---------------- network devices ----------------

NETDEV_RUNC = "runc 1.1.5 predates linux.netDevices (runtime-spec 1.3; runc 1.4.0 implements it) and ignores it."


def dummy(t):
    """A host veth link to move (this kernel has no dummy links). Its peer
    stays down on the host, so nothing is ever sent; the documentation
    address (TEST-NET-2) only checks that addresses survive the move."""
    name = "cfv" + os.urandom(3).hex()
    peer = name + "p"
    r = subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", peer],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        t.skip("cannot create a veth link here: %s" % r.stdout.decode().strip())
    t.defer(lambda: subprocess.run(["ip", "link", "del", peer], stderr=subprocess.DEVNULL))
    proc.sh("ip addr add 198.51.100.7/24 dev %s" % name)
    return name


@test("netdevices_move", ["cl.netdevices.move", "cl.netdevices.up", "cl.netdevices.addresses"],
      "a host veth link is moved in, renamed, up, with its permanent address", runc=NETDEV_RUNC,
      needs_root="moving a host link into the container's network namespace needs CAP_NET_ADMIN in the host's "
                 "network namespace")
def _(t):
    name = dummy(t)
    b = t.bundle()
    b.linux["netDevices"] = {name: {"name": "cfeth0"}}
    _, _, out = t.run_script("ip -o link show cfeth0; ip -o addr show cfeth0 2>&1", bundle=b)
    t.check("cfeth0" in out and ",UP" in out, "cfeth0 is missing or down: %r" % out)
    t.check("198.51.100.7/24" in out, "the address was not preserved: %r" % out)
    t.check(subprocess.run(["ip", "link", "show", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL).returncode != 0, "the link is still on the host")


@test("netdevices_name_exists", ["cl.netdevices.exists"], "moving a link to the name 'lo' fails", runc=NETDEV_RUNC,
      needs_root="rootless, no host link can be moved (no CAP_NET_ADMIN in the host's network namespace), so a "
                 "failed create would not show the name clash was detected")
def _(t):
    name = dummy(t)
    b = t.bundle(["true"])
    b.linux["netDevices"] = {name: {"name": "lo"}}
    must_fail_create(t, b, "netDevice renamed to an existing name")


@test("netdevices_template", ["cl.netdevices.template"], "a name template cfnet%d is allowed", runc=NETDEV_RUNC,
      needs_root="the templated link is a host veth moved in, which needs CAP_NET_ADMIN in the host's network "
                 "namespace")
def _(t):
    name = dummy(t)
    b = t.bundle()
    b.linux["netDevices"] = {name: {"name": "cfnet%d"}}
    _, _, out = t.run_script("ip -o link show | grep -o 'cfnet[0-9]*'", bundle=b)
    t.eq(out.strip(), "cfnet0", "link name in the container")


# ---------------- sysctl, propagation, masked/readonly, personality ----------------

@test("sysctl", ["cl.sysctl"], "net.ipv4.ip_forward=1 and kernel.msgmax=12345 inside, host unchanged")
def _(t):
    host = (proc.read("/proc/sys/net/ipv4/ip_forward").strip(), proc.read("/proc/sys/kernel/msgmax").strip())
    b = t.bundle()
    b.set_namespace("network")  # the rootless template has none
    b.linux["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "12345"}
    _, _, out = t.run_script("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax", bundle=b)
    t.eq(out.split(), ["1", "12345"], "sysctls inside")
    t.eq((proc.read("/proc/sys/net/ipv4/ip_forward").strip(), proc.read("/proc/sys/kernel/msgmax").strip()),
         host, "host sysctls")


@test("sysctl_unknown", ["rt.create.cannot-apply"], "an unknown sysctl key fails create")
def _(t):
    b = t.bundle(["true"])
    b.linux["sysctl"] = {"net.conformance.no_such_key": "1"}
    must_fail_create(t, b, "unknown sysctl")


def shared_bundle_mount(t):
    """Makes the test dir a shared mount so a slave rootfs has a master."""
    proc.mount(t.tmp, t.tmp, flags=["--bind"])
    t.add_mount(t.tmp)
    proc.sh("mount --make-shared %s" % t.tmp)


@test("rootfs_propagation", ["cl.rootfsPropagation"], "shared, slave, private, unbindable on the container's /",
      runc="runc 1.1.5 applies rootfsPropagation only to the namespace's old / before it bind-mounts the rootfs and "
           "makes the rootfs' parent private, so the container's / ends up private whatever the value. runc 1.4 "
           "re-applies shared/unbindable after pivot_root; keeping slave was fixed after 1.5.0 (runc ec170d867).")
def _(t):
    shared_bundle_mount(t)
    want = {"shared": "shared:", "slave": "master:", "private": None, "unbindable": "unbindable"}
    bad = []
    for value, field in want.items():
        b = t.bundle()
        b.linux["rootfsPropagation"] = value
        ms = mounts_in(t, b)
        root = proc.find_mount(ms, "/")
        fields = " ".join(root["optional"])
        ok = (field in fields) if field else ("shared:" not in fields and "master:" not in fields)
        if not ok:
            bad.append("%s: optional fields %r" % (value, fields))
    t.check(not bad, "; ".join(bad))


@test("masked_paths", ["cl.maskedPaths"], "a masked file reads empty, a masked directory is empty")
def _(t):
    b = t.bundle()
    b.write_rootfs_file("/cf-secret/key", "secret\n")
    b.write_rootfs_file("/cf-secret-file", "secret\n")
    procfile = next((p for p in ("/proc/timer_list", "/proc/keys", "/proc/kcore", "/proc/sched_debug")
                     if os.path.exists(p)), None)
    t.check(procfile, "no maskable /proc file exists here")
    b.linux["maskedPaths"] = [procfile, "/cf-secret", "/cf-secret-file", "/no/such/path"]
    _, _, out = t.run_script("wc -c < %s; ls -A /cf-secret | wc -l; cat /cf-secret-file | wc -c" % procfile, bundle=b)
    t.eq(out.split(), ["0", "0", "0"], "bytes of %s, entries of /cf-secret, bytes of /cf-secret-file" % procfile)


@test("masked_paths_relative", ["cl.maskedPaths.abs", "cfg.valid-values"], "a relative masked path fails",
      runc="runc (1.1.5 and 1.5) does not check that maskedPaths are absolute; config-linux.md: The values MUST be "
           "absolute paths (and invalid values MUST generate an error).")
def _(t):
    b = t.bundle(["true"])
    b.linux["maskedPaths"] = ["proc/kcore"]
    must_fail_create(t, b, "relative masked path")


@test("readonly_paths", ["cl.readonlyPaths"], "writes under readonly /proc/sys and /cf-ro fail, / stays writable")
def _(t):
    b = t.bundle()
    b.config["root"]["readonly"] = False
    b.write_rootfs_file("/cf-ro/file", "x\n")
    b.linux["readonlyPaths"] = ["/proc/sys", "/cf-ro"]
    _, _, out = t.run_script("touch /cf-ro/new 2>/dev/null && echo w || echo ro; "
                             "echo cf > /proc/sys/kernel/hostname 2>/dev/null && echo w || echo ro; "
                             "touch /ok && echo w", bundle=b)
    t.eq(out.split(), ["ro", "ro", "w"], "writes to /cf-ro, /proc/sys, /")


@test("readonly_paths_relative", ["cl.readonlyPaths.abs", "cfg.valid-values"], "a relative readonly path fails",
      runc="runc (1.1.5 and 1.5) does not check that readonlyPaths are absolute; config-linux.md: The values MUST "
           "be absolute paths (and invalid values MUST generate an error).")
def _(t):
    b = t.bundle(["true"])
    b.linux["readonlyPaths"] = ["proc/sys"]
    must_fail_create(t, b, "relative readonly path")


@test("personality", ["cl.personality"], "LINUX32 makes uname -m report i686, LINUX keeps x86_64",
      runc="runc 1.1.5 predates linux.personality (runc 1.2.0 implements it) and ignores it.")
def _(t):
    if os.uname().machine != "x86_64":
        t.skip("needs x86_64")
    b = t.bundle()
    b.linux["personality"] = {"domain": "LINUX32"}
    _, _, out = t.run_script("uname -m", bundle=b)
    t.eq(out.strip(), "i686", "uname -m with LINUX32")
    b = t.bundle()
    b.linux["personality"] = {"domain": "LINUX"}
    _, _, out = t.run_script("uname -m", bundle=b)
    t.eq(out.strip(), "x86_64", "uname -m with LINUX")


@test("memory_policy", ["cl.memoryPolicy"], "MPOL_BIND to node 0 shows as bind:0 in numa_maps",
      runc="runc 1.1.5 predates linux.memoryPolicy (runtime-spec 1.3; runc 1.4.0 implements it) and ignores it.")
def _(t):
    if not os.path.exists("/proc/self/numa_maps"):
        t.skip("kernel without NUMA (no /proc/self/numa_maps)")
    b = t.bundle()
    b.linux["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0"}
    _, _, out = t.run_script("grep -c ' bind:0' /proc/self/numa_maps", bundle=b)
    t.check(int(out.strip() or 0) > 0, "no mapping with policy bind:0")


@test("intel_rdt_without_resctrl", ["cl.intelRdt.no-resctrl"], "intelRdt set while no resctrl is mounted fails",
      runc="runc 1.1.5 only checks for RDT when l3CacheSchema or memBwSchema is set, so intelRdt with just a closID "
           "is accepted without resctrl. Current runc fails it ('intelRdt is specified in config, but Intel RDT is "
           "not enabled').")
def _(t):
    if any(m["fstype"] == "resctrl" for m in proc.mountinfo()):
        t.skip("resctrl is mounted here")
    b = t.bundle(["true"])
    b.linux["intelRdt"] = {"closID": "conformance"}
    must_fail_create(t, b, "intelRdt without resctrl")
