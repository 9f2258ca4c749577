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
        func end() {
            longest = max(longest, storage.count - start[start.count - 1])
            start.append(storage.count)
        }
        for q in quotedNames {
            storage.append(contentsOf: open.utf8); storage.append(contentsOf: q.utf8); storage.append(contentsOf: close.utf8)
            end()
        }
        for q in quotedNames { storage.append(contentsOf: q.utf8); end() }
        for t in tails { storage.append(contentsOf: t.utf8); end() }
        self.storage = storage
        self.start = start
        n = quotedNames.count
        self.longest = longest
    }

    /// Bit 7 of each byte of `word` that is not zero, the other bits clear.
    @inline(__always)
    static func nonzeroBytes(_ word: UInt64) -> UInt64 {
        let low: UInt64 = 0x7f7f_7f7f_7f7f_7f7f
        return ((word & low) &+ low | word) & 0x8080_8080_8080_8080
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
                    @inline(__always) func pair(_ i: Int, _ j: Int, _ bits: UInt8) {
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
                    for i in 0..<n {
                        let row = pairs.baseAddress! + i * n
                        var j = 0
                        // Eight pairs at a time: only the non-zero bytes of a word are visited.
                        while j + 8 <= n {
                            var nonzero = Self.nonzeroBytes(UInt64(littleEndian: UnsafeRawPointer(row + j).loadUnaligned(as: UInt64.self)))
                            while nonzero != 0 {
                                let k = j + nonzero.trailingZeroBitCount >> 3
                                pair(i, k, row[k])
                                nonzero &= nonzero &- 1
                            }
                            j += 8
                        }
                        while j < n {
                            if row[j] != 0 { pair(i, j, row[j]) }
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
