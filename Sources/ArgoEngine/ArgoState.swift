// Exclusivity: the engine is single-threaded and never holds an access to one
// of the `@exclusivity(unchecked)` properties across a call that could touch
// the same property (checked in debug runs of the property tests before the
// attribute was added). The attribute removes the runtime access tracking that
// otherwise dominated the send path.

/// A ring's identity: `(owner domid, aport, partner domid)`.
public struct RingID: Sendable, Hashable, CustomStringConvertible {
    public var aport: UInt32
    public var owner: UInt16
    public var partner: UInt16

    public init(owner: UInt16, aport: UInt32, partner: UInt16) {
        self.aport = aport
        self.owner = owner
        self.partner = partner
    }

    public var isWildcard: Bool { partner == ArgoABI.domidAny }

    public var description: String { "(vm\(owner):\(String(aport, radix: 16)) vm\(partner))" }

    /// Argo's bucket for this id: a djb2-style hash over the id's bytes, folded
    /// into 32 buckets (`hash_index`). Bucket order decides iteration order.
    var bucket: Int {
        var hash: UInt32 = 5381
        @inline(__always) func mix(_ byte: UInt32) { hash = (hash << 5) &+ hash &+ (byte & 0xFF) }
        mix(aport); mix(aport >> 8); mix(aport >> 16); mix(aport >> 24)
        mix(UInt32(owner)); mix(UInt32(owner) >> 8)
        mix(UInt32(partner)); mix(UInt32(partner) >> 8)
        return Int((hash ^ (hash >> 15)) & 31)
    }
}

/// A sender waiting for space on a ring (`struct pending_ent`).
final class PendingWait {
    /// Payload bytes the sender is waiting for.
    var length: UInt32
    /// The domain to signal.
    let waiter: UInt16
    unowned let ring: Ring

    init(length: UInt32, waiter: UInt16, ring: Ring) {
        self.length = length
        self.waiter = waiter
        self.ring = ring
    }
}

/// A registered ring (`struct argo_ring_info`).
final class Ring {
    let id: RingID
    /// Ring length in bytes (data area only). Zero only while being built.
    @exclusivity(unchecked) var length: UInt32 = 0 { didSet { requiredPageCount = Int(ArgoABI.pagesForRing(length: length)) } }
    /// `NPAGES_RING(length)`.
    @exclusivity(unchecked) private(set) var requiredPageCount = 1
    /// The hypervisor's private copy of tx_ptr.
    @exclusivity(unchecked) var txPtr: UInt32 = 0
    /// Guest frames as the guest listed them (for dumps).
    var frames: [UInt64] = []
    /// The mapped pages (`mfn_mapping`), retained while the ring holds them.
    var pages: [GuestPage] = [] {
        didSet {
            pointers = pages.map(\.bytes)
            let consecutive = pointers.indices.dropFirst().allSatisfy { pointers[$0] == pointers[$0 - 1] + ArgoABI.pageSize }
            contiguousBase = consecutive ? pointers.first : nil
            headerPage = pointers.first
            mappedPageCount = pointers.count
        }
    }
    /// The first mapped page (the ring header), nil when none is mapped.
    @exclusivity(unchecked) private(set) var headerPage: UnsafeMutableRawPointer?
    /// `pointers.count`, kept beside the pointer so the send path needs not open the array.
    @exclusivity(unchecked) private(set) var mappedPageCount = 0
    /// The ring's memory when its pages are consecutive in host memory (one copy per write).
    @exclusivity(unchecked) private(set) var contiguousBase: UnsafeMutableRawPointer?
    /// The pages' addresses, for the copy loops.
    @exclusivity(unchecked) private(set) var pointers: [UnsafeMutableRawPointer] = []
    /// Pending space notifications, list head first.
    var pending: [PendingWait] = []

    init(id: RingID) { self.id = id }

    /// The guest's rx_ptr as it stands in the ring header right now.
    @inline(__always)
    var guestRxPtr: UInt32 { UInt32(littleEndian: headerPage!.loadUnaligned(as: UInt32.self)) }

    /// The tx_ptr as it stands in the ring header right now.
    @inline(__always)
    var guestTxPtr: UInt32 { UInt32(littleEndian: headerPage!.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) }

    /// `update_tx_ptr`: the private copy and the guest-visible header.
    @inline(__always)
    func publishTxPtr(_ value: UInt32) {
        txPtr = value
        headerPage!.storeBytes(of: value.littleEndian, toByteOffset: 4, as: UInt32.self)
    }
}

/// Counts the changes that can alter what a ring lookup by (domain, aport, sender) finds: a
/// domain entering or leaving the table, a domain's Argo state set or dropped, a ring linked
/// into or unlinked from a domain's table. One per hypervisor; see ``SendRoute``.
final class RouteClock {
    private(set) var generation: UInt64 = 0

    @inline(__always)
    func advance() { generation &+= 1 }
}

/// A domain's Argo state (`struct argo_domain`).
final class ArgoDomainState {
    /// Rings this domain registered, by bucket; each bucket list head first.
    @exclusivity(unchecked) private(set) var ringBuckets: [[Ring]] = Array(repeating: [], count: 32)
    /// Rings counted against the 128 limit (leaks on re-registration, as upstream).
    var ringCount: UInt32 = 0
    /// Single-sender rings of other domains that name this domain as partner.
    var sendBuckets: [[RingID]] = Array(repeating: [], count: 32)
    /// This domain's waits on other domains' wildcard rings, head first.
    var wildcardWaits: [PendingWait] = []

    /// The same rings by (aport, partner), for lookups; the buckets keep Xen's order.
    @exclusivity(unchecked) private(set) var table = RingTable()
    /// Advanced whenever `table` changes.
    let routes: RouteClock

    init(routes: RouteClock) { self.routes = routes }

    deinit { table.deallocate() }

    @inline(__always)
    func findRing(_ id: RingID) -> Ring? { findRingUnretained(id)?.takeUnretainedValue() }

    /// `find_ring_info_by_match`: the unicast ring for `sender`, else the wildcard ring.
    @inline(__always)
    func findRing(owner: UInt16, aport: UInt32, sender: UInt16) -> Ring? {
        findRingUnretained(owner: owner, aport: aport, sender: sender)?.takeUnretainedValue()
    }

    /// ``findRing(owner:aport:sender:)`` without a reference taken, for sendv's borrow.
    @inline(__always)
    func findRingUnretained(owner: UInt16, aport: UInt32, sender: UInt16) -> Unmanaged<Ring>? {
        findRingUnretained(RingID(owner: owner, aport: aport, partner: sender))
            ?? findRingUnretained(RingID(owner: owner, aport: aport, partner: ArgoABI.domidAny))
    }

    @inline(__always)
    private func findRingUnretained(_ id: RingID) -> Unmanaged<Ring>? {
        guard let ring = table.findUnretained(aport: id.aport, partner: id.partner),
              ring._withUnsafeGuaranteedRef({ $0.id == id }) else { return nil }
        return ring
    }

    func insertRing(_ ring: Ring) {
        ringBuckets[ring.id.bucket].insert(ring, at: 0)
        table.insert(ring)
        routes.advance()
    }

    func unlinkRing(_ ring: Ring) {
        table.remove(ring)
        routes.advance()
        let bucket = ring.id.bucket
        if let index = ringBuckets[bucket].firstIndex(where: { $0 === ring }) {
            ringBuckets[bucket].remove(at: index)
        }
    }

    var allRings: [Ring] { ringBuckets.flatMap { $0 } }
}

/// A domain as the hypervisor sees it.
final class Domain {
    // What every send reads or writes comes first: one cache line per domain on the send path.
    let domid: UInt16
    /// Destroyed (`domain_kill` ran, Argo state gone) but still referenced.
    var isDying = false
    /// The hypervisor's route clock: setting or dropping `argo` advances it.
    let routes: RouteClock
    @exclusivity(unchecked) var argo: ArgoDomainState? {
        didSet {
            argoRef = argo.map { Unmanaged.passUnretained($0) }
            routes.advance()
        }
    }
    /// `argo` without ownership, for the send path's borrow.
    @exclusivity(unchecked) private(set) var argoRef: Unmanaged<ArgoDomainState>?
    /// VIRQ_ARGO deliveries so far.
    @exclusivity(unchecked) var virqCount: Int = 0
    var name: String
    /// The domain's security ID (`dsec->sid`).
    var sid: UInt32
    /// Its self SID (`dsec->self_sid`), computed at creation under FLASK.
    var selfSID: UInt32
    /// The SID it was built with (before a toolstack relabel): a device model serving it has
    /// its target SID computed from this one when the target is set, and Xen does not
    /// recompute it when this domain is relabelled.
    let buildSID: UInt32
    /// Control domain (`is_privileged`).
    var isControl: Bool
    /// The domain this one serves as device model (`d->target`), if any.
    var deviceModelTarget: UInt16?
    /// A 32-bit (compat) guest: hypercall arguments are 32 bits wide and the
    /// sendv iov array uses the 12-byte compat layout.
    var isCompat: Bool
    let memory: GuestMemory

    init(domid: UInt16, name: String, sid: UInt32, selfSID: UInt32, isControl: Bool,
         deviceModelTarget: UInt16?, isCompat: Bool, memory: GuestMemory, routes: RouteClock) {
        self.domid = domid
        self.name = name
        self.sid = sid
        self.selfSID = selfSID
        buildSID = sid
        self.isControl = isControl
        self.deviceModelTarget = deviceModelTarget
        self.isCompat = isCompat
        self.memory = memory
        self.routes = routes
    }
}
