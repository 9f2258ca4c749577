/// Channels as a directed graph over numbered nodes: the domains of an audit (a hop is a
/// `channel`: the sender may send and the receiver can register a ring that accepts it), or any
/// other adjacency (tests, the universe of labels).
///
/// A path is a chain of hops `A -> X -> ... -> B` along which a message can be relayed. Paths are
/// simple: no node twice, except that a path from a node to itself ends where it started (a
/// cycle; the one-hop cycle is Argo loopback).
public struct ChannelGraph: Sendable, Equatable {
    /// Successors of each node, in increasing order.
    public let successors: [[Int]]

    public var count: Int { successors.count }

    public init(successors: [[Int]]) {
        self.successors = successors.map { Array(Set($0)).sorted() }
    }

    /// The channels of an audit.
    /// The channels of an audit. Rows are read eight pairs at a time: most have no channel.
    public init(_ audit: ArgoAudit) {
        let n = audit.count
        let channel = ArgoAudit.Flow.channel.bit
        let eight = UInt64(channel) &* 0x0101_0101_0101_0101
        successors = audit.pairs.withUnsafeBufferPointer { pairs in
            (0..<n).map { i in
                let row = pairs.baseAddress! + i * n
                var out: [Int] = []
                var j = 0
                while j + 8 <= n {
                    // The channel bits of eight pairs: one set bit per channel, in byte order.
                    var word = UInt64(littleEndian: UnsafeRawPointer(row + j).loadUnaligned(as: UInt64.self)) & eight
                    while word != 0 {
                        out.append(j + word.trailingZeroBitCount >> 3)
                        word &= word &- 1
                    }
                    j += 8
                }
                while j < n {
                    if row[j] & channel != 0 { out.append(j) }
                    j += 1
                }
                return out
            }
        }
    }

    public func hasEdge(_ i: Int, _ j: Int) -> Bool { successors[i].contains(j) }

    // MARK: shortest paths

    /// Hops from `source` to every node (index: node; nil unreached), a node reached again from
    /// itself included: `distances(from:)[source]` is the length of the shortest cycle through it.
    public func distances(from source: Int, maxHops: Int? = nil) -> [Int?] {
        var dist = [Int?](repeating: nil, count: count)
        var frontier = [source]
        var hops = 0
        var seen = [Bool](repeating: false, count: count)
        seen[source] = true
        while !frontier.isEmpty, maxHops.map({ hops < $0 }) ?? true {
            hops += 1
            var next: [Int] = []
            for u in frontier {
                for v in successors[u] {
                    if v == source, dist[source] == nil { dist[source] = hops }
                    guard !seen[v] else { continue }
                    seen[v] = true
                    dist[v] = hops
                    next.append(v)
                }
            }
            frontier = next
        }
        return dist
    }

    /// Every shortest path from `source` to `target` (as node lists, both ends included), in
    /// lexicographic order of their nodes, at most `limit` of them; `total` counts them all
    /// (saturating). Empty when no path within `maxHops`.
    public func shortestPaths(from source: Int, to target: Int, maxHops: Int? = nil, limit: Int = 100) -> (paths: [[Int]], total: Int) {
        let dist = distances(from: source, maxHops: maxHops)
        guard let length = dist[target] else { return ([], 0) }
        // Distance to `target` from every node, backwards, to walk only along shortest hops.
        let toTarget = reverseDistances(to: target)
        var paths: [[Int]] = []
        var total = 0
        var path = [source]
        // Number of shortest continuations from a node with `left` hops to go (memoised).
        var ways: [Int: Int] = [:]
        func count(_ u: Int, _ left: Int) -> Int {
            if left == 0 { return u == target ? 1 : 0 }
            if let w = ways[u * (length + 1) + left] { return w }
            var w = 0
            for v in successors[u] where next(v, left) {
                let (sum, overflow) = w.addingReportingOverflow(count(v, left - 1))
                w = overflow ? Int.max : sum
            }
            ways[u * (length + 1) + left] = w
            return w
        }
        // `v` can be the next node with `left` hops still to make (before taking it).
        func next(_ v: Int, _ left: Int) -> Bool {
            if left == 1 { return v == target }
            guard v != source, v != target, let d = toTarget[v] else { return false }
            return d == left - 1
        }
        total = count(source, length)
        func walk(_ u: Int, _ left: Int) {
            guard paths.count < limit else { return }
            if left == 0 { paths.append(path); return }
            for v in successors[u] where next(v, left) {
                path.append(v)
                walk(v, left - 1)
                path.removeLast()
            }
        }
        walk(source, length)
        return (paths, total)
    }

    /// Hops from every node to `target` (nil: cannot reach it).
    func reverseDistances(to target: Int) -> [Int?] {
        var predecessors = [[Int]](repeating: [], count: count)
        for (u, list) in successors.enumerated() { for v in list { predecessors[v].append(u) } }
        var dist = [Int?](repeating: nil, count: count)
        dist[target] = 0
        var frontier = [target]
        var hops = 0
        while !frontier.isEmpty {
            hops += 1
            var next: [Int] = []
            for v in frontier {
                for u in predecessors[v] where dist[u] == nil {
                    dist[u] = hops
                    next.append(u)
                }
            }
            frontier = next
        }
        return dist
    }

    // MARK: every simple path

    /// Every simple path from `source` to `target` of at most `maxHops` hops, shortest first
    /// (then in lexicographic order of their nodes), stopping after `limit`; `complete` is false
    /// when the limit cut the list.
    public func allPaths(from source: Int, to target: Int, maxHops: Int, limit: Int = 1_000) -> (paths: [[Int]], complete: Bool) {
        // Prune nodes that cannot reach the target within the hops left.
        let toTarget = reverseDistances(to: target)
        var found: [[Int]] = []
        var complete = true
        var onPath = [Bool](repeating: false, count: count)
        var path = [source]
        onPath[source] = true
        // Depth by depth so that the shortest come first and the limit keeps the shortest.
        for length in 1...max(1, maxHops) {
            func walk(_ u: Int, _ left: Int) {
                guard complete else { return }
                for v in successors[u] {
                    if left == 1 {
                        guard v == target else { continue }
                        if found.count == limit { complete = false; return }
                        found.append(path + [v])
                        continue
                    }
                    guard !onPath[v], v != target, let d = toTarget[v], d <= left - 1 else { continue }
                    onPath[v] = true
                    path.append(v)
                    walk(v, left - 1)
                    path.removeLast()
                    onPath[v] = false
                }
            }
            walk(source, length)
            if !complete { break }
        }
        return (found, complete)
    }

    // MARK: transitive closure

    /// Per node, the nodes it reaches in one or more hops (itself only through a cycle), as
    /// sorted lists. Strongly connected components first (Tarjan, iterative), then reachability
    /// over their DAG as bit sets: linear in the channels plus components × nodes / 64.
    public func closure() -> [[Int]] {
        let n = count
        guard n > 0 else { return [] }
        // Tarjan's algorithm without recursion.
        var index = [Int](repeating: -1, count: n), low = [Int](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var stack: [Int] = []
        var component = [Int](repeating: -1, count: n)
        var components = 0
        var counter = 0
        for root in 0..<n where index[root] < 0 {
            var work: [(node: Int, edge: Int)] = [(root, 0)]
            index[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack[root] = true
            while var top = work.popLast() {
                let u = top.node
                if top.edge < successors[u].count {
                    let v = successors[u][top.edge]
                    top.edge += 1
                    work.append(top)
                    if index[v] < 0 {
                        index[v] = counter; low[v] = counter; counter += 1
                        stack.append(v); onStack[v] = true
                        work.append((v, 0))
                    } else if onStack[v] {
                        low[u] = min(low[u], index[v])
                    }
                    continue
                }
                if low[u] == index[u] {
                    while let w = stack.popLast() {
                        onStack[w] = false
                        component[w] = components
                        if w == u { break }
                    }
                    components += 1
                }
                if let parent = work.last?.node { low[parent] = min(low[parent], low[u]) }
            }
        }
        // Tarjan numbers components in reverse topological order: successors' components first.
        // One flat bit set per component; members listed by component (counting sort).
        let words = (n + 63) / 64
        var first = [Int](repeating: 0, count: components + 1)
        for u in 0..<n { first[component[u] + 1] += 1 }
        for c in 0..<components { first[c + 1] += first[c] }
        var members = [Int](repeating: 0, count: n)
        var next = first
        for u in 0..<n {
            members[next[component[u]]] = u
            next[component[u]] += 1
        }
        var reach = [UInt64](repeating: 0, count: components * words)
        reach.withUnsafeMutableBufferPointer { reach in
            let base = reach.baseAddress!
            for c in 0..<components {
                let bits = base + c * words
                let own = members[first[c]..<first[c + 1]]
                let cyclic = own.count > 1 || successors[own.first!].contains(own.first!)
                if cyclic { for u in own { bits[u >> 6] |= 1 << UInt64(u & 63) } }
                for u in own {
                    for v in successors[u] where component[v] != c {
                        bits[v >> 6] |= 1 << UInt64(v & 63)
                        let other = base + component[v] * words
                        for w in 0..<words { bits[w] |= other[w] }
                    }
                }
            }
        }
        return reach.withUnsafeBufferPointer { reach in
            (0..<n).map { u in
                let bits = reach.baseAddress! + component[u] * words
                var count = 0
                for w in 0..<words { count += bits[w].nonzeroBitCount }
                var out: [Int] = []
                out.reserveCapacity(count)
                for w in 0..<words {
                    var word = bits[w]
                    while word != 0 {
                        out.append(w * 64 + word.trailingZeroBitCount)
                        word &= word - 1
                    }
                }
                return out
            }
        }
    }
}
