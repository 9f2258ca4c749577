import Testing
@testable import ArgoEngine

/// sendv keeps the ring its last lookup found (``SendRoute``) while nothing a lookup depends on
/// has changed. Every such change must make the next send look again.
@Suite struct SendRouteTests {
    /// A one-byte host send from dom0; the errno, or nil when it went in.
    func send(_ hv: ArgoHypervisor, to destination: ArgoAddress, _ byte: UInt8) -> XenErrno? {
        errno { try [byte].withUnsafeBytes { bytes in _ = try hv.send(from: 0, source: address(0, 1), destination: destination,
                                                                      messageType: 0, payload: bytes) } }
    }

    func received(_ hv: ArgoHypervisor, aport: UInt32, partner: UInt16) -> [[UInt8]] {
        hv.guest(1).receive(aport: aport, partner: partner).map(\.payload)
    }

    @Test func unregisteringAndRegisteringAgainIsSeenByTheNextSend() throws {
        let hv = makeWorld()
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 256)
        #expect(send(hv, to: address(1, 1), 1) == nil)
        #expect(send(hv, to: address(1, 1), 2) == nil)
        #expect(received(hv, aport: 1, partner: 0) == [[1], [2]])
        try hv.guest(1).unregisterRing(aport: 1, partner: 0)
        #expect(send(hv, to: address(1, 1), 3) == .ECONNREFUSED)
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 512)
        #expect(send(hv, to: address(1, 1), 4) == nil)
        #expect(received(hv, aport: 1, partner: 0) == [[4]])
    }

    @Test func aUnicastRingTakesOverFromTheWildcardRingAndGivesBack() throws {
        let hv = makeWorld(ArgoBootSettings(macPermissive: true))
        try hv.guest(1).registerRing(aport: 2, partner: any, length: 256)
        #expect(send(hv, to: address(1, 2), 1) == nil)
        try hv.guest(1).registerRing(aport: 2, partner: 0, length: 256)
        #expect(send(hv, to: address(1, 2), 2) == nil)
        try hv.guest(1).unregisterRing(aport: 2, partner: 0)
        #expect(send(hv, to: address(1, 2), 3) == nil)
        #expect(received(hv, aport: 2, partner: any) == [[1], [3]])
    }

    @Test func routesTakenInTurnEachReachTheirRing() throws {
        let hv = makeWorld()
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 256)
        try hv.guest(1).registerRing(aport: 2, partner: 0, length: 256)
        for byte: UInt8 in 1 ... 6 { #expect(send(hv, to: address(1, byte.isMultiple(of: 2) ? 2 : 1), byte) == nil) }
        #expect(received(hv, aport: 1, partner: 0) == [[1], [3], [5]])
        #expect(received(hv, aport: 2, partner: 0) == [[2], [4], [6]])
        #expect(send(hv, to: address(1, 3), 7) == .ECONNREFUSED)
        #expect(send(hv, to: address(2, 1), 7) == .ECONNREFUSED)
    }

    @Test func destroyingOrResettingTheTargetIsSeenByTheNextSend() throws {
        let hv = makeWorld()
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 256)
        #expect(send(hv, to: address(1, 1), 1) == nil)
        #expect(hv.softResetDomain(1) == 0)
        #expect(send(hv, to: address(1, 1), 2) == .ECONNREFUSED)
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 256)
        #expect(send(hv, to: address(1, 1), 3) == nil)
        #expect(hv.destroyDomain(1) == [1])
        #expect(send(hv, to: address(1, 1), 4) == .ESRCH)
        try hv.createDomain(ArgoDomainSpec(domid: 1, name: "again"))
        #expect(send(hv, to: address(1, 1), 5) == .ECONNREFUSED)
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 256)
        #expect(send(hv, to: address(1, 1), 6) == nil)
        #expect(received(hv, aport: 1, partner: 0) == [[6]])
    }
}
