"""Configuration probes: one short-lived container per probe, started with an engine's options
for a feature (privileged, capabilities, rlimits, sysctls, mounts, namespaces, user namespace,
devices, seccomp), running a shell script whose output is checked against the host. The same
probe runs on every engine that has the option, each with its own spelling of it.

A probe's options for an engine are a list, or a function of the probe's context returning one
(for host paths and pids); engines without an entry do not get the probe."""

import os
import re

from engine import scenario
from harness import Failure, expect, expect_rc

# The 14 capabilities podman, docker and ctr all give a container by default.
DEFAULT_CAPS = "00000000a80425fb"
CAP_NET_ADMIN = "0000000000001000"


def own_status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split()[1]
    raise KeyError(field)


def status_fields(out):
    return dict(line.split(":\t", 1) for line in out.splitlines() if ":\t" in line)


def masked_probe_file():
    """A file every engine masks by default that this kernel has (CONFIG_PROC_KCORE is not
    everywhere)."""
    for path in ("/proc/kcore", "/proc/timer_list", "/proc/keys", "/proc/sched_debug"):
        if os.path.exists(path):
            return path
    return "/proc/kcore"


MASKED = masked_probe_file()
# Bytes in the masked file: 0 when it is a bind of /dev/null.
MASKED_SIZE = f"echo masked-size $(wc -c < {MASKED} 2>/dev/null || echo unreadable); "
PROC_SYS_WRITE = "echo x 2>&1 > /proc/sys/kernel/domainname | sed 's/^.*domainname: /proc-sys: /'; "


def host_block_device():
    names = sorted(n for n in os.listdir("/sys/block") if not n.startswith(("loop", "ram", "zram", "dm-")))
    return names[0] if names else None


class Context:
    """What a probe's options and check may use: a scratch directory on the host, our own
    namespaces, and pids of helper containers the engine started for it."""

    def __init__(self, directory, engine, place_path):
        self.dir, self.engine, self.place_path = directory, engine, place_path
        os.makedirs(directory, exist_ok=True)

    @staticmethod
    def host_ns(kind):
        return os.readlink(f"/proc/self/ns/{kind}")


class Probe:
    def __init__(self, title, script, check, control_todo=None, **options):
        self.title, self.script, self.check, self.options = title, script, check, options
        # engine -> why the control (runc) fails there on this machine, or None.
        self.control_todo = control_todo or {}


# docker 20.10 asks a privileged container for the capabilities it knows (up to CAP_AUDIT_READ,
# 37); podman and ctr ask for what they hold themselves.
DOCKER_PRIVILEGED = (1 << 38) - 1


def _missing_docker_privileged_caps():
    own = int(own_status("CapEff"), 16)
    missing = DOCKER_PRIVILEGED & ~own
    if not missing:
        return None
    return (f"runc refuses capabilities it does not hold (runc#4426), this machine lacks "
            f"{missing:#x}; swiftlet leaves them out with a warning (config.md SHOULD NOT fail)")


def _privileged(out, ctx):
    fields = status_fields(out)
    own = int(own_status("CapEff"), 16)
    want = f"{own & DOCKER_PRIVILEGED if ctx.engine == 'docker' else own:016x}"
    expect(fields.get("CapEff") == want, f"want the capabilities asked for that we hold, {want}, got {fields.get('CapEff')}")
    expect(fields.get("Seccomp") == "0", f"want no seccomp filter, got Seccomp {fields.get('Seccomp')}")
    device = host_block_device()
    if device:
        expect(f"/dev/{device}" in out.split(), f"want the host's /dev/{device} in the container")
    expect(re.search(r"^masked-size [1-9]", out, re.M), f"want {MASKED} unmasked")


def _confined(engine_seccomp, no_new_privs="0"):
    def check(out, ctx):
        fields = status_fields(out)
        expect(fields.get("CapEff") == DEFAULT_CAPS, f"want the default capabilities {DEFAULT_CAPS}, got {fields.get('CapEff')}")
        expect(fields.get("CapBnd") == DEFAULT_CAPS, f"want the bounding set {DEFAULT_CAPS}, got {fields.get('CapBnd')}")
        want = "2" if engine_seccomp else "0"
        expect(fields.get("Seccomp") == want, f"want Seccomp {want}, got {fields.get('Seccomp')}")
        expect(fields.get("NoNewPrivs") == no_new_privs, f"want NoNewPrivs {no_new_privs}, got {fields.get('NoNewPrivs')}")
        expect("masked-size 0" in out.splitlines(), f"want {MASKED} masked (empty)")
        expect("proc-sys: Read-only file system" in out, "want /proc/sys read-only")
    return check


def _expect_lines(*want):
    def check(out, ctx):
        got = [line.strip() for line in out.strip().splitlines()]
        expect(got == list(want), f"want lines {list(want)}, got {got}")
    return check


def _namespaces_shared(kinds):
    def check(out, ctx):
        got = dict(line.split("=", 1) for line in out.split() if "=" in line)
        for kind in kinds:
            expect(got.get(kind) == ctx.host_ns(kind), f"want the host's {kind} namespace {ctx.host_ns(kind)}, got {got.get(kind)}")
    return check


def _volume(ctx):
    with open(os.path.join(ctx.dir, "from-host"), "w") as f:
        f.write("host data\n")
    return ctx.dir


def _volume_check(out, ctx):
    expect("host data" in out, "want the host's file readable in the volume")
    expect("ro: Read-only file system" in out, "want the :ro volume read-only")
    with open(os.path.join(ctx.dir, "from-container")) as f:
        expect(f.read() == "container data\n", "want the container's write in the host directory")


def _tmpfs_check(out, ctx):
    fields = out.split()
    expect("tmpfs-mounted" in fields, "want a tmpfs at /scratch")
    expect("written" in fields, "want /scratch writable")


def _cgroupns_check(out, ctx):
    lines = out.strip().splitlines()
    paths = [line.split(":", 2)[2] for line in lines if line.count(":") >= 2]
    expect(paths and all(p == "/" for p in paths), f"want the namespace's root as the cgroup path, got {paths}")
    expect(lines[-1] == "67108864", f"want the memory limit 67108864 at /sys/fs/cgroup/memory, got {lines[-1]}")


def _cgroupns_host_check(out, ctx):
    lines = out.strip().splitlines()
    expect(len(lines) == 2 and lines[0].startswith(ctx.place_path + "/"),
           f"want the container's cgroup under {ctx.place_path}, got {lines[:1]}")
    expect(lines[-1] == "33554432", f"want the memory limit 33554432 at /sys/fs/cgroup/memory, got {lines[-1]}")


def _userns_check(out, ctx):
    lines = [line.split() for line in out.strip().splitlines()]
    expect(["0", "100000", "65536"] in lines, f"want uid_map 0 100000 65536, got {out.strip()}")
    expect(["uid", "0"] in lines, "want uid 0 in the container")
    expect(["owner", "0"] in lines, "want the image's files owned by the container's root")


STATUS = "grep -E '^(CapEff|CapBnd|Seccomp|NoNewPrivs):' /proc/self/status; "
PROBES = [
    Probe("defaults: capabilities, seccomp, masked and read-only paths",
          STATUS + MASKED_SIZE + PROC_SYS_WRITE, _confined(engine_seccomp=True), podman=[], docker=[]),
    Probe("defaults without --seccomp: no filter",
          STATUS + MASKED_SIZE + PROC_SYS_WRITE, _confined(engine_seccomp=False, no_new_privs="1"), containerd=[]),
    Probe("--privileged: all capabilities, host devices, nothing masked",
          STATUS + "ls -d /dev/*; " + MASKED_SIZE,
          _privileged, podman=["--privileged"], docker=["--privileged"], containerd=["--privileged"],
          control_todo={"docker": _missing_docker_privileged_caps}),
    Probe("--cap-drop ALL --cap-add NET_ADMIN: exactly that capability",
          "grep -E '^Cap(Eff|Bnd|Prm):' /proc/self/status | cut -f2",
          _expect_lines(CAP_NET_ADMIN, CAP_NET_ADMIN, CAP_NET_ADMIN),
          podman=["--cap-drop", "ALL", "--cap-add", "NET_ADMIN"], docker=["--cap-drop", "ALL", "--cap-add", "NET_ADMIN"]),
    Probe("--security-opt seccomp=unconfined: no filter",
          "grep ^Seccomp: /proc/self/status | cut -f2", _expect_lines("0"),
          podman=["--security-opt", "seccomp=unconfined"], docker=["--security-opt", "seccomp=unconfined"]),
    Probe("--ulimit nofile=512:1024 nproc=300:400: soft and hard limits",
          "ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu", _expect_lines("512", "1024", "300", "400"),
          podman=["--ulimit", "nofile=512:1024", "--ulimit", "nproc=300:400"],
          docker=["--ulimit", "nofile=512:1024", "--ulimit", "nproc=300:400"]),
    Probe("--sysctl: net and ipc sysctls in the container's namespaces",
          "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax", _expect_lines("1", "65536"),
          podman=["--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.msgmax=65536"],
          docker=["--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.msgmax=65536"]),
    Probe("--oom-score-adj 123", "cat /proc/self/oom_score_adj", _expect_lines("123"),
          podman=["--oom-score-adj", "123"], docker=["--oom-score-adj", "123"]),
    Probe("-u 65534 -w /tmp -e FOO=bar: user, cwd and environment",
          "echo $(id -u) $(id -g) $(pwd) $FOO", _expect_lines("65534 65534 /tmp bar"),
          podman=["-u", "65534:65534", "-w", "/tmp", "-e", "FOO=bar"], docker=["-u", "65534:65534", "-w", "/tmp", "-e", "FOO=bar"]),
    Probe("--cwd /tmp --env FOO=bar: cwd and environment", "echo $(pwd) $FOO", _expect_lines("/tmp bar"),
          containerd=["--cwd", "/tmp", "--env", "FOO=bar"]),
    # podman refuses a missing workdir itself; dockerd makes it; ctr leaves it to the runtime.
    Probe("-w /new/dir: a missing working directory is created", "pwd; [ -d /new/dir ] && echo exists",
          _expect_lines("/new/dir", "exists"), docker=["-w", "/new/dir"], containerd=["--cwd", "/new/dir"]),
    Probe("-u 4321: a uid without a passwd entry gets HOME=/", "echo $(id -u) $HOME", _expect_lines("4321 /"),
          podman=["-u", "4321"], docker=["-u", "4321"]),
    Probe("--hostname: the UTS namespace's name", "hostname", _expect_lines("swe-host"),
          podman=["--hostname", "swe-host"], docker=["--hostname", "swe-host"]),
    Probe("volumes: a bind mount read-write and read-only",
          "cat /data/from-host; echo container data > /data/from-container; touch /ro/x 2>&1 | sed 's/^.*: /ro: /'",
          _volume_check,
          podman=lambda ctx: ["-v", f"{_volume(ctx)}:/data", "-v", f"{ctx.dir}:/ro:ro"],
          docker=lambda ctx: ["-v", f"{_volume(ctx)}:/data", "-v", f"{ctx.dir}:/ro:ro"],
          containerd=lambda ctx: ["--mount", f"type=bind,src={_volume(ctx)},dst=/data,options=rbind:rw",
                                  "--mount", f"type=bind,src={ctx.dir},dst=/ro,options=rbind:ro"]),
    Probe("--tmpfs /scratch: a writable tmpfs",
          "grep -q ' /scratch tmpfs ' /proc/self/mounts && echo tmpfs-mounted; touch /scratch/x && echo written",
          _tmpfs_check, podman=["--tmpfs", "/scratch:size=1m"], docker=["--tmpfs", "/scratch:size=1m"]),
    Probe("--tmpfs /etc: tmpcopyup keeps the image's files",
          "grep -q ' /etc tmpfs ' /proc/self/mounts && echo tmpfs-mounted; head -1 /etc/passwd",
          _expect_lines("tmpfs-mounted", "root:x:0:0:root:/root:/bin/sh"), podman=["--tmpfs", "/etc"]),
    Probe("--init: the engine's init is pid 1, the command its child",
          "cat /proc/1/comm; cat /proc/$$/comm; true", None, podman=["--init"], docker=["--init"]),
    Probe("host namespaces: pid, uts, ipc and network joined",
          "for k in pid uts ipc net; do echo $k=$(readlink /proc/self/ns/$k); done",
          _namespaces_shared(["pid", "uts", "ipc", "net"]),
          podman=["--pid", "host", "--uts", "host", "--ipc", "host", "--network", "host"],
          docker=["--pid", "host", "--uts", "host", "--ipc", "host", "--network", "host"]),
    Probe("--with-ns network:PATH: a namespace joined by path",
          "echo net=$(readlink /proc/self/ns/net)", _namespaces_shared(["net"]),
          containerd=lambda ctx: ["--with-ns", f"network:/proc/{os.getpid()}/ns/net"]),
    Probe("--device /dev/null:/dev/swe-null: a device node the cgroup allows",
          "[ -c /dev/swe-null ] && echo x > /dev/swe-null && echo usable", _expect_lines("usable"),
          podman=["--device", "/dev/null:/dev/swe-null"], docker=["--device", "/dev/null:/dev/swe-null"]),
    Probe("--cpus 0.5 --cpu-shares 512: CFS quota and shares",
          "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares", _expect_lines("50000", "512"),
          podman=["--cpus", "0.5", "--cpu-shares", "512"], docker=["--cpus", "0.5", "--cpu-shares", "512"]),
    Probe("--cgroupns private --memory 64m: a cgroup namespace whose cgroup mount shows the limit",
          "grep -E ':(memory|pids):' /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
          _cgroupns_check,
          podman=["--cgroupns", "private", "--memory", "64m"], docker=["--cgroupns", "private", "--memory", "64m"]),
    Probe("--cgroupns host: the container's own cgroup path, bound at /sys/fs/cgroup",
          "grep -E ':memory:' /proc/self/cgroup | cut -d: -f3; cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
          _cgroupns_host_check, podman=["--cgroupns", "host", "--memory", "32m"], docker=["--cgroupns", "host", "--memory", "32m"]),
    Probe("--group-add 1234: supplementary groups", "id -G", _expect_lines("0 1234"),
          podman=["--group-add", "1234"], docker=["--group-add", "1234"]),
    Probe("--umask 0077: the process's umask", "umask", _expect_lines("0077"), podman=["--umask", "0077"]),
    Probe("--security-opt no-new-privileges", "grep ^NoNewPrivs: /proc/self/status | cut -f2", _expect_lines("1"),
          podman=["--security-opt", "no-new-privileges"], docker=["--security-opt", "no-new-privileges"]),
    Probe("--cpuset-cpus 0: the container's CPUs", "cat /sys/fs/cgroup/cpuset/cpuset.cpus", _expect_lines("0"),
          podman=["--cpuset-cpus", "0"], docker=["--cpuset-cpus", "0"]),
    Probe("--shm-size 2m: /dev/shm's size", "df -k /dev/shm | tail -1 | awk '{print $2}'", _expect_lines("2048"),
          podman=["--shm-size", "2m"], docker=["--shm-size", "2m"]),
    Probe("--uidmap 0:100000:65536: a user namespace",
          "echo $(cat /proc/self/uid_map); echo uid $(id -u); echo owner $(stat -c %u /bin/busybox); touch /tmp/x",
          _userns_check, podman=["--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"]),
]


def _init_check(engine):
    # The init binary is bound into the container under these names.
    want = {"podman": "podman-init", "docker": "docker-init"}[engine]
    return _expect_lines(want, "sh")


def register(engine_name, run_probe):
    """Registers every probe with options for engine_name; run_probe(engine, rt, options,
    script, ctx) runs one container and returns its Result."""
    for probe in PROBES:
        if engine_name not in probe.options:
            continue

        def body(eng, rt, probe=probe):
            ctx = Context(os.path.join(eng.work, "probes", eng.fresh_name(rt, "probe")), engine_name, eng.place.path)
            options = probe.options[engine_name]
            options = options(ctx) if callable(options) else options
            r = run_probe(eng, rt, options, probe.script, ctx)
            expect_rc(r, 0, probe.title)
            check = probe.check or _init_check(engine_name)
            try:
                check(r.out, ctx)
            except Failure as e:
                raise Failure(f"{e}\n{r.describe()}") from None
        todo = probe.control_todo.get(engine_name)
        reason = todo() if todo else None
        scenario(engine_name, probe.title, todo={"runc": reason} if reason else None)(body)
