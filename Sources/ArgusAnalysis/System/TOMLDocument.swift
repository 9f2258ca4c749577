import Flask
import Foundation
import TOMLKit

/// A TOML file parsed by TOMLKit, plus the line of every table header and key so that
/// errors can name the line (TOMLKit reports positions for syntax errors only).
struct TOMLDocument {
    let path: String
    let root: TOMLTable
    private var keyLines: [LineKey: Int] = [:]

    struct LineKey: Hashable {
        var table: String
        var index: Int
        var key: String
    }

    init(path: String) throws(InputError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("no such file or cannot read it", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("not UTF-8 text", file: path) }
        try self.init(text: text, path: path)
    }

    init(text: String, path: String) throws(InputError) {
        self.path = path
        do { root = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw InputError(error.description, file: path, line: error.source.begin.line, column: error.source.begin.column)
        } catch {
            throw InputError("not valid TOML", file: path)
        }
        // Remember where headers and keys stand: "[name]" / "[[name]]" headers, "key =" lines.
        var table = ""
        var counts: [String: Int] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                let isArray = line.hasPrefix("[[")
                let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).components(separatedBy: "]").first ?? ""
                table = name.trimmingCharacters(in: .whitespaces)
                let index = isArray ? counts[table, default: -1] + 1 : 0
                counts[table] = index
                keyLines[LineKey(table: table, index: index, key: "")] = n + 1
            } else if let eq = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<eq].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                keyLines[LineKey(table: table, index: counts[table] ?? 0, key: key)] = n + 1
            }
        }
    }

    /// The line of `key` in the `index`-th `table` (or of the table header when `key` is empty).
    func line(table: String, index: Int = 0, key: String = "") -> Int? {
        keyLines[LineKey(table: table, index: index, key: key)] ?? keyLines[LineKey(table: table, index: index, key: "")]
    }

    func error(_ message: String, table: String, index: Int = 0, key: String = "") -> InputError {
        InputError(message, file: path, line: line(table: table, index: index, key: key))
    }

    /// The `[[name]]` tables, in order (a missing key gives none).
    func arrayOfTables(_ name: String) throws(InputError) -> [TOMLTable] {
        guard let value = root[name] else { return [] }
        guard let array = value.array else { throw error("'\(name)' must be an array of tables ([[\(name)]])", table: name) }
        var out: [TOMLTable] = []
        for (i, item) in array.enumerated() {
            guard let t = item.table else { throw error("'\(name)' entries must be tables", table: name, index: i) }
            out.append(t)
        }
        return out
    }

    /// Rejects keys outside `allowed` (fail closed: a typo must not be ignored).
    func checkKeys(_ table: TOMLTable, allowed: Set<String>, name: String, index: Int = 0) throws(InputError) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw error("unknown key '\(key)' in [\(name)] (expected one of: \(allowed.sorted().joined(separator: ", ")))",
                        table: name, index: index, key: key)
        }
    }

    func string(_ table: TOMLTable, _ key: String, in name: String, index: Int = 0) throws(InputError) -> String? {
        guard let v = table[key] else { return nil }
        guard let s = v.string else { throw error("'\(key)' must be a string", table: name, index: index, key: key) }
        return s
    }

    func bool(_ table: TOMLTable, _ key: String, in name: String, index: Int = 0) throws(InputError) -> Bool? {
        guard let v = table[key] else { return nil }
        guard let b = v.bool else { throw error("'\(key)' must be true or false", table: name, index: index, key: key) }
        return b
    }

    func int(_ table: TOMLTable, _ key: String, in name: String, index: Int = 0) throws(InputError) -> Int? {
        guard let v = table[key] else { return nil }
        guard let i = v.int else { throw error("'\(key)' must be an integer", table: name, index: index, key: key) }
        return i
    }
}
