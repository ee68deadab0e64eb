#!/usr/bin/env python3
"""Robustness suite for swiftlet (issue 11): config fuzzing, fault injection, concurrency and
tolerant state reading, each followed by a leak check. Prints TAP-ish lines and ends with
`N passed, N failed, N skipped`; exits 1 if anything failed.

usage: run.py [--runtime BIN] [--only fuzz,faults,concurrency,state] [--fuzz-seconds S]
              [--fault-budget N] [--cycle N] [--parallel N] [--serial]
Needs root (real containers, cgroups) for everything but the fuzz part."""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import leakcheck  # noqa: E402

PARTS = ["fuzz", "faults", "concurrency", "state"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runtime", default=os.environ.get("SWIFTLET", os.path.join(harness.REPO, "bin", "swiftlet")))
    ap.add_argument("--only", default=os.environ.get("ONLY", ""))
    ap.add_argument("--fuzz-seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "120")))
    ap.add_argument("--fault-budget", type=int, default=int(os.environ.get("FAULT_BUDGET", "0")),
                    help="syscall kill points per command (0: every syscall)")
    ap.add_argument("--cycle", type=int, default=200, help="containers in the parallel cycle test")
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--serial", action="store_true", help="fuzz first, not beside the container parts")
    opts = ap.parse_args()
    parts = [p for p in opts.only.split(",") if p] or PARTS
    report = harness.Reporter()
    numbers = {}

    harness.OrphanReaper.install()
    # Started before the test cgroup is entered: the fuzzer is not a container process.
    fuzz = None
    fuzz_started = time.monotonic()
    if "fuzz" in parts:
        import fuzzpart
        fuzz = fuzzpart.FuzzRun(opts.fuzz_seconds)
        if opts.serial:
            numbers["fuzz executions"] = fuzz.finish(report)
            report.timings.append(("fuzz (build and run)", time.monotonic() - fuzz_started))
            fuzz = None

    container_parts = [p for p in parts if p != "fuzz"]
    if container_parts:
        why = None
        if os.geteuid() != 0:
            why = "needs root (euid %d)" % os.geteuid()
        elif not os.access(opts.runtime, os.X_OK):
            why = "no runtime binary at %s (run make or pass --runtime)" % opts.runtime
        elif not os.access("/bin/busybox", os.X_OK):
            why = "no static busybox (install busybox-static)"
        if why:
            for p in container_parts:
                report.skip(p, why)
        else:
            env = harness.Environment(os.path.abspath(opts.runtime))
            env.setup()
            try:
                run_container_parts(env, report, container_parts, opts, numbers)
            finally:
                leaks = leakcheck.check(env)
                if leaks:
                    leakcheck.force_clean(env, leaks)
                report.check("no leaks at the end of the run", leaks.lines())
                problems = env.teardown()
                report.check("test cgroup parent removed", problems)

    if fuzz:
        numbers["fuzz executions"] = fuzz.finish(report)
        report.timings.append(("fuzz (build and run, beside the container parts)", time.monotonic() - fuzz_started))

    for name, value in numbers.items():
        report.line("# %s: %s" % (name, value))
    report.summary()
    return 1 if report.failed else 0


def run_container_parts(env, report, parts, opts, numbers):
    if "faults" in parts:
        import faults
        started = time.monotonic()
        numbers["kill points tried"] = faults.run(env, report, budget=opts.fault_budget)
        report.timings.append(("faults", time.monotonic() - started))
    if "concurrency" in parts:
        import concurrency
        started = time.monotonic()
        numbers["containers cycled"] = concurrency.run(env, report, count=opts.cycle, parallel=opts.parallel)
        report.timings.append(("concurrency", time.monotonic() - started))
    if "state" in parts:
        import statefiles
        started = time.monotonic()
        statefiles.run(env, report)
        report.timings.append(("state", time.monotonic() - started))


if __name__ == "__main__":
    sys.exit(main())
