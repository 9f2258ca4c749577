/// One of a VM's `argo-firewall-rules` in OpenXT's toolstack syntax (`myself -> 0:5555`), as
/// xenmgr reads it (OpenXT/manager `xenmgr-core/Vm/ArgoFirewall.hs`, read as a specification).
///
/// The reading reproduces xenmgr's, oddities included (docs/FIREWALL.md, "Reading OpenXT's
/// rules"): the text is lower-cased first; a bare number other than `0` is a uuid, so `5`
/// names no domain; nothing after the destination is looked at, so `myself -> 0:80 junk` is
/// `myself -> 0:80` and `myself -> 0:abc` is `myself -> 0`.
public struct OpenXTRule: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Which domains an endpoint names.
    public enum DomainMatch: Sendable, Hashable, Codable {
        case any
        case dom0
        case vm(uuid: String)
        case myself
        case myStubdom
        case myselfIfSeamless
        case seamless
        case byType(String)
        case byName(String)
    }

    public var from: DomainMatch
    public var to: DomainMatch
    /// nil: any port.
    public var fromPort: UInt32?
    public var toPort: UInt32?

    public init(from: DomainMatch, fromPort: UInt32? = nil, to: DomainMatch, toPort: UInt32? = nil) {
        self.from = from
        self.to = to
        self.fromPort = fromPort
        self.toPort = toPort
    }

    /// The same rule for traffic the other way: xenmgr applies every rule and its inverse.
    public var inverse: OpenXTRule { OpenXTRule(from: to, fromPort: toPort, to: from, toPort: fromPort) }

    /// The rule written back the way xenmgr writes it (`ruleToString`).
    public var description: String {
        func domain(_ d: DomainMatch) -> String {
            switch d {
            case .any: "*"
            case .dom0: "0"
            case .vm(let uuid): uuid
            case .myself: "myself"
            case .myStubdom: "my-stubdom"
            case .myselfIfSeamless: "myself-if-seamless"
            case .seamless: "seamless"
            case .byType(let t): "dom-type=" + t
            case .byName(let n): "dom-name=" + n
            }
        }
        func port(_ p: UInt32?) -> String { p.map { ":\($0)" } ?? "" }
        return domain(from) + port(fromPort) + " -> " + domain(to) + port(toPort)
    }

    /// Why a rule cannot be read, and the 1-based column (in the text as written) where.
    public struct ParseError: Error, Sendable, Equatable {
        public var message: String
        public var column: Int
    }

    /// Reads one rule. Column numbers count characters of `text` as given.
    public static func parse(_ text: String) throws(ParseError) -> OpenXTRule {
        var reader = Reader(lowercasing: text)
        reader.skipBlanks()
        let (from, fromPort) = try reader.endpoint()
        reader.skipBlanks()
        guard reader.take("-"), reader.take(">") else {
            throw ParseError(message: "expected '->' after the source", column: reader.column)
        }
        reader.skipBlanks()
        let (to, toPort) = try reader.endpoint()
        return OpenXTRule(from: from, fromPort: fromPort, to: to, toPort: toPort)
    }

    /// A cursor over the lower-cased rule, one character per position as Haskell's `String`.
    struct Reader {
        var chars: [Character]
        var at = 0

        init(lowercasing text: String) {
            // `map toLower`: a character-by-character simple mapping (no expansion).
            chars = text.map { c in
                let lower = c.lowercased()
                return lower.count == 1 ? Character(lower) : c
            }
        }

        var column: Int { at + 1 }
        var peek: Character? { at < chars.count ? chars[at] : nil }

        mutating func take(_ c: Character) -> Bool {
            guard peek == c else { return false }
            at += 1
            return true
        }

        mutating func take(word: String) -> Bool {
            let w = Array(word)
            guard at + w.count <= chars.count, Array(chars[at..<(at + w.count)]) == w else { return false }
            at += w.count
            return true
        }

        mutating func skipBlanks() { while peek == " " || peek == "\t" { at += 1 } }

        mutating func run(while accept: (Character) -> Bool) -> String {
            let start = at
            while let c = peek, accept(c) { at += 1 }
            return String(chars[start..<at])
        }

        static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
        static func isUUIDCharacter(_ c: Character) -> Bool { isDigit(c) || "abcdefABCDEF-".contains(c) }
        /// Haskell's `alphaNum`: any Unicode letter or number.
        static func isAlphaNumeric(_ c: Character) -> Bool {
            c.unicodeScalars.count == 1 && (c.isLetter || c.isNumber)
        }

        mutating func endpoint() throws(ParseError) -> (DomainMatch, UInt32?) {
            let domain = try self.domain()
            return (domain, try port())
        }

        mutating func domain() throws(ParseError) -> DomainMatch {
            let start = at
            if take("*") { return .any }
            for (word, match) in [("myself-if-seamless", DomainMatch.myselfIfSeamless), ("my-stubdom", .myStubdom),
                                  ("myself", .myself), ("seamless", .seamless)] where take(word: word) {
                return match
            }
            for prefix in ["dom-type=", "dom-name="] where take(word: prefix) {
                let value = run(while: Self.isAlphaNumeric)
                if !value.isEmpty { return prefix == "dom-type=" ? .byType(value) : .byName(value) }
                at = start  // xenmgr backtracks and tries a uuid
            }
            let uuid = run(while: Self.isUUIDCharacter)
            guard !uuid.isEmpty else {
                throw ParseError(message: "expected a domain ('*', '0', a uuid, 'myself', 'my-stubdom', 'seamless', "
                                 + "'myself-if-seamless', 'dom-type=T' or 'dom-name=N')", column: column)
            }
            return uuid == "0" ? .dom0 : .vm(uuid: uuid)
        }

        /// `:N`, `:*` or nothing; a colon followed by anything else is no port (and is left unread).
        mutating func port() throws(ParseError) -> UInt32? {
            guard peek == ":" else { return nil }
            let colon = at
            at += 1
            skipBlanks()
            let digits = run(while: Self.isDigit)
            if !digits.isEmpty {
                // Haskell reads it into a 64-bit Int and prints it into the viptables command;
                // what viptables makes of a value beyond 32 bits is not known, so it is refused.
                guard let value = UInt32(digits) else {
                    throw ParseError(message: "port \(digits) does not fit in 32 bits (Argus cannot predict what viptables does with it)",
                                     column: colon + 2)
                }
                return value
            }
            at = colon + 1
            if take("*") { return nil }
            at = colon
            return nil
        }
    }
}
