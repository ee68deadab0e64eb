"""A damaged state.json: every command that reads it fails with a clear error that names the
state file, `list` still works, and `delete --force` still removes everything, the cgroup and
the processes included (found through recovery.json). With recovery.json gone as well the
cgroup cannot be known: delete --force must then say so."""

import os

import leakcheck
from concurrency import unclear

DAMAGE = {
    "truncated": lambda text: text[: len(text) // 2],
    "empty": lambda text: "",
    "garbage": lambda text: "\x00\xff\x13not json at all",
    "wrong type": lambda text: "[1, 2, 3]",
    "missing fields": lambda text: '{"id": "x"}',
    "deleted": None,
}


def damage(env, cid, how):
    path = os.path.join(env.root, cid, "state.json")
    with open(path) as f:
        text = f.read()
    if DAMAGE[how] is None:
        os.unlink(path)
    else:
        with open(path, "w") as f:
            f.write(DAMAGE[how](text))


def prepare(env, cid, running):
    rt = env.runtime
    problems = []
    steps = [["create", "--bundle", env.bundle, cid]] + ([["start", cid]] if running else [])
    for args in steps:
        r = rt.run(*args)
        if not r.ok:
            problems.append("prepare: " + str(r))
    return problems


def check_readers(env, cid):
    """state, start, kill and plain delete fail clearly; list neither fails nor shows it."""
    rt = env.runtime
    problems = []
    for args in (["state", cid], ["start", cid], ["kill", cid, "KILL"], ["delete", cid], ["exec", cid, "true"]):
        r = rt.run(*args, timeout=15)
        if r.ok:
            problems.append("%s succeeded on a damaged state file: %s" % (args[0], r))
        elif unclear(r):
            problems.append("%s: %s: %s" % (args[0], unclear(r), r))
        elif "state.json" not in r.err:
            problems.append("%s: the error does not name the state file: %s" % (args[0], r.err.strip()))
    ls = rt.run("list")
    if not ls.ok:
        problems.append("list: " + str(ls))
    return problems


def run(env, report):
    rt = env.runtime
    for running in (False, True):
        what = "running" if running else "created"
        for how in DAMAGE:
            cid = env.new_id("state")
            problems = prepare(env, cid, running)
            if not problems:
                damage(env, cid, how)
                problems += check_readers(env, cid)
                d = rt.run("delete", "--force", cid, timeout=20)
                if not d.ok:
                    problems.append("delete --force: " + str(d))
                leaks = leakcheck.wait_clean(env)
                problems += leaks.lines()
                if leaks:
                    leakcheck.force_clean(env, leaks)
            report.check("state file %s (%s container): clear errors, delete --force cleans up" % (how, what), problems)

    # A writer killed between write and rename leaves its temp file: harmless.
    cid = env.new_id("state")
    problems = prepare(env, cid, True)
    with open(os.path.join(env.root, cid, "state.json.tmp-99999"), "w") as f:
        f.write('{"half": ')
    for args in (["state", cid], ["kill", cid, "CONT"], ["delete", "--force", cid]):
        r = rt.run(*args)
        if not r.ok:
            problems.append(str(r))
    leaks = leakcheck.wait_clean(env)
    problems += leaks.lines()
    if leaks:
        leakcheck.force_clean(env, leaks)
    report.check("leftover state.json temp file is ignored and removed with the container", problems)

    # Both files lost: the cgroup cannot be known. delete --force must still free the id and
    # say that it left the cgroup; the test then removes what was left.
    cid = env.new_id("state")
    problems = prepare(env, cid, True)
    for name in ("state.json", "recovery.json"):
        try:
            os.unlink(os.path.join(env.root, cid, name))
        except FileNotFoundError:
            problems.append("no %s to remove (does create write it?)" % name)
    d = rt.run("delete", "--force", cid, timeout=20)
    if not d.ok:
        problems.append("delete --force: " + str(d))
    elif "cgroup unknown" not in d.err:
        problems.append("delete --force does not say the cgroup is unknown: %r" % d.err.strip())
    if os.path.exists(os.path.join(env.root, cid)):
        problems.append("state dir still there")
    leaks = leakcheck.wait_clean(env, seconds=0.2)
    left = len(leaks.cgroups) + len(leaks.processes)
    leakcheck.force_clean(env, leaks)
    report.check("state.json and recovery.json both lost: delete --force frees the id and says the cgroup is unknown",
                 problems, "it left %d cgroup dirs and %d processes, as it said" % (len(leaks.cgroups), len(leaks.processes)))
    if rt.run("create", "--bundle", env.bundle, cid).ok:
        rt.run("delete", "--force", cid)
    else:
        report.fail("id reusable after the unknown-cgroup delete", "create failed")
    return left
