"""The engine group's plumbing: TAP reporting, commands with timeouts, pseudo-terminals, and
daemons started as our own processes and stopped by PID."""

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
import traceback


class Failure(Exception):
    """A scenario's check did not hold; the message says what was expected and what came."""


class Skip(Exception):
    """A scenario cannot run here (an engine is missing); not a failure."""


class Result:
    def __init__(self, argv, rc, out, err, seconds):
        self.argv, self.rc, self.out, self.err, self.seconds = argv, rc, out, err, seconds

    def describe(self):
        lines = ["$ " + " ".join(self.argv), f"exit {self.rc} after {self.seconds:.2f}s"]
        for label, text in (("stdout", self.out), ("stderr", self.err)):
            text = text.strip()
            if text:
                tail = text.splitlines()[-12:]
                lines.append(f"{label}:")
                lines.extend("  " + line for line in tail)
        return "\n".join(lines)


def run(argv, timeout=60, env=None, input=None, pass_fds=()):
    """Runs argv to completion (stdin /dev/null unless input is given); a timeout is a Failure
    that names the command, after the process group is killed."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, pass_fds=pass_fds,
                            start_new_session=True, text=True, errors="replace")
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        out, err = proc.communicate()
        raise Failure(f"timed out after {timeout}s: {' '.join(argv)}\n{err.strip()[-2000:]}")
    return Result(argv, proc.returncode, out, err, time.monotonic() - start)


def run_parallel(argvs, timeout=120, env=None):
    """Runs the commands at the same time; returns their Results in order."""
    import threading
    results = [None] * len(argvs)
    errors = []

    def one(i):
        try:
            results[i] = run(argvs[i], timeout=timeout, env=env)
        except Failure as f:
            errors.append(str(f))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(argvs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise Failure("\n".join(errors))
    return results


def run_in_pty(argv, timeout=60, env=None):
    """Runs argv with a new pseudo-terminal as its controlling terminal and stdin/stdout/stderr,
    as a user's `-it` would, 24 rows by 80 columns; returns what it wrote there, without CRs."""
    import fcntl
    import struct
    import termios
    start = time.monotonic()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    def become_session_leader():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            preexec_fn=become_session_leader, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = start + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                kill_group(proc.pid)
                proc.wait()
                raise Failure(f"timed out after {timeout}s on a terminal: {' '.join(argv)}\n"
                              + b"".join(chunks).decode(errors="replace")[-2000:])
            ready, _, _ = select.select([master], [], [], min(left, 0.5))
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:  # EIO: every holder of the slave side has closed it
                    data = b""
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                # The engine is gone; a container holding the slave is not our reader's problem.
                break
        rc = proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        os.close(master)
    # ctr leaves our terminal raw (CR CR LF); engines write a NUL before the output now and then.
    text = b"".join(chunks).decode(errors="replace").replace("\r", "").replace("\0", "")
    return Result(argv, rc, text, "", time.monotonic() - start)


def kill_group(pid):
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def expect(condition, message, result=None):
    if not condition:
        raise Failure(message + ("\n" + result.describe() if result is not None else ""))


def expect_rc(result, rc, what):
    expect(result.rc == rc, f"{what}: want exit {rc}, got {result.rc}", result)


def eventually(probe, what, timeout=10, interval=0.1):
    """Polls probe() until it returns a true value (that value is returned)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise Failure(f"{what}: not true after {timeout}s (last probe: {last!r})")


class Daemon:
    """A daemon of ours: own process group, output in a log file, ready when its unix socket
    accepts; stop() sends SIGTERM, then SIGKILL after a grace period, always by PID."""

    def __init__(self, name, argv, socket_path, log_path, env=None):
        self.name, self.argv, self.socket_path, self.log_path, self.env = name, argv, socket_path, log_path, env
        self.proc = None

    def start(self, timeout=30):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     env=self.env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Failure(f"{self.name} exited with {self.proc.returncode} while starting:\n{self.log_tail()}")
            if self._accepts():
                return
            time.sleep(0.1)
        raise Failure(f"{self.name}: {self.socket_path} not accepting after {timeout}s:\n{self.log_tail()}")

    def _accepts(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.socket_path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace=20):
        """Returns how it ended: 'exited N', 'killed' or 'not started'."""
        if self.proc is None:
            return "not started"
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                return "killed after SIGTERM timed out"
        return f"exited {self.proc.returncode}"

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError as e:
            return f"(no log: {e})"


class Reporter:
    """TAP-ish lines: `ok N - name`, `not ok N - name` with `#` diagnostics, `ok N - name # SKIP`;
    the last line counts them."""

    def __init__(self, stream=sys.stdout):
        self.stream = stream
        self.count = self.passed = self.failed = self.skipped = self.todo = 0
        self.failures = []
        self.interrupted = False

    def line(self, text):
        print(text, file=self.stream, flush=True)

    def comment(self, text):
        for line in str(text).splitlines() or [""]:
            self.line("# " + line)

    def check(self, name, body, todo=None):
        """Runs body(); a Failure or any other exception is a failed test, Skip a skipped one.
        With todo (why it is known to fail), a failure is `not ok ... # TODO` and not counted."""
        self.count += 1
        start = time.monotonic()
        try:
            body()
        except Skip as s:
            self.skipped += 1
            self.line(f"ok {self.count} - {name} # SKIP {s}")
            return False
        except Failure as f:
            self._failed(name, str(f), start, todo)
            return False
        except Exception:  # a bug in the scenario itself still has to show up as a failure
            self._failed(name, traceback.format_exc(), start, todo)
            return False
        except KeyboardInterrupt:  # the group is being stopped: this test did not finish
            self._failed(name, "interrupted", start)
            self.interrupted = True
            raise
        self.passed += 1
        note = f" # TODO passes although: {todo}" if todo else ""
        self.line(f"ok {self.count} - {name} ({time.monotonic() - start:.1f}s){note}")
        return True

    def _failed(self, name, why, start, todo=None):
        if todo:
            self.todo += 1
            self.line(f"not ok {self.count} - {name} ({time.monotonic() - start:.1f}s) # TODO {todo}")
        else:
            self.failed += 1
            self.failures.append(name)
            self.line(f"not ok {self.count} - {name} ({time.monotonic() - start:.1f}s)")
        for line in why.strip().splitlines():
            self.line("#   " + line)

    def summary(self):
        self.line(f"1..{self.count}")
        if self.todo:
            self.comment(f"{self.todo} known failures (TODO), not counted")
        self.line(f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped")


class Background:
    """A foreground engine command (`ctr run`) kept running while the scenario acts on its
    container from outside; finish() collects its exit code like run() does."""

    def __init__(self, argv, env=None):
        self.argv = argv
        self.start = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, start_new_session=True)
        self.out = b""

    def wait_for(self, text, timeout=20):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.out:
            left = deadline - time.monotonic()
            chunk = None
            if left > 0 and select.select([self.proc.stdout], [], [], min(left, 0.5))[0]:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                self.out += chunk
            if left <= 0 or chunk == b"":
                if left <= 0:
                    kill_group(self.proc.pid)
                result = self.finish(timeout=10)
                raise Failure(f"no {text!r} from the container\n" + result.describe())

    def finish(self, timeout=30):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(self.proc.pid)
            out, err = self.proc.communicate()
            raise Failure(f"timed out after {timeout}s: {' '.join(self.argv)}")
        return Result(self.argv, self.proc.returncode, (self.out + out).decode(errors="replace"),
                      err.decode(errors="replace"), time.monotonic() - self.start)
