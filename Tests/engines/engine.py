"""What the three engine modules share: the runtimes under test and an engine's life in the
group (start its daemons, import the image, run scenarios, clean up, stop)."""

import os
import shutil

import harness


class Runtime:
    """A runtime binary the engines are pointed at: swiftlet, or runc as the control. Engines
    get `path`, a logging wrapper of the same name that execs `binary`, so a scenario can tell
    whether the engine called this runtime at all (ctr, for one, drops --runc-binary when
    given --no-pivot and silently runs runc)."""

    def __init__(self, name, binary, wrapper_dir):
        self.name, self.binary = name, binary
        self.path = os.path.join(wrapper_dir, os.path.basename(binary))
        self.calls_log = os.path.join(wrapper_dir, f"{name}.calls")
        os.makedirs(wrapper_dir, exist_ok=True)
        with open(self.path, "w") as f:
            f.write(f"#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{self.calls_log}'\nexec '{binary}' \"$@\"\n")
        os.chmod(self.path, 0o755)
        open(self.calls_log, "a").close()

    def calls(self):
        with open(self.calls_log) as f:
            return sum(1 for _ in f)

    def __repr__(self):
        return self.name


class Engine:
    name = "engine"
    binaries = []  # what must be on PATH for the engine to run at all
    # Cgroups the engine keeps for itself below its place (podman's conmon cgroup).
    bookkeeping_cgroups = set()

    def __init__(self, work, place, images, runtimes):
        self.work = os.path.join(work, self.name)
        self.place = place
        self.rootfs_tar, self.oci_tar = images
        self.runtimes = runtimes
        self.daemons = []
        self._serial = 0
        # What the control showed, for scenarios that compare swiftlet with it.
        self.observed = {}
        os.makedirs(self.work, exist_ok=True)

    def missing(self):
        """Why the engine cannot run here, or None."""
        absent = [b for b in self.binaries if shutil.which(b) is None]
        return f"not installed: {', '.join(absent)} (scripts/install-engine-deps.sh)" if absent else None

    def fresh_name(self, rt, what):
        self._serial += 1
        return f"swe-{rt.name}-{what}-{self._serial}"

    def start(self):
        """Starts the daemons and imports the image; raises harness.Failure."""

    def remove_all(self):
        """Removes every container the engine still has; returns descriptions of what was
        left for it to remove (containers a scenario did not clean up are a finding)."""
        return []

    def stop(self):
        """Stops the daemons by PID; returns problems."""
        problems = []
        for daemon in reversed(self.daemons):
            how = daemon.stop()
            if how.startswith("killed"):
                problems.append(f"{daemon.name}: {how}")
        return problems

    def bookkeeping_mounts(self):
        """Regexes of mounts under the engine's work directory that it keeps for itself
        (not containers); they are unmounted at the end without counting as leftovers."""
        return []

    def runtime_roots(self, rt):
        """State directories the engine makes rt use, to check for leftover containers."""
        return []


SCENARIOS = {}

# The terminal's name, then its size once the engine has set it: engines resize the pty master
# after the process starts (none of them sends process.consoleSize), so stty may see 0x0 first
# (busybox stty then prints nothing and still exits 0).
TTY_AND_SIZE = ('tty; i=0; while s=$(stty size 2>/dev/null); [ -z "$s" ] && [ $i -lt 50 ]; do i=$((i+1)); sleep 0.05; done;'
                ' echo "$s"')


def scenario(engine_name, title, todo=None):
    """Registers fn(engine, runtime) as a scenario of engine_name, in source order; todo maps
    a runtime's name to why it is known to fail here (reported as TAP TODO, not a failure)."""
    def register(fn):
        SCENARIOS.setdefault(engine_name, []).append((title, fn, todo or {}))
        return fn
    return register


def expect_missing_executable(result, name, exit_code):
    """runc's wording for a missing executable reaches the user, with the engine's exit code."""
    text = result.out + result.err
    harness.expect(f'exec: "{name}": executable file not found in $PATH' in text,
                   "want runc's 'executable file not found in $PATH' error text", result)
    harness.expect_rc(result, exit_code, "missing executable")


PARALLEL = 8


def expect_parallel_runs(results):
    """Each of PARALLEL `run --rm ... sh -c 'echo run-$N; exit $N'` printed its own line and
    exited with its own code."""
    for n, r in enumerate(results, start=1):
        harness.expect_rc(r, n, f"parallel run {n}")
        harness.expect(r.out.strip() == f"run-{n}", f"want run-{n} from run {n}", r)
