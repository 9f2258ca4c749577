import Testing
@testable import ArgoEngine

/// Copies at a hole behave as Xen's HVM copy: bytes before the first unmapped frame are
/// transferred, then the copy fails (docs/ARGO-QUIRKS.md, "Guest memory and -EFAULT").
@Suite struct GuestMemoryFaultTests {
    @Test func copiesStopAtTheFirstUnmappedByte() throws {
        let memory = GuestMemory()
        memory.populate(0x20)
        try memory.writeBytes(0x20FFC, [1, 2, 3, 4])
        var buffer = [UInt8](repeating: 0xEE, count: 8)
        let readFailure = buffer.withUnsafeMutableBytes { destination in
            errno { try memory.read(0x20FFC, into: destination) }
        }
        #expect(readFailure == .EFAULT)
        #expect(buffer == [1, 2, 3, 4, 0xEE, 0xEE, 0xEE, 0xEE], "the bytes before the hole arrived, nothing after")
        #expect(errno { try memory.writeBytes(0x20FFE, [9, 9, 9, 9]) } == .EFAULT)
        #expect(try memory.readBytes(0x20FFC, count: 4) == [1, 2, 9, 9], "a write lands up to the hole")
        #expect(errno { try memory.writeBytes(0xFFFF_FFFF_FFFF_FFFE, [1, 2, 3]) } == .EFAULT)
    }

    /// An MMIO frame has no RAM page behind it: copies fault there as at a hole; log-dirty
    /// RAM copies normally.
    @Test func mmioFramesAreHoles() throws {
        let memory = GuestMemory()
        memory.populate(0x40)
        memory.populate(0x41, kind: .mmio)
        memory.populate(0x42, kind: .logDirty)
        #expect(errno { _ = try memory.load32(0x41000) } == .EFAULT)
        #expect(errno { try memory.writeBytes(0x40FFE, [1, 2, 3, 4]) } == .EFAULT)
        #expect(try memory.readBytes(0x40FFE, count: 2) == [1, 2])
        try memory.store32(0x42000, byHypervisor: true, 5)
        #expect(try memory.load32(0x42000) == 5)
    }

    @Test func hypervisorWritesToReadOnlyRAMAreDropped() throws {
        let memory = GuestMemory()
        memory.populate(0x30, kind: .readOnly)
        try memory.store32(0x30000, byHypervisor: true, 0xDEAD_BEEF)
        #expect(try memory.load32(0x30000) == 0, "discarded, and no fault")
        try memory.store32(0x30000, 7)
        #expect(try memory.load32(0x30000) == 7, "the guest's own write lands")
    }
}

/// A destroyed domain that a device model still holds stays dying (found by domid, no Argo
/// state, domid taken) until the device model goes or the references are released.
@Suite struct DyingDomainTests {
    static func world() -> ArgoHypervisor {
        let hv = makeWorld(ArgoBootSettings(macPermissive: true))
        try! hv.createDomain(ArgoDomainSpec(domid: 4, name: "dm", sid: 13, deviceModelTarget: 2))
        return hv
    }

    @Test func aHeldTargetStaysDying() throws {
        let hv = Self.world()
        try hv.guest(2).registerRing(aport: 1, partner: any, length: 4096)
        #expect(hv.holders(of: 2) == [4])
        #expect(hv.destroyDomain(2) == [])
        #expect(hv.isDying(2) && !hv.domainExists(2) && !hv.hasArgo(2))
        #expect(hv.dyingDomains == [2])
        #expect(hv.registeredRings.isEmpty, "argo_destroy ran at once")
        #expect(errno { _ = try hv.guest(1).sendv(source: address(any, 7), destination: address(2, 1), iovs: [[1]], messageType: 0) } == .ECONNREFUSED)
        #expect(hv.guest(1).lastReturn == lateSendvRet(.ECONNREFUSED))
        #expect(errno { try hv.guest(1).registerRing(aport: 3, partner: 2, length: 4096) } == .ECONNREFUSED)
        #expect(try hv.guest(1).notify([RingDataEntry(ring: address(2, 1))]).map(\.flags) == [0])
        #expect(throws: DomainCreationError.domidHeldByDyingDomain(2)) { try hv.createDomain(ArgoDomainSpec(domid: 2)) }
        #expect(hv.destroyDomain(2) == [], "destroying it again changes nothing")
        // The device model's end drops the hold: both are gone in one call.
        #expect(hv.destroyDomain(4) == [4, 2])
        #expect(!hv.isDying(2) && hv.dyingDomains.isEmpty)
        #expect(errno { _ = try hv.guest(1).sendv(source: address(any, 7), destination: address(2, 1), iovs: [[1]], messageType: 0) } == .ESRCH)
        #expect(try hv.createDomain(ArgoDomainSpec(domid: 2)))
    }

    @Test func releaseFreesTheDomidAndTheTargetLinkStays() throws {
        let hv = Self.world()
        hv.destroyDomain(2)
        #expect(hv.releaseDomain(1) == [], "a live domain is not released")
        #expect(hv.releaseDomain(2) == [2])
        #expect(!hv.isDying(2) && hv.releaseDomain(2) == [])
        try hv.createDomain(ArgoDomainSpec(domid: 2, sid: 11))
        #expect(hv.holders(of: 2) == [4], "the device model serves the new domain with that domid")
        #expect(hv.destroyDomain(2) == [] && hv.isDying(2))
    }

    @Test func anUnheldDomainIsFreedAtOnce() {
        let hv = Self.world()
        #expect(hv.destroyDomain(1) == [1])
        #expect(!hv.isDying(1) && !hv.domainExists(1))
    }
}
