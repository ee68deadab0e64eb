import XCTest
@testable import OCISpec

final class ValidationKernelFeaturesTests: XCTestCase {
    private func spec(_ change: (inout Linux) -> Void) -> Spec {
        var s = validBaseSpec()
        change(&s.linux!)
        return s
    }

    func testPersonality() {
        var p = LinuxPersonality()
        p.domain = "LINUX64"
        assertRejects(spec { $0.personality = p }, "linux.personality.domain: invalid personality domain \"LINUX64\" (want \"LINUX\" or \"LINUX32\")")
        p.domain = "LINUX32"
        assertAccepts(spec { $0.personality = p })
        p.flags = ["ADDR_NO_RANDOMIZE"]
        let withFlags = spec { $0.personality = p }
        assertAccepts(withFlags)
        XCTAssertEqual(warningLines(withFlags), ["linux.personality.flags: personality flags are not supported and are ignored"])
    }

    private func policy(_ mode: String, nodes: String? = nil, flags: [String]? = nil) -> Spec {
        spec { l in
            var m = LinuxMemoryPolicy()
            m.mode = mode; m.nodes = nodes; m.flags = flags
            l.memoryPolicy = m
        }
    }

    func testMemoryPolicy() {
        assertRejects(policy("MPOL_RANDOM"), "linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_RANDOM\"")
        assertRejects(policy("MPOL_DEFAULT", nodes: "0-1"), "linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes, got 2")
        assertRejects(policy("MPOL_BIND"), "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node")
        assertRejects(policy("MPOL_INTERLEAVE", nodes: "x"), "linux.memoryPolicy.nodes: invalid CPU list \"x\": bad element \"x\"")
        assertRejects(policy("MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_BOGUS"]),
                      "linux.memoryPolicy.flags[1]: unknown memory policy flag \"MPOL_F_BOGUS\"")
        assertRejects(policy("MPOL_BIND", nodes: "0", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]),
                      "linux.memoryPolicy.flags: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be combined")
        for mode in ["MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED_MANY", "MPOL_PREFERRED"] {
            assertAccepts(policy(mode, nodes: "0-1", flags: ["MPOL_F_STATIC_NODES", "MPOL_F_NUMA_BALANCING"]))
        }
        assertAccepts(policy("MPOL_PREFERRED"))
        assertAccepts(policy("MPOL_LOCAL"))
        assertAccepts(policy("MPOL_DEFAULT", nodes: ""))
    }

    func testIntelRdt() {
        var rdt = LinuxIntelRdt()
        rdt.closID = "a/b"
        rdt.memBwSchema = "L3:0=1"
        rdt.schemata = ["L3:0=7f0", "MB:0=20\nMB:1=70"]
        XCTAssertEqual(errorLines(spec { $0.intelRdt = rdt }), [
            "linux.intelRdt.closID: invalid CLOS id \"a/b\"",
            "linux.intelRdt.memBwSchema: must start with \"MB:\"",
            "linux.intelRdt.schemata[1]: must not contain newlines",
        ])
        rdt.closID = "/"
        rdt.memBwSchema = "MB:0=20"
        rdt.schemata = ["L3:0=7f0"]
        assertAccepts(spec { $0.intelRdt = rdt })
        rdt.closID = ".."
        assertRejects(spec { $0.intelRdt = rdt }, "linux.intelRdt.closID: invalid CLOS id \"..\"")
    }
}
