// Readers for the stat file formats both cgroup versions share.
#if canImport(Glibc)
import Glibc
#endif
import Linux

enum StatsParsing {
    /// Reads `dir`/`file`, or nil when the file does not exist (a knob this kernel or
    /// controller lacks).
    static func optionalRead(_ dir: String, _ file: String) throws -> String? {
        do {
            return try CgroupFiles.read(dir, file)
        } catch let error as SyscallError where error.errno == ENOENT {
            return nil
        }
    }

    static func optionalUInt(_ dir: String, _ file: String) throws -> UInt64? {
        guard let text = try optionalRead(dir, file) else { return nil }
        guard let value = CgroupTree.parseUInt(text) else {
            throw CgroupError("parse \(CgroupFiles.join(dir, file)): \"\(text.trimmed)\" is not a number")
        }
        return value
    }

    /// "0-3,8,10-11" → [0, 1, 2, 3, 8, 10, 11].
    static func cpuList(_ text: String) -> [UInt16] {
        var result: [UInt16] = []
        for part in text.trimmed.split(separator: ",") {
            let bounds = part.split(separator: "-")
            if bounds.count == 2, let low = UInt16(bounds[0]), let high = UInt16(bounds[1]), low <= high {
                result += Array(low...high)
            } else if bounds.count == 1, let single = UInt16(bounds[0]) {
                result.append(single)
            }
        }
        return result
    }

    /// blkio stat lines "8:0 Read 1282048" or "8:0 6792"; the "Total N" line is skipped.
    static func blkioEntries(_ text: String) -> [CgroupStats.BlkioEntry] {
        var entries: [CgroupStats.BlkioEntry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split { $0 == " " || $0 == ":" }
            guard fields.count == 3 || fields.count == 4,
                  let major = UInt64(fields[0]), let minor = UInt64(fields[1]),
                  let value = UInt64(fields[fields.count - 1]) else { continue }
            entries.append(CgroupStats.BlkioEntry(major: major, minor: minor,
                                                 op: fields.count == 4 ? String(fields[2]) : "", value: value))
        }
        return entries
    }

    /// Huge page sizes the kernel offers, named as the hugetlb controller names them
    /// ("2MB", "1GB"), from the hugepages-<N>kB directories.
    static func hugePageSizes(in dir: String = "/sys/kernel/mm/hugepages") -> [String] {
        guard let names = try? CgroupFiles.subdirectories(dir) else { return [] }
        return names.compactMap { name -> String? in
            guard name.hasPrefix("hugepages-"), name.hasSuffix("kB"),
                  let kilobytes = Int(name.dropFirst("hugepages-".count).dropLast(2)) else { return nil }
            return hugePageSizeName(kilobytes: kilobytes)
        }
    }

    static func hugePageSizeName(kilobytes: Int) -> String {
        if kilobytes >= 1 << 20 { return "\(kilobytes >> 20)GB" }
        if kilobytes >= 1 << 10 { return "\(kilobytes >> 10)MB" }
        return "\(kilobytes)KB"
    }
}
