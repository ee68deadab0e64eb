"""Samples and failures per (metric, column), and the rows of the report."""

import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str                 # "ms", "MiB", "containers/s"
    higher_is_better: bool = False


# The rows of the main table, in order.
METRICS = [
    Metric("run_wall", "`run` /bin/true, wall", "ms"),
    Metric("run_cpu", "`run` /bin/true, CPU (user+sys, runtime and children)", "ms"),
    Metric("create", "`create`", "ms"),
    Metric("start", "`start`", "ms"),
    Metric("wait", "wait for exit (end of `start` to reap of init)", "ms"),
    Metric("delete", "`delete` (stopped)", "ms"),
    Metric("lifecycle", "create+start+wait+delete (per-round sum)", "ms"),
    Metric("delete_force", "`delete --force` of a created container", "ms"),
    Metric("exec_wall", "`exec` /bin/true into a running container, wall", "ms"),
    Metric("exec_cpu", "`exec` /bin/true, CPU (user+sys)", "ms"),
    Metric("rss_create", "peak RSS of the runtime during `create` (GNU time %M)", "MiB"),
    Metric("tput_1", "containers/s (`run` /bin/true), parallelism 1", "containers/s", True),
    Metric("tput_2", "containers/s, parallelism 2", "containers/s", True),
    Metric("tput_8", "containers/s, parallelism 8", "containers/s", True),
    Metric("state_1", "`state`, the only container", "ms"),
    Metric("state_100", "`state`, 100 live containers", "ms"),
    Metric("list_0", "`list`, 0 containers", "ms"),
    Metric("list_100", "`list`, 100 live containers", "ms"),
    Metric("version", "`--version`", "ms"),
]
METRIC_BY_KEY = {m.key: m for m in METRICS}

# Which floor command stands beside which row.
FLOOR_OF = {
    "run_wall": "unshare_full",
    "run_cpu": "unshare_full",
    "exec_wall": "nsenter",
    "exec_cpu": "nsenter",
    "tput_1": "unshare_full",
    "tput_2": "unshare_full",
    "tput_8": "unshare_full",
    "version": "true",
}

FLOORS = [
    ("true", "`/bin/true` (spawn and reap)"),
    ("unshare_plain", "`unshare /bin/true` (no namespaces: spawn + exec of /bin/true)"),
    ("unshare_full", "`unshare -fpmnuiC --mount-proc true`"),
    ("nsenter", "`nsenter -t PID -a /bin/true` into a running container"),
]
FLOOR_COLUMN = "floor"


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in [0, 1])."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


@dataclass
class Store:
    samples: dict = field(default_factory=dict)    # (metric, column) -> [float]
    failures: dict = field(default_factory=dict)   # (metric, column) -> str
    not_available: dict = field(default_factory=dict)  # (metric, column) -> why

    def add(self, metric: str, column: str, value: float) -> None:
        self.samples.setdefault((metric, column), []).append(value)

    def fail(self, metric: str, column: str, why: str) -> None:
        # The first failure is the telling one; samples already taken are dropped
        # so a runtime that fails is never reported with a time.
        self.failures.setdefault((metric, column), why)
        self.samples.pop((metric, column), None)

    def failed(self, metric: str, column: str) -> bool:
        return (metric, column) in self.failures or (metric, column) in self.not_available

    def mark_na(self, metric: str, column: str, why: str) -> None:
        self.not_available[(metric, column)] = why

    def median(self, metric: str, column: str):
        v = self.samples.get((metric, column))
        return statistics.median(v) if v else None

    def p90(self, metric: str, column: str):
        v = self.samples.get((metric, column))
        return quantile(v, 0.9) if v else None

    def count(self, metric: str, column: str) -> int:
        return len(self.samples.get((metric, column), []))
