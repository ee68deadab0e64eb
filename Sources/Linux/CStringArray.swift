// A NULL-terminated array of C strings (argv, envp) that owns its memory.
#if canImport(Glibc)
import Glibc
#endif

public final class CStringArray {
    public private(set) var pointers: [UnsafeMutablePointer<CChar>?]

    public init(_ strings: [String]) {
        pointers = strings.map { strdup($0) }
        pointers.append(nil)
    }

    deinit {
        for p in pointers { free(p) }
    }

    public func withPointer<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
        try pointers.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}
