"""The Markdown report: host, versions, method, the side-by-side table, floors, syscalls."""

from results_store import FLOOR_COLUMN, FLOOR_OF, FLOORS, METRICS, Store, quantile


def fmt(v, unit: str) -> str:
    if v is None:
        return "–"
    if unit == "containers/s":
        return f"{v:.1f}" if v < 100 else f"{v:.0f}"
    if v < 1:
        return f"{v:.3f}"
    if v < 10:
        return f"{v:.2f}"
    return f"{v:.1f}"


def cell(store: Store, metric, col: str) -> str:
    key = (metric.key, col)
    if key in store.not_available:
        why = store.not_available[key]
        return "n/a" if why.startswith("n/a") else "FAIL"
    if key in store.failures:
        return "FAIL"
    med = store.median(metric.key, col)
    if med is None:
        return "–"
    # The bad tail: p90 of a time or a size, p10 of a rate.
    if metric.higher_is_better:
        tail, name = quantile(store.samples[key], 0.1), "p10"
    else:
        tail, name = store.p90(metric.key, col), "p90"
    return f"**{fmt(med, metric.unit)}** ({name} {fmt(tail, metric.unit)})"


def floor_value(store: Store, metric):
    if metric.key.startswith("tput_") or metric.key == "rss_create":
        return store.median(metric.key, FLOOR_COLUMN)
    fk = FLOOR_OF.get(metric.key)
    if not fk:
        return None
    suffix = "_cpu" if metric.key.endswith("_cpu") else ""
    return store.median(f"floor_{fk}{suffix}", FLOOR_COLUMN)


def ratio(store: Store, metric, a: str, b: str) -> str:
    x, y = store.median(metric.key, a), store.median(metric.key, b)
    if x is None or y is None or y == 0:
        return "–"
    return f"{x / y:.2f}×"


def main_table(store: Store, names: list[str]) -> list[str]:
    cols = ["measurement", "unit", *names, "floor"]
    others = [n for n in ("runc", "crun") if n in names]
    with_ratios = "swiftlet" in names
    if with_ratios:
        cols += [f"swiftlet/{o}" for o in others]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for m in METRICS:
        row = [m.label, m.unit + (" ↑" if m.higher_is_better else "")]
        row += [cell(store, m, n) for n in names]
        fv = floor_value(store, m)
        row.append(fmt(fv, m.unit) if fv is not None else "")
        if with_ratios:
            row += [ratio(store, m, "swiftlet", o) for o in others]
        out.append("| " + " | ".join(row) + " |")
    return out


def floor_table(store: Store) -> list[str]:
    out = ["| floor command | wall ms | CPU ms | n |", "|---|---|---|---|"]
    for key, label in FLOORS:
        k = f"floor_{key}"
        if (k, FLOOR_COLUMN) in store.failures:
            out.append(f"| {label} | FAIL | | |")
            continue
        w, c = store.median(k, FLOOR_COLUMN), store.median(k + "_cpu", FLOOR_COLUMN)
        p = store.p90(k, FLOOR_COLUMN)
        out.append(f"| {label} | **{fmt(w, 'ms')}** (p90 {fmt(p, 'ms')}) | {fmt(c, 'ms')} "
                   f"| {store.count(k, FLOOR_COLUMN)} |")
    return out


def syscall_table(counts: dict) -> list[str]:
    names = list(counts)
    out = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    out.append("| **total syscalls** (errors) | " + " | ".join(
        "FAIL" if c.error else f"**{c.total_calls}** ({c.total_errors})" for c in counts.values()) + " |")
    tops = {n: c.top(10) for n, c in counts.items()}
    for i in range(10):
        row = []
        for n in names:
            t = tops[n]
            row.append(f"{t[i][0]} {t[i][1]}" if i < len(t) else "")
        out.append(f"| #{i + 1} | " + " | ".join(row) + " |")
    return out


def failures(store: Store) -> list[str]:
    out = []
    for (metric, col), why in sorted(store.failures.items()):
        if why.startswith("sanity check failed"):
            continue   # listed once, under the failed sanity checks
        out.append(f"- {col} / {metric}: FAIL — {why}")
    for (metric, col), why in sorted(store.not_available.items()):
        out.append(f"- {col} / {metric}: {why}")
    return out


def targets(store: Store, names: list[str]) -> list[str]:
    """issue 10's targets, judged from this run's medians: first beat crun on every row, then
    lifecycle <= 0.5x crun, exec <= crun, peak RSS <= crun, --version < 1 ms."""
    if "swiftlet" not in names or "crun" not in names:
        return ["(needs both swiftlet and crun in the run)"]
    out, losing = [], []
    for m in METRICS:
        x, y = store.median(m.key, "swiftlet"), store.median(m.key, "crun")
        if x is None or y is None or y == 0:
            losing.append(f"{m.label} (not measured)")
            continue
        ahead = x >= y if m.higher_is_better else x <= y
        if not ahead:
            losing.append(f"{m.label} ({x / y:.2f}× crun)")
    out.append("- beat crun on every row: " + ("**met**" if not losing else
               f"**not met**, {len(METRICS) - len(losing)} of {len(METRICS)} rows; behind on: " + "; ".join(losing)))

    def judged(label: str, ok, detail: str) -> str:
        verdict = "not measured" if ok is None else ("**met**" if ok else "**not met**")
        return f"- {label}: {verdict} ({detail})"
    life = [store.median("lifecycle", n) for n in ("swiftlet", "crun")]
    ok = None if None in life else life[0] <= 0.5 * life[1]
    out.append(judged("lifecycle ≤ 0.5× crun", ok, "–" if ok is None else f"{life[0] / life[1]:.2f}×"))
    for key, label in (("exec_wall", "exec ≤ crun, wall"), ("exec_cpu", "exec ≤ crun, CPU"),
                       ("rss_create", "peak RSS ≤ crun")):
        v = [store.median(key, n) for n in ("swiftlet", "crun")]
        ok = None if None in v else v[0] <= v[1]
        out.append(judged(label, ok, "–" if ok is None else f"{v[0] / v[1]:.2f}×"))
    v = store.median("version", "swiftlet")
    floor = store.median("floor_true", FLOOR_COLUMN)
    out.append(judged("`--version` < 1 ms", None if v is None else v < 1.0,
                      "–" if v is None else f"{v:.2f} ms; spawning /bin/true alone: "
                      + (f"{floor:.2f} ms" if floor is not None else "not measured")))
    return out


def render(info: dict, store: Store, names: list[str], counts: dict, broken: dict) -> str:
    L = [f"# swiftlet benchmarks: swiftlet vs runc vs crun", ""]
    L += [f"- date: {info['date']}",
          f"- host: kernel {info['kernel']}, {info['cpus']} CPUs ({info['cpu_model']}), "
          f"{info['mem_gib']:.0f} GiB RAM",
          f"- load average before/after: {info['load_before']} / {info['load_after']}; "
          f"CPU used by other processes during the bench: {info['other_cpu']}",
          *([f"- **the machine was busy** (other processes used {info['other_cpus']:.1f} of "
             f"{info['cpus']} CPUs): wall times and rates carry that noise; the CPU, RSS and "
             f"syscall rows are the steadier comparison"] if info["other_cpus"] > 0.3 else []),
          f"- mode: {info['mode']}; wall time of the whole bench {info['elapsed_s']:.0f} s",
          ""]
    L += ["## Versions", ""]
    for name, v in info["versions"].items():
        L.append(f"- **{name}** `{info['binaries'][name]}` ({info['sizes'][name]}): "
                 + "; ".join(v[:3]))
    L.append("")
    if broken:
        L += ["## Runtimes that failed their sanity check (not timed)", ""]
        L += [f"- **{n}**: {why}" for n, why in broken.items()]
        L.append("")
    L += ["## Setup", "",
          "All runtimes (and the floors) run inside one private mount + cgroup namespace, because crun "
          "refuses this machine's hybrid cgroup layout (DESIGN.md §5): `unshare -m -C sh -c 'umount "
          "/sys/fs/cgroup/unified && mount -t tmpfs -o size=16m,mode=755 swiftlet-bench "
          "/sys/fs/cgroup/unified && umount /sys/fs/cgroup/memory && mount -t cgroup -o memory cgroup "
          "/sys/fs/cgroup/memory && exec \"$@\"' ns python3 bench/bench.py ...`. The tmpfs over the emptied "
          "`unified` directory is the bench's addition to DESIGN's setup: crun (in legacy mode) still "
          "creates `unified/<id>/cgroup.procs`, which would otherwise pile up in the host's "
          "/sys/fs/cgroup tmpfs. Every container is created and deleted inside that setup; the "
          "machine's own cgroup mounts are untouched.",
          "",
          "- bundles from `scripts/mkbundle.sh DIR true` (busybox, runc-spec-like config, no "
          "cgroupsPath, so each container's cgroup is `<caller's cgroup>/<id>`); each runtime has its own "
          "`--root` in a temp dir under /run; every container id is unique.",
          "- each command is spawned with posix_spawn and reaped with wait4; wall = `perf_counter_ns` "
          "from before the spawn to after the reap; CPU = user+sys of the command and every descendant "
          "reaped by the end (RUSAGE_CHILDREN delta); peak RSS = GNU `time -f %M` of a `create` (untimed "
          "for wall; a child of Python itself would inherit Python's RSS high-water mark; its floor "
          "column is `time -f %M /bin/true`); before the first round each runtime's binary is dropped from "
          "the page cache (POSIX_FADV_DONTNEED), so its text comes back through page faults as after an "
          "install, not as the large folios a recent read-through (cp, strip) leaves, which newer kernels "
          "map whole on a fault. The bench is a child subreaper (as conmon and containerd-shim are), so a container's "
          "init orphaned by `create` is reaped by the bench: \"wait\" is the time from the end of `start` "
          "to that reap.",
          f"- interleaved: every round runs each runtime once, ABC BCA CAB ...; {info['plan']}.",
          "- median in bold, p90 (p10 for rates, ↑ = higher is better) in parentheses; ratios are of "
          "medians: below 1× means swiftlet is faster/smaller, except for containers/s where above 1× "
          "means swiftlet is faster.",
          ""]
    L += ["## Results", ""] + main_table(store, names) + [""]
    L += ["## Against the targets", "", "Judged from the medians above (bench/README.md says "
          "where the remaining gaps come from).", ""] + targets(store, names) + [""]
    L += ["## Floors", "", "The same work without a runtime (same namespace setup, same spawn/reap "
          "method).", ""] + floor_table(store) + [""]
    if counts:
        L += ["## Syscalls of one `run` of /bin/true (`strace -f -c`)", "",
              "Counted over the runtime and all its children, the container's /bin/true included.",
              ""] + syscall_table(counts) + [""]
        errs = [f"- {n}: strace failed: {c.error}" for n, c in counts.items() if c.error]
        L += errs + ([""] if errs else [])
    f = failures(store)
    if f:
        L += ["## Failures and unavailable measurements", ""] + f + [""]
    return "\n".join(L)
