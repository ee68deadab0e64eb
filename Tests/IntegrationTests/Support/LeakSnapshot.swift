// What a container can leave behind on the host, found by the test's unique token (every
// container id, bundle path and temp dir of a test contains it): mounts, cgroup directories,
// state directories and processes.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct LeakSnapshot: Equatable {
    var mounts: Set<String> = []
    var cgroupDirs: Set<String> = []
    var stateEntries: Set<String> = []
    /// "pid: why it matched"
    var processes: Set<String> = []

    var isEmpty: Bool { mounts.isEmpty && cgroupDirs.isEmpty && stateEntries.isEmpty && processes.isEmpty }

    /// What `self` has that `baseline` had not.
    func subtracting(_ baseline: LeakSnapshot) -> LeakSnapshot {
        LeakSnapshot(mounts: mounts.subtracting(baseline.mounts),
                     cgroupDirs: cgroupDirs.subtracting(baseline.cgroupDirs),
                     stateEntries: stateEntries.subtracting(baseline.stateEntries),
                     processes: processes.subtracting(baseline.processes))
    }

    var report: String {
        var lines: [String] = []
        for m in mounts.sorted() { lines.append("mount: \(m)") }
        for c in cgroupDirs.sorted() { lines.append("cgroup dir: \(c)") }
        for s in stateEntries.sorted() { lines.append("state entry: \(s)") }
        for p in processes.sorted() { lines.append("process: \(p)") }
        return lines.joined(separator: "\n")
    }

    var processIDs: [pid_t] { processes.compactMap { pid_t($0.prefix { $0 != ":" }) } }

    /// - token: the test's unique string; `excluding`: pids the test runs on purpose right now.
    static func take(token: String, stateRoot: String, excluding: Set<pid_t> = []) -> LeakSnapshot {
        var snap = LeakSnapshot()
        if let info = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) {
            snap.mounts = Set(info.split(separator: "\n").map(String.init).filter { $0.contains(token) })
        }
        for root in Set(TestEnvironment.cgroupMounts().values) {
            collectDirs(under: root, named: token, depth: 0, into: &snap.cgroupDirs)
        }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: stateRoot) {
            snap.stateEntries = Set(entries.filter { $0.contains(token) }.map { stateRoot + "/" + $0 })
        }
        snap.processes = processesMentioning(token, excluding: excluding)
        return snap
    }

    private static func collectDirs(under dir: String, named token: String, depth: Int, into found: inout Set<String>) {
        guard depth < 10, let handle = opendir(dir) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = dir + "/" + name
            if name.contains(token) { found.insert(path) }
            collectDirs(under: path, named: token, depth: depth + 1, into: &found)
        }
    }

    /// Processes whose command line, environment or cgroup mentions the token. Container
    /// processes carry it in their environment (every test config sets SWIFTLET_IT_TOKEN).
    static func processesMentioning(_ token: String, excluding: Set<pid_t>) -> Set<String> {
        var found: Set<String> = []
        let me = getpid()
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        for pid in pids where pid != me && !excluding.contains(pid) {
            for file in ["cmdline", "environ", "cgroup"] {
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/\(file)"),
                      String(decoding: data, as: UTF8.self).contains(token) else { continue }
                let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
                    .map { String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "\0", with: " ") } ?? "?"
                let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?
                    .split(separator: ")").last?.split(separator: " ").map(String.init) ?? []
                let status = stat.first ?? "?"
                // An exited container process handed to the machine's init waits there to be
                // reaped (this VM's init does it lazily): gone from the container, not a leak.
                if status == "Z" && stat.count > 1 && stat[1] == "1" { break }
                found.insert("\(pid): \(file) mentions it; state \(status); cmdline \(cmd)")
                break
            }
        }
        return found
    }
}
