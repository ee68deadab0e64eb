"""runtime-linux.md: file descriptors and /dev symlinks."""
import os

from lib.framework import test


@test("fds_only_stdio", ["rtl.fds"], "an extra fd open in the caller does not reach the process")
def _(t):
    b = t.bundle(["ls", "/proc/self/fd"])
    leak = os.open(t.path("leak"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        os.set_inheritable(leak, True)
        cid = t.create_ok(b, pass_fds=(leak,))
    finally:
        os.close(leak)
    pid = t.state(cid)["pid"]
    t.start_ok(cid)
    t.wait_exit(pid)
    t.wait_status(cid, "stopped")
    with open(b.stdout) as f:
        fds = sorted(int(x) for x in f.read().split())
    # ls itself holds one more fd: the directory it is reading.
    t.eq(fds, [0, 1, 2, 3], "fds open in the process (3 is ls's own directory fd)")


@test("dev_symlinks", ["rtl.dev-symlinks"], "/dev/fd, /dev/stdin, /dev/stdout, /dev/stderr")
def _(t):
    _, _, out = t.run_script("for l in fd stdin stdout stderr; do echo $l=$(readlink /dev/$l); done")
    got = dict(line.split("=", 1) for line in out.split())
    t.eq(got, {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
               "stderr": "/proc/self/fd/2"}, "symlink targets")
