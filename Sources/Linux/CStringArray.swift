// A NULL-terminated array of C strings (argv, envp) that owns its memory.
#if canImport(Glibc)
import Glibc
#endif

public final class CStringArray {
    // Raw memory, not [UnsafeMutablePointer<CChar>?]: that array type's class metadata was
    // made at run time in every process that spawned or exec'd (~15 µs here).
    private let storage: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    public init(_ strings: [String]) {
        count = strings.count
        storage = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { storage[index] = strdup(string) }
        storage[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(storage[index]) }
        storage.deallocate()
    }

    public func withPointer<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
        try body(UnsafePointer(storage))
    }
}
