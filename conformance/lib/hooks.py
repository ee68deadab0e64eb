"""Hook scripts that record when and where they ran.

Each hook appends its name to <log>/order, saves its stdin (the state) to
<log>/<name>.stdin and the namespaces it runs in to <log>/<name>.ns, then runs
`body` and exits with `rc`.
"""
import json
import os

NS = ["mnt", "pid", "uts", "ipc", "net", "user", "cgroup"]


class HookLog:
    def __init__(self, ctx, dirname="hooklog"):
        self.ctx = ctx
        self.dir = ctx.path(dirname)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o777)

    def script(self, name, body="", rc=0, shell="/bin/sh", log_dir=None, path=None):
        """Writes a host-side hook script; returns its absolute path.
        log_dir/path let a container-side hook log to /out inside the rootfs."""
        d = log_dir or self.dir
        ns = "\n".join('printf "%s %%s\\n" "$(readlink /proc/self/ns/%s)" >> "%s/%s.ns"' % (n, n, d, name)
                       for n in NS)
        text = """#!%s
cat > "%s/%s.stdin"
echo %s >> "%s/order"
%s
printf '%%s\\n' "$@" > "%s/%s.args"
env > "%s/%s.env"
%s
exit %d
""" % (shell, d, name, name, d, ns, d, name, d, name, body, rc)
        p = path or self.ctx.path("hooks", name + ".sh")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o755)
        return p

    def order(self, d=None):
        try:
            with open(os.path.join(d or self.dir, "order")) as f:
                return f.read().split()
        except FileNotFoundError:
            return []

    def ran(self, name, d=None):
        return name in self.order(d)

    def state(self, name, d=None):
        with open(os.path.join(d or self.dir, name + ".stdin")) as f:
            text = f.read()
        try:
            return json.loads(text)
        except ValueError:
            raise AssertionError("hook %s got non-JSON stdin: %r" % (name, text[:300]))

    def ns(self, name, d=None):
        out = {}
        with open(os.path.join(d or self.dir, name + ".ns")) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                out[k] = v
        return out

    def file(self, name, d=None):
        try:
            with open(os.path.join(d or self.dir, name)) as f:
                return f.read()
        except FileNotFoundError:
            return None


def ns_of(pid):
    out = {}
    for n in NS:
        try:
            out[n] = os.readlink("/proc/%s/ns/%s" % (pid, n))
        except OSError:
            out[n] = None
    return out
