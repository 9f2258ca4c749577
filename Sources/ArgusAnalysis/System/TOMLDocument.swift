import Flask
import Foundation
import TOMLReader

/// A TOML input file (system file, rules file) read with `TOMLReader`, with helpers that turn
/// every wrong key or value into an `InputError` at the value's own line and column.
///
/// Strings that name things (domains, labels, selectors, flows, paths) may not hold control
/// characters: TOML lets `\u0000` through, and a name cut at a NUL would fail open.
struct TOMLDocument {
    let path: String
    let root: TOMLTable

    /// The largest input file Argus reads (a system or rules file is a few kilobytes).
    static let maxFileBytes = 16 << 20

    init(path: String) throws(InputError) {
        let bytes = try Self.readBytes(path)
        try self.init(bytes: bytes, path: path)
    }

    init(text: String, path: String) throws(InputError) {
        try self.init(bytes: Array(text.utf8), path: path)
    }

    init(bytes: [UInt8], path: String) throws(InputError) {
        self.path = path
        do {
            root = try TOML.parse(bytes: bytes)
        } catch {
            throw InputError(error.message, file: path, line: error.position.line, column: error.position.column)
        }
    }

    /// The file's bytes; refuses anything but a regular file (after symlinks), and anything
    /// over `maxFileBytes` (so `/dev/zero` or a FIFO can neither hang nor exhaust memory).
    /// Plain `lstat`/`stat`/`read`: Foundation's `attributesOfItem` also looks up the owner's
    /// user and group names (`/etc/passwd`, `/etc/group`, nscd), which a cold run pays for.
    static func readBytes(_ path: String) throws(InputError) -> [UInt8] {
        var status = stat()
        guard lstat(path, &status) == 0 else { throw InputError("no such file", file: path) }
        var type: mode_t? = status.st_mode & S_IFMT
        if type == S_IFLNK {
            type = stat(path, &status) == 0 ? status.st_mode & S_IFMT : nil
        }
        guard type == S_IFREG else {
            throw InputError(type == S_IFDIR ? "is a directory, not a file" : "not a regular file", file: path)
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputError("cannot read the file", file: path) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while bytes.count <= maxFileBytes {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, min($0.count, maxFileBytes + 1 - bytes.count)) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return [] }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        guard bytes.count <= maxFileBytes else {
            throw InputError("larger than \(maxFileBytes >> 20) MiB: not an Argus input file", file: path)
        }
        return bytes
    }

    // MARK: Locations

    /// The `index`-th table called `table` ("" is the root; an array of tables or a table).
    func table(_ table: String, index: Int = 0) -> TOMLTable? {
        if table.isEmpty { return root }
        guard let value = root[table] else { return nil }
        if let t = value.table { return index == 0 ? t : nil }
        guard let array = value.array, index < array.count else { return nil }
        return array[index].table
    }

    /// Where `key`'s value stands in the `index`-th `table`; the table itself when `key` is
    /// empty or missing.
    func location(table name: String, index: Int = 0, key: String = "") -> SourceLocation {
        if let t = table(name, index: index) {
            if !key.isEmpty, let entry = t.entry(key) { return location(entry.valuePosition) }
            if name.isEmpty { return SourceLocation(file: path) }
            return location(t.position)
        }
        if let entry = root.entry(name) { return location(entry.valuePosition) }
        return SourceLocation(file: path)
    }

    func location(_ position: TOMLPosition) -> SourceLocation {
        SourceLocation(file: path, line: position.line, column: position.column)
    }

    /// The line of `key` in the `index`-th `table` (or of the table when `key` is empty).
    func line(table: String, index: Int = 0, key: String = "") -> Int? {
        location(table: table, index: index, key: key).line
    }

    func error(_ message: String, table: String, index: Int = 0, key: String = "") -> InputError {
        InputError(message, at: location(table: table, index: index, key: key))
    }

    // MARK: Shapes

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

    /// The `[name]` table, if present; anything else under that key is an error.
    func optionalTable(_ name: String) throws(InputError) -> TOMLTable? {
        guard let value = root[name] else { return nil }
        guard let t = value.table else {
            throw error("'\(name)' must be a table ([\(name)]), not \(value.kindDescription)", table: name)
        }
        return t
    }

    /// Rejects keys outside `allowed` (fail closed: a typo must not be ignored).
    func checkKeys(_ table: TOMLTable, allowed: Set<String>, name: String, index: Int = 0) throws(InputError) {
        for key in table.keys where !allowed.contains(key) {
            let position = table.entry(key)?.keyPosition ?? table.position
            let place = name.isEmpty ? "at the top level" : "in [\(name)]"
            throw InputError("unknown key '\(Self.shown(key))' \(place) (expected one of: \(allowed.sorted().joined(separator: ", ")))",
                             at: location(position))
        }
    }

    // MARK: Values

    /// A string that names something: no control characters at all.
    func string(_ table: TOMLTable, _ key: String, in name: String, index: Int = 0) throws(InputError) -> String? {
        guard let entry = table.entry(key) else { return nil }
        guard let s = entry.value.string else {
            throw InputError("'\(key)' must be a string, not \(entry.value.kindDescription)", at: location(entry.valuePosition))
        }
        if let bad = s.unicodeScalars.first(where: Self.isControl) {
            throw InputError("'\(key)' contains control character \(Self.codePoint(bad)): names, labels, selectors and paths cannot",
                             at: location(entry.valuePosition))
        }
        return s
    }

    /// Free text (a reason): tabs and line breaks allowed, other control characters not,
    /// and it must have something visible in it.
    func text(_ table: TOMLTable, _ key: String, in name: String, index: Int = 0) throws(InputError) -> String? {
        guard let entry = table.entry(key) else { return nil }
        guard let s = entry.value.string else {
            throw InputError("'\(key)' must be a string, not \(entry.value.kindDescription)", at: location(entry.valuePosition))
        }
        if let bad = s.unicodeScalars.first(where: { Self.isControl($0) && $0 != "\n" && $0 != "\t" }) {
            throw InputError("'\(key)' contains control character \(Self.codePoint(bad))", at: location(entry.valuePosition))
        }
        guard s.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw InputError("'\(key)' must have visible text", at: location(entry.valuePosition))
        }
        return s
    }

    func bool(_ table: TOMLTable, _ key: String, in name: String, index: Int = 0) throws(InputError) -> Bool? {
        guard let entry = table.entry(key) else { return nil }
        guard let b = entry.value.bool else {
            throw InputError("'\(key)' must be true or false, not \(entry.value.kindDescription)", at: location(entry.valuePosition))
        }
        return b
    }

    func int(_ table: TOMLTable, _ key: String, in name: String, index: Int = 0) throws(InputError) -> Int? {
        guard let entry = table.entry(key) else { return nil }
        guard let i = entry.value.int else {
            throw InputError("'\(key)' must be an integer, not \(entry.value.kindDescription)", at: location(entry.valuePosition))
        }
        return i
    }

    /// An array of name-like strings, each checked as `string` checks one.
    func strings(_ table: TOMLTable, _ key: String, in name: String, index: Int = 0) throws(InputError) -> [String]? {
        guard let entry = table.entry(key) else { return nil }
        guard let array = entry.value.arrayWithPositions else {
            throw InputError("'\(key)' must be an array of strings, not \(entry.value.kindDescription)", at: location(entry.valuePosition))
        }
        var out: [String] = []
        for (element, position) in zip(array.elements, array.positions) {
            guard let s = element.string else {
                throw InputError("'\(key)' must hold strings, not \(element.kindDescription)", at: location(position))
            }
            if let bad = s.unicodeScalars.first(where: Self.isControl) {
                throw InputError("'\(key)' contains control character \(Self.codePoint(bad))", at: location(position))
            }
            out.append(s)
        }
        return out
    }

    /// C0 and C1 controls and DEL (Unicode general category Cc).
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value)
    }

    static func codePoint(_ s: Unicode.Scalar) -> String {
        let hex = String(s.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// A key as it can be printed on one line.
    static func shown(_ key: String) -> String {
        String(String.UnicodeScalarView(key.unicodeScalars.map { isControl($0) ? "?" : $0 }))
    }
}
