/// The `pairs` array of the JSON audit, written from byte templates: for each source a prefix
/// (`{"source": NAME, "target": `), for each target its quoted name, and for each of the
/// fifteen non-zero flow sets its tail (`, "register_single_source": true, ... }`). Pairs
/// without any flow are skipped eight at a time.
struct PairsJSON {
    private let names: [[UInt8]]
    private let prefixes: [[UInt8]]
    private let tails: [[UInt8]]

    init(names: [String]) {
        let quoted = names.map { Array(JSONStreamWriter.quoted($0).utf8) }
        self.names = quoted
        prefixes = quoted.map { Array(",\n    {\"source\": ".utf8) + $0 + Array(", \"target\": ".utf8) }
        tails = (0..<16).map { bits in
            var tail = ""
            tail += bits & 1 != 0 ? ", \"register_single_source\": true" : ", \"register_single_source\": false"
            tail += bits & 2 != 0 ? ", \"send\": true" : ", \"send\": false"
            tail += bits & 4 != 0 ? ", \"notify\": true" : ", \"notify\": false"
            tail += bits & 8 != 0 ? ", \"channel\": true}" : ", \"channel\": false}"
            return Array(tail.utf8)
        }
    }

    /// Writes every pair with a flow (`pairs[i * n + j]`, bits of `ArgoAudit.Flow`), each after
    /// a comma but the first; true when there was none.
    func write(_ pairs: [UInt8], n: Int, to w: inout JSONStreamWriter) -> Bool {
        var first = true
        pairs.withUnsafeBufferPointer { pairs in
            for i in 0..<n {
                let row = pairs.baseAddress! + i * n
                var j = 0
                while j < n {
                    if j + 8 <= n, UnsafeRawPointer(row + j).loadUnaligned(as: UInt64.self) == 0 { j += 8; continue }
                    let bits = row[j]
                    if bits != 0 {
                        prefixes[i].withUnsafeBufferPointer { p in w.bytes(first ? UnsafeBufferPointer(rebasing: p[1...]) : p) }
                        first = false
                        names[j].withUnsafeBufferPointer { w.bytes($0) }
                        tails[Int(bits & 15)].withUnsafeBufferPointer { w.bytes($0) }
                    }
                    j += 1
                }
            }
        }
        return first
    }
}
