"""CVE-2019-5736: overwriting the runtime binary through /proc/<pid>/exe.

The attacker (sec-attacker watch) runs inside the container and goes after every process
that is not busybox or itself, which is the runtime's own code: the init at the start
barrier (create), an exec's init while it joins the container, and the runtime binary
exec'd inside the container through an entrypoint `#!/proc/self/exe`. For each it opens
/proc/P/exe for writing, truncates it, and holds an O_PATH fd it keeps reopening for
writing once the runtime is gone (the published exploit). The runtime runs from a fresh
copy in the test's temp dir; afterwards the copy and the original must be unchanged.
"""
import os
import time

from lib.framework import Failure
from seclib import (ATTACKER, Vulnerable, attack, binaries_untouched, exec_detached, host_marker,
                    own_runtime_copy, vulnerable_lines, wait_exit)

EVIL = "/bin/evil"   # `#!/proc/self/exe`: exec'ing it runs the runtime's own binary


def evil_bundle(t, args):
    b = t.bundle(args)
    b.write_rootfs_file(EVIL, "#!/proc/self/exe\n", 0o755)
    b.config["process"]["env"].append("SEC_STOP=/out/stop")
    return b


def judge(t, b, witnesses, what):
    log = b.out_file("attack.log") or ""
    binaries_untouched(witnesses)
    # Leaked fds are cve_2024_21626_exec's; this test judges the binary.
    bad = [l for l in vulnerable_lines(log) if l.split()[1] in ("open-wronly", "truncate", "reopen-held")]
    if bad:
        raise Vulnerable("; ".join(bad[:5]))
    targets = [l for l in log.splitlines() if l.startswith("target ")]
    refused = [l for l in log.splitlines() if l.startswith("exe pid=")]
    if not targets and not refused:
        raise Failure("the attacker never saw the runtime's process (%s): cannot judge\n%s" % (what, log[-1500:]))
    outcomes = sorted(set(l.split(" pid=")[0] + ": " + l.split("errno=")[1] for l in log.splitlines()
                          if l.startswith(("open-wronly", "truncate", "reopen-held", "exe pid=", "open-path"))
                          and "errno=" in l))
    t.note("%s: the attacker reached %d runtime process images and was refused /proc/P/exe of %d; "
           "outcomes: %s" % (what, len(targets), len(refused), "; ".join(outcomes) or "none"))
    for line in targets[:4]:
        t.note(line)


@attack("cve_2019_5736_exec", ["CVE-2019-5736"],
        "a container process attacks /proc/<pid>/exe of every exec'd init and of the runtime "
        "binary run by `exec` of a `#!/proc/self/exe` script")
def _(t, env):
    witnesses = own_runtime_copy(t, env)
    marker, _ = host_marker(t)
    b = evil_bundle(t, [ATTACKER, "watch", "30", "/out/attack.log", marker, "exe"])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    deadline = time.monotonic() + 12
    execs = 0
    while time.monotonic() < deadline and execs < 40:
        # The runtime binary itself, inside the container, for as long as it runs.
        t.rt("exec", cid, EVIL, timeout=10)
        # An exec's init joining the container.
        t.rt("exec", cid, "true", timeout=10)
        execs += 2
    open(os.path.join(b.out, "stop"), "w").close()
    wait_exit(pid, 10)
    t.note("%d execs raced" % execs)
    judge(t, b, witnesses, "exec")


@attack("cve_2019_5736_create", ["CVE-2019-5736"],
        "a process exec'd into a created container attacks /proc/1/exe (the init at the start "
        "barrier), holds it across start and reopens it for writing after init's exec")
def _(t, env):
    witnesses = own_runtime_copy(t, env)
    marker, _ = host_marker(t)
    b = evil_bundle(t, ["sleep", "4"])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    r = exec_detached(t, cid, ATTACKER, "watch", "8", "/out/attack.log", marker, "exe")
    t.check(r.rc == 0, "exec of the attacker into the created container failed: %r" % r)
    time.sleep(1.5)          # the attacker works on init at the barrier
    t.start_ok(cid)          # init execs sleep: the held fd points at a binary nobody runs
    time.sleep(2)
    open(os.path.join(b.out, "stop"), "w").close()
    wait_exit(pid, 10)
    judge(t, b, witnesses, "create")
