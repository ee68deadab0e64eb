"""The fuzz part: fuzz/run.sh (build when stale, then libFuzzer for a bounded time). It can
run beside the container parts: it is bounded by time, they by work, and the machine has two
cores."""

import os
import re
import subprocess
import tempfile

import harness


class FuzzRun:
    def __init__(self, seconds):
        self.seconds = seconds
        self.log = tempfile.TemporaryFile()
        script = os.path.join(harness.REPO, "fuzz", "run.sh")
        self.process = subprocess.Popen(["sh", script, str(seconds)], stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def finish(self, report):
        """Waits, reports one TAP line, returns the number of executions."""
        code = self.process.wait()
        self.log.seek(0)
        lines = self.log.read().decode(errors="replace").strip().splitlines()
        last = lines[-1] if lines else ""
        m = re.search(r"executions=(\d+)", last)
        name = "fuzz: config.json/process.json/resources decoding and validation for %d s" % self.seconds
        if code == 0 and "result=ok" in last:
            report.ok(name, last.replace("fuzz: ", ""))
        else:
            report.fail(name, lines[-12:] or ["fuzz/run.sh exited %d without output" % code])
        return int(m.group(1)) if m else 0
