/// A minimal JSON writer with a fixed key order, so traces are byte-stable.
struct JSONLine {
    private var text = "{"
    private var first = true

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += JSONLine.quote(name) + ":"
    }

    mutating func add(_ name: String, _ value: Int64) { key(name); text += String(value) }
    mutating func add(_ name: String, _ value: Int) { key(name); text += String(value) }
    mutating func add(_ name: String, _ value: String?) { key(name); text += value.map(JSONLine.quote) ?? "null" }
    mutating func add(_ name: String, _ value: Bool) { key(name); text += value ? "true" : "false" }
    mutating func addRaw(_ name: String, _ json: String) { key(name); text += json }

    var line: String { text + "}" }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    static func quote(_ string: String) -> String { JSONStreamWriter.quoted(string) }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Totals over a run.
public struct SimulationSummary: Sendable, Hashable {
    public var steps = 0
    /// Steps that returned ≥ 0.
    public var successes = 0
    /// Failed steps by errno name (`EINVAL`), sorted when printed.
    public var failuresByErrno: [String: Int] = [:]
    public var messagesDelivered = 0
    public var bytesDelivered = 0
    /// XSM hook refusals (FLASK EACCES, SILO EPERM), including at domain creation.
    public var denials = 0
    /// AVC `denied` records logged.
    public var avcDenials = 0
    /// Steps whose `expect` did not match.
    public var expectationMismatches = 0
    /// Lines of the steps whose `expect` did not match.
    public var mismatchLines: [Int] = []

    /// The summary as one JSON object line.
    public var jsonLine: String {
        var json = JSONLine()
        json.add("steps", steps)
        json.add("successes", successes)
        let failures = failuresByErrno.keys.sorted().map { JSONLine.quote($0) + ":" + String(failuresByErrno[$0]!) }
        json.addRaw("failures", "{" + failures.joined(separator: ",") + "}")
        json.add("messages_delivered", messagesDelivered)
        json.add("bytes_delivered", bytesDelivered)
        json.add("denials", denials)
        json.add("avc_denials", avcDenials)
        json.add("expectation_mismatches", expectationMismatches)
        return json.line
    }
}

/// One ring's memory as the owner's pages hold it: header then data.
public struct RingDump: Sendable, Hashable {
    /// `OWNER-APORT-PARTNER.ring` (names where known, `any` for wildcard, aport in decimal).
    public var fileName: String
    public var bytes: [UInt8]
}
