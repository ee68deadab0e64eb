#!/usr/bin/env python3
"""The engine group: podman, containerd (ctr) and docker, installed from Debian, driving
swiftlet and, as the control, runc through the same scenarios. Daemons are our own processes
with private roots and sockets, stopped by PID at the end (also on failure or interrupt); the
image is a busybox rootfs built here. Prints TAP-ish lines and `N passed, N failed, N skipped`;
exits 1 when anything failed.

    python3 Tests/engines/run.py [--swiftlet PATH] [--control PATH|none]
                                 [--engines podman,containerd,docker] [--only REGEX] [--keep]
"""

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import containerd  # noqa: E402  (registers its scenarios)
import docker  # noqa: E402
import harness  # noqa: E402
import hostenv  # noqa: E402
import images  # noqa: E402
import podman  # noqa: E402
from engine import SCENARIOS, Runtime  # noqa: E402

ENGINES = {"podman": podman.Podman, "containerd": containerd.Containerd, "docker": docker.Docker}
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--swiftlet", default=os.environ.get("SWIFTLET", os.path.join(REPO, "bin", "swiftlet")))
    ap.add_argument("--control", default="/usr/sbin/runc", help="runc as the control; 'none' to leave it out")
    ap.add_argument("--engines", default="podman,containerd,docker")
    ap.add_argument("--only", default="", help="run only scenarios whose title matches this regex")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (daemons are stopped anyway)")
    return ap.parse_args()


def interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def teardown(report, eng, place):
    """Removes what the engine left, stops it, and checks that nothing of it remains."""
    label = eng.name

    def containers_removed():
        left = eng.remove_all()
        harness.expect(not left, "left: " + "; ".join(left))
    report.check(f"{label}: no containers left for the engine to remove", containers_removed)

    def daemons_stopped():
        problems = eng.stop()
        harness.expect(not problems, "; ".join(problems))
    report.check(f"{label}: its daemons stop on SIGTERM", daemons_stopped)

    def runtime_state():
        stale = []
        for rt in eng.runtimes:
            for root in eng.runtime_roots(rt):
                if not os.path.isdir(root):
                    continue
                r = harness.run([rt.path, "--root", root, "list", "--format", "json"], timeout=20)
                if r.rc != 0:
                    stale.append(f"{rt.name} --root {root} list: exit {r.rc}: {r.err.strip()}")
                    continue
                # Roots may be shared (the runtime's default one): only our bundles count.
                ours = [c["id"] for c in json.loads(r.out or "null") or []
                        if (c.get("bundle") or "").startswith(eng.work + "/")]
                for cid in ours:
                    harness.run([rt.path, "--root", root, "delete", "--force", cid], timeout=20)
                if ours:
                    stale.append(f"{rt.name} --root {root}: {len(ours)} containers: {', '.join(ours[:3])}")
        harness.expect(not stale, "\n".join(stale))
    report.check(f"{label}: no container state left in the runtimes' roots", runtime_state)

    def nothing_left():
        problems = []
        pids = hostenv.processes_mentioning(eng.work)
        dirs, cg_pids = place.leftovers()
        pids = sorted(set(pids) | set(cg_pids))
        if pids:
            problems.append("processes: " + "; ".join(hostenv.describe_process(p) for p in pids))
            hostenv.kill_pids(pids)
        mine = place.directories(place.sub(label))
        stray = [d for d in dirs if any(d == m or d.startswith(m + "/") for m in mine)
                 and os.path.basename(d) not in eng.bookkeeping_cgroups and d not in mine]
        if stray:
            problems.append(f"{len(stray)} cgroups, e.g. " + ", ".join(stray[:6]))
        mounts = hostenv.mounts_under(eng.work)
        kept = [m for m in mounts if not any(re.fullmatch(p, m) for p in eng.bookkeeping_mounts())]
        if kept:
            problems.append("mounts: " + ", ".join(kept))
        failed = hostenv.unmount_all(mounts)
        if failed:
            problems.append("could not unmount: " + ", ".join(failed))
        harness.expect(not problems, "\n".join(problems))
    report.check(f"{label}: no processes, mounts or cgroups left", nothing_left)


def called(rt, body):
    """Runs a scenario's body; it fails if the engine never called rt."""
    before = rt.calls()
    body()
    harness.expect(rt.calls() > before, f"the engine never called {rt.name}: this scenario did not test it")


def main():
    args = parse_args()
    report = harness.Reporter()
    if os.geteuid() != 0:
        report.line("1..0 # SKIP the engine group needs root")
        report.line("0 passed, 0 failed, 0 skipped")
        return 0
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, interrupted)
    selected = [e for e in args.engines.split(",") if e]
    unknown = [e for e in selected if e not in ENGINES]
    if unknown:
        sys.exit(f"unknown engine(s): {', '.join(unknown)}; have {', '.join(ENGINES)}")
    binaries = ([] if args.control == "none" else [("runc", os.path.realpath(args.control))]) + \
        [("swiftlet", os.path.realpath(args.swiftlet))]
    for name, binary in binaries:
        if not os.access(binary, os.X_OK):
            sys.exit(f"{name}: no executable at {binary}")
    # Engines name the runtime after the binary (podman: runtime_supports_json).
    if os.path.basename(binaries[-1][1]) != "swiftlet":
        sys.exit(f"{binaries[-1][1]}: the binary must be named swiftlet")

    work = tempfile.mkdtemp(prefix="swiftlet-engines-", dir="/var/tmp")
    # conmon writes its "oom" marker into its working directory (inherited from podman, so
    # ours): keep that in the work dir, which cleanup removes, not in the caller's checkout.
    os.chdir(work)
    runtimes = [Runtime(name, binary, os.path.join(work, "bin", name)) for name, binary in binaries]
    place = hostenv.CgroupPlace()
    place.prepare()
    footprint = hostenv.HostFootprint()
    report.comment(f"work {work}, cgroups under {place.path}")
    report.comment("runtimes: " + ", ".join(f"{rt.name}={rt.binary}" for rt in runtimes))
    started = time.monotonic()
    active = []
    try:
        image_files = images.write_images(work)
        for name in selected:
            eng = ENGINES[name](work, place, image_files, runtimes)
            scenarios = [s for s in SCENARIOS[name] if re.search(args.only, s[0])]
            reason = eng.missing()
            if reason is None:
                active.append(eng)
                t0 = time.monotonic()
                if not report.check(f"{name}: start and import the image", eng.start):
                    reason = "the engine did not start"
                report.comment(f"{name}: started in {time.monotonic() - t0:.1f}s")
            for title, fn, todo in scenarios:
                for rt in runtimes:
                    label = f"{name}/{rt.name}: {title}"
                    if reason:
                        report.check(label, lambda: (_ for _ in ()).throw(harness.Skip(reason)))
                    else:
                        report.check(label, lambda fn=fn, rt=rt: called(rt, lambda: fn(eng, rt)), todo=todo.get(rt.name))
            if eng in active:
                active.remove(eng)
                teardown(report, eng, place)
    except KeyboardInterrupt as e:
        report.comment(f"interrupted ({e}); cleaning up")
        if not report.interrupted:  # between tests: an interrupted group still never passes
            report.failed += 1
    finally:
        for eng in active:  # an interrupted engine: stop it whatever its state
            eng.remove_all()
            eng.stop()
        final_sweep(report, work, place, footprint, keep=args.keep)
        report.comment(f"group took {time.monotonic() - started:.0f}s")
        report.summary()
    return 1 if report.failed else 0


def final_sweep(report, work, place, footprint, keep):
    def group_clean():
        problems = []
        pids = hostenv.processes_mentioning(work)
        if pids:
            problems.append("processes: " + "; ".join(hostenv.describe_process(p) for p in pids))
            hostenv.kill_pids(pids)
            time.sleep(0.5)
        failed = hostenv.unmount_all(hostenv.mounts_under(work))
        if failed:
            problems.append("mounts that would not go: " + ", ".join(failed))
        problems.extend("cgroup: " + f for f in place.remove())
        problems.extend("host path: " + k for k in footprint.restore())
        if not keep and not hostenv.mounts_under(work):
            shutil.rmtree(work, ignore_errors=True)
        harness.expect(not problems, "\n".join(problems))
    report.check("group: cgroups removed, host paths restored, nothing running", group_clean)


if __name__ == "__main__":
    sys.exit(main())
