import Testing
@testable import ArgoEngine

@Suite struct SendvTests {
    @Test func argumentChecksInXensOrder() throws {
        let hv = makeWorld()
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 256)
        let g = RawGuest(hv, 0)
        let (sendAddr, iovs) = g.layoutSend(src: address(0, 1), dst: address(1, 1), iovs: [([1, 2], 0)])
        #expect(g.call(3, 0xdead_0000, iovs, 1, 0) == ret(.EFAULT))       // send_addr first
        #expect(g.call(3, sendAddr, iovs, 9, 0) == ret(.EINVAL))              // then niov
        #expect(g.call(3, sendAddr, 0xdead_0000, 1, 0) == ret(.EFAULT))       // then the iov array
        #expect(g.call(3, sendAddr, 0xdead_0000, 0, 0) == 0)                // zero iovs read nothing: an empty message
        func send(_ src: ArgoAddress, _ dst: ArgoAddress, _ list: [([UInt8], UInt32)] = [([1, 2], 0)]) -> Int64 {
            let (s, i) = g.layoutSend(src: src, dst: dst, iovs: list.map { (data: $0.0, pad: $0.1) })
            return g.call(3, s, i, UInt64(list.count), 0)
        }
        #expect(send(ArgoAddress(aport: 1, domainID: 0, pad: 1), address(1, 1)) == ret(.EINVAL))
        #expect(send(address(0, 1), ArgoAddress(aport: 1, domainID: 1, pad: 1)) == ret(.EINVAL))
        #expect(send(address(2, 1), address(1, 1)) == ret(.EPERM))        // spoofed source
        #expect(send(address(0, 1), address(99, 1)) == ret(.ESRCH))
        // From here on sendv's last line returns the error as an unsigned int (a 64-bit guest).
        #expect(send(address(0, 1), address(1, 2)) == lateSendvRet(.ECONNREFUSED)) // no such ring
        #expect(lateSendvRet(.ECONNREFUSED) == 4_294_967_185)
        #expect(send(address(0, 1), address(1, 1), [([1], 0), ([2], 7)]) == lateSendvRet(.EINVAL))   // iov pad
        #expect(send(address(any, 1), address(1, 1)) == 2)
        #expect(hv.drainSignals() == [1, 1])
        // Counting drains clear the same log.
        #expect(send(address(any, 1), address(1, 1)) == 2)
        #expect(send(address(any, 1), address(1, 1)) == 2)
        #expect(hv.drainSignalCount() == 2)
        #expect(hv.drainSignals().isEmpty && hv.drainSignalCount() == 0)
    }

    /// The same late error, raw, for a 64-bit guest (unsigned int widened to long) and a
    /// 32-bit guest (compat_argo_op returns int): docs/ARGO-QUIRKS.md, "sendv's unsigned return".
    @Test func lateErrorsByGuestWidth() throws {
        let hv = makeWorld(compat: [2])
        let native = RawGuest(hv, 1)
        let (s1, i1) = native.layoutSend(src: address(1, 1), dst: address(0, 9), iovs: [(data: [1], pad: 0)])
        #expect(native.call(3, s1, i1, 1, 0) == 4_294_967_185, "no ring: -ECONNREFUSED as unsigned int")
        #expect(errno { _ = try hv.guest(2).sendv(source: address(2, 1), destination: address(0, 9), iovs: [[1]], messageType: 0) } == .ECONNREFUSED)
        #expect(hv.guest(2).lastReturn == ret(.ECONNREFUSED), "a 32-bit guest: compat_argo_op's int is negative")
        // Early errors are negative for both.
        let (s3, i3) = native.layoutSend(src: address(1, 1), dst: address(99, 9), iovs: [(data: [1], pad: 0)])
        #expect(native.call(3, s3, i3, 1, 0) == ret(.ESRCH))
        // The guest client reads the result as a driver's int: the errno again.
        #expect(errno { _ = try hv.guest(1).sendv(source: address(1, 1), destination: address(0, 9), iovs: [[1]], messageType: 0) } == .ECONNREFUSED)
        #expect(hv.guest(1).lastReturn == 4_294_967_185)
    }

    @Test func iovLengthLimits() throws {
        let hv = makeWorld()
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 256)
        let g = RawGuest(hv, 0)
        let (send, iovs) = g.layoutSend(src: address(0, 1), dst: address(1, 1), iovs: [([], 0), ([], 0)])
        // Lengths are claimed; the data is never read because the checks fail first.
        try g.memory.store32(iovs + 8, ArgoABI.maxMessageSize + 1)
        #expect(g.call(3, send, iovs, 2, 0) == lateSendvRet(.EINVAL))
        try g.memory.store32(iovs + 8, ArgoABI.maxMessageSize)
        try g.memory.store32(iovs + 24, 1)
        #expect(g.call(3, send, iovs, 2, 0) == lateSendvRet(.EMSGSIZE))
        try g.memory.store32(iovs + 8, 225)
        try g.memory.store32(iovs + 24, 0)
        #expect(g.call(3, send, iovs, 2, 0) == lateSendvRet(.EMSGSIZE))   // 16 + 240 >= 256: never fits this ring
        try g.memory.store32(iovs + 8, 224)
        #expect(g.call(3, send, iovs, 2, 0) == 224)              // 16 + 224 < 256: fits an empty ring
        // A payload pointer into a hole faults after the header went in; tx_ptr does not move.
        try hv.guest(1).unregisterRing(aport: 1, partner: 0)
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 256)
        try g.memory.store64(iovs, 0xdead_0000)
        try g.memory.store32(iovs + 8, 5)
        try g.memory.store32(iovs + 24, 0)
        #expect(g.call(3, send, iovs, 2, 0) == lateSendvRet(.EFAULT))
        #expect(hv.snapshot(of: 1)?.rings.first?.txPtr == 0)
        #expect(hv.drainSignals() == [1])                          // only the earlier success signalled
    }

    @Test func fullRingIsEAGAINAndQueuesTheSender() throws {
        let hv = makeWorld(ArgoBootSettings(macPermissive: true))
        try hv.guest(1).registerRing(aport: 1, partner: any, length: 64)
        let d0 = hv.guest(0)
        #expect(try d0.sendv(source: address(0, 1), destination: address(1, 1), iovs: [Array(repeating: 1, count: 16)], messageType: 0) == 16)
        // 32 used of 64: a 1-byte message needs 16 + 16 < free (32) — no: 32 >= 32.
        #expect(errno { try d0.sendv(source: address(0, 1), destination: address(1, 1), iovs: [[1]], messageType: 0) } == .EAGAIN)
        #expect(errno { try d0.sendv(source: address(0, 1), destination: address(1, 1), iovs: [[1, 2, 3]], messageType: 0) } == .EAGAIN)
        let ring = try #require(hv.snapshot(of: 1)?.rings.first)
        #expect(ring.waits == [PendingWaitSnapshot(waiter: 0, length: 3, ring: ring.id)])   // requeue raised 1 -> 3
        #expect(hv.snapshot(of: 0)?.wildcardWaits.count == 1)
        _ = hv.drainSignals()
        // The receiver reads and calls notify: the waiter gets exactly one VIRQ.
        #expect(hv.guest(1).receive(aport: 1, partner: any).count == 1)
        #expect(hv.drainSignals() == [0])
        #expect(hv.snapshot(of: 1)?.rings.first?.waits.isEmpty == true)
        #expect(hv.snapshot(of: 0)?.wildcardWaits.isEmpty == true)
    }

    @Test func thirtyThreeWaitersIsEBUSY() throws {
        let hv = ArgoHypervisor(settings: ArgoBootSettings(macPermissive: true))
        for domid in UInt16(0) ... 33 { try hv.createDomain(ArgoDomainSpec(domid: domid)) }
        try hv.guest(0).registerRing(aport: 1, partner: any, length: 48)
        // Two empty messages (16 bytes each) leave 16 free in 48: the next one must wait.
        try hv.guest(1).sendv(source: address(1, 1), destination: address(0, 1), iovs: [[]], messageType: 0)
        try hv.guest(1).sendv(source: address(1, 1), destination: address(0, 1), iovs: [[]], messageType: 0)
        for domid in UInt16(1) ... 32 {
            #expect(errno { try hv.guest(domid).sendv(source: address(domid, 1), destination: address(0, 1), iovs: [[]], messageType: 0) } == .EAGAIN)
        }
        #expect(errno { try hv.guest(33).sendv(source: address(33, 1), destination: address(0, 1), iovs: [[]], messageType: 0) } == .EBUSY)
        #expect(hv.snapshot(of: 0)?.rings.first?.waits.count == 32)
    }

    @Test func unicastRingWinsOverWildcard() throws {
        let hv = makeWorld(ArgoBootSettings(macPermissive: true))
        try hv.guest(1).registerRing(aport: 1, partner: any, length: 256)
        try hv.guest(1).registerRing(aport: 1, partner: 2, length: 256)
        try hv.guest(2).sendv(source: address(2, 1), destination: address(1, 1), iovs: [[2]], messageType: 0)
        try hv.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [[0]], messageType: 0)
        #expect(hv.guest(1).receive(aport: 1, partner: 2).map(\.payload) == [[2]])
        #expect(hv.guest(1).receive(aport: 1, partner: any).map(\.payload) == [[0]])
    }

    @Test func zeroLengthIovsAndUnzeroedPadding() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        try a1.registerRing(aport: 1, partner: 0, length: 64)
        let record = try #require(a1.ring(aport: 1, partner: 0))
        try hv.memory(of: 1)!.writeBytes(record.baseAddress + 64, Array(repeating: 0xEE, count: 64))
        let sent = try hv.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [[], [7], [], [8]], messageType: 5)
        #expect(sent == 2)
        let bytes = a1.ringBytes(record)
        #expect(Array(bytes[64 ..< 82]) == [18, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 7, 8])
        #expect(bytes[82 ..< 96].allSatisfy { $0 == 0xEE })         // padding left as it was
        #expect(a1.pointers(record).tx == 32)
    }

    @Test func messageTypeAndEmptyMessage() throws {
        let hv = makeWorld()
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 64)
        let g = RawGuest(hv, 0)
        let (send, iovs) = g.layoutSend(src: address(0, 1), dst: address(1, 1), iovs: [])
        #expect(g.call(3, send, iovs, 0, 0xFFFF_FFFF) == 0)
        #expect(g.call(3, send, iovs, 0, 0x1_0000_0000) == ret(.EINVAL))
        let messages = hv.guest(1).receive(aport: 1, partner: 0)
        #expect(messages == [ArgoMessage(source: address(0, 1), messageType: 0xFFFF_FFFF, payload: [], offset: 0)])
    }

    @Test func siloAllowsOnlySelfAndControl() throws {
        let hv = makeWorld(ArgoBootSettings(xsm: .silo))
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 64)
        try hv.guest(1).registerRing(aport: 2, partner: 1, length: 64)
        #expect(errno { try hv.guest(1).registerRing(aport: 3, partner: 2, length: 64) } == .EPERM)
        try hv.guest(0).registerRing(aport: 1, partner: 2, length: 64)
        #expect(errno { try hv.guest(2).sendv(source: address(2, 1), destination: address(1, 1), iovs: [], messageType: 0) } == .EPERM)
        #expect(try hv.guest(2).sendv(source: address(2, 1), destination: address(0, 1), iovs: [], messageType: 0) == 0)
        #expect(try hv.guest(1).sendv(source: address(1, 1), destination: address(1, 2), iovs: [], messageType: 0) == 0)
    }

    @Test func flaskSendUsesTargetSIDs() throws {
        var table = TableDecider()
        for sid: UInt32 in [2, 10, 11] { table.allow(sid, 1, .enable) }
        table.allow(10, 1010, [.registerSingleSource, .send])        // a1 to itself: self SID
        table.allow(11, 2010, .send)                                 // a2 as device model of a1: target SID
        table.allow(10, 11, .registerSingleSource)
        table.auditAllow = ArgoPermissions.send.rawValue
        let hv = ArgoHypervisor(settings: ArgoBootSettings(xsm: .flask(decider: table, mode: .enforcing)))
        try hv.createDomain(ArgoDomainSpec(domid: 1, sid: 10))
        try hv.createDomain(ArgoDomainSpec(domid: 2, sid: 11, deviceModelTarget: 1))
        try hv.guest(1).registerRing(aport: 1, partner: 1, length: 64)
        try hv.guest(1).registerRing(aport: 2, partner: 2, length: 64)
        _ = hv.drainAuditLog()
        #expect(try hv.guest(1).sendv(source: address(1, 1), destination: address(1, 1), iovs: [], messageType: 0) == 0)
        #expect(try hv.guest(2).sendv(source: address(2, 1), destination: address(1, 2), iovs: [], messageType: 0) == 0)
        #expect(hv.drainAuditLog().map(\.consoleLine) == [
            "avc:  granted  { send } for source=d1 scontext=ctx10 tcontext=ctx1010 tclass=argo",
            "avc:  granted  { send } for source=d2 target=d1 scontext=ctx11 tcontext=ctx2010 tclass=argo",
        ])
    }

    @Test func permissiveDenialsAreLoggedOnce() throws {
        var table = TableDecider()
        table.allow(10, 1, .enable)
        table.allow(11, 1, .enable)
        table.allow(10, 11, .registerSingleSource)
        table.permissiveSIDs = [11]
        table.dontAudit = 0
        let hv = ArgoHypervisor(settings: ArgoBootSettings(xsm: .flask(decider: table, mode: .enforcing)))
        try hv.createDomain(ArgoDomainSpec(domid: 1, sid: 10))
        try hv.createDomain(ArgoDomainSpec(domid: 2, sid: 11))
        try hv.createDomain(ArgoDomainSpec(domid: 3, sid: 999))
        try hv.guest(1).registerRing(aport: 1, partner: 2, length: 256)
        _ = hv.drainAuditLog()
        for _ in 0 ..< 3 { try hv.guest(2).sendv(source: address(2, 1), destination: address(1, 1), iovs: [], messageType: 0) }
        #expect(hv.drainAuditLog().map(\.consoleLine) == [
            "avc:  denied  { send } for source=d2 target=d1 scontext=ctx11 tcontext=ctx10 tclass=argo",
        ])
        // A SID without a context prints as ssid=N.
        #expect(hv.domainExists(3) && !hv.hasArgo(3))
        let record = AVCRecord(denied: true, permissions: 0x18, subjects: "current=d3 ", sourceSID: 999, targetSID: 1,
                               sourceContext: nil, targetContext: "ctx1")
        #expect(record.consoleLine == "avc:  denied  { send 0x10 } for current=d3 ssid=999 tcontext=ctx1 tclass=argo")
    }
}
