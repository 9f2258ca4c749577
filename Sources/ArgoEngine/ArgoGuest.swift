/// A message as a receiving guest reads it off its ring.
public struct ArgoMessage: Sendable, Hashable {
    public var source: ArgoAddress
    public var messageType: UInt32
    public var payload: [UInt8]
    /// Where the header started (ring offset) when it was read.
    public var offset: UInt32

    public init(source: ArgoAddress, messageType: UInt32, payload: [UInt8], offset: UInt32 = 0) {
        self.source = source
        self.messageType = messageType
        self.payload = payload
        self.offset = offset
    }
}

/// The guest's own record of a ring it registered: where the memory is.
public struct GuestRingRecord: Sendable, Hashable {
    public var id: RingID
    public var length: UInt32
    /// Contiguous guest frames, header page first.
    public var frames: [UInt64]
    /// Guest-physical address of the ring header.
    public var baseAddress: UInt64 { frames[0] << 12 }
}

/// What a guest's Argo driver does: lays out hypercall arguments in its own
/// memory, makes the hypercall, and reads its rings the way a Linux driver
/// does. Obtain one with ``ArgoHypervisor/guest(_:)``.
public final class ArgoGuest {
    public let domid: UInt16
    /// The raw value of the last hypercall this guest made, as its register held it.
    public internal(set) var lastReturn: Int64 = 0
    unowned let hypervisor: ArgoHypervisor
    let memory: GuestMemory
    /// Rings this guest registered successfully and has not unregistered.
    public private(set) var rings: [RingID: GuestRingRecord] = [:]
    private var nextRingFrame: UInt64 = GuestLayout.firstRingFrame
    private var stagingFrames: UInt64 = 0

    /// Where the driver keeps things in guest-physical memory.
    public enum GuestLayout {
        /// Hypercall argument structs live here (one page).
        public static let argumentFrame: UInt64 = 0x1
        /// Frame-number arrays for register live here (up to 8 pages: 4096 entries).
        public static let frameListFrame: UInt64 = 0x2
        /// Ring memory is allocated upward from here.
        public static let firstRingFrame: UInt64 = 0x100
        /// Notify argument lists too long for the frame-list pages live here
        /// (populated as needed, up to `notifyFrameCount` pages).
        public static let firstNotifyFrame: UInt64 = 0xB0000
        public static let notifyFrameCount: UInt64 = 0x10000
        /// Payload for sendv is staged upward from here (3 GiB: below 4 GiB so
        /// that 32-bit guests can address it).
        public static let firstStagingFrame: UInt64 = 0xC0000
    }

    /// One iov's data as the driver stages it: bytes, or `count` zero bytes (written without
    /// allocating guest pages that already read as zeros).
    public enum Payload: Sendable, Hashable {
        case bytes([UInt8])
        case zeros(Int)

        public var count: Int {
            switch self {
            case .bytes(let bytes): bytes.count
            case .zeros(let count): count
            }
        }
    }

    /// The most notify entries the driver can lay out in one argument list.
    public static var notifyEntryCapacity: Int {
        (Int(GuestLayout.notifyFrameCount) * ArgoABI.pageSize - ArgoABI.ringDataSize) / ArgoABI.ringDataEntrySize
    }

    init(domid: UInt16, hypervisor: ArgoHypervisor, memory: GuestMemory) {
        self.domid = domid
        self.hypervisor = hypervisor
        self.memory = memory
        memory.populate(GuestLayout.argumentFrame)
        for frame in 0 ..< 8 { memory.populate(GuestLayout.frameListFrame + UInt64(frame)) }
    }

    /// This guest's memory (what a scenario's raw steps write, read and unmap).
    public var guestMemory: GuestMemory { memory }

    var argumentAddress: UInt64 { GuestLayout.argumentFrame << 12 }
    var frameListAddress: UInt64 { GuestLayout.frameListFrame << 12 }

    /// Issues the hypercall; a negative result is thrown as its errno. With `asInt`, the
    /// result is first read as a 32-bit `int`, as a Linux driver storing it in an `int` does:
    /// that is how sendv's errors reach a 64-bit guest's driver (docs/ARGO-QUIRKS.md).
    func call(_ cmd: UInt32, _ arg1: UInt64, _ arg2: UInt64, _ arg3: UInt64, _ arg4: UInt64,
              asInt: Bool = false) throws(XenErrno) -> Int {
        let raw = hypervisor.hypercall(caller: domid, cmd: cmd, arg1: arg1, arg2: arg2, arg3: arg3, arg4: arg4)
        lastReturn = raw
        let result = asInt ? Int64(Int32(truncatingIfNeeded: raw)) : raw
        if result < 0 {
            guard let errno = XenErrno(rawValue: Int32(-result)) else { preconditionFailure("unnamed errno \(result)") }
            throw errno
        }
        return Int(result)
    }

    /// Allocates `count` fresh contiguous ring frames.
    public func allocateFrames(_ count: Int) -> [UInt64] {
        let frames = (0 ..< UInt64(count)).map { nextRingFrame + $0 }
        memory.populateRange(first: nextRingFrame, count: count)
        nextRingFrame += UInt64(count)
        return frames
    }

    /// Gives back frames from ``allocateFrames(_:)`` that no ring kept (a driver frees the
    /// memory of a refused registration): the frames leave the guest, and the allocator
    /// reuses them when they were the last ones handed out.
    func releaseFrames(_ frames: [UInt64]) {
        for frame in frames { memory.depopulate(frame) }
        if let first = frames.first, first + UInt64(frames.count) == nextRingFrame { nextRingFrame = first }
    }

    // MARK: register / unregister

    /// Registers a ring of `length` bytes: reuses this guest's frames for the
    /// same ring when the page count matches (a re-registration), else
    /// allocates new ones; writes `xen_argo_register_ring_t` and the frame
    /// list, then calls register. `pageCount`, `pad` and `frames` override
    /// what a well-behaved driver would pass.
    public func registerRing(aport: UInt32, partner: UInt16, length: UInt32, flags: UInt64 = 0,
                             pageCount: UInt64? = nil, pad: UInt16 = 0, frames: [UInt64]? = nil) throws(XenErrno) {
        let id = RingID(owner: domid, aport: aport, partner: partner)
        let needed = Int(min(ArgoABI.pagesForRing(length: min(length, ArgoABI.maxRingSize)), 4096))
        let ringFrames: [UInt64]
        var fresh = false
        if let frames {
            ringFrames = frames
        } else if let existing = rings[id], existing.frames.count == needed {
            ringFrames = existing.frames
        } else {
            ringFrames = allocateFrames(needed)
            fresh = true
        }
        try? memory.store32(argumentAddress, aport)
        try? memory.store16(argumentAddress + 4, partner)
        try? memory.store16(argumentAddress + 6, pad)
        try? memory.store32(argumentAddress + 8, length)
        for (index, frame) in ringFrames.prefix(4096).enumerated() {
            try? memory.store64(frameListAddress + UInt64(index * 8), frame)
        }
        do {
            _ = try call(ArgoABI.opRegisterRing, argumentAddress, frameListAddress,
                         pageCount ?? UInt64(ringFrames.count), flags)
        } catch {
            if fresh { releaseFrames(ringFrames) }
            throw error
        }
        rings[id] = GuestRingRecord(id: id, length: length, frames: ringFrames)
    }

    public func unregisterRing(aport: UInt32, partner: UInt16, pad: UInt16 = 0) throws(XenErrno) {
        try? memory.store32(argumentAddress, aport)
        try? memory.store16(argumentAddress + 4, partner)
        try? memory.store16(argumentAddress + 6, pad)
        _ = try call(ArgoABI.opUnregisterRing, argumentAddress, 0, 0, 0)
        rings[RingID(owner: domid, aport: aport, partner: partner)] = nil
    }

    // MARK: sendv

    /// Stages `iovs` in guest memory and calls sendv. `niov` overrides the
    /// count passed (the array still holds `iovs.count` entries); `iovPads`
    /// sets raw pad words. Returns the payload length Xen reports.
    @discardableResult
    public func sendv(source: ArgoAddress, destination: ArgoAddress, iovs: [[UInt8]], messageType: UInt32,
                      niov: UInt64? = nil, iovPads: [UInt32] = []) throws(XenErrno) -> Int {
        try sendv(source: source, destination: destination, payloads: iovs.map { .bytes($0) }, messageType: messageType,
                  niov: niov, iovPads: iovPads)
    }

    /// As ``sendv(source:destination:iovs:messageType:niov:iovPads:)``, with iov data that may be
    /// runs of zeros. Only the iovs the array can hold (`maxIOV + 8`) are laid out and staged:
    /// the hypervisor never reads past the array.
    @discardableResult
    public func sendv(source: ArgoAddress, destination: ArgoAddress, payloads: [Payload], messageType: UInt32,
                      niov: UInt64? = nil, iovPads: [UInt32] = []) throws(XenErrno) -> Int {
        let compat = hypervisor.domain(domid)?.isCompat ?? false
        let stride = compat ? ArgoABI.compatIOVSize : ArgoABI.iovSize
        let staged = payloads.prefix(ArgoABI.maxIOV + 8)
        let total = staged.reduce(0) { $0 + $1.count }
        let pagesNeeded = UInt64((total + 4095) / 4096)
        while stagingFrames < pagesNeeded {
            memory.populate(GuestLayout.firstStagingFrame + stagingFrames)
            stagingFrames += 1
        }
        var cursor = GuestLayout.firstStagingFrame << 12
        let sendAddress = argumentAddress
        let iovArray = argumentAddress + 64
        storeAddress(sendAddress, source)
        storeAddress(sendAddress + 8, destination)
        for (index, data) in staged.enumerated() {
            let entry = iovArray + UInt64(index * stride)
            if compat {
                try? memory.store32(entry, UInt32(truncatingIfNeeded: cursor))
                try? memory.store32(entry + 4, UInt32(truncatingIfNeeded: data.count))
                try? memory.store32(entry + 8, index < iovPads.count ? iovPads[index] : 0)
            } else {
                try? memory.store64(entry, cursor)
                try? memory.store32(entry + 8, UInt32(truncatingIfNeeded: data.count))
                try? memory.store32(entry + 12, index < iovPads.count ? iovPads[index] : 0)
            }
            switch data {
            case .bytes(let bytes): if !bytes.isEmpty { try? memory.writeBytes(cursor, bytes) }
            case .zeros(let count): try? memory.fillZeros(cursor, count: count)
            }
            cursor += UInt64(data.count)
        }
        return try call(ArgoABI.opSendv, sendAddress, iovArray, niov ?? UInt64(payloads.count), UInt64(messageType), asInt: true)
    }

    private func storeAddress(_ address: UInt64, _ value: ArgoAddress) {
        try? memory.store32(address, value.aport)
        try? memory.store16(address + 4, value.domainID)
        try? memory.store16(address + 6, value.pad)
    }

    // MARK: notify

    /// Calls notify with these entries (nil: a NULL argument) and returns the
    /// entries as Xen left them in guest memory. On an error the entries
    /// processed before it are still written; they are returned through `partial`.
    public func notify(_ entries: [RingDataEntry]?, nent: UInt32? = nil,
                       partial: ((([RingDataEntry]) -> Void))? = nil) throws(XenErrno) -> [RingDataEntry] {
        guard let entries else {
            _ = try call(ArgoABI.opNotify, 0, 0, 0, 0)
            return []
        }
        let frameListCapacity = (8 * 4096 - ArgoABI.ringDataSize) / ArgoABI.ringDataEntrySize
        precondition(entries.count <= Self.notifyEntryCapacity, "notify: at most \(Self.notifyEntryCapacity) entries fit")
        var base = frameListAddress
        if entries.count > frameListCapacity {
            // A long list goes to its own pages, populated as far as it reaches.
            base = GuestLayout.firstNotifyFrame << 12
            let bytes = ArgoABI.ringDataSize + entries.count * ArgoABI.ringDataEntrySize
            for page in 0 ..< UInt64((bytes + 4095) / 4096) { memory.populate(GuestLayout.firstNotifyFrame + page) }
        }
        try? memory.store32(base, nent ?? UInt32(entries.count))
        try? memory.store32(base + 4, 0)
        for (index, entry) in entries.enumerated() {
            let address = base + 8 + UInt64(index * ArgoABI.ringDataEntrySize)
            storeAddress(address, entry.ring)
            try? memory.store16(address + 8, entry.flags)
            try? memory.store16(address + 10, 0)
            try? memory.store32(address + 12, entry.spaceRequired)
            try? memory.store32(address + 16, entry.maxMessageSize)
        }
        let readBack = { [memory] () -> [RingDataEntry] in
            (0 ..< entries.count).map { index in
                let raw = (try? memory.readBytes(base + 8 + UInt64(index * ArgoABI.ringDataEntrySize),
                                                 count: ArgoABI.ringDataEntrySize)) ?? [UInt8](repeating: 0, count: ArgoABI.ringDataEntrySize)
                return ArgoHypervisor.decodeRingDataEntry(raw)
            }
        }
        do {
            _ = try call(ArgoABI.opNotify, base, 0, 0, 0)
        } catch {
            partial?(readBack())
            throw error
        }
        return readBack()
    }
}
