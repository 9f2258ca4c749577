/// A token of a FLASK definitions file, with where it starts.
struct DefinitionsToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// Any run of bytes up to whitespace, a brace or `#`; not yet checked to be a name.
        case word
        case openBrace
        case closeBrace
    }

    var kind: Kind
    /// The raw bytes of the token (may be invalid UTF-8 in damaged files).
    var bytes: ArraySlice<UInt8>
    /// 1-based line and column; columns count bytes.
    var line: Int
    var column: Int

    /// The token's text, with anything but printable ASCII escaped, cut short if long:
    /// safe to put in a one-line diagnostic.
    var displayText: String { DefinitionsLexer.displayText(bytes) }

    /// The token as a `String` (only meaningful once checked to be a valid name).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    func isKeyword(_ keyword: String) -> Bool {
        kind == .word && bytes.elementsEqual(keyword.utf8)
    }
}

/// Splits a definitions file into words and braces. `#` starts a comment that runs to
/// the end of its line; spaces, tabs, carriage returns and newlines separate tokens.
/// Works on bytes so that damaged (non-UTF-8) files still get located diagnostics.
enum DefinitionsLexer {
    static func tokens(of bytes: [UInt8]) -> [DefinitionsToken] {
        var tokens: [DefinitionsToken] = []
        var index = 0
        var line = 1
        var lineStart = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), 0x0B, 0x0C:
                index += 1
            case UInt8(ascii: "#"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "{"), UInt8(ascii: "}"):
                let kind: DefinitionsToken.Kind = byte == UInt8(ascii: "{") ? .openBrace : .closeBrace
                tokens.append(DefinitionsToken(
                    kind: kind, bytes: bytes[index..<index + 1], line: line, column: index - lineStart + 1))
                index += 1
            default:
                let start = index
                while index < bytes.count, !isDelimiter(bytes[index]) { index += 1 }
                tokens.append(DefinitionsToken(
                    kind: .word, bytes: bytes[start..<index], line: line, column: start - lineStart + 1))
            }
        }
        return tokens
    }

    /// Refuses control characters anywhere, comments included (a NUL must not end or hide
    /// anything): tab, line feed, and a carriage return before a line feed (CRLF files) are
    /// the only ones a definitions file may hold.
    static func rejectControlCharacters(_ bytes: [UInt8], file: String) throws(InputError) {
        var line = 1, lineStart = 0
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
                continue
            }
            let allowed = byte == UInt8(ascii: "\t")
                || (byte == UInt8(ascii: "\r") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n"))
            guard byte < 0x20 || byte == 0x7F, !allowed else { continue }
            let name = byte == 0 ? "NUL" : byte == UInt8(ascii: "\r") ? "carriage return without a line feed" : "control"
            throw InputError(
                "\(name) character \(displayText([byte][...])) is not allowed in a definitions file",
                file: file, line: line, column: index - lineStart + 1)
        }
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), 0x0B, 0x0C,
             UInt8(ascii: "#"), UInt8(ascii: "{"), UInt8(ascii: "}"):
            return true
        default:
            return false
        }
    }

    /// Whether `bytes` is a valid class, common, permission or SID name: an ASCII letter
    /// or underscore, then letters, digits or underscores (names become C macro names).
    static func isValidName(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return bytes.allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static let maximumDisplayLength = 40

    static func displayText(_ bytes: ArraySlice<UInt8>) -> String {
        var text = ""
        for byte in bytes.prefix(maximumDisplayLength) {
            if byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        if bytes.count > maximumDisplayLength { text += "..." }
        return text
    }
}
