"""config.md POSIX-platform hooks: order, state on stdin, namespaces, when
each phase runs, args/env, timeout, path validity."""
import os
import time

from lib import proc
from lib.framework import test
from lib.hooks import HookLog, ns_of
from tests_runtime import RUNC_POSTSTART, all_hooks, wait_file

HOST_NS = ("mnt", "pid", "uts", "ipc", "net")


def lifecycle(t, b):
    """create, start, wait, delete; returns the container pid."""
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    r = t.delete(cid)
    t.check(r.rc == 0, "delete failed: %r" % r)
    t.ids.remove(cid)
    return cid, pid


@test("hooks_order_in_phase", ["cfg.hooks.order", "cfg.hooks.prestart-when", "cfg.hooks.createContainer-when"],
      "two hooks per phase run in the listed order; prestart < createRuntime < createContainer")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    for phase in ("prestart", "createRuntime", "createContainer", "poststart", "poststop"):
        for n in ("2", "1"):  # listed 2 then 1: names must not sort into the right order by chance
            b.add_hook(phase, log.script(phase + n))
    lifecycle(t, b)
    order = log.order()
    for phase in ("prestart", "createRuntime", "createContainer", "poststart", "poststop"):
        got = [h for h in order if h.startswith(phase)]
        t.eq(got, [phase + "2", phase + "1"], "order of the %s hooks" % phase)
    create = [h[:-1] for h in order if h[:-1] in ("prestart", "createRuntime", "createContainer")]
    t.eq(create, ["prestart"] * 2 + ["createRuntime"] * 2 + ["createContainer"] * 2, "order of the create phases")


@test("hooks_state_on_stdin", ["cfg.hooks.state-stdin", "cfg.hooks.state-pid"],
      "each hook reads the state: id, bundle, pid (host pid in runtime-namespace hooks, container pid in container ones)")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    all_hooks(t, b, log)
    cid, pid = lifecycle(t, b)
    for phase in ("prestart", "createRuntime", "createContainer", "poststart", "poststop"):
        st = log.state(phase)
        t.eq(st.get("id"), cid, "%s state.id" % phase)
        t.eq(os.path.realpath(st.get("bundle", "")), os.path.realpath(b.dir), "%s state.bundle" % phase)
        t.check(isinstance(st.get("ociVersion"), str) and st.get("status") in ("creating", "created", "running", "stopped"),
                "%s state lacks ociVersion/status: %r" % (phase, st))
    for phase in ("prestart", "createRuntime", "poststart"):
        t.eq(log.state(phase).get("pid"), pid, "%s state.pid (pid as seen by the runtime)" % phase)
    t.eq(log.state("createContainer").get("pid"), 1, "createContainer state.pid (as seen in the container's pid namespace)")
    t.eq(log.state("startContainer", b.out).get("pid"), 1, "startContainer state.pid (as seen in the container)")
    t.eq(log.state("poststop").get("status"), "stopped", "poststop state.status")


@test("hooks_namespaces", ["cfg.hooks.prestart-ns", "cfg.hooks.createRuntime-ns", "cfg.hooks.createContainer-ns",
                           "cfg.hooks.startContainer-ns", "cfg.hooks.poststart-ns", "cfg.hooks.poststop-ns"],
      "runtime-namespace hooks share the caller's namespaces, container ones the container's; "
      "createContainer's script exists only on the host, startContainer's only in the rootfs")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    all_hooks(t, b, log)
    cc = b.config["hooks"]["createContainer"][0]["path"]
    t.check(not os.path.exists(os.path.join(b.rootfs, cc.lstrip("/"))), "host hook path also exists in the rootfs")
    t.check(not os.path.exists("/hooks/startContainer.sh"), "startContainer path exists on the host")
    host = ns_of("self")
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    cont = ns_of(pid)
    t.start_ok(cid)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    t.check(t.delete(cid).rc == 0, "delete failed")
    for phase in ("prestart", "createRuntime", "poststart", "poststop"):
        ns = log.ns(phase)
        for n in HOST_NS:
            t.eq(ns[n], host[n], "%s hook's %s namespace (runtime namespace)" % (phase, n))
    for phase, d in (("createContainer", None), ("startContainer", b.out)):
        ns = log.ns(phase, d)
        for n in HOST_NS:
            t.eq(ns[n], cont[n], "%s hook's %s namespace (container namespace)" % (phase, n))


@test("hooks_before_pivot_root", ["cfg.hooks.prestart-when", "cfg.hooks.createRuntime-when", "cfg.hooks.createContainer-when"],
      "prestart/createRuntime/createContainer see the container's mounts done under <rootfs> (mounted, not yet pivoted)")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    rootfs = os.path.realpath(b.rootfs)
    probe = ('pid=$(sed -n \'s/.*"pid": *\\([0-9]*\\).*/\\1/p\' "%s/$NAME.stdin"); [ -n "$pid" ] || pid=self; '
             'cat /proc/$pid/mountinfo > "%s/$NAME.mountinfo"' % (log.dir, log.dir))
    for phase in ("prestart", "createRuntime"):
        b.add_hook(phase, log.script(phase, body=probe.replace("$NAME", phase)))
    b.add_hook("createContainer", log.script("createContainer",
               body="cat /proc/self/mountinfo > '%s/createContainer.mountinfo'" % log.dir))
    lifecycle(t, b)
    for phase in ("prestart", "createRuntime", "createContainer"):
        text = log.file(phase + ".mountinfo")
        t.check(text, "%s hook recorded no mountinfo" % phase)
        mps = [m["mountpoint"] for m in proc.parse_mountinfo(text)]
        t.check(rootfs + "/proc" in mps and rootfs + "/dev" in mps,
                "%s: container mounts are not in place under %s before pivot_root: %r" % (phase, rootfs, mps[-12:]))


@test("hooks_startContainer_when", ["cfg.hooks.startContainer-when"],
      "startContainer runs during start (not create), before the user program")
def _(t):
    b = t.bundle(["sh", "-c", "echo ran > /out/ran"])
    log = HookLog(t)
    log.script("startContainer", log_dir="/out", body="[ -e /out/ran ] && echo late > /out/verdict || echo early > /out/verdict",
               path=os.path.join(b.rootfs, "hooks", "sc.sh"))
    b.add_hook("startContainer", "/hooks/sc.sh")
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    time.sleep(0.2)
    t.eq(log.order(b.out), [], "hooks run in the container by create")
    t.start_ok(cid)
    t.wait_exit(pid)
    t.eq(log.order(b.out), ["startContainer"], "hooks run in the container by start")
    t.eq((b.out_file("verdict") or "").strip(), "early", "startContainer relative to the user program")


@test("hooks_poststart_when", ["cfg.hooks.poststart-when"],
      "poststart runs after the user program is executing, and before start returns", runc=RUNC_POSTSTART)
def _(t):
    b = t.bundle(["sh", "-c", "echo running > /out/running; while [ ! -e /out/go ]; do sleep 0.05; done"])
    log = HookLog(t)
    body = ('pid=$(sed -n \'s/.*"pid": *\\([0-9]*\\).*/\\1/p\' "%s/poststart.stdin"); '
            'tr "\\0" " " < /proc/$pid/cmdline > "%s/cmdline"; sleep 0.3; echo done > "%s/finished"'
            % (log.dir, log.dir, log.dir))
    b.add_hook("poststart", log.script("poststart", body=body))
    cid = t.create_ok(b)
    t.eq(log.order(), [], "hooks run by create")
    t.start_ok(cid)
    t.check(log.file("finished"), "start returned before the poststart hook finished")
    t.check("/out/running" in (log.file("cmdline") or ""),
            "the container process was not executing the user program when poststart ran: %r" % log.file("cmdline"))
    open(os.path.join(b.out, "go"), "w").close()


@test("hooks_poststop_when", ["cfg.hooks.poststop-when"],
      "poststop runs after the container process is gone, and before delete returns")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    body = ('pid=$(sed -n \'s/.*"pid": *\\([0-9]*\\).*/\\1/p\' "%s/poststop.stdin"); '
            'if [ -n "$pid" ] && [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null && ! grep -q "^State:.*Z" /proc/$pid/status; '
            'then echo alive; else echo gone; fi > "%s/verdict"; sleep 0.3; echo done > "%s/finished"'
            % (log.dir, log.dir, log.dir))
    b.add_hook("poststop", log.script("poststop", body=body))
    cid = t.create_ok(b)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    t.eq(log.order(), [], "hooks run before delete")
    r = t.delete(cid)
    t.check(r.rc == 0, "delete failed: %r" % r)
    t.check(log.file("finished"), "delete returned before the poststop hook finished")
    t.eq((log.file("verdict") or "").strip(), "gone", "container process when poststop ran")


@test("hooks_args_env", ["cfg.hooks.args-env"], "a hook gets its args and exactly its env, not the caller's")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    b.add_hook("prestart", log.script("prestart"), args=["prestart-hook", "one", "two words"],
               env=["HOOK_ENV=set", "PATH=/usr/bin:/bin"])
    cid = t.create_ok(b, env=dict(os.environ, LEAK_FROM_CALLER="1"))
    t.eq(log.file("prestart.args").split("\n")[:2], ["one", "two words"], "hook arguments after argv[0]")
    env = log.file("prestart.env")
    t.check("HOOK_ENV=set" in env.split("\n"), "hook env lacks HOOK_ENV=set: %r" % env)
    t.check("LEAK_FROM_CALLER" not in env, "the caller's environment leaked into the hook: %r" % env)


@test("hooks_timeout", ["cfg.hooks.timeout", "rt.lifecycle.prestart-fail"],
      "a prestart hook sleeping past its timeout of 1s is aborted and create fails")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    b.add_hook("prestart", log.script("prestart", body="exec sleep 30"), timeout=1)
    t0 = time.monotonic()
    r = t.create(b, timeout=40)
    took = time.monotonic() - t0
    t.fails(r, "create with a timed-out hook")
    t.check(took < 15, "the hook was not aborted after its timeout (create took %.1fs)" % took)


@test("hooks_timeout_zero", ["cfg.hooks.timeout", "cfg.valid-values"], "timeout: 0 is rejected")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    b.add_hook("prestart", log.script("prestart"), timeout=0)
    r = t.create(b)
    t.fails(r, "create with a hook timeout of 0")


@test("hooks_path_relative", ["cfg.hooks.path-abs", "cfg.valid-values"], "a relative hook path is rejected")
def _(t):
    b = t.bundle(["true"])
    log = HookLog(t)
    p = log.script("prestart")
    b.add_hook("prestart", os.path.relpath(p, t.tmp))
    b.write()
    cid = t.new_id()
    t.ids.append(cid)
    r = t.rt("create", "--bundle", b.dir, cid, files=(b.stdout, b.stderr), cwd=t.tmp)
    t.fails(r, "create with a relative hook path")
    t.check(not log.ran("prestart"), "the relative hook ran")
