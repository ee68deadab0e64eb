"""config-linux.md seccomp: actions, errno values, argument filters, the
notify listener and its container process state, invalid filters."""
import json
import os
import re

from lib.framework import test
from lib.sockets import SeccompAgent
from tests_config import must_fail_create

UNISTD = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
# mkdir through every path busybox's libc may take
MKDIR = ["mkdir", "mkdirat"]


def all_syscalls():
    with open(UNISTD) as f:
        return [m.group(1) for m in re.finditer(r"#define __NR_(\w+) (\d+)", f.read())]


def seccomp_bundle(t, script, seccomp):
    b = t.bundle()
    b.config["root"]["readonly"] = False
    b.linux["seccomp"] = seccomp
    b.script(script)
    return b


def rule(names, action, **kw):
    r = {"names": list(names), "action": action}
    r.update(kw)
    return r


@test("seccomp_errno", ["cl.seccomp.apply", "cl.seccomp.errnoRet"],
      "SCMP_ACT_ERRNO: mkdir fails with EPERM (the default), symlink with errnoRet 5 (EIO); Seccomp: 2")
def _(t):
    b = seccomp_bundle(t, "mkdir /d 2>&1; ln -s x /l 2>&1; touch /f && echo touch-ok; grep ^Seccomp: /proc/self/status", {
        "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [rule(MKDIR, "SCMP_ACT_ERRNO"), rule(["symlink", "symlinkat"], "SCMP_ACT_ERRNO", errnoRet=5)]})
    status, out = t.run(b)
    t.check("Operation not permitted" in out, "mkdir did not fail with EPERM: %r" % out)
    t.check("Input/output error" in out, "symlink did not fail with EIO: %r" % out)
    t.check("touch-ok" in out, "an unlisted syscall was blocked: %r" % out)
    t.check(re.search(r"Seccomp:\s+2", out), "seccomp filter mode not set: %r" % out)


@test("seccomp_default_errno", ["cl.seccomp.apply", "cl.seccomp.errnoRet"],
      "defaultAction SCMP_ACT_ERRNO with defaultErrnoRet 5, every syscall but mkdir allowed: mkdir fails with EIO")
def _(t):
    allowed = [n for n in all_syscalls() if n not in MKDIR]
    b = seccomp_bundle(t, "mkdir /d 2>&1; echo done", {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 5,
        "syscalls": [rule(allowed, "SCMP_ACT_ALLOW")]})
    status, out = t.run(b)
    t.check("Input/output error" in out and "done" in out, "mkdir did not fail with EIO under the default action: %r" % out)


@test("seccomp_kill_trap", ["cl.seccomp.apply"], "SCMP_ACT_KILL and SCMP_ACT_TRAP end the caller with SIGSYS")
def _(t):
    for action in ("SCMP_ACT_KILL", "SCMP_ACT_TRAP", "SCMP_ACT_KILL_PROCESS"):
        b = seccomp_bundle(t, "mkdir /d; echo rc=$?", {
            "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule(MKDIR, action)]})
        status, out = t.run(b)
        t.check("rc=159" in out, "%s: mkdir did not die of SIGSYS (128+31): %r" % (action, out))


@test("seccomp_log_allow", ["cl.seccomp.apply"], "SCMP_ACT_LOG lets the syscall through")
def _(t):
    b = seccomp_bundle(t, "mkdir /d && echo made", {
        "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule(MKDIR, "SCMP_ACT_LOG")]})
    status, out = t.run(b)
    t.eq(out.strip(), "made", "mkdir under SCMP_ACT_LOG")


@test("seccomp_args", ["cl.seccomp.apply"], "an SCMP_CMP_EQ argument filter: chmod to 0700 fails, to 0755 works")
def _(t):
    b = seccomp_bundle(t, "touch /f; chmod 700 /f 2>&1; chmod 755 /f && echo 755-ok", {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [rule(["chmod"], "SCMP_ACT_ERRNO", args=[{"index": 1, "value": 0o700, "op": "SCMP_CMP_EQ"}]),
                     rule(["fchmodat"], "SCMP_ACT_ERRNO", args=[{"index": 2, "value": 0o700, "op": "SCMP_CMP_EQ"}])]})
    status, out = t.run(b)
    t.check("Operation not permitted" in out, "chmod 700 was not blocked: %r" % out)
    t.check("755-ok" in out, "chmod 755 was blocked: %r" % out)


@test("seccomp_masked_eq", ["cl.seccomp.apply"], "SCMP_CMP_MASKED_EQ with valueTwo: chmod with the setuid bit fails")
def _(t):
    b = seccomp_bundle(t, "touch /f; chmod 4755 /f 2>&1; chmod 755 /f && echo 755-ok", {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [rule(["chmod"], "SCMP_ACT_ERRNO",
                          args=[{"index": 1, "value": 0o4000, "valueTwo": 0o4000, "op": "SCMP_CMP_MASKED_EQ"}]),
                     rule(["fchmodat"], "SCMP_ACT_ERRNO",
                          args=[{"index": 2, "value": 0o4000, "valueTwo": 0o4000, "op": "SCMP_CMP_MASKED_EQ"}])]})
    status, out = t.run(b)
    t.check("Operation not permitted" in out and "755-ok" in out, "masked filter: %r" % out)


@test("seccomp_errno_unsupported", ["cl.seccomp.errno-unsupported"],
      "errnoRet with SCMP_ACT_KILL, and defaultErrnoRet with SCMP_ACT_ALLOW, are rejected",
      runc="runc (1.1.5 and 1.5) silently drops errnoRet/defaultErrnoRet for actions other than SCMP_ACT_ERRNO "
           "and SCMP_ACT_TRACE; config-linux.md: When the action doesn't support an errno, the runtime MUST print "
           "and error and fail.")
def _(t):
    b = seccomp_bundle(t, "true", {"defaultAction": "SCMP_ACT_ALLOW",
                                   "syscalls": [rule(MKDIR, "SCMP_ACT_KILL", errnoRet=1)]})
    must_fail_create(t, b, "errnoRet on SCMP_ACT_KILL")
    b = seccomp_bundle(t, "true", {"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1})
    must_fail_create(t, b, "defaultErrnoRet on SCMP_ACT_ALLOW")


@test("seccomp_names_empty", ["cl.seccomp.names-nonempty", "cfg.valid-values"], "a rule with names: [] is rejected",
      runc="runc (1.1.5 and 1.5) skips a syscall rule with no names instead of failing; config-linux.md: names MUST "
           "contain at least one entry (and invalid values MUST generate an error).")
def _(t):
    b = seccomp_bundle(t, "true", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [rule([], "SCMP_ACT_ERRNO")]})
    must_fail_create(t, b, "empty names")


@test("seccomp_notify_listener", ["cl.seccomp.listener", "cl.seccomp.process-state"],
      "SCMP_ACT_NOTIFY: one connection to listenerPath carries the process state (JSON) and the seccompFd by "
      "SCM_RIGHTS, then is closed")
def _(t):
    agent = SeccompAgent(t)
    b = seccomp_bundle(t, "mkdir /d 2>&1; echo done", {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": agent.path, "listenerMetadata": "cf-metadata",
        "syscalls": [rule(MKDIR, "SCMP_ACT_NOTIFY")]})
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    agent.done.wait(20)
    t.check(agent.error is None, "agent: %s" % agent.error)
    t.eq(len(agent.messages), 1, "connections carrying a state")
    m = agent.messages[0]
    t.check(m["closed"], "the runtime did not close the connection after the state")
    t.eq((m["fds"], m["fds_in_first"]), (1, 1), "fds received (all, in the first message)")
    try:
        st = json.loads(m["data"])
    except ValueError:
        raise AssertionError("process state is not JSON: %r" % m["data"][:300])
    t.check(isinstance(st.get("ociVersion"), str), "no ociVersion: %r" % st)
    t.eq(st.get("fds"), ["seccompFd"], "fds names")
    t.eq(st.get("pid"), pid, "pid (as seen by the runtime)")
    t.eq(st.get("metadata"), "cf-metadata", "metadata")
    t.eq((st.get("state") or {}).get("id"), cid, "state.id")
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")


@test("seccomp_listener_unreachable", ["cl.seccomp.listener-fail"], "a listenerPath nobody listens on fails the container")
def _(t):
    b = seccomp_bundle(t, "mkdir /d; echo ran > /out/ran", {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": t.path("nobody.sock"),
        "syscalls": [rule(MKDIR, "SCMP_ACT_NOTIFY")]})
    r = t.create(b)
    if r.rc == 0:
        t.fails(t.start(r.id), "start with an unreachable seccomp listener")
    else:
        t.fails(r, "create with an unreachable seccomp listener")
    t.check(not b.out_exists("ran"), "the program ran")


@test("seccomp_metadata_without_path", ["cl.seccomp.metadata-without-path"], "listenerMetadata without listenerPath is rejected",
      runc="runc (1.1.5 and 1.5) accepts listenerMetadata without listenerPath; config-linux.md: This field MUST NOT be set if "
           "listenerPath is not set (and invalid values MUST generate an error).")
def _(t):
    b = seccomp_bundle(t, "true", {"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "orphan"})
    must_fail_create(t, b, "listenerMetadata alone")
