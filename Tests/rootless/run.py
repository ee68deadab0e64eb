#!/usr/bin/env python3
"""Rootless swiftlet, end to end (issue 9).

Run as root (CI): makes a throw-away unprivileged user with /etc/subuid and /etc/subgid
ranges, and as that user runs busybox bundles written by `swiftlet spec --rootless` through
run, create/start/exec/kill/delete, a multi-range mapping (newuidmap/newgidmap), a private
network namespace, mounts that need adapting, and a delegated cgroup v2 subtree. Removes the
user and everything it made afterwards. TAP-ish output, then `N passed, N failed, N skipped`.

usage: run.py [--swiftlet PATH] [--keep]
"""
import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The throw-away user's bookkeeping is shared with the conformance suite's rootless pass.
sys.path.insert(0, os.path.join(REPO, "conformance"))
from lib.rootless import remove_sub_ranges, sub_range, userns_forbidden  # noqa: E402
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Suite:
    def __init__(self):
        self.n = 0
        self.passed = self.failed = self.skipped = 0

    def ok(self, cond, name, detail=""):
        self.n += 1
        if cond:
            self.passed += 1
            print(f"ok {self.n} - {name}")
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}")
            for line in str(detail).strip().splitlines()[-15:]:
                print(f"#   {line}")
        sys.stdout.flush()
        return cond

    def skip(self, name, why):
        self.n += 1
        self.skipped += 1
        print(f"ok {self.n} - {name} # SKIP {why}")

    def summary(self):
        print(f"1..{self.n}")
        print(f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped")
        return 1 if self.failed else 0


class Env:
    """The throw-away user and its directories."""

    def __init__(self, swiftlet):
        self.work = tempfile.mkdtemp(prefix="swiftlet-rootless-", dir="/tmp")
        os.chmod(self.work, 0o755)
        self.user = f"swrl{os.getpid() % 100000}"
        self.created_user = False
        self.delegated = None
        self.binary = os.path.join(self.work, "swiftlet")
        shutil.copy(swiftlet, self.binary)
        os.chmod(self.binary, 0o755)

    def make_user(self):
        subprocess.run(["useradd", "--no-create-home", "--home-dir", self.work + "/home", "--shell", "/bin/sh",
                        self.user], check=True, capture_output=True)
        self.created_user = True
        pw = pwd.getpwnam(self.user)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.subuid = self.sub_range("/etc/subuid")
        self.subgid = self.sub_range("/etc/subgid")
        if self.subuid is None or self.subgid is None:
            start = 300000 + (self.uid % 1000) * 65536
            subprocess.run(["usermod", "--add-subuids", f"{start}-{start + 65535}",
                            "--add-subgids", f"{start}-{start + 65535}", self.user], check=True, capture_output=True)
            self.subuid = self.sub_range("/etc/subuid")
            self.subgid = self.sub_range("/etc/subgid")
        self.xdg = os.path.join(self.work, "xdg")
        for d in (self.xdg, self.work + "/home"):
            os.mkdir(d, 0o700)
            os.chown(d, self.uid, self.gid)

    def sub_range(self, path):
        return sub_range(path, self.user)

    def as_user(self, args, cwd=None, xdg=True, timeout=60, cgroup=None):
        env = ["env", "-i", f"PATH={PATH}", f"HOME={self.work}/home", f"USER={self.user}"]
        if xdg:
            env.append(f"XDG_RUNTIME_DIR={self.xdg}")
        cmd = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--init-groups", "--"] + env + args
        if cgroup:
            # Root moves the shell into the delegated cgroup, then it becomes the user.
            cmd = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup] + cmd
        if "create" not in args:
            return subprocess.run(cmd, cwd=cwd or self.work, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        # The container's init keeps create's stdio: files, not pipes that would never close.
        with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
            p = subprocess.run(cmd, cwd=cwd or self.work, stdout=out, stderr=err, text=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(cmd, p.returncode, out.read(), err.read())

    def swiftlet(self, *args, **kw):
        return self.as_user([self.binary] + list(args), **kw)

    def bundle(self, name, args, edit=None):
        """A busybox rootfs with the config `swiftlet spec --rootless` writes (as the user)."""
        d = os.path.join(self.work, name)
        subprocess.run(["sh", os.path.join(REPO, "scripts/mkbundle.sh"), d, "true"], check=True, capture_output=True)
        os.remove(os.path.join(d, "config.json"))
        subprocess.run(["chown", "-R", f"{self.uid}:{self.gid}", d], check=True)
        r = self.swiftlet("spec", "--rootless", "--bundle", d)
        if r.returncode != 0:
            raise RuntimeError(f"spec --rootless: {r.stderr}")
        path = os.path.join(d, "config.json")
        with open(path) as f:
            config = json.load(f)
        config["process"]["terminal"] = False
        config["process"]["args"] = args
        if edit:
            edit(config)
        with open(path, "w") as f:
            json.dump(config, f, indent=1)
        return d

    def cleanup(self, ids):
        for cid in ids:
            self.swiftlet("delete", "--force", cid)
        if self.delegated:
            for dirpath, dirnames, _ in os.walk(self.delegated, topdown=False):
                try:
                    os.rmdir(dirpath)
                except OSError:
                    pass
        if self.created_user:
            subprocess.run(["userdel", self.user], capture_output=True)
            remove_sub_ranges(self.user)
        shutil.rmtree(self.work, ignore_errors=True)


def status_ids(pid):
    """The host uid and gid lines of /proc/PID/status (real, effective, saved, fs)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("Uid:", "Gid:")):
                out[line[:3]] = [int(x) for x in line.split()[1:]]
    return out


def state(env, cid):
    r = env.swiftlet("state", cid)
    return json.loads(r.stdout) if r.returncode == 0 else {"error": r.stderr}


def wait_status(env, cid, want, seconds=5):
    deadline = time.time() + seconds
    s = state(env, cid)
    while s.get("status") != want and time.time() < deadline:
        time.sleep(0.05)
        s = state(env, cid)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swiftlet", default=os.path.join(REPO, "bin/swiftlet"))
    ap.add_argument("--keep", action="store_true", help="keep the user and work directory")
    opts = ap.parse_args()
    t = Suite()
    started = time.time()
    if os.geteuid() != 0:
        t.skip("rootless suite", "needs root to create the unprivileged user")
        return t.summary()
    forbidden = userns_forbidden()
    if forbidden:
        t.skip("rootless suite", f"unprivileged user namespaces are forbidden on this machine: {forbidden}")
        return t.summary()
    for tool in ("useradd", "userdel", "usermod", "setpriv", "newuidmap", "newgidmap"):
        if shutil.which(tool) is None:
            t.ok(False, f"{tool} is installed", "run scripts/install-deps.sh (uidmap, passwd, util-linux)")
            return t.summary()
    env = Env(opts.swiftlet)
    ids = []
    try:
        env.make_user()
        print(f"# user {env.user} uid {env.uid} gid {env.gid}, subuid {env.subuid}, subgid {env.subgid}, work {env.work}")
        run_tests(t, env, ids)
    except Exception as e:  # a crash of the driver is a failure, and cleanup still runs
        t.ok(False, "driver ran to the end", repr(e))
    finally:
        if not opts.keep:
            env.cleanup(ids)
            t.ok(not os.path.exists(env.work) and subprocess.run(["id", env.user], capture_output=True).returncode != 0,
                 "cleanup: user and work directory removed")
    print(f"# runtime {time.time() - started:.1f}s")
    return t.summary()


def run_tests(t, env, ids):
    uid, gid = env.uid, env.gid

    # spec --rootless, as the user.
    d = env.bundle("b-run", ["sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"])
    with open(d + "/config.json") as f:
        config = json.load(f)
    types = [n["type"] for n in config["linux"]["namespaces"]]
    t.ok("user" in types and config["linux"]["uidMappings"] == [{"containerID": 0, "hostID": uid, "size": 1}]
         and config["linux"]["gidMappings"] == [{"containerID": 0, "hostID": gid, "size": 1}],
         "spec --rootless: user namespace mapping the caller's uid and gid to root", json.dumps(config["linux"]))

    # run with the config unchanged (but for its args).
    r = env.swiftlet("run", "r1", cwd=d)
    lines = r.stdout.split("\n")
    maps = [l.split() for l in lines[2:4]]
    t.ok(r.returncode == 0 and lines[:2] == ["0", "0"] and maps == [["0", str(uid), "1"], ["0", str(gid), "1"]],
         "run: uid/gid 0 inside, /proc/self/uid_map and gid_map map the caller", r.stdout + r.stderr)
    t.ok("rootless" in r.stderr and "cgroup" in r.stderr, "run: warns that the container gets no cgroup of its own", r.stderr)
    t.ok(not os.path.exists(os.path.join(env.xdg, "swiftlet", "r1")) and os.path.isdir(os.path.join(env.xdg, "swiftlet")),
         "default --root is $XDG_RUNTIME_DIR/swiftlet (and run removed its state)", str(os.listdir(env.xdg)))

    r = env.swiftlet("run", "r2", cwd=d, xdg=False)
    t.ok(r.returncode != 0 and "XDG_RUNTIME_DIR" in r.stderr, "no XDG_RUNTIME_DIR and no --root: a clear error", r.stderr)
    r = env.swiftlet("--root", env.work + "/home/state", "run", "r3", cwd=d, xdg=False)
    t.ok(r.returncode == 0 and r.stdout.startswith("0\n"), "an explicit --root works without XDG_RUNTIME_DIR", r.stderr)
    r = env.swiftlet("--rootless", "false", "run", "r4", cwd=d)
    t.ok(r.returncode != 0, "--rootless false as a normal user fails on cgroups instead of skipping them", r.stderr)
    r = env.swiftlet("--rootless", "maybe", "list")
    t.ok(r.returncode != 0 and "--rootless" in r.stderr, "--rootless rejects values other than auto|true|false", r.stderr)

    # create / start / exec / kill / delete.
    d = env.bundle("b-life", ["sleep", "300"])
    ids.append("life")
    r = env.swiftlet("create", "life", cwd=d)
    s = state(env, "life")
    t.ok(r.returncode == 0 and s.get("status") == "created", "create: state created", r.stderr + str(s))
    pid = s.get("pid")
    if pid:
        exe = os.readlink(f"/proc/{pid}/exe")
        t.ok("memfd:" in exe, "init waits in a sealed memfd copy (overlayfs cannot be mounted unprivileged)", exe)
        ids_ = status_ids(pid)
        t.ok(ids_["Uid"][0] == uid and ids_["Gid"][0] == gid, "outside, the container's init runs as the user", str(ids_))
    r = env.swiftlet("start", "life")
    s = wait_status(env, "life", "running")
    t.ok(r.returncode == 0 and s.get("status") == "running", "start: running", r.stderr + str(s))
    r = env.swiftlet("exec", "life", "sh", "-c", "id -u; cat /proc/self/uid_map")
    t.ok(r.returncode == 0 and r.stdout.split()[:4] == ["0", "0", str(uid), "1"], "exec: uid 0 in the container's user namespace",
         r.stdout + r.stderr)
    r = env.swiftlet("exec", "life", "sh", "-c", "exit 7")
    t.ok(r.returncode == 7, "exec: the process's exit code comes back", r.stderr)
    r = env.swiftlet("ps", "life")
    t.ok(r.returncode == 0 and f" {pid} " in r.stdout and "sleep" in r.stdout,
         "ps without a cgroup: the processes of the container's pid namespace", r.stdout + r.stderr)
    r = env.swiftlet("kill", "life", "KILL")
    s = wait_status(env, "life", "stopped")
    t.ok(r.returncode == 0 and s.get("status") == "stopped", "kill: stopped", r.stderr + str(s))
    r = env.swiftlet("delete", "life")
    t.ok(r.returncode == 0 and "error" in state(env, "life"), "delete: gone", r.stderr)

    # Several ranges: newuidmap/newgidmap with the user's /etc/subuid and /etc/subgid.
    su, sg = env.subuid, env.subgid

    def multi(c):
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1},
                                     {"containerID": 1, "hostID": su[0], "size": su[1]}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1},
                                     {"containerID": 1, "hostID": sg[0], "size": sg[1]}]
        c["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100]}
    d = env.bundle("b-multi", ["sh", "-c", "id -u; id -g; id -G; cat /proc/self/uid_map; sleep 300"], multi)
    subprocess.run(["chown", "-R", f"{uid}:{gid}", d], check=True)
    ids.append("multi")
    r = env.swiftlet("create", "multi", cwd=d)
    s = state(env, "multi")
    t.ok(r.returncode == 0 and s.get("status") == "created", "multi-range create through newuidmap/newgidmap", r.stderr)
    if s.get("pid"):
        with open(f"/proc/{s['pid']}/uid_map") as f:
            rows = [l.split() for l in f.read().strip().split("\n")]
        t.ok(rows == [["0", str(uid), "1"], ["1", str(su[0]), str(su[1])]], "uid_map holds both ranges", str(rows))
        env.swiftlet("start", "multi")
        wait_status(env, "multi", "running")
        time.sleep(0.2)
        # After start: until its exec the init is not dumpable, so only root may open its
        # namespaces once it has switched to a subordinate uid (runc's init is the same).
        r = env.swiftlet("exec", "multi", "cat", "/proc/self/gid_map")
        rows = [l.split() for l in r.stdout.strip().split("\n")]
        t.ok(rows == [["0", str(gid), "1"], ["1", str(sg[0]), str(sg[1])]], "gid_map holds both ranges (seen by exec)", r.stdout + r.stderr)
        ids_ = status_ids(s["pid"])
        t.ok(ids_["Uid"][0] == su[0] + 999 and ids_["Gid"][0] == sg[0] + 999,
             "outside, container uid 1000 is the user's subordinate id", str(ids_))
        with open(f"/proc/{s['pid']}/status") as f:
            groups = [l for l in f if l.startswith("Groups:")][0].split()[1:]
        t.ok(sorted(int(g) for g in groups) == [sg[0] + 4, sg[0] + 99], "additionalGids set (setgroups allowed with newgidmap)", str(groups))
    env.swiftlet("delete", "--force", "multi")

    # Supplementary groups with a single-id gid mapping: setgroups is denied, say so.
    def groups_single(c):
        c["process"]["user"] = {"uid": 0, "gid": 0, "additionalGids": [0]}
    d = env.bundle("b-groups", ["true"], groups_single)
    r = env.swiftlet("run", "groups", cwd=d)
    t.ok(r.returncode != 0 and "setgroups" in r.stderr, "additionalGids with a single gid mapping: a clear error", r.stderr)

    # Own network namespace: only loopback, up.
    def with_netns(c):
        c["linux"]["namespaces"].append({"type": "network"})
    d = env.bundle("b-net", ["sh", "-c", "ip -o link; ip -o addr show lo"], with_netns)
    r = env.swiftlet("run", "net", cwd=d)
    links = [l for l in r.stdout.split("\n") if ": " in l and "link/" in l]
    t.ok(r.returncode == 0 and len(links) == 1 and " lo: " in links[0] and ",UP" in links[0] and "127.0.0.1" in r.stdout,
         "private network namespace with loopback up", r.stdout + r.stderr)

    # Mounts a user namespace cannot make as written.
    def root_style_mounts(c):
        for m in c["mounts"]:
            if m["destination"] == "/sys":
                m.update(type="sysfs", source="sysfs", options=["nosuid", "noexec", "nodev", "ro"])
            if m["destination"] == "/dev/pts":
                m["options"] = m["options"] + ["gid=5"]
    d = env.bundle("b-mounts", ["sh", "-c", "ls /sys/kernel >/dev/null && grep -E ' /sys | /dev/pts ' /proc/self/mounts"],
                   root_style_mounts)
    r = env.swiftlet("run", "mounts", cwd=d)
    t.ok(r.returncode == 0 and " /sys sysfs " in r.stdout, "sysfs without an owned network namespace: the host's bound instead", r.stdout + r.stderr)
    t.ok(r.returncode == 0 and " /dev/pts devpts " in r.stdout and "gid=5" not in r.stdout, "devpts gid=5 unmapped: dropped", r.stdout + r.stderr)

    def with_netns_sysfs(c):
        root_style_mounts(c)
        with_netns(c)
    d = env.bundle("b-mounts2", ["sh", "-c", "ls /sys/class/net"], with_netns_sysfs)
    r = env.swiftlet("run", "mounts2", cwd=d)
    t.ok(r.returncode == 0 and r.stdout.split() == ["lo"], "sysfs with its own network namespace: a fresh sysfs (only lo)", r.stdout + r.stderr)

    # Resource limits without a cgroup: a warning, not a failure.
    def limits(c):
        c["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 100}}
    d = env.bundle("b-limits", ["true"], limits)
    r = env.swiftlet("run", "limits", cwd=d)
    t.ok(r.returncode == 0 and "linux.resources" in r.stderr, "linux.resources without a cgroup: warned and skipped", r.stderr)

    # A delegated cgroup v2 subtree (the user owns it; its shell starts inside it).
    delegated_test(t, env, ids, limits)


def delegated_test(t, env, ids, limits):
    unified = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            sep = parts.index("-")
            if parts[sep + 1] == "cgroup2":
                unified = parts[4]
                break
    if unified is None:
        t.skip("delegated cgroup v2 subtree", "no cgroup2 mount")
        return
    with open("/proc/self/cgroup") as f:
        mine = [l.strip()[3:] for l in f if l.startswith("0::")][0]
    d = os.path.join(unified + mine, f"swiftlet-rootless-{os.getpid()}")
    os.mkdir(d)
    env.delegated = d
    for name in ["", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"]:
        p = os.path.join(d, name)
        if os.path.exists(p):
            os.chown(p, env.uid, env.gid)
    b = env.bundle("b-deleg", ["sh", "-c", "cat /proc/self/cgroup"], limits)
    r = env.swiftlet("create", "deleg", cwd=b, cgroup=d)
    ids.append("deleg")
    s = state(env, "deleg")
    inside = os.path.join(d, "deleg")
    members = open(os.path.join(inside, "cgroup.procs")).read().split() if os.path.isdir(inside) else []
    t.ok(r.returncode == 0 and str(s.get("pid")) in members, "delegated cgroup v2: the container gets its own cgroup there",
         r.stderr + str(s) + str(members))
    r = env.swiftlet("exec", "deleg", "cat", "/proc/self/cgroup", cgroup=d)
    t.ok(r.returncode == 0 and any(l.startswith("0::") and l.endswith("/deleg") for l in r.stdout.split("\n")),
         "delegated cgroup v2: exec joins it", r.stdout + r.stderr)
    r = env.swiftlet("exec", "deleg", "true")
    t.ok(r.returncode == 0 and "cannot move" in r.stderr,
         "delegated cgroup v2, exec from a cgroup outside it: a warning, not a failure", r.stdout + r.stderr)
    env.swiftlet("start", "deleg")
    wait_status(env, "deleg", "stopped")
    r = env.swiftlet("delete", "deleg")
    t.ok(r.returncode == 0 and not os.path.exists(inside), "delegated cgroup v2: delete removes it", r.stderr)


if __name__ == "__main__":
    sys.exit(main())
