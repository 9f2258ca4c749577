/// Reads TOML 1.0 documents from untrusted bytes.
///
/// Argus reads its system, rules and exemption files with this reader rather than with
/// TOMLKit: the C++ parser under TOMLKit aborts the process on some inputs (a table header
/// with an empty key, `[.]`), and it reports no position for keys and values. This reader
/// never traps on input, reports every error with a line and a column, keeps the position
/// of every key and value, and bounds nesting so that no document can exhaust the stack.
public enum TOML {
    /// Deepest nesting of tables (headers, dotted keys, inline tables) and arrays, counted
    /// together from the root.
    public static let maxNesting = 128

    /// Parses `bytes` (UTF-8, LF or CRLF line ends; a leading byte-order mark is skipped).
    public static func parse(bytes: [UInt8]) throws(TOMLParseError) -> TOMLTable {
        if let bad = firstInvalidUTF8Offset(bytes) {
            throw TOMLParseError("not UTF-8 text (byte 0x\(hex(bytes[bad])))", at: textPosition(of: bad, in: bytes))
        }
        var parser = TOMLDocumentParser(bytes: bytes)
        return try parser.parseDocument()
    }

    /// Parses a document held in a `String`.
    public static func parse(_ text: String) throws(TOMLParseError) -> TOMLTable {
        try parse(bytes: Array(text.utf8))
    }

    static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}

/// A table while the document is being read: headers and dotted keys may still add to it.
final class TableNode {
    enum Origin {
        /// Made as the parent of a header's table (`[a.b]` makes `a`); a header may still define it.
        case implicit
        /// Defined by its own `[header]` or as an element of `[[array]]`.
        case header
        /// Made by a dotted key (`a.b = 1` makes `a`).
        case dotted
        case root
    }

    enum Child {
        case value(TOMLValue, key: TOMLPosition, value: TOMLPosition)
        case table(TableNode, key: TOMLPosition)
        case tables(TableArray, key: TOMLPosition)
    }

    final class TableArray {
        var nodes: [TableNode]
        init(_ node: TableNode) { nodes = [node] }
    }

    var origin: Origin
    var position: TOMLPosition
    let depth: Int
    var keys: [String] = []
    var children: [String: Child] = [:]

    init(_ origin: Origin, at position: TOMLPosition, depth: Int) {
        self.origin = origin
        self.position = position
        self.depth = depth
    }

    func add(_ key: String, _ child: Child) {
        keys.append(key)
        children[key] = child
    }

    /// The finished, immutable table.
    func frozen() -> TOMLTable {
        var table = TOMLTable(position: position)
        for key in keys {
            switch children[key]! {
            case .value(let v, let kp, let vp):
                table.insert(key, .init(value: v, keyPosition: kp, valuePosition: vp))
            case .table(let node, let kp):
                table.insert(key, .init(value: .table(node.frozen()), keyPosition: kp, valuePosition: node.position))
            case .tables(let array, let kp):
                let elements = array.nodes.map { TOMLValue.table($0.frozen()) }
                let positions = array.nodes.map(\.position)
                let value = TOMLValue.array(TOMLArray(elements: elements, positions: positions, position: positions[0]))
                table.insert(key, .init(value: value, keyPosition: kp, valuePosition: positions[0]))
            }
        }
        return table
    }
}

/// One key as written: its dotted parts and where each starts.
struct DottedKey {
    var parts: [(name: String, position: TOMLPosition)]
    var dotted: String { parts.map { TOMLDocumentParser.displayKey($0.name) }.joined(separator: ".") }
}

/// The scanner and the table rules of TOML 1.0 (tables defined once, dotted keys, arrays of
/// tables, inline tables closed for good).
struct TOMLDocumentParser {
    let b: [UInt8]
    var i = 0
    var line = 1
    var lineStart = 0
    /// Column cache: the column of byte `cacheOffset` on the current line.
    var cacheOffset = 0
    var cacheColumn = 1
    var cacheLine = 1

    init(bytes: [UInt8]) {
        b = bytes
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3; lineStart = 3; cacheOffset = 3 }
    }

    // MARK: Positions and errors

    mutating func position(at offset: Int) -> TOMLPosition {
        if cacheLine != line || offset < cacheOffset {
            cacheLine = line
            cacheOffset = lineStart
            cacheColumn = 1
        }
        var k = cacheOffset
        var column = cacheColumn
        while k < offset {
            if b[k] & 0xC0 != 0x80 { column += 1 }
            k += 1
        }
        cacheOffset = offset
        cacheColumn = column
        return TOMLPosition(line: line, column: column)
    }

    mutating func here() -> TOMLPosition { position(at: i) }

    mutating func error(_ message: String, at offset: Int? = nil) -> TOMLParseError {
        TOMLParseError(message, at: position(at: offset ?? i))
    }

    static func displayKey(_ key: String) -> String {
        let bare = !key.isEmpty && key.utf8.allSatisfy(isBareKeyByte)
        return bare ? key : "\"" + escapedForMessage(key) + "\""
    }

    /// `text` with control characters written as escapes, for error messages.
    static func escapedForMessage(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16, uppercase: true)
            } else if scalar == "\"" || scalar == "\\" {
                out += "\\" + String(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: Characters

    static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }

    var atEnd: Bool { i >= b.count }
    func peek(_ k: Int = 0) -> UInt8? { i + k < b.count ? b[i + k] : nil }

    mutating func skipSpaces() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
    }

    /// A control character TOML never allows unescaped (everything below space but tab, and DEL).
    static func isForbiddenControl(_ c: UInt8) -> Bool { (c < 0x20 && c != 0x09) || c == 0x7F }

    func describeByte(_ c: UInt8) -> String {
        if c == 0x0D { return "a carriage return not followed by a line feed" }
        if c == 0x0A { return "a line break" }
        if Self.isForbiddenControl(c) { return "control character U+00\(TOML.hex(c))" }
        return "'\(String(decoding: [c], as: UTF8.self))'"
    }

    /// Consumes a line end (LF or CRLF) if one is here.
    mutating func consumeNewline() throws(TOMLParseError) -> Bool {
        guard let c = peek() else { return false }
        if c == 0x0A {
            i += 1
        } else if c == 0x0D {
            guard peek(1) == 0x0A else { throw error("a carriage return must be followed by a line feed") }
            i += 2
        } else {
            return false
        }
        line += 1
        lineStart = i
        return true
    }

    /// `# ...` up to (not including) the line end.
    mutating func skipComment() throws(TOMLParseError) {
        guard peek() == 0x23 else { return }
        i += 1
        while let c = peek() {
            if c == 0x0A || (c == 0x0D && peek(1) == 0x0A) { return }
            if Self.isForbiddenControl(c) { throw error("\(describeByte(c)) in a comment") }
            i += 1
        }
    }

    /// Spaces, an optional comment, then the end of the line or of the document.
    mutating func expectLineEnd(after what: String) throws(TOMLParseError) {
        skipSpaces()
        try skipComment()
        if atEnd { return }
        guard try consumeNewline() else {
            throw error("expected the end of the line after \(what), found \(describeByte(b[i]))")
        }
    }

    // MARK: Document

    mutating func parseDocument() throws(TOMLParseError) -> TOMLTable {
        let root = TableNode(.root, at: TOMLPosition(line: 1, column: 1), depth: 0)
        var current = root
        while true {
            skipSpaces()
            guard let c = peek() else { break }
            if try consumeNewline() { continue }
            if c == 0x23 {
                try skipComment()
                continue
            }
            if c == 0x5B {
                current = try parseHeader(root: root)
                try expectLineEnd(after: "a table header")
            } else {
                try parseKeyValue(into: current)
                try expectLineEnd(after: "a value")
            }
        }
        return root.frozen()
    }

    // MARK: Keys

    mutating func parseKey() throws(TOMLParseError) -> DottedKey {
        var parts: [(name: String, position: TOMLPosition)] = []
        while true {
            skipSpaces()
            let start = here()
            guard let c = peek() else { throw error("expected a key, found the end of the document") }
            let name: String
            if c == 0x22 {
                if peek(1) == 0x22 && peek(2) == 0x22 { throw error("a key cannot be a multi-line string") }
                name = try parseBasicString()
            } else if c == 0x27 {
                if peek(1) == 0x27 && peek(2) == 0x27 { throw error("a key cannot be a multi-line string") }
                name = try parseLiteralString()
            } else if Self.isBareKeyByte(c) {
                let s = i
                while let d = peek(), Self.isBareKeyByte(d) { i += 1 }
                name = String(decoding: b[s..<i], as: UTF8.self)
            } else {
                throw error("expected a key, found \(describeByte(c))")
            }
            parts.append((name, start))
            skipSpaces()
            guard peek() == 0x2E else { break }
            i += 1
        }
        return DottedKey(parts: parts)
    }

    // MARK: Tables

    mutating func parseHeader(root: TableNode) throws(TOMLParseError) -> TableNode {
        let headerOffset = i
        let headerPosition = here()
        let isArray = peek(1) == 0x5B
        i += isArray ? 2 : 1
        let key = try parseKey()
        skipSpaces()
        if isArray {
            guard peek() == 0x5D, peek(1) == 0x5D else { throw error("expected ']]' to close the array-of-tables header") }
            i += 2
        } else {
            guard peek() == 0x5D else { throw error("expected ']' to close the table header") }
            i += 1
        }
        var table = root
        for (n, part) in key.parts.enumerated() {
            let last = n == key.parts.count - 1
            let shown = DottedKey(parts: Array(key.parts[0...n])).dotted
            guard let child = table.children[part.name] else {
                guard table.depth < TOML.maxNesting else {
                    throw error("tables and arrays nested deeper than \(TOML.maxNesting)", at: headerOffset)
                }
                let node = TableNode(last ? .header : .implicit, at: headerPosition, depth: table.depth + 1)
                if last && isArray {
                    table.add(part.name, .tables(.init(node), key: part.position))
                } else {
                    table.add(part.name, .table(node, key: part.position))
                }
                table = node
                continue
            }
            switch child {
            case .value(let v, let kp, _):
                throw TOMLParseError("'\(shown)' is already \(v.kindDescription) (line \(kp.line)), not a table", at: part.position)
            case .tables(let array, _):
                if last {
                    guard isArray else {
                        throw TOMLParseError("'\(shown)' is an array of tables; write [[\(shown)]] to add one", at: part.position)
                    }
                    let node = TableNode(.header, at: headerPosition, depth: table.depth + 1)
                    array.nodes.append(node)
                    table = node
                } else {
                    table = array.nodes[array.nodes.count - 1]
                }
            case .table(let node, _):
                if last {
                    if isArray {
                        throw TOMLParseError("'\(shown)' is already a table (line \(node.position.line)), not an array of tables", at: part.position)
                    }
                    switch node.origin {
                    case .implicit:
                        node.origin = .header
                        node.position = headerPosition
                    case .header, .root:
                        throw TOMLParseError("table [\(shown)] is defined twice (first at line \(node.position.line))", at: part.position)
                    case .dotted:
                        throw TOMLParseError("table [\(shown)] was already defined by dotted keys (line \(node.position.line))", at: part.position)
                    }
                }
                table = node
            }
        }
        return table
    }

    mutating func parseKeyValue(into table: TableNode) throws(TOMLParseError) {
        let key = try parseKey()
        skipSpaces()
        guard peek() == 0x3D else {
            if let c = peek() { throw error("expected '=' after the key '\(key.dotted)', found \(describeByte(c))") }
            throw error("expected '=' after the key '\(key.dotted)', found the end of the document")
        }
        i += 1
        skipSpaces()
        var target = table
        for (n, part) in key.parts.dropLast().enumerated() {
            let shown = DottedKey(parts: Array(key.parts[0...n])).dotted
            if let child = target.children[part.name] {
                switch child {
                case .table(let node, _) where node.origin == .dotted || node.origin == .implicit:
                    target = node
                case .table(let node, _):
                    throw TOMLParseError("dotted keys cannot add to table [\(shown)], defined at line \(node.position.line)", at: part.position)
                case .value(let v, let kp, _):
                    throw TOMLParseError("'\(shown)' is already \(v.kindDescription) (line \(kp.line)), not a table", at: part.position)
                case .tables:
                    throw TOMLParseError("dotted keys cannot add to the array of tables '\(shown)'", at: part.position)
                }
            } else {
                guard target.depth < TOML.maxNesting else {
                    throw TOMLParseError("tables and arrays nested deeper than \(TOML.maxNesting)", at: part.position)
                }
                let node = TableNode(.dotted, at: part.position, depth: target.depth + 1)
                target.add(part.name, .table(node, key: part.position))
                target = node
            }
        }
        let last = key.parts[key.parts.count - 1]
        if let existing = target.children[last.name] {
            let line: Int = switch existing {
            case .value(_, let kp, _), .table(_, let kp), .tables(_, let kp): kp.line
            }
            throw TOMLParseError("duplicate key '\(key.dotted)' (first at line \(line))", at: last.position)
        }
        let valuePosition = here()
        let value = try parseValue(depth: target.depth)
        target.add(last.name, .value(value, key: last.position, value: valuePosition))
    }

    // MARK: Values

    mutating func parseValue(depth: Int) throws(TOMLParseError) -> TOMLValue {
        guard let c = peek() else { throw error("expected a value, found the end of the document") }
        switch c {
        case 0x22:
            if peek(1) == 0x22 && peek(2) == 0x22 { return .string(try parseMultilineString(quote: 0x22)) }
            return .string(try parseBasicString())
        case 0x27:
            if peek(1) == 0x27 && peek(2) == 0x27 { return .string(try parseMultilineString(quote: 0x27)) }
            return .string(try parseLiteralString())
        case 0x5B:
            return try parseArray(depth: depth + 1)
        case 0x7B:
            return try parseInlineTable(depth: depth + 1)
        default:
            return try parseScalarToken()
        }
    }

    mutating func checkNesting(_ depth: Int) throws(TOMLParseError) {
        if depth > TOML.maxNesting {
            throw error("tables and arrays nested deeper than \(TOML.maxNesting)")
        }
    }

    /// Spaces, line ends and comments, as allowed between array elements.
    mutating func skipArrayFiller() throws(TOMLParseError) {
        while true {
            skipSpaces()
            if peek() == 0x23 { try skipComment() }
            if try !consumeNewline() { return }
        }
    }

    mutating func parseArray(depth: Int) throws(TOMLParseError) -> TOMLValue {
        try checkNesting(depth)
        let start = here()
        i += 1
        var elements: [TOMLValue] = []
        var positions: [TOMLPosition] = []
        while true {
            try skipArrayFiller()
            guard let c = peek() else { throw error("unterminated array (opened at line \(start.line))") }
            if c == 0x5D { i += 1; break }
            positions.append(here())
            elements.append(try parseValue(depth: depth))
            try skipArrayFiller()
            guard let d = peek() else { throw error("unterminated array (opened at line \(start.line))") }
            if d == 0x2C { i += 1; continue }
            if d == 0x5D { i += 1; break }
            throw error("expected ',' or ']' in an array, found \(describeByte(d))")
        }
        return .array(TOMLArray(elements: elements, positions: positions, position: start))
    }

    mutating func parseInlineTable(depth: Int) throws(TOMLParseError) -> TOMLValue {
        try checkNesting(depth)
        let node = TableNode(.dotted, at: here(), depth: depth)
        i += 1
        skipSpaces()
        if peek() == 0x7D {
            i += 1
            return .table(node.frozen())
        }
        while true {
            skipSpaces()
            if let c = peek(), c == 0x0A || c == 0x0D { throw error("an inline table must stay on one line") }
            try parseKeyValue(into: node)
            skipSpaces()
            guard let c = peek() else { throw error("unterminated inline table") }
            if c == 0x2C {
                i += 1
                skipSpaces()
                if peek() == 0x7D { throw error("no trailing comma is allowed in an inline table") }
                continue
            }
            if c == 0x7D { i += 1; break }
            if c == 0x0A || c == 0x0D { throw error("an inline table must stay on one line") }
            throw error("expected ',' or '}' in an inline table, found \(describeByte(c))")
        }
        return .table(node.frozen())
    }
}
