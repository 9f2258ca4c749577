import Foundation

/// Reading text inputs the same way everywhere: UTF-8 checked with the place of the first bad
/// byte, lines split on LF with one CR before it dropped (CRLF files keep their line numbers).
public enum TextInput {
    /// The file's bytes, or an `InputError` naming the file.
    public static func bytes(of path: String) throws(InputError) -> Data {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw InputError("is a directory, not a file", file: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("no such file or cannot read it", file: path)
        }
        return data
    }

    /// Reads `path` as UTF-8 text (see ``decode(_:file:)``).
    public static func read(_ path: String) throws(InputError) -> String {
        try decode(try bytes(of: path), file: path)
    }

    /// Decodes UTF-8, refusing invalid bytes with the line and column (1-based, in bytes) of
    /// the first one. A leading byte-order mark is dropped.
    public static func decode(_ data: Data, file: String) throws(InputError) -> String {
        let result: String? = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
            return String(validating: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self)
        }
        if let result { return result }
        let offset = firstInvalidUTF8Offset(data) ?? 0
        let (line, column) = lineAndColumn(ofByte: offset, in: data)
        throw InputError("not UTF-8 text: invalid byte 0x\(String(data[data.startIndex + offset], radix: 16, uppercase: true)) at byte offset \(offset)",
                         file: file, line: line, column: column)
    }

    /// The offset of the first byte that is not part of a well-formed UTF-8 sequence.
    public static func firstInvalidUTF8Offset(_ data: Data) -> Int? {
        let bytes = [UInt8](data)
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int
            var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
            switch lead {
            case 0x00 ... 0x7F: index += 1; continue
            case 0xC2 ... 0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1 ... 0xEC, 0xEE ... 0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1 ... 0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return index
            }
            for k in 1 ..< length {
                guard index + k < bytes.count else { return index }
                let byte = bytes[index + k]
                let (lo, hi) = k == 1 ? (lower, upper) : (UInt8(0x80), UInt8(0xBF))
                guard byte >= lo, byte <= hi else { return index }
            }
            index += length
        }
        return nil
    }

    /// 1-based line and column (in bytes) of byte `offset`.
    public static func lineAndColumn(ofByte offset: Int, in data: Data) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0
        var index = 0
        for byte in data.prefix(offset) {
            if byte == 0x0A { line += 1; lineStart = index + 1 }
            index += 1
        }
        return (line, offset - lineStart + 1)
    }

    /// The lines of `text`: split on LF, one CR before each LF dropped; a final LF does not
    /// start another line. (Swift treats CR LF as one Character, so splitting on "\n" does not.)
    public static func lines(_ text: String) -> [Substring] {
        var result: [Substring] = []
        forEachLine(text) { result.append($0) }
        return result
    }

    /// Calls `body` with each line of `text` (as ``lines(_:)`` splits them), without an array.
    public static func forEachLine(_ text: String, _ body: (Substring) throws -> Void) rethrows {
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == 0x0A {
                try body(trimmingCR(text[start ..< index]))
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        if start != utf8.endIndex { try body(trimmingCR(text[start ..< utf8.endIndex])) }
    }

    static func trimmingCR(_ line: Substring) -> Substring {
        line.utf8.last == 0x0D ? line[line.startIndex ..< line.utf8.index(before: line.endIndex)] : line
    }
}

/// Error text that is always one line: control characters (C0, DEL, C1, line and paragraph
/// separators) become escapes, so a label or a path holding a newline cannot split a message.
public enum ErrorText {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where needsEscape(scalar): out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00 ... 0x1F, 0x7F ... 0x9F, 0x2028, 0x2029: true
        default: false
        }
    }
}

extension InputError {
    /// A bad command-line option value: the option is the place (`option --ring-size: error: …`).
    public init(_ message: String, option: String) {
        self.init(message, at: SourceLocation(file: "option \(option)"))
    }
}
