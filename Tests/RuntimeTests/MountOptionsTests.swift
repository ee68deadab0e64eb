import Linux
import XCTest
@testable import Runtime

final class MountOptionsTests: XCTestCase {
    func testEveryFlagWordSetsItsFlag() {
        let cases: [(String, UInt)] = [
            ("ro", MountFlag.readOnly), ("nosuid", MountFlag.noSuid), ("nodev", MountFlag.noDev),
            ("noexec", MountFlag.noExec), ("sync", MountFlag.synchronous), ("dirsync", MountFlag.dirSync),
            ("remount", MountFlag.remount), ("mand", MountFlag.mandatoryLock), ("noatime", MountFlag.noAtime),
            ("nodiratime", MountFlag.noDirAtime), ("relatime", MountFlag.relatime),
            ("strictatime", MountFlag.strictAtime), ("lazytime", MountFlag.lazyTime), ("silent", MountFlag.silent),
            ("iversion", MountFlag.iVersion), ("nosymfollow", MountFlag.noSymFollow), ("bind", MountFlag.bind),
            ("rbind", MountFlag.bind | MountFlag.recursive),
        ]
        for (word, flag) in cases {
            let options = MountOptions(parsing: [word])
            XCTAssertEqual(options.flags, flag, word)
            XCTAssertEqual(options.clearedFlags, 0, word)
            XCTAssertEqual(options.data, [], word)
        }
    }

    func testEveryClearingWordClearsAndRemembersIt() {
        let cases: [(String, String, UInt)] = [
            ("ro", "rw", MountFlag.readOnly), ("nosuid", "suid", MountFlag.noSuid), ("nodev", "dev", MountFlag.noDev),
            ("noexec", "exec", MountFlag.noExec), ("sync", "async", MountFlag.synchronous),
            ("mand", "nomand", MountFlag.mandatoryLock), ("noatime", "atime", MountFlag.noAtime),
            ("nodiratime", "diratime", MountFlag.noDirAtime), ("relatime", "norelatime", MountFlag.relatime),
            ("strictatime", "nostrictatime", MountFlag.strictAtime), ("silent", "loud", MountFlag.silent),
            ("lazytime", "nolazytime", MountFlag.lazyTime), ("iversion", "noiversion", MountFlag.iVersion),
            ("nosymfollow", "symfollow", MountFlag.noSymFollow),
        ]
        for (set, clear, flag) in cases {
            let options = MountOptions(parsing: [set, clear])
            XCTAssertEqual(options.flags, 0, clear)
            XCTAssertEqual(options.clearedFlags, flag, clear)
            // The last word wins, and setting again forgets the clearing.
            let again = MountOptions(parsing: [clear, set])
            XCTAssertEqual(again.flags, flag, set)
            XCTAssertEqual(again.clearedFlags, 0, set)
        }
    }

    func testPropagationWordsKeepTheirOrder() {
        let options = MountOptions(parsing: ["rprivate", "bind", "shared", "rslave", "unbindable", "private",
                                             "slave", "rshared", "runbindable"])
        XCTAssertEqual(options.flags, MountFlag.bind)
        XCTAssertEqual(options.propagation, [
            MountFlag.private | MountFlag.recursive, MountFlag.shared, MountFlag.slave | MountFlag.recursive,
            MountFlag.unbindable, MountFlag.private, MountFlag.slave, MountFlag.shared | MountFlag.recursive,
            MountFlag.unbindable | MountFlag.recursive,
        ])
    }

    func testRecursiveAttributes() {
        let options = MountOptions(parsing: ["rro", "rnosuid", "rnodev", "rnoexec", "rnodiratime", "rnosymfollow"])
        XCTAssertEqual(options.recursiveSet, MountAttribute.readOnly | MountAttribute.noSuid | MountAttribute.noDev
                           | MountAttribute.noExec | MountAttribute.noDirAtime | MountAttribute.noSymFollow)
        XCTAssertEqual(options.recursiveClear, 0)
        XCTAssertEqual(options.flags, 0)
        XCTAssertTrue(options.hasRecursiveAttributes)

        let cleared = MountOptions(parsing: ["rro", "rrw", "rsuid", "rdev", "rexec", "rdiratime", "rsymfollow"])
        XCTAssertEqual(cleared.recursiveSet, 0)
        XCTAssertEqual(cleared.recursiveClear, MountAttribute.readOnly | MountAttribute.noSuid | MountAttribute.noDev
                           | MountAttribute.noExec | MountAttribute.noDirAtime | MountAttribute.noSymFollow)
    }

    func testRecursiveAtimeModesClearTheWholeField() {
        XCTAssertEqual(MountOptions(parsing: ["rnoatime"]).recursiveSet, MountAttribute.noAtime)
        XCTAssertEqual(MountOptions(parsing: ["rnoatime"]).recursiveClear, MountAttribute.atimeMask)
        XCTAssertEqual(MountOptions(parsing: ["rstrictatime"]).recursiveSet, MountAttribute.strictAtime)
        XCTAssertEqual(MountOptions(parsing: ["rstrictatime"]).recursiveClear, MountAttribute.atimeMask)
        // relatime is the zero value of the field: only the mask says "change it".
        let relatime = MountOptions(parsing: ["rrelatime"])
        XCTAssertEqual(relatime.recursiveSet, 0)
        XCTAssertEqual(relatime.recursiveClear, MountAttribute.atimeMask)
        XCTAssertTrue(relatime.hasRecursiveAttributes)
        XCTAssertEqual(MountOptions(parsing: ["ratime"]).recursiveClear, MountAttribute.atimeMask)
        XCTAssertEqual(MountOptions(parsing: ["rnoatime", "ratime"]).recursiveSet, 0)
    }

    func testUnknownWordsBecomeDataInOrder() {
        let options = MountOptions(parsing: ["nosuid", "mode=755", "strictatime", "size=65536k", "newinstance", "acl"])
        XCTAssertEqual(options.flags, MountFlag.noSuid | MountFlag.strictAtime)
        XCTAssertEqual(options.data, ["mode=755", "size=65536k", "newinstance", "acl"])
        XCTAssertEqual(options.dataString, "mode=755,size=65536k,newinstance,acl")
    }

    func testExtensionsAreNotData() {
        let options = MountOptions(parsing: ["tmpcopyup", "defaults", "idmap"])
        XCTAssertTrue(options.copyUp)
        XCTAssertEqual(options.idmap, .single)
        XCTAssertEqual(options.data, [])
        XCTAssertEqual(options.flags, 0)
        XCTAssertEqual(MountOptions(parsing: ["ridmap"]).idmap, .recursive)
        XCTAssertNil(MountOptions(parsing: ["bind"]).idmap)
    }

    func testDefaultRuncSpecOptions() {
        let devpts = MountOptions(parsing: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])
        XCTAssertEqual(devpts.flags, MountFlag.noSuid | MountFlag.noExec)
        XCTAssertEqual(devpts.dataString, "newinstance,ptmxmode=0666,mode=0620,gid=5")
        let cgroup = MountOptions(parsing: ["nosuid", "noexec", "nodev", "relatime", "ro"])
        XCTAssertEqual(cgroup.flags, MountFlag.noSuid | MountFlag.noExec | MountFlag.noDev | MountFlag.relatime | MountFlag.readOnly)
        XCTAssertTrue(cgroup.isReadOnly)
        XCTAssertFalse(cgroup.isBind)
    }

    func testBindHelpers() {
        XCTAssertTrue(MountOptions(parsing: ["rbind"]).isRecursiveBind)
        XCTAssertFalse(MountOptions(parsing: ["bind"]).isRecursiveBind)
        XCTAssertTrue(MountOptions(parsing: ["bind"]).isBind)
    }

    func testRootPropagationWords() {
        XCTAssertEqual(MountOptions.rootPropagation("rslave"), MountFlag.slave | MountFlag.recursive)
        XCTAssertEqual(MountOptions.rootPropagation("shared"), MountFlag.shared)
        XCTAssertNil(MountOptions.rootPropagation("bogus"))
    }

    func testKnownListsEveryWord() {
        let known = Set(MountOptions.known)
        for word in ["ro", "rw", "rbind", "rprivate", "rro", "rnosymfollow", "tmpcopyup", "idmap", "ridmap", "defaults"] {
            XCTAssertTrue(known.contains(word), word)
        }
        XCTAssertFalse(known.contains("mode=755"))
    }

    func testTmpfsModeIsWrittenAsAtLeastFourOctalDigits() {
        XCTAssertEqual(SpecMounter.octal(0o755), "0755")
        XCTAssertEqual(SpecMounter.octal(0), "0000")
        XCTAssertEqual(SpecMounter.octal(0o1777), "1777")
        XCTAssertEqual(SpecMounter.octal(0o7), "0007")
        XCTAssertEqual(SpecMounter.octal(0o7777), "7777")
    }
}
