#!/usr/bin/env python3
"""OCI runtime-spec conformance suite.

    python3 conformance/run.py [--runtime PATH] [--only NAME[,NAME...]] [--list] [--rootless]
    python3 conformance/run.py --coverage

RUNTIME and ONLY in the environment do the same as the flags. The runtime
under test defaults to <repo>/bin/swiftlet. Output is TAP, closed by one line
"N passed, N failed, N skipped". Results are saved to
conformance/results/<runtime name>.json; --coverage writes COVERAGE.md from
the saved results of swiftlet and runc.

--rootless (run as root): a throw-away unprivileged user with its own
subordinate id ranges runs the runtime, with `spec --rootless`-style bundles;
tests that need real root are skipped with their reason; results go to
results/<runtime name>-rootless.json.
"""
import argparse
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from lib import framework, proc  # noqa: E402
from lib.bundle import BaseImage, REPO  # noqa: E402
from lib.clauses import BY_ID  # noqa: E402
from lib import coverage, known_gaps  # noqa: E402
from lib.rootless import RootlessUser  # noqa: E402

MODULES = ["tests_runtime", "tests_runtime_linux", "tests_config", "tests_hooks", "tests_config_linux", "tests_cgroups", "tests_seccomp", "tests_features"]
TEST_TIMEOUT = 90


def load_tests():
    for m in MODULES:
        __import__(m)
    for t in framework.TESTS:
        for c in t.clauses:
            if c not in BY_ID:
                raise SystemExit("test %s names unknown clause %s" % (t.name, c))
    return framework.TESTS


def describe(t):
    c = BY_ID[t.clauses[0]]
    text = '%s: "%s"' % (c.file, c.quote)
    if len(text) > 160:
        text = text[:157] + '..."'
    if t.desc:
        text += " -- " + t.desc
    return "%s - %s" % (t.name, text)


def select(tests, only):
    if not only:
        return tests
    pats = [p.strip() for p in only.split(",") if p.strip()]
    chosen = [t for t in tests if any(fnmatch.fnmatch(t.name, p) or t.name == p for p in pats)]
    if not chosen:
        raise SystemExit("no test matches %r (see --list)" % only)
    return chosen


def resolve_runtime(arg):
    path = arg or os.environ.get("RUNTIME") or os.path.join(REPO, "bin", "swiftlet")
    if os.sep not in path:
        found = shutil.which(path)
        if found:
            path = found
    path = os.path.abspath(path)
    if not os.access(path, os.X_OK):
        raise SystemExit("runtime %s is not an executable file (set RUNTIME=/path)" % path)
    return path


def runtime_version(path):
    try:
        p = subprocess.run([path, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        return p.stdout.decode(errors="replace").strip()
    except Exception as e:
        return "unknown (%s)" % e


def check_runtime_as_user(runtime, user):
    p = subprocess.run([runtime, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=user.env(), timeout=10, **user.popen_args())
    if p.returncode != 0:
        raise SystemExit("user %s cannot run %s (is every directory on its path searchable?): %s"
                         % (user.name, runtime, p.stdout.decode(errors="replace").strip()))


class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout("test exceeded %ds" % TEST_TIMEOUT)


def run_one(t, runtime, base, run_tmp, rootless=None):
    if rootless and t.needs_root:
        return {"name": t.name, "status": "skip", "message": "needs root: " + t.needs_root, "clauses": t.clauses,
                "notes": [], "duration": 0.0}
    ctx = framework.Ctx(runtime, base, t.name, run_tmp, rootless)
    status, msg = "pass", ""
    t0 = time.monotonic()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TEST_TIMEOUT)
    try:
        t.func(ctx)
    except framework.Skip as e:
        status, msg = "skip", str(e)
    except framework.Failure as e:
        status, msg = "fail", str(e)
    except TestTimeout as e:
        status, msg = "fail", str(e)
    except Exception:
        status, msg = "fail", "harness error: " + traceback.format_exc()
    finally:
        signal.alarm(0)
    errors = ctx.cleanup()
    if errors and status != "fail":
        status, msg = "fail", "cleanup left resources: " + "; ".join(errors)
    return {"name": t.name, "status": status, "message": msg, "clauses": t.clauses,
            "notes": ctx.notes, "duration": round(time.monotonic() - t0, 3)}


def tap_comment(text):
    return "\n".join("#   " + line for line in str(text).splitlines())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runtime", help="runtime under test (default $RUNTIME or <repo>/bin/swiftlet)")
    ap.add_argument("--only", help="comma-separated test names or globs (default $ONLY)")
    ap.add_argument("--list", action="store_true", help="list tests and exit")
    ap.add_argument("--name", help="name for the results file (default: the runtime's basename)")
    ap.add_argument("--no-record", action="store_true", help="do not write results/<name>.json")
    ap.add_argument("--coverage", action="store_true", help="write COVERAGE.md from results/*.json and exit")
    ap.add_argument("--keep", action="store_true", help="keep the run's temp dir (debugging)")
    ap.add_argument("--rootless", action="store_true",
                    help="run the runtime as a throw-away unprivileged user (made and removed by the run)")
    args = ap.parse_args()

    tests = load_tests()
    if args.coverage:
        out = coverage.write(tests, HERE)
        print("wrote " + out)
        return 0
    if args.list:
        for t in tests:
            print("%-40s %s%s" % (t.name, " ".join(t.clauses), "  [needs root]" if t.needs_root else ""))
        return 0
    if os.geteuid() != 0:
        raise SystemExit("the conformance suite needs root")

    only = args.only if args.only is not None else os.environ.get("ONLY", "")
    chosen = select(tests, only)
    runtime = resolve_runtime(args.runtime)
    version = runtime_version(runtime)
    is_runc = version.startswith("runc")
    name = args.name or os.path.basename(runtime)
    if args.rootless and not args.name:
        name += "-rootless"

    proc.become_subreaper()
    os.umask(0o022)
    run_tmp = tempfile.mkdtemp(prefix="oci-conformance.")
    os.chmod(run_tmp, 0o755)
    print("TAP version 13")
    print("# runtime: %s (%s)" % (runtime, version.splitlines()[0] if version else "?"))
    results = []
    counts = {"pass": 0, "fail": 0, "skip": 0}
    known = {} if is_runc else known_gaps.SWIFTLET
    if args.rootless and not is_runc:
        known = dict(known, **known_gaps.SWIFTLET_ROOTLESS)
    todo = 0
    user = None
    try:
        if args.rootless:
            user = RootlessUser()
            user.create()
            print("# rootless: user %s uid %d gid %d, subuid %d+%d, subgid %d+%d" % (
                user.name, user.uid, user.gid, user.subuid[0], user.subuid[1], user.subgid[0], user.subgid[1]))
            check_runtime_as_user(runtime, user)
        print("1..%d" % len(chosen))
        sys.stdout.flush()
        base = BaseImage(run_tmp, user)
        for i, t in enumerate(chosen, 1):
            r = run_one(t, runtime, base, run_tmp, user)
            results.append(r)
            counts[r["status"]] += 1
            line = describe(t)
            if r["status"] == "pass":
                print("ok %d - %s" % (i, line))
            elif r["status"] == "skip":
                print("ok %d - %s # SKIP %s" % (i, line, r["message"].replace("\n", " ")))
            else:
                if is_runc:
                    reason = (t.runc_rootless if args.rootless else None) or t.runc_note
                else:
                    reason = known.get(t.name)
                reason = reason or ""
                if reason:
                    # A documented gap: reported, never counted as passed.
                    counts["fail"] -= 1
                    todo += 1
                    r["status"] = "todo"
                    print("not ok %d - %s # TODO %s" % (i, line, reason.replace("\n", " ")))
                else:
                    print("not ok %d - %s" % (i, line))
                print(tap_comment(r["message"]))
            if r["status"] == "pass" and t.name in known:
                print(tap_comment("note: listed as a known gap but passed: remove it from lib/known_gaps.py"))
            for n in r["notes"]:
                print(tap_comment("note: " + n))
            sys.stdout.flush()
    finally:
        if not args.keep:
            proc.unmount_under(run_tmp, [])
            shutil.rmtree(run_tmp, ignore_errors=True)
        if user and not args.keep:
            user.remove()
            if not user.gone():
                print("# rootless: could not remove user %s or %s" % (user.name, user.home))
                counts["fail"] += 1
    if not args.no_record and not only:
        d = os.path.join(HERE, "results")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + ".json"), "w") as f:
            json.dump({"runtime": runtime, "name": name, "version": version,
                       "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "results": results}, f, indent=1)
    if todo:
        print("# %d known gaps (TODO: documented failures, not counted as passed)" % todo)
    print("%d passed, %d failed, %d skipped" % (counts["pass"], counts["fail"], counts["skip"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
