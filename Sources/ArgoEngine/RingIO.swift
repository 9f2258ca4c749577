/// One iov as the hypervisor holds it after copying the array in.
public struct ArgoIOV: Sendable, Hashable {
    /// Guest address of the data (or an index into host buffers for the host fast path).
    public var address: UInt64
    public var length: UInt32
    public var pad: UInt32

    public init(address: UInt64, length: UInt32, pad: UInt32 = 0) {
        self.address = address
        self.length = length
        self.pad = pad
    }
}

/// Where sendv payload bytes come from. Generic so that the host fast path and
/// the guest-memory path are both specialised (no existential per copy).
protocol PayloadReader {
    /// Copies `count` bytes of `iov`, starting `offset` bytes in, to `destination`.
    /// May copy a prefix and then throw EFAULT, as `copy_from_guest` does.
    func copy(_ iov: ArgoIOV, offset: UInt32, count: Int, to destination: UnsafeMutableRawPointer) throws(XenErrno)
}

/// Payload in the sender's guest memory.
struct GuestPayloadReader: PayloadReader {
    let memory: GuestMemory

    func copy(_ iov: ArgoIOV, offset: UInt32, count: Int, to destination: UnsafeMutableRawPointer) throws(XenErrno) {
        // Guest handles are plain addresses: arithmetic wraps like a pointer would.
        let address = iov.address &+ UInt64(offset)
        try memory.read(address, into: UnsafeMutableRawBufferPointer(start: destination, count: count))
    }
}

/// Payload in host buffers (the typed fast path); `iov.address` indexes `buffers`.
struct HostPayloadReader: PayloadReader {
    let buffers: UnsafeBufferPointer<UnsafeRawBufferPointer>

    @inline(__always)
    func copy(_ iov: ArgoIOV, offset: UInt32, count: Int, to destination: UnsafeMutableRawPointer) throws(XenErrno) {
        let buffer = buffers[Int(iov.address)]
        copyBytes(to: destination, from: buffer.baseAddress!.advanced(by: Int(offset)), count: count)
    }
}

/// `memcpy`, with payloads of up to 32 bytes copied inline: a call into libc cost more than
/// copying a small message itself.
@inline(__always)
func copyBytes(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
    switch count {
    case 16...32:
        // Two 16-byte moves that overlap in the middle when the count is below 32.
        let head = source.loadUnaligned(as: SIMD16<UInt8>.self)
        let tail = source.loadUnaligned(fromByteOffset: count - 16, as: SIMD16<UInt8>.self)
        destination.storeBytes(of: head, as: SIMD16<UInt8>.self)
        destination.storeBytes(of: tail, toByteOffset: count - 16, as: SIMD16<UInt8>.self)
    case 8..<16:
        let head = source.loadUnaligned(as: UInt64.self)
        let tail = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
        destination.storeBytes(of: head, as: UInt64.self)
        destination.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
    case 0..<8:
        for index in 0..<count {
            destination.storeBytes(of: source.load(fromByteOffset: index, as: UInt8.self), toByteOffset: index, as: UInt8.self)
        }
    default:
        destination.copyMemory(from: source, byteCount: count)
    }
}

extension ArgoHypervisor {
    /// `get_sanitized_ring`: (rx_ptr rounded to a slot, 0 if past the end; our tx_ptr).
    @inline(__always)
    func sanitizedPointers(_ ring: Ring) throws(XenErrno) -> (rx: UInt32, tx: UInt32) {
        // get_rx_ptr refuses a ring whose pages are not all there.
        guard ring.mappedPageCount != 0, ring.mappedPageCount >= ring.requiredPageCount else {
            throw .EINVAL
        }
        var rx = ArgoABI.roundUpToSlot(ring.guestRxPtr)
        if rx >= ring.length { rx = 0 }
        return (rx, ring.txPtr)
    }

    /// `ringbuf_payload_space`: the largest payload that fits right now (0 on error).
    func payloadSpace(_ ring: Ring) -> UInt32 {
        guard ring.length != 0, let (rx, tx) = try? sanitizedPointers(ring) else { return 0 }
        var space = Int64(rx) - Int64(tx)
        if space <= 0 { space += Int64(ring.length) }
        space -= Int64(ArgoABI.messageHeaderSize) + Int64(ArgoABI.slotSize)
        return space < 0 ? 0 : UInt32(space)
    }

    /// `memcpy_to_guest_ring`: `count` bytes at byte `offset` of the ring's
    /// memory (header included), page by page.
    @inline(__always)
    func copyToRing(_ ring: Ring, offset: UInt32, count: Int,
                    _ fill: (UnsafeMutableRawPointer, Int, Int) throws(XenErrno) -> Void) throws(XenErrno) {
        var pageIndex = Int(offset >> 12)
        var pageOffset = Int(offset & 0xFFF)
        var remaining = count
        var done = 0
        guard UInt64(remaining) + UInt64(pageOffset) <= UInt64(ArgoABI.maxRingSize) else { throw .EFAULT }
        if let base = ring.contiguousBase, Int(offset) + count <= ring.mappedPageCount * ArgoABI.pageSize {
            if count > 0 { try fill(base.advanced(by: Int(offset)), 0, count) }
            return
        }
        while remaining > 0 {
            let chunk = min(remaining, ArgoABI.pageSize - pageOffset)
            guard pageIndex < ring.pointers.count else { throw .ENOMEM }
            try fill(ring.pointers[pageIndex].advanced(by: pageOffset), done, chunk)
            done += chunk
            remaining -= chunk
            pageIndex += 1
            pageOffset = 0
        }
    }

    /// `ringbuf_insert`: writes one message (header then iovs, wrapping) and
    /// publishes the new tx_ptr. Throws EMSGSIZE, EAGAIN or a copy error.
    @inline(__always)
    func insertMessage<Reader: PayloadReader>(_ ring: Ring, source: ArgoAddress, iovs: UnsafeBufferPointer<ArgoIOV>,
                                              messageType: UInt32, length: UInt32, payload: Reader) throws(XenErrno) {
        let ringLength = ring.length
        let rounded = ArgoABI.roundUpToSlot(length)
        if UInt64(ringLength) <= UInt64(ArgoABI.messageHeaderSize) + UInt64(rounded) { throw .EMSGSIZE }
        let (rx, startTx) = try sanitizedPointers(ring)
        var space: Int64
        if rx == startTx {
            space = Int64(ringLength)
        } else {
            space = Int64(rx) - Int64(startTx)
            if space < 0 { space += Int64(ringLength) }
        }
        if Int64(rounded) + Int64(ArgoABI.messageHeaderSize) >= space { throw .EAGAIN }

        // The header is one slot at a slot-aligned offset, so it never straddles a page.
        let headerOffset = Int(startTx) + ArgoABI.ringHeaderSize
        guard headerOffset >> 12 < ring.mappedPageCount else { throw .ENOMEM }
        let header = ring.contiguousBase?.advanced(by: headerOffset)
            ?? ring.pointers[headerOffset >> 12].advanced(by: headerOffset & 0xFFF)
        header.storeBytes(of: (length &+ 16).littleEndian, as: UInt32.self)
        header.storeBytes(of: source.aport.littleEndian, toByteOffset: 4, as: UInt32.self)
        header.storeBytes(of: source.domainID.littleEndian, toByteOffset: 8, as: UInt16.self)
        header.storeBytes(of: UInt16(0), toByteOffset: 10, as: UInt16.self)
        header.storeBytes(of: messageType.littleEndian, toByteOffset: 12, as: UInt32.self)
        var tx = startTx + 16
        if tx == ringLength { tx = 0 }

        let end = UInt64(tx) + UInt64(length)
        if let base = ring.contiguousBase, end <= UInt64(ringLength), Int(end) + 64 <= ring.mappedPageCount << 12 {
            // The ring is one block of memory and the payload does not wrap: each iov is one
            // copy, after the check memcpy_to_guest_ring makes on every copy (the page-by-page
            // walk below comes to the same bytes in the same order).
            for iov in iovs where iov.length != 0 {
                guard UInt64(iov.length) + UInt64((tx + 64) & 0xFFF) <= UInt64(ArgoABI.maxRingSize) else { throw .EFAULT }
                try payload.copy(iov, offset: 0, count: Int(iov.length), to: base.advanced(by: Int(tx) + 64))
                tx += iov.length
            }
            if tx == ringLength { tx = 0 }
        } else {
            try insertWrapping(ring, iovs: iovs, tx: &tx, payload: payload)
        }
        tx = ArgoABI.roundUpToSlot(tx)
        if tx >= ringLength { tx -= ringLength }
        ring.publishTxPtr(tx)
    }

    /// The payload part of `ringbuf_insert` in the general case: iov by iov, wrapping at the
    /// end of the ring, page by page. `tx` is where the payload starts; on return, where it ends.
    private func insertWrapping<Reader: PayloadReader>(_ ring: Ring, iovs: UnsafeBufferPointer<ArgoIOV>, tx: inout UInt32,
                                                       payload: Reader) throws(XenErrno) {
        let ringLength = ring.length
        for iov in iovs {
            var remaining = iov.length
            if remaining == 0 { continue }
            var consumed: UInt32 = 0
            let tail = ringLength - tx
            if remaining > tail {
                try copyToRing(ring, offset: tx + 64, count: Int(tail)) { (destination, done, chunk) throws(XenErrno) in
                    try payload.copy(iov, offset: UInt32(done), count: chunk, to: destination)
                }
                tx = 0
                remaining -= tail
                consumed = tail
            }
            let base = consumed
            try copyToRing(ring, offset: tx + 64, count: Int(remaining)) { (destination, done, chunk) throws(XenErrno) in
                try payload.copy(iov, offset: base + UInt32(done), count: chunk, to: destination)
            }
            tx += remaining
            if tx == ringLength { tx = 0 }
        }
    }
}
