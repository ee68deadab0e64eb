import XCTest
@testable import OCISpec

final class ValidationFilesystemTests: XCTestCase {
    private func spec(mounts: [Mount]) -> Spec {
        var s = validBaseSpec()
        s.mounts = mounts
        return s
    }

    func testMountDestination() {
        assertRejects(spec(mounts: [Mount(destination: "", type: "tmpfs", source: "tmpfs")]), "mounts[0].destination: must not be empty")
        let relative = spec(mounts: [Mount(destination: "data", type: "tmpfs", source: "tmpfs")])
        assertAccepts(relative)
        XCTAssertEqual(warningLines(relative), ["mounts[0].destination: relative destination \"data\" is deprecated; it is taken as relative to /"])
        assertRejects(spec(mounts: [Mount(destination: "/a\u{0}", type: "tmpfs")]), "mounts[0].destination: must not contain a NUL byte")
    }

    func testMountTypeRequiredUnlessBind() {
        assertRejects(spec(mounts: [Mount(destination: "/x", source: "/y")]),
                      "mounts[0].type: is required unless the mount is a bind mount (options \"bind\" or \"rbind\")")
        assertAccepts(spec(mounts: [Mount(destination: "/x", source: "/y", options: ["rbind", "ro"])]))
        assertAccepts(spec(mounts: [Mount(destination: "/x", source: "/y", options: ["remount", "ro"])]))
    }

    func testBindMountsRejectFilesystemData() {
        let s = spec(mounts: [Mount(destination: "/x", type: "bind", source: "/y", options: ["rbind", "ro", "mode=755", "rprivate", "size=1k"])])
        XCTAssertEqual(errorLines(s), [
            "mounts[0].options[2]: bind mounts cannot have filesystem-specific option \"mode=755\"",
            "mounts[0].options[4]: bind mounts cannot have filesystem-specific option \"size=1k\"",
        ])
        assertAccepts(spec(mounts: [
            Mount(destination: "/x", type: "bind", source: "/y", options: ["bind", "rprivate", "ro", "nosuid", "noexec", "nodev", "rro", "nosymfollow"]),
            Mount(destination: "/t", type: "tmpfs", source: "tmpfs", options: ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup", "mode=1777"]),
        ]))
    }

    func testIDMappedMounts() {
        let map = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        var onlyUid = Mount(destination: "/x", type: "bind", source: "/y", options: ["rbind", "idmap"])
        onlyUid.uidMappings = map
        assertRejects(spec(mounts: [onlyUid]), "mounts[0].gidMappings: must be given together with uidMappings")
        var notBind = Mount(destination: "/x", type: "tmpfs", source: "tmpfs", options: ["idmap"])
        notBind.uidMappings = map
        notBind.gidMappings = map
        assertRejects(spec(mounts: [notBind]), "mounts[0]: id-mapped mounts are only supported for bind mounts")
        let noMapping = Mount(destination: "/x", source: "/y", options: ["rbind", "ridmap"])
        assertRejects(spec(mounts: [noMapping]),
                      "mounts[0].options: idmap needs uidMappings and gidMappings, or a user namespace whose mappings it can use")
        var good = onlyUid
        good.gidMappings = map
        assertAccepts(spec(mounts: [good]))
        var withUserNS = spec(mounts: [noMapping])
        withUserNS.linux?.namespaces?.append(LinuxNamespace(type: "user"))
        withUserNS.linux?.uidMappings = map
        withUserNS.linux?.gidMappings = map
        assertAccepts(withUserNS)
        assertRejects(withUserNS, "mounts[0]: id-mapped mounts are not supported for rootless containers", options: ValidationOptions(rootless: true))
    }

    private func device(_ path: String, _ type: String, _ major: Int64? = nil, _ minor: Int64? = nil) -> LinuxDevice {
        var d = LinuxDevice()
        d.path = path; d.type = type; d.major = major; d.minor = minor
        return d
    }

    func testDevices() {
        var s = validBaseSpec()
        s.linux?.devices = [
            device("/dev/fuse", "c", 10, 229), device("dev/sda", "b", 8, 0), device("/dev/x", "z", 1, 1),
            device("/dev/y", "c"), device("/dev/fifo", "p"), device("/dev/fuse/", "u", 10, 229), device("/dev/neg", "b", -1, 0),
            device("/opt/anywhere", "c", 1, 3),
        ]
        XCTAssertEqual(errorLines(s), [
            "linux.devices[1].path: must be an absolute path, got \"dev/sda\"",
            "linux.devices[2].type: unknown device type \"z\" (want c, b, u or p)",
            "linux.devices[3].major: is required for device type \"c\"",
            "linux.devices[3].minor: is required for device type \"c\"",
            "linux.devices[5].path: duplicate device /dev/fuse (first at linux.devices[0])",
            "linux.devices[6].major: must not be negative, got -1",
        ])
        s.linux?.devices = [device("/dev/fuse", "c", 10, 229), device("/dev/fifo", "p"), device("/dev/tty9", "u", 4, 9)]
        assertAccepts(s)
    }

    func testRootfsPropagation() {
        var s = validBaseSpec()
        for value in KnownNames.rootfsPropagations {
            s.linux?.rootfsPropagation = value
            assertAccepts(s)
        }
        s.linux?.rootfsPropagation = "rprivate"
        assertRejects(s, "linux.rootfsPropagation: rootfsPropagation of [r]private is not safe without pivot_root",
                      options: ValidationOptions(noPivotRoot: true))
        s.linux?.rootfsPropagation = "rslave"
        assertAccepts(s, options: ValidationOptions(noPivotRoot: true))
        s.linux?.rootfsPropagation = "recursive"
        assertRejects(s, "linux.rootfsPropagation: unknown rootfs propagation \"recursive\"")
    }

    func testMaskedAndReadonlyPaths() {
        var s = validBaseSpec()
        s.linux?.maskedPaths = ["/proc/kcore", "proc/keys"]
        s.linux?.readonlyPaths = ["sys"]
        XCTAssertEqual(errorLines(s), [
            "linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\"",
            "linux.readonlyPaths[0]: must be an absolute path, got \"sys\"",
        ])
        s.linux?.maskedPaths = ["/proc/kcore"]
        s.linux?.readonlyPaths = ["/proc/sys"]
        assertAccepts(s)
        s.linux?.namespaces?.removeAll { $0.type == "mount" }
        assertRejects(s, "linux.maskedPaths: unable to restrict paths without a private mount namespace")
    }

    func testCleanPath() {
        XCTAssertEqual(cleanPath("/a//b/./c/../d/"), "/a/b/d")
        XCTAssertEqual(cleanPath("/../x"), "/x")
        XCTAssertEqual(cleanPath("a/../../b"), "../b")
        XCTAssertEqual(cleanPath(""), ".")
    }
}
