/// `xen_argo_addr_t`: an Argo port on a domain.
public struct ArgoAddress: Sendable, Hashable {
    public var aport: UInt32
    public var domainID: UInt16
    public var pad: UInt16

    @inlinable
    public init(aport: UInt32, domainID: UInt16, pad: UInt16 = 0) {
        self.aport = aport
        self.domainID = domainID
        self.pad = pad
    }
}

/// `xen_argo_send_addr_t`.
public struct ArgoSendAddress: Sendable, Hashable {
    public var source: ArgoAddress
    public var destination: ArgoAddress

    public init(source: ArgoAddress, destination: ArgoAddress) {
        self.source = source
        self.destination = destination
    }
}

extension ArgoAddress {
    /// A `xen_argo_addr_t` read as one 64-bit word: aport, then domain_id, then pad.
    init(word: UInt64) {
        self.init(aport: UInt32(truncatingIfNeeded: word), domainID: UInt16(truncatingIfNeeded: word >> 32),
                  pad: UInt16(truncatingIfNeeded: word >> 48))
    }

    /// The address as that word.
    var word: UInt64 { UInt64(aport) | UInt64(domainID) << 32 | UInt64(pad) << 48 }
}

extension ArgoHypervisor {
    /// Copies a `xen_argo_send_addr_t` in from the caller's memory.
    func readSendAddress(_ caller: Domain, _ address: UInt64) throws(XenErrno) -> ArgoSendAddress {
        var raw = (UInt64(0), UInt64(0))
        try withUnsafeMutableBytes(of: &raw) { (buffer) throws(XenErrno) in try caller.memory.read(address, into: buffer) }
        return ArgoSendAddress(source: ArgoAddress(word: UInt64(littleEndian: raw.0)),
                               destination: ArgoAddress(word: UInt64(littleEndian: raw.1)))
    }

    /// Copies `count` iovs in from guest memory (native 16-byte or compat
    /// 12-byte layout) into a stack buffer and runs `body` on them.
    func withGuestIOVs<R>(_ caller: Domain, address: UInt64, count: Int, compat: Bool,
                          _ body: (UnsafeBufferPointer<ArgoIOV>) throws(XenErrno) -> R) throws(XenErrno) -> R {
        let stride = compat ? ArgoABI.compatIOVSize : ArgoABI.iovSize
        return try withUnsafeTemporaryAllocation(of: ArgoIOV.self, capacity: ArgoABI.maxIOV) { (iovs) throws(XenErrno) -> R in
            try withUnsafeTemporaryAllocation(byteCount: ArgoABI.maxIOV * ArgoABI.iovSize, alignment: 8) { (raw) throws(XenErrno) -> R in
                let bytes = UnsafeMutableRawBufferPointer(rebasing: raw[0 ..< count * stride])
                try caller.memory.read(address, into: bytes)
                for index in 0 ..< count {
                    let base = index * stride
                    let handle = compat ? UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base, as: UInt32.self)))
                                        : UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: base, as: UInt64.self))
                    let lengthOffset = compat ? 4 : 8
                    let length = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + lengthOffset, as: UInt32.self))
                    let pad = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: base + lengthOffset + 4, as: UInt32.self))
                    (iovs.baseAddress! + index).initialize(to: ArgoIOV(address: handle, length: length, pad: pad))
                }
                return try body(UnsafeBufferPointer(start: iovs.baseAddress!, count: count))
            }
        }
    }

    /// `iov_count`: total payload length, checking pads and sizes.
    @inline(__always)
    func totalPayloadLength(_ iovs: UnsafeBufferPointer<ArgoIOV>) throws(XenErrno) -> UInt32 {
        guard iovs.count <= ArgoABI.maxIOV else { throw .EINVAL }
        var total: UInt32 = 0
        for iov in iovs {
            if iov.pad != 0 { throw .EINVAL }
            if iov.length > ArgoABI.maxMessageSize { throw .EINVAL }
            total += iov.length
            if total > ArgoABI.maxMessageSize { throw .EMSGSIZE }
        }
        return total
    }

    /// `sendv`: checks in Xen's order, finds the ring, writes the message,
    /// signals the destination. Returns the payload length.
    func sendv<Reader: PayloadReader>(_ sender: Domain, _ addresses: ArgoSendAddress, iovs: UnsafeBufferPointer<ArgoIOV>,
                                      messageType: UInt32, payload: Reader) throws(XenErrno) -> Int {
        let (source, target) = try sendvChecks(sender, addresses)
        return try sendvDeliver(sender, source: source, destination: addresses.destination, target: target, iovs: iovs,
                                messageType: messageType, payload: payload)
    }

    /// The checks sendv makes before it takes the Argo lock; their errors come back negative.
    /// Returns the source address (DOMID_ANY made the sender) and the destination domain.
    @inline(__always)
    func sendvChecks(_ sender: Domain, _ addresses: ArgoSendAddress) throws(XenErrno) -> (ArgoAddress, Unmanaged<Domain>) {
        var source = addresses.source
        let destination = addresses.destination
        if source.pad != 0 || destination.pad != 0 { throw .EINVAL }
        if source.domainID == ArgoABI.domidAny { source.domainID = sender.domid }
        if source.domainID != sender.domid { throw .EPERM }
        guard let target = domainRef(destination.domainID) else { throw .ESRCH }
        try target.borrow { (target) throws(XenErrno) in try checkSend(sender, to: target) }
        try checkFirewall(sender, source, destination)
        return (source, target)
    }

    /// The rest of sendv. Its errors reach sendv's last line, `return ret < 0 ? ret : len`,
    /// whose type is `unsigned int`: a 64-bit guest gets them as large positive numbers
    /// (`sendvReturnToNativeGuest`), a 32-bit guest (compat, `int`) as negative ones.
    @inline(__always)
    func sendvDeliver<Reader: PayloadReader>(_ sender: Domain, source: ArgoAddress, destination: ArgoAddress,
                                             target: Unmanaged<Domain>, iovs: UnsafeBufferPointer<ArgoIOV>, messageType: UInt32,
                                             payload: Reader) throws(XenErrno) -> Int {
        guard sender.argoRef != nil else { throw .ENODEV }
        return try target.borrow { (target) throws(XenErrno) -> Int in
            guard let targetArgo = target.argoRef else { throw .ECONNREFUSED }
            guard let ring = findRing(targetArgo, owner: target.domid, aport: destination.aport, sender: sender.domid) else {
                throw .ECONNREFUSED
            }
            return try ring.borrow { (ring) throws(XenErrno) -> Int in
                try deliver(sender, source: source, target: target, ring: ring, iovs: iovs, messageType: messageType, payload: payload)
            }
        }
    }

    /// `find_ring_info_by_match` for sendv: the last send's ring when the route is the same and
    /// nothing a lookup depends on has changed since (``RouteClock``), else the table's answer.
    @inline(__always)
    func findRing(_ argo: Unmanaged<ArgoDomainState>, owner: UInt16, aport: UInt32, sender: UInt16) -> Unmanaged<Ring>? {
        let key = SendRoute.key(owner: owner, aport: aport, sender: sender)
        let generation = routes.generation
        if lastRoute.key == key, lastRoute.generation == generation, let ring = lastRoute.ring { return ring }
        let found = argo._withUnsafeGuaranteedRef { $0.findRingUnretained(owner: owner, aport: aport, sender: sender) }
        if found != nil { lastRoute = SendRoute(key: key, generation: generation, ring: found) }
        return found
    }

    /// sendv once the ring is found: the message in, or a space wait queued.
    @inline(__always)
    private func deliver<Reader: PayloadReader>(_ sender: Domain, source: ArgoAddress, target: Domain, ring: Ring,
                                                iovs: UnsafeBufferPointer<ArgoIOV>, messageType: UInt32,
                                                payload: Reader) throws(XenErrno) -> Int {
        let length = try totalPayloadLength(iovs)
        do {
            try insertMessage(ring, source: source, iovs: iovs, messageType: messageType, length: length, payload: payload)
        } catch .EAGAIN {
            let behaviour = settings.behaviour
            try requeueWait(ring, waiter: sender.domid, length: behaviour.pendingWaitRecordsLength ? length : 0)
            guard behaviour.sendvFullRingFailsWithEAGAIN else {
                // 4.12.0: queueing succeeded, so sendv "succeeded" with the length it never set.
                signal(target)
                return 0
            }
            throw .EAGAIN
        }
        // Counters of a 64-bit Int: no run delivers 2^63 messages or bytes.
        statistics.messagesDelivered &+= 1
        statistics.payloadBytesDelivered &+= Int(length)
        signal(target)
        return Int(length)
    }

    /// What `do_argo_op` returns to a 64-bit guest for an error that went through sendv's
    /// last line: the negative errno converted to `unsigned int`, then widened to `long`
    /// (-ECONNREFUSED becomes 4294967185). docs/ARGO-QUIRKS.md, "sendv's unsigned return".
    static func sendvReturnToNativeGuest(_ error: XenErrno) -> Int {
        Int(UInt32(bitPattern: -error.rawValue))
    }
}
