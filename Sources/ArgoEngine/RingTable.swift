/// A domain's rings by (aport, partner), for sendv's lookup (`find_ring_info`).
///
/// Xen walks one of 32 hash buckets; the engine keeps those buckets for everything whose
/// order shows (notify, teardown, dumps) and finds rings here instead: one probe of a flat
/// table, where a bucket walk read each ring object in turn (with 128 rings in a domain, a
/// handful of cache misses per send). Open addressing, linear probing, at most half full,
/// backward-shift deletion (no tombstones). Key and ring sit side by side in one manually
/// allocated block, so a probe touches one cache line and no array header.
///
/// The table does not retain its rings: the buckets of the same `ArgoDomainState` do, and a
/// ring leaves the table before it leaves its bucket. The owner calls ``deallocate()``.
struct RingTable {
    private struct Entry {
        var key: UInt64
        var ring: Unmanaged<Ring>?
    }

    private var entries: UnsafeMutablePointer<Entry>
    private var mask: Int
    private var count = 0

    init() {
        mask = 7
        entries = Self.allocate(mask + 1)
    }

    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<Entry> {
        let block = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
        block.initialize(repeating: Entry(key: 0, ring: nil), count: capacity)
        return block
    }

    func deallocate() { entries.deallocate() }

    @inline(__always)
    private static func key(aport: UInt32, partner: UInt16) -> UInt64 { UInt64(aport) << 16 | UInt64(partner) }

    @inline(__always)
    private static func home(_ key: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Where a probe for `(aport, partner)` starts: a cache hint's target.
    @inline(__always)
    func probeStart(aport: UInt32, partner: UInt16) -> UnsafeRawPointer {
        UnsafeRawPointer(entries + Self.home(Self.key(aport: aport, partner: partner), mask: mask))
    }

    /// The ring registered as `(aport, partner)`, if any, without a reference taken: the
    /// send path borrows it, and cache hints must not touch reference counts (a count is a
    /// write to the ring object's line).
    @inline(__always)
    func findUnretained(aport: UInt32, partner: UInt16) -> Unmanaged<Ring>? {
        let key = Self.key(aport: aport, partner: partner)
        var index = Self.home(key, mask: mask)
        while let ring = entries[index].ring {
            if entries[index].key == key { return ring }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Adds a ring whose id is not in the table.
    mutating func insert(_ ring: Ring) {
        if (count + 1) * 2 > mask + 1 { grow() }
        place(Entry(key: Self.key(aport: ring.id.aport, partner: ring.id.partner), ring: .passUnretained(ring)))
        count += 1
    }

    private func place(_ entry: Entry) {
        var index = Self.home(entry.key, mask: mask)
        while entries[index].ring != nil { index = (index + 1) & mask }
        entries[index] = entry
    }

    /// Removes this ring object (nothing if the table holds another ring under its id).
    mutating func remove(_ ring: Ring) {
        let key = Self.key(aport: ring.id.aport, partner: ring.id.partner)
        var index = Self.home(key, mask: mask)
        while let found = entries[index].ring {
            if found.toOpaque() == Unmanaged.passUnretained(ring).toOpaque() { break }
            index = (index + 1) & mask
        }
        guard entries[index].ring != nil else { return }
        entries[index].ring = nil
        count -= 1
        // Backward shift: move up every entry of the run that the hole would cut off.
        var hole = index
        var next = (index + 1) & mask
        while entries[next].ring != nil {
            let home = Self.home(entries[next].key, mask: mask)
            // The entry stays if its home is in (hole, next], cyclically; else it fills the hole.
            let stays = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !stays {
                entries[hole] = entries[next]
                entries[next].ring = nil
                hole = next
            }
            next = (next + 1) & mask
        }
    }

    private mutating func grow() {
        let old = entries, oldCapacity = mask + 1
        mask = oldCapacity * 2 - 1
        entries = Self.allocate(oldCapacity * 2)
        for index in 0 ..< oldCapacity where old[index].ring != nil { place(old[index]) }
        old.deallocate()
    }
}

/// A send's route, (target domain, aport, sender), and the ring a lookup found for it.
///
/// Consecutive sends mostly take the same route, and sendv's lookup is a chain of dependent
/// loads (target domain, its Argo state, its ring table, the ring). The answer depends only
/// on what ``RouteClock`` counts, so while the clock reads the same the ring is the one the
/// lookup would find again: the engine keeps it, unretained (a ring leaves its table, which
/// advances the clock, before it can be freed).
struct SendRoute {
    var key: UInt64 = .max
    var generation: UInt64 = 0
    var ring: Unmanaged<Ring>?

    /// Target domid, aport and sender domid in one word (a sender's domid is never 0xFFFF, so
    /// no route has the empty route's key).
    @inline(__always)
    static func key(owner: UInt16, aport: UInt32, sender: UInt16) -> UInt64 {
        UInt64(owner) << 48 | UInt64(aport) << 16 | UInt64(sender)
    }
}
