// Used only when the checkout has no scripts/mkbundle.sh: the same bundle made in Swift, a
// busybox rootfs with applet symlinks and a config.json shaped like `runc spec` with
// terminal false, so the suite does not depend on the script being merged first.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum FallbackBundle {
    static func make(at dir: String, busybox: String, outputDir: String) throws -> [String: Any] {
        let fm = FileManager.default
        let rootfs = dir + "/rootfs"
        for sub in ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys", "tmp", "root", "home",
                    "run", "var/tmp", "mnt"] {
            try fm.createDirectory(atPath: rootfs + "/" + sub, withIntermediateDirectories: true)
        }
        chmod(rootfs + "/tmp", 0o1777)
        chmod(rootfs + "/var/tmp", 0o1777)
        chmod(rootfs + "/root", 0o700)
        try fm.copyItem(atPath: busybox, toPath: rootfs + "/bin/busybox")
        chmod(rootfs + "/bin/busybox", 0o755)

        let list = try Subprocess.run([busybox, "--list-full"], outputDir: outputDir)
        guard list.succeeded else { throw SpawnError(description: "busybox --list-full: \(list)") }
        for applet in list.stdout.split(separator: "\n").map(String.init) where applet != "bin/busybox" {
            let link = rootfs + "/" + applet
            try fm.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? fm.removeItem(atPath: link)
            try fm.createSymbolicLink(atPath: link, withDestinationPath: "/bin/busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
            .write(toFile: rootfs + "/etc/passwd", atomically: false, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\n".write(toFile: rootfs + "/etc/group", atomically: false, encoding: .utf8)
        try "".write(toFile: rootfs + "/etc/hosts", atomically: false, encoding: .utf8)
        try "nameserver 127.0.0.1\n".write(toFile: rootfs + "/etc/resolv.conf", atomically: false, encoding: .utf8)
        return config
    }

    private static let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]

    static let config: [String: Any] = [
        "ociVersion": "1.0.2",
        "process": [
            "terminal": false,
            "user": ["uid": 0, "gid": 0],
            "args": ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": ["bounding": caps, "effective": caps, "permitted": caps],
            "rlimits": [["type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024]],
            "noNewPrivileges": true,
        ] as [String: Any],
        "root": ["path": "rootfs", "readonly": true],
        "hostname": "swiftlet",
        "mounts": [
            ["destination": "/proc", "type": "proc", "source": "proc"],
            ["destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]],
            ["destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]],
            ["destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]],
            ["destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]],
            ["destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]],
            ["destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]],
        ] as [[String: Any]],
        "linux": [
            "resources": ["devices": [["allow": false, "access": "rwm"]]],
            "namespaces": ["pid", "network", "ipc", "uts", "mount", "cgroup"].map { ["type": $0] },
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        ] as [String: Any],
    ]
}
