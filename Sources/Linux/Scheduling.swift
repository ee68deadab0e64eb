// A process's CPU scheduling: policy and parameters (sched_setattr), I/O priority
// (ioprio_set) and CPU affinity (sched_setaffinity). Values are the kernel's; mapping the
// spec's names onto them is the runtime's job.
#if canImport(Glibc)
import Glibc
#endif
import CShims

/// struct sched_attr's settable fields (sched_setattr(2)).
public struct SchedulingAttributes: Equatable, Sendable {
    public var policy: UInt32
    public var flags: UInt64
    public var nice: Int32
    public var priority: UInt32
    public var runtime: UInt64
    public var deadline: UInt64
    public var period: UInt64

    public init(policy: UInt32, flags: UInt64 = 0, nice: Int32 = 0, priority: UInt32 = 0,
                runtime: UInt64 = 0, deadline: UInt64 = 0, period: UInt64 = 0) {
        self.policy = policy; self.flags = flags; self.nice = nice; self.priority = priority
        self.runtime = runtime; self.deadline = deadline; self.period = period
    }
}

/// include/uapi/linux/sched.h
public enum SchedulingPolicy {
    public static let other: UInt32 = 0
    public static let fifo: UInt32 = 1
    public static let rr: UInt32 = 2
    public static let batch: UInt32 = 3
    /// Reserved by the kernel, never implemented upstream: sched_setattr refuses it.
    public static let iso: UInt32 = 4
    public static let idle: UInt32 = 5
    public static let deadline: UInt32 = 6
}

public enum SchedulingFlag {
    public static let resetOnFork: UInt64 = 0x01
    public static let reclaim: UInt64 = 0x02
    public static let dlOverrun: UInt64 = 0x04
    public static let keepPolicy: UInt64 = 0x08
    public static let keepParams: UInt64 = 0x10
    public static let utilClampMin: UInt64 = 0x20
    public static let utilClampMax: UInt64 = 0x40
}

/// include/uapi/linux/ioprio.h
public enum IOPriorityClass {
    public static let realtime: Int32 = 1
    public static let bestEffort: Int32 = 2
    public static let idle: Int32 = 3

    /// The ioprio value: class in the top bits, level below.
    public static func value(class ioClass: Int32, level: Int32) -> Int32 { ioClass << 13 | level }
}

public enum Scheduling {
    /// pid 0 is the calling thread (the whole process when it is single-threaded).
    public static func setAttributes(_ a: SchedulingAttributes, pid: Int32 = 0) throws {
        var attr = sl_sched_attr()
        attr.size = UInt32(MemoryLayout<sl_sched_attr>.size)
        attr.sched_policy = a.policy
        attr.sched_flags = a.flags
        attr.sched_nice = a.nice
        attr.sched_priority = a.priority
        attr.sched_runtime = a.runtime
        attr.sched_deadline = a.deadline
        attr.sched_period = a.period
        try check("sched_setattr") { sl_sched_setattr(pid, &attr, 0) }
    }

    public static func attributes(pid: Int32 = 0) throws -> SchedulingAttributes {
        var attr = sl_sched_attr()
        try check("sched_getattr", path: pid == 0 ? nil : String(pid)) {
            sl_sched_getattr(pid, &attr, UInt32(MemoryLayout<sl_sched_attr>.size), 0)
        }
        return SchedulingAttributes(policy: attr.sched_policy, flags: attr.sched_flags, nice: attr.sched_nice,
                                    priority: attr.sched_priority, runtime: attr.sched_runtime,
                                    deadline: attr.sched_deadline, period: attr.sched_period)
    }

    private static let ioprioWhoProcess: Int32 = 1

    /// Of one process (0: the caller); its children inherit it.
    public static func setIOPriority(_ value: Int32, pid: Int32 = 0) throws {
        try check("ioprio_set") { sl_ioprio_set(ioprioWhoProcess, pid, value) }
    }

    public static func ioPriority(pid: Int32 = 0) throws -> Int32 {
        try check("ioprio_get", path: pid == 0 ? nil : String(pid)) { sl_ioprio_get(ioprioWhoProcess, pid) }
    }

    public static func setAffinity(_ mask: BitMask, pid: Int32 = 0) throws {
        _ = try mask.words.withUnsafeBytes { raw in
            try check("sched_setaffinity", path: pid == 0 ? nil : String(pid)) {
                sl_sched_setaffinity(pid, raw.count, raw.baseAddress)
            }
        }
    }

    /// `everyCPU`, set from a stack buffer: the init's reset after its cgroup move would
    /// otherwise be the first [UInt64] in the process, its type made at run time.
    public static func setAffinityToEveryCPU() throws {
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: everyCPUWords) { words in
            words.initialize(repeating: .max)
            _ = try check("sched_setaffinity") {
                sl_sched_setaffinity(0, words.count * MemoryLayout<UInt64>.size, words.baseAddress)
            }
        }
    }

    static let everyCPUWords = 8192 / 64

    public static func affinity(pid: Int32 = 0) throws -> BitMask {
        // The kernel refuses a buffer shorter than its CPU mask; grow until it fits.
        var words = 16
        while true {
            var buffer = [UInt64](repeating: 0, count: words)
            let n = buffer.withUnsafeMutableBytes { sl_sched_getaffinity(pid, $0.count, $0.baseAddress) }
            if n >= 0 { return BitMask(words: buffer) }
            if errno != EINVAL || words >= 1 << 14 { throw SyscallError("sched_getaffinity", path: pid == 0 ? nil : String(pid)) }
            words *= 4
        }
    }

    /// A mask wide enough for any CPU the kernel can have: sched_setaffinity clamps it to
    /// the CPUs that exist and the caller's cpuset, so it means "every CPU allowed".
    public static let everyCPU = BitMask.all(count: everyCPUWords * 64)
}
