import Foundation
import PolicyGenerator
import TOMLReader

/// A TOML document as a plain tree, generated at random and rendered to text in random
/// styles, so that a parser's result can be compared with what the text was made from.
indirect enum TOMLModel: Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case date(Int, Int, Int)
    case array([TOMLModel])
    case table([(String, TOMLModel)])

    static func == (a: TOMLModel, b: TOMLModel) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.integer(let x), .integer(let y)): x == y
        case (.float(let x), .float(let y)): x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
        case (.boolean(let x), .boolean(let y)): x == y
        case (.date(let a1, let a2, let a3), .date(let b1, let b2, let b3)): (a1, a2, a3) == (b1, b2, b3)
        case (.array(let x), .array(let y)): x == y
        case (.table(let x), .table(let y)):
            x.count == y.count && x.sorted { $0.0 < $1.0 }.elementsEqual(y.sorted { $0.0 < $1.0 }) { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// What `TOMLReader` produced, as a model.
    init(_ value: TOMLValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .integer(let i): self = .integer(i)
        case .float(let d): self = .float(d)
        case .boolean(let b): self = .boolean(b)
        case .dateTime(let dt): self = .date(dt.date?.year ?? -1, dt.date?.month ?? -1, dt.date?.day ?? -1)
        case .array(let a): self = .array(a.elements.map(TOMLModel.init))
        case .table(let t): self = .table(t.keys.map { ($0, TOMLModel(t[$0]!)) })
        }
    }
}

/// Random documents and their text.
struct TOMLDocumentGenerator {
    var rng: SplitMix64
    var crlf = false

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func chance(_ percent: Int) -> Bool { rng.below(100) < percent }

    mutating func key() -> String {
        let pool = ["name", "domid", "label", "a", "b-c", "x_1", "9", "dom0", "ключ", "with space", "q\"uote", "", "tab\there", "dot.ted"]
        return pool[rng.below(pool.count)] + (chance(30) ? String(rng.below(50)) : "")
    }

    mutating func string() -> String {
        let pool: [String] = ["a", "Z", " ", "\"", "\\", "\t", "é", "中", "😀", "'", "\n", "\u{1}", "\u{7F}", "#", "=", "[", "x", "system_u:system_r:dom0_t"]
        return (0..<rng.below(8)).map { _ in pool[rng.below(pool.count)] }.joined()
    }

    mutating func scalar() -> TOMLModel {
        switch rng.below(6) {
        case 0, 1: return .string(string())
        case 2:
            let magnitudes: [Int64] = [0, 1, 7, 255, 65_535, 1 << 40, .max, .min + 1, .min]
            let m = magnitudes[rng.below(magnitudes.count)]
            return .integer(chance(50) || m == .min ? m : -m)
        case 3:
            let floats: [Double] = [0, 1.5, -2.25, 1e10, 6.02e23, -1e-7, .infinity, -.infinity, .nan, 3.0]
            return .float(floats[rng.below(floats.count)])
        case 4: return .boolean(chance(50))
        default: return .date(1970 + rng.below(100), 1 + rng.below(12), 1 + rng.below(28))
        }
    }

    mutating func value(depth: Int) -> TOMLModel {
        if depth < 3 && chance(20) { return .array((0..<rng.below(4)).map { _ in value(depth: depth + 1) }) }
        if depth < 3 && chance(10) { return .table(entries(depth: depth + 1, tables: false)) }
        return scalar()
    }

    mutating func entries(depth: Int, tables: Bool) -> [(String, TOMLModel)] {
        var out: [(String, TOMLModel)] = []
        var used = Set<String>()
        for _ in 0..<rng.below(tables ? 6 : 4) {
            let k = key()
            guard used.insert(k).inserted else { continue }
            if tables && depth < 3 && chance(25) {
                out.append((k, .table(entries(depth: depth + 1, tables: true))))
            } else if tables && depth < 3 && chance(15) {
                out.append((k, .array((0..<(1 + rng.below(3))).map { _ in .table(entries(depth: depth + 1, tables: true)) })))
            } else {
                out.append((k, value(depth: depth)))
            }
        }
        return out
    }

    // MARK: Rendering

    func renderKey(_ k: String) -> String {
        if !k.isEmpty, k.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }) {
            return k
        }
        return "\"" + escaped(k) + "\""
    }

    func escaped(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F { out += String(format: "\\u%04X", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    mutating func renderString(_ s: String) -> String {
        let plain = !s.contains("'") && !s.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }
        if plain && chance(30) { return "'" + s + "'" }
        if chance(20) && !s.hasSuffix("\"") && !s.contains("\"\"") {
            // Multi-line basic: a line break right after the quotes is dropped; \n can stay literal.
            let body = escaped(s).replacingOccurrences(of: "\\n", with: newline)
            let leading = body.hasPrefix("\n") || body.hasPrefix("\r\n") || chance(50)
            return "\"\"\"" + (leading ? newline : "") + body + "\"\"\""
        }
        if chance(20) {
            // \u escapes for everything outside ASCII.
            var out = ""
            for u in s.unicodeScalars {
                if u.isASCII { out += escaped(String(u)) } else { out += u.value > 0xFFFF ? String(format: "\\U%08X", u.value) : String(format: "\\u%04X", u.value) }
            }
            return "\"" + out + "\""
        }
        return "\"" + escaped(s) + "\""
    }

    var newline: String { crlf ? "\r\n" : "\n" }

    mutating func renderInteger(_ i: Int64) -> String {
        if i >= 0 && chance(20) { return "0x" + String(i, radix: 16, uppercase: chance(50)) }
        if i >= 0 && chance(10) { return "0o" + String(i, radix: 8) }
        if i >= 0 && chance(10) { return "0b" + String(i, radix: 2) }
        let digits = String(i.magnitude)
        var body = digits
        if digits.count > 3 && chance(30) {
            var grouped = ""
            for (n, c) in digits.reversed().enumerated() {
                if n > 0 && n % 3 == 0 { grouped.append("_") }
                grouped.append(c)
            }
            body = String(grouped.reversed())
        }
        return (i < 0 ? "-" : (chance(10) ? "+" : "")) + body
    }

    func renderFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        let text = "\(d)"
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }

    mutating func renderValue(_ v: TOMLModel) -> String {
        switch v {
        case .string(let s): return renderString(s)
        case .integer(let i): return renderInteger(i)
        case .float(let d): return renderFloat(d)
        case .boolean(let b): return b ? "true" : "false"
        case .date(let y, let m, let d): return String(format: "%04d-%02d-%02d", y, m, d)
        case .array(let items):
            let sep = chance(30) ? "," + newline + "  " : ", "
            var parts: [String] = []
            for item in items { parts.append(renderValue(item)) }
            return "[" + parts.joined(separator: sep) + (chance(20) && !items.isEmpty ? "," : "") + "]"
        case .table(let entries):
            var parts: [String] = []
            for (k, item) in entries { parts.append(renderKey(k) + " = " + renderValue(item)) }
            return "{ " + parts.joined(separator: ", ") + " }"
        }
    }

    static func isTableArray(_ v: TOMLModel) -> [[(String, TOMLModel)]]? {
        guard case .array(let items) = v, !items.isEmpty else { return nil }
        var tables: [[(String, TOMLModel)]] = []
        for item in items {
            guard case .table(let t) = item else { return nil }
            tables.append(t)
        }
        return tables
    }

    /// The document text for a root table: plain keys first, then sub-tables as headers.
    mutating func render(_ entries: [(String, TOMLModel)], path: [String] = []) -> String {
        var out = ""
        var deferred: [(String, TOMLModel)] = []
        for (k, v) in entries {
            if case .table(let sub) = v, !path.isEmpty || chance(70) {
                if chance(30) && sub.allSatisfy({ if case .table = $0.1 { false } else { Self.isTableArray($0.1) == nil } }) && !sub.isEmpty {
                    // Dotted keys inside this section.
                    for (sk, sv) in sub { out += renderKey(k) + "." + renderKey(sk) + " = " + renderValue(sv) + newline }
                    continue
                }
                deferred.append((k, v))
            } else if Self.isTableArray(v) != nil && chance(70) {
                deferred.append((k, v))
            } else {
                out += renderKey(k) + " = " + renderValue(v) + (chance(20) ? " # note" : "") + newline
            }
        }
        for (k, v) in deferred {
            let full = path + [k]
            let header = full.map(renderKey).joined(separator: ".")
            if case .table(let sub) = v {
                out += newline + "[" + header + "]" + newline + render(sub, path: full)
            } else if let tables = Self.isTableArray(v) {
                for t in tables { out += newline + "[[" + header + "]]" + newline + render(t, path: full) }
            }
        }
        return out
    }
}
