#!/usr/bin/env python3
"""Writes the linker's symbol ordering file for bin/swiftlet (scripts/link-order/symbol-order.txt).

    python3 scripts/link-order/make-order.py BINARY [--out FILE] [--check]

BINARY is the unstripped release build (make link-order passes it). Runs, as root, the
commands engines and the bench use most (run, create/start/state/list/exec/ps/pause/resume/
delete, delete --force, --version, spec, features) under trace-functions, which records every
function of BINARY that any of their processes runs, and which process ran it. The order: what
the commands' own processes run, in the order first run (the workload starts with `create`,
whose peak RSS the bench measures), then what only their forked helpers run, then what only
the re-exec'd init runs; after them the data objects those processes write. Package.swift
hands the list to lld, which lays those functions out first in that order, and the data
objects first in .data and .bss; a command's text then faults in a few 64 KiB windows of it
instead of most of the binary, and its writes copy or zero-fill a few pages of data instead of
one page per object (bench/README.md has the numbers).

--check: write nothing; report how many functions the workload runs that the committed order
does not name, and exit 1 when more than 2% are missing (the order has gone stale).
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORDER = os.path.join(HERE, "symbol-order.txt")
STALE_FRACTION = 0.02

# The workload: POSIX sh, one container at a time, nothing left behind. $SW is the binary
# with a private --root; $B a bundle whose process exits at once, $S one that sleeps.
WORKLOAD = r"""
set -eu
$SW create --bundle "$B" --pid-file "$W/pid" lo-life
$SW start lo-life
while $SW state lo-life 2>/dev/null | grep -q '"running"'; do sleep 0.01; done
$SW delete lo-life
$SW run --bundle "$B" lo-run >/dev/null
$SW --version >/dev/null
$SW create --bundle "$S" lo-sleep
$SW start lo-sleep
$SW state lo-sleep >/dev/null
$SW list >/dev/null
$SW list --format json >/dev/null
$SW exec lo-sleep true
$SW ps lo-sleep >/dev/null
$SW pause lo-sleep
$SW resume lo-sleep
$SW kill lo-sleep KILL
while $SW state lo-sleep 2>/dev/null | grep -q '"running"'; do sleep 0.01; done
$SW delete lo-sleep
$SW create --bundle "$S" lo-force
$SW delete --force lo-force
$SW features >/dev/null
cd "$W/spec" && $SW spec && cd "$W"
"""


def text_range(binary: str) -> tuple[int, int]:
    out = subprocess.run(["readelf", "-S", "-W", binary], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        fields = line.split("]", 1)[-1].split()
        if fields and fields[0] == ".text":
            start, size = int(fields[2], 16), int(fields[4], 16)
            return start, start + size
    sys.exit(f"make-order: {binary} has no .text section")


def function_names(binary: str) -> dict[int, list[str]]:
    out = subprocess.run(["nm", "-n", "--defined-only", binary], check=True, capture_output=True, text=True).stdout
    names = collections.defaultdict(list)
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[1] in "TtWw":
            names[int(fields[0], 16)].append(fields[2])
    return names


DATA_TYPES = "BbDdGgRrSsVv"


def data_symbols(binary: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of every sized data object, by address."""
    out = subprocess.run(["nm", "-n", "-S", "--defined-only", binary], check=True, capture_output=True,
                         text=True).stdout
    objects = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in DATA_TYPES:
            start, size = int(fields[0], 16), int(fields[1], 16)
            if size:
                objects.append((start, start + size, fields[3]))
    return objects


# The standard library's objects (mangled module name "Swift": $ss..., $sS...) sit in one 86 KB
# .bss and one .data section of Swift.o, which lld can only move whole: they follow the small
# objects, so one of them listed first does not push the rest pages apart.
STDLIB_OBJECT = re.compile(r"^\$s[sS]")
BIG_OBJECT = 4096


def written_data(binary: str, ranges: list[tuple[int, int]]) -> list[str]:
    """The data objects the workload wrote: listed after the functions, lld puts them first in
    .data and .bss, so a process writes a few pages of each instead of one page per object. The
    small ones of our modules, the runtime and the C libraries come first, then the standard
    library's, then the big ones (the runtime's 64 KB metadata pool, of which a command uses
    the first pages), smallest first."""
    written = []
    for start, end, name in data_symbols(binary):
        if any(a < end and start < b for a, b in ranges):
            size = end - start
            group = 2 if size >= BIG_OBJECT else 1 if STDLIB_OBJECT.match(name) else 0
            written.append((group, size if group == 2 else 0, start, name))
    return [name for *_, name in sorted(written)]


def build_tracer(workdir: str) -> str:
    tracer = os.path.join(workdir, "trace-functions")
    subprocess.run(["gcc", "-O2", "-Wall", "-o", tracer, os.path.join(HERE, "trace-functions.c")], check=True)
    return tracer


def make_bundles(workdir: str) -> tuple[str, str]:
    mkbundle = os.path.join(REPO, "scripts", "mkbundle.sh")
    quick, sleeper = os.path.join(workdir, "true"), os.path.join(workdir, "sleep")
    for path, args in ((quick, ["true"]), (sleeper, ["sleep", "1000"])):
        subprocess.run(["sh", mkbundle, path, *args], check=True, stdout=subprocess.DEVNULL)
    return quick, sleeper


ROLES = ("cli", "fork", "init")   # the groups of the order, first to last

# glibc runs one variant of each string function, chosen by the CPU: avx2 on one machine, evex
# or avx512 on the next. The variants this machine did not run go last, together: on another
# kind of x86 machine its string functions then fault in a window or two of their own instead
# of one each, and here they stay out of the hot windows.
STRING_VARIANT = re.compile(r"^(__[a-z0-9]+)_(avx|avx2|evex|avx512|generic)(_[a-z0-9_]+)?$")


def with_variant_siblings(ordered: list[str], in_binary: set[str]) -> list[str]:
    seen = set(ordered)
    siblings = []
    for name in ordered:
        m = STRING_VARIANT.match(name)
        if not m:
            continue
        family, _, rest = m.groups()
        for isa in ("avx", "avx2", "evex", "avx512", "generic"):
            sibling = f"{family}_{isa}{rest or ''}"
            if sibling not in seen and sibling in in_binary:
                seen.add(sibling)
                siblings.append(sibling)
    return ordered + siblings


def trace(binary: str, workdir: str) -> list[str]:
    """Names of the functions the workload runs: by role, each in the order first run."""
    start, end = text_range(binary)
    names = function_names(binary)
    entries = os.path.join(workdir, "entries")
    with open(entries, "w") as f:
        f.writelines(f"{a:x}\n" for a in sorted(names) if start <= a < end)
    tracer = build_tracer(workdir)
    quick, sleeper = make_bundles(workdir)
    root = os.path.join(workdir, "root")
    os.makedirs(os.path.join(workdir, "spec"))
    env = dict(os.environ, SW=f"{binary} --root {root}", B=quick, S=sleeper, W=workdir)
    try:
        r = subprocess.run([tracer, binary, entries, "--", "sh", "-c", WORKLOAD], env=env, cwd=workdir,
                           capture_output=True, text=True)
    finally:
        # Whatever the workload left, by id; then its state dir goes with workdir.
        for cid in ("lo-run", "lo-life", "lo-sleep", "lo-force"):
            subprocess.run([binary, "--root", root, "delete", "--force", cid],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        sys.exit(f"make-order: the traced workload failed:\n{r.stderr.strip()}")
    by_role = {role: [] for role in ROLES}
    written = []
    for line in r.stdout.splitlines():
        fields = line.split()
        if fields[0] == "W":
            written.append((int(fields[1], 16), int(fields[2], 16)))
            continue
        address, role = fields
        by_role[role].append(int(address, 16))
    ordered, seen, added = [], set(), []
    for role in ROLES:
        before = len(ordered)
        for address in by_role[role]:
            for name in names.get(address, []):
                if name not in seen:
                    seen.add(name)
                    ordered.append(name)
        added.append(f"{len(ordered) - before} {role}")
    print("link order: functions by the process that first needs them: " + ", ".join(added))
    if not ordered:
        sys.exit("make-order: the trace recorded no functions")
    data = written_data(binary, written)
    print(f"link order: {len(data)} data objects written")
    return with_variant_siblings(ordered, {n for group in names.values() for n in group}) + data


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("binary", help="the unstripped release build of swiftlet")
    p.add_argument("--out", default=ORDER)
    p.add_argument("--check", action="store_true", help="compare with the committed order instead")
    a = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("make-order: must run as root (the workload starts containers)")
    workdir = tempfile.mkdtemp(prefix="swiftlet-link-order.", dir="/run")
    try:
        ordered = trace(os.path.abspath(a.binary), workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if a.check:
        with open(a.out) as f:
            committed = set(f.read().split())
        missing = [n for n in ordered if n not in committed]
        share = len(missing) / len(ordered)
        print(f"link order: {len(ordered)} names (functions run, data written), {len(missing)} not in {os.path.relpath(a.out, REPO)} ({share:.1%})")
        for name in missing[:20]:
            print(f"  missing: {name}")
        if share > STALE_FRACTION:
            print(f"link order: stale (more than {STALE_FRACTION:.0%} missing); run `make link-order`")
            return 1
        return 0
    with open(a.out, "w") as f:
        f.write("\n".join(ordered) + "\n")
    print(f"link order: {len(ordered)} names written to {os.path.relpath(a.out, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
