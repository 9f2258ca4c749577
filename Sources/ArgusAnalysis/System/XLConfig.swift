import Flask
import Foundation

/// The guest type of an xl configuration (`type=`, or the deprecated `builder=`).
public enum XLGuestType: String, Sendable, Codable, CaseIterable {
    case pv, pvh, hvm
}

/// A value of an xl configuration file as libxlu keeps it: an atom (a quoted string or a
/// number, both kept as their text) or a list of values.
indirect enum XLValue: Sendable, Equatable {
    case atom(String, quoted: Bool)
    case list([XLValue])

    var kindDescription: String {
        switch self {
        case .atom(_, let quoted): quoted ? "a string" : "a number"
        case .list: "a list"
        }
    }
}

/// An xl domain configuration file, read the way libxlu reads it
/// (tools/libs/util/libxlu_cfg_l.l and libxlu_cfg_y.y): `KEY=VALUE` statements ended by a
/// newline or `;`, keys `[a-z][._0-9a-z]*`, values a string in `'` or `"` (backslash escapes,
/// no line break inside), a number, or a list `[ ... ]` (nested, line breaks allowed inside,
/// a trailing comma allowed), `#` comments, `KEY+=VALUE` to append to an earlier value.
/// The last assignment of a key wins, as in xl.
///
/// Stricter than xl, on purpose: control characters are refused anywhere (comments too), and
/// the numeric escapes `\x..` and `\0`-`\7` are refused (xl refuses the first and silently
/// drops the second). A CR before a line's LF is read like the LF (xl itself refuses it).
struct XLConfigFile {
    struct Setting {
        var value: XLValue
        /// Written with `+=` (xl refuses `+=` for numbers).
        var appended: Bool
        /// Where the value starts.
        var location: SourceLocation
    }

    let path: String
    private(set) var settings: [String: Setting] = [:]

    /// The deepest list nesting read (a `[[[[…` bomb is refused, not recursed into).
    static let maxNesting = 32

    subscript(key: String) -> Setting? { settings[key] }

    static func load(_ path: String) throws(InputError) -> XLConfigFile {
        // Bounded like every TOML input, decoded like every other text input.
        let text = try TextInput.decode(Data(try TOMLDocument.readBytes(path)), file: path)
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws(InputError) -> XLConfigFile {
        var parser = Parser(tokens: try tokenize(text, path: path), path: path)
        var file = XLConfigFile(path: path)
        while let statement = try parser.statement() {
            try file.store(statement)
        }
        return file
    }

    /// `xlu__cfg_set_store`: `+=` joins the earlier value (strings end to end, lists one after
    /// the other); a string and a list cannot be joined.
    private mutating func store(_ s: Parser.Statement) throws(InputError) {
        var value = s.value
        if s.appended, let previous = settings[s.key] {
            switch (previous.value, value) {
            case (.atom(let a, let q1), .atom(let b, let q2)): value = .atom(a + b, quoted: q1 || q2)
            case (.list(let a), .list(let b)): value = .list(a + b)
            default: throw InputError("'\(s.key)+=': cannot add a list to a string or a string to a list", at: s.location)
            }
        }
        settings[s.key] = Setting(value: value, appended: s.appended, location: s.location)
    }

    // MARK: Typed values, as xl_parse.c asks for them

    /// A single value (`xlu_cfg_get_string`); a list is refused (xl warns and ignores it).
    func string(_ key: String) throws(InputError) -> (String, SourceLocation)? {
        guard let s = settings[key] else { return nil }
        guard case .atom(let text, _) = s.value else {
            throw InputError("'\(key)' must be a single value, not a list (xl would ignore it)", at: s.location)
        }
        return (text, s.location)
    }

    /// A string that names something (a name, a label, a uuid): no control characters.
    func name(_ key: String) throws(InputError) -> (String, SourceLocation)? {
        guard let (text, place) = try string(key) else { return nil }
        if let bad = text.unicodeScalars.first(where: TOMLDocument.isControl) {
            throw InputError("'\(key)' contains control character \(TOMLDocument.codePoint(bad))", at: place)
        }
        return (text, place)
    }

    /// A number read as `strtol(value, &end, 0)` reads it (`xlu_cfg_get_long`): decimal, `0x`
    /// hex or `0` octal, all of it, within a C long. xl warns about anything else and ignores
    /// the setting; Argus refuses it.
    func long(_ key: String) throws(InputError) -> (Int64, SourceLocation)? {
        guard let s = settings[key] else { return nil }
        guard case .atom(let text, _) = s.value else {
            throw InputError("'\(key)' must be a single value, not a list (xl would ignore it)", at: s.location)
        }
        if s.appended { throw InputError("'\(key)': += cannot be used with a number (xl would ignore it)", at: s.location) }
        guard let n = Self.cLong(text) else {
            throw InputError("'\(key)' must be a number (decimal, 0x hex or 0 octal, within 64 bits), not '\(ErrorText.escaped(text))' (xl would ignore it)",
                             at: s.location)
        }
        return (n, s.location)
    }

    /// `strtol(text, &end, 0)` accepting only when it reads all of `text` without overflow.
    static func cLong(_ text: String) -> Int64? {
        var rest = Substring(text).drop { $0 == " " || $0 == "\t" }
        var negative = false
        if let sign = rest.first, sign == "+" || sign == "-" { negative = sign == "-"; rest = rest.dropFirst() }
        var radix = 10
        if rest.hasPrefix("0x") || rest.hasPrefix("0X") {
            radix = 16
            rest = rest.dropFirst(2)
        } else if rest.hasPrefix("0"), rest.count > 1 {
            radix = 8
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }),
              let magnitude = UInt64(rest, radix: radix) else { return nil }
        if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    // MARK: Lexer (libxlu_cfg_l.l)

    enum Token: Equatable {
        case ident(String), number(String), string(String)
        case open, close, comma, assign, append, semicolon, newline
    }

    struct Lexeme {
        var token: Token
        var location: SourceLocation
    }

    static func tokenize(_ text: String, path: String) throws(InputError) -> [Lexeme] {
        var out: [Lexeme] = []
        var number = 0
        for line in TextInput.lines(text) {
            number += 1
            let scalars = Array(line.unicodeScalars)
            var i = 0
            func here(_ column: Int) -> SourceLocation { SourceLocation(file: path, line: number, column: column + 1) }
            func add(_ token: Token, at column: Int) { out.append(Lexeme(token: token, location: here(column))) }
            if let bad = scalars.firstIndex(where: { TOMLDocument.isControl($0) && $0 != "\t" }) {
                throw InputError("control character \(TOMLDocument.codePoint(scalars[bad])) in an xl config", at: here(bad))
            }
            scan: while i < scalars.count {
                let c = scalars[i]
                switch c {
                case " ", "\t": i += 1
                case "#": break scan
                case "a" ... "z":
                    let start = i
                    while i < scalars.count, isIdentTail(scalars[i]) { i += 1 }
                    add(.ident(String(String.UnicodeScalarView(scalars[start ..< i]))), at: start)
                case "0" ... "9":
                    let start = i
                    while i < scalars.count, ("0" ... "9").contains(scalars[i]) || ("a" ... "f").contains(scalars[i]) || scalars[i] == "x" { i += 1 }
                    add(.number(String(String.UnicodeScalarView(scalars[start ..< i]))), at: start)
                case ",": add(.comma, at: i); i += 1
                case "[": add(.open, at: i); i += 1
                case "]": add(.close, at: i); i += 1
                case ";": add(.semicolon, at: i); i += 1
                case "=": add(.assign, at: i); i += 1
                case "+" where i + 1 < scalars.count && scalars[i + 1] == "=":
                    add(.append, at: i); i += 2
                case "\"", "'":
                    let start = i
                    var value = String.UnicodeScalarView()
                    i += 1
                    while true {
                        guard i < scalars.count else {
                            throw InputError("string not closed with \(c) on its line (xl strings cannot span lines)", at: here(start))
                        }
                        let s = scalars[i]
                        if s == c { i += 1; break }
                        if s == "\\" {
                            guard i + 1 < scalars.count else {
                                throw InputError("string not closed with \(c) on its line (xl strings cannot span lines)", at: here(start))
                            }
                            guard let unescaped = escape(scalars[i + 1]) else {
                                throw InputError("escape '\\\(scalars[i + 1].escaped(asASCII: true))' is not read (xl refuses it or drops it)", at: here(i))
                            }
                            value.append(unescaped)
                            i += 2
                        } else {
                            value.append(s)
                            i += 1
                        }
                    }
                    add(.string(String(value)), at: start)
                case "A" ... "Z":
                    throw InputError("unexpected '\(c)': xl keys are lowercase", at: here(i))
                case "+", "-", ".", "(", ")", ":":
                    throw InputError("unexpected '\(c)' (xl reads KEY=VALUE with quoted strings, numbers and [lists], not Python)", at: here(i))
                default:
                    throw InputError("unexpected '\(c.escaped(asASCII: true))' in an xl config", at: here(i))
                }
            }
            out.append(Lexeme(token: .newline, location: here(scalars.count)))
        }
        return out
    }

    static func isIdentTail(_ s: Unicode.Scalar) -> Bool {
        ("a" ... "z").contains(s) || ("0" ... "9").contains(s) || s == "_" || s == "."
    }

    /// `xlu__cfgl_dequote`'s escapes that it really reads.
    static func escape(_ s: Unicode.Scalar) -> Unicode.Scalar? {
        switch s {
        case "\"", "'", "\\": s
        case "a": "\u{07}"
        case "b": "\u{08}"
        case "f": "\u{0C}"
        case "n": "\n"
        case "r": "\r"
        case "t": "\t"
        case "v": "\u{0B}"
        default: nil
        }
    }

    // MARK: Parser (libxlu_cfg_y.y)

    struct Parser {
        struct Statement {
            var key: String
            var value: XLValue
            var appended: Bool
            var location: SourceLocation
        }

        let tokens: [Lexeme]
        let path: String
        var index = 0

        init(tokens: [Lexeme], path: String) {
            self.tokens = tokens
            self.path = path
        }

        var end: SourceLocation { tokens.last?.location ?? SourceLocation(file: path, line: 1, column: 1) }

        /// The next `KEY=VALUE`, skipping empty statements; nil at the end of the file.
        mutating func statement() throws(InputError) -> Statement? {
            while index < tokens.count, tokens[index].token == .newline || tokens[index].token == .semicolon { index += 1 }
            guard index < tokens.count else { return nil }
            guard case .ident(let key) = tokens[index].token else {
                throw InputError("expected a key (lowercase letters, digits, '_' and '.') at the start of a statement", at: tokens[index].location)
            }
            index += 1
            guard index < tokens.count, tokens[index].token == .assign || tokens[index].token == .append else {
                throw InputError("expected '=' or '+=' after '\(key)'", at: index < tokens.count ? tokens[index].location : end)
            }
            let appended = tokens[index].token == .append
            index += 1
            let location = index < tokens.count ? tokens[index].location : end
            let value = try self.value(depth: 0)
            if index < tokens.count, tokens[index].token != .newline, tokens[index].token != .semicolon {
                throw InputError("expected the end of the line or ';' after the value of '\(key)'", at: tokens[index].location)
            }
            return Statement(key: key, value: value, appended: appended, location: location)
        }

        mutating func skipNewlines() {
            while index < tokens.count, tokens[index].token == .newline { index += 1 }
        }

        mutating func value(depth: Int) throws(InputError) -> XLValue {
            guard index < tokens.count else { throw InputError("expected a value at the end of the file", at: end) }
            let lexeme = tokens[index]
            switch lexeme.token {
            case .string(let s): index += 1; return .atom(s, quoted: true)
            case .number(let n): index += 1; return .atom(n, quoted: false)
            case .open:
                guard depth < XLConfigFile.maxNesting else {
                    throw InputError("lists nested deeper than \(XLConfigFile.maxNesting) levels", at: lexeme.location)
                }
                index += 1
                skipNewlines()
                var items: [XLValue] = []
                while true {
                    guard index < tokens.count else { throw InputError("list not closed with ']'", at: lexeme.location) }
                    if tokens[index].token == .close { index += 1; return .list(items) }
                    items.append(try value(depth: depth + 1))
                    skipNewlines()
                    guard index < tokens.count else { throw InputError("list not closed with ']'", at: lexeme.location) }
                    switch tokens[index].token {
                    case .close: index += 1; return .list(items)
                    case .comma: index += 1; skipNewlines()
                    default: throw InputError("expected ',' or ']' in a list", at: tokens[index].location)
                    }
                }
            default:
                throw InputError("expected a value: a quoted string, a number or a [list]", at: lexeme.location)
            }
        }
    }
}

/// What Argus takes from an xl domain configuration (docs/SYSTEM-FILE.md, "xl configs"), read
/// as tools/xl/xl_parse.c reads it.
struct XLConfig: Sendable, Equatable {
    var path: String
    var name: String?
    var nameLocation: SourceLocation?
    var uuid: String?
    /// `seclabel`: the label the domain runs with.
    var seclabel: String?
    var seclabelLocation: SourceLocation?
    /// `init_seclabel`: the label during the build (xl relabels to `seclabel` before unpausing).
    var initSeclabel: String?
    var initSeclabelLocation: SourceLocation?
    /// `type` (or `builder`), when given; xl's default is pv on x86 and pvh on Arm.
    var type: XLGuestType?
    /// `device_model_stubdomain_override`: the device model runs in a stub domain.
    var stubdomain = false
    var stubdomainLocation: SourceLocation?
    var stubdomainSeclabel: String?
    var stubdomainSeclabelLocation: SourceLocation?

    static func load(_ path: String) throws(InputError) -> XLConfig {
        try XLConfig(try XLConfigFile.load(path))
    }

    static func parse(_ text: String, path: String) throws(InputError) -> XLConfig {
        try XLConfig(try XLConfigFile.parse(text, path: path))
    }

    init(_ file: XLConfigFile) throws(InputError) {
        path = file.path
        if let (name, place) = try file.name("name") {
            try DomainName.check(name, at: place)
            self.name = name
            nameLocation = place
        }
        if let (uuid, place) = try file.name("uuid") {
            guard Self.isUUID(uuid) else {
                throw InputError("uuid '\(uuid)' is not a UUID (8-4-4-4-12 hexadecimal digits; xl refuses it)", at: place)
            }
            self.uuid = uuid
        }
        (seclabel, seclabelLocation) = try Self.label(file, "seclabel")
        (initSeclabel, initSeclabelLocation) = try Self.label(file, "init_seclabel")
        (stubdomainSeclabel, stubdomainSeclabelLocation) = try Self.label(file, "device_model_stubdomain_seclabel")
        if let (text, place) = try file.name("type") {
            type = try Self.guestType(text, builder: false, at: place)
        }
        if let (text, place) = try file.name("builder") {
            let builder = try Self.guestType(text, builder: true, at: place)
            if let type, type != builder {
                throw InputError("'builder' says \(builder.rawValue) but 'type' says \(type.rawValue) (xl refuses the contradiction)", at: place)
            }
            type = builder
        }
        if let (value, place) = try file.long("device_model_stubdomain_override") {
            stubdomain = value != 0
            stubdomainLocation = place
        }
    }

    static func label(_ file: XLConfigFile, _ key: String) throws(InputError) -> (String?, SourceLocation?) {
        guard let (text, place) = try file.name(key) else { return (nil, nil) }
        guard !text.isEmpty else { throw InputError("'\(key)' is empty", at: place) }
        return (text, place)
    }

    /// xl compares `strncmp(value, "hvm", strlen(value))`: any prefix of a type name selects it,
    /// hvm first, then pv, then pvh (so "" and "h" are hvm, "p" is pv). `builder` knows
    /// `hvm` and `generic` (pv) the same way.
    static func guestType(_ text: String, builder: Bool, at place: SourceLocation) throws(InputError) -> XLGuestType {
        let choices: [(String, XLGuestType)] = builder ? [("hvm", .hvm), ("generic", .pv)] : [("hvm", .hvm), ("pv", .pv), ("pvh", .pvh)]
        for (word, type) in choices where word.hasPrefix(text) { return type }
        throw InputError("\(builder ? "builder" : "type") must be \(builder ? "hvm or generic" : "pv, pvh or hvm"), not '\(text)' (xl refuses it)",
                         at: place)
    }

    /// `libxl_uuid_from_string` (libuuid's `uuid_parse`): 36 characters, hex digits in groups
    /// of 8-4-4-4-12.
    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isHexDigit } }
    }
}
