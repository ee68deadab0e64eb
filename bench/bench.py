#!/usr/bin/env python3
"""swiftlet vs runc vs crun, side by side in one run: `make bench` or

    python3 bench/bench.py [--quick] [--runtimes swiftlet,runc,crun] [--swiftlet PATH]

Must run as root. The bench re-executes itself inside a private mount + cgroup
namespace (the setup of DESIGN.md §5: crun refuses the host's hybrid cgroups),
measures there, cleans up every container, and writes bench/results.md.
"""

import argparse
import datetime
import gc
import json
import os
import platform
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import procs  # noqa: E402
import report  # noqa: E402
import runtimes as rtmod  # noqa: E402
import syscalls  # noqa: E402
from results_store import Store  # noqa: E402
from suite import FULL, MARKER, QUICK, Bundles, Plan, Suite  # noqa: E402

# DESIGN.md §5, plus a private tmpfs over the emptied /sys/fs/cgroup/unified:
# crun in legacy mode still mkdirs <id>/ and writes cgroup.procs there, which
# without it would land in the host's /sys/fs/cgroup tmpfs (hidden under the
# host's cgroup2 mount, never removed).
NS_SETUP = ('umount /sys/fs/cgroup/unified && '
            'mount -t tmpfs -o size=16m,mode=755 swiftlet-bench /sys/fs/cgroup/unified && '
            'umount /sys/fs/cgroup/memory && '
            'mount -t cgroup -o memory cgroup /sys/fs/cgroup/memory && exec "$@"')


def parse_args(argv):
    p = argparse.ArgumentParser(description="swiftlet vs runc vs crun, interleaved, in one run")
    p.add_argument("--quick", action="store_true", help="about one minute instead of about five")
    p.add_argument("--runtimes", default="swiftlet,runc,crun",
                   help="comma-separated subset of swiftlet,runc,crun (default: all)")
    p.add_argument("--swiftlet", default=os.path.join(REPO, "bin", "swiftlet"),
                   help="swiftlet binary (default: bin/swiftlet of the repo)")
    p.add_argument("--mkbundle", default=os.path.join(REPO, "scripts", "mkbundle.sh"),
                   help="bundle maker (default: scripts/mkbundle.sh of the repo)")
    p.add_argument("--out", default=os.path.join(HERE, "results.md"), help="Markdown report path")
    p.add_argument("--rounds", type=int, help="override the rounds of the lifecycle section")
    p.add_argument("--no-strace", action="store_true", help="skip the strace syscall counts")
    p.add_argument("--inner", metavar="WORKDIR", help=argparse.SUPPRESS)
    p.add_argument("--cleanup", metavar="WORKDIR", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.names = [n.strip() for n in a.runtimes.split(",") if n.strip()]
    unknown = [n for n in a.names if n not in rtmod.KNOWN]
    if unknown or not a.names:
        p.error(f"unknown runtime(s) {unknown}; choose from {', '.join(rtmod.KNOWN)}")
    return a


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- outside the namespace: bundles, the namespaced run, the final cleanup

def bundles_in(workdir: str) -> Bundles:
    return Bundles(true=os.path.join(workdir, "bundle-true"),
                   sleep=os.path.join(workdir, "bundle-sleep"),
                   check=os.path.join(workdir, "bundle-check"))


def make_bundles(mkbundle: str, workdir: str) -> Bundles:
    """`mkbundle.sh DIR true`; the sleeping and the checking bundle share its
    rootfs (by absolute root.path) and differ only in process.args."""
    if not os.path.isfile(mkbundle):
        sys.exit(f"bench: no bundle maker at {mkbundle}")
    b = bundles_in(workdir)
    r = subprocess.run(["sh", mkbundle, b.true, "true"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: {mkbundle} {b.true} true failed: {r.stderr.strip()}")
    with open(os.path.join(b.true, "config.json")) as f:
        config = json.load(f)
    config["root"]["path"] = os.path.join(b.true, config["root"]["path"])
    for path, args in ((b.sleep, ["sleep", "1000000"]), (b.check, ["echo", MARKER])):
        os.mkdir(path)
        config["process"]["args"] = args
        with open(os.path.join(path, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
    return b


def in_namespace(args: list[str]) -> list[str]:
    return ["unshare", "-m", "-C", "sh", "-c", NS_SETUP, "ns", sys.executable,
            os.path.abspath(__file__), *args]


def outer(a, argv) -> int:
    if os.geteuid() != 0:
        sys.exit("bench: must run as root (containers with namespaces and cgroups)")
    # In /run, where the runtimes keep state by default. Never below the
    # swiftlet binary's directory: its init seal (an overlay with that
    # directory as a lower layer) cannot overlap its own --root.
    workdir = tempfile.mkdtemp(prefix="swiftlet-bench.", dir="/run")
    try:
        make_bundles(a.mkbundle, workdir)
        inner = subprocess.Popen(in_namespace(["--inner", workdir, *argv]))
        # Ctrl-C reaches the inner bench through the process group and it
        # cleans up itself; we stay alive to run the second cleanup pass.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: inner.send_signal(signal.SIGTERM))
        rc = inner.wait()
        c = subprocess.run(in_namespace(["--cleanup", workdir, *argv]))
        if c.returncode != 0:
            log(f"cleanup pass exited {c.returncode}")
        return rc
    finally:
        rtmod.remove_workdir(workdir)


# ---- inside the namespace

def cleanup_only(a) -> int:
    rts = rtmod.make(a.names, a.swiftlet, a.cleanup)
    for note in rtmod.cleanup(rts):
        log(f"cleanup: {note}")
    return 0


def drop_from_page_cache(path: str) -> str:
    """POSIX_FADV_DONTNEED of one binary: its pages come back through page faults, as after
    an install. A binary that was just read through (cp, strip, a checksum) sits in the page
    cache as large folios, and newer kernels map a whole folio on a fault (a 2 MiB one here)
    where they otherwise map 64 KiB around it: the RSS row would measure the file's history.
    Pages some running process has mapped stay; shared libraries are left alone. DONTNEED
    skips dirty pages, and a binary just built or copied is dirty until written back: fsync
    first, or its write-time folios stay."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        return ""
    except OSError as e:
        return f"{path}: {e.strerror}"


def elf_kind(path: str) -> str:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:
                return f"{size / 1e6:.1f} MB"
            phoff, = struct.unpack_from("<Q", head, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
            f.seek(phoff)
            ph = f.read(phentsize * phnum)
        interp = any(struct.unpack_from("<I", ph, i * phentsize)[0] == 3 for i in range(phnum))
        return f"{size / 1e6:.1f} MB, {'dynamic' if interp else 'static'}"
    except OSError as e:
        return f"unreadable: {e.strerror}"


def busy_seconds() -> float:
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def host_info() -> dict:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "kernel": platform.release(), "cpus": os.cpu_count(), "cpu_model": model,
            "mem_gib": mem_kib / 2**20,
            "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg())}


class Terminated(Exception):
    pass


def _on_term(*_):
    raise Terminated()


def inner(a) -> int:
    if rtmod.mount_type("/sys/fs/cgroup/unified") != "tmpfs":
        sys.exit("bench: not inside the namespace setup (/sys/fs/cgroup/unified is not the private tmpfs)")
    # Explicitly: a shell's background job starts with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_term)
    procs.become_subreaper()
    workdir = a.inner
    plan: Plan = QUICK if a.quick else FULL
    if a.rounds:
        plan = Plan(a.rounds, plan.tput_containers, plan.tput_rounds, plan.live, plan.list_rounds)
    bundles = bundles_in(workdir)
    rts = rtmod.make(a.names, a.swiftlet, workdir)
    store = Store()
    info = host_info()
    info["mode"] = "quick (--quick)" if a.quick else "full"
    info["plan"] = (f"{plan.rounds} rounds of run/phases/delete --force/exec/--version/floors; "
                    f"throughput: {plan.tput_rounds} rounds of {plan.tput_containers} containers "
                    f"per parallelism; state/list: {plan.list_rounds} rounds, "
                    f"{plan.live} live containers")
    info["versions"] = {rt.name: rt.version_lines() for rt in rts}
    info["binaries"] = {rt.name: rt.binary for rt in rts}
    info["sizes"] = {rt.name: elf_kind(rt.binary) for rt in rts}
    for rt in rts:
        problem = drop_from_page_cache(rt.binary)
        if problem:
            log(f"could not drop {rt.name}'s binary from the page cache: {problem}")
    t0, busy0, own0 = time.monotonic(), busy_seconds(), own_cpu_seconds()
    counts = {}
    suite = Suite(rts, bundles, plan, store, log)
    gc.disable()
    try:
        log(f"load average {info['load_before']}; plan: {info['plan']}")
        suite.check()
        if not suite.healthy():
            log("no runtime passed the sanity check")
        for name, section in (("lifecycle", suite.section_lifecycle),
                              ("throughput", suite.section_throughput),
                              ("state/list", suite.section_state_list)):
            t = time.monotonic()
            section()
            log(f"{name} section: {time.monotonic() - t:.1f} s")
        if not a.no_strace:
            for rt in suite.healthy():
                counts[rt.name] = syscalls.count(rt.cmd("run", "--bundle", bundles.true, rt.new_id()),
                                                 os.path.join(workdir, "strace.txt"))
            counts["floor: unshare -fpmnuiC"] = syscalls.count(
                ["/usr/bin/unshare", "-fpmnuiC", "--mount-proc", "true"],
                os.path.join(workdir, "strace.txt"))
            log("strace counts done")
    except (KeyboardInterrupt, Terminated):
        log("interrupted: cleaning up")
        return 130
    finally:
        gc.enable()
        for note in rtmod.cleanup(rts):
            log(f"cleanup: {note}")
    elapsed = time.monotonic() - t0
    other = (busy_seconds() - busy0) - (own_cpu_seconds() - own0)
    info["elapsed_s"] = elapsed
    info["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    info["other_cpus"] = max(other, 0) / elapsed
    info["other_cpu"] = (f"{max(other, 0) / elapsed:.2f} of {info['cpus']} CPUs on average "
                         f"(includes kernel threads working for the bench)")
    broken = {rt.name: rt.broken for rt in rts if rt.broken}
    text = report.render(info, store, a.names, counts, broken)
    print(text)
    with open(a.out, "w") as f:
        f.write(text + "\n")
    log(f"wrote {a.out}")
    return 1 if broken else 0


def main() -> int:
    argv = sys.argv[1:]
    a = parse_args(argv)
    if a.cleanup:
        return cleanup_only(a)
    if a.inner:
        return inner(a)
    return outer(a, argv)


if __name__ == "__main__":
    sys.exit(main())
