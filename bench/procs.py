"""Spawning and timing of one command, reaping as a child subreaper.

Every timed command goes through posix_spawn + wait4 so that all runtimes pay
the same spawn cost and the wall clock brackets only spawn-to-reap. The bench
process is a child subreaper (like conmon or containerd-shim): a container's
init, orphaned when `create` exits, becomes our child, so "wait for exit" is a
real wait4 and no zombie is left behind.
"""

import ctypes
import errno
import os
import resource
import time
from dataclasses import dataclass, field

PR_SET_CHILD_SUBREAPER = 36

# Exit statuses of children reaped while waiting for someone else (orphaned
# container inits, runtime helpers). wait_exit() looks here first.
_reaped_elsewhere: dict[int, int] = {}


def become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(err)}")


@dataclass
class Outcome:
    """What one command did: exit code, wall time, CPU, output."""
    argv: list[str]
    rc: int
    wall_ns: int
    cpu_ns: int          # user+sys of the command and every descendant reaped by then
    end_ns: int = 0      # perf_counter_ns right after the reap
    out: str = ""
    err: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def describe(self) -> str:
        tail = (self.err.strip() or self.out.strip()).splitlines()[-3:]
        return f"`{' '.join(self.argv)}` exited {self.rc}: {' / '.join(tail)[:300]}"


def _exit_code(status: int) -> int:
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 255


def _cpu_ns(ru) -> int:
    return int((ru.ru_utime + ru.ru_stime) * 1e9)


def _memfd(name: str) -> int:
    return os.memfd_create(name, os.MFD_CLOEXEC)


def _read_all(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        b = os.read(fd, 1 << 16)
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks).decode(errors="replace")


_devnull_r = None
_devnull_w = None


def _devnulls() -> tuple[int, int]:
    global _devnull_r, _devnull_w
    if _devnull_r is None:
        _devnull_r = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        _devnull_w = os.open("/dev/null", os.O_WRONLY | os.O_CLOEXEC)
    return _devnull_r, _devnull_w


def spawn(argv: list[str], out_fd: int, err_fd: int) -> int:
    """posix_spawn with stdin from /dev/null; the fds become 0, 1, 2."""
    null_r, _ = _devnulls()
    actions = [
        (os.POSIX_SPAWN_DUP2, null_r, 0),
        (os.POSIX_SPAWN_DUP2, out_fd, 1),
        (os.POSIX_SPAWN_DUP2, err_fd, 2),
    ]
    return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)


def reap_orphans() -> None:
    """Collect every exited child that nobody is waiting for by pid."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _reaped_elsewhere[pid] = status


def run(argv: list[str], capture: bool = False, reap: bool = True) -> Outcome:
    """Runs argv once, timed from just before spawn to just after its reap.

    capture keeps stdout (otherwise /dev/null); stderr is always kept for the
    error report. reap=False leaves exited orphans alone (a container that
    exits during `start` must be reaped by the "wait" phase, not here); CPU is
    then only the command's own subtree.
    """
    _, null_w = _devnulls()
    out_fd = _memfd("out") if capture else null_w
    err_fd = _memfd("err")
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter_ns()
        pid = spawn(argv, out_fd, err_fd)
        _, status, ru = os.wait4(pid, 0)
        t1 = time.perf_counter_ns()
        if reap:
            reap_orphans()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = _cpu_ns(after) - _cpu_ns(before)
        else:
            cpu = _cpu_ns(ru)
        return Outcome(argv, _exit_code(status), t1 - t0, cpu, t1,
                       _read_all(out_fd) if capture else "", _read_all(err_fd))
    finally:
        if capture:
            os.close(out_fd)
        os.close(err_fd)


def quiet(argv: list[str]) -> Outcome:
    """Untimed helper command (setup, cleanup); output captured for errors."""
    return run(argv, capture=True)


@dataclass
class Exit:
    rc: int
    cpu_ns: int


def wait_exit(pid: int, timeout_s: float = 30.0) -> Exit:
    """Waits for a container init to end: wait4 if it is our child, else polls /proc."""
    if pid in _reaped_elsewhere:
        return Exit(_exit_code(_reaped_elsewhere.pop(pid)), 0)
    try:
        _, status, ru = os.wait4(pid, 0)
        return Exit(_exit_code(status), _cpu_ns(ru))
    except ChildProcessError:
        pass
    if pid in _reaped_elsewhere:
        return Exit(_exit_code(_reaped_elsewhere.pop(pid)), 0)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return Exit(0, 0)
        if state in ("Z", "X"):
            return Exit(0, 0)
        time.sleep(0.0002)
    raise TimeoutError(f"pid {pid} still alive after {timeout_s}s")


@dataclass
class Batch:
    """Outcome of a parallel batch: wall time and the failures."""
    wall_ns: int
    failures: list[str] = field(default_factory=list)


def run_parallel(argvs: list[list[str]], parallelism: int) -> Batch:
    """Runs every argv, at most `parallelism` at a time, as soon as a slot frees."""
    _, null_w = _devnulls()
    pending = list(reversed(argvs))
    running: dict[int, tuple[list[str], int]] = {}
    failures = []
    t0 = time.perf_counter_ns()
    while pending or running:
        while pending and len(running) < parallelism:
            argv = pending.pop()
            err_fd = _memfd("err")
            running[spawn(argv, null_w, err_fd)] = (argv, err_fd)
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid not in running:
            _reaped_elsewhere[pid] = status
            continue
        argv, err_fd = running.pop(pid)
        rc = _exit_code(status)
        if rc != 0:
            failures.append(Outcome(argv, rc, 0, 0, 0, "", _read_all(err_fd)).describe())
        os.close(err_fd)
    t1 = time.perf_counter_ns()
    reap_orphans()
    return Batch(t1 - t0, failures)


def kill_pid(pid: int, sig: int = 9) -> None:
    try:
        os.kill(pid, sig)
    except OSError as e:
        if e.errno != errno.ESRCH:
            raise
