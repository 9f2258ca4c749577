import ArgoEngine

/// One `viptables` command, the user-space front end of the firewall ops: what OpenXT's
/// toolstack runs (`viptables -I 1 --dom-in 3 --dom-out 0 --port-out 5555 -j ACCEPT`) and what
/// an administrator types on a host configured by hand.
public enum VIPTablesCommand: Sendable, Hashable, CustomStringConvertible {
    /// `-A`: add at the end (the op's position 0).
    case append(VIPTablesRule)
    /// `-I N`: add at position N (1 is the head; the op does not check N).
    case insert(VIPTablesRule, position: Int32)
    /// `-D N`: delete the rule at position N.
    case deletePosition(Int32)
    /// `-D` with addresses: delete the first rule with the same addresses (`-j` is not compared).
    case deleteMatching(VIPTablesRule)
    /// `-F`, or `-D` with nothing: delete every rule.
    case flush

    public var description: String {
        switch self {
        case .append(let r): "-A " + Self.arguments(r, withTarget: true)
        case .insert(let r, let p): "-I \(p) " + Self.arguments(r, withTarget: true)
        case .deletePosition(let p): "-D \(p)"
        case .deleteMatching(let r): "-D " + Self.arguments(r, withTarget: true)
        case .flush: "-F"
        }
    }

    /// The rule's options in the order OpenXT's toolstack writes them.
    static func arguments(_ r: VIPTablesRule, withTarget: Bool) -> String {
        var parts: [String] = []
        if r.source.domainID != ArgoABI.domidAny { parts.append("--dom-in \(r.source.domainID)") }
        if r.destination.domainID != ArgoABI.domidAny { parts.append("--dom-out \(r.destination.domainID)") }
        if r.source.aport != ArgoABI.portAny { parts.append("--port-in \(r.source.aport)") }
        if r.destination.aport != ArgoABI.portAny { parts.append("--port-out \(r.destination.aport)") }
        if withTarget { parts.append("-j " + (r.accept == 0 ? "REJECT" : "ACCEPT")) }
        return parts.joined(separator: " ")
    }

    /// Why a line cannot be read, and the 1-based column of the word at fault.
    public struct ParseError: Error, Sendable, Equatable {
        public var message: String
        public var column: Int
    }

    /// Reads one command line (an optional leading `viptables`, then options; see
    /// docs/FIREWALL.md, "Raw viptables lines"). `--dom-in` is the sending domain and
    /// `--dom-out` the receiving one, as OpenXT's toolstack uses them.
    public static func parse(_ line: String) throws(ParseError) -> VIPTablesCommand {
        var words: [(text: String, column: Int)] = []
        var column = 1, current = "", start = 1
        for c in line {
            if c == " " || c == "\t" {
                if !current.isEmpty { words.append((current, start)) }
                current = ""
            } else {
                if current.isEmpty { start = column }
                current.append(c)
            }
            column += 1
        }
        if !current.isEmpty { words.append((current, start)) }
        if words.first?.text == "viptables" { words.removeFirst() }
        guard let first = words.first else { throw ParseError(message: "empty command", column: 1) }

        enum Verb { case append, insert, delete, flush }
        var verb: Verb?
        var position: Int32?
        var source = ArgoAddress(aport: ArgoABI.portAny, domainID: ArgoABI.domidAny)
        var destination = source
        var target: UInt32?
        var sawAddress = false
        var seen: Set<String> = []
        var i = 0
        func value(_ w: (text: String, column: Int)) throws(ParseError) -> (text: String, column: Int) {
            guard i + 1 < words.count else { throw ParseError(message: "'\(w.text)' needs a value", column: w.column) }
            i += 1
            return words[i]
        }
        while i < words.count {
            let w = words[i]
            let option: String = switch w.text {
            case "--append": "-A"
            case "--insert": "-I"
            case "--delete": "-D"
            case "--flush": "-F"
            case "--jump": "-j"
            default: w.text
            }
            if seen.contains(option) { throw ParseError(message: "'\(w.text)' given twice", column: w.column) }
            seen.insert(option)
            switch option {
            case "-A", "-I", "-D", "-F":
                guard verb == nil else { throw ParseError(message: "one of -A, -I, -D or -F per line", column: w.column) }
                verb = option == "-A" ? .append : option == "-I" ? .insert : option == "-D" ? .delete : .flush
                if option == "-I" || option == "-D", i + 1 < words.count, let n = Int32(words[i + 1].text) {
                    position = n
                    i += 1
                }
            case "--dom-in", "--dom-out":
                let v = try value(w)
                let domid = try Self.domain(v)
                if option == "--dom-in" { source.domainID = domid } else { destination.domainID = domid }
                sawAddress = true
            case "--port-in", "--port-out":
                let v = try value(w)
                let port = try Self.port(v)
                if option == "--port-in" { source.aport = port } else { destination.aport = port }
                sawAddress = true
            case "-j":
                let v = try value(w)
                switch v.text.uppercased() {
                case "ACCEPT": target = 1
                case "REJECT": target = 0
                default: throw ParseError(message: "-j takes ACCEPT or REJECT, not '\(v.text)'", column: v.column)
                }
            default:
                throw ParseError(message: "unknown option '\(w.text)' (-A, -I [N], -D [N], -F, --dom-in, --dom-out, "
                                 + "--port-in, --port-out, -j)", column: w.column)
            }
            i += 1
        }
        guard let verb else { throw ParseError(message: "no command: give -A, -I, -D or -F", column: first.column) }
        let rule = VIPTablesRule(source: source, destination: destination, accept: target ?? 0)
        switch verb {
        case .append, .insert:
            guard target != nil else { throw ParseError(message: "a rule needs -j ACCEPT or -j REJECT", column: first.column) }
            return verb == .append ? .append(rule) : .insert(rule, position: position ?? 1)
        case .delete:
            if let position {
                guard !sawAddress, target == nil else {
                    throw ParseError(message: "-D takes a position or a rule, not both", column: first.column)
                }
                return .deletePosition(position)
            }
            return sawAddress || target != nil ? .deleteMatching(rule) : .flush
        case .flush:
            guard !sawAddress, target == nil else { throw ParseError(message: "-F takes no rule", column: first.column) }
            return .flush
        }
    }

    /// A domid (0 to 0x7FF4), or `*`/`any` for DOMID_ANY.
    static func domain(_ w: (text: String, column: Int)) throws(ParseError) -> UInt16 {
        if w.text == "*" || w.text.lowercased() == "any" { return ArgoABI.domidAny }
        guard let n = UInt16(w.text), n <= ArgoABI.domidAny else {
            throw ParseError(message: "'\(w.text)' is not a domid (0 to \(ArgoABI.domidAny), or '*')", column: w.column)
        }
        return n
    }

    /// A port (0 to 4294967295; 4294967295 is the wildcard), or `*`/`any`.
    static func port(_ w: (text: String, column: Int)) throws(ParseError) -> UInt32 {
        if w.text == "*" || w.text.lowercased() == "any" { return ArgoABI.portAny }
        guard let n = UInt32(w.text) else {
            throw ParseError(message: "'\(w.text)' is not a port (0 to 4294967295, or '*')", column: w.column)
        }
        return n
    }
}
