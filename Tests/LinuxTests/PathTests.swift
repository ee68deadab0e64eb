import Foundation
import XCTest
@testable import Linux

final class LexicalPathTests: XCTestCase {
    func testComponentsFoldDotsAndNeverClimbAboveTheStart() {
        XCTAssertEqual(LexicalPath.components("/dev//pts/../shm/"), ["dev", "shm"])
        XCTAssertEqual(LexicalPath.components("/../../etc"), ["etc"])
        XCTAssertEqual(LexicalPath.components("a/./b"), ["a", "b"])
        XCTAssertEqual(LexicalPath.components("/"), [])
        XCTAssertEqual(LexicalPath.clean(""), "/")
        XCTAssertEqual(LexicalPath.clean("run/"), "/run")
    }

    func testSplitsOnTheSlashByteAsTheKernelDoes() {
        // A combining mark after `/` makes one Character of both; the kernel still splits there.
        XCTAssertEqual(LexicalPath.components("a/\u{301}b"), ["a", "\u{301}b"])
        XCTAssertEqual(LexicalPath.components("/é/../ü/"), ["ü"])
        // Only the bytes `.` and `..` fold; `...` and `.x` are names.
        XCTAssertEqual(LexicalPath.components("/.../.x/./.."), ["..."])
        XCTAssertEqual(LexicalPath.parts("//a//b/"), ["a", "b"])
        XCTAssertEqual(LexicalPath.parts(""), [])
    }

    func testCleanPathsComeBackAsTheyAreAndOthersAreCleaned() {
        for clean in ["/", "/a", "/dev/pts", "/a/.b/..c/...", "/a.", "/é/ü"] {
            XCTAssertTrue(LexicalPath.isClean(clean), clean)
            XCTAssertEqual(LexicalPath.clean(clean), clean)
        }
        for (dirty, cleaned) in [("", "/"), ("a", "/a"), ("/a/", "/a"), ("//a", "/a"), ("/a//b", "/a/b"),
                                 ("/./a", "/a"), ("/a/.", "/a"), ("/a/..", "/"), ("/../a", "/a"), ("/a/../b/", "/b")] {
            XCTAssertFalse(LexicalPath.isClean(dirty), dirty)
            XCTAssertEqual(LexicalPath.clean(dirty), cleaned, dirty)
        }
    }

    func testInsideComparesWholeComponents() {
        XCTAssertTrue(LexicalPath.isInside("/proc", "/proc"))
        XCTAssertTrue(LexicalPath.isInside("/proc", "/proc/sys"))
        XCTAssertFalse(LexicalPath.isInside("/proc", "/procfs"))
        XCTAssertTrue(LexicalPath.isInside("/", "/anything"))
        XCTAssertEqual(LexicalPath.strip(root: "/a/b", "/a/b/c/d"), "/c/d")
        XCTAssertEqual(LexicalPath.strip(root: "/a/b", "/a/b"), "/")
        XCTAssertNil(LexicalPath.strip(root: "/a/b", "/a/bc"))
    }

    func testJoinParentBaseAbsolute() {
        XCTAssertEqual(LexicalPath.join("/r", "/x/../y"), "/r/y")
        XCTAssertEqual(LexicalPath.join("/r/", "z"), "/r/z")
        XCTAssertEqual(LexicalPath.join("/r", "/"), "/r")
        XCTAssertEqual(LexicalPath.parent("/a/b/c"), "/a/b")
        XCTAssertEqual(LexicalPath.baseName("/sys/fs/cgroup/cpu,cpuacct"), "cpu,cpuacct")
        XCTAssertEqual(LexicalPath.absolute("data", from: "/bundle"), "/bundle/data")
        XCTAssertEqual(LexicalPath.absolute("../data", from: "/b/bundle"), "/b/bundle/../data")
        XCTAssertEqual(LexicalPath.absolute("/abs", from: "/bundle"), "/abs")
    }
}

final class MountInfoTests: XCTestCase {
    func testParsesFieldsOptionalTagsAndEscapes() throws {
        let text = """
            36 35 98:0 /mnt1 /mnt\\0402 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue
            27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
            """
        let entries = try MountInfo.parse(text)
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries[0], MountInfoEntry(id: 36, parentID: 35, root: "/mnt1", mountPoint: "/mnt 2",
                                                  mountOptions: "rw,noatime", optionalFields: ["master:1", "shared:7"],
                                                  fsType: "ext3", source: "/dev/root", superOptions: "rw,errors=continue"))
        XCTAssertEqual(entries[1].optionalFields, [])
        XCTAssertEqual(entries[1].mountPoint, "/")
    }

    func testMalformedLineIsNamed() {
        XCTAssertThrowsError(try MountInfo.parse("1 2 3\n")) { error in
            XCTAssertEqual("\(error)", "/proc/self/mountinfo: malformed line 1: 1 2 3")
        }
    }

    func testUnescape() {
        XCTAssertEqual(MountInfo.unescape("a\\011b\\012c\\134d"), "a\tb\nc\\d")
        XCTAssertEqual(MountInfo.unescape("trailing\\04"), "trailing\\04")
        XCTAssertEqual(MountInfo.unescape("no\\9xy"), "no\\9xy")
    }

    func testThisProcessMountinfoParses() throws {
        let entries = try MountInfo.parse(try RealSyscalls().readFile("/proc/self/mountinfo"))
        XCTAssertTrue(entries.contains { $0.mountPoint == "/proc" && $0.fsType == "proc" })
    }

    func testTypeFilterKeepsExactlyTheEntriesOfThoseTypes() throws {
        let text = """
        22 1 0:21 / /sys rw - sysfs sysfs rw
        30 22 0:26 / /sys/fs/cgroup/memory rw shared:5 - cgroup cgroup rw,memory
        31 22 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
        40 1 0:30 / /a\\040-\\040b rw master:2 - cgroup-like x rw
        41 1 0:31 / /c rw - tmpfs tmpfs rw
        """
        let all = try MountInfo.parse(text)
        let only = MountInfo.parseSkippingMalformed(text, fsTypes: ["cgroup", "cgroup2"])
        XCTAssertEqual(only, all.filter { $0.fsType == "cgroup" || $0.fsType == "cgroup2" })
        XCTAssertEqual(only.map(\.mountPoint), ["/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"])
        let host = try RealSyscalls().readFile("/proc/self/mountinfo")
        XCTAssertEqual(MountInfo.parseSkippingMalformed(host, fsTypes: ["proc", "sysfs"]),
                       try MountInfo.parse(host).filter { $0.fsType == "proc" || $0.fsType == "sysfs" })
    }
}

final class MountFlagTests: XCTestCase {
    func testStatfsFlagsBecomeMountFlags() {
        XCTAssertEqual(StatfsFlag.mountFlags(StatfsFlag.readOnly | StatfsFlag.noSuid | StatfsFlag.relatime),
                       MountFlag.readOnly | MountFlag.noSuid | MountFlag.relatime)
        // ST_RELATIME is not MS_RELATIME's bit.
        XCTAssertEqual(StatfsFlag.relatime, 0x1000)
        XCTAssertEqual(MountFlag.relatime, 0x200000)
        // No atime mode stored means strictatime.
        XCTAssertEqual(StatfsFlag.mountFlags(StatfsFlag.noDev), MountFlag.noDev | MountFlag.strictAtime)
        XCTAssertEqual(StatfsFlag.mountFlags(StatfsFlag.noAtime | StatfsFlag.noSymFollow),
                       MountFlag.noAtime | MountFlag.noSymFollow)
    }

    func testDescribe() {
        XCTAssertEqual(MountFlag.describe(0), "0")
        XCTAssertEqual(MountFlag.describe(MountFlag.bind | MountFlag.recursive | MountFlag.readOnly), "bind|rec|rdonly")
        XCTAssertEqual(MountFlag.describe(1 << 40), "0x10000000000")
    }
}

/// RootHandle on the real kernel, in a scratch directory: openat2 and mkdirat need no root.
final class RootHandleTests: XCTestCase {
    var base = ""
    var root = ""
    let sys = RealSyscalls()

    override func setUpWithError() throws {
        base = NSTemporaryDirectory() + "swiftlet-roothandle-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        root = base + "/rootfs"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/outside", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/etc/file", contents: Data("x".utf8))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: base)
    }

    func handle() throws -> RootHandle { try RootHandle(opening: root, syscalls: sys) }


    func testAbsoluteSymlinkIsResolvedInsideTheRoot() throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/mnt", withDestinationPath: base + "/outside")
        let h = try handle()
        defer { h.close() }
        let fd = try h.mkdirAll("/mnt/sub")
        defer { sys.close(fd) }
        XCTAssertEqual(try h.insidePath(of: fd, for: "/mnt/sub"), LexicalPath.clean(base + "/outside/sub"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + base + "/outside/sub"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: base + "/outside/sub"))
    }

    func testDotDotSymlinksStopAtTheRoot() throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/up", withDestinationPath: "../../../../outside")
        let h = try handle()
        defer { h.close() }
        let fd = try h.mkdirAll("/up")
        defer { sys.close(fd) }
        XCTAssertEqual(try h.insidePath(of: fd, for: "/up"), "/outside")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/outside"))
    }

    func testCreateFileThroughADanglingSymlinkCreatesItsTargetInside() throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/resolv.conf", withDestinationPath: "/run/resolv.conf")
        let h = try handle()
        defer { h.close() }
        let fd = try h.createFile("/etc/resolv.conf")
        defer { sys.close(fd) }
        XCTAssertEqual(try h.insidePath(of: fd, for: "/etc/resolv.conf"), "/run/resolv.conf")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/run/resolv.conf"))
    }

    func testCreateFileRefusesAnExistingFile() throws {
        let h = try handle()
        defer { h.close() }
        XCTAssertThrowsError(try h.createFile("/etc/file")) { error in
            XCTAssertEqual((error as? SyscallError)?.errno, EEXIST)
        }
    }

    func testAFileInThePathIsNotADirectory() throws {
        let h = try handle()
        defer { h.close() }
        XCTAssertThrowsError(try h.mkdirAll("/etc/file/sub")) { error in
            XCTAssertTrue("\(error)".contains("not a directory"), "\(error)")
        }
    }

    func testSymlinkLoopIsRefused() throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/a", withDestinationPath: "b")
        try FileManager.default.createSymbolicLink(atPath: root + "/b", withDestinationPath: "a")
        let h = try handle()
        defer { h.close() }
        XCTAssertThrowsError(try h.mkdirAll("/a/x"))
    }

    func testSymlinkAndUnlinkInsideTheRoot() throws {
        let h = try handle()
        defer { h.close() }
        try h.symlink("pts/ptmx", at: "/dev/ptmx")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/dev/ptmx"), "pts/ptmx")
        try h.unlink("/dev/ptmx")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/dev/ptmx"))
    }

    func testOpenLocatedNamesASymlinkFreePathItselfAndLeavesASymlinkToTheKernel() throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/mnt", withDestinationPath: "/etc")
        let h = try handle()
        defer { h.close() }
        let plain = try h.openLocated("/./etc//")
        defer { sys.close(plain.fd) }
        XCTAssertEqual(plain.inside, "/etc")
        XCTAssertEqual(try h.insidePath(of: plain.fd, for: "/etc"), "/etc")
        let linked = try h.openLocated("/mnt")
        defer { sys.close(linked.fd) }
        XCTAssertNil(linked.inside)
        XCTAssertEqual(try h.insidePath(of: linked.fd, for: "/mnt"), "/etc")
        XCTAssertThrowsError(try h.openLocated("/missing")) { error in
            XCTAssertEqual((error as? SyscallError)?.errno, ENOENT)
        }
    }

    func testMkdirAllLocatedMakesOneDirectoryUnderAPlainParent() throws {
        let h = try handle()
        defer { h.close() }
        let made = try h.mkdirAllLocated("/etc/new", knownMissing: true)
        defer { sys.close(made.fd) }
        XCTAssertEqual(made.inside, "/etc/new")
        XCTAssertEqual(try h.insidePath(of: made.fd, for: "/etc/new"), "/etc/new")
        let deeper = try h.mkdirAllLocated("/a/b/c")
        defer { sys.close(deeper.fd) }
        XCTAssertEqual(deeper.inside, "/a/b/c")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/a/b/c"))
    }

    func testMkdirAllFollowsADanglingSymlinkAtTheEndInsideTheRoot() throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/link", withDestinationPath: "/srv/made")
        let h = try handle()
        defer { h.close() }
        let made = try h.mkdirAllLocated("/etc/link")
        defer { sys.close(made.fd) }
        XCTAssertNil(made.inside)
        XCTAssertEqual(try h.insidePath(of: made.fd, for: "/etc/link"), "/srv/made")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/srv/made"))
    }

    func testLocatingAPlainPathAsksTheKernelNothing() throws {
        let fake = RecordingSyscalls()
        fake.addDirectory("/r/proc")
        fake.addSymlink("/r/run", target: "/var/run")
        let h = try RootHandle(opening: "/r", syscalls: fake)
        let before = fake.fdPathReads
        let proc = try h.openLocated("/proc")
        let pts = try h.mkdirAllLocated("/dev/pts")
        XCTAssertEqual(proc.inside, "/proc")
        XCTAssertEqual(pts.inside, "/dev/pts")
        XCTAssertEqual(fake.fdPathReads, before)
        let run = try h.mkdirAllLocated("/run/lock")
        XCTAssertNil(run.inside)
        XCTAssertEqual(try h.insidePath(of: run.fd, for: "/run/lock"), "/var/run/lock")
        for fd in [proc.fd, pts.fd, run.fd] { fake.close(fd) }
        h.close()
        XCTAssertEqual(fake.openDescriptors, [])
    }

    func testRecordingSyscallsAgreeWithTheKernelOnSymlinks() throws {
        // The fake resolves like RESOLVE_IN_ROOT, so setup tests against it mean something.
        let fake = RecordingSyscalls()
        fake.addDirectory("/r/etc")
        fake.addSymlink("/r/mnt", target: "/srv/data")
        fake.addSymlink("/r/up", target: "../../x")
        let h = try RootHandle(opening: "/r", syscalls: fake)
        let a = try h.mkdirAll("/mnt")
        let b = try h.mkdirAll("/up/y")
        XCTAssertEqual(try h.insidePath(of: a, for: "/mnt"), "/srv/data")
        XCTAssertEqual(try h.insidePath(of: b, for: "/up/y"), "/x/y")
        fake.close(a)
        fake.close(b)
        h.close()
        XCTAssertEqual(fake.openDescriptors, [])
    }
}
