// Idmapped bind mounts: the runtime's detached trees attached by init in place of a bind
// (recorded calls), the fds' hand-over through the environment, and non-bind refusals.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec
import XCTest
@testable import Runtime

final class IDMappedMountTests: XCTestCase {
    func testPreparedTreeIsMovedInsteadOfBoundThenGetsFlagsAndPropagation() throws {
        let sys = makeRecordingSyscalls()
        let devBind = Mount(destination: "/dev", type: "bind", source: "/dev", options: ["rbind"])
        let idmapped = Mount(destination: "/data", type: "bind", source: "/host/data", options: ["rbind", "ridmap", "ro", "rprivate"])
        var setup = RootfsSetup(spec: makeSpec([devBind, idmapped]), bundle: "/bundle", syscalls: sys)
        setup.idmappedSources = [1: 77]
        try setup.prepare()
        let calls = sys.calls.drop { !$0.contains("/data") }.filter { $0.hasPrefix("mount") || $0.hasPrefix("move_mount") }
        XCTAssertEqual(Array(calls), [
            "move_mount tree=77 fd:/bundle/rootfs/data",
            "mount - fd:/bundle/rootfs/data - bind|remount|rdonly",
            "mount - fd:/bundle/rootfs/data - rec|private",
        ])
        XCTAssertFalse(sys.calls.contains { $0.hasPrefix("mount /host/data") }, "no plain bind of the source: \(sys.calls)")
    }

    func testAttachFailureNamesTheMount() {
        let sys = makeRecordingSyscalls()
        sys.fail("move_mount", at: "/bundle/rootfs/data", errno: EINVAL)
        var setup = RootfsSetup(spec: makeSpec([Mount(destination: "/data", type: "bind", source: "/host/data",
                                                      options: ["bind", "idmap"])]), bundle: "/bundle", syscalls: sys)
        setup.idmappedSources = [0: 40]
        XCTAssertTrue(errorText { try setup.prepare() }.hasPrefix("mounts[0] (bind /host/data on /data): move_mount"))
    }

    func testIdmapOnANonBindMountIsRefused() {
        var mount = Mount(destination: "/data", type: "tmpfs", source: "tmpfs", options: ["idmap"])
        mount.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        XCTAssertEqual(errorText { try RootfsSetup(spec: makeSpec([mount]), bundle: "/bundle", syscalls: makeRecordingSyscalls()).prepare() },
                       "mounts[0] (tmpfs on /data): idmapped mounts are only supported for bind mounts")
    }

    func testWhichMountsNeedAnIDMap() {
        let plain = Mount(destination: "/a", type: "bind", source: "/x", options: ["bind"])
        XCTAssertFalse(IDMappedSources.needsIDMap(plain, MountOptions(parsing: ["bind"])))
        XCTAssertTrue(IDMappedSources.needsIDMap(plain, MountOptions(parsing: ["bind", "idmap"])))
        XCTAssertTrue(IDMappedSources.needsIDMap(plain, MountOptions(parsing: ["rbind", "ridmap"])))
        var mapped = plain
        mapped.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 1, size: 1)]
        XCTAssertTrue(IDMappedSources.needsIDMap(mapped, MountOptions(parsing: ["bind"])))
    }

    func testReceivedTreesAreFoundByMountIndex() {
        let received = [PassedFDName.idmappedMount(2): Int32(9), PassedFDName.idmappedMount(5): 11,
                        PassedFDName.execFifo: 4]
        XCTAssertEqual(IDMappedSources.received(received, mountCount: 4), [2: 9],
                       "indexes past the mounts, and other fds, are not looked at")
    }

    func testAMountWithoutMappingsNeedsAUserNamespace() throws {
        let spec = makeSpec([Mount(destination: "/data", type: "bind", source: "/tmp", options: ["bind", "idmap"])])
        XCTAssertEqual(errorText { _ = try IDMappedSources.prepare(spec: spec, bundle: "/bundle") },
                       "mounts[0]: idmap needs uidMappings and gidMappings, or a user namespace whose mappings it can use")
        XCTAssertTrue(try IDMappedSources.prepare(spec: makeSpec([]), bundle: "/").namedFDs.isEmpty)
    }

    func testFeaturesReportIdmap() {
        let features = FeaturesReport.make()
        XCTAssertEqual(features.linux?.mountExtensions?.idmap?.enabled, true)
        XCTAssertTrue(features.mountOptions?.contains("idmap") == true && features.mountOptions?.contains("ridmap") == true)
    }
}
