/// The AVC cache: FLASK decisions by (source SID, target SID), updated on permissive grants.
///
/// An open-addressing table (linear probing, at most half full) over one 64-bit key per
/// entry: every send under FLASK makes two lookups, and a `Dictionary` lookup (hashing with
/// SipHash) was a large part of a send's cost. Only lookups and updates are made; nothing
/// iterates it, so its order never shows.
struct AVCCache {
    private var keys: [UInt64]
    private var decisions: [FlaskDecision]
    private var used: [Bool]
    private var count = 0

    init() {
        keys = [UInt64](repeating: 0, count: 16)
        decisions = [FlaskDecision](repeating: FlaskDecision(allowed: 0), count: 16)
        used = [Bool](repeating: false, count: 16)
    }

    @inline(__always)
    private static func key(_ source: UInt32, _ target: UInt32) -> UInt64 { UInt64(source) << 32 | UInt64(target) }

    /// Where `(source, target)` is, or the free slot where it would go.
    @inline(__always)
    func slot(source: UInt32, target: UInt32) -> Int {
        let key = Self.key(source, target)
        let mask = keys.count - 1
        var index = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
        while used[index] && keys[index] != key { index = (index + 1) & mask }
        return index
    }

    /// The cached decision at a slot from ``slot(source:target:)``, if any.
    @inline(__always)
    func decision(at slot: Int) -> FlaskDecision? { used[slot] ? decisions[slot] : nil }

    /// Caches a decision at the free slot ``slot(source:target:)`` returned for its key.
    mutating func insert(_ decision: FlaskDecision, source: UInt32, target: UInt32, at slot: Int) {
        keys[slot] = Self.key(source, target)
        decisions[slot] = decision
        used[slot] = true
        count += 1
        if count * 2 > keys.count { grow() }
    }

    /// `avc_update_node(AVC_CALLBACK_GRANT)`: a permissive denial is granted from now on.
    mutating func grant(_ permissions: UInt32, source: UInt32, target: UInt32) {
        let index = slot(source: source, target: target)
        if used[index] { decisions[index].allowed |= permissions }
    }

    /// `avc_ss_reset`: forgets everything.
    mutating func removeAll() { self = AVCCache() }

    private mutating func grow() {
        let oldKeys = keys, oldDecisions = decisions, oldUsed = used
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        decisions = [FlaskDecision](repeating: FlaskDecision(allowed: 0), count: oldKeys.count * 2)
        used = [Bool](repeating: false, count: oldKeys.count * 2)
        for index in oldKeys.indices where oldUsed[index] {
            let key = oldKeys[index]
            let at = slot(source: UInt32(truncatingIfNeeded: key >> 32), target: UInt32(truncatingIfNeeded: key))
            keys[at] = key
            decisions[at] = oldDecisions[index]
            used[at] = true
        }
    }
}
