// The OCI resources are shaped after cgroup v1; these turn them into cgroup v2 values the way
// runc 1.5 does, so a container gets the same limits whichever runtime starts it.
#if canImport(Glibc)
import Glibc
#endif

public enum ResourceConversions {
    /// cpu.shares [2, 262144] (default 1024) → cpu.weight [1, 10000] (default 100); 0 stays
    /// "unset". runc 1.5 uses a quadratic fit in log2 space that maps min, default and max
    /// exactly (2 → 1, 1024 → 100, 262144 → 10000), replacing the older linear
    /// 1 + ((shares - 2) * 9999) / 262142, which sent the default 1024 to 39.
    public static func cpuWeight(fromShares shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        if shares <= 2 { return 1 }
        if shares >= 262_144 { return 10_000 }
        let l = log2(Double(shares))
        let exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0
        return UInt64(ceil(pow(10, exponent)))
    }

    /// blkio.weight [10, 1000] → io.weight [1, 10000], linearly; 0 stays "unset".
    public static func ioWeight(fromBlkioWeight weight: UInt16) -> UInt64 {
        if weight == 0 { return 0 }
        // Weights below 10 are invalid for blkio; clamp so the subtraction cannot wrap.
        let clamped = UInt64(max(weight, 10))
        return 1 + (clamped - 10) * 9999 / 990
    }

    /// linux.resources.memory.swap is memory+swap (the v1 memsw limit); cgroup v2's
    /// memory.swap.max is swap alone. -1 means unlimited, 0 unset.
    public static func swapOnly(memorySwap: Int64, memory: Int64) throws -> Int64 {
        switch true {
        case memory == -1 && memorySwap == 0:
            // v1 compatibility: "memory unlimited" with no swap given unlimits both.
            return -1
        case memorySwap == -1, memorySwap == 0:
            return memorySwap
        case memory == -1:
            return memorySwap
        case memory == 0:
            throw CgroupError(field: "linux.resources.memory.swap", "unable to set swap limit without memory limit")
        case memory < 0:
            throw CgroupError(field: "linux.resources.memory.limit", "invalid memory value: \(memory)")
        case memorySwap < memory:
            throw CgroupError(field: "linux.resources.memory.swap",
                              "memory+swap limit (\(memorySwap)) should be >= memory limit (\(memory))")
        default:
            return memorySwap - memory
        }
    }

    /// The inverse for reporting: a v2 swap-only limit as the v1-style memory+swap figure.
    public static func memorySwap(fromSwapOnly swap: UInt64, memory: UInt64) -> UInt64 {
        if swap == UInt64.max || memory == UInt64.max { return UInt64.max }
        let (sum, overflow) = swap.addingReportingOverflow(memory)
        return overflow ? UInt64.max : sum
    }

    /// cpu.max content ("quota period", "max period") or nil when neither is set. A quota of
    /// 0 or less means no limit; the period defaults to the kernel's 100000 µs.
    public static func cpuMax(quota: Int64?, period: UInt64?) -> String? {
        let quota = quota ?? 0
        let period = period ?? 0
        if quota == 0 && period == 0 { return nil }
        let quotaText = quota > 0 ? String(quota) : "max"
        return "\(quotaText) \(period == 0 ? 100_000 : period)"
    }

    /// pids.max content: a positive limit as is, 0 as "1" (systemd cannot express 0 and runc
    /// keeps both drivers alike), negative as "max".
    public static func pidsMax(limit: Int64) -> String {
        if limit > 0 { return String(limit) }
        if limit == 0 { return "1" }
        return "max"
    }

    /// A v2 memory knob (memory.max, memory.low, memory.swap.max): -1 is "max", 0 is unset.
    public static func memoryLimitText(_ value: Int64) -> String? {
        switch value {
        case 0: return nil
        case -1: return "max"
        default: return String(value)
        }
    }
}
