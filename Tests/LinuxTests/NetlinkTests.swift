import XCTest
@testable import Linux

final class NetlinkEncodingTests: XCTestCase {
    func testHeaderLayoutAndPadding() {
        let m = NetlinkMessage(type: 16, flags: NetlinkFlag.request | NetlinkFlag.ack, sequence: 7, payload: [1, 2, 3])
        let bytes = m.encoded()
        XCTAssertEqual(bytes.count, 20)
        XCTAssertEqual(Array(bytes[0..<4]), [19, 0, 0, 0], "nlmsg_len counts the payload, not the padding")
        XCTAssertEqual(Array(bytes[4..<8]), [16, 0, 5, 0])
        XCTAssertEqual(Array(bytes[8..<12]), [7, 0, 0, 0])
        XCTAssertEqual(Array(bytes[16..<20]), [1, 2, 3, 0])
    }

    func testDecodeSplitsADatagramIntoMessages() throws {
        let a = NetlinkMessage(type: 16, flags: 2, sequence: 1, portID: 9, payload: [1, 2, 3, 4, 5])
        let b = NetlinkMessage(type: NetlinkMessageType.done, flags: 2, sequence: 1, payload: [0, 0, 0, 0])
        let decoded = try NetlinkMessage.decode(a.encoded() + b.encoded())
        XCTAssertEqual(decoded, [a, b])
        XCTAssertThrowsError(try NetlinkMessage.decode(Array(a.encoded().prefix(18))), "cut inside the payload")
        var lying = a.encoded()
        lying[0] = 200
        XCTAssertThrowsError(try NetlinkMessage.decode(lying))
    }

    func testStringAndU32Attributes() {
        var w = NetlinkWriter()
        w.attribute(3, string: "eth0")
        w.attribute(28, u32: 0x0102_0304)
        XCTAssertEqual(w.bytes, [9, 0, 3, 0, 0x65, 0x74, 0x68, 0x30, 0, 0, 0, 0,
                                 8, 0, 28, 0, 4, 3, 2, 1])
        let attributes = NetlinkAttributes(w.bytes[...])
        XCTAssertEqual(attributes.string(3), "eth0")
        XCTAssertEqual(attributes.u32(28), 0x0102_0304)
        XCTAssertNil(attributes[1])
    }

    func testAttributesIgnoreNestedBitAndStopAtGarbage() {
        let bytes: [UInt8] = [8, 0, 0x03, 0x80, 1, 2, 3, 4, 200, 0, 5, 0]
        let attributes = NetlinkAttributes(bytes[...])
        XCTAssertEqual(attributes[3], [1, 2, 3, 4])
        XCTAssertEqual(attributes.values.count, 1)
    }

    func testMoveRequestCarriesIndexNameAndNamespaceFD() {
        let bytes = RouteNetlink.moveLinkRequest(index: 5, name: "ctr0", namespaceFD: 9)
        XCTAssertEqual(Array(bytes[0..<16]), [0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        let attributes = NetlinkAttributes(bytes[16...])
        XCTAssertEqual(attributes.string(RouteNetlink.linkName), "ctr0")
        XCTAssertEqual(attributes.u32(RouteNetlink.linkNamespaceFD), 9)
    }

    func testLinkUpAndDownOnlyTouchTheUpFlag() {
        let up = RouteNetlink.setLinkUpRequest(index: 3, up: true)
        XCTAssertEqual(up, [0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
        let down = RouteNetlink.setLinkUpRequest(index: 3, up: false)
        XCTAssertEqual(down, [0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0])
    }

    func testAddressRequestCopiesAddressesAndSettableFlagsOnly() {
        let address = InterfaceAddress(family: UInt8(AF_INET), prefixLength: 24, flags: 0x80 | 0x01 | 0x200, scope: 0,
                                       index: 4, local: [10, 1, 2, 3], address: [10, 1, 2, 3], broadcast: [10, 1, 2, 255])
        let bytes = RouteNetlink.addAddressRequest(address, index: 12)
        XCTAssertEqual(Array(bytes[0..<8]), [UInt8(AF_INET), 24, 0, 0, 12, 0, 0, 0],
                       "permanent and secondary are the kernel's to set; the new index is used")
        let attributes = NetlinkAttributes(bytes[8...])
        XCTAssertEqual(attributes[RouteNetlink.addressLocal], [10, 1, 2, 3])
        XCTAssertEqual(attributes[RouteNetlink.addressAddress], [10, 1, 2, 3])
        XCTAssertEqual(attributes[RouteNetlink.addressBroadcast], [10, 1, 2, 255])
        XCTAssertEqual(attributes.u32(RouteNetlink.addressFlags), 0x200, "NOPREFIXROUTE needs IFA_FLAGS")
    }

    func testParsesLinkAndAddressAnswers() {
        var link = RouteNetlink.linkHeader(index: 7, flags: 0x1003)
        link.attribute(RouteNetlink.linkName, string: "vethA")
        link.attribute(RouteNetlink.linkAddress, [2, 0, 0, 0, 0, 1])
        let parsed = NetworkLink(NetlinkMessage(type: RouteNetlink.newLink, flags: 0, payload: link.bytes))
        XCTAssertEqual(parsed?.index, 7)
        XCTAssertEqual(parsed?.name, "vethA")
        XCTAssertEqual(parsed?.isUp, true)
        XCTAssertEqual(parsed?.hardwareAddress, [2, 0, 0, 0, 0, 1])
        XCTAssertNil(NetworkLink(NetlinkMessage(type: RouteNetlink.newAddress, flags: 0, payload: link.bytes)))

        var w = NetlinkWriter()
        w.u8(UInt8(AF_INET)); w.u8(16); w.u8(0x80); w.u8(0); w.u32(7)
        w.attribute(RouteNetlink.addressLocal, [172, 16, 0, 9])
        let address = InterfaceAddress(NetlinkMessage(type: RouteNetlink.newAddress, flags: 0, payload: w.bytes))
        XCTAssertEqual(address?.text, "172.16.0.9/16")
        XCTAssertEqual(address?.movesWithInterface, true)
        var hostScope = address!
        hostScope.scope = 254
        XCTAssertFalse(hostScope.movesWithInterface)
        var dynamic = address!
        dynamic.flags = 0
        XCTAssertFalse(dynamic.movesWithInterface)
    }

    func testErrorAnswersWithExtendedAck() {
        XCTAssertNil(NetlinkError.from(NetlinkMessage(type: 2, flags: 0, payload: [0, 0, 0, 0] + Array(repeating: 0, count: 16)),
                                       operation: "x"))
        var w = NetlinkWriter()
        w.i32(-EEXIST)
        w.raw(NetlinkMessage(type: 16, flags: 5, sequence: 3, payload: []).encoded())
        w.attribute(1, string: "Name already in use")
        let error = NetlinkError.from(NetlinkMessage(type: 2, flags: NetlinkFlag.capped | NetlinkFlag.ackTLVs, payload: w.bytes),
                                      operation: "move")
        XCTAssertEqual(error?.errno, EEXIST)
        XCTAssertEqual(error?.message, "Name already in use")
        XCTAssertEqual(error?.description, "move: file exists (Name already in use)")
    }
}

/// The loopback interface exists in every network namespace: a read-only kernel check.
final class NetlinkKernelTests: XCTestCase {
    func testLoopbackByNameAndIndex() throws {
        let control = LinkControl(socket: try NetlinkSocket())
        let lo = try control.link(named: "lo")
        XCTAssertEqual(lo.name, "lo")
        XCTAssertGreaterThan(lo.index, 0)
        XCTAssertEqual(try control.link(index: lo.index).name, "lo")
        XCTAssertTrue(try control.links().contains { $0.name == "lo" })
        let addresses = try control.addresses(of: lo)
        if lo.isUp {
            let v4 = addresses.first { $0.family == UInt8(AF_INET) }
            XCTAssertEqual(v4?.text, "127.0.0.1/8")
            XCTAssertEqual(v4?.movesWithInterface, false, "loopback addresses have host scope")
        }
    }

    func testUnknownLinkIsNoSuchDevice() throws {
        let control = LinkControl(socket: try NetlinkSocket())
        XCTAssertThrowsError(try control.link(named: "swiftlet-none")) { error in
            XCTAssertEqual((error as? NetlinkError)?.errno, ENODEV, "\(error)")
        }
    }
}
