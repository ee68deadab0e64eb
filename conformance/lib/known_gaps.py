"""Tests swiftlet is known to fail, each with the reason and where the work is tracked.

A listed test that fails is reported as TAP `not ok ... # TODO reason`: not a pass, not a
failure of the run. A listed test that passes is flagged so the entry gets removed. Anything
not listed that fails makes the run fail. runc's documented deviations (the `runc=` notes on
the tests) work the same way when the runtime under test is runc.
"""

SWIFTLET = {
    "delete_created":
        "deliberate: like runc (1.1.5 and 1.5), delete kills and removes a created container "
        "without --force; containerd's runc shim deletes never-started tasks that way, so "
        "following the spec here would break engines.",
    "resources_memory_kernel":
        "deliberate: like runc 1.5, linux.resources.memory.kernel and kernelTCP are ignored "
        "(the kernel deprecated kmem limits; cgroup v2 has none).",
}

# Failures of the rootless pass only (python3 conformance/run.py --rootless); the root
# pass's entries above apply there too.
TIME_NS_ROOTLESS = ("rootless, a new time namespace fails with EPERM: swiftlet's stage 1 unshares it (to write "
                    "timens_offsets before any process enters) while still in the caller's user namespace, where an "
                    "unprivileged user lacks CAP_SYS_ADMIN; it has to be unshared after the new user namespace "
                    "exists, as runc 1.2+'s nsexec does. Root pass unaffected.")
SWIFTLET_ROOTLESS = {
    "ns_time": TIME_NS_ROOTLESS,
    "features_namespaces": "the listed 'time' namespace: " + TIME_NS_ROOTLESS,
}
