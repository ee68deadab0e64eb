"""Concurrency: many containers through their whole life in parallel, one id claimed by many
creates at once, and delete racing kill and exec. Each ends with a leak check."""

import random
import time
from concurrent.futures import ThreadPoolExecutor

import leakcheck

CRASH_WORDS = ("Fatal error", "Segmentation", "Illegal instruction", "Assertion", "panic", "Backtrace")


def unclear(result):
    """Why a failed command's error is not a clear one (None when it is)."""
    if result.code == "timeout":
        return "hung"
    if isinstance(result.code, int) and result.code < 0:
        return "died of signal %d" % -result.code
    text = result.err.strip()
    if not text:
        return "failed without a message"
    if any(w in text for w in CRASH_WORDS):
        return "crashed"
    return None


def lifecycle(env, cid):
    rt = env.runtime
    problems = []
    for args in (["create", "--bundle", env.bundle, cid], ["start", cid], ["delete", "--force", cid]):
        r = rt.run(*args, timeout=60)
        if not r.ok:
            problems.append(str(r))
            if args[0] != "delete":
                rt.run("delete", "--force", cid)
            break
    return problems


def cycle(env, report, count, parallel):
    ids = [env.new_id("cycle") for _ in range(count)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        results = list(pool.map(lambda cid: lifecycle(env, cid), ids))
    seconds = time.monotonic() - started
    problems = [p for r in results for p in r]
    ls = env.runtime.run("list", "-q")
    if not ls.ok or ls.out.strip():
        problems.append("list after the cycle: " + str(ls))
    leaks = leakcheck.wait_clean(env)
    problems += leaks.lines()
    if leaks:
        leakcheck.force_clean(env, leaks)
    failed = sum(1 for r in results if r)
    report.check("concurrency: %d containers created, started, deleted at parallelism %d" % (count, parallel),
                 problems, "%d failed, %.1f s, %.1f containers/s" % (failed, seconds, count / seconds))
    return count - failed


def same_id(env, report, racers=10):
    rt = env.runtime
    cid = env.new_id("same")
    procs = []
    outs = []
    import tempfile
    for _ in range(racers):
        out = tempfile.TemporaryFile()
        outs.append(out)
    # All of them forked before any can finish (create takes tens of ms).
    procs = [rt.spawn("create", "--bundle", env.bundle, cid, out=o) for o in outs]
    codes = [p.wait(timeout=60) for p in procs]
    texts = []
    for o in outs:
        o.seek(0)
        texts.append(o.read().decode(errors="replace").strip())
        o.close()
    problems = []
    winners = [i for i, c in enumerate(codes) if c == 0]
    if len(winners) != 1:
        problems.append("%d creates succeeded (want exactly 1): codes %s" % (len(winners), codes))
    for i, c in enumerate(codes):
        if c != 0 and "already exists" not in texts[i]:
            problems.append("loser %d: exit %s, no \"already exists\" error: %r" % (i, c, texts[i]))
    # The winner's container must be whole: created, startable, exec-able, deletable.
    st = rt.run("state", cid)
    if not st.ok or '"status": "created"' not in st.out:
        problems.append("winner's state: " + str(st))
    for args in (["start", cid], ["exec", cid, "true"], ["delete", "--force", cid]):
        r = rt.run(*args)
        if not r.ok:
            problems.append("winner: " + str(r))
    leaks = leakcheck.wait_clean(env)
    problems += leaks.lines()
    if leaks:
        leakcheck.force_clean(env, leaks)
    report.check("concurrency: %d concurrent creates of one id: exactly one wins, the others say \"already exists\""
                 % racers, problems, "exit codes %s" % codes)


def delete_races(env, report, rounds=12):
    """delete --force of a running container while kill and exec hit it."""
    rt = env.runtime
    problems = []
    outcomes = {}
    rng = random.Random(11)
    for n in range(rounds):
        cid = env.new_id("race")
        for args in (["create", "--bundle", env.bundle, cid], ["start", cid]):
            r = rt.run(*args)
            if not r.ok:
                problems.append("round %d: prepare: %s" % (n, r))
        jobs = [["delete", "--force", cid], ["kill", cid, "KILL"], ["kill", cid, "TERM"],
                ["exec", cid, "true"], ["exec", cid, "sleep", "5"], ["delete", cid]]
        rng.shuffle(jobs)

        def go(args, delay):
            time.sleep(delay)
            return args, rt.run(*args, timeout=30)
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = list(pool.map(lambda a: go(a, rng.random() * 0.02), jobs))
        for args, r in results:
            key = "%s %s" % (args[0], args[1] if args[1].startswith("-") else "")
            outcomes.setdefault(key.strip(), set()).add("ok" if r.ok else "error")
            if args[:2] == ["delete", "--force"] and not r.ok:
                problems.append("round %d: %s" % (n, r))
            elif args[0] == "exec" and r.code in (128 + 9, 128 + 15) and not r.err.strip():
                pass  # the exec'd process itself was killed by the delete or a kill: its status
            elif not r.ok and unclear(r):
                problems.append("round %d: %s: %s" % (n, unclear(r), r))
        # Whatever the order, delete --force has run: the container is gone.
        if rt.run("state", cid).ok:
            problems.append("round %d: %s still exists after delete --force" % (n, cid))
            rt.run("delete", "--force", cid)
        leaks = leakcheck.wait_clean(env, seconds=6)
        if leaks:
            problems.append("round %d: left behind:" % n)
            problems += ["  " + line for line in leaks.lines()]
            leakcheck.force_clean(env, leaks)
    summary = ", ".join("%s: %s" % (k, "/".join(sorted(v))) for k, v in sorted(outcomes.items()))
    report.check("concurrency: delete --force racing kill, exec and delete (%d rounds): no hang, clear errors, no leak"
                 % rounds, problems, summary)


def run(env, report, count=200, parallel=8):
    cycled = cycle(env, report, count, parallel)
    same_id(env, report)
    delete_races(env, report)
    return cycled
