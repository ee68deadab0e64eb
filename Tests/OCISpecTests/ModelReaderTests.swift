import Foundation
import XCTest
@testable import OCISpec

/// The hand-written readers and writers (ConfigReading.swift, ConfigWriting.swift) against the
/// Codable models they replace on the hot path: on every fixture, on a config that sets every
/// field, and on thousands of broken variants of them, both must give the same value or the
/// same error text.
final class ModelReaderTests: XCTestCase {
    /// Every field of every config model, each with a value unlike its default.
    static let everyField = #"""
    {"ociVersion":"1.3.0",
     "process":{"terminal":true,"consoleSize":{"height":24,"width":80},
       "user":{"uid":1,"gid":2,"umask":18,"additionalGids":[3,4]},
       "args":["sh","-c","true"],"env":["A=1"],"cwd":"/w",
       "capabilities":{"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"inheritable":[],"permitted":["CAP_KILL"],"ambient":["CAP_KILL"]},
       "rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":512}],
       "noNewPrivileges":true,"apparmorProfile":"p","oomScoreAdj":-17,
       "scheduler":{"policy":"SCHED_DEADLINE","nice":-5,"priority":3,"flags":["SCHED_FLAG_RESET_ON_FORK"],"runtime":1,"deadline":2,"period":3},
       "selinuxLabel":"l","ioPriority":{"class":"IOPRIO_CLASS_BE","priority":4},
       "execCPUAffinity":{"initial":"0","final":"0-1"}},
     "root":{"path":"rootfs","readonly":true},
     "hostname":"h","domainname":"d",
     "mounts":[{"destination":"/m","type":"bind","source":"/s","options":["rbind","ro"],
       "uidMappings":[{"containerID":0,"hostID":1000,"size":1}],"gidMappings":[{"containerID":0,"hostID":1000,"size":1}]}],
     "hooks":{"prestart":[{"path":"/p","args":["p"],"env":["E=1"],"timeout":5}],"createRuntime":[{"path":"/a"}],
       "createContainer":[{"path":"/b"}],"startContainer":[{"path":"/c"}],"poststart":[{"path":"/d"}],"poststop":[{"path":"/e"}]},
     "annotations":{"b":"2","a":"1","io.k8s/x":"y"},
     "linux":{"uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"gidMappings":[{"containerID":0,"hostID":100000,"size":65536}],
       "sysctl":{"net.ipv4.ip_forward":"1"},
       "resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rw"}],
         "memory":{"limit":1048576,"reservation":1,"swap":2,"kernel":3,"kernelTCP":4,"swappiness":60,"disableOOMKiller":true,"useHierarchy":true,"checkBeforeUpdate":true},
         "cpu":{"shares":1024,"quota":-1,"burst":1,"period":100000,"realtimeRuntime":2,"realtimePeriod":3,"cpus":"0","mems":"0","idle":1},
         "pids":{"limit":-1},
         "blockIO":{"weight":10,"leafWeight":20,"weightDevice":[{"major":8,"minor":0,"weight":30,"leafWeight":40}],
           "throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1}],"throttleWriteBpsDevice":[{"major":8,"minor":0,"rate":2}],
           "throttleReadIOPSDevice":[{"major":8,"minor":0,"rate":3}],"throttleWriteIOPSDevice":[{"major":8,"minor":0,"rate":4}]},
         "hugepageLimits":[{"pageSize":"2MB","limit":4194304}],
         "network":{"classID":7,"priorities":[{"name":"eth0","priority":5}]},
         "rdma":{"mlx5_1":{"hcaHandles":3,"hcaObjects":10000}},
         "unified":{"memory.high":"max"}},
       "cgroupsPath":"a/b",
       "namespaces":[{"type":"pid"},{"type":"network","path":"/var/run/netns/x"}],
       "devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438,"uid":0,"gid":0}],
       "netDevices":{"eth1":{"name":"eth9"},"eth0":{}},
       "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"architectures":["SCMP_ARCH_X86_64"],"flags":["SECCOMP_FILTER_FLAG_LOG"],
         "listenerPath":"/l","listenerMetadata":"m",
         "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW","errnoRet":1,"args":[{"index":0,"value":1,"valueTwo":2,"op":"SCMP_CMP_EQ"}]}]},
       "rootfsPropagation":"rprivate","maskedPaths":["/proc/kcore"],"readonlyPaths":["/proc/sys"],"mountLabel":"m",
       "intelRdt":{"closID":"c","schemata":["L3:0=f"],"l3CacheSchema":"L3:0=f","memBwSchema":"MB:0=70","enableMonitoring":true},
       "memoryPolicy":{"mode":"MPOL_BIND","nodes":"0","flags":["MPOL_F_STATIC_NODES"]},
       "personality":{"domain":"LINUX32","flags":[]},
       "timeOffsets":{"monotonic":{"secs":1,"nanosecs":2},"boottime":{"secs":-3}}}}
    """#

    static func documents() throws -> [(name: String, bytes: [UInt8])] {
        var out = [("every-field", Array(everyField.utf8))]
        for url in try FixtureValidationTests.fixtureURLs("engine-configs") + FixtureValidationTests.fixtureURLs("runc-spec") {
            out.append((url.lastPathComponent, Array(try Data(contentsOf: url))))
        }
        return out
    }

    /// One decode's outcome, comparable across the two decoders.
    enum Outcome: Equatable {
        case value(Spec)
        case error(String)
    }

    static func viaReader(_ tree: JSONValue) -> Outcome {
        do { return .value(try Spec(json: tree, at: .root)) } catch { return .error("\(error)") }
    }

    static func viaCodable(_ tree: JSONValue) -> Outcome {
        do { return .value(try SpecDecoder().decode(Spec.self, from: tree)) } catch { return .error("\(error)") }
    }

    func testEveryFieldIsRead() throws {
        let spec = try Spec.read(fromJSON: Array(Self.everyField.utf8))
        XCTAssertEqual(spec, try SpecDecoder().decode(Spec.self, from: Array(Self.everyField.utf8)))
        // The writer leaves out nils, so an unread field would be missing from the output.
        XCTAssertEqual(spec.json, try JSONParser.parse(Array(Self.everyField.utf8)).sortingMapsLikeTheEncoder())
        XCTAssertEqual(spec.linux?.resources?.rdma?["mlx5_1"]?.hcaObjects, 10000)
        XCTAssertEqual(spec.linux?.timeOffsets?["boottime"]?.secs, -3)
        XCTAssertEqual(spec.process?.ioPriority?.class, "IOPRIO_CLASS_BE")
    }

    func testReaderAndWriterAgreeWithCodableOnEveryDocument() throws {
        for (name, bytes) in try Self.documents() {
            let tree = try JSONParser.parse(bytes)
            let ours = try Spec(json: tree, at: .root)
            XCTAssertEqual(ours, try SpecDecoder().decode(Spec.self, from: tree), name)
            XCTAssertEqual(ours, try Foundation.JSONDecoder().decode(Spec.self, from: Data(bytes)), name)
            XCTAssertEqual(ours.json, try SpecEncoder().encodeValue(ours), name)
            XCTAssertEqual(JSONWriter.bytes(ours.json, indent: "\t"), try SpecEncoder(indent: "\t").encode(ours), name)
        }
    }

    /// Each member deleted, re-cased, or replaced by a value of every other kind (and integers
    /// out of range): the two decoders must agree on every variant.
    func testBrokenVariantsFailTheSameWay() throws {
        let replacements: [JSONValue] = [
            .null, .string("x"), .number("1"), .number("-1"), .number("1.5"), .number("18446744073709551616"),
            .number("4294967296"), .bool(true), .array([]), .object([]), .array([.number("1")]), .array([.string("x")]),
            .array([.null]), .object([(key: "k", value: .number("1"))]),
        ]
        var variants = 0, failures = 0
        for (name, bytes) in try Self.documents() {
            let tree = try JSONParser.parse(bytes)
            let full = name == "every-field"
            for variant in Self.variants(of: tree, replacements: full ? replacements : Array(replacements.prefix(4))) {
                variants += 1
                let a = Self.viaReader(variant.tree), b = Self.viaCodable(variant.tree)
                if case .error = b { failures += 1 }
                XCTAssertEqual(a, b, "\(name): \(variant.change)")
            }
        }
        // The corpus really exercises errors, not just successes.
        XCTAssertGreaterThan(variants, 3000)
        XCTAssertGreaterThan(failures, 1000)
    }

    func testIntegerTextParsesAsTheStandardLibraryParsesIt() {
        let texts = ["0", "-0", "7", "-7", "007", "127", "128", "-128", "-129", "255", "256", "65535", "65536",
                     "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
                     "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
                     "18446744073709551615", "18446744073709551616", "99999999999999999999999",
                     "1.0", "1e3", "-", "", "--1", "1-", "-1-", "0x10", " 1"]
        func same<T: FixedWidthInteger>(_ type: T.Type) {
            for text in texts { XCTAssertEqual(JSONRead.parseInteger(text, as: T.self), T(text), "\(text) as \(T.self)") }
        }
        same(Int8.self); same(UInt8.self); same(Int32.self); same(UInt32.self)
        same(Int64.self); same(UInt64.self); same(Int.self); same(UInt16.self)
    }

    func testErrorsNameTheirPath() throws {
        func error(_ text: String) -> String {
            do { _ = try Spec.read(fromJSON: Array(text.utf8)); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error(#"{"ociVersion":"1","linux":{"resources":{"memory":{"limit":"1g"}}}}"#),
                       "linux.resources.memory.limit: expected integer, got string")
        XCTAssertEqual(error(#"{"ociVersion":"1","linux":{"namespaces":[{"type":"pid"},{}]}}"#),
                       "linux.namespaces[1].type: missing required field")
        XCTAssertEqual(error(#"{"ociVersion":"1","process":{"cwd":"/","user":{"uid":4294967296,"gid":0}}}"#),
                       "process.user.uid: number 4294967296 out of range for UInt32 (0...4294967295)")
        XCTAssertEqual(error(#"{"ociVersion":"1","annotations":{"io.k8s/x":1}}"#),
                       #"annotations["io.k8s/x"]: expected string, got number"#)
        XCTAssertEqual(error("[]"), "expected object at the top level, got array")
        XCTAssertEqual(error("{"), try XCTUnwrap(Self.codableError("{")))
    }

    static func codableError(_ text: String) -> String? {
        do { _ = try SpecDecoder().decode(Spec.self, from: Array(text.utf8)); return nil } catch { return "\(error)" }
    }

    func testCaseInsensitiveKeysAndNullsReadAsCodableDoes() throws {
        let spec = try Spec.read(fromJSON: Array(#"{"OCIVERSION":"1","HostName":"a","hostName":"b","linux":{"Namespaces":[{"TYPE":"pid"}]},"domainname":null}"#.utf8))
        XCTAssertEqual(spec.hostname, "b")
        XCTAssertEqual(spec.linux?.namespaces, [LinuxNamespace(type: "pid")])
        XCTAssertNil(spec.domainname)
        XCTAssertEqual(try Spec.read(fromJSON: Array(#"{"ociversion":"x","ociVersion":"exact"}"#.utf8)).ociVersion, "exact")
    }

    func testStateWritesWhatTheEncoderWrites() throws {
        let state = State(ociVersion: "1.3.0", id: "c", status: .running, pid: 7, bundle: "/b", annotations: ["z": "1", "a": "2"])
        XCTAssertEqual(state.json, try SpecEncoder().encodeValue(state))
        let noPid = State(ociVersion: "1.3.0", id: "c", status: .stopped, pid: nil, bundle: "/b", annotations: nil)
        XCTAssertEqual(noPid.json, try SpecEncoder().encodeValue(noPid))
    }

    /// Every single-member change of `tree`, described for failure messages.
    static func variants(of tree: JSONValue, replacements: [JSONValue]) -> [(tree: JSONValue, change: String)] {
        var out: [(JSONValue, String)] = []
        func walk(_ value: JSONValue, _ where_: String, _ rebuild: (JSONValue?) -> JSONValue) {
            switch value {
            case .object(let members):
                for (i, m) in members.enumerated() {
                    let here = where_ + "." + m.key
                    func put(_ v: JSONValue?) -> JSONValue {
                        var copy = members
                        if let v { copy[i].value = v } else { copy.remove(at: i) }
                        return rebuild(.object(copy))
                    }
                    out.append((put(nil), "delete \(here)"))
                    var recased = members
                    recased[i].key = m.key.uppercased()
                    out.append((rebuild(.object(recased)), "uppercase \(here)"))
                    for r in replacements where r != m.value { out.append((put(r), "\(here) = \(r)")) }
                    walk(m.value, here) { put($0) }
                }
            case .array(let items):
                for (i, item) in items.enumerated() {
                    let here = where_ + "[\(i)]"
                    func put(_ v: JSONValue?) -> JSONValue {
                        var copy = items
                        if let v { copy[i] = v } else { copy.remove(at: i) }
                        return rebuild(.array(copy))
                    }
                    for r in replacements where r != item { out.append((put(r), "\(here) = \(r)")) }
                    walk(item, here) { put($0) }
                }
            default:
                break
            }
        }
        walk(tree, "") { $0 ?? .null }
        return out
    }
}

extension JSONValue {
    /// The encoder writes `[String: X]` members with sorted keys; the every-field document's
    /// maps are written unsorted on purpose. Sorts the members of the objects that are maps.
    func sortingMapsLikeTheEncoder(path: [String] = []) -> JSONValue {
        let maps: Set<String> = ["annotations", "sysctl", "netDevices", "rdma", "unified", "timeOffsets"]
        switch self {
        case .object(let members):
            var out = members.map { (key: $0.key, value: $0.value.sortingMapsLikeTheEncoder(path: path + [$0.key])) }
            if let last = path.last, maps.contains(last) {
                out.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            }
            return .object(out)
        case .array(let items):
            return .array(items.map { $0.sortingMapsLikeTheEncoder(path: path) })
        default:
            return self
        }
    }
}
