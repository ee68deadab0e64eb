"""The measurements. Every section interleaves the runtimes (ABCABC..., the
starting runtime rotating each round) so that load from other processes on the
machine falls on all of them alike."""

import json
import os
import time
from dataclasses import dataclass

import procs
from results_store import FLOOR_COLUMN, METRICS, Store
from runtimes import Runtime, read_pid

MARKER = "swiftlet-bench-ok"
TIME = "/usr/bin/time"   # GNU time (Debian package `time`)


def read_kib(path: str) -> int:
    with open(path) as f:
        return int(f.read().split()[-1])


@dataclass
class Plan:
    rounds: int            # rounds of section A (run, phases, exec, --version, floors)
    tput_containers: int   # containers per throughput batch
    tput_rounds: int
    live: int              # live containers for state/list
    list_rounds: int


# Timed on this 2-core VM: full about 4 minutes, quick about 1 (more when loaded).
FULL = Plan(rounds=120, tput_containers=40, tput_rounds=5, live=100, list_rounds=40)
QUICK = Plan(rounds=15, tput_containers=16, tput_rounds=2, live=100, list_rounds=10)


@dataclass
class Bundles:
    true: str
    sleep: str
    check: str


def rotated(items: list, r: int) -> list:
    if not items:
        return items
    k = r % len(items)
    return items[k:] + items[:k]


def ms(ns: int) -> float:
    return ns / 1e6


class Suite:
    def __init__(self, runtimes: list[Runtime], bundles: Bundles, plan: Plan, store: Store, log):
        self.runtimes = runtimes
        self.b = bundles
        self.plan = plan
        self.s = store
        self.log = log
        self.workdir = os.path.dirname(bundles.true)
        self.live_pid: dict[str, int] = {}   # runtime name -> pid of its running sleep container
        self.live_id: dict[str, str] = {}

    def healthy(self) -> list[Runtime]:
        return [rt for rt in self.runtimes if not rt.broken]

    def _pidfile(self, cid: str) -> str:
        return os.path.join(self.workdir, f"{cid}.pid")

    # ---- sanity: a runtime that cannot run a container is reported, not timed

    def check(self) -> None:
        for rt in self.runtimes:
            if not os.access(rt.binary, os.X_OK):
                rt.broken = f"{rt.binary} is not an executable"
                continue
            cid = rt.new_id()
            o = procs.quiet(rt.cmd("run", "--bundle", self.b.check, cid))
            if not o.ok or MARKER not in o.out:
                rt.broken = f"sanity `run` failed: {o.describe()} (stdout: {o.out.strip()[:100]!r})"
                continue
            if os.path.exists(os.path.join(rt.root, cid)):
                rt.broken = f"`run` left state behind in {rt.root}/{cid}"
                continue
            self._check_exec(rt)
        for rt in self.runtimes:
            if rt.broken:
                for m in METRICS:
                    self.s.fail(m.key, rt.name, "sanity check failed (see above)")
            self.log(f"check {rt.name}: {'FAIL: ' + rt.broken if rt.broken else 'ok'}"
                     + (f" (exec: {rt.exec_na})" if rt.exec_na else ""))

    def _check_exec(self, rt: Runtime) -> None:
        h = procs.quiet(rt.cmd("exec", "--help"))
        if not h.ok:
            rt.exec_na = "n/a: `exec --help` fails"
            return
        cid = self._start_sleeper(rt)
        if not cid:
            rt.exec_na = "FAIL: could not start a container to exec into"
            return
        o = procs.quiet(rt.cmd("exec", cid, "/bin/echo", MARKER))
        if not o.ok or MARKER not in o.out:
            rt.exec_na = f"FAIL: {o.describe()}"
        self._stop(rt, cid, self.live_pid.pop(cid, 0))

    def _start_sleeper(self, rt: Runtime) -> str:
        cid = rt.new_id()
        pf = self._pidfile(cid)
        c = procs.quiet(rt.cmd("create", "--bundle", self.b.sleep, "--pid-file", pf, cid))
        if not c.ok:
            self.log(f"{rt.name}: {c.describe()}")
            return ""
        s = procs.quiet(rt.cmd("start", cid))
        if not s.ok:
            self.log(f"{rt.name}: {s.describe()}")
            procs.quiet(rt.cmd("delete", "--force", cid))
            return ""
        self.live_pid[cid] = read_pid(pf)
        return cid

    def _stop(self, rt: Runtime, cid: str, pid: int) -> None:
        k = procs.quiet(rt.cmd("kill", cid, "9"))
        if k.ok and pid:
            procs.wait_exit(pid)
            if procs.quiet(rt.cmd("delete", cid)).ok:
                return
        procs.quiet(rt.cmd("delete", "--force", cid))
        if pid:
            procs.kill_pid(pid)
        procs.reap_orphans()

    # ---- section A: lifecycle, phases, exec, --version, floors

    def section_lifecycle(self) -> None:
        for rt in self.healthy():
            if not rt.exec_na:
                cid = self._start_sleeper(rt)
                if cid:
                    self.live_id[rt.name] = cid
                else:
                    rt.exec_na = "FAIL: could not start a container to exec into"
        sleeper_pid = next((self.live_pid[c] for c in self.live_id.values()), 0)
        for r in range(self.plan.rounds):
            for rt in rotated(self.healthy(), r):
                self._run_once(rt)
                self._phases_once(rt)
                self._delete_force_once(rt)
                self._exec_once(rt)
                self._version_once(rt)
            self._floors_once(sleeper_pid)
            if r % 20 == 19:
                self.log(f"lifecycle: round {r + 1}/{self.plan.rounds}")
        for rt in self.healthy():
            cid = self.live_id.pop(rt.name, "")
            if cid:
                self._stop(rt, cid, self.live_pid.pop(cid, 0))
        for rt in self.healthy():
            if rt.exec_na:
                for m in ("exec_wall", "exec_cpu"):
                    self.s.mark_na(m, rt.name, rt.exec_na)

    def _record(self, metric: str, col: str, o: procs.Outcome, value: float) -> bool:
        if self.s.failed(metric, col):
            return False
        if not o.ok:
            self.s.fail(metric, col, o.describe())
            return False
        self.s.add(metric, col, value)
        return True

    def _run_once(self, rt: Runtime) -> None:
        if self.s.failed("run_wall", rt.name):
            return
        o = procs.run(rt.cmd("run", "--bundle", self.b.true, rt.new_id()))
        if self._record("run_wall", rt.name, o, ms(o.wall_ns)):
            self._record("run_cpu", rt.name, o, ms(o.cpu_ns))

    def _phases_once(self, rt: Runtime) -> None:
        col = rt.name
        if self.s.failed("create", col) or self.s.failed("lifecycle", col):
            return
        cid = rt.new_id()
        pf = self._pidfile(cid)
        c = procs.run(rt.cmd("create", "--bundle", self.b.true, "--pid-file", pf, cid))
        if not c.ok:
            for m in ("create", "start", "wait", "delete", "lifecycle"):
                self.s.fail(m, col, c.describe())
            return
        pid = read_pid(pf)
        # reap=False: the container may exit while `start` runs; its reap belongs to "wait".
        s = procs.run(rt.cmd("start", cid), reap=False)
        started = s.end_ns
        if not s.ok:
            for m in ("start", "wait", "delete", "lifecycle"):
                self.s.fail(m, col, s.describe())
            procs.quiet(rt.cmd("delete", "--force", cid))
            procs.wait_exit(pid)
            return
        e = procs.wait_exit(pid)
        waited = time.perf_counter_ns() - started
        d = procs.run(rt.cmd("delete", cid))
        self._record("create", col, c, ms(c.wall_ns))
        self._record("start", col, s, ms(s.wall_ns))
        if e.rc != 0:
            self.s.fail("wait", col, f"container of {cid} exited {e.rc}")
            self.s.fail("lifecycle", col, f"container of {cid} exited {e.rc}")
        else:
            self.s.add("wait", col, ms(waited))
        if self._record("delete", col, d, ms(d.wall_ns)) and not self.s.failed("lifecycle", col):
            self.s.add("lifecycle", col, ms(c.wall_ns + s.wall_ns + waited + d.wall_ns))

    def _delete_force_once(self, rt: Runtime) -> None:
        """Also measures the peak RSS of this (untimed) create: through GNU time,
        because any child of this Python process inherits Python's RSS high-water
        mark at fork/exec in ru_maxrss."""
        if self.s.failed("delete_force", rt.name):
            return
        cid = rt.new_id()
        pf = self._pidfile(cid)
        rss_file = os.path.join(self.workdir, "rss")
        c = procs.quiet([TIME, "-f", "%M", "-o", rss_file,
                         *rt.cmd("create", "--bundle", self.b.true, "--pid-file", pf, cid)])
        if not c.ok:
            self.s.fail("delete_force", rt.name, "create: " + c.describe())
            self.s.fail("rss_create", rt.name, c.describe())
            return
        self._record("rss_create", rt.name, c, read_kib(rss_file) / 1024)
        pid = read_pid(pf)
        d = procs.run(rt.cmd("delete", "--force", cid), reap=False)
        self._record("delete_force", rt.name, d, ms(d.wall_ns))
        if not d.ok:
            procs.kill_pid(pid)
        procs.wait_exit(pid)

    def _exec_once(self, rt: Runtime) -> None:
        cid = self.live_id.get(rt.name)
        if rt.exec_na or not cid or self.s.failed("exec_wall", rt.name):
            return
        o = procs.run(rt.cmd("exec", cid, "/bin/true"))
        if self._record("exec_wall", rt.name, o, ms(o.wall_ns)):
            self._record("exec_cpu", rt.name, o, ms(o.cpu_ns))

    def _version_once(self, rt: Runtime) -> None:
        o = procs.run([rt.binary, "--version"])
        self._record("version", rt.name, o, ms(o.wall_ns))

    def _floors_once(self, sleeper_pid: int) -> None:
        f = FLOOR_COLUMN
        for key, argv in self.floor_commands(sleeper_pid).items():
            o = procs.run(argv)
            if self._record(f"floor_{key}", f, o, ms(o.wall_ns)):
                self._record(f"floor_{key}_cpu", f, o, ms(o.cpu_ns))
        rss_file = os.path.join(self.workdir, "rss")
        o = procs.quiet([TIME, "-f", "%M", "-o", rss_file, "/bin/true"])
        if o.ok:
            self.s.add("rss_create", f, read_kib(rss_file) / 1024)

    @staticmethod
    def floor_commands(sleeper_pid: int) -> dict:
        cmds = {
            "true": ["/bin/true"],
            "unshare_plain": ["/usr/bin/unshare", "/bin/true"],
            "unshare_full": ["/usr/bin/unshare", "-fpmnuiC", "--mount-proc", "true"],
        }
        if sleeper_pid:
            cmds["nsenter"] = ["/usr/bin/nsenter", "-t", str(sleeper_pid), "-a", "/bin/true"]
        return cmds

    # ---- section B: throughput

    def section_throughput(self) -> None:
        n = self.plan.tput_containers
        for r in range(self.plan.tput_rounds):
            for rt in rotated(self.healthy(), r):
                for p in (1, 2, 8):
                    metric = f"tput_{p}"
                    if self.s.failed(metric, rt.name):
                        continue
                    argvs = [rt.cmd("run", "--bundle", self.b.true, rt.new_id()) for _ in range(n)]
                    batch = procs.run_parallel(argvs, p)
                    if batch.failures:
                        self.s.fail(metric, rt.name,
                                    f"{len(batch.failures)}/{n} failed, first: {batch.failures[0]}")
                    else:
                        self.s.add(metric, rt.name, n / (batch.wall_ns / 1e9))
            floor = ["/usr/bin/unshare", "-fpmnuiC", "--mount-proc", "true"]
            for p in (1, 2, 8):
                batch = procs.run_parallel([floor] * n, p)
                if not batch.failures:
                    self.s.add(f"tput_{p}", FLOOR_COLUMN, n / (batch.wall_ns / 1e9))
            self.log(f"throughput: round {r + 1}/{self.plan.tput_rounds}")

    # ---- section C: state and list, with 0 and many live containers

    def section_state_list(self) -> None:
        rts = self.healthy()
        rounds = self.plan.list_rounds
        for r in range(rounds):
            for rt in rotated(rts, r):
                self._list_once(rt, "list_0", 0)
        targets = {}
        for rt in rts:
            cid = self._start_sleeper(rt)
            if cid:
                targets[rt.name] = cid
            else:
                for m in ("state_1", "state_100", "list_100"):
                    self.s.fail(m, rt.name, "could not start a sleeping container")
        for r in range(rounds):
            for rt in rotated(rts, r):
                if rt.name in targets:
                    self._state_once(rt, "state_1", targets[rt.name])
        live = {rt.name: [targets[rt.name]] for rt in rts if rt.name in targets}
        for i in range(self.plan.live - 1):
            for rt in rts:
                if rt.name not in live or self.s.failed("list_100", rt.name):
                    continue
                cid = self._start_sleeper(rt)
                if cid:
                    live[rt.name].append(cid)
                else:
                    for m in ("state_100", "list_100"):
                        self.s.fail(m, rt.name, f"starting live container {i + 2} failed")
        self.log(f"state/list: {', '.join(f'{k}: {len(v)}' for k, v in live.items())} live containers")
        for r in range(rounds):
            for rt in rotated(rts, r):
                if rt.name in live:
                    self._state_once(rt, "state_100", targets[rt.name])
                    self._list_once(rt, "list_100", len(live[rt.name]))
        for rt in rts:
            for cid in live.get(rt.name, []):
                self._stop(rt, cid, self.live_pid.pop(cid, 0))

    def _state_once(self, rt: Runtime, metric: str, cid: str) -> None:
        if self.s.failed(metric, rt.name):
            return
        o = procs.run(rt.cmd("state", cid), capture=True)
        if o.ok:
            try:
                status = json.loads(o.out).get("status")
            except ValueError:
                status = None
            if status != "running":
                self.s.fail(metric, rt.name, f"`state {cid}` says status {status!r}")
                return
        self._record(metric, rt.name, o, ms(o.wall_ns))

    def _list_once(self, rt: Runtime, metric: str, expected: int) -> None:
        if self.s.failed(metric, rt.name):
            return
        o = procs.run(rt.cmd("list"), capture=True)
        if o.ok:
            seen = sum(1 for line in o.out.splitlines() if line.startswith("swbench-"))
            if seen != expected:
                self.s.fail(metric, rt.name, f"`list` shows {seen} containers, expected {expected}")
                return
        self._record(metric, rt.name, o, ms(o.wall_ns))
