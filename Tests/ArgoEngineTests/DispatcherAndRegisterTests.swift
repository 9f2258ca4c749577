import Testing
@testable import ArgoEngine

@Suite struct DispatcherTests {
    @Test func wideArgumentsAreRejectedFirst() {
        let hv = ArgoHypervisor(settings: ArgoBootSettings(argoEnabled: false))
        try! hv.createDomain(ArgoDomainSpec(domid: 1))
        let g = RawGuest(hv, 1)
        #expect(g.call(99, 0, 0, 1 << 32, 0) == ret(.EINVAL))
        #expect(g.call(99, 0, 0, 0, 1 << 32) == ret(.EINVAL))
        #expect(g.call(99) == ret(.EOPNOTSUPP))
        #expect(g.call(ArgoABI.opNotify) == ret(.EOPNOTSUPP))
        #expect(!hv.hasArgo(1))
    }

    @Test func unknownOpAfterEnableHook() {
        var table = TableDecider()
        table.allow(10, 1, .enable)
        let hv = ArgoHypervisor(settings: ArgoBootSettings(xsm: .flask(decider: table, mode: .enforcing)))
        try! hv.createDomain(ArgoDomainSpec(domid: 1, sid: 10))
        try! hv.createDomain(ArgoDomainSpec(domid: 2, sid: 11))
        #expect(RawGuest(hv, 1).call(0) == ret(.EOPNOTSUPP))
        #expect(RawGuest(hv, 1).call(5) == ret(.EOPNOTSUPP))
        #expect(RawGuest(hv, 2).call(5) == ret(.EACCES))
        #expect(hv.hasArgo(1) && !hv.hasArgo(2))
        let lines = hv.drainAuditLog().map(\.consoleLine)
        #expect(lines == [
            "avc:  denied  { enable } for current=d[IDLE] scontext=ctx11 tcontext=ctx1 tclass=argo",
            "avc:  denied  { enable } for current=d2 scontext=ctx11 tcontext=ctx1 tclass=argo",
        ])
    }

    @Test func compatGuestArgumentsAreThirtyTwoBits() throws {
        let hv = makeWorld(compat: [2])
        try hv.guest(1).registerRing(aport: 1, partner: 2, length: 256)
        // A compat guest's registers cannot carry bit 32: the width check never fires.
        #expect(RawGuest(hv, 2).call(ArgoABI.opNotify, 0, 0, 1 << 32, 0) == 0)
        #expect(RawGuest(hv, 1).call(ArgoABI.opNotify, 0, 0, 1 << 32, 0) == ret(.EINVAL))
        // Compat sendv uses 12-byte iovs.
        let sent = try hv.guest(2).sendv(source: address(2, 5), destination: address(1, 1),
                                         iovs: [[1, 2, 3], [], [4, 5]], messageType: 3)
        #expect(sent == 5)
        let messages = hv.guest(1).receive(aport: 1, partner: 2)
        #expect(messages.map(\.payload) == [[1, 2, 3, 4, 5]])
        // niov above 8 in compat.
        #expect(errno { try hv.guest(2).sendv(source: address(2, 5), destination: address(1, 1), iovs: [[1]], messageType: 0, niov: 9) } == .EINVAL)
    }
}

@Suite struct RegisterTests {
    @Test func argumentChecksInXensOrder() {
        let hv = makeWorld()
        let g = RawGuest(hv, 1)
        let frames = hv.guest(1).allocateFrames(2)
        let (reg, gfns) = g.layoutRegister(aport: 1, partner: 0, length: 4032, frames: frames)
        // page count above 4096 before flags
        #expect(g.call(1, reg, gfns, 4097, 2) == ret(.EINVAL))
        #expect(g.call(1, reg, gfns, 1, 2) == ret(.EINVAL))             // unknown flag
        #expect(g.call(1, 0xdead_0000, gfns, 1, 0) == ret(.EFAULT))    // struct unreadable
        for (length, pages) in [(UInt32(32), UInt64(1)), (0x100_0010, 4097), (4040, 1), (4032, 2)] {
            let (r, f) = g.layoutRegister(aport: 1, partner: 0, length: length, frames: frames)
            #expect(g.call(1, r, f, pages, 0) == ret(.EINVAL), "len \(length) pages \(pages)")
        }
        let (padded, f2) = g.layoutRegister(aport: 1, partner: 0, length: 4032, pad: 1, frames: frames)
        #expect(g.call(1, padded, f2, 1, 0) == ret(.EINVAL))
        let (wild, f3) = g.layoutRegister(aport: 1, partner: any, length: 4032, frames: frames)
        #expect(g.call(1, wild, f3, 1, 0) == ret(.EPERM))               // mac-permissive off
        let (ghost, f4) = g.layoutRegister(aport: 1, partner: 77, length: 4032, frames: frames)
        #expect(g.call(1, ghost, f4, 1, 0) == ret(.ESRCH))
        let (selfID, f5) = g.layoutRegister(aport: 1, partner: ArgoABI.domidSelf, length: 4032, frames: frames)
        #expect(g.call(1, selfID, f5, 1, 0) == ret(.ESRCH))
        let (ok, f6) = g.layoutRegister(aport: 1, partner: 0, length: 4032, frames: frames)
        #expect(g.call(1, ok, 0xdead_0000, 1, 0) == ret(.EFAULT))       // frame list unreadable
        #expect(g.call(1, ok, f6, 1, 0) == 0)
        #expect(hv.snapshot(of: 1)?.ringCount == 1)
        #expect(hv.snapshot(of: 0)?.sendInfos == [RingID(owner: 1, aport: 1, partner: 0)])
    }

    @Test func smallestAndLargestRings() throws {
        let hv = makeWorld()
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 48)
        // XEN_ARGO_MAX_RING_SIZE itself needs 4097 pages, over the dispatcher's 4096-page bound.
        #expect(errno { try hv.guest(1).registerRing(aport: 2, partner: 0, length: ArgoABI.maxRingSize) } == .EINVAL)
        try hv.guest(1).registerRing(aport: 2, partner: 0, length: ArgoABI.maxRingSize - 64)
        #expect(hv.snapshot(of: 1)?.rings.count == 2)
        #expect(hv.snapshot(of: 1)?.rings.first { $0.id.aport == 2 }?.frames.count == 4096)
        #expect(errno { try hv.guest(1).registerRing(aport: 3, partner: 0, length: ArgoABI.maxRingSize - 48) } == .EINVAL)
    }

    @Test func frameKinds() {
        let hv = makeWorld()
        let g = RawGuest(hv, 1)
        let memory = hv.memory(of: 1)!
        let cases: [(GuestFrameKind?, XenErrno)] = [(nil, .EINVAL), (.readOnly, .EINVAL), (.logDirty, .EAGAIN), (.mmio, .EPERM)]
        for (kind, expected) in cases {
            let frame: UInt64 = 0x9000
            memory.depopulate(frame)
            if let kind { memory.populate(frame, kind: kind) }
            let (r, f) = g.layoutRegister(aport: 1, partner: 0, length: 64, frames: [frame])
            #expect(g.call(1, r, f, 1, 0) == ret(expected), "\(String(describing: kind))")
        }
        #expect(hv.snapshot(of: 1)?.rings.isEmpty == true)
    }

    @Test func reRegistrationKeepsValidTxAndLeaksTheCount() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        try a1.registerRing(aport: 1, partner: 0, length: 256)
        try hv.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [[9]], messageType: 0)
        try a1.registerRing(aport: 1, partner: 0, length: 256)
        let snapshot = try #require(hv.snapshot(of: 1))
        #expect(snapshot.rings.first?.txPtr == 32)
        #expect(snapshot.ringCount == 2)          // upstream quirk: counted twice
        #expect(hv.snapshot(of: 0)?.sendInfos.count == 2)
        #expect(errno { try a1.registerRing(aport: 1, partner: 0, length: 256, flags: 1) } == .EEXIST)
        #expect(errno { try a1.registerRing(aport: 1, partner: 0, length: 512) } == .EEXIST)
        try a1.unregisterRing(aport: 1, partner: 0)
        #expect(hv.snapshot(of: 1)?.ringCount == 1)
        #expect(hv.snapshot(of: 0)?.sendInfos.count == 1)   // one stale entry stays
    }

    @Test func txPtrIsSanitisedAndWrittenBack() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        let frames = a1.allocateFrames(1)
        let memory = hv.memory(of: 1)!
        let base = frames[0] << 12
        for (rx, tx, expected) in [(UInt32(0), UInt32(17), UInt32(0)), (33, 17, 48), (250, 300, 0), (0, 64, 64), (0xFFFF_FFF8, 5, 0)] {
            try memory.store32(base, rx)
            try memory.store32(base + 4, tx)
            try a1.registerRing(aport: 7, partner: 0, length: 256, frames: frames)
            #expect(hv.snapshot(of: 1)?.rings.first?.txPtr == expected, "rx \(rx) tx \(tx)")
            #expect(try memory.load32(base + 4) == expected)
            try a1.unregisterRing(aport: 7, partner: 0)
        }
    }

    @Test func ringLimitCountsBeforeLookup() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        for port in 0 ..< UInt32(128) { try a1.registerRing(aport: port, partner: 0, length: 48) }
        #expect(errno { try a1.registerRing(aport: 500, partner: 0, length: 48) } == .ENOSPC)
        #expect(errno { try a1.registerRing(aport: 5, partner: 0, length: 48) } == .ENOSPC)  // even re-registration
        try a1.unregisterRing(aport: 5, partner: 0)
        try a1.registerRing(aport: 500, partner: 0, length: 48)
    }

    @Test func failedReRegistrationRemovesTheRing() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        try a1.registerRing(aport: 1, partner: 0, length: 256)
        #expect(errno { try a1.registerRing(aport: 1, partner: 0, length: 256, frames: [0xABCDE]) } == .EINVAL)
        let snapshot = try #require(hv.snapshot(of: 1))
        #expect(snapshot.rings.isEmpty)
        #expect(snapshot.ringCount == 1)           // not decremented: leaked
        #expect(errno { try hv.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [[1]], messageType: 0) } == .ECONNREFUSED)
    }

    @Test func wildcardNeedsMacPermissiveAndTheHook() throws {
        var table = TableDecider()
        for sid: UInt32 in [2, 10, 11] { table.allow(sid, 1, .enable) }
        table.allow(11, 1, .registerAnySource)
        let hv = makeWorld(ArgoBootSettings(macPermissive: true, xsm: .flask(decider: table, mode: .enforcing)))
        #expect(errno { try hv.guest(1).registerRing(aport: 1, partner: any, length: 64) } == .EACCES)
        try hv.guest(2).registerRing(aport: 1, partner: any, length: 64)
        #expect(hv.drainAuditLog().map(\.consoleLine).last
            == "avc:  denied  { register_any_source } for current=d1 scontext=ctx10 tcontext=ctx1 tclass=argo")
    }

    @Test func partnerChecks() throws {
        var table = TableDecider()
        table.allow(10, 1, .enable)
        table.allow(2, 1, .enable)
        table.allow(10, 2, .registerSingleSource)
        table.allow(10, 11, .registerSingleSource)
        let hv = makeWorld(ArgoBootSettings(xsm: .flask(decider: table, mode: .enforcing)))
        #expect(!hv.hasArgo(2))
        #expect(errno { try hv.guest(1).registerRing(aport: 1, partner: 2, length: 64) } == .ECONNREFUSED)
        #expect(errno { try hv.guest(1).registerRing(aport: 1, partner: 1, length: 64) } == .EACCES)  // self SID 1010
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 64)
        let last = hv.drainAuditLog().last?.consoleLine
        #expect(last == "avc:  denied  { register_single_source } for source=d1 scontext=ctx10 tcontext=ctx1010 tclass=argo")
    }

    @Test func callerWithoutArgoStateIsENODEV() throws {
        var table = TableDecider()
        table.allow(2, 1, .enable)
        let decider = SwitchableDecider(table)
        let hv = ArgoHypervisor(settings: ArgoBootSettings(xsm: .flask(decider: decider, mode: .enforcing)))
        try hv.createDomain(ArgoDomainSpec(domid: 0, sid: 2, isControl: true))
        try hv.createDomain(ArgoDomainSpec(domid: 1, sid: 10))
        // A new policy allows d1 to use Argo, but its Argo state was never set up.
        decider.table.allow(10, 1, .enable)
        decider.table.allow(10, 2, [.registerSingleSource, .send])
        hv.flushAVCCache()
        let g = RawGuest(hv, 1)
        #expect(errno { try hv.guest(1).registerRing(aport: 1, partner: 0, length: 64) } == .ENODEV)
        #expect(g.call(2, g.layoutUnregister(aport: 1, partner: 0)) == ret(.ENODEV))
        #expect(g.call(4) == ret(.ENODEV))
        #expect(errno { try hv.guest(1).sendv(source: address(1, 1), destination: address(0, 1), iovs: [], messageType: 0) } == .ENODEV)
    }
}

@Suite struct UnregisterTests {
    @Test func errorsInOrder() throws {
        let hv = makeWorld()
        let g = RawGuest(hv, 1)
        try hv.guest(1).registerRing(aport: 1, partner: 2, length: 64)
        let arg = g.layoutUnregister(aport: 1, partner: 2)
        #expect(g.call(2, arg, 1, 0, 0) == ret(.EINVAL))
        #expect(g.call(2, arg, 0, 1, 0) == ret(.EINVAL))
        #expect(g.call(2, arg, 0, 0, 1) == ret(.EINVAL))
        #expect(g.call(2, 0xdead_0000) == ret(.EFAULT))
        #expect(g.call(2, g.layoutUnregister(aport: 1, partner: 2, pad: 3)) == ret(.EINVAL))
        #expect(g.call(2, g.layoutUnregister(aport: 1, partner: any)) == ret(.ENOENT))
        #expect(g.call(2, g.layoutUnregister(aport: 1, partner: 2)) == 0)
        #expect(hv.snapshot(of: 2)?.sendInfos == [])
        #expect(hv.snapshot(of: 1)?.ringCount == 0)
        #expect(g.call(2, g.layoutUnregister(aport: 1, partner: 2)) == ret(.ENOENT))
    }

    @Test func pendingWaitsAreDroppedSilently() throws {
        let hv = makeWorld()
        try hv.guest(1).registerRing(aport: 1, partner: 0, length: 64)
        try hv.guest(0).sendv(source: address(0, 1), destination: address(1, 1), iovs: [[1]], messageType: 0)
        _ = try hv.guest(0).notify([RingDataEntry(ring: address(1, 1), spaceRequired: 32)])
        #expect(hv.snapshot(of: 1)?.rings.first?.waits.count == 1)
        _ = hv.drainSignals()
        try hv.guest(1).unregisterRing(aport: 1, partner: 0)
        #expect(hv.drainSignals().isEmpty)
    }
}
