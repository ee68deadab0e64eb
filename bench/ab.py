#!/usr/bin/env python3
"""A/B of two or more swiftlet builds (and crun as the yardstick), interleaved in one run:

    python3 bench/ab.py [--rounds N] [--crun] LABEL=BINARY LABEL=BINARY ...

For measuring one change against the build before it: `run` of /bin/true (wall and CPU of the
runtime and its children), the lifecycle phases (create, start, wait for exit, delete, and their
sum, as bench.py's lifecycle rows), peak RSS of `create` (GNU time %M) and `--version`, each binary once
per round in rotating order, inside the same private mount + cgroup namespace as bench.py
(DESIGN.md §5). Prints medians and each binary's ratio to the first. Root only; about 10 s per
100 rounds and binary.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import procs  # noqa: E402
from bench import NS_SETUP, drop_from_page_cache, make_bundles  # noqa: E402
from suite import TIME, read_kib, rotated  # noqa: E402

CRUN = "/usr/bin/crun"


def parse_args(argv):
    p = argparse.ArgumentParser(description="A/B of swiftlet builds, interleaved")
    p.add_argument("binaries", nargs="+", metavar="LABEL=BINARY")
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--crun", action="store_true", help="add Debian's crun as a yardstick")
    p.add_argument("--inner", metavar="WORKDIR", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.pairs = []
    for item in a.binaries:
        label, sep, path = item.partition("=")
        if not sep or not os.access(path, os.X_OK):
            p.error(f"{item}: want LABEL=BINARY with an executable BINARY")
        a.pairs.append((label, os.path.abspath(path)))
    if a.crun:
        a.pairs.append(("crun", CRUN))
    return a


def measure(a, workdir: str) -> None:
    bundle = os.path.join(workdir, "bundle-true")
    samples = {label: {"run wall ms": [], "run cpu ms": [], "create ms": [], "start ms": [],
                       "wait ms": [], "delete ms": [], "lifecycle ms": [], "create rss MiB": [],
                       "--version ms": []} for label, _ in a.pairs}
    roots = {}
    for label, binary in a.pairs:
        roots[label] = os.path.join(workdir, f"root-{label}")
        os.makedirs(roots[label], mode=0o700)
        drop_from_page_cache(binary)
    rss_file = os.path.join(workdir, "rss")
    n = 0
    for r in range(a.rounds):
        for label, binary in rotated(a.pairs, r):
            s, root = samples[label], roots[label]
            n += 1
            o = procs.run([binary, "--root", root, "run", "--bundle", bundle, f"ab-{n}"])
            if not o.ok:
                sys.exit(f"ab: {o.describe()}")
            s["run wall ms"].append(o.wall_ns / 1e6)
            s["run cpu ms"].append(o.cpu_ns / 1e6)
            # A new pid file per container, as bench.py's phases use: replacing an existing one
            # by rename makes ext4 flush the new file first (auto_da_alloc), a cost of the
            # harness's reuse rather than of the runtime.
            pidfile = os.path.join(workdir, f"ab-l{n}.pid")
            lifecycle(s, binary, root, bundle, f"ab-l{n}", pidfile)
            os.unlink(pidfile)
            cid = f"ab-c{n}"
            o = procs.run([TIME, "-f", "%M", "-o", rss_file, binary, "--root", root, "create",
                           "--bundle", bundle, cid])
            if not o.ok:
                sys.exit(f"ab: {o.describe()}")
            s["create rss MiB"].append(read_kib(rss_file) / 1024)
            procs.quiet([binary, "--root", root, "delete", "--force", cid])
            o = procs.run([binary, "--version"])
            s["--version ms"].append(o.wall_ns / 1e6)
    first = a.pairs[0][0]
    print(f"{a.rounds} rounds, medians; ratio to {first} in parentheses")
    for metric in samples[first]:
        base = statistics.median(samples[first][metric])
        cells = []
        for label, _ in a.pairs:
            m = statistics.median(samples[label][metric])
            cells.append(f"{label} {m:.3f} ({m / base:.3f}x)")
        print(f"{metric:16s} " + "   ".join(cells))


def lifecycle(s: dict, binary: str, root: str, bundle: str, cid: str, pidfile: str) -> None:
    """create, start, wait for the container's exit, delete: the lifecycle row of bench.py."""
    c = procs.run([binary, "--root", root, "create", "--bundle", bundle, "--pid-file", pidfile, cid])
    if not c.ok:
        sys.exit(f"ab: {c.describe()}")
    with open(pidfile) as f:
        pid = int(f.read())
    # reap=False: the container may exit while `start` runs; its reap belongs to "wait".
    st = procs.run([binary, "--root", root, "start", cid], reap=False)
    if not st.ok:
        sys.exit(f"ab: {st.describe()}")
    e = procs.wait_exit(pid)
    waited = time.perf_counter_ns() - st.end_ns
    d = procs.run([binary, "--root", root, "delete", cid])
    if e.rc != 0 or not d.ok:
        sys.exit(f"ab: container exited {e.rc}; {d.describe()}")
    for key, ns in (("create ms", c.wall_ns), ("start ms", st.wall_ns), ("wait ms", waited),
                    ("delete ms", d.wall_ns)):
        s[key].append(ns / 1e6)
    s["lifecycle ms"].append((c.wall_ns + st.wall_ns + waited + d.wall_ns) / 1e6)


def delete_leftovers(a, workdir: str) -> None:
    """A failed round can leave a created container: delete it inside the namespace."""
    for label, binary in a.pairs:
        root = os.path.join(workdir, f"root-{label}")
        for cid in os.listdir(root) if os.path.isdir(root) else []:
            if not cid.startswith("."):
                procs.quiet([binary, "--root", root, "delete", "--force", cid])


def main() -> int:
    a = parse_args(sys.argv[1:])
    if os.geteuid() != 0:
        sys.exit("ab: must run as root")
    if a.inner:
        procs.become_subreaper()
        try:
            measure(a, a.inner)
        finally:
            delete_leftovers(a, a.inner)
        return 0
    workdir = tempfile.mkdtemp(prefix="swiftlet-ab.", dir="/run")
    try:
        make_bundles(os.path.join(os.path.dirname(HERE), "scripts", "mkbundle.sh"), workdir)
        return subprocess.run(["unshare", "-m", "-C", "sh", "-c", NS_SETUP, "ns", sys.executable,
                               os.path.abspath(__file__), "--inner", workdir,
                               *sys.argv[1:]]).returncode
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
