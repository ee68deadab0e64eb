"""containerd (containerd-shim-runc-v2) driving the runtime through `ctr run --runc-binary
PATH --runc-root DIR`: its own daemon with private root, state and sockets."""

import os
import re

import differential
import harness
import hostenv
import probes
from engine import PARALLEL, TTY_AND_SIZE, Engine, expect_parallel_runs, scenario
from harness import expect, expect_rc
from images import IMAGE

NAME = "containerd"
NAMESPACE = "swiftlet-engines"


def containerd_daemon(work):
    """A containerd of our own under work; only what ctr and dockerd use is enabled."""
    os.makedirs(work, exist_ok=True)
    config = os.path.join(work, "config.toml")
    sock = os.path.join(work, "containerd.sock")
    disabled = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
                "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
                "io.containerd.tracing.processor.v1.otlp"]
    with open(config, "w") as f:
        f.write(f"""version = 2
root = "{work}/root"
state = "{work}/state"
disabled_plugins = [{", ".join(f'"{p}"' for p in disabled)}]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[debug]
  level = "debug"
""")
    return harness.Daemon("containerd", ["containerd", "--config", config], sock, os.path.join(work, "containerd.log"))


class Containerd(Engine):
    name = NAME
    binaries = ["containerd", "ctr", "containerd-shim-runc-v2"]

    def start(self):
        daemon = containerd_daemon(self.work)
        self.daemons.append(daemon)
        daemon.start()
        self.sock = daemon.socket_path
        os.makedirs(f"{self.work}/fifo", exist_ok=True)
        expect_rc(self.ctr("images", "import", self.oci_tar, timeout=120), 0, "ctr images import")

    def ctr(self, *args, timeout=60):
        return harness.run(self.argv(*args), timeout=timeout)

    def argv(self, *args):
        return ["ctr", "--address", self.sock, "--namespace", NAMESPACE, *args]

    def runtime_roots(self, rt):
        return [f"{self.work}/state-{rt.name}"]

    def run_argv(self, rt, name, options, *command):
        """`ctr run OPTIONS` with rt as the shim's runc binary, in our own cgroup place."""
        return self.argv("run", "--runc-binary", rt.path, "--runc-root", self.runtime_roots(rt)[0],
                         "--fifo-dir", f"{self.work}/fifo", "--cgroup", self.place.sub(NAME, name),
                         *options, IMAGE, name, *command)

    def task(self, name):
        """(pid, status) from `ctr task ls`, or None."""
        for line in self.ctr("task", "ls").out.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 3 and fields[0] == name:
                return int(fields[1]), fields[2]
        return None

    def detached(self, rt, what, *command):
        name = self.fresh_name(rt, what)
        expect_rc(harness.run(self.run_argv(rt, name, ["-d"], *command)), 0, "ctr run -d")
        return name

    def remove(self, name):
        if self.task(name):
            self.ctr("task", "kill", "--signal", "KILL", name)
            harness.eventually(lambda: (self.task(name) or (0, "STOPPED"))[1] == "STOPPED", f"{name} stops")
            self.ctr("task", "delete", name)
        self.ctr("containers", "delete", name)

    def remove_all(self):
        if not getattr(self, "sock", None) or not self.daemons[0].running():
            return []
        left = [line.split()[0] for line in self.ctr("containers", "ls").out.splitlines()[1:] if line.strip()]
        for name in left:
            self.remove(name)
        return left


def in_one_container(fn):
    def body(c, rt):
        name = c.detached(rt, fn.__name__, "sleep", "1000")
        try:
            fn(c, rt, name)
        finally:
            c.remove(name)
    return body


@scenario(NAME, "run --rm: output and exit code")
def run_rm(c, rt):
    name = c.fresh_name(rt, "rm")
    r = harness.run(c.run_argv(rt, name, ["--rm"], "sh", "-c", "echo hello from $(hostname); exit 3"))
    expect_rc(r, 3, "ctr run --rm")
    expect("hello from" in r.out, "want the container's output", r)
    expect(name not in c.ctr("containers", "ls", "--quiet").out.split(), "--rm left the container")


@scenario(NAME, "run -t: a terminal of the window's size")
def run_t(c, rt):
    name = c.fresh_name(rt, "tty")
    r = harness.run_in_pty(c.run_argv(rt, name, ["--rm", "-t"], "sh", "-c", TTY_AND_SIZE + "; exit 4"))
    expect_rc(r, 4, "ctr run -t")
    expect(re.search(r"^/dev/pts/\d+$", r.out, re.M), "want tty to name a /dev/pts terminal", r)
    expect(re.search(r"^24 80$", r.out, re.M), "want the 24x80 window size of our terminal", r)


@scenario(NAME, "run -d, task exec: output and exit code")
@in_one_container
def task_exec(c, rt, name):
    r = c.ctr("task", "exec", "--fifo-dir", f"{c.work}/fifo", "--exec-id", "e1", name,
              "sh", "-c", "echo from exec in $(cat /proc/1/comm); exit 5")
    expect_rc(r, 5, "task exec")
    expect("from exec in sleep" in r.out, "want the output of a process next to pid 1 (sleep)", r)


@scenario(NAME, "task exec -t: a terminal")
@in_one_container
def task_exec_t(c, rt, name):
    r = harness.run_in_pty(c.argv("task", "exec", "-t", "--fifo-dir", f"{c.work}/fifo", "--exec-id", "e2",
                                  name, "sh", "-c", "tty; exit 6"))
    expect_rc(r, 6, "task exec -t")
    expect(re.search(r"^/dev/pts/\d+$", r.out, re.M), "want tty to name a /dev/pts terminal", r)


@scenario(NAME, "task ps: the container's processes")
@in_one_container
def task_ps(c, rt, name):
    pid, _ = c.task(name)
    r = c.ctr("task", "ps", name)
    expect_rc(r, 0, "task ps")
    pids = [int(line.split()[0]) for line in r.out.splitlines()[1:] if line.split()]
    expect(pid in pids, f"want the init pid {pid} listed", r)


@scenario(NAME, "task pause and resume: frozen, then running again")
@in_one_container
def pause(c, rt, name):
    pid, _ = c.task(name)
    expect_rc(c.ctr("task", "pause", name), 0, "task pause")
    status = c.task(name)[1]
    expect(status == "PAUSED", f"want PAUSED, got {status}")
    harness.eventually(lambda: hostenv.frozen(pid), "the container's cgroup is frozen")
    expect_rc(c.ctr("task", "resume", name), 0, "task resume")
    status = c.task(name)[1]
    expect(status == "RUNNING", f"want RUNNING, got {status}")
    expect(not hostenv.frozen(pid), "the cgroup is still frozen after resume")


@scenario(NAME, "task kill: SIGTERM reaches a trap, -s KILL gives 137")
def kill(c, rt):
    for signal_args, code in (((), 7), (("--signal", "KILL"), 137)):
        name = c.fresh_name(rt, "kill")
        fg = harness.Background(c.run_argv(rt, name, ["--rm"], "sh", "-c",
                                           'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'))
        try:
            fg.wait_for("ready")
            expect_rc(c.ctr("task", "kill", *signal_args, name), 0, "task kill")
            r = fg.finish()
            expect_rc(r, code, f"ctr run after task kill {' '.join(signal_args) or '(SIGTERM)'}")
        finally:
            if c.task(name) or name in c.ctr("containers", "ls", "--quiet").out.split():
                c.remove(name)


@scenario(NAME, f"{PARALLEL} containers at once: each its own output and exit code")
def parallel(c, rt):
    argvs = [c.run_argv(rt, c.fresh_name(rt, "parallel"), ["--rm"], "sh", "-c", f"echo run-{n}; exit {n}") for n in range(1, PARALLEL + 1)]
    expect_parallel_runs(harness.run_parallel(argvs, env=None))


@scenario(NAME, "task kill --all: an exec'd process gets the signal too")
@in_one_container
def kill_all(c, rt, name):
    fg = harness.Background(c.argv("task", "exec", "--fifo-dir", f"{c.work}/fifo", "--exec-id", "trap", name, "sh", "-c",
                                   'trap "echo got-usr1; exit 4" USR1; echo ready; while :; do sleep 0.1; done'))
    try:
        fg.wait_for("ready")
        expect_rc(c.ctr("task", "kill", "--all", "--signal", "USR1", name), 0, "task kill --all")
        r = fg.finish()
        expect_rc(r, 4, "the exec'd process after kill --all USR1")
        expect("got-usr1" in r.out, "want the exec'd process's trap output", r)
        expect(c.task(name)[1] == "RUNNING", "want the init (sleep, pid 1 without a USR1 handler) still running")
    finally:
        if fg.proc.poll() is None:
            harness.kill_group(fg.proc.pid)
            fg.proc.wait()


@scenario(NAME, "missing executable: runc's error text")
def missing_executable(c, rt):
    name = c.fresh_name(rt, "missing")
    try:
        r = harness.run(c.run_argv(rt, name, ["--rm"], "nosuchcmd"))
        expect('exec: "nosuchcmd": executable file not found in $PATH' in r.err,
               "want runc's 'executable file not found in $PATH' error text", r)
        expect(r.rc != 0, "want ctr to fail", r)
    finally:
        if name in c.ctr("containers", "ls", "--quiet").out.split():
            c.remove(name)


def run_probe(c, rt, options, script, ctx):
    return harness.run(c.run_argv(rt, c.fresh_name(rt, "probe"), ["--rm", *options], "sh", "-c", script))


probes.register(NAME, run_probe)


differential.register(NAME, [
    ("defaults", []),
    ("--privileged", ["--privileged"]),
    ("--read-only --seccomp", ["--read-only", "--seccomp"]),
], run_probe)
