// The execution domain (personality(2)): PER_LINUX32 makes uname report a 32-bit machine,
// for 32-bit userlands on 64-bit kernels. It survives execve.
#if canImport(Glibc)
import Glibc
#endif
import CShims

public enum Personality {
    /// include/uapi/linux/personality.h
    public static let linux: UInt = 0x0000
    public static let linux32: UInt = 0x0008
    private static let query: UInt = 0xffff_ffff

    public static func set(_ persona: UInt) throws {
        try check("personality") { sl_personality(persona) }
    }

    public static func current() -> UInt {
        UInt(UInt32(bitPattern: sl_personality(query)))
    }
}
