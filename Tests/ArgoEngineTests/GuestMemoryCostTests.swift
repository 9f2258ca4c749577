import Testing
@testable import ArgoEngine

/// Guest memory costs what is written: refused hypercalls leave nothing behind, and an
/// accepted ring costs its own pages (issue 13: 300 refused registers took 5 GiB).
@Suite struct GuestMemoryCostTests {
    @Test func unwrittenPagesReadAsZerosAndCostNothing() throws {
        let memory = GuestMemory()
        memory.populateRange(first: 0x100, count: 4096)
        #expect(memory.backedByteCount == 0)
        #expect(try memory.readBytes(0x100 << 12 + 4090, count: 12) == [UInt8](repeating: 0, count: 12))
        try memory.writeBytes(0x100 << 12, [UInt8](repeating: 0, count: 8192))
        #expect(memory.backedByteCount == 0, "zeros on zero pages allocate nothing")
        try memory.writeBytes(0x100 << 12 + 5, [7])
        #expect(memory.backedByteCount == 4096 * 4096, "a block is backed as one piece once written")
        #expect(try memory.readBytes(0x100 << 12 + 4, count: 3) == [0, 7, 0])
        try memory.fillZeros(0x100 << 12, count: 16)
        #expect(try memory.readBytes(0x100 << 12 + 5, count: 1) == [0])
        #expect(throws: XenErrno.EFAULT) { try memory.fillZeros(0x5000 << 12, count: 1) }
    }

    @Test func refusedRegistrationsGiveTheirFramesBack() throws {
        let hypervisor = makeWorld()
        let guest = hypervisor.guest(1)
        let memory = try #require(hypervisor.memory(of: 1))
        let before = memory.populatedFrames.count
        for _ in 0 ..< 100 {
            #expect(errno { try guest.registerRing(aport: 1, partner: 0, length: 0xFFFF_FFF0) } == .EINVAL)
        }
        #expect(memory.populatedFrames.count == before, "refused rings keep no frames")
        #expect(memory.backedByteCount <= 16 * 4096)
        // An accepted ring costs its pages, no more.
        try guest.registerRing(aport: 2, partner: 0, length: 0x10_0000)
        let ringBytes = Int(ArgoABI.pagesForRing(length: 0x10_0000)) * 4096
        #expect(memory.backedByteCount >= ringBytes)
        #expect(memory.backedByteCount <= ringBytes + 16 * 4096)
    }

    @Test func refusedLargeIovsCostNothing() throws {
        let hypervisor = makeWorld()
        try hypervisor.guest(1).registerRing(aport: 1, partner: 0, length: 4032)
        let dom0 = hypervisor.guest(0)
        let memory = try #require(hypervisor.memory(of: 0))
        let huge = [ArgoGuest.Payload](repeating: .zeros(0x100_0000), count: 64)
        for _ in 0 ..< 4 {
            #expect(errno { try dom0.sendv(source: address(any, 1), destination: address(1, 1), payloads: huge, messageType: 0) } == .EINVAL)
            #expect(errno { try dom0.sendv(source: address(any, 1), destination: address(1, 1), payloads: [ArgoGuest.Payload](repeating: .zeros(0x80_0000), count: 8),
                                           messageType: 0) } == .EMSGSIZE)
        }
        #expect(memory.backedByteCount <= 16 * 4096, "staged zeros are not allocated")
        // Payload that is really written costs its pages, and arrives.
        let sent = try dom0.sendv(source: address(any, 1), destination: address(1, 1),
                                  payloads: [.bytes([1, 2, 3]), .zeros(100), .bytes([9])], messageType: 0)
        #expect(sent == 104)
        let record = try #require(hypervisor.guest(1).ring(aport: 1, partner: 0))
        let messages = hypervisor.guest(1).readMessages(record)
        #expect(messages.map(\.payload) == [[1, 2, 3] + [UInt8](repeating: 0, count: 100) + [9]])
    }

    @Test func notifyListsOfAnyLengthReachTheHypervisor() throws {
        let hypervisor = makeWorld()
        let dom0 = hypervisor.guest(0)
        let entries = [RingDataEntry](repeating: RingDataEntry(ring: address(1, 1)), count: 10_000)
        #expect(errno { _ = try dom0.notify(entries) } == .EACCES, "more than 256 entries: Xen's EACCES")
        let filled = try dom0.notify(Array(entries.prefix(256)))
        #expect(filled.count == 256)
        // nent decides what Xen reads, whatever the list holds.
        #expect(try dom0.notify(entries, nent: 3).count == 10_000)
    }
}
