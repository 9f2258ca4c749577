import ArgusAnalysis
import ArgusExposure
import Flask

/// A chain of domains that could exist, each hop a channel: the labels (contexts of the
/// universe), how each two neighbours are related, and the one boolean setting and
/// mac-permissive value under which every hop holds (they are host-wide).
public struct UniverseChain: Sendable, Equatable {
    /// Context indices, first to last; a loopback is one context twice with relation `.same`.
    public var contexts: [Int]
    /// `relations[k]`: hop `k` (contexts[k] -> contexts[k + 1]).
    public var relations: [ExposureRelation]
    public var setting: Int
    public var macPermissive: Bool

    public var hops: Int { relations.count }
    public var isLoopback: Bool { relations == [.same] }

    /// The domains of the chain's system file: `d0`, `d1`, … (one domain for a loopback), with
    /// device-model targets where a hop is between a device model and its target.
    public func domains(labels: [String]) -> [Exposure.SystemFileDomain] {
        if isLoopback { return [Exposure.SystemFileDomain(name: "d0", label: labels[contexts[0]])] }
        var out = contexts.enumerated().map { Exposure.SystemFileDomain(name: "d\($0.offset)", label: labels[$0.element]) }
        for (k, relation) in relations.enumerated() {
            if relation == .sourceIsDeviceModel { out[k].target = "d\(k + 1)" }
            if relation == .targetIsDeviceModel { out[k + 1].target = "d\(k)" }
        }
        return out
    }

    /// Domain names of each position (`d0` twice for a loopback).
    public var names: [String] { isLoopback ? ["d0", "d0"] : contexts.indices.map { "d\($0)" } }
}

/// Paths over the universe of labels: can a domain with one of these labels reach a domain with
/// one of those through any chain of domains that could exist? A hop is a channel between two
/// different domains (each label may be carried by several domains) in any relation, or a
/// domain's loopback when the start is the end; a domain serves as device model of one domain
/// at most, so a chain never uses a domain's target twice. All hops share one boolean setting
/// and one mac-permissive value.
///
/// Searched level by level over (context, whether the domain's target is taken) for the 64
/// settings of a chunk at once.
public struct UniversePaths {
    public let table: ExposureFlowTable
    let n: Int
    /// The hops of the graph, per chunk and mac-permissive value (0 off, 1 on): evaluated once,
    /// since every search walks them many times.
    let hops: [[Hops]]

    /// Channel masks out of each context: to every context as unrelated domains, and the
    /// device-model arrangements where they decide differently.
    struct Hops {
        /// `unrelated[i * n + j]`.
        var unrelated: [UInt64]
        /// Per source context: (target, i serves j as device model, j serves i as device model).
        var deviceModels: [[(j: Int, sourceIsDM: UInt64, targetIsDM: UInt64)]]
    }

    public init(_ table: ExposureFlowTable) {
        self.table = table
        let n = table.contextCount
        self.n = n
        hops = (0..<table.chunkCount).map { c in
            [false, true].map { mac in
                var unrelated = [UInt64](repeating: 0, count: n * n)
                var deviceModels = [[(j: Int, sourceIsDM: UInt64, targetIsDM: UInt64)]](repeating: [], count: n)
                for i in 0..<n {
                    for j in 0..<n {
                        unrelated[i * n + j] = table.pair(i, j, .unrelated, chunk: c)?.channel(macPermissive: mac) ?? 0
                        guard table.deviceModelsMatter(i, j) else { continue }
                        let s = table.pair(i, j, .sourceIsDeviceModel, chunk: c)?.channel(macPermissive: mac) ?? 0
                        let t = table.pair(i, j, .targetIsDeviceModel, chunk: c)?.channel(macPermissive: mac) ?? 0
                        if s | t != 0 { deviceModels[i].append((j, s, t)) }
                    }
                }
                return Hops(unrelated: unrelated, deviceModels: deviceModels)
            }
        }
    }

    /// Successor states of one frontier, for chunk `c`: arrivals with the domain's target free
    /// and taken.
    func step(_ free: [UInt64], _ used: [UInt64], chunk c: Int, mac: Bool) -> (free: [UInt64], used: [UInt64]) {
        var nextFree = [UInt64](repeating: 0, count: n), nextUsed = [UInt64](repeating: 0, count: n)
        let h = hops[c][mac ? 1 : 0]
        h.unrelated.withUnsafeBufferPointer { edges in
            for i in 0..<n {
                let any = free[i] | used[i]
                guard any != 0 else { continue }
                let row = i * n
                for j in 0..<n { nextFree[j] |= any & edges[row + j] }
                for dm in h.deviceModels[i] {
                    // i serves j as device model: i's target must still be free; j's stays free.
                    nextFree[dm.j] |= free[i] & dm.sourceIsDM
                    // j serves i as device model: j's target is taken.
                    nextUsed[dm.j] |= any & dm.targetIsDM
                }
            }
        }
        return (nextFree, nextUsed)
    }

    /// Per chunk and context: the settings in which a domain of that context is reached from a
    /// domain of `sources` in 1 ... `maxHops` hops (nil: any number) between different domains.
    public func reach(from sources: [Int], mac: Bool, maxHops: Int?) -> [[UInt64]] {
        (0..<table.chunkCount).map { c in
            var reached = [UInt64](repeating: 0, count: n)
            var seenFree = [UInt64](repeating: 0, count: n), seenUsed = [UInt64](repeating: 0, count: n)
            var free = [UInt64](repeating: 0, count: n), used = [UInt64](repeating: 0, count: n)
            for s in sources { free[s] = table.valid(chunk: c) }
            var hops = 0
            while maxHops.map({ hops < $0 }) ?? true {
                hops += 1
                var (nf, nu) = step(free, used, chunk: c, mac: mac)
                var any = false
                for j in 0..<n {
                    nf[j] &= ~seenFree[j]
                    nu[j] &= ~(seenFree[j] | seenUsed[j])
                    seenFree[j] |= nf[j]
                    seenUsed[j] |= nu[j]
                    reached[j] |= nf[j] | nu[j]
                    if nf[j] | nu[j] != 0 { any = true }
                }
                guard any else { break }
                (free, used) = (nf, nu)
            }
            return reached
        }
    }

    /// Settings of chunk `c` in which a domain of context `i` reaches itself (loopback).
    public func loopback(_ i: Int, chunk c: Int, mac: Bool) -> UInt64 {
        table.pair(i, i, .same, chunk: c)?.channel(macPermissive: mac) ?? 0
    }

    /// A shortest chain from a domain of `sources` to a domain of `targets` over every setting
    /// (mac-permissive off preferred at the same length, then the lowest setting), within
    /// `maxHops`; nil when none. With `loopbacks`, a domain reaching itself counts (one hop),
    /// after two different domains one hop apart.
    public func shortestChain(from sources: [Int], to targets: [Int], maxHops: Int?, loopbacks: Bool = true) -> UniverseChain? {
        let targetSet = Set(targets)
        var best: (hops: Int, chunk: Int, bit: Int, mac: Bool)?
        for mac in [false, true] {
            for c in 0..<table.chunkCount {
                // Only a strictly shorter chain replaces the best so far.
                let limit = min(maxHops ?? Int.max, (best?.hops ?? Int.max) - 1)
                guard limit >= 1 else { continue }
                var seenFree = [UInt64](repeating: 0, count: n), seenUsed = [UInt64](repeating: 0, count: n)
                var free = [UInt64](repeating: 0, count: n), used = [UInt64](repeating: 0, count: n)
                for s in sources { free[s] = table.valid(chunk: c) }
                var hops = 0
                search: while hops < limit {
                    hops += 1
                    var (nf, nu) = step(free, used, chunk: c, mac: mac)
                    var any = false
                    for j in 0..<n {
                        nf[j] &= ~seenFree[j]
                        nu[j] &= ~(seenFree[j] | seenUsed[j])
                        seenFree[j] |= nf[j]
                        seenUsed[j] |= nu[j]
                        if nf[j] | nu[j] != 0 { any = true }
                    }
                    for t in targets where nf[t] | nu[t] != 0 {
                        best = (hops, c, (nf[t] | nu[t]).trailingZeroBitCount, mac)
                        break search
                    }
                    guard any else { break }
                    (free, used) = (nf, nu)
                }
            }
        }
        // A loopback (a domain with itself: one hop) only when no two domains are one hop apart.
        if loopbacks, best.map({ $0.hops > 1 }) ?? true {
            for mac in [false, true] {
                for c in 0..<table.chunkCount {
                    for s in sources where targetSet.contains(s) {
                        let m = loopback(s, chunk: c, mac: mac)
                        if m != 0 {
                            return UniverseChain(contexts: [s, s], relations: [.same],
                                                 setting: table.setting(chunk: c, bit: m.trailingZeroBitCount), macPermissive: mac)
                        }
                    }
                }
            }
        }
        guard let best else { return nil }
        return chain(from: sources, to: targetSet, hops: best.hops, chunk: best.chunk, bit: best.bit, mac: best.mac)
    }

    /// The chain itself, for one setting: breadth first over (context, target taken), with the
    /// parent of every state at every level (a start context may be reached again, as another domain).
    func chain(from sources: [Int], to targets: Set<Int>, hops length: Int, chunk c: Int, bit: Int, mac: Bool) -> UniverseChain? {
        let only: UInt64 = 1 << UInt64(bit)
        var levels: [[Int: (parent: Int, relation: ExposureRelation)]] = [Dictionary(uniqueKeysWithValues: sources.map { ($0 * 2, (-1, ExposureRelation.unrelated)) })]
        var seen = [Bool](repeating: false, count: n * 2)
        for level in 1...max(1, length) {
            var next: [Int: (parent: Int, relation: ExposureRelation)] = [:]
            for state in levels[level - 1].keys.sorted() {
                let i = state / 2, taken = state % 2 == 1
                let h = hops[c][mac ? 1 : 0]
                var options: [(ExposureRelation, Int)] = []
                for j in 0..<n where h.unrelated[i * n + j] & only != 0 { options.append((.unrelated, j * 2)) }
                for dm in h.deviceModels[i] {
                    if !taken && dm.sourceIsDM & only != 0 { options.append((.sourceIsDeviceModel, dm.j * 2)) }
                    if dm.targetIsDM & only != 0 { options.append((.targetIsDeviceModel, dm.j * 2 + 1)) }
                }
                for (relation, to) in options where !seen[to] && !(to % 2 == 1 && seen[to - 1]) {
                    seen[to] = true
                    next[to] = (state, relation)
                }
            }
            levels.append(next)
            if let end = next.keys.sorted().first(where: { targets.contains($0 / 2) }) {
                var contexts = [end / 2], relations: [ExposureRelation] = []
                var state = end
                for back in stride(from: level, to: 0, by: -1) {
                    let step = levels[back][state]!
                    relations.append(step.relation)
                    state = step.parent
                    contexts.append(state / 2)
                }
                return UniverseChain(contexts: contexts.reversed(), relations: relations.reversed(),
                                     setting: table.setting(chunk: c, bit: bit), macPermissive: mac)
            }
            if next.isEmpty { return nil }
        }
        return nil
    }
}
