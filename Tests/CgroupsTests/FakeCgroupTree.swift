import Foundation

/// A temporary directory shaped like cgroupfs: regular files stand in for the knobs, so a
/// test can say which knobs exist and read back what was written (the last write wins).
final class FakeCgroupTree {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fake-cgroup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    func path(_ relative: String) -> String {
        relative.isEmpty ? root : root + "/" + relative
    }

    /// Creates `dir` with each named knob holding `content`.
    @discardableResult
    func cgroup(_ dir: String, files: [String: String] = [:]) throws -> String {
        let full = path(dir)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        for (name, content) in files {
            try content.write(toFile: full + "/" + name, atomically: false, encoding: .utf8)
        }
        return full
    }

    func read(_ relative: String) -> String? {
        try? String(contentsOfFile: path(relative), encoding: .utf8)
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: path(relative))
    }
}
