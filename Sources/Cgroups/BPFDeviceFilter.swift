// bpf(2) calls to load a cgroup device program and attach it to a cgroup2 directory in
// place of the one attached before. bpf_attr is a union whose members are laid out here by
// hand (offsets from linux/bpf.h), in zeroed buffers the kernel checks for trailing zeros.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux

enum BPFDeviceFilter {
    // Commands and constants from linux/bpf.h.
    static let progLoad: Int32 = 5  // BPF_PROG_LOAD
    static let progAttach: Int32 = 8  // BPF_PROG_ATTACH
    static let progDetach: Int32 = 9  // BPF_PROG_DETACH
    static let progGetFDByID: Int32 = 13  // BPF_PROG_GET_FD_BY_ID
    static let progQuery: Int32 = 16  // BPF_PROG_QUERY
    static let progTypeCgroupDevice: UInt32 = 15  // BPF_PROG_TYPE_CGROUP_DEVICE
    static let attachCgroupDevice: UInt32 = 6  // BPF_CGROUP_DEVICE
    static let flagAllowMulti: UInt32 = 2  // BPF_F_ALLOW_MULTI
    static let flagReplace: UInt32 = 4  // BPF_F_REPLACE

    /// A zeroed bpf_attr with little-endian field setters.
    struct Attr {
        var bytes: [UInt8]
        init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }
        mutating func set32(_ offset: Int, _ value: UInt32) {
            for i in 0..<4 { bytes[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) }
        }
        mutating func set64(_ offset: Int, _ value: UInt64) {
            for i in 0..<8 { bytes[offset + i] = UInt8((value >> (8 * UInt64(i))) & 0xff) }
        }
        func get32(_ offset: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
        }
    }

    static func call(_ command: Int32, _ attr: inout Attr, _ name: String) throws -> Int32 {
        while true {
            let result = attr.bytes.withUnsafeMutableBytes { swiftlet_bpf(command, $0.baseAddress, UInt32($0.count)) }
            if result >= 0 { return Int32(result) }
            if errno == EINTR { continue }
            throw SyscallError(name)
        }
    }

    static func attach(_ program: [BPFInstruction], to cgroup: String) throws {
        let dirFD = try check("open", path: cgroup) { open(cgroup, O_DIRECTORY | O_RDONLY | O_CLOEXEC) }
        defer { close(dirFD) }
        let oldIDs = try attachedPrograms(dirFD, cgroup: cgroup)
        let programFD = try load(program)
        defer { close(programFD) }

        // One old program (our previous apply): swap it atomically, so the container is
        // never briefly without a filter.
        if oldIDs.count == 1, let oldFD = try? openProgram(id: oldIDs[0]) {
            defer { close(oldFD) }
            var attr = Attr(size: 20)
            attr.set32(0, UInt32(dirFD))
            attr.set32(4, UInt32(programFD))
            attr.set32(8, attachCgroupDevice)
            attr.set32(12, flagAllowMulti | flagReplace)
            attr.set32(16, UInt32(oldFD))
            if (try? call(progAttach, &attr, "bpf(BPF_PROG_ATTACH, BPF_F_REPLACE) on \(cgroup)")) != nil { return }
        }
        // Otherwise attach beside the old ones, then detach them: allow-multi programs all
        // must allow, so the window only ever has more restrictions, never fewer.
        var attr = Attr(size: 20)
        attr.set32(0, UInt32(dirFD))
        attr.set32(4, UInt32(programFD))
        attr.set32(8, attachCgroupDevice)
        attr.set32(12, flagAllowMulti)
        _ = try call(progAttach, &attr, "bpf(BPF_PROG_ATTACH) on \(cgroup)")
        for id in oldIDs {
            // A program we may not open (another LSM-labelled manager's) only restricts more.
            guard let oldFD = try? openProgram(id: id) else { continue }
            defer { close(oldFD) }
            var detach = Attr(size: 12)
            detach.set32(0, UInt32(dirFD))
            detach.set32(4, UInt32(oldFD))
            detach.set32(8, attachCgroupDevice)
            _ = try call(progDetach, &detach, "bpf(BPF_PROG_DETACH) on \(cgroup)")
        }
    }

    /// IDs of the device programs attached to the cgroup itself.
    static func attachedPrograms(_ dirFD: Int32, cgroup: String) throws -> [UInt32] {
        var capacity = 64
        for _ in 0..<4 {
            var ids = [UInt32](repeating: 0, count: capacity)
            var attr = Attr(size: 32)
            attr.set32(0, UInt32(dirFD))
            attr.set32(4, attachCgroupDevice)
            let result: Int = ids.withUnsafeMutableBufferPointer { buffer in
                attr.set64(16, UInt64(UInt(bitPattern: buffer.baseAddress)))
                attr.set32(24, UInt32(buffer.count))
                let code = attr.bytes.withUnsafeMutableBytes { swiftlet_bpf(progQuery, $0.baseAddress, UInt32($0.count)) }
                return code < 0 ? Int(-errno) : 0
            }
            let count = Int(attr.get32(24))
            if result == 0 { return Array(ids.prefix(count)) }
            if result == -ENOSPC { capacity = max(count, capacity * 2); continue }
            if result == -EINTR { continue }
            throw SyscallError("bpf(BPF_PROG_QUERY) on \(cgroup)", errno: -Int32(result))
        }
        throw CgroupError("bpf(BPF_PROG_QUERY) on \(cgroup): the list of device programs keeps growing")
    }

    static func openProgram(id: UInt32) throws -> Int32 {
        var attr = Attr(size: 12)
        attr.set32(0, id)
        return try call(progGetFDByID, &attr, "bpf(BPF_PROG_GET_FD_BY_ID \(id))")
    }

    static func load(_ program: [BPFInstruction]) throws -> Int32 {
        let code = program.flatMap(\.bytes)
        let license = Array("Apache".utf8CString)
        var log = [CChar](repeating: 0, count: 4096)
        func attempt(logging: Bool) throws -> Int32 {
            try code.withUnsafeBufferPointer { codeBuffer in
                try license.withUnsafeBufferPointer { licenseBuffer in
                    try log.withUnsafeMutableBufferPointer { logBuffer in
                        var attr = Attr(size: 72)
                        attr.set32(0, progTypeCgroupDevice)
                        attr.set32(4, UInt32(program.count))
                        attr.set64(8, UInt64(UInt(bitPattern: codeBuffer.baseAddress)))
                        attr.set64(16, UInt64(UInt(bitPattern: licenseBuffer.baseAddress)))
                        if logging {
                            attr.set32(24, 1)
                            attr.set32(28, UInt32(logBuffer.count))
                            attr.set64(32, UInt64(UInt(bitPattern: logBuffer.baseAddress)))
                        }
                        attr.set32(68, attachCgroupDevice)
                        return try call(progLoad, &attr, "bpf(BPF_PROG_LOAD, BPF_PROG_TYPE_CGROUP_DEVICE)")
                    }
                }
            }
        }
        do {
            return try attempt(logging: false)
        } catch let error as SyscallError where error.errno == EPERM {
            // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
            var unlimited = rlimit(rlim_cur: rlim_t.max, rlim_max: rlim_t.max)
            _ = setrlimit(__rlimit_resource_t(__RLIMIT_MEMLOCK.rawValue), &unlimited)
            return try attempt(logging: false)
        } catch let error as SyscallError where error.errno == EINVAL || error.errno == EACCES {
            // The verifier refused it: load again with its log for the message.
            _ = try? attempt(logging: true)
            let verifier = log.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CgroupError("\(error)\(verifier.isEmpty ? "" : ": " + verifier.trimmed)", errno: error.errno)
        }
    }
}
