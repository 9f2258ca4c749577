/// A domain's rings by (aport, partner), for sendv's lookup (`find_ring_info`).
///
/// Xen walks one of 32 hash buckets; the engine keeps those buckets for everything whose
/// order shows (notify, teardown, dumps) and finds rings here instead: one probe of a flat
/// table, where a bucket walk read each ring object in turn (with 128 rings in a domain, a
/// handful of cache misses per send). Open addressing, linear probing, at most half full,
/// backward-shift deletion (no tombstones).
struct RingTable {
    private var keys: [UInt64]
    private var rings: [Ring?]
    private var count = 0

    init() {
        keys = [UInt64](repeating: 0, count: 8)
        rings = [Ring?](repeating: nil, count: 8)
    }

    @inline(__always)
    private static func key(aport: UInt32, partner: UInt16) -> UInt64 { UInt64(aport) << 16 | UInt64(partner) }

    @inline(__always)
    private static func home(_ key: UInt64, mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The ring registered as `(aport, partner)`, if any.
    @inline(__always)
    func find(aport: UInt32, partner: UInt16) -> Ring? {
        let key = Self.key(aport: aport, partner: partner)
        let mask = keys.count - 1
        var index = Self.home(key, mask: mask)
        while let ring = rings[index] {
            if keys[index] == key { return ring }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Adds a ring whose id is not in the table.
    mutating func insert(_ ring: Ring) {
        if (count + 1) * 2 > keys.count { grow() }
        place(ring, key: Self.key(aport: ring.id.aport, partner: ring.id.partner))
        count += 1
    }

    private mutating func place(_ ring: Ring, key: UInt64) {
        let mask = keys.count - 1
        var index = Self.home(key, mask: mask)
        while rings[index] != nil { index = (index + 1) & mask }
        keys[index] = key
        rings[index] = ring
    }

    /// Removes this ring object (nothing if the table holds another ring under its id).
    mutating func remove(_ ring: Ring) {
        let key = Self.key(aport: ring.id.aport, partner: ring.id.partner)
        let mask = keys.count - 1
        var index = Self.home(key, mask: mask)
        while let found = rings[index] {
            if found === ring { break }
            index = (index + 1) & mask
        }
        guard rings[index] != nil else { return }
        rings[index] = nil
        count -= 1
        // Backward shift: move up every entry of the run that the hole would cut off.
        var hole = index
        var next = (index + 1) & mask
        while let moving = rings[next] {
            let home = Self.home(keys[next], mask: mask)
            // The entry may fill the hole if its home is not in (hole, next] (cyclically).
            let between = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !between {
                keys[hole] = keys[next]
                rings[hole] = moving
                rings[next] = nil
                hole = next
            }
            next = (next + 1) & mask
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldRings = rings
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        rings = [Ring?](repeating: nil, count: oldKeys.count * 2)
        for index in oldKeys.indices {
            if let ring = oldRings[index] { place(ring, key: oldKeys[index]) }
        }
    }
}
