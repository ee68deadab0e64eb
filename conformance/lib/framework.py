"""Test registry, per-test context and the checks tests use.

A test is a function taking a Ctx. It fails by raising Failure (through
Ctx.check/expect helpers), skips by raising Skip. Everything a test creates
lives under Ctx.tmp and is registered for cleanup, so a failing test leaves no
container, mount, process or cgroup behind.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from . import proc

TESTS = []


class Failure(Exception):
    pass


class Skip(Exception):
    pass


class Test:
    def __init__(self, name, func, clauses, desc, runc_note, module, needs_root=None, runc_rootless=None):
        self.name = name
        self.func = func
        self.clauses = clauses
        self.desc = desc
        # Why runc 1.1.5 fails this test, citing the spec; printed with the
        # result so a runc failure is never silent.
        self.runc_note = runc_note
        self.module = module
        # Why the test cannot run in the rootless pass (None: it runs there). Specific to
        # the test: what it needs that an unprivileged user cannot have.
        self.needs_root = needs_root
        # Why runc 1.1.5 run rootless fails this test (its rootless-only deviations).
        self.runc_rootless = runc_rootless


def test(name, clauses, desc="", runc=None, needs_root=None, runc_rootless=None):
    """Registers a test. `clauses` are ids of lib.clauses.CLAUSES. `needs_root` says why
    the test is skipped in the rootless pass; without it the test runs there too."""
    def register(func):
        if any(t.name == name for t in TESTS):
            raise RuntimeError("duplicate test name " + name)
        if needs_root is not None and not needs_root.strip():
            raise RuntimeError("test %s: needs_root needs a reason" % name)
        TESTS.append(Test(name, func, list(clauses), desc, runc, func.__module__, needs_root, runc_rootless))
        return func
    return register


class Result:
    def __init__(self, argv, rc, out, err, duration):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err
        self.duration = duration

    def __repr__(self):
        return "rc=%s argv=%s out=%r err=%r" % (self.rc, " ".join(self.argv), self.out[-400:], self.err[-600:])


class Ctx:
    """One test's world: its temp dir, its state root, its containers."""

    def __init__(self, runtime, base, test_name, run_tmp, rootless=None):
        self.runtime = runtime
        self.base = base  # lib.bundle.BaseImage
        self.name = test_name
        # lib.rootless.RootlessUser in the rootless pass: runtime commands run as that user.
        self.rootless = rootless
        self.tmp = tempfile.mkdtemp(prefix=test_name[:40] + ".", dir=run_tmp)
        os.chmod(self.tmp, 0o755)
        self.root = os.path.join(self.tmp, "state")
        os.mkdir(self.root, 0o700)
        if rootless:
            rootless.own(self.tmp)
        self.ids = []
        self.pids = []
        self.mounts = []
        self.cleanups = []
        self.notes = []
        self._n = 0

    # ----- naming -----
    def new_id(self, tag="c"):
        self._n += 1
        return "cf-%s-%d-%s" % (tag, self._n, os.urandom(3).hex())

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def note(self, msg):
        self.notes.append(msg)

    # ----- bundles -----
    def bundle(self, args=None, name=None):
        from .bundle import Bundle
        self._n += 1
        b = Bundle(self, self.path(name or "bundle%d" % self._n))
        if args is not None:
            b.config["process"]["args"] = list(args)
        return b

    # ----- running the runtime -----
    def rt(self, *args, timeout=20, stdin=subprocess.DEVNULL, input=None, files=None, cwd=None, env=None,
           pass_fds=()):
        """Runs RUNTIME --root <state> ARGS. With `files` (stdout, stderr paths)
        the runtime's stdio go to files, which is what create needs: the
        container inherits them and a pipe would hang the harness."""
        argv = [self.runtime, "--root", self.root] + [str(a) for a in args]
        user = {}
        if self.rootless:
            env = self.rootless.env(env)
            user = self.rootless.popen_args()
        t0 = time.monotonic()
        if files:
            with open(files[0], "ab") as fo, open(files[1], "ab") as fe:
                p = subprocess.Popen(argv, stdin=stdin, stdout=fo, stderr=fe, cwd=cwd, env=env,
                                     start_new_session=True, close_fds=True, pass_fds=pass_fds, **user)
                rc = _wait(p, timeout)
            out = _read(files[0])
            err = _read(files[1])
        else:
            p = subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else stdin,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
                                 start_new_session=True, close_fds=True, **user)
            try:
                out, err = p.communicate(input=input.encode() if isinstance(input, str) else input,
                                         timeout=timeout)
                rc = p.returncode
            except subprocess.TimeoutExpired:
                _killpg(p)
                out, err = p.communicate()
                rc = "timeout"
            out = out.decode(errors="replace")
            err = err.decode(errors="replace")
        return Result(argv, rc, out, err, time.monotonic() - t0)

    def create(self, bundle, cid=None, extra=(), timeout=20, track=True, write=True, pass_fds=(), env=None,
               cwd=None):
        if write:
            bundle.write()
        cid = cid or self.new_id()
        if track and cid not in self.ids:
            self.ids.append(cid)
        r = self.rt("create", "--bundle", bundle.dir, *extra, cid,
                    files=(bundle.stdout, bundle.stderr), timeout=timeout, pass_fds=pass_fds, env=env,
                    cwd=cwd)
        r.id = cid
        if r.rc == 0:
            st = self.state_or_none(cid)
            if st and st.get("pid"):
                self.pids.append(st["pid"])
        return r

    def create_ok(self, bundle, cid=None, extra=(), **kw):
        r = self.create(bundle, cid, extra, **kw)
        self.check(r.rc == 0, "create failed: %r" % r)
        return r.id

    def start(self, cid, timeout=20):
        return self.rt("start", cid, timeout=timeout)

    def start_ok(self, cid):
        r = self.start(cid)
        self.check(r.rc == 0, "start failed: %r" % r)
        return r

    def state(self, cid):
        r = self.rt("state", cid)
        self.check(r.rc == 0, "state failed: %r" % r)
        try:
            return json.loads(r.out)
        except ValueError:
            raise Failure("state output is not JSON: %r" % r.out[:500])

    def state_or_none(self, cid):
        r = self.rt("state", cid)
        if r.rc != 0:
            return None
        try:
            return json.loads(r.out)
        except ValueError:
            return None

    def kill(self, cid, sig="KILL", all_=False):
        return self.rt("kill", *(["--all"] if all_ else []), cid, sig)

    def delete(self, cid, force=False):
        return self.rt("delete", *(["--force"] if force else []), cid)

    def wait_status(self, cid, want, timeout=10):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.state_or_none(cid)
            if st and st.get("status") == want:
                return st
            proc.reap_zombies()
            time.sleep(0.02)
        raise Failure("container %s did not reach status %r within %ss (last state %r)" % (cid, want, timeout, st))

    def wait_exit(self, pid, timeout=10):
        """Waits for the container process to end; returns its wait status
        (the harness is a child subreaper, so it usually is our child) or
        None when another process reaped it."""
        return proc.wait_pid(pid, timeout)

    def run(self, bundle, timeout=15, start_timeout=20):
        """create + start + wait for the process to end + delete; returns the
        container's wait status (or None) and its stdout text."""
        cid = self.create_ok(bundle)
        st = self.state(cid)
        pid = st.get("pid")
        self.start_ok(cid)
        status = self.wait_exit(pid, timeout) if pid else None
        if pid and proc.alive(pid):
            raise Failure("container process %s still running after %ss" % (pid, timeout))
        self.wait_status(cid, "stopped", timeout=5)
        r = self.delete(cid)
        self.check(r.rc == 0, "delete of stopped container failed: %r" % r)
        self.ids.remove(cid)
        return status, _read(bundle.stdout)

    def run_script(self, script, bundle=None, **kw):
        """Runs `sh -c script` in a container (default bundle) and returns
        (bundle, wait status, stdout)."""
        b = bundle or self.bundle()
        b.config["process"]["args"] = ["sh", "-c", script]
        status, out = self.run(b, **kw)
        return b, status, out

    # ----- checks -----
    def check(self, cond, msg):
        if not cond:
            raise Failure(msg)

    def eq(self, got, want, what):
        if got != want:
            raise Failure("%s: got %r, want %r" % (what, got, want))

    def fails(self, r, what):
        """The operation must have generated an error (non-zero exit)."""
        if r.rc == 0:
            raise Failure("%s: expected an error, runtime exited 0 (%r)" % (what, r))
        if r.rc == "timeout":
            raise Failure("%s: runtime hung (%r)" % (what, r))

    def skip(self, reason):
        raise Skip(reason)

    # ----- cleanup -----
    def add_mount(self, path):
        self.mounts.append(path)

    def defer(self, fn):
        self.cleanups.append(fn)

    def cleanup(self):
        errors = []
        for cid in reversed(self.ids):
            st = self.state_or_none(cid)
            if st is None:
                continue
            if st.get("pid"):
                self.pids.append(st["pid"])
            r = self.delete(cid, force=True)
            if r.rc != 0 or self.state_or_none(cid) is not None:
                errors.append("delete --force %s: %r" % (cid, r))
        for pid in self.pids:
            if proc.alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
                proc.wait_pid(pid, 2)
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # cleanup must go on
                errors.append("cleanup %s: %s" % (fn, e))
        proc.unmount_under(self.tmp, self.mounts)
        proc.reap_zombies()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if os.path.exists(self.tmp):
            # a mount we did not know of keeps the tree busy: try again once
            proc.unmount_under(self.tmp, [])
            shutil.rmtree(self.tmp, ignore_errors=True)
        return errors


def _wait(p, timeout):
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _killpg(p)
        p.wait()
        return "timeout"


def _killpg(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
