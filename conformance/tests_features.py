"""features.md and features-linux.md: the `features` operation's structure,
and that what it lists is accepted in config.json."""
import json
import os
import re

from lib.framework import test, Failure
from lib.hooks import HookLog
from lib.sockets import SeccompAgent

# Properties defined by runtime-spec v1.3.0 (schema/features-schema.json, features-linux.json)
TOP = {"ociVersionMin", "ociVersionMax", "hooks", "mountOptions", "annotations",
       "potentiallyUnsafeConfigAnnotations", "linux"}
LINUX = {"namespaces", "capabilities", "cgroup", "seccomp", "apparmor", "selinux", "intelRdt",
         "mountExtensions", "netDevices", "memoryPolicy"}
LINUX_SUB = {"cgroup": {"v1", "v2", "systemd", "systemdUser", "rdma"},
             "seccomp": {"enabled", "actions", "operators", "archs", "knownFlags", "supportedFlags"},
             "apparmor": {"enabled"}, "selinux": {"enabled"}, "intelRdt": {"enabled", "schemata", "monitoring"},
             "mountExtensions": {"idmap"}, "netDevices": {"enabled"}, "memoryPolicy": {"modes", "flags"}}
CAP_NUMBERS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
               "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
               "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
               "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
               "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
               "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
               "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
               "CAP_CHECKPOINT_RESTORE"]


BIG_ENDIAN = {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
              "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_M68K",
              "SCMP_ARCH_SHEB"}


def caller_bounding():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return int(line.split()[1], 16)
    return 0


def features(t):
    r = t.rt("features")
    if r.rc != 0:
        t.skip("the runtime has no features operation (it is a MAY): %r" % r)
    try:
        f = json.loads(r.out)
    except ValueError:
        raise Failure("features output is not JSON: %r" % r.out[:300])
    t.check(isinstance(f, dict), "features output is not a JSON object")
    return f


def semver(v):
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$", v or "")
    if not m:
        return None
    pre = m.group(4)
    # a pre-release sorts before its release
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if pre else 1, pre or "")


def accepted(t, b, run=True):
    """True when the runtime creates (and with run, also runs) the bundle."""
    r = t.create(b)
    if r.rc != 0:
        return False, r.err.strip()[-300:]
    if not run:
        t.delete(r.id, force=True)
        return True, ""
    st = t.state(r.id)
    s = t.start(r.id)
    t.wait_exit(st["pid"])
    t.delete(r.id, force=True)
    return s.rc == 0, s.err.strip()[-300:]


@test("features_structure", ["ft.output", "ft.ociVersion-order", "ft.no-unknown-properties", "ft.annotations"],
      "features prints JSON with SemVer ociVersionMin <= ociVersionMax, only v1.3 properties, string annotations")
def _(t):
    f = features(t)
    lo, hi = semver(f.get("ociVersionMin")), semver(f.get("ociVersionMax"))
    t.check(lo and hi, "ociVersionMin/Max are not SemVer: %r %r" % (f.get("ociVersionMin"), f.get("ociVersionMax")))
    t.check(hi >= lo, "ociVersionMax %s < ociVersionMin %s" % (f["ociVersionMax"], f["ociVersionMin"]))
    extra = set(f) - TOP
    lin = f.get("linux") or {}
    extra |= {"linux." + k for k in set(lin) - LINUX}
    for k, allowed in LINUX_SUB.items():
        if isinstance(lin.get(k), dict):
            extra |= {"linux.%s.%s" % (k, s) for s in set(lin[k]) - allowed}
    t.check(not extra, "properties not defined by runtime-spec v1.3.0: %s" % sorted(extra))
    ann = f.get("annotations")
    if ann is not None:
        t.check(isinstance(ann, dict) and all(isinstance(k, str) and k and isinstance(v, str) for k, v in ann.items()),
                "annotations is not a map of non-empty strings to strings: %r" % ann)


@test("features_oci_versions_accepted", ["ft.ociVersion-accept"], "config.json with ociVersion = ociVersionMin and = ociVersionMax")
def _(t):
    f = features(t)
    for key in ("ociVersionMin", "ociVersionMax"):
        b = t.bundle(["true"])
        b.config["ociVersion"] = f[key]
        ok, err = accepted(t, b)
        t.check(ok, "ociVersion %s (%s) was refused: %s" % (f[key], key, err))


@test("features_hooks", ["ft.hooks"], "every listed hook name is run when configured")
def _(t):
    f = features(t)
    names = f.get("hooks") or []
    if not names:
        t.skip("no hooks listed")
    b = t.bundle(["true"])
    log = HookLog(t)
    for n in names:
        if n == "startContainer":
            log.script(n, log_dir="/out", path=os.path.join(b.rootfs, "hooks", n + ".sh"))
            b.add_hook(n, "/hooks/%s.sh" % n)
        else:
            b.add_hook(n, log.script(n))
    ok, err = accepted(t, b)
    t.check(ok, "bundle with every listed hook failed: %s" % err)
    ran = set(log.order()) | set(log.order(b.out))
    t.eq(sorted(set(names) - ran), [], "listed hooks that did not run")


@test("features_mount_options", ["ft.mountOptions"], "every listed mount option is accepted on a bind mount",
      runc="runc 1.1.5 lists ratime and rnostrictatime but passes them to mount_setattr(2) without "
           "MOUNT_ATTR__ATIME in attr_clr, which the kernel rejects with EINVAL; current runc adds it "
           "(see parseMountOptions).")
def _(t):
    f = features(t)
    opts = [o for o in f.get("mountOptions") or [] if o not in ("idmap", "ridmap")]
    t.note("remount is tried on an existing tmpfs, the others on a fresh bind mount")
    if not opts:
        t.skip("no mount options listed")
    t.note("idmap/ridmap need mappings; they are covered by mount_idmap_mappings")
    src = t.path("src")
    os.mkdir(src)
    refused = []
    for o in opts:
        b = t.bundle(["true"])
        if o == "remount":
            b.add_mount("/m", "tmpfs", "tmpfs", ["size=1m"])
            b.add_mount("/m", "tmpfs", "tmpfs", ["remount"])
        elif t.rootless:
            # A bind of a host directory keeps the host mount's atime flags locked in a user
            # namespace (changing them is EPERM); a tmpfs the container mounts itself is free.
            b.add_mount("/cf-src", "tmpfs", "tmpfs", ["size=1m"])
            b.add_mount("/m", "bind", os.path.join(b.rootfs, "cf-src"), ["rbind", o])
        else:
            b.add_mount("/m", "bind", src, ["rbind", o])
        ok, err = accepted(t, b, run=False)
        if not ok:
            refused.append("%s (%s)" % (o, err[-120:]))
    t.check(not refused, "refused: %s" % "; ".join(refused))


@test("features_namespaces", ["ftl.namespaces"], "every listed namespace type can be created")
def _(t):
    f = features(t)
    names = (f.get("linux") or {}).get("namespaces") or []
    if not names:
        t.skip("no namespaces listed")
    refused = []
    for n in names:
        b = t.bundle(["true"])
        b.set_namespace(n)
        if n == "user":
            b.userns(100000, 65536)
        ok, err = accepted(t, b)
        if not ok:
            refused.append("%s (%s)" % (n, err[-150:]))
    t.check(not refused, "refused: %s" % "; ".join(refused))


@test("features_capabilities", ["ftl.capabilities"], "every listed capability is accepted, and reaches CapBnd when the kernel has it")
def _(t):
    f = features(t)
    caps = (f.get("linux") or {}).get("capabilities") or []
    if not caps:
        t.skip("no capabilities listed")
    with open("/proc/sys/kernel/cap_last_cap") as fh:
        last = int(fh.read())
    # Only capabilities the caller holds can be granted; the others are the
    # subject of capabilities_not_grantable.
    mine = caller_bounding()
    grantable = [c for c in caps if c not in CAP_NUMBERS or mine >> CAP_NUMBERS.index(c) & 1]
    if len(grantable) < len(caps):
        t.note("left out capabilities the caller lacks: %s" % sorted(set(caps) - set(grantable)))
    b = t.bundle()
    b.process["capabilities"] = {k: list(grantable) for k in ("bounding", "effective", "permitted")}
    _, _, out = t.run_script("grep ^CapBnd /proc/self/status", bundle=b)
    got = int(out.split(":")[1].strip(), 16)
    want = sum(1 << CAP_NUMBERS.index(c) for c in grantable if c in CAP_NUMBERS and CAP_NUMBERS.index(c) <= last)
    t.eq(got & want, want, "listed capabilities in CapBnd")


def seccomp_run(t, seccomp, agent=False):
    b = t.bundle()
    b.linux["seccomp"] = seccomp
    if agent:
        a = SeccompAgent(t)
        seccomp["listenerPath"] = a.path
    b.script("echo ran")
    return accepted(t, b)


@test("features_seccomp", ["ftl.seccomp", "ftl.seccomp.supportedFlags"],
      "every listed seccomp action, operator, arch and flag is accepted in a filter that then runs")
def _(t):
    f = features(t)
    sc = (f.get("linux") or {}).get("seccomp") or {}
    if not sc.get("enabled", True) or not any(sc.get(k) for k in ("actions", "operators", "archs", "knownFlags")):
        t.skip("no seccomp features listed")
    refused = []
    # reboot is never called by the container's shell, so even kill actions leave it running
    for a in sc.get("actions") or []:
        ok, err = seccomp_run(t, {"defaultAction": "SCMP_ACT_ALLOW",
                                  "syscalls": [{"names": ["reboot"], "action": a}]}, agent=(a == "SCMP_ACT_NOTIFY"))
        if not ok:
            refused.append("action %s (%s)" % (a, err[-100:]))
    for op in sc.get("operators") or []:
        arg = {"index": 0, "value": 1, "op": op}
        if op == "SCMP_CMP_MASKED_EQ":
            arg["valueTwo"] = 1
        ok, err = seccomp_run(t, {"defaultAction": "SCMP_ACT_ALLOW",
                                  "syscalls": [{"names": ["reboot"], "action": "SCMP_ACT_ERRNO", "args": [arg]}]})
        if not ok:
            refused.append("operator %s (%s)" % (op, err[-100:]))
    for arch in sc.get("archs") or []:
        ok, err = seccomp_run(t, {"defaultAction": "SCMP_ACT_ALLOW", "architectures": [arch],
                                  "syscalls": [{"names": ["reboot"], "action": "SCMP_ACT_ERRNO"}]})
        # A big-endian arch cannot join a filter built on this little-endian
        # host (libseccomp: EDOM); that failure comes after recognising the
        # name, so only a refusal of the name itself counts.
        if not ok and (arch not in BIG_ENDIAN or re.search(r"unknown|invalid|unrecogni|not supported", err, re.I)):
            refused.append("arch %s (%s)" % (arch, err[-100:]))
    for flag in sorted(set(sc.get("knownFlags") or []) | set(sc.get("supportedFlags") or [])):
        # the kernel takes WAIT_KILLABLE_RECV only with a notify listener
        notify = flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
        ok, err = seccomp_run(t, {"defaultAction": "SCMP_ACT_ALLOW", "flags": [flag],
                                  "syscalls": [{"names": ["reboot"],
                                                "action": "SCMP_ACT_NOTIFY" if notify else "SCMP_ACT_ERRNO"}]},
                              agent=notify)
        if not ok and flag in (sc.get("supportedFlags") or []):
            refused.append("supported flag %s (%s)" % (flag, err[-100:]))
        elif not ok and "unknown" in err.lower():
            refused.append("known flag %s (%s)" % (flag, err[-100:]))
    t.check(not refused, "refused: %s" % "; ".join(refused))


@test("features_memory_policy", ["ftl.memoryPolicy"], "every listed memoryPolicy mode and flag is accepted")
def _(t):
    f = features(t)
    mp = (f.get("linux") or {}).get("memoryPolicy") or {}
    if not mp.get("modes"):
        t.skip("no memoryPolicy modes listed")
    refused = []
    for mode in mp["modes"]:
        pol = {"mode": mode}
        if mode not in ("MPOL_DEFAULT", "MPOL_LOCAL"):
            pol["nodes"] = "0"
        b = t.bundle(["true"])
        b.linux["memoryPolicy"] = pol
        ok, err = accepted(t, b)
        if not ok:
            refused.append("mode %s (%s)" % (mode, err[-100:]))
    for flag in mp.get("flags") or []:
        b = t.bundle(["true"])
        b.linux["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0", "flags": [flag]}
        ok, err = accepted(t, b)
        if not ok and "invalid argument" not in err.lower():
            refused.append("flag %s (%s)" % (flag, err[-100:]))
    t.check(not refused, "refused: %s" % "; ".join(refused))
