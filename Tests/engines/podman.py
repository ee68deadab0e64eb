"""podman (with conmon) driving the runtime: `podman --runtime PATH`, private storage, runtime
state and config, cgroupfs manager. No daemon: every command is its own process."""

import json
import os
import re

import differential
import harness
import hostenv
import probes
from engine import PARALLEL, TTY_AND_SIZE, Engine, expect_parallel_runs, expect_missing_executable, scenario
from harness import expect, expect_rc
from images import IMAGE

NAME = "podman"


class Podman(Engine):
    name = NAME
    binaries = ["podman", "conmon"]
    bookkeeping_cgroups = {"conmon"}

    def __init__(self, *args):
        super().__init__(*args)
        self.bookkeeping_cgroups = set(self.bookkeeping_cgroups)

    def bookkeeping_mounts(self):
        # containers/storage makes its overlay home a private self-bind.
        return [re.escape(f"{self.work}/root/overlay")]

    def start(self):
        w = self.work
        for d in ("tmp", "cni"):
            os.makedirs(os.path.join(w, d), exist_ok=True)
        with open(os.path.join(w, "containers.conf"), "w") as f:
            f.write(f"""[containers]
# This VM cannot raise RLIMIT_NOFILE/NPROC to podman's defaults (1048576).
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "none"
[network]
network_config_dir = "{w}/cni"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{w}/events.log"
tmp_dir = "{w}/tmp"
# Podman passes --log and --log-format json only to runtimes named here.
runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "swiftlet"]
""")
        with open(os.path.join(w, "storage.conf"), "w") as f:
            f.write(f'[storage]\ndriver = "overlay"\nrunroot = "{w}/runroot"\ngraphroot = "{w}/root"\n')
        with open(os.path.join(w, "registries.conf"), "w") as f:
            f.write("unqualified-search-registries = []\n")
        self.env = dict(os.environ, CONTAINERS_CONF=f"{w}/containers.conf",
                        CONTAINERS_STORAGE_CONF=f"{w}/storage.conf",
                        CONTAINERS_REGISTRIES_CONF=f"{w}/registries.conf")
        result = self.podman(self.runtimes[0], "import", self.rootfs_tar, IMAGE, timeout=120)
        expect_rc(result, 0, "podman import")

    def podman(self, rt, *args, timeout=60, pass_fds=()):
        return harness.run(self.argv(rt, *args), timeout=timeout, env=self.env, pass_fds=pass_fds)

    def argv(self, rt, *args):
        return ["podman", "--root", f"{self.work}/root", "--runroot", f"{self.work}/runroot",
                "--cgroup-manager", "cgroupfs", "--runtime", rt.path, *args]

    def runtime_roots(self, rt):
        # The runtime's default root: podman 4.3 leaves --runtime-flag out of the cleanup
        # command conmon runs at exit, so a private root would leave every container behind.
        return [f"/run/{os.path.basename(rt.path)}"]

    def run_args(self):
        return ["--cgroup-parent", self.place.sub(NAME)]

    def detached(self, rt, what, *command, options=()):
        name = self.fresh_name(rt, what)
        result = self.podman(rt, "run", "-d", "--name", name, *self.run_args(), *options, IMAGE, *command)
        expect_rc(result, 0, "podman run -d")
        return name

    def inspect(self, rt, name, template):
        result = self.podman(rt, "inspect", "--format", template, name)
        expect_rc(result, 0, "podman inspect")
        return result.out.strip()

    def remove(self, rt, name):
        self.podman(rt, "rm", "--force", "--time", "0", name)

    def remove_all(self):
        rt = self.runtimes[0]
        left = self.podman(rt, "ps", "--all", "--format", "{{.Names}} {{.Status}}").out.split("\n")
        left = [line for line in left if line.strip()]
        if left:
            self.podman(rt, "rm", "--all", "--force", "--time", "0")
        return left


def in_one_container(fn):
    """Scenario body fn(engine, rt, name) around a detached `sleep` container, removed after."""
    def body(p, rt):
        name = p.detached(rt, fn.__name__, "sleep", "1000")
        try:
            fn(p, rt, name)
        finally:
            p.remove(rt, name)
    return body


@scenario(NAME, "run --rm: output and exit code")
def run_rm(p, rt):
    name = p.fresh_name(rt, "rm")
    r = p.podman(rt, "run", "--rm", "--name", name, *p.run_args(), IMAGE,
                 "sh", "-c", "echo hello from $(hostname); exit 3")
    expect_rc(r, 3, "run --rm")
    expect("hello from" in r.out, "want the container's output", r)
    left = p.podman(rt, "ps", "--all", "--quiet", "--filter", f"name={name}")
    expect(left.out.strip() == "", "--rm left the container behind", left)


@scenario(NAME, "run -it: a terminal of the window's size")
def run_it(p, rt):
    r = harness.run_in_pty(p.argv(rt, "run", "--rm", "-it", *p.run_args(), IMAGE,
                                  "sh", "-c", TTY_AND_SIZE + "; exit 4"), env=p.env)
    expect_rc(r, 4, "run -it")
    expect(re.search(r"^/dev/pts/\d+$", r.out, re.M), "want tty to name a /dev/pts terminal", r)
    expect(re.search(r"^24 80$", r.out, re.M), "want the 24x80 window size of our terminal", r)


@scenario(NAME, "exec: output and exit code")
@in_one_container
def exec_plain(p, rt, name):
    r = p.podman(rt, "exec", name, "sh", "-c", "echo from exec in $(cat /proc/1/comm); exit 5")
    expect_rc(r, 5, "exec")
    expect("from exec in sleep" in r.out, "want the output of a process next to pid 1 (sleep)", r)


@scenario(NAME, "exec -u 65534 -w /tmp -e FOO=bar: the exec'd process's attributes")
@in_one_container
def exec_attributes(p, rt, name):
    r = p.podman(rt, "exec", "-u", "65534:65534", "-w", "/tmp", "-e", "FOO=bar", name,
                 "sh", "-c", "echo $(id -u) $(id -g) $(pwd) $FOO; grep ^CapEff: /proc/self/status | cut -f2")
    expect_rc(r, 0, "exec with attributes")
    expect(r.out.split() == ["65534", "65534", "/tmp", "bar", "0000000000000000"],
           "want uid/gid 65534, cwd /tmp, FOO=bar and no effective capabilities for a non-root user", r)


@scenario(NAME, "run -i: stdin reaches the process, up to EOF")
def run_stdin(p, rt):
    r = harness.run(p.argv(rt, "run", "--rm", "-i", *p.run_args(), IMAGE, "sh", "-c", "tr a-z A-Z; exit 9"),
                    env=p.env, input="piped through stdin\n")
    expect_rc(r, 9, "run -i")
    expect(r.out.strip() == "PIPED THROUGH STDIN", "want our stdin upper-cased back", r)


@scenario(NAME, "exec -i: stdin reaches the exec'd process, up to EOF")
@in_one_container
def exec_stdin(p, rt, name):
    r = harness.run(p.argv(rt, "exec", "-i", name, "sh", "-c", "tr a-z A-Z; exit 9"), env=p.env,
                    input="piped through stdin\n")
    expect_rc(r, 9, "exec -i")
    expect(r.out.strip() == "PIPED THROUGH STDIN", "want our stdin upper-cased back", r)


@scenario(NAME, "exec -it: a terminal")
@in_one_container
def exec_it(p, rt, name):
    r = harness.run_in_pty(p.argv(rt, "exec", "-it", name, "sh", "-c", "tty; exit 6"), env=p.env)
    expect_rc(r, 6, "exec -it")
    expect(re.search(r"^/dev/pts/\d+$", r.out, re.M), "want tty to name a /dev/pts terminal", r)


def trapping(signal_name, code):
    return ["sh", "-c", f'trap "exit {code}" {signal_name}; echo ready; while :; do sleep 0.1; done']


def wait_ready(p, rt, name):
    harness.eventually(lambda: "ready" in p.podman(rt, "logs", name).out, f"{name} prints ready")


@scenario(NAME, "stop: SIGTERM reaches the container's trap")
def stop(p, rt):
    name = p.detached(rt, "stop", *trapping("TERM", 7))
    try:
        wait_ready(p, rt, name)
        r = p.podman(rt, "stop", "--time", "20", name)
        expect_rc(r, 0, "stop")
        expect(r.seconds < 10, f"stop took {r.seconds:.1f}s: SIGTERM was not delivered", r)
        code = p.inspect(rt, name, "{{.State.ExitCode}}")
        expect(code == "7", f"want exit code 7 from the TERM trap, got {code}")
    finally:
        p.remove(rt, name)


@scenario(NAME, "kill: -s USR1 reaches a trap, -s KILL gives 137")
def kill(p, rt):
    name = p.detached(rt, "kill", *trapping("USR1", 8))
    other = p.detached(rt, "kill", "sleep", "1000")
    try:
        wait_ready(p, rt, name)
        expect_rc(p.podman(rt, "kill", "--signal", "USR1", name), 0, "kill -s USR1")
        r = p.podman(rt, "wait", name)
        expect(r.out.strip() == "8", "want exit code 8 from the USR1 trap", r)
        expect_rc(p.podman(rt, "kill", "--signal", "KILL", other), 0, "kill -s KILL")
        r = p.podman(rt, "wait", other)
        expect(r.out.strip() == "137", "want exit code 137 after SIGKILL", r)
    finally:
        p.remove(rt, name)
        p.remove(rt, other)


@scenario(NAME, "pause and unpause: frozen, then running again")
@in_one_container
def pause(p, rt, name):
    pid = int(p.inspect(rt, name, "{{.State.Pid}}"))
    r = p.podman(rt, "pause", name)
    expect_rc(r, 0, "pause")
    status = p.inspect(rt, name, "{{.State.Status}}")
    expect(status == "paused", f"want status paused, got {status}")
    harness.eventually(lambda: hostenv.frozen(pid), "the container's cgroup is frozen")
    expect_rc(p.podman(rt, "unpause", name), 0, "unpause")
    status = p.inspect(rt, name, "{{.State.Status}}")
    expect(status == "running", f"want status running, got {status}")
    expect(not hostenv.frozen(pid), "the cgroup is still frozen after unpause")
    expect_rc(p.podman(rt, "exec", name, "true"), 0, "exec after unpause")


@scenario(NAME, "top: the container's processes")
@in_one_container
def top(p, rt, name):
    r = p.podman(rt, "top", name)
    expect_rc(r, 0, "top")
    expect(re.search(r"\bsleep 1000\b", r.out), "want sleep 1000 listed", r)


@scenario(NAME, "--memory 64m: the container's memory limit")
def memory(p, rt):
    r = p.podman(rt, "run", "--rm", "--memory", "64m", *p.run_args(), IMAGE, "sh", "-c",
                 "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max")
    expect_rc(r, 0, "run --memory")
    expect(r.out.strip() == "67108864", "want 67108864 in the container's own memory cgroup", r)


@scenario(NAME, "--pids-limit 50: the container's pids limit")
def pids_limit(p, rt):
    r = p.podman(rt, "run", "--rm", "--pids-limit", "50", *p.run_args(), IMAGE, "sh", "-c",
                 "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max")
    expect_rc(r, 0, "run --pids-limit")
    expect(r.out.strip() == "50", "want pids.max 50", r)


@scenario(NAME, "--read-only: read-only root, writable /tmp")
def read_only(p, rt):
    r = p.podman(rt, "run", "--rm", "--read-only", *p.run_args(), IMAGE, "sh", "-c",
                 "touch /x 2>&1; touch /tmp/y && echo tmp-ok")
    expect_rc(r, 0, "run --read-only")
    expect("Read-only file system" in r.out, "want EROFS for a write to /", r)
    expect("tmp-ok" in r.out, "want /tmp writable", r)


@scenario(NAME, "-u 65534:65534: the process's user and group")
def user(p, rt):
    r = p.podman(rt, "run", "--rm", "-u", "65534:65534", *p.run_args(), IMAGE, "id")
    expect_rc(r, 0, "run -u")
    expect("uid=65534(nobody) gid=65534(nogroup)" in r.out, "want uid and gid 65534", r)


def namespaces_of(pid, kinds=("net", "ipc", "uts", "pid")):
    return {k: os.readlink(f"/proc/{pid}/ns/{k}") for k in kinds}


@scenario(NAME, "--network/--ipc/--uts/--pid container:NAME: another container's namespaces, joined by path")
@in_one_container
def join_container(p, rt, name):
    first = namespaces_of(int(p.inspect(rt, name, "{{.State.Pid}}")))
    second = p.detached(rt, "joiner", "sleep", "1000",
                        options=[f"--{k}=container:{name}" for k in ("network", "ipc", "uts", "pid")])
    try:
        got = namespaces_of(int(p.inspect(rt, second, "{{.State.Pid}}")))
        expect(got == first, f"want the first container's namespaces {first}, got {got}")
        r = p.podman(rt, "exec", second, "sh", "-c", "ps -o comm | grep -c sleep")
        expect(r.out.strip() == "2", "want both sleeps visible in the shared pid namespace", r)
    finally:
        p.remove(rt, second)


@scenario(NAME, "pod: containers share the infra container's namespaces")
def pod(p, rt):
    pod = p.fresh_name(rt, "pod")
    r = p.podman(rt, "pod", "create", "--name", pod, "--cgroup-parent", p.place.sub(NAME),
                 "--infra-image", IMAGE, "--infra-command", "sleep 1000", "--share", "net,ipc,uts")
    expect_rc(r, 0, "pod create")
    # podman removes a pod's cgroup from the v1 controllers only, whatever the runtime; its
    # name=systemd and unified directories stay.
    p.bookkeeping_cgroups.add(p.podman(rt, "pod", "inspect", "--format", "{{.Id}}", pod).out.strip())
    try:
        member = p.fresh_name(rt, "member")
        r = p.podman(rt, "run", "-d", "--pod", pod, "--name", member, IMAGE, "sleep", "1000")
        expect_rc(r, 0, "run --pod")
        infra = p.podman(rt, "pod", "inspect", "--format", "{{.InfraContainerID}}", pod).out.strip()
        want = namespaces_of(int(p.inspect(rt, infra, "{{.State.Pid}}")), ("net", "ipc", "uts"))
        got = namespaces_of(int(p.inspect(rt, member, "{{.State.Pid}}")), ("net", "ipc", "uts"))
        expect(got == want, f"want the infra container's namespaces {want}, got {got}")
    finally:
        p.podman(rt, "pod", "rm", "--force", "--time", "0", pod)


@scenario(NAME, "restart: a new init process in the same container")
@in_one_container
def restart(p, rt, name):
    before = p.inspect(rt, name, "{{.State.Pid}}")
    expect_rc(p.podman(rt, "restart", "--time", "0", name), 0, "restart")
    after = p.inspect(rt, name, "{{.State.Pid}}")
    expect(after not in (before, "0"), f"want a new pid after restart, got {before} then {after}")
    expect_rc(p.podman(rt, "exec", name, "true"), 0, "exec after restart")


@scenario(NAME, "exec -d: a detached process")
@in_one_container
def exec_detached(p, rt, name):
    expect_rc(p.podman(rt, "exec", "-d", name, "sh", "-c", "echo detached > /tmp/mark"), 0, "exec -d")
    harness.eventually(lambda: p.podman(rt, "exec", name, "cat", "/tmp/mark").out.strip() == "detached",
                       "the detached process wrote its mark")


@scenario(NAME, "--preserve-fds 1: fd 3 passed through conmon and the runtime")
def preserve_fds(p, rt):
    read_end, write_end = os.pipe()
    os.write(write_end, b"through fd 3\n")
    os.close(write_end)
    try:
        if read_end != 3:
            os.dup2(read_end, 3)
            os.close(read_end)
        r = p.podman(rt, "run", "--rm", "--preserve-fds", "1", *p.run_args(), IMAGE, "cat", "/proc/self/fd/3",
                     pass_fds=(3,))
    finally:
        os.close(3)
    expect_rc(r, 0, "run --preserve-fds 1")
    expect(r.out.strip() == "through fd 3", "want the pipe's contents on fd 3", r)


@scenario(NAME, "exec of a missing executable: runc's error text, exit 127")
@in_one_container
def exec_missing_executable(p, rt, name):
    r = p.podman(rt, "exec", name, "nosuchcmd")
    expect_missing_executable(r, "nosuchcmd", 127)


HOOK_STAGES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
# The state each stage sees (runtime.md lifecycle): poststart comes after the user's process
# started, so `running`.
HOOK_STATUSES = {"prestart": "creating", "createRuntime": "creating", "createContainer": "creating",
                 "startContainer": "created", "poststart": "running", "poststop": "stopped"}


@scenario(NAME, "--hooks-dir: all six OCI hook stages run with the container's state",
          todo={"runc": "runc 1.1 runs poststart hooks before the process starts, with status created "
                        "(runc#4347, moved in runc 1.5 by runc#5186)"})
def hooks(p, rt):
    hooks_dir = os.path.join(p.work, "hooks", rt.name)
    out = os.path.join(hooks_dir, "out")
    os.makedirs(out, exist_ok=True)
    for stage in HOOK_STAGES:
        # startContainer runs in the container: its path and output are the container's.
        target = "/hooks-out" if stage == "startContainer" else out
        with open(os.path.join(hooks_dir, f"{stage}.json"), "w") as f:
            json.dump({"version": "1.0.0", "when": {"always": True}, "stages": [stage],
                       "hook": {"path": "/bin/sh", "args": ["sh", "-c", f"cat > {target}/{stage}.json"]}}, f)
    name = p.fresh_name(rt, "hooks")
    r = p.podman(rt, "--hooks-dir", hooks_dir, "run", "--name", name, *p.run_args(), "-v", f"{out}:/hooks-out",
                 IMAGE, "true")
    expect_rc(r, 0, "run with hooks")
    cid = p.inspect(rt, name, "{{.Id}}")
    p.remove(rt, name)
    statuses = {}
    for stage in HOOK_STAGES:
        path = os.path.join(out, f"{stage}.json")
        expect(os.path.exists(path), f"the {stage} hook did not run")
        with open(path) as f:
            state = json.load(f)
        expect(state.get("id") == cid, f"{stage}: want the container's id in the state, got {state.get('id')}")
        statuses[stage] = state.get("status")
    expect(statuses == HOOK_STATUSES, f"want the statuses {HOOK_STATUSES}, got {statuses}")


@scenario(NAME, f"{PARALLEL} containers at once: each its own output and exit code")
def parallel(p, rt):
    argvs = [p.argv(rt, "run", "--rm", *p.run_args(), IMAGE, "sh", "-c", f"echo run-{n}; exit {n}") for n in range(1, PARALLEL + 1)]
    expect_parallel_runs(harness.run_parallel(argvs, env=p.env))


@scenario(NAME, "--memory 16m and a 64M allocation: OOM-killed, exit 137")
def oom(p, rt):
    # conmon 2.1.6 reports no OOM on cgroup v1 whatever the runtime (OOMKilled stays false).
    r = p.podman(rt, "run", "--rm", *p.run_args(), "--memory", "16m", "--memory-swap", "16m", IMAGE,
                 "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
    expect_rc(r, 137, "the OOM-killed container")


@scenario(NAME, "missing executable: runc's error text, exit 127")
def missing_executable(p, rt):
    r = p.podman(rt, "run", "--rm", *p.run_args(), IMAGE, "nosuchcmd")
    expect_missing_executable(r, "nosuchcmd", 127)


@scenario(NAME, "not executable: permission denied, exit 126")
def not_executable(p, rt):
    r = p.podman(rt, "run", "--rm", *p.run_args(), IMAGE, "/etc/motd")
    expect_rc(r, 126, "not executable")
    expect("permission denied" in r.err, "want 'permission denied'", r)


def run_probe(p, rt, options, script, ctx):
    return p.podman(rt, "run", "--rm", *p.run_args(), *options, IMAGE, "sh", "-c", script)


probes.register(NAME, run_probe)


differential.register(NAME, [
    ("defaults", []),
    ("--read-only", ["--read-only"]),
    ("--privileged", ["--privileged"]),
    ("-u 65534:65534 --cap-add NET_ADMIN --ulimit nofile=100:200", ["-u", "65534:65534", "--cap-add", "NET_ADMIN",
                                                                   "--ulimit", "nofile=100:200", "--ulimit", "nproc=300:400"]),
    ("--cgroupns private --memory 64m", ["--cgroupns", "private", "--memory", "64m"]),
    ("--uidmap 0:100000:65536", ["--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"]),
    ("--init --tmpfs /etc", ["--init", "--tmpfs", "/etc"]),
], run_probe)
