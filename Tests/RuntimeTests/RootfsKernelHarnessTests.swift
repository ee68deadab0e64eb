// The two halves of RootfsKernelTests: KernelFixture builds a bundle and runs the child,
// KernelChild runs RootfsSetup inside it and writes the report.
import Foundation
import OCISpec
import XCTest
@testable import Runtime

struct MountLine {
    var root: String
    var point: String
    var options: String
    var fsType: String
    var superOptions: String
}

struct KernelReport {
    let text: String

    func value(_ key: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(key + "=") {
            return String(line.dropFirst(key.count + 1))
        }
        return nil
    }

    var mountInfo: [MountLine] {
        text.split(separator: "\n").filter { $0.hasPrefix("mount=") }.compactMap { line in
            let fields = line.dropFirst(6).split(separator: " ").map(String.init)
            guard let dash = fields.firstIndex(of: "-"), fields.count > dash + 3 else { return nil }
            return MountLine(root: fields[3], point: fields[4], options: fields[5], fsType: fields[dash + 1], superOptions: fields[dash + 3])
        }
    }
}

struct KernelFixture {
    let scenario: String
    let base: String
    var bundle: String { base + "/bundle" }
    var rootfs: String { bundle + "/rootfs" }

    init(scenario: String) throws {
        guard getuid() == 0 else { throw XCTSkip("needs root (mounts, pivot_root)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { throw XCTSkip("needs unshare(1)") }
        self.scenario = scenario
        base = "/tmp/swiftlet-rootfs-\(scenario)-\(getpid())"
        try? FileManager.default.removeItem(atPath: base)
        let fm = FileManager.default
        for dir in ["bin", "etc", "proc", "sys", "dev", "tmp"] {
            try fm.createDirectory(atPath: rootfs + "/" + dir, withIntermediateDirectories: true)
        }
        if fm.fileExists(atPath: "/bin/busybox") {
            try fm.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        }
        var spec = Spec()
        spec.ociVersion = "1.3.0"
        spec.root = Root(path: "rootfs")
        spec.linux = OCISpec.Linux()
        spec.linux?.namespaces = ["pid", "network", "ipc", "uts", "mount"].map { LinuxNamespace(type: $0) }
        switch scenario {
        case "runc-spec":
            spec.mounts = Self.runcSpecMounts
            spec.linux?.maskedPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                                       "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]
            spec.linux?.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        case "userns", "cgroupns", "no-pivot":
            spec.mounts = Self.runcSpecMounts
            spec.linux?.maskedPaths = ["/proc/acpi", "/proc/keys", "/sys/firmware"]
            spec.linux?.readonlyPaths = ["/proc/sys"]
            if scenario == "userns" {
                spec.linux?.namespaces?.append(LinuxNamespace(type: "user"))
                // Only uid/gid 0 is mapped (unshare -r): gid=5 would not exist, as with
                // `runc spec --rootless`.
                spec.mounts?[2].options?.removeAll { $0 == "gid=5" }
            }
            if scenario == "cgroupns" { spec.linux?.namespaces?.append(LinuxNamespace(type: "cgroup")) }
            spec.root?.readonly = true
        case "symlink-escape":
            try fm.createDirectory(atPath: base + "/hostdir", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: base + "/data", withIntermediateDirectories: true)
            try "marker".write(toFile: base + "/data/marker", atomically: false, encoding: .utf8)
            try fm.createSymbolicLink(atPath: rootfs + "/mnt", withDestinationPath: base + "/hostdir")
            spec.mounts = [Mount(destination: "/mnt", type: "bind", source: base + "/data", options: ["rbind"])]
        case "proc-symlink":
            try fm.removeItem(atPath: rootfs + "/proc")
            try fm.createSymbolicLink(atPath: rootfs + "/proc", withDestinationPath: "/tmp")
            spec.mounts = [Mount(destination: "/proc", type: "proc", source: "proc")]
        case "bind-ro-copyup":
            try fm.createDirectory(atPath: base + "/data", withIntermediateDirectories: true)
            try "x".write(toFile: base + "/data/file", atomically: false, encoding: .utf8)
            try "a bound file".write(toFile: base + "/hostfile", atomically: false, encoding: .utf8)
            try "original content".write(toFile: rootfs + "/etc/copied", atomically: false, encoding: .utf8)
            spec.mounts = Self.runcSpecMounts.prefix(2) + [
                Mount(destination: "/data", type: "bind", source: "../data", options: ["bind", "ro", "nosuid"]),
                Mount(destination: "/etc", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "mode=755"]),
                Mount(destination: "/hostfile", type: "none", source: base + "/hostfile", options: ["bind"]),
            ]
        default:
            XCTFail("unknown scenario \(scenario)")
        }
        let data = try JSONEncoder().encode(spec)
        try data.write(to: URL(fileURLWithPath: bundle + "/config.json"))
    }

    static let runcSpecMounts: [Mount] = [
        Mount(destination: "/proc", type: "proc", source: "proc"),
        Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
              options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
    ]

    /// Runs the scenario in `unshare -m --propagation private` and returns the child's report.
    func run() throws -> KernelReport {
        defer { try? FileManager.default.removeItem(atPath: base) }
        let process = Foundation.Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        let selfPath = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var namespaces = ["-m", "--propagation", "private"]
        switch scenario {
        // A user namespace owning new pid, network and ipc namespaces, as a container has them:
        // proc, sysfs and mqueue can only be mounted by the namespace owning them.
        case "userns": namespaces += ["-U", "-r", "-p", "-f", "-n", "-i"]
        case "cgroupns": namespaces += ["-C"]
        default: break
        }
        process.arguments = namespaces + [selfPath, "RuntimeTests.RootfsKernelTests/testChildEntryPoint"]
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFTLET_ROOTFS_CHILD"] = scenario
        environment["SWIFTLET_ROOTFS_BUNDLE"] = bundle
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let report = try? String(contentsOfFile: base + "/report", encoding: .utf8) else {
            XCTFail("child wrote no report (exit \(process.terminationStatus)):\n\(log)")
            return KernelReport(text: "")
        }
        return KernelReport(text: report)
    }
}

/// Inside the private mount namespace: the setup, then what it produced.
struct KernelChild {
    let scenario: String
    let bundle: String

    func run() {
        let base = (bundle as NSString).deletingLastPathComponent
        // Opened before pivot_root: the host path is out of reach afterwards.
        guard let report = fopen(base + "/report", "w") else { exit(3) }
        func put(_ key: String, _ value: String) { fputs("\(key)=\(value)\n", report) }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))
            let spec = try JSONDecoder().decode(Spec.self, from: data)
            let setup = RootfsSetup(spec: spec, bundle: bundle)
            put("host has kcore", access("/proc/kcore", F_OK) == 0 ? "yes" : "no")
            try setup.prepare()
            if scenario == "symlink-escape" {
                let points = Set(mountPoints())
                let rootfs = bundle + "/rootfs"
                put("host dir mounted", points.contains(base + "/hostdir") ? "yes" : "no")
                put("rootfs copy mounted", points.contains(rootfs + base + "/hostdir") ? "yes" : "no")
                put("marker inside", FileManager.default.fileExists(atPath: rootfs + base + "/hostdir/marker") ? "present" : "missing")
            }
            try setup.pivot(noPivot: scenario == "no-pivot")
            try setup.finalize()
            for line in ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "").split(separator: "\n") {
                put("mount", String(line))
            }
            for device in ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
                           "/dev/ptmx", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/core"] {
                put(device, describe(device))
            }
            put("cwd", FileManager.default.currentDirectoryPath)
            put("/ write", access("/", W_OK) == 0 ? "writable" : (errno == EROFS ? "EROFS" : "errno \(errno)"))
            put("/proc/sys write", open("/proc/sys/kernel/hostname", O_WRONLY) >= 0 ? "writable" : (errno == EROFS ? "EROFS" : "errno \(errno)"))
            if scenario == "bind-ro-copyup" {
                let fd = open("/data/file", O_WRONLY)
                put("/data/file write", fd >= 0 ? "writable" : (errno == EROFS ? "EROFS" : "errno \(errno)"))
                put("/etc/copied", (try? String(contentsOfFile: "/etc/copied", encoding: .utf8)) ?? "missing")
                put("/hostfile", (try? String(contentsOfFile: "/hostfile", encoding: .utf8)) ?? "missing")
            }
        } catch {
            put("error", "\(error)")
        }
        fclose(report)
        exit(0)
    }

    func mountPoints() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : nil
        }
    }

    func describe(_ path: String) -> String {
        var st = stat()
        guard lstat(path, &st) == 0 else { return "missing" }
        switch st.st_mode & S_IFMT {
        case S_IFLNK:
            return "-> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
        case S_IFCHR:
            return "c \(major(st.st_rdev)):\(minor(st.st_rdev)) \(String(st.st_mode & 0o7777, radix: 8))"
        default:
            return "mode \(String(st.st_mode, radix: 8))"
        }
    }

    func major(_ dev: dev_t) -> UInt64 { (UInt64(dev) >> 8) & 0xfff | ((UInt64(dev) >> 32) & ~0xfff) }
    func minor(_ dev: dev_t) -> UInt64 { (UInt64(dev) & 0xff) | ((UInt64(dev) >> 12) & ~0xff) }
}
