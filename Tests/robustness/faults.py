"""Fault injection: SIGKILL the runtime at every step of create, start, exec and delete, then
show that `delete --force ID` and `list` recover, nothing is left behind, and the id can be
used again.

Two kinds of kill point:
- syscall points: a reference `strace` run lists the command's system calls in order; point
  i kills the runtime on entry to its i-th call (strace's `inject=NAME:signal=SIGKILL:when=K`,
  K being that call's occurrence among calls of the same name). Only the runtime itself is
  traced: init and the container run untraced, as they do for real.
- time points: the untraced command is SIGKILLed after 0, 0.5, 1, 2, 4 ... ms, up to its
  measured duration.
"""

import os
import re
import shutil
import signal
import subprocess
import time

import leakcheck

SYSCALL_LINE = re.compile(r"^([a-z_0-9]+)\(")


class Scenario:
    """One command under test: how to get a container ready for it, and its arguments."""

    def __init__(self, name, prepare, args):
        self.name, self.prepare, self.args = name, prepare, args


def scenarios(env):
    rt = env.runtime

    def none(cid):
        return []

    def created(cid):
        r = rt.run("create", "--bundle", env.bundle, cid)
        return [] if r.ok else ["prepare: " + str(r)]

    def running(cid):
        problems = created(cid)
        if problems:
            return problems
        r = rt.run("start", cid)
        return [] if r.ok else ["prepare: " + str(r)]

    def cold_seccomp_cache(cid):
        # Every point then compiles the profile and writes the cache entry.
        shutil.rmtree(os.path.join(env.root, ".seccomp-cache"), ignore_errors=True)
        return []

    return [
        Scenario("create", none, lambda cid: ["create", "--bundle", env.bundle, cid]),
        Scenario("create-seccomp", cold_seccomp_cache, lambda cid: ["create", "--bundle", env.seccomp_bundle, cid]),
        Scenario("start", created, lambda cid: ["start", cid]),
        Scenario("exec", running, lambda cid: ["exec", cid, "sh", "-c", "echo exec-ran > /dev/null"]),
        Scenario("delete", running, lambda cid: ["delete", "--force", cid]),
    ]


def reference_trace(env, scenario, cid):
    """(syscall names in order, untraced wall time) of one clean run of the scenario."""
    rt = env.runtime
    problems = scenario.prepare(cid)
    if problems:
        return None, 0, problems
    names = []
    problems = []
    if shutil.which("strace"):
        trace = os.path.join(env.base, "trace.%s" % scenario.name)
        p = subprocess.run(["strace", "-qq", "-o", trace] + rt.argv(*scenario.args(cid)),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        with open(trace) as f:
            for line in f:
                m = SYSCALL_LINE.match(line)
                if m:
                    names.append(m.group(1))
        os.unlink(trace)
        if p.returncode != 0:
            problems.append("reference run under strace exited %s" % p.returncode)
    rt.run("delete", "--force", cid)
    # The same command untraced, for the time points.
    problems += scenario.prepare(cid)
    started = time.monotonic()
    r = rt.run(*scenario.args(cid))
    duration = time.monotonic() - started
    if not r.ok:
        problems.append("reference run: " + str(r))
    rt.run("delete", "--force", cid)
    return names, duration, problems


def syscall_points(names, budget):
    """(index, name, occurrence) for up to `budget` points spread evenly over the trace."""
    seen = {}
    points = []
    for i, name in enumerate(names):
        seen[name] = seen.get(name, 0) + 1
        points.append((i, name, seen[name]))
    if budget and len(points) > budget:
        step = len(points) / budget
        points = [points[int(k * step)] for k in range(budget)]
    return points


def time_points(duration):
    delays, d = [0.0], 0.0005
    while d < duration * 1.2:
        delays.append(d)
        d *= 2
    return delays


def recover(env, cid, label):
    """After a kill: state must answer, delete --force must clean up, list must not show the
    id, nothing may be left, and the id must be usable again. Returns problems."""
    rt = env.runtime
    problems = []
    st = rt.run("state", cid, timeout=10)
    if st.code == "timeout":
        problems.append("%s: state hung: %s" % (label, st))
    elif not st.ok and not st.err.strip():
        problems.append("%s: state failed without a message: %s" % (label, st))
    d = rt.run("delete", "--force", cid, timeout=20)
    if not d.ok:
        problems.append("%s: delete --force: %s" % (label, d))
    ls = rt.run("list", "-q", timeout=10)
    if not ls.ok:
        problems.append("%s: list: %s" % (label, ls))
    elif cid in ls.out.split():
        problems.append("%s: list still shows %s after delete --force" % (label, cid))
    leaks = leakcheck.wait_clean(env)
    if leaks:
        problems.append("%s: left behind after delete --force:" % label)
        problems += ["  " + line for line in leaks.lines()]
        leakcheck.force_clean(env, leaks)
    return problems


def reuse(env, cid, label):
    rt = env.runtime
    c = rt.run("create", "--bundle", env.bundle, cid)
    problems = [] if c.ok else ["%s: id not reusable: %s" % (label, c)]
    d = rt.run("delete", "--force", cid)
    if not d.ok:
        problems.append("%s: delete after reuse: %s" % (label, d))
    return problems


def run_point(env, scenario, cid, label, wrapper=(), delay=None):
    """Prepares, runs the command killed at one point, recovers. Returns (killed, problems)."""
    rt = env.runtime
    problems = scenario.prepare(cid)
    if problems:
        return False, problems
    p = rt.spawn(*scenario.args(cid), wrapper=wrapper)
    killed = False
    if delay is not None:
        if delay > 0:
            time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed = True
    try:
        code = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return True, ["%s: command hung (killed after 30 s)" % label]
    if delay is None:
        # strace re-raises the tracee's fatal signal on itself.
        killed = code in (-signal.SIGKILL, 128 + signal.SIGKILL)
    problems += recover(env, cid, label)
    if scenario.name.startswith("create"):
        problems += reuse(env, cid, label)
    return killed, problems


def run(env, report, budget=0, only=None):
    """One TAP line per command and kind of point. `budget` caps syscall points per command
    (0: all of them). Returns the number of kill points tried."""
    total = 0
    for scenario in scenarios(env):
        if only and scenario.name not in only:
            continue
        cid = env.new_id("fault-" + scenario.name)
        names, duration, problems = reference_trace(env, scenario, cid)
        if problems:
            report.fail("fault injection: %s reference run" % scenario.name, problems)
            continue

        if not shutil.which("strace"):
            report.skip("fault injection: SIGKILL %s at each syscall" % scenario.name, "no strace (make deps)")
            names = []
        started = time.monotonic()
        points = syscall_points(names, budget)
        killed, failures = 0, []
        for index, name, occurrence in points:
            label = "kill at syscall %d (%s #%d)" % (index, name, occurrence)
            wrapper = ["strace", "-qq", "-o", "/dev/null", "-e", "trace=" + name,
                       "-e", "inject=%s:signal=SIGKILL:when=%d" % (name, occurrence)]
            was_killed, problems = run_point(env, scenario, cid, label, wrapper=wrapper)
            killed += was_killed
            failures += problems
        total += len(points)
        if points:
            report.check("fault injection: SIGKILL %s at %d of its %d syscalls, then delete --force recovers"
                         % (scenario.name, len(points), len(names)), failures,
                         "%d killed, %d ran to the end; %.1f s" % (killed, len(points) - killed, time.monotonic() - started))

        started = time.monotonic()
        delays = time_points(duration)
        killed, failures = 0, []
        for delay in delays:
            was_killed, problems = run_point(env, scenario, cid, "kill after %.1f ms" % (delay * 1000), delay=delay)
            killed += was_killed
            failures += problems
        total += len(delays)
        report.check("fault injection: SIGKILL %s after 0..%.0f ms (%d delays), then delete --force recovers"
                     % (scenario.name, delays[-1] * 1000, len(delays)), failures,
                     "%d killed; %.1f s" % (killed, time.monotonic() - started))
    return total
