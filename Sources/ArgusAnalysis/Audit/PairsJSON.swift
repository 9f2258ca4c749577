/// The `pairs` array of the JSON audit, written from byte templates: for each source a prefix
/// (`{"source": NAME, "target": `), for each target its quoted name, and for each of the
/// fifteen non-zero flow sets its tail (`, "register_single_source": true, ... }`). Pairs
/// without any flow are skipped eight at a time.
///
/// The templates live in one flat byte array (offsets per piece), and pairs are copied straight
/// into one chunk buffer that goes to the writer whole when it is full: per pair, three
/// `memcpy`s and no reference counting.
struct PairsJSON {
    /// Every template, back to back: prefixes, then names, then the sixteen tails.
    private let storage: [UInt8]
    /// `storage[start[k]..<start[k + 1]]` is piece `k`: prefix `i` at `i`, name `j` at `n + j`,
    /// tail `b` at `2n + b`.
    private let start: [Int]
    private let n: Int
    /// The longest piece: a pair is at most three of them.
    private let longest: Int

    static let chunk = 1 << 16

    init(names: [String]) { self.init(quotedNames: names.map(JSONStreamWriter.quoted)) }

    /// From the names already quoted (`JSONStreamWriter.quoted`).
    init(quotedNames: [String]) {
        let tails = (0..<16).map { bits in
            var tail = ""
            tail += bits & 1 != 0 ? ", \"register_single_source\": true" : ", \"register_single_source\": false"
            tail += bits & 2 != 0 ? ", \"send\": true" : ", \"send\": false"
            tail += bits & 4 != 0 ? ", \"notify\": true" : ", \"notify\": false"
            tail += bits & 8 != 0 ? ", \"channel\": true}" : ", \"channel\": false}"
            return tail
        }
        let open = ",\n    {\"source\": ", close = ", \"target\": "
        let names = quotedNames.reduce(0) { $0 + $1.utf8.count }
        var start = [0]
        start.reserveCapacity(2 * quotedNames.count + 17)
        var storage: [UInt8] = []
        storage.reserveCapacity(2 * names + quotedNames.count * (open.utf8.count + close.utf8.count) + tails.reduce(0) { $0 + $1.utf8.count })
        var longest = 0
        func piece(_ parts: String...) {
            for p in parts { storage.append(contentsOf: p.utf8) }
            longest = max(longest, storage.count - start[start.count - 1])
            start.append(storage.count)
        }
        for q in quotedNames { piece(open, q, close) }
        for q in quotedNames { piece(q) }
        for t in tails { piece(t) }
        self.storage = storage
        self.start = start
        n = quotedNames.count
        self.longest = longest
    }

    /// Writes every pair with a flow (`pairs[i * n + j]`, bits of `ArgoAudit.Flow`), each after
    /// a comma but the first; true when there was none.
    func write(_ pairs: [UInt8], n: Int, to w: inout JSONStreamWriter) -> Bool {
        precondition(n == self.n && pairs.count >= n * n)
        var first = true
        let capacity = Self.chunk + 3 * longest
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var used = 0
        storage.withUnsafeBufferPointer { storage in
            start.withUnsafeBufferPointer { start in
                pairs.withUnsafeBufferPointer { pairs in
                    let bytes = storage.baseAddress!
                    @inline(__always) func copy(_ k: Int, dropFirst: Int = 0) {
                        let from = start[k] + dropFirst, count = start[k + 1] - from
                        (buffer + used).update(from: bytes + from, count: count)
                        used += count
                    }
                    for i in 0..<n {
                        let row = pairs.baseAddress! + i * n
                        var j = 0
                        while j < n {
                            if j + 8 <= n, UnsafeRawPointer(row + j).loadUnaligned(as: UInt64.self) == 0 { j += 8; continue }
                            let bits = row[j]
                            if bits != 0 {
                                // The first pair has no comma before it.
                                copy(i, dropFirst: first ? 1 : 0)
                                first = false
                                copy(n + j)
                                copy(2 * n + Int(bits & 15))
                                if used >= Self.chunk {
                                    w.chunk(UnsafeBufferPointer(start: buffer, count: used))
                                    used = 0
                                }
                            }
                            j += 1
                        }
                    }
                }
            }
        }
        if used > 0 { w.bytes(UnsafeBufferPointer(start: buffer, count: used)) }
        return first
    }
}
