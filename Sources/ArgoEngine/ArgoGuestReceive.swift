/// The receive side of the guest driver.
extension ArgoGuest {
    /// The guest's record of one of its rings.
    public func ring(aport: UInt32, partner: UInt16) -> GuestRingRecord? {
        rings[RingID(owner: domid, aport: aport, partner: partner)]
    }

    /// The driver's record of a ring, or, for a ring registered by raw hypercalls (the driver
    /// kept no record), one built from what the hypervisor mapped when its frames are
    /// consecutive guest frames (the guest then addresses the ring as one block).
    public func knownRing(aport: UInt32, partner: UInt16) -> GuestRingRecord? {
        if let record = ring(aport: aport, partner: partner) { return record }
        let id = RingID(owner: domid, aport: aport, partner: partner)
        guard let mapped = hypervisor.snapshot(of: domid)?.rings.first(where: { $0.id == id }), let first = mapped.frames.first,
              mapped.frames.enumerated().allSatisfy({ $0.element == first + UInt64($0.offset) }) else { return nil }
        return GuestRingRecord(id: id, length: mapped.length, frames: mapped.frames)
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
        guard let domain = liveDomain(domid) else { preconditionFailure("no live domain \(domid)") }
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
        guard let found = domainRef(sender), found._withUnsafeGuaranteedRef({ !$0.isDying }) else { preconditionFailure("no live domain \(sender)") }
        return try found.borrow { (caller) throws(XenErrno) -> Int in try send(caller: caller, source: source, destination: destination,
                                                                               messageType: messageType, payload: payload) }
    }

    @inline(__always)
    private func send(caller: Domain, source: ArgoAddress, destination: ArgoAddress, messageType: UInt32,
                      payload: UnsafeRawBufferPointer) throws(XenErrno) -> Int {
        guard argoEnabled else { throw .EOPNOTSUPP }
        if xsmKind == .flask { try checkEnable(caller, current: caller.domid) }
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

/// A receiver's direct view of one of its rings: the page addresses resolved
/// once, for an allocation-free read loop. Obtain with ``ArgoGuest/reader(for:)``.
///
/// What every read needs (the ring's length, the header page, whether the pages are
/// consecutive) is held in the value itself: with thousands of rings, each array the read
/// loop had to open first was a cache miss per read.
///
/// ``consume(_:)`` is inlinable: a guest's driver is compiled into the guest, read loop and
/// all, so the loop that takes the messages can copy each payload out without a call through
/// a closure. What it reads is only the reader's own fields and the ring's memory.
public struct ArgoRingReader {
    public let record: GuestRingRecord
    @usableFromInline let pages: [UnsafeMutableRawPointer]
    /// Keeps the pages alive while the reader exists.
    let owners: [GuestPage]
    /// The header page (the ring's memory when `contiguous`).
    @usableFromInline let header: UnsafeMutableRawPointer?
    @usableFromInline let length: UInt32
    /// The reader holds every page the ring's length needs.
    @usableFromInline let complete: Bool
    /// The pages are consecutive in host memory: payloads never need gathering
    /// unless they wrap.
    @usableFromInline let contiguous: Bool

    init(record: GuestRingRecord, pages: [UnsafeMutableRawPointer], owners: [GuestPage]) {
        self.record = record
        self.pages = pages
        self.owners = owners
        header = pages.first
        length = record.length
        complete = record.length >= ArgoABI.minRingLength && pages.count == Int(ArgoABI.pagesForRing(length: record.length))
        contiguous = pages.indices.dropFirst().allSatisfy { pages[$0] == pages[$0 - 1] + ArgoABI.pageSize }
    }

    /// The host address of ring byte `at` (header included); `at` is below the ring's size.
    @inlinable @inline(__always)
    func address(_ at: Int) -> UnsafeMutableRawPointer {
        contiguous ? header.unsafelyUnwrapped.advanced(by: at) : pages[at >> 12].advanced(by: at & 0xFFF)
    }

    /// Where the ring header is in host memory (nil if the reader has no pages): a target
    /// for cache hints.
    public var headerAddress: UnsafeRawPointer? { header.map { UnsafeRawPointer($0) } }

    /// Hands each message's source, type and payload to `body`, then publishes
    /// rx_ptr. A payload that wraps or crosses a page is gathered into a scratch
    /// buffer. Stops at a corrupt header; sanitises a bogus rx_ptr as Xen
    /// reads it. Returns the number of messages consumed. Does not call notify.
    @discardableResult @inlinable @inline(__always)
    public mutating func consume(_ body: (ArgoAddress, UInt32, UnsafeRawBufferPointer) -> Void) -> Int {
        guard complete, let header else { return 0 }
        let length = self.length
        var rx = ArgoABI.roundUpToSlot(UInt32(littleEndian: header.loadUnaligned(as: UInt32.self)))
        if rx >= length { rx = 0 }
        let tx = UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        var consumed = 0
        while rx != tx, consumed <= Int(length / 16) {
            let base = address(Int(rx) + 64)   // a header never straddles: slots are 16-aligned
            let total = UInt32(littleEndian: base.loadUnaligned(as: UInt32.self))
            guard total >= 16, total <= length - 16 else { break }
            let source = ArgoAddress(aport: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
                                     domainID: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt16.self)),
                                     pad: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 10, as: UInt16.self)))
            let type = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            let payloadLength = Int(total - 16)
            var start = Int(rx) + 16
            if start >= Int(length) { start -= Int(length) }
            let startAddress = start + 64
            if start + payloadLength <= Int(length), contiguous || (startAddress & 0xFFF) + payloadLength <= 4096 {
                body(source, type, UnsafeRawBufferPointer(start: address(startAddress), count: payloadLength))
            } else {
                // Scratch for this payload only: a buffer kept per reader would hold a page of
                // host memory for every ring that ever saw a wrapped message.
                withUnsafeTemporaryAllocation(byteCount: payloadLength, alignment: 16) { buffer in
                    var done = 0
                    var offset = start
                    while done < payloadLength {
                        let at = offset + 64
                        let chunk = min(payloadLength - done, 4096 - (at & 0xFFF), Int(length) - offset)
                        buffer.baseAddress!.advanced(by: done).copyMemory(from: pages[at >> 12].advanced(by: at & 0xFFF),
                                                                          byteCount: chunk)
                        done += chunk
                        offset = (offset + chunk) % Int(length)
                    }
                    body(source, type, UnsafeRawBufferPointer(buffer))
                }
            }
            let next = UInt64(rx) + UInt64(ArgoABI.roundUpToSlot(total))
            rx = UInt32(next >= UInt64(length) ? next - UInt64(length) : next)
            consumed += 1
        }
        header.storeBytes(of: rx.littleEndian, as: UInt32.self)
        return consumed
    }
}

extension ArgoGuest {
    /// A reader over one of this guest's rings (nil if a frame is gone).
    public func reader(for record: GuestRingRecord) -> ArgoRingReader? {
        var pages: [UnsafeMutableRawPointer] = []
        var owners: [GuestPage] = []
        for frame in record.frames {
            guard let page = memory.page(frame) else { return nil }
            pages.append(page.bytes)
            owners.append(page)
        }
        return ArgoRingReader(record: record, pages: pages, owners: owners)
    }

    /// ``ArgoRingReader/consume(_:)`` on a reader made for this call.
    @discardableResult
    public func consumeMessages(_ record: GuestRingRecord,
                                _ body: (ArgoAddress, UInt32, UnsafeRawBufferPointer) -> Void) -> Int {
        guard var reader = reader(for: record) else { return 0 }
        return reader.consume(body)
    }
}
