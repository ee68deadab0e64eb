"""runtime.md: state, lifecycle, operations, errors, hook invocation."""
import json
import os
import re
import time

from lib import proc
from lib.framework import test, Failure
from lib.hooks import HookLog

WAIT_GO = "while [ ! -e /out/go ]; do sleep 0.05; done"
STATUSES = ("creating", "created", "running", "stopped")
RUNC_USERNS_PATH = ("runc 1.1.5 requires uidMappings/gidMappings even for a user namespace joined by path "
                    "('User namespaces enabled, but no uid mappings found'); runc 1.2+ reads them from the "
                    "namespace. Rootless, joining the holder's namespaces needs joining its user namespace.")
RUNC_POSTSTART = ("runc 1.1.5 (and runc 1.5.0) runs poststart hooks during create, before the user program "
                  "is started; config.md: 'The poststart hooks MUST be called after the user-specified process is "
                  "executed but before the start operation returns'. Fixed in runc after 1.5.0 (runc #5186).")


def go(b):
    open(os.path.join(b.out, "go"), "w").close()


def wait_file(path, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


def check_state_schema(t, st, what):
    """state-schema.json: required ociVersion/id/status/bundle, types, status enum,
    pid an integer >= 0, annotations a map of non-empty string keys to strings."""
    t.check(isinstance(st, dict), "%s: state is not a JSON object" % what)
    for k in ("ociVersion", "id", "status", "bundle"):
        t.check(k in st, "%s: state lacks required %r: %r" % (what, k, st))
        t.check(isinstance(st[k], str), "%s: state.%s is not a string: %r" % (what, k, st[k]))
    t.check(st["status"] in STATUSES, "%s: status %r is not in the schema's enum %s" % (what, st["status"], STATUSES))
    if "pid" in st:
        t.check(isinstance(st["pid"], int) and not isinstance(st["pid"], bool) and st["pid"] >= 0,
                "%s: pid is not an integer >= 0: %r" % (what, st["pid"]))
    if "annotations" in st and st["annotations"] is not None:
        a = st["annotations"]
        t.check(isinstance(a, dict) and all(k and isinstance(v, str) for k, v in a.items()),
                "%s: annotations is not a map of non-empty keys to strings: %r" % (what, a))


@test("lifecycle_basic", ["rt.scope", "rt.ops.supported", "rt.create.creates", "rt.start.runs",
                          "rt.lifecycle.run-program", "rt.state.status-values"],
      "create -> created, start -> running, exit -> stopped, delete -> gone")
def _(t):
    b = t.bundle(["sh", "-c", "echo started > /out/started; " + WAIT_GO])
    cid = t.create_ok(b)
    st = t.state(cid)
    t.eq(st["status"], "created", "status after create")
    pid = st.get("pid")
    t.check(isinstance(pid, int) and pid > 0 and proc.alive(pid), "created container has no live pid: %r" % st)
    t.start_ok(cid)
    t.check(wait_file(os.path.join(b.out, "started")), "the user program did not run after start")
    t.eq(t.state(cid)["status"], "running", "status after start")
    go(b)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    r = t.delete(cid)
    t.check(r.rc == 0, "delete of a stopped container failed: %r" % r)
    t.check(t.state_or_none(cid) is None, "state still answers after delete")


@test("state_fields", ["rt.state.required", "rt.state-op.returns", "rt.state.schema", "rt.state.id-unique"],
      "state of created, running and stopped containers")
def _(t):
    b = t.bundle(["sh", "-c", WAIT_GO])
    cid = t.create_ok(b)
    st = t.state(cid)
    check_state_schema(t, st, "created")
    t.eq(st["id"], cid, "state.id")
    t.check(isinstance(st.get("pid"), int) and st["pid"] > 0, "pid is REQUIRED when created on Linux: %r" % st)
    t.check(re.match(r"^\d+\.\d+\.\d+", st["ociVersion"]) is not None, "ociVersion is not a version: %r" % st["ociVersion"])
    t.start_ok(cid)
    st2 = t.state(cid)
    check_state_schema(t, st2, "running")
    t.eq(st2["status"], "running", "status")
    t.eq(st2.get("pid"), st["pid"], "pid when running (REQUIRED, the container process)")
    go(b)
    t.wait_exit(st["pid"])
    st3 = t.wait_status(cid, "stopped")
    check_state_schema(t, st3, "stopped")


@test("state_bundle_absolute", ["rt.state.bundle-abs"], "create with a relative --bundle; state.bundle is absolute")
def _(t):
    b = t.bundle(["true"], name="relbundle")
    b.write()
    cid = t.new_id()
    t.ids.append(cid)
    r = t.rt("create", "--bundle", "relbundle", cid, files=(b.stdout, b.stderr), cwd=t.tmp)
    t.check(r.rc == 0, "create with relative bundle failed: %r" % r)
    st = t.state(cid)
    t.check(os.path.isabs(st["bundle"]), "bundle is not absolute: %r" % st["bundle"])
    t.eq(os.path.realpath(st["bundle"]), os.path.realpath(b.dir), "bundle path")


@test("state_annotations", ["rt.state.annotations", "cfg.annotations.unknown-keys"],
      "annotations of config.json appear in state")
def _(t):
    b = t.bundle(["true"])
    ann = {"com.example.conformance": "yes", "org.example.empty": "", "com.example/slash": "a/b"}
    b.config["annotations"] = ann
    cid = t.create_ok(b)
    st = t.state(cid)
    t.eq(st.get("annotations"), ann, "state.annotations")


@test("state_no_id", ["rt.state-op.no-id"])
def _(t):
    t.fails(t.rt("state"), "state without an ID")


@test("state_unknown_id", ["rt.state-op.unknown"])
def _(t):
    t.fails(t.rt("state", "no-such-container-" + os.urandom(4).hex()), "state of a missing container")


@test("create_no_id", ["rt.create.no-args"], "create --bundle B without a container ID")
def _(t):
    b = t.bundle(["true"])
    b.write()
    r = t.rt("create", "--bundle", b.dir, files=(b.stdout, b.stderr))
    t.fails(r, "create without an ID")
    t.eq(os.listdir(t.root), [], "state root after a failed create")


@test("create_missing_bundle", ["rt.create.no-args", "rt.lifecycle.create-error"],
      "create with a bundle path that does not exist")
def _(t):
    cid = t.new_id()
    t.ids.append(cid)
    out, err = t.path("o"), t.path("e")
    r = t.rt("create", "--bundle", t.path("no-such-bundle"), cid, files=(out, err))
    t.fails(r, "create with a missing bundle")
    t.check(t.state_or_none(cid) is None, "a container exists after failed create")


@test("create_duplicate_id", ["rt.create.dup-id", "rt.state.id-unique", "rt.errors.no-change"],
      "second create with the same ID fails and leaves the first untouched")
def _(t):
    b1 = t.bundle(["sh", "-c", "echo one > /out/ran"])
    cid = t.create_ok(b1)
    st = t.state(cid)
    b2 = t.bundle(["sh", "-c", "echo two > /out/ran"])
    r = t.create(b2, cid)
    t.fails(r, "create with a duplicate ID")
    st2 = t.state(cid)
    t.eq((st2["status"], st2["pid"], os.path.realpath(st2["bundle"])),
         ("created", st["pid"], os.path.realpath(b1.dir)), "first container after duplicate create")
    t.check(proc.alive(st["pid"]), "first container's process died")
    t.start_ok(cid)
    t.check(wait_file(os.path.join(b1.out, "ran")), "first container did not run")
    t.check(not b2.out_exists("ran"), "second bundle's program ran")


@test("create_invalid_id", ["rt.create.invalid-id"], "IDs with '/' or '..' are rejected and create nothing")
def _(t):
    b = t.bundle(["true"])
    b.write()
    before = set(os.listdir(t.tmp))
    for bad in ("../escape-%s" % os.urandom(3).hex(), "a/b", ".."):
        r = t.rt("create", "--bundle", b.dir, bad, files=(b.stdout, b.stderr))
        if r.rc == 0:
            t.rt("delete", "--force", bad)
            raise Failure("create accepted the invalid ID %r" % bad)
    t.eq(set(os.listdir(t.tmp)), before, "entries next to the state root")
    t.eq(os.listdir(t.root), [], "state root after invalid IDs")


@test("create_does_not_run_program", ["rt.lifecycle.no-program-at-create", "rt.create.args-not-applied"],
      "after create the user program has not run; start runs it")
def _(t):
    b = t.bundle(["sh", "-c", "echo ran > /out/ran; " + WAIT_GO])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    time.sleep(0.3)
    t.check(not b.out_exists("ran"), "the user program ran during create")
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        cmd = f.read().split(b"\0")
    t.check(b"echo ran > /out/ran; " + WAIT_GO.encode() not in cmd,
            "the container process already executes process.args: %r" % cmd)
    t.start_ok(cid)
    t.check(wait_file(os.path.join(b.out, "ran")), "the user program did not run after start")


@test("config_update_after_create", ["rt.lifecycle.config-updates"],
      "changing config.json between create and start has no effect")
def _(t):
    b = t.bundle(["sh", "-c", "echo original > /out/which"])
    cid = t.create_ok(b)
    b.config["process"]["args"] = ["sh", "-c", "echo changed > /out/which"]
    b.config["hostname"] = "changed"
    b.write()
    t.start_ok(cid)
    t.check(wait_file(os.path.join(b.out, "which")), "program did not run")
    time.sleep(0.05)
    t.eq(b.out_file("which").strip(), "original", "program that ran")


@test("create_applies_config", ["rt.create.apply-all", "rt.lifecycle.create-env"],
      "namespaces, mounts, hostname and cgroup are in place right after create")
def _(t):
    b = t.bundle(["true"])
    b.config["hostname"] = "applied-at-create"
    if not t.rootless:
        # Rootless on cgroup v1 runc fails an explicit cgroupsPath while swiftlet warns; with
        # none both leave the container in the caller's cgroup, which is checked below.
        b.linux["cgroupsPath"] = "cf-apply-" + os.urandom(3).hex()
    b.add_mount("/marker", "tmpfs", "tmpfs", ["size=1m"])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    # The template's namespaces (the rootless one has user and no network namespace).
    listed = {n["type"] for n in b.namespaces()}
    for typ, ns in (("pid", "pid"), ("network", "net"), ("ipc", "ipc"), ("uts", "uts"), ("mount", "mnt"),
                    ("user", "user")):
        if typ in listed:
            t.check(proc.ns_inode(pid, ns) != proc.ns_inode("self", ns), "no new %s namespace after create" % ns)
    host = proc.sh("nsenter -t %d -u hostname" % pid).strip()
    t.eq(host, "applied-at-create", "hostname in the container's UTS namespace")
    mps = [m["mountpoint"] for m in proc.mountinfo(pid)]
    t.check(any(mp.endswith("/marker") for mp in mps), "the tmpfs at /marker is not mounted: %r" % mps)
    cg = proc.cgroup_paths(pid)
    if t.rootless:
        # v1 hierarchies are root's: like runc, a rootless runtime warns and leaves the
        # container in its caller's cgroup rather than failing.
        t.eq(cg, proc.cgroup_paths("self"), "cgroups of a rootless container (the caller's)")
        t.note("rootless: no cgroupsPath (no delegated v1 hierarchy); checked the container stays in the caller's cgroups")
        return
    t.check(cg.get("memory", "").endswith("/" + b.linux["cgroupsPath"]),
            "process not in cgroup %s: %r" % (b.linux["cgroupsPath"], cg))


def cgroup_leftovers(name):
    """Directories called `name` under the caller's memory cgroup or the root."""
    mine = proc.cgroup_paths("self").get("memory", "/")
    found = []
    for base in (proc.cgroup_dir("memory", mine), proc.cgroup_dir("memory", "/")):
        if os.path.isdir(os.path.join(base, name)):
            found.append(os.path.join(base, name))
    return found


@test("create_error_leaves_nothing", ["rt.create.cannot-apply", "rt.lifecycle.create-error", "rt.errors.no-change"],
      "a bind mount of a missing source: create fails, no container, process or cgroup is left")
def _(t):
    b = t.bundle(["true"])
    cg = "cf-err-" + os.urandom(3).hex()
    b.linux["cgroupsPath"] = cg
    b.add_mount("/missing", "bind", t.path("does-not-exist"), ["rbind"])
    r = t.create(b)
    t.fails(r, "create with an impossible mount")
    t.check(t.state_or_none(r.id) is None, "a container is left after the failed create")
    t.eq(cgroup_leftovers(cg), [], "cgroups left after the failed create")
    t.eq([e for e in os.listdir(t.root) if e == r.id], [], "state left in --root")


@test("start_no_id", ["rt.start.no-id"])
def _(t):
    t.fails(t.rt("start"), "start without an ID")


@test("start_not_created", ["rt.start.not-created"], "start of a running and of a stopped container")
def _(t):
    b = t.bundle(["sh", "-c", "echo x >> /out/runs; " + WAIT_GO])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.check(wait_file(os.path.join(b.out, "runs")), "program did not run")
    t.fails(t.start(cid), "start of a running container")
    st = t.state(cid)
    t.eq((st["status"], st["pid"]), ("running", pid), "container after the second start")
    go(b)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    t.fails(t.start(cid), "start of a stopped container")
    t.eq(t.state(cid)["status"], "stopped", "status after start of a stopped container")
    t.eq(b.out_file("runs"), "x\n", "runs of the program")


@test("start_without_process", ["rt.start.no-process"], "config without process: create may succeed, start must fail")
def _(t):
    b = t.bundle()
    del b.config["process"]
    r = t.create(b)
    if r.rc != 0:
        t.note("runtime refused the config at create (allowed: it cannot be started either)")
        return
    t.fails(t.start(r.id), "start of a container without process")


@test("kill_no_id", ["rt.kill.no-id"])
def _(t):
    t.fails(t.rt("kill"), "kill without an ID")


@test("kill_sends_signal", ["rt.kill.sends"], "SIGUSR1 reaches the container process, SIGKILL stops it")
def _(t):
    b = t.bundle(["sh", "-c", "trap 'echo usr1 > /out/sig' USR1; echo ready > /out/ready; "
                              "while true; do sleep 0.05; done"])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.check(wait_file(os.path.join(b.out, "ready")), "program did not start")
    r = t.kill(cid, "SIGUSR1")
    t.check(r.rc == 0, "kill SIGUSR1 failed: %r" % r)
    t.check(wait_file(os.path.join(b.out, "sig")), "the trap for SIGUSR1 did not run")
    t.eq(t.state(cid)["status"], "running", "status after SIGUSR1")
    r = t.kill(cid, "9")
    t.check(r.rc == 0, "kill 9 failed: %r" % r)
    status = t.wait_exit(pid)
    if status is not None:
        t.eq(proc.exit_code(status), 128 + 9, "exit of the container process")
    t.wait_status(cid, "stopped")


@test("kill_created", ["rt.kill.sends"], "a created container can be signalled: SIGKILL stops it")
def _(t):
    b = t.bundle(["sh", "-c", "echo ran > /out/ran"])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    r = t.kill(cid, "KILL")
    t.check(r.rc == 0, "kill of a created container failed: %r" % r)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    t.check(not b.out_exists("ran"), "the user program ran")


@test("kill_stopped", ["rt.kill.not-running"], "kill of a stopped container fails and changes nothing")
def _(t):
    b = t.bundle(["true"])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    t.fails(t.kill(cid, "KILL"), "kill of a stopped container")
    t.eq(t.state(cid)["status"], "stopped", "status after kill")
    r = t.delete(cid)
    t.check(r.rc == 0, "delete after the failed kill: %r" % r)


@test("delete_no_id", ["rt.delete.no-id"])
def _(t):
    t.fails(t.rt("delete"), "delete without an ID")


@test("delete_running", ["rt.delete.not-stopped"], "delete of a running container fails and changes nothing")
def _(t):
    b = t.bundle(["sh", "-c", "echo up > /out/up; " + WAIT_GO])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.check(wait_file(os.path.join(b.out, "up")), "program did not start")
    t.fails(t.delete(cid), "delete of a running container")
    st = t.state(cid)
    t.eq((st["status"], st["pid"]), ("running", pid), "container after the failed delete")
    t.check(proc.alive(pid), "process died")


@test("delete_created", ["rt.delete.not-stopped"], "delete of a created container fails and changes nothing",
      runc="runc (1.1.5 and current 1.5 alike) deletes a container in the created state without --force "
           "(it kills the init process), while runtime.md says: Attempting to delete a container that is not "
           "stopped MUST have no effect on the container and MUST generate an error.")
def _(t):
    b = t.bundle(["true"])
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    r = t.delete(cid)
    st = t.state_or_none(cid)
    t.check(st is not None and st["status"] == "created" and proc.alive(pid),
            "created container is gone or changed after delete (rc %s): %r" % (r.rc, st))
    t.fails(r, "delete of a created container")


@test("delete_removes_resources", ["rt.delete.resources", "rt.lifecycle.destroy"],
      "after delete: no state, no process, no cgroup")
def _(t):
    b = t.bundle(["true"])
    cg = "cf-del-" + os.urandom(3).hex()
    if not t.rootless:  # see create_applies_config
        b.linux["cgroupsPath"] = cg
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    dirs = [proc.cgroup_dir(c, p) for c, p in proc.cgroup_paths(pid).items()
            if c in ("memory", "pids", "cpu", "devices", "freezer", "blkio", "cpuset") and p.endswith(cg)]
    if t.rootless:
        # No cgroup is created without a delegated hierarchy: state and processes are
        # what this create made.
        t.eq(dirs, [], "cgroups of a rootless container")
        t.note("rootless: no cgroupsPath and no cgroup (none delegated); checked state and process removal")
    else:
        t.check(dirs, "no cgroup of the container found: %r" % proc.cgroup_paths(pid))
    t.start_ok(cid)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    r = t.delete(cid)
    t.check(r.rc == 0, "delete failed: %r" % r)
    t.check(t.state_or_none(cid) is None, "state still answers")
    t.check(not proc.alive(pid), "process still alive")
    left = [d for d in dirs if os.path.isdir(d)]
    t.eq(left, [], "cgroup directories left after delete")
    t.check(cid not in os.listdir(t.root), "state directory left in --root: %r" % os.listdir(t.root))


@test("delete_keeps_foreign_resources", ["rt.delete.foreign-resources"],
      "a bind-mount source and a joined network namespace survive delete",
      runc_rootless=RUNC_USERNS_PATH)
def _(t):
    src = t.path("volume")
    os.mkdir(src)
    with open(os.path.join(src, "keep"), "w") as f:
        f.write("data")
    holder = proc.Holder(t, ["--net"])
    netns = proc.ns_inode(holder.pid, "net")
    b = t.bundle(["sh", "-c", "cat /vol/keep > /out/seen"])
    b.add_mount("/vol", "bind", src, ["rbind", "rw"])
    b.set_namespace("network", "/proc/%d/ns/net" % holder.pid)
    b.join_userns(holder)
    b.config["root"]["readonly"] = False
    status, _ = t.run(b)
    t.eq(b.out_file("seen"), "data", "volume content seen inside")
    t.check(os.path.exists(os.path.join(src, "keep")), "bind-mount source content was deleted")
    t.check(proc.alive(holder.pid), "the namespace holder process was killed")
    t.eq(proc.ns_inode(holder.pid, "net"), netns, "holder's network namespace")


# ---------------- hooks in the lifecycle ----------------

def all_hooks(t, b, log, fail=None):
    """Adds one recording hook per phase; the phase named by `fail` exits 1.
    startContainer must resolve in the container: its script lives in the
    rootfs and logs to /out."""
    for phase in ("prestart", "createRuntime", "createContainer", "poststart", "poststop"):
        b.add_hook(phase, log.script(phase, rc=1 if phase == fail else 0))
    log.script("startContainer", rc=1 if fail == "startContainer" else 0, log_dir="/out",
               path=os.path.join(b.rootfs, "hooks", "startContainer.sh"))
    b.add_hook("startContainer", "/hooks/startContainer.sh")


@test("hooks_invoked", ["rt.lifecycle.prestart", "rt.lifecycle.createRuntime", "rt.lifecycle.createContainer",
                        "rt.lifecycle.startContainer", "rt.lifecycle.poststart", "rt.lifecycle.poststop"],
      "every hook phase runs once: prestart, createRuntime, createContainer by create, startContainer and "
      "poststart by start at the latest, poststop by delete")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    all_hooks(t, b, log)
    cid = t.create_ok(b)
    create = [h for h in log.order() if h != "poststart"]  # when poststart runs is hooks_poststart_when's business
    t.eq(create, ["prestart", "createRuntime", "createContainer"], "hooks run by create")
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.eq(log.order(b.out), ["startContainer"], "startContainer hooks run by start")
    t.eq(log.order().count("poststart"), 1, "poststart hooks run by the end of start")
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    r = t.delete(cid)
    t.check(r.rc == 0, "delete failed: %r" % r)
    t.eq(log.order()[-1:], ["poststop"], "hooks run by delete")
    t.eq(len(log.order()), 5, "host-side hook runs in all: %r" % log.order())


def check_failed_and_destroyed(t, r, b, log, what):
    t.fails(r, what)
    st = t.state_or_none(r.id)
    t.check(st is None or st.get("status") == "stopped",
            "%s: container not stopped/destroyed: %r" % (what, st))
    t.check(not b.out_exists("ran"), "%s: the user program ran" % what)
    t.check(log.ran("poststop"), "%s: poststop hooks did not run (lifecycle step 12-13); ran: %r" % (what, log.order()))


def hook_fail_at_create(t, phase):
    b = t.bundle(["sh", "-c", "echo ran > /out/ran"])
    log = HookLog(t)
    all_hooks(t, b, log, fail=phase)
    r = t.create(b)
    pids = []
    for name in ("prestart", "createRuntime"):
        try:
            pids.append(log.state(name).get("pid"))
        except (OSError, AssertionError, AttributeError):
            pass
    check_failed_and_destroyed(t, r, b, log, "create with a failing %s hook" % phase)
    for pid in pids:
        if isinstance(pid, int) and pid > 0:
            proc.wait_pid(pid, 2)
            t.check(not proc.alive(pid), "container process %d still alive after failing %s hook" % (pid, phase))


@test("hook_prestart_fails", ["rt.lifecycle.prestart-fail", "rt.errors.no-change"],
      "failing prestart: create errors, container stopped and destroyed, poststop runs")
def _(t):
    hook_fail_at_create(t, "prestart")


@test("hook_createRuntime_fails", ["rt.lifecycle.createRuntime-fail"],
      "failing createRuntime: create errors, container destroyed, poststop runs")
def _(t):
    hook_fail_at_create(t, "createRuntime")


@test("hook_createContainer_fails", ["rt.lifecycle.createContainer-fail"],
      "failing createContainer: create errors, container destroyed, poststop runs")
def _(t):
    hook_fail_at_create(t, "createContainer")


@test("hook_startContainer_fails", ["rt.lifecycle.startContainer-fail"],
      "failing startContainer: start errors, program not run, container stopped, poststop runs",
      runc="runc (1.1.5 and 1.5) runs startContainer hooks in the container's init after `start` has released "
           "it and returned 0, so a failing hook is not reported as an error of start (runtime.md step 7: the "
           "runtime MUST generate an error); the init just exits without running the program.")
def _(t):
    b = t.bundle(["sh", "-c", "echo ran > /out/ran"])
    log = HookLog(t)
    all_hooks(t, b, log, fail="startContainer")
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    r = t.start(cid)
    r.id = cid
    proc.wait_pid(pid, 3)
    t.check(not proc.alive(pid), "container process alive after failing startContainer hook")
    st = t.state_or_none(cid)
    if st is not None and st["status"] == "stopped":
        t.delete(cid)  # a runtime may leave the stopped container for delete
    check_failed_and_destroyed(t, r, b, log, "start with a failing startContainer hook")


@test("hook_poststart_fails", ["rt.lifecycle.poststart-fail"],
      "failing poststart: start errors, container stopped, poststop runs",
      runc=RUNC_POSTSTART + " So the failing hook makes create fail instead of start.")
def _(t):
    b = t.bundle(["sh", "-c", WAIT_GO])
    log = HookLog(t)
    all_hooks(t, b, log, fail="poststart")
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    r = t.start(cid)
    t.fails(r, "start with a failing poststart hook")
    proc.wait_pid(pid, 3)
    t.check(not proc.alive(pid), "container process alive after failing poststart hook")
    st = t.state_or_none(cid)
    t.check(st is None or st["status"] == "stopped", "container not stopped: %r" % st)
    if st is not None:
        t.delete(cid)
    t.check(log.ran("poststop"), "poststop hooks did not run; ran: %r" % log.order())


@test("hook_poststop_fails", ["rt.lifecycle.poststop-fail", "rt.warnings.continue"],
      "a failing poststop hook: later poststop hooks run, delete succeeds",
      runc="runc (1.1.5 and 1.5) stops at the first failing poststop hook (libcontainer Hooks.Run returns on the "
           "first error), so later poststop hooks do not run; runtime.md step 13: 'the remaining hooks and "
           "lifecycle continue as if the hook had succeeded'. delete itself does succeed.")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    b.add_hook("poststop", log.script("poststop1", rc=1))
    b.add_hook("poststop", log.script("poststop2"))
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    r = t.delete(cid)
    t.check(r.rc == 0, "delete failed because of a poststop hook: %r" % r)
    t.eq(log.order(), ["poststop1", "poststop2"], "poststop hooks run")
    t.check(t.state_or_none(cid) is None, "container still exists after delete")
