/// The receive side of the guest driver.
extension ArgoGuest {
    /// The guest's record of one of its rings.
    public func ring(aport: UInt32, partner: UInt16) -> GuestRingRecord? {
        rings[RingID(owner: domid, aport: aport, partner: partner)]
    }

    /// The ring's memory as the guest pages hold it: the 64-byte header, then
    /// `length` data bytes.
    public func ringBytes(_ record: GuestRingRecord) -> [UInt8] {
        (try? memory.readBytes(record.baseAddress, count: Int(record.length) + ArgoABI.ringHeaderSize)) ?? []
    }

    /// The header pointers as the guest sees them.
    public func pointers(_ record: GuestRingRecord) -> (rx: UInt32, tx: UInt32) {
        let rx = (try? memory.load32(record.baseAddress)) ?? 0
        let tx = (try? memory.load32(record.baseAddress + 4)) ?? 0
        return (rx, tx)
    }

    /// A guest write of rx_ptr (possibly hostile).
    public func setRxPtr(_ record: GuestRingRecord, _ value: UInt32) {
        try? memory.store32(record.baseAddress, value)
    }

    /// A guest write of tx_ptr (hostile: only Xen should write it).
    public func setTxPtr(_ record: GuestRingRecord, _ value: UInt32) {
        try? memory.store32(record.baseAddress + 4, value)
    }

    /// Reads every message between rx_ptr and tx_ptr. When `consume`, rx_ptr
    /// is advanced past each message (payload rounded up to 16, wrapping) and
    /// published after the copy, as a Linux driver does. A corrupt header (a
    /// length below 16 or beyond the ring) stops the read; an rx_ptr that is
    /// unaligned or past the end is first sanitised the way Xen reads it.
    public func readMessages(_ record: GuestRingRecord, consume: Bool = true) -> [ArgoMessage] {
        let length = record.length
        guard length >= ArgoABI.minRingLength else { return [] }
        let (rawRx, tx) = pointers(record)
        var rx = ArgoABI.roundUpToSlot(rawRx)
        if rx >= length { rx = 0 }
        var messages: [ArgoMessage] = []
        let data = record.baseAddress + UInt64(ArgoABI.ringHeaderSize)
        var guardCount = 0
        while rx != tx, guardCount < Int(length / 16) + 1 {
            guardCount += 1
            let header = readWrapping(data, length, rx, 16)
            let total = UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
            guard total >= 16, total <= length - 16 else { break }
            let aport = UInt32(header[4]) | UInt32(header[5]) << 8 | UInt32(header[6]) << 16 | UInt32(header[7]) << 24
            let domainID = UInt16(header[8]) | UInt16(header[9]) << 8
            let pad = UInt16(header[10]) | UInt16(header[11]) << 8
            let type = UInt32(header[12]) | UInt32(header[13]) << 8 | UInt32(header[14]) << 16 | UInt32(header[15]) << 24
            let payloadStart = (rx + 16) % length
            let payload = readWrapping(data, length, payloadStart, Int(total - 16))
            messages.append(ArgoMessage(source: ArgoAddress(aport: aport, domainID: domainID, pad: pad),
                                        messageType: type, payload: payload, offset: rx))
            rx = UInt32((UInt64(rx) + UInt64(ArgoABI.roundUpToSlot(total))) % UInt64(length))
        }
        if consume { setRxPtr(record, rx) }
        return messages
    }

    /// Reads without consuming.
    public func peekMessages(_ record: GuestRingRecord) -> [ArgoMessage] { readMessages(record, consume: false) }

    private func readWrapping(_ data: UInt64, _ length: UInt32, _ start: UInt32, _ count: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        let first = min(count, Int(length - start))
        result += (try? memory.readBytes(data + UInt64(start), count: first)) ?? Array(repeating: 0, count: first)
        if count > first {
            result += (try? memory.readBytes(data, count: count - first)) ?? Array(repeating: 0, count: count - first)
        }
        return result
    }

    /// Consumes all messages on a ring, then calls notify with no entries so
    /// that senders waiting for space are woken.
    public func receive(aport: UInt32, partner: UInt16) -> [ArgoMessage] {
        guard let record = ring(aport: aport, partner: partner) else { return [] }
        let messages = readMessages(record)
        _ = try? notify(nil)
        return messages
    }
}

extension ArgoHypervisor {
    /// The guest driver of a live domain (one per domain, created on first use).
    public func guest(_ domid: UInt16) -> ArgoGuest {
        guard let domain = domain(domid) else { preconditionFailure("no domain \(domid)") }
        if let existing = guests[domid], existing.memory === domain.memory { return existing }
        let created = ArgoGuest(domid: domid, hypervisor: self, memory: domain.memory)
        guests[domid] = created
        return created
    }

    /// Host fast path: sendv of one buffer with well-formed arguments, as if
    /// the guest had laid them out correctly (same checks, same order, no
    /// argument copies). Returns the payload length.
    @discardableResult
    public func send(from sender: UInt16, source: ArgoAddress, destination: ArgoAddress, messageType: UInt32,
                     payload: UnsafeRawBufferPointer) throws(XenErrno) -> Int {
        guard let caller = domain(sender) else { preconditionFailure("no domain \(sender)") }
        guard settings.argoEnabled else { throw .EOPNOTSUPP }
        if case .flask = settings.xsm { try checkEnable(caller, current: sender) }
        guard payload.count <= Int(UInt32.max) else { throw .EINVAL }
        var iov = ArgoIOV(address: 0, length: UInt32(payload.count))
        var buffer = payload
        return try withUnsafePointer(to: &buffer) { (buffers) throws(XenErrno) -> Int in
            try withUnsafePointer(to: &iov) { (iovs) throws(XenErrno) -> Int in
                try sendv(caller, ArgoSendAddress(source: source, destination: destination),
                          iovs: UnsafeBufferPointer(start: iovs, count: 1), messageType: messageType,
                          payload: HostPayloadReader(buffers: UnsafeBufferPointer(start: buffers, count: 1)))
            }
        }
    }
}
