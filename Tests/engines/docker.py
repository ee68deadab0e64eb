"""dockerd (over its own containerd) driving the runtime as `--add-runtime NAME=PATH`, run
with `docker run --runtime NAME`: private data and exec roots, no iptables, no bridge, cgroupfs."""

import os
import re

import differential
import harness
import hostenv
import probes
from containerd import containerd_daemon
from engine import PARALLEL, TTY_AND_SIZE, Engine, expect_parallel_runs, expect_missing_executable, scenario
from harness import expect, expect_rc
from images import IMAGE

NAME = "docker"
# Debian's client; another `docker` may come first on PATH.
CLIENT = "/usr/bin/docker"


class Docker(Engine):
    name = NAME
    binaries = ["dockerd", CLIENT, "containerd", "containerd-shim-runc-v2"]
    # libnetwork's default sandbox, a bind of dockerd's own network namespace.
    bookkeeping = ["exec/netns/default"]

    def start(self):
        w = self.work
        containerd = containerd_daemon(os.path.join(w, "containerd"))
        self.daemons.append(containerd)
        containerd.start()
        with open(f"{w}/daemon.json", "w") as f:
            f.write("{}\n")
        sock = f"{w}/docker.sock"
        argv = ["dockerd", "--config-file", f"{w}/daemon.json", "--data-root", f"{w}/root",
                "--exec-root", f"{w}/exec", "--pidfile", f"{w}/dockerd.pid", "--host", f"unix://{sock}",
                "--containerd", containerd.socket_path, "--iptables=false", "--ip6tables=false",
                "--ip-masq=false", "--ip-forward=false", "--bridge=none", "--storage-driver", "overlay2",
                "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", self.place.sub(NAME)]
        for rt in self.runtimes:
            argv += ["--add-runtime", f"{self.runtime_name(rt)}={rt.path}"]
        daemon = harness.Daemon("dockerd", argv, sock, f"{w}/dockerd.log")
        self.daemons.append(daemon)
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{sock}", DOCKER_CONFIG=f"{w}/client")
        daemon.start()
        expect_rc(self.docker("import", self.rootfs_tar, IMAGE, timeout=120), 0, "docker import")

    @staticmethod
    def runtime_name(rt):
        # Both runtimes as added runtimes, so the control takes the same path through dockerd.
        return f"swe-{rt.name}"

    def runtime_roots(self, rt):
        # dockerd gives every runtime the same root, named after runc.
        return [f"{self.work}/exec/runtime-runc/moby"]

    def bookkeeping_mounts(self):
        return [re.escape(os.path.join(self.work, m)) for m in self.bookkeeping]

    def docker(self, *args, timeout=60):
        return harness.run([CLIENT, *args], timeout=timeout, env=self.env)

    def run_args(self, rt, network="none"):
        return ["--runtime", self.runtime_name(rt), "--network", network]

    def detached(self, rt, what, *command, options=()):
        name = self.fresh_name(rt, what)
        r = self.docker("run", "-d", "--name", name, *self.run_args(rt), *options, IMAGE, *command)
        expect_rc(r, 0, "docker run -d")
        return name

    def inspect(self, name, template):
        r = self.docker("inspect", "--format", template, name)
        expect_rc(r, 0, "docker inspect")
        return r.out.strip()

    def remove(self, name):
        self.docker("rm", "--force", name)

    def remove_all(self):
        if not hasattr(self, "env") or not self.daemons[-1].running():
            return []
        left = self.docker("ps", "--all", "--format", "{{.Names}} {{.Status}}").out.splitlines()
        left = [line for line in left if line.strip()]
        for line in left:
            self.remove(line.split()[0])
        return left


def in_one_container(fn):
    def body(d, rt):
        name = d.detached(rt, fn.__name__, "sleep", "1000")
        try:
            fn(d, rt, name)
        finally:
            d.remove(name)
    return body


@scenario(NAME, "run --rm: output and exit code")
def run_rm(d, rt):
    name = d.fresh_name(rt, "rm")
    r = d.docker("run", "--rm", "--name", name, *d.run_args(rt), IMAGE, "sh", "-c", "echo hello from $(hostname); exit 3")
    expect_rc(r, 3, "docker run --rm")
    expect("hello from" in r.out, "want the container's output", r)
    left = d.docker("ps", "--all", "--quiet", "--filter", f"name={name}")
    expect(left.out.strip() == "", "--rm left the container behind", left)


@scenario(NAME, "run -it: a terminal of the window's size")
def run_it(d, rt):
    r = harness.run_in_pty([CLIENT, "run", "--rm", "-it", *d.run_args(rt), IMAGE, "sh", "-c", TTY_AND_SIZE + "; exit 4"],
                           env=d.env)
    expect_rc(r, 4, "docker run -it")
    expect(re.search(r"^/dev/pts/\d+$", r.out, re.M), "want tty to name a /dev/pts terminal", r)
    expect(re.search(r"^24 80$", r.out, re.M), "want the 24x80 window size of our terminal", r)


@scenario(NAME, "exec: output and exit code")
@in_one_container
def exec_plain(d, rt, name):
    r = d.docker("exec", name, "sh", "-c", "echo from exec in $(cat /proc/1/comm); exit 5")
    expect_rc(r, 5, "docker exec")
    expect("from exec in sleep" in r.out, "want the output of a process next to pid 1 (sleep)", r)


@scenario(NAME, "exec -u 65534 -w /tmp -e FOO=bar: the exec'd process's attributes")
@in_one_container
def exec_attributes(d, rt, name):
    r = d.docker("exec", "-u", "65534:65534", "-w", "/tmp", "-e", "FOO=bar", name,
                 "sh", "-c", "echo $(id -u) $(id -g) $(pwd) $FOO; grep ^CapEff: /proc/self/status | cut -f2")
    expect_rc(r, 0, "exec with attributes")
    expect(r.out.split() == ["65534", "65534", "/tmp", "bar", "0000000000000000"],
           "want uid/gid 65534, cwd /tmp, FOO=bar and no effective capabilities for a non-root user", r)


@scenario(NAME, "run -i: stdin reaches the process, up to EOF")
def run_stdin(d, rt):
    r = harness.run([CLIENT, "run", "--rm", "-i", *d.run_args(rt), IMAGE, "sh", "-c", "tr a-z A-Z; exit 9"],
                    env=d.env, input="piped through stdin\n")
    expect_rc(r, 9, "run -i")
    expect(r.out.strip() == "PIPED THROUGH STDIN", "want our stdin upper-cased back", r)


@scenario(NAME, "exec -i: stdin reaches the exec'd process, up to EOF")
@in_one_container
def exec_stdin(d, rt, name):
    r = harness.run([CLIENT, "exec", "-i", name, "sh", "-c", "tr a-z A-Z; exit 9"], env=d.env,
                    input="piped through stdin\n")
    expect_rc(r, 9, "exec -i")
    expect(r.out.strip() == "PIPED THROUGH STDIN", "want our stdin upper-cased back", r)


@scenario(NAME, "exec -it: a terminal")
@in_one_container
def exec_it(d, rt, name):
    r = harness.run_in_pty([CLIENT, "exec", "-it", name, "sh", "-c", "tty; exit 6"], env=d.env)
    expect_rc(r, 6, "docker exec -it")
    expect(re.search(r"^/dev/pts/\d+$", r.out, re.M), "want tty to name a /dev/pts terminal", r)


@scenario(NAME, "top: the container's processes")
@in_one_container
def top(d, rt, name):
    r = d.docker("top", name)
    expect_rc(r, 0, "docker top")
    expect(re.search(r"\bsleep 1000\b", r.out), "want sleep 1000 listed", r)


@scenario(NAME, "update --memory 64m --pids-limit 50: new limits in a running container")
@in_one_container
def update(d, rt, name):
    r = d.docker("update", "--memory", "64m", "--memory-swap", "128m", "--pids-limit", "50", name)
    expect_rc(r, 0, "docker update")
    r = d.docker("exec", name, "sh", "-c",
                 "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null"
                 " || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max")
    expect(r.out.split() == ["67108864", "50"], "want the memory limit 67108864 and pids.max 50", r)


@scenario(NAME, "stop: SIGTERM reaches the container's trap")
def stop(d, rt):
    name = d.detached(rt, "stop", "sh", "-c", 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done')
    try:
        harness.eventually(lambda: "ready" in d.docker("logs", name).out, f"{name} prints ready")
        r = d.docker("stop", "--time", "20", name)
        expect_rc(r, 0, "docker stop")
        expect(r.seconds < 10, f"stop took {r.seconds:.1f}s: SIGTERM was not delivered", r)
        code = d.inspect(name, "{{.State.ExitCode}}")
        expect(code == "7", f"want exit code 7 from the TERM trap, got {code}")
    finally:
        d.remove(name)


@scenario(NAME, "kill: exit 137")
@in_one_container
def kill(d, rt, name):
    expect_rc(d.docker("kill", name), 0, "docker kill")
    r = d.docker("wait", name)
    expect(r.out.strip() == "137", "want exit code 137 after SIGKILL", r)


@scenario(NAME, "pause and unpause: frozen, then running again")
@in_one_container
def pause(d, rt, name):
    pid = int(d.inspect(name, "{{.State.Pid}}"))
    expect_rc(d.docker("pause", name), 0, "docker pause")
    status = d.inspect(name, "{{.State.Status}}")
    expect(status == "paused", f"want status paused, got {status}")
    harness.eventually(lambda: hostenv.frozen(pid), "the container's cgroup is frozen")
    expect_rc(d.docker("unpause", name), 0, "docker unpause")
    status = d.inspect(name, "{{.State.Status}}")
    expect(status == "running", f"want status running, got {status}")
    expect(not hostenv.frozen(pid), "the cgroup is still frozen after unpause")


@scenario(NAME, "--read-only: a read-only root")
def read_only(d, rt):
    r = d.docker("run", "--rm", "--read-only", *d.run_args(rt), IMAGE, "sh", "-c", "touch /x 2>&1; echo done")
    expect_rc(r, 0, "docker run --read-only")
    expect("Read-only file system" in r.out, "want EROFS for a write to /", r)


def interfaces(proc_net_dev):
    return sorted(line.split(":")[0].strip() for line in proc_net_dev.splitlines()[2:] if ":" in line)


@scenario(NAME, "--network host and none: the host's interfaces, or only lo")
def network(d, rt):
    with open("/proc/net/dev") as f:
        host = interfaces(f.read())
    r = d.docker("run", "--rm", *d.run_args(rt, network="host"), IMAGE, "cat", "/proc/net/dev")
    expect_rc(r, 0, "docker run --network host")
    expect(interfaces(r.out) == host, f"want the host's interfaces {host}", r)
    r = d.docker("run", "--rm", *d.run_args(rt), IMAGE, "cat", "/proc/net/dev")
    expect(interfaces(r.out) == ["lo"], "want only lo with --network none", r)


def namespaces_of(pid, kinds=("net", "ipc", "pid")):
    return {k: os.readlink(f"/proc/{pid}/ns/{k}") for k in kinds}


@scenario(NAME, "--network/--ipc/--pid container:NAME: another container's namespaces, joined by path")
def join_container(d, rt):
    first = d.detached(rt, "shared", "sleep", "1000", options=["--ipc", "shareable"])
    second = None
    try:
        want = namespaces_of(int(d.inspect(first, "{{.State.Pid}}")))
        second = d.fresh_name(rt, "joiner")
        r = d.docker("run", "-d", "--name", second, "--runtime", d.runtime_name(rt),
                     *[f"--{k}=container:{first}" for k in ("network", "ipc", "pid")], IMAGE, "sleep", "1000")
        expect_rc(r, 0, "docker run --network container:")
        got = namespaces_of(int(d.inspect(second, "{{.State.Pid}}")))
        expect(got == want, f"want the first container's namespaces {want}, got {got}")
    finally:
        if second:
            d.remove(second)
        d.remove(first)


@scenario(NAME, "restart: a new init process in the same container")
@in_one_container
def restart(d, rt, name):
    before = d.inspect(name, "{{.State.Pid}}")
    expect_rc(d.docker("restart", "--time", "0", name), 0, "docker restart")
    after = d.inspect(name, "{{.State.Pid}}")
    expect(after not in (before, "0"), f"want a new pid after restart, got {before} then {after}")
    expect_rc(d.docker("exec", name, "true"), 0, "exec after restart")


@scenario(NAME, "exec -d: a detached process")
@in_one_container
def exec_detached(d, rt, name):
    expect_rc(d.docker("exec", "-d", name, "sh", "-c", "echo detached > /tmp/mark"), 0, "docker exec -d")
    harness.eventually(lambda: d.docker("exec", name, "cat", "/tmp/mark").out.strip() == "detached",
                       "the detached process wrote its mark")


@scenario(NAME, "exec of a missing executable: runc's error text, exit 126")
@in_one_container
def exec_missing_executable(d, rt, name):
    r = d.docker("exec", name, "nosuchcmd")
    expect_missing_executable(r, "nosuchcmd", 126)


@scenario(NAME, f"{PARALLEL} containers at once: each its own output and exit code")
def parallel(d, rt):
    argvs = [[CLIENT, "run", "--rm", *d.run_args(rt), IMAGE, "sh", "-c", f"echo run-{n}; exit {n}"] for n in range(1, PARALLEL + 1)]
    expect_parallel_runs(harness.run_parallel(argvs, env=d.env))


@scenario(NAME, "--memory 16m and a 64M allocation: OOM-killed, exit 137")
def oom(d, rt):
    name = d.fresh_name(rt, "oom")
    try:
        r = d.docker("run", "--name", name, *d.run_args(rt), "--memory", "16m", "--memory-swap", "16m", IMAGE,
                 "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
        expect_rc(r, 137, "the OOM-killed container")
        oom_killed = d.inspect(name, "{{.State.OOMKilled}}")
        expect(oom_killed == "true", f"want OOMKilled true, got {oom_killed}")
    finally:
        d.remove(name)


@scenario(NAME, "missing executable: runc's error text, exit 127")
def missing_executable(d, rt):
    r = d.docker("run", "--rm", *d.run_args(rt), IMAGE, "nosuchcmd")
    expect_missing_executable(r, "nosuchcmd", 127)


def run_probe(d, rt, options, script, ctx):
    network = [] if "--network" in options else ["--network", "none"]
    return d.docker("run", "--rm", "--runtime", d.runtime_name(rt), *network, *options, IMAGE, "sh", "-c", script)


probes.register(NAME, run_probe)


differential.register(NAME, [
    ("defaults", []),
    ("--read-only --tmpfs /run", ["--read-only", "--tmpfs", "/run"]),
    ("--network host", ["--network", "host"]),
    ("-u 65534:65534 --cap-drop ALL --security-opt no-new-privileges", ["-u", "65534:65534", "--cap-drop", "ALL",
                                                                        "--security-opt", "no-new-privileges"]),
    ("--init --ipc shareable --shm-size 2m", ["--init", "--ipc", "shareable", "--shm-size", "2m"]),
], run_probe)
