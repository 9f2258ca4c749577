import Foundation
import Testing
import TOMLKit
import TOMLReader

/// Generated valid documents: TOMLReader must return exactly the tree the text was made
/// from, and agree with TOMLKit (toml++), which only ever sees these valid documents.
@Suite struct TOMLDifferentialTests {
    static var documents: Int {
        ProcessInfo.processInfo.environment["ARGUS_FUZZ_SECONDS"] != nil ? 20_000 : 600
    }

    @Test func generatedDocumentsReadBackAsGenerated() throws {
        var mismatches = 0
        for seed in 0..<UInt64(Self.documents) {
            var generator = TOMLDocumentGenerator(seed: seed)
            generator.crlf = seed % 5 == 0
            let model = generator.entries(depth: 0, tables: true)
            let text = generator.render(model)
            let parsed: TOMLReader.TOMLTable
            do { parsed = try TOML.parse(text) } catch {
                Issue.record("seed \(seed): \(error)\n\(text)")
                mismatches += 1
                continue
            }
            let ours = TOMLModel(.table(parsed))
            if ours != .table(model) {
                Issue.record("seed \(seed): read back differently\n\(text)\n--- got\n\(Self.flatten(parsed).joined(separator: "\n"))")
                mismatches += 1
            }
            // toml++ (through TOMLKit) on the same valid text.
            let theirs = try TOMLKit.TOMLTable(string: text)
            if Self.model(of: theirs) != ours {
                Issue.record("seed \(seed): TOMLKit disagrees\n\(text)")
                mismatches += 1
            }
            if mismatches > 5 { return }
        }
    }

    @Test func crlfAndLFGiveTheSameTreeAndLines() throws {
        for seed in 0..<UInt64(100) {
            var a = TOMLDocumentGenerator(seed: seed), b = TOMLDocumentGenerator(seed: seed)
            b.crlf = true
            let model = a.entries(depth: 0, tables: true)
            _ = b.entries(depth: 0, tables: true)
            let lf = try TOML.parse(a.render(model)), crlf = try TOML.parse(b.render(model))
            #expect(Self.flatten(lf) == Self.flatten(crlf), "seed \(seed)")
        }
    }

    /// Every key, value and position, one line each, in document order.
    static func flatten(_ table: TOMLReader.TOMLTable, path: String = "") -> [String] {
        var out: [String] = []
        for key in table.keys {
            let entry = table.entry(key)!
            let here = path + "." + key
            out.append("\(here) @\(entry.keyPosition) = @\(entry.valuePosition)")
            out += flatten(value: entry.value, path: here)
        }
        return out
    }

    static func flatten(value: TOMLReader.TOMLValue, path: String) -> [String] {
        switch value {
        case .table(let t): return flatten(t, path: path)
        case .array(let a):
            return zip(a.elements, a.positions).enumerated().flatMap { n, e in ["\(path)[\(n)] @\(e.1)"] + flatten(value: e.0, path: "\(path)[\(n)]") }
        default: return ["\(path): \(value)"]
        }
    }

    static func model(of table: TOMLKit.TOMLTable) -> TOMLModel {
        .table(table.keys.map { ($0, model(of: table[$0]!)) })
    }

    static func model(of value: any TOMLValueConvertible) -> TOMLModel {
        switch value.type {
        case .string: return .string(value.string!)
        case .int: return .integer(Int64(value.int!))
        case .double: return .float(value.double!)
        case .bool: return .boolean(value.bool!)
        case .date: let d = value.date!; return .date(d.year, d.month, d.day)
        case .array: return .array(value.array!.map { model(of: $0) })
        case .table: return model(of: value.table!)
        default: return .string("<\(value.type)>")
        }
    }
}
