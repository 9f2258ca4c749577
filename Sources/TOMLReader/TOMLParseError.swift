/// Why a document is not TOML, and where (always a line and a column).
public struct TOMLParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var position: TOMLPosition

    public init(_ message: String, at position: TOMLPosition) {
        self.message = message
        self.position = position
    }

    public var description: String { "\(position): \(message)" }
}

/// The first byte that is not well-formed UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF), or nil when every byte is.
public func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let b0 = bytes[i]
        if b0 < 0x80 { i += 1; continue }
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return i
        }
        guard i + length <= n else { return i }
        let b1 = bytes[i + 1]
        guard b1 >= low && b1 <= high else { return i }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
        i += length
    }
    return nil
}

/// The 1-based line and column (in Unicode scalars) of byte `offset`, counting LF as the
/// line end (so CRLF text gets the same lines as LF text).
public func textPosition(of offset: Int, in bytes: [UInt8]) -> TOMLPosition {
    var line = 1, column = 1
    var i = 0
    let end = min(offset, bytes.count)
    while i < end {
        let b = bytes[i]
        if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        i += 1
    }
    return TOMLPosition(line: line, column: column)
}
