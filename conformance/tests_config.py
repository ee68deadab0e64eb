"""config.md: version, root, mounts, process, user, hostname, annotations,
extensibility and valid values. Hooks are in tests_hooks.py."""

import os
import subprocess

from lib import proc
from lib.framework import test
from lib.sockets import ConsoleSocket


def mounts_in(t, b, script_extra=""):
    """Runs the container and returns its parsed /proc/self/mountinfo."""
    _, _, out = t.run_script("cat /proc/self/mountinfo" + script_extra, bundle=b)
    return proc.parse_mountinfo(out)


def must_fail_create(t, b, what):
    r = t.create(b)
    t.fails(r, what)
    t.check(t.state_or_none(r.id) is None, "%s: a container was left behind" % what)


@test("oci_version_not_semver", ["cfg.ociVersion.semver", "cfg.valid-values"], "ociVersion 'not-a-version' is rejected",
      runc="runc (1.1.5 and 1.5) never checks config.json's ociVersion, so a non-SemVer value is accepted; "
           "config.md: ociVersion MUST be in SemVer v2.0.0 format, and runtimes MUST generate an error when "
           "invalid values are encountered.")
def _(t):
    b = t.bundle(["true"])
    b.config["ociVersion"] = "not-a-version"
    must_fail_create(t, b, "create with a non-SemVer ociVersion")


@test("root_path_missing", ["cfg.root.path", "rt.lifecycle.create-error"], "root.path naming no directory fails")
def _(t):
    b = t.bundle(["true"])
    b.config["root"]["path"] = "no-such-rootfs"
    must_fail_create(t, b, "create with a missing root.path")


@test("root_path_absolute", ["cfg.root.path"], "an absolute root.path is used as the root")
def _(t):
    b = t.bundle()
    b.write_rootfs_file("/marker", "absolute\n")
    b.config["root"]["path"] = b.rootfs
    _, _, out = t.run_script("cat /marker", bundle=b)
    t.eq(out, "absolute\n", "content of /marker")


@test("root_readonly", ["cfg.root.readonly"], "readonly: true makes / read-only; false leaves it writable")
def _(t):
    b = t.bundle()
    b.config["root"]["readonly"] = True
    _, _, out = t.run_script("touch /probe 2>/dev/null && echo writable || echo readonly; "
                             "awk '$5 == \"/\" {print $6}' /proc/self/mountinfo | tail -1", bundle=b)
    lines = out.split()
    t.eq(lines[0], "readonly", "write to / with readonly: true")
    t.check("ro" in lines[1].split(","), "/ is not mounted ro: %r" % lines[1])
    b2 = t.bundle()
    b2.config["root"]["readonly"] = False
    _, _, out = t.run_script("touch /probe && echo writable", bundle=b2)
    t.eq(out.strip(), "writable", "write to / with readonly: false")


@test("mounts_order", ["cfg.mounts.order"], "tmpfs /a then a bind at /a/b; two tmpfs at /c: the later is on top")
def _(t):
    src = t.path("src")
    os.mkdir(src)
    with open(os.path.join(src, "m"), "w") as f:
        f.write("bound")
    b = t.bundle()
    b.add_mount("/a", "tmpfs", "tmpfs", ["size=1m"])
    b.add_mount("/a/b", "bind", src, ["rbind"])
    b.add_mount("/c", "tmpfs", "tmpfs", ["size=1m"])
    b.add_mount("/c", "tmpfs", "tmpfs", ["size=2m"])
    _, _, out = t.run_script("cat /a/b/m; echo; cat /proc/self/mountinfo", bundle=b)
    first, _, rest = out.partition("\n")
    t.eq(first, "bound", "file in the bind mount under the tmpfs")
    ms = proc.parse_mountinfo(rest)
    mps = [m["mountpoint"] for m in ms]
    t.check("/a" in mps and "/a/b" in mps and mps.index("/a") < mps.index("/a/b"),
            "mount table order: %r" % mps)
    top = proc.find_mount(ms, "/c")
    t.check("size=2048k" in top["super"], "top mount at /c is not the second entry: %r" % top)


@test("mounts_relative_destination", ["cfg.mounts.relative-dest"], "destination 'rel/dir' is mounted at /rel/dir")
def _(t):
    b = t.bundle()
    b.add_mount("rel/dir", "tmpfs", "tmpfs", ["size=1m"])
    ms = mounts_in(t, b)
    t.check(proc.find_mount(ms, "/rel/dir") is not None, "no mount at /rel/dir: %r" % [m["mountpoint"] for m in ms])


def tmpfs_opts(t, opts_list):
    """Mounts one tmpfs per option list at /m0, /m1, ...; returns their mountinfo entries."""
    b = t.bundle()
    for i, opts in enumerate(opts_list):
        b.add_mount("/m%d" % i, "tmpfs", "tmpfs", opts)
    ms = mounts_in(t, b)
    out = []
    for i in range(len(opts_list)):
        m = proc.find_mount(ms, "/m%d" % i)
        t.check(m is not None, "tmpfs with options %r is not mounted" % opts_list[i])
        out.append(m)
    return out


@test("mount_options_flags", ["cfg.mounts.options-must"], "ro nosuid nodev noexec noatime / rw suid dev exec")
def _(t):
    a, c = tmpfs_opts(t, [["ro", "nosuid", "nodev", "noexec", "noatime"],
                          ["nosuid", "nodev", "noexec", "ro", "rw", "suid", "dev", "exec"]])
    for f in ("ro", "nosuid", "nodev", "noexec", "noatime"):
        t.check(f in a["opts"], "option %s missing: %r" % (f, a["opts"]))
    t.check("rw" in c["opts"], "rw after ro did not win: %r" % c["opts"])
    for f in ("nosuid", "nodev", "noexec"):
        t.check(f not in c["opts"], "%s was not cleared by its opposite: %r" % (f, c["opts"]))


@test("mount_options_atime", ["cfg.mounts.options-must"],
      "strictatime, relatime, nodiratime, and atime/diratime/norelatime/nostrictatime clearing them")
def _(t):
    ms = tmpfs_opts(t, [["strictatime"], ["relatime"], ["nodiratime"], ["noatime", "atime"],
                        ["nodiratime", "diratime"], ["strictatime", "nostrictatime"], ["relatime", "norelatime"]])
    t.check(not ({"relatime", "noatime"} & ms[0]["opts"]), "strictatime: %r" % ms[0]["opts"])
    t.check("relatime" in ms[1]["opts"], "relatime: %r" % ms[1]["opts"])
    t.check("nodiratime" in ms[2]["opts"], "nodiratime: %r" % ms[2]["opts"])
    t.check("noatime" not in ms[3]["opts"], "atime did not clear noatime: %r" % ms[3]["opts"])
    t.check("nodiratime" not in ms[4]["opts"], "diratime did not clear nodiratime: %r" % ms[4]["opts"])
    # without strictatime the kernel's default is relatime
    t.check("relatime" in ms[5]["opts"], "nostrictatime did not clear strictatime: %r" % ms[5]["opts"])
    t.check(not ({"noatime"} & ms[6]["opts"]), "norelatime: %r" % ms[6]["opts"])


@test("mount_options_sync", ["cfg.mounts.options-must"],
      "sync, dirsync, lazytime show in the superblock options; async/nolazytime clear them")
def _(t):
    ms = tmpfs_opts(t, [["sync", "dirsync", "lazytime"], ["sync", "async", "lazytime", "nolazytime"]])
    for f in ("sync", "dirsync", "lazytime"):
        t.check(f in ms[0]["super"] or f in ms[0]["opts"], "option %s not applied: %r" % (f, ms[0]))
    t.check("sync" not in ms[1]["super"] and "lazytime" not in ms[1]["super"],
            "async/nolazytime did not clear sync/lazytime: %r" % ms[1]["super"])


@test("mount_options_misc", ["cfg.mounts.options-must"], "loud, silent, iversion, noiversion are accepted")
def _(t):
    tmpfs_opts(t, [["loud"], ["silent"], ["iversion"], ["noiversion"]])


@test("mount_option_defaults", ["cfg.mounts.options-must"], "defaults is accepted and leaves the mount rw",
      runc="runc (1.1.5 and 1.5) maps 'defaults' to no flag and so treats it as unknown: it is passed to mount(2) as "
           "filesystem data and tmpfs fails with EINVAL; config.md lists defaults as a MUST option (mount(8)).")
def _(t):
    (m,) = tmpfs_opts(t, [["defaults"]])
    t.check("rw" in m["opts"] and "nosuid" not in m["opts"], "defaults: %r" % m["opts"])


@test("mount_option_remount", ["cfg.mounts.options-must"], "a second entry with remount,ro makes the tmpfs at /r read-only")
def _(t):
    b = t.bundle()
    b.add_mount("/r", "tmpfs", "tmpfs", ["size=1m"])
    b.add_mount("/r", "tmpfs", "tmpfs", ["remount", "ro"])
    ms = mounts_in(t, b)
    rs = [m for m in ms if m["mountpoint"] == "/r"]
    t.check(rs, "no mount at /r")
    t.check("ro" in rs[-1]["opts"], "/r is not read-only after remount: %r" % rs[-1]["opts"])
    t.eq(len(rs), 1, "mounts at /r (remount must not stack a new mount)")


def host_tree(t):
    """A host directory with a file and a tmpfs submount holding a file."""
    src = t.path("tree")
    os.makedirs(os.path.join(src, "sub"))
    with open(os.path.join(src, "top"), "w") as f:
        f.write("top")
    proc.mount("tmpfs", os.path.join(src, "sub"), "tmpfs", data="size=1m")
    t.add_mount(os.path.join(src, "sub"))
    with open(os.path.join(src, "sub", "inner"), "w") as f:
        f.write("inner")
    return src


@test("mount_bind_rbind", ["cfg.mounts.options-bind"], "bind shows the top only; rbind shows submounts too",
      needs_root="the plain bind is of a host directory with a submount made by root; in a user namespace that "
                 "submount is locked and the kernel refuses a non-recursive bind that would uncover it (EINVAL)")
def _(t):
    src = host_tree(t)
    b = t.bundle()
    b.add_mount("/bind", "bind", src, ["bind"])
    b.add_mount("/rbind", "bind", src, ["rbind"])
    _, _, out = t.run_script("cat /bind/top; echo; cat /bind/sub/inner 2>/dev/null; echo; cat /rbind/sub/inner", bundle=b)
    t.eq(out.split("\n"), ["top", "", "inner"], "files seen through bind / bind / rbind")


@test("mount_propagation", ["cfg.mounts.options-propagation"],
      "bind mounts of a shared host mount with rshared/rslave/rprivate/runbindable and the non-recursive forms")
def _(t):
    src = t.path("shared")
    os.mkdir(src)
    proc.mount(src, src, flags=["--bind"])
    t.add_mount(src)
    proc.sh("mount --make-shared %s" % src)
    opts = ["rshared", "rslave", "rprivate", "runbindable", "shared", "slave", "private", "unbindable"]
    b = t.bundle()
    for o in opts:
        b.add_mount("/p-" + o, "bind", src, ["rbind" if o.startswith("r") else "bind", o])
    ms = mounts_in(t, b)
    for o in opts:
        m = proc.find_mount(ms, "/p-" + o)
        t.check(m is not None, "no mount for %s" % o)
        fields = " ".join(m["optional"])
        want = {"shared": "shared:", "slave": "master:", "private": None, "unbindable": "unbindable"}[o.lstrip("r") if o != "rprivate" else "private"]
        if want:
            t.check(want in fields, "%s: optional fields %r lack %r" % (o, fields, want))
        else:
            t.check("shared:" not in fields and "master:" not in fields, "%s: not private: %r" % (o, fields))


@test("mount_options_recursive", ["cfg.mounts.options-recursive"], "rro, rnosuid, rnodev, rnoexec reach the submount")
def _(t):
    src = host_tree(t)
    b = t.bundle()
    b.add_mount("/plain", "bind", src, ["rbind", "ro"])
    b.add_mount("/rec", "bind", src, ["rbind", "rro", "rnosuid", "rnodev", "rnoexec"])
    ms = mounts_in(t, b)
    sub = proc.find_mount(ms, "/rec/sub")
    t.check(sub is not None, "no submount under /rec")
    for f in ("ro", "nosuid", "nodev", "noexec"):
        t.check(f in sub["opts"], "r%s did not reach the submount: %r" % (f, sub["opts"]))
    plain = proc.find_mount(ms, "/plain/sub")
    t.check(plain is not None and "rw" in plain["opts"], "plain ro leaked into the submount: %r" % plain)


@test("mount_option_nosymfollow", ["cfg.mounts.options-nosymfollow"], "nosymfollow appears in the mount flags")
def _(t):
    (m,) = tmpfs_opts(t, [["nosymfollow"]])
    t.check("nosymfollow" in m["opts"], "nosymfollow not applied: %r" % m["opts"])


@test("mount_options_fs_specific", ["cfg.mounts.options-fs-specific"], "tmpfs size=1m,mode=700 reach mount(2) data")
def _(t):
    (m,) = tmpfs_opts(t, [["size=1m", "mode=700", "nosuid"]])
    t.check("size=1024k" in m["super"] and "mode=700" in m["super"], "tmpfs data options: %r" % m["super"])


IDMAP_RUNC = ("runc 1.1.5 predates idmapped mounts (runc 1.2 added them): it passes 'idmap' to mount(2) as data, "
              "which a bind mount ignores, and ignores the mount's uidMappings/gidMappings.")


@test("mount_idmap_without_userns", ["cfg.mounts.idmap-no-userns"], "idmap with no mappings and no user namespace fails",
      runc=IDMAP_RUNC,
      needs_root="the case is a container without a user namespace, and every rootless container has one")
def _(t):
    b = t.bundle(["true"])
    b.add_mount("/idm", "bind", t.tmp, ["rbind", "idmap"])
    must_fail_create(t, b, "idmap mount without mappings or user namespace")


@test("mount_idmap_mappings", ["cfg.mounts.idmap-mappings"],
      "a root-owned host file seen through an idmapped mount (0->100000) is owned by root in the container",
      runc=IDMAP_RUNC,
      needs_root="an idmapped mount of a host directory needs CAP_SYS_ADMIN in the user namespace owning its "
                 "filesystem (the initial one for the host's /tmp)")
def _(t):
    src = t.path("idsrc")
    os.mkdir(src)
    with open(os.path.join(src, "f"), "w") as f:
        f.write("x")
    b = t.bundle()
    b.userns(100000, 65536)
    m = b.add_mount("/idm", "bind", src, ["rbind", "idmap"])
    m["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    m["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.add_mount("/plain", "bind", src, ["rbind"])
    b.mkdir("/idm")
    b.mkdir("/plain")
    _, _, out = t.run_script("stat -c %u:%g /idm/f /plain/f", bundle=b)
    t.eq(out.split(), ["0:0", "65534:65534"], "owner through the idmapped mount / the plain bind")


@test("mount_mappings_pair", ["cfg.mounts.mappings-pair", "cfg.valid-values"],
      "mount uidMappings without gidMappings is rejected",
      runc=IDMAP_RUNC + " It accepts uidMappings without gidMappings.",
      needs_root="no idmapped mount of a host directory can be made rootless (CAP_SYS_ADMIN over its filesystem's "
                 "user namespace), so a refused create would not show the missing gidMappings was detected")
def _(t):
    b = t.bundle(["true"])
    b.userns(100000, 65536)
    m = b.add_mount("/idm", "bind", t.tmp, ["rbind", "idmap"])
    m["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.mkdir("/idm")
    must_fail_create(t, b, "mount with uidMappings only")


# ---------------- process ----------------

@test("terminal_console_socket", ["cfg.process.terminal", "cfg.process.consoleSize", "cl.devices.console"],
      "terminal: true over --console-socket: stdio are the pty, consoleSize applied, /dev/console is the pty")
def _(t):
    b = t.bundle(["sh", "-c", "for f in 0 1 2; do readlink /proc/self/fd/$f; done; stty size; "
                              "stat -c '%t:%T' /dev/console $(readlink /proc/self/fd/0)"])
    b.process["terminal"] = True
    b.process["consoleSize"] = {"height": 31, "width": 97}
    cs = ConsoleSocket(t)
    cid = t.create_ok(b, extra=("--console-socket", cs.path))
    cs.got_fd.wait(10)
    t.check(cs.master is not None, "no pty master received: %s" % cs.error)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.wait_exit(pid)
    out = cs.text().split()
    t.check(len(out) >= 6, "terminal output: %r" % out)
    t.check(out[0].startswith("/dev/pts/") and out[0] == out[1] == out[2], "stdio are not one pty: %r" % out[:3])
    t.eq(out[3:5], ["31", "97"], "stty size (consoleSize)")
    t.eq(out[5], out[6], "device numbers of /dev/console and the pty")


@test("console_size_ignored", ["cfg.process.consoleSize-ignored"], "consoleSize with terminal: false is ignored")
def _(t):
    b = t.bundle()
    b.process["terminal"] = False
    b.process["consoleSize"] = {"height": 10, "width": 20}
    _, _, out = t.run_script("echo ran; [ -t 1 ] && echo tty || echo notty", bundle=b)
    t.eq(out.split(), ["ran", "notty"], "output")


@test("process_cwd", ["cfg.process.cwd"], "cwd /tmp is the working directory")
def _(t):
    b = t.bundle()
    b.process["cwd"] = "/tmp"
    _, _, out = t.run_script("pwd", bundle=b)
    t.eq(out.strip(), "/tmp", "pwd")


@test("process_cwd_relative", ["cfg.process.cwd", "cfg.valid-values"], "a relative cwd is rejected")
def _(t):
    b = t.bundle(["true"])
    b.process["cwd"] = "tmp"
    r = t.create(b)
    if r.rc == 0:
        t.fails(t.start(r.id), "start with a relative cwd")
    else:
        t.fails(r, "create with a relative cwd")


@test("process_env", ["cfg.process.env"], "the process gets exactly env (plus what sh itself sets)")
def _(t):
    b = t.bundle(["env"])
    b.process["env"] = ["PATH=/bin:/usr/bin", "CONFORMANCE=yes it is", "EMPTY="]
    cid = t.create_ok(b, env=dict(os.environ, LEAK_FROM_CALLER="1"))
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    with open(b.stdout) as f:
        env = sorted(line for line in f.read().split("\n") if line and not line.startswith(("HOME=", "PWD=", "SHLVL=")))
    t.eq(env, ["CONFORMANCE=yes it is", "EMPTY=", "PATH=/bin:/usr/bin"], "environment")


@test("process_args_path_lookup", ["cfg.process.args", "rt.lifecycle.run-program"],
      "args[0] without a slash is found through PATH, argv is passed as is")
def _(t):
    b = t.bundle(["conformance-prog", "a b", "", "c"])
    b.write_rootfs_file("/opt/cf/bin/conformance-prog", "#!/bin/sh\nfor a in \"$0\" \"$@\"; do echo \"[$a]\"; done\n", 0o755)
    b.process["env"] = ["PATH=/opt/cf/bin:/bin"]
    status, out = t.run(b)
    t.eq(out.split("\n")[1:4], ["[a b]", "[]", "[c]"], "arguments received")
    t.eq(proc.exit_code(status) if status is not None else 0, 0, "exit code")


@test("process_args_empty", ["cfg.process.args", "cfg.valid-values"], "args: [] is rejected")
def _(t):
    b = t.bundle([])
    r = t.create(b)
    if r.rc == 0:
        t.fails(t.start(r.id), "start with empty args")
    else:
        t.fails(r, "create with empty args")


@test("rlimits_applied", ["cfg.process.rlimits-values"], "RLIMIT_NOFILE 512/768, RLIMIT_CORE 1000/2000, RLIMIT_MSGQUEUE 4096/8192")
def _(t):
    b = t.bundle()
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 768},
                            {"type": "RLIMIT_CORE", "soft": 1000, "hard": 2000},
                            {"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192}]
    _, _, out = t.run_script("cat /proc/self/limits", bundle=b)
    lim = {line[:26].strip(): [line[26:47].strip(), line[47:68].strip()] for line in out.splitlines()[1:]}
    t.eq(lim.get("Max open files"), ["512", "768"], "Max open files")
    t.eq(lim.get("Max core file size"), ["1000", "2000"], "Max core file size")
    t.eq(lim.get("Max msgqueue size"), ["4096", "8192"], "Max msgqueue size")


@test("rlimits_invalid_type", ["cfg.process.rlimits-invalid", "cfg.valid-values"], "RLIMIT_BOGUS is rejected")
def _(t):
    b = t.bundle(["true"])
    b.process["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]
    r = t.create(b)
    if r.rc == 0:
        t.fails(t.start(r.id), "start with an unknown rlimit")
    else:
        t.fails(r, "create with an unknown rlimit")


@test("rlimits_duplicate", ["cfg.process.rlimits-dup"], "two RLIMIT_NOFILE entries are rejected")
def _(t):
    b = t.bundle(["true"])
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100},
                            {"type": "RLIMIT_NOFILE", "soft": 200, "hard": 200}]
    r = t.create(b)
    if r.rc == 0:
        t.fails(t.start(r.id), "start with duplicated rlimits")
    else:
        t.fails(r, "create with duplicated rlimits")


CAPS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7,
        "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13, "CAP_SYS_CHROOT": 18, "CAP_AUDIT_WRITE": 29}


def capmask(names):
    return sum(1 << CAPS[n] for n in names)


def caps_of(out):
    st = dict(line.split(":", 1) for line in out.splitlines() if line.startswith("Cap"))
    return {k: int(v.strip(), 16) for k, v in st.items()}


@test("capabilities_root", ["cfg.process.capabilities"], "uid 0 with equal sets: CapEff/CapPrm/CapBnd are exactly the set")
def _(t):
    b = t.bundle()
    s = ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_NET_RAW"]
    b.process["capabilities"] = {k: list(s) for k in ("bounding", "effective", "permitted")}
    b.process["capabilities"]["inheritable"] = []
    _, _, out = t.run_script("grep ^Cap /proc/self/status", bundle=b)
    c = caps_of(out)
    want = capmask(s)
    t.eq((c["CapEff"], c["CapPrm"], c["CapBnd"], c["CapInh"], c["CapAmb"]), (want, want, want, 0, 0),
         "CapEff, CapPrm, CapBnd, CapInh, CapAmb")


@test("capabilities_ambient", ["cfg.process.capabilities"],
      "uid 1000: bounding, inheritable and ambient sets are kept; ambient becomes effective across exec")
def _(t):
    b = t.bundle()
    b.map_subids()  # rootless: uid 1000 must be mapped
    b.process["user"] = {"uid": 1000, "gid": 1000}
    bnd = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"]
    b.process["capabilities"] = {"bounding": bnd, "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                                 "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                                 "inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
                                 "ambient": ["CAP_NET_BIND_SERVICE"]}
    _, _, out = t.run_script("grep ^Cap /proc/self/status", bundle=b)
    c = caps_of(out)
    amb = capmask(["CAP_NET_BIND_SERVICE"])
    t.eq(c["CapBnd"], capmask(bnd), "CapBnd")
    t.eq(c["CapInh"], capmask(["CAP_KILL", "CAP_NET_BIND_SERVICE"]), "CapInh")
    t.eq(c["CapAmb"], amb, "CapAmb")
    t.eq((c["CapPrm"], c["CapEff"]), (amb, amb), "CapPrm, CapEff of a non-root process (ambient only)")


@test("capabilities_unknown", ["cfg.process.capabilities-unknown", "rt.warnings.continue"],
      "an unknown capability name is a warning, not an error (SHOULD NOT fail)")
def _(t):
    b = t.bundle()
    b.process["capabilities"]["bounding"].append("CAP_CONFORMANCE_BOGUS")
    _, _, out = t.run_script("echo ran", bundle=b)
    t.eq(out.strip(), "ran", "output")


@test("capabilities_not_grantable", ["cfg.process.capabilities-unknown", "rt.warnings.continue"],
      "a capability the caller itself lacks is a warning, not an error (SHOULD NOT fail)",
      runc="runc (1.1.5 and 1.5) fails create with 'unable to apply caps: operation not permitted' when asked for "
           "a capability outside its own bounding set; config.md: a value that cannot be granted MUST be logged as "
           "a warning, and runtimes SHOULD NOT fail.")
def _(t):
    with open("/proc/self/status") as f:
        bnd = int([l for l in f if l.startswith("CapBnd:")][0].split()[1], 16)
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    missing = [n for n in range(last + 1) if not bnd >> n & 1]
    if not missing:
        t.skip("the caller holds every capability, so none is ungrantable here")
    names = {0: "CAP_CHOWN", 24: "CAP_SYS_RESOURCE", 21: "CAP_SYS_ADMIN", 16: "CAP_SYS_MODULE", 25: "CAP_SYS_TIME"}
    known = [names[n] for n in missing if n in names]
    if not known:
        t.skip("the capabilities the caller lacks are not in this test's table")
    b = t.bundle()
    for k in ("bounding", "effective", "permitted"):
        b.process["capabilities"][k].append(known[0])
    _, _, out = t.run_script("echo ran", bundle=b)
    t.eq(out.strip(), "ran", "output")


@test("no_new_privileges", ["cfg.process.noNewPrivileges"], "NoNewPrivs: 1 with true, 0 with false")
def _(t):
    for flag, want in ((True, "1"), (False, "0")):
        b = t.bundle()
        b.process["noNewPrivileges"] = flag
        _, _, out = t.run_script("grep ^NoNewPrivs /proc/self/status", bundle=b)
        t.eq(out.split(":")[1].strip(), want, "NoNewPrivs with noNewPrivileges=%s" % flag)


def with_own_oom_score(t, value):
    with open("/proc/self/oom_score_adj") as f:
        old = f.read().strip()
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write(str(value))

    def restore():
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write(old)
    t.defer(restore)


@test("oom_score_adj_set", ["cfg.process.oomScoreAdj-set"],
      "oomScoreAdj 517 is the process's oom_score_adj, with and without a user namespace")
def _(t):
    b = t.bundle()
    b.process["oomScoreAdj"] = 517
    _, _, out = t.run_script("cat /proc/self/oom_score_adj", bundle=b)
    t.eq(out.strip(), "517", "oom_score_adj")
    # Inside a user namespace /proc/self/oom_score_adj of a non-dumpable init belongs to an
    # unmapped owner: a runtime must write it before (runc: nsexec stage 0).
    b = t.bundle()
    b.userns(100000, 65536)
    b.process["oomScoreAdj"] = 517
    _, _, out = t.run_script("cat /proc/self/oom_score_adj", bundle=b)
    t.eq(out.strip(), "517", "oom_score_adj in a user namespace")


@test("oom_score_adj_unset", ["cfg.process.oomScoreAdj-unset"], "without oomScoreAdj the caller's value (123) is kept")
def _(t):
    with_own_oom_score(t, 123)
    b = t.bundle()
    b.process.pop("oomScoreAdj", None)
    _, _, out = t.run_script("cat /proc/self/oom_score_adj", bundle=b)
    t.eq(out.strip(), "123", "oom_score_adj")


SCHED_RUNC = "runc 1.1.5 predates process.scheduler (runtime-spec 1.2; runc 1.2 implements it) and ignores it."


@test("process_scheduler", ["cfg.process.scheduler"], "SCHED_BATCH with nice 7 is the process's policy and nice",
      runc=SCHED_RUNC)
def _(t):
    b = t.bundle()
    b.process["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}
    _, _, out = t.run_script("awk '/^policy/ {print $3}' /proc/self/sched; cut -d' ' -f19 /proc/self/stat", bundle=b)
    t.eq(out.split(), ["3", "7"], "policy (3 = SCHED_BATCH), nice")


@test("process_io_priority", ["cfg.process.ioPriority"], "IOPRIO_CLASS_BE priority 6",
      runc="runc 1.1.5 predates process.ioPriority (runtime-spec 1.2; runc 1.2 implements it) and ignores it.")
def _(t):
    b = t.bundle()
    b.process["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    _, _, out = t.run_script("ionice -p $$", bundle=b)
    t.eq(out.strip(), "best-effort: prio 6", "ionice")


@test("user_ids", ["cfg.user.ids"], "uid 1000, gid 1001, additionalGids 5 and 6",
      runc_rootless="runc (1.1.5 and current) refuses process.user.additionalGids whenever it runs rootless ('cannot "
                    "set any additional groups in a rootless container'), even when newgidmap maps them and setgroups "
                    "is allowed; config.md: additionalGids are added to the process.")
def _(t):
    b = t.bundle()
    b.map_subids()  # rootless: ids 1000, 1001, 5, 6 mapped, setgroups allowed (newgidmap)
    b.process["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 6]}
    _, _, out = t.run_script("grep -E '^(Uid|Gid|Groups)' /proc/self/status", bundle=b)
    st = {k: v.split() for k, v in (line.split(":", 1) for line in out.splitlines())}
    t.eq(st["Uid"], ["1000"] * 4, "Uid")
    t.eq(st["Gid"], ["1001"] * 4, "Gid")
    t.eq(sorted(int(g) for g in st["Groups"] if int(g) != 1001), [5, 6], "supplementary groups")


@test("user_umask", ["cfg.user.umask"], "umask 0o027 is applied; without umask the caller's 0o033 is kept",
      runc="runc 1.1.5 sets umask 0022 when process.user.umask is unset instead of keeping the caller's; config.md: "
           "If unspecified, the umask should not be changed from the calling process' umask. Current runc "
           "behaves the same way.")
def _(t):
    b = t.bundle()
    b.process["user"] = {"uid": 0, "gid": 0, "umask": 0o027}
    _, _, out = t.run_script("umask", bundle=b)
    t.eq(out.strip(), "0027", "umask with umask 0o027")
    old = os.umask(0o033)
    try:
        b2 = t.bundle()
        b2.process["user"] = {"uid": 0, "gid": 0}
        _, _, out = t.run_script("umask", bundle=b2)
    finally:
        os.umask(old)
    t.eq(out.strip(), "0033", "umask when unset (caller's)")


@test("hostname", ["cfg.hostname"], "hostname in the new UTS namespace")
def _(t):
    b = t.bundle()
    b.config["hostname"] = "cf-host"
    _, _, out = t.run_script("hostname", bundle=b)
    t.eq(out.strip(), "cf-host", "hostname")
    t.check(os.uname().nodename != "cf-host", "the host's hostname was changed")


@test("domainname", ["cfg.domainname"], "domainname in the new UTS namespace",
      runc="runc 1.1.5 ignores domainname (runc 1.2.0 implements it), so the NIS domain stays '(none)'.")
def _(t):
    b = t.bundle()
    b.config["domainname"] = "cf.example"
    _, _, out = t.run_script("cat /proc/sys/kernel/domainname", bundle=b)
    t.eq(out.strip(), "cf.example", "domainname")
    with open("/proc/sys/kernel/domainname") as f:
        t.check(f.read().strip() != "cf.example", "the host's domainname was changed")


# ---------------- annotations, extensibility, valid values ----------------

@test("annotations_empty_key", ["cfg.annotations.empty-key", "cfg.valid-values"], "an empty annotation key is rejected",
      runc="runc (1.1.5 and 1.5) does not validate annotation keys and accepts \"\"; config.md: Keys MUST NOT be an "
           "empty string, and runtimes MUST generate an error when invalid values are encountered.")
def _(t):
    b = t.bundle(["true"])
    b.config["annotations"] = {"": "empty key"}
    must_fail_create(t, b, "create with an empty annotation key")


@test("annotations_non_string_value", ["cfg.annotations.values-strings", "cfg.valid-values"],
      "a non-string annotation value is rejected")
def _(t):
    b = t.bundle(["true"])
    b.config["annotations"] = {"com.example.n": 5}
    must_fail_create(t, b, "create with a numeric annotation value")


@test("unknown_properties_ignored", ["cfg.extensibility"], "unknown properties at top level, in process and in linux")
def _(t):
    b = t.bundle()
    b.config["com.example.unknown"] = {"nested": [1, 2, 3]}
    b.process["com.example.unknownProcess"] = True
    b.linux["com.example.unknownLinux"] = "x"
    b.config["root"]["unknownRoot"] = 1
    _, _, out = t.run_script("echo ran", bundle=b)
    t.eq(out.strip(), "ran", "output")


@test("invalid_values", ["cfg.valid-values"],
      "a bogus namespace type, rootfsPropagation and seccomp action are each rejected")
def _(t):
    cases = []
    b = t.bundle(["true"])
    b.namespaces().append({"type": "bogus"})
    cases.append(("namespace type bogus", b))
    b = t.bundle(["true"])
    b.linux["rootfsPropagation"] = "bogus"
    cases.append(("rootfsPropagation bogus", b))
    b = t.bundle(["true"])
    b.linux["seccomp"] = {"defaultAction": "SCMP_ACT_BOGUS"}
    cases.append(("seccomp defaultAction bogus", b))
    failures = []
    for what, b in cases:
        r = t.create(b)
        if r.rc == 0:
            failures.append(what)
    t.check(not failures, "accepted: %s" % ", ".join(failures))
