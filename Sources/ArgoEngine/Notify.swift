/// One `xen_argo_ring_data_ent_t` after notify filled it in.
public struct RingDataEntry: Sendable, Hashable {
    public var ring: ArgoAddress
    public var flags: UInt16
    public var spaceRequired: UInt32
    public var maxMessageSize: UInt32

    public init(ring: ArgoAddress, flags: UInt16 = 0, spaceRequired: UInt32 = 0, maxMessageSize: UInt32 = 0) {
        self.ring = ring
        self.flags = flags
        self.spaceRequired = spaceRequired
        self.maxMessageSize = maxMessageSize
    }
}

extension ArgoHypervisor {
    // MARK: pending space notifications

    /// `pending_queue`.
    func queueWait(_ ring: Ring, waiter: UInt16, length: UInt32) throws(XenErrno) {
        if ring.pending.count >= Int(ArgoABI.maxPendingPerRing) { throw .EBUSY }
        let wait = PendingWait(length: length, waiter: waiter, ring: ring)
        if ring.id.isWildcard, let argo = domain(waiter)?.argo {
            argo.wildcardWaits.insert(wait, at: 0)
        }
        ring.pending.insert(wait, at: 0)
    }

    /// `pending_requeue`: raise an existing wait to `length`, or queue a new one.
    func requeueWait(_ ring: Ring, waiter: UInt16, length: UInt32) throws(XenErrno) {
        for wait in ring.pending where wait.waiter == waiter {
            if wait.length < length { wait.length = length }
            return
        }
        try queueWait(ring, waiter: waiter, length: length)
    }

    /// Takes `wait` off its waiter's wildcard list (`wildcard_pending_list_remove`).
    func unlinkWildcardWait(_ wait: PendingWait) {
        guard let argo = domain(wait.waiter)?.argo,
              let index = argo.wildcardWaits.firstIndex(where: { $0 === wait }) else { return }
        argo.wildcardWaits.remove(at: index)
    }

    /// `pending_cancel`: drop `waiter`'s waits on this ring.
    func cancelWaits(_ ring: Ring, waiter: UInt16) {
        ring.pending.removeAll { wait in
            guard wait.waiter == waiter else { return false }
            if ring.id.isWildcard { unlinkWildcardWait(wait) }
            return true
        }
    }

    /// `pending_remove_all`.
    func removeAllWaits(_ ring: Ring) {
        if ring.id.isWildcard { for wait in ring.pending { unlinkWildcardWait(wait) } }
        ring.pending.removeAll()
    }

    /// `notify_check_pending`: for each of the owner's rings in hash order, take
    /// off every wait that the space now satisfies, then signal each waiter once
    /// per wait, in Xen's order (the collected list is built head-first).
    func wakeSatisfiedWaiters(_ owner: Domain) {
        guard let argo = owner.argo else { return }
        var toNotify: [UInt16] = []
        for bucket in argo.ringBuckets {
            for ring in bucket {
                let space = ring.length != 0 ? payloadSpace(ring) : 0
                guard space != 0 else { continue }
                ring.pending.removeAll { wait in
                    guard space >= wait.length else { return false }
                    if ring.id.isWildcard { unlinkWildcardWait(wait) }
                    toNotify.append(wait.waiter)
                    return true
                }
            }
        }
        for waiter in toNotify.reversed() { signal(domid: waiter) }
    }

    // MARK: notify

    /// `notify`: wake satisfied waiters on the caller's rings, then describe
    /// the rings listed in the caller's `xen_argo_ring_data_t` (if not NULL).
    func notify(_ caller: Domain, ringDataAddress: UInt64) throws(XenErrno) -> Int {
        guard caller.argo != nil else { throw .ENODEV }
        wakeSatisfiedWaiters(caller)
        if ringDataAddress == 0 { return 0 }
        let entryCount = try caller.memory.load32(ringDataAddress)
        _ = try caller.memory.load32(ringDataAddress &+ 4)
        if entryCount > ArgoABI.maxNotifyCount { throw .EACCES }
        for index in 0 ..< UInt64(entryCount) {
            let address = ringDataAddress &+ UInt64(ArgoABI.ringDataSize) &+ index * UInt64(ArgoABI.ringDataEntrySize)
            try fillRingData(caller, entryAddress: address)
        }
        return 0
    }

    /// `fill_ring_data`: one entry. An XSM refusal is returned (ending the
    /// caller's loop) without writing the entry back.
    func fillRingData(_ caller: Domain, entryAddress: UInt64) throws(XenErrno) {
        let raw = try caller.memory.readBytes(entryAddress, count: ArgoABI.ringDataEntrySize)
        var entry = Self.decodeRingDataEntry(raw)
        entry.flags = 0
        if let target = domain(entry.ring.domainID), let targetArgo = target.argo {
            try checkSend(caller, to: target)
            describe(&entry, targetArgo.findRing(owner: target.domid, aport: entry.ring.aport, sender: caller.domid),
                     caller: caller)
        }
        try caller.memory.store16(entryAddress &+ UInt64(ArgoABI.ringDataEntryFlagsOffset), byHypervisor: true, entry.flags)
        try caller.memory.store32(entryAddress &+ UInt64(ArgoABI.ringDataEntryMaxMessageSizeOffset), byHypervisor: true,
                                  entry.maxMessageSize)
    }

    private func describe(_ entry: inout RingDataEntry, _ ring: Ring?, caller: Domain) {
        guard let ring else { return }
        entry.flags |= ArgoABI.ringExists
        entry.maxMessageSize = ring.length &- 32
        if ring.id.isWildcard { entry.flags |= ArgoABI.ringShared }
        let space = payloadSpace(ring)
        if entry.spaceRequired > entry.maxMessageSize {
            entry.flags |= ArgoABI.ringEMsgSize
        } else if space >= entry.spaceRequired {
            cancelWaits(ring, waiter: caller.domid)
            entry.flags |= ArgoABI.ringSufficient
        } else {
            do {
                try requeueWait(ring, waiter: caller.domid, length: entry.spaceRequired)
            } catch {
                entry.flags |= ArgoABI.ringEBusy
            }
        }
        if space == entry.maxMessageSize { entry.flags |= ArgoABI.ringEmpty }
    }

    static func decodeRingDataEntry(_ raw: [UInt8]) -> RingDataEntry {
        func u32(_ at: Int) -> UInt32 {
            UInt32(raw[at]) | UInt32(raw[at + 1]) << 8 | UInt32(raw[at + 2]) << 16 | UInt32(raw[at + 3]) << 24
        }
        func u16(_ at: Int) -> UInt16 { UInt16(raw[at]) | UInt16(raw[at + 1]) << 8 }
        return RingDataEntry(ring: ArgoAddress(aport: u32(0), domainID: u16(4), pad: u16(6)),
                             flags: u16(8), spaceRequired: u32(12), maxMessageSize: u32(16))
    }
}
