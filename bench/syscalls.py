"""`strace -c -f` of one `run`: total syscalls and the most frequent ones.

The VM has no PMU (no instruction counters); syscall counts are the
noise-free proxy for how much work a runtime does."""

import os
from dataclasses import dataclass, field

import procs


@dataclass
class Counts:
    total_calls: int = 0
    total_errors: int = 0
    by_name: dict = field(default_factory=dict)   # syscall -> (calls, errors)
    error: str = ""

    def top(self, n: int = 10) -> list[tuple[str, int, int]]:
        rows = sorted(self.by_name.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [(name, c, e) for name, (c, e) in rows[:n]]


def parse(text: str) -> Counts:
    """Parses strace's -c table by the column spans of its dashed rule line."""
    lines = text.splitlines()
    rule = next((i for i, l in enumerate(lines) if l.startswith("------")), None)
    if rule is None:
        return Counts(error="no strace summary table")
    spans, col, rule_line = [], 0, lines[rule]
    for part in rule_line.split(" "):
        spans.append((col, col + len(part)))
        col += len(part) + 1
    header = [lines[rule - 1][a:b].strip() for a, b in spans] if rule > 0 else []
    want = {"calls", "errors", "syscall"}
    if not want.issubset(header):
        return Counts(error=f"unexpected strace header {header}")
    ci, ei, si = header.index("calls"), header.index("errors"), header.index("syscall")
    counts = Counts()
    for line in lines[rule + 1:]:
        if line.startswith("------"):
            continue
        # The syscall column is left-aligned and may be longer than its rule.
        cells = [line[a:b].strip() for a, b in spans[:-1]] + [line[spans[-1][0]:].strip()]
        name = cells[si]
        if not name:
            continue
        calls = int(cells[ci] or 0)
        errors = int(cells[ei] or 0)
        if name == "total":
            counts.total_calls, counts.total_errors = calls, errors
        else:
            counts.by_name[name] = (calls, errors)
    if not counts.total_calls:
        counts.total_calls = sum(c for c, _ in counts.by_name.values())
    return counts


def count(argv: list[str], out_path: str) -> Counts:
    o = procs.quiet(["/usr/bin/strace", "-f", "-c", "-o", out_path, "--", *argv])
    if not o.ok:
        return Counts(error=o.describe())
    try:
        with open(out_path) as f:
            text = f.read()
    finally:
        if os.path.exists(out_path):
            os.unlink(out_path)
    return parse(text)
