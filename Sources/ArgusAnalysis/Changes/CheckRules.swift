import Flask
import Foundation
import TOMLReader

/// A day, as the rules file writes expiry dates (`until = 2027-01-31`) and `--today` takes them.
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1 else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= lengths[month - 1] else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`, rejecting impossible days.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Today in the local time zone.
    public static func today() -> CalendarDate {
        let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return CalendarDate(year: c.year!, month: c.month!, day: c.day!)!
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

/// Which domains a rule is about: `*`, a domain name, `type:NAME`, `attr:NAME`, `role:NAME` or
/// `user:NAME` (the last four name the policy, so they also work without a system file).
public enum DomainSelector: Sendable, Hashable, Codable, CustomStringConvertible {
    case any
    case domain(String)
    case type(String)
    case attribute(String)
    case role(String)
    case user(String)

    /// Parses the selector syntax; nil for an empty name or an unknown `kind:` prefix.
    public init?(parsing text: String) {
        if text == "*" { self = .any; return }
        if let colon = text.firstIndex(of: ":") {
            let kind = text[..<colon], name = String(text[text.index(after: colon)...])
            guard !name.isEmpty else { return nil }
            switch kind {
            case "type": self = .type(name)
            case "attr": self = .attribute(name)
            case "role": self = .role(name)
            case "user": self = .user(name)
            default: return nil
            }
            return
        }
        guard !text.isEmpty else { return nil }
        self = .domain(text)
    }

    public var description: String {
        switch self {
        case .any: "*"
        case .domain(let name): name
        case .type(let name): "type:\(name)"
        case .attribute(let name): "attr:\(name)"
        case .role(let name): "role:\(name)"
        case .user(let name): "user:\(name)"
        }
    }

    /// Whether the selector names a domain of a system file (not the policy).
    public var isDomainName: Bool {
        if case .domain = self { return true }
        return false
    }
}

/// One entry of a rules file: `[[never]]`, `[[must]]` or `[[exempt]]`.
public struct CheckRule: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case never, must, exempt }

    public var kind: Kind
    public var from: DomainSelector
    /// nil for per-domain flows (`argo`, `register_any_source`).
    public var to: DomainSelector?
    public var flow: AuditFlowName
    /// `path` rules only: the most hops a path may take (nil: any number).
    public var maxHops: Int?
    /// `service` rules only: the sender's source port (`from = "dom0:12222"`), the service's
    /// port (`to = "dom0:5555"`; nil: every ring of the matched domains) and a process type of
    /// the sending domain's SELinux policy (`from = "dom0/proc:argo_input_sender_t"`).
    public var fromPort: UInt32? = nil
    public var toPort: UInt32? = nil
    public var fromProcess: String? = nil
    public var reason: String?
    /// Exemptions only: the last day the exemption holds.
    public var until: CalendarDate?
    /// The `[[kind]]` header in the rules file.
    public var location: SourceLocation
    /// The `from` and `to` lines, for errors about selectors.
    public var fromLocation: SourceLocation
    public var toLocation: SourceLocation?

    /// "never type:guest_t -> dom0 channel".
    public var summary: String {
        let source = "\(from)" + (fromProcess.map { "/proc:\($0)" } ?? "") + (fromPort.map { ":\($0)" } ?? "")
        let target = to.map { " -> \($0)" + (toPort.map { ":\($0)" } ?? "") } ?? ""
        return "\(kind.rawValue) \(source)\(target) \(flow.rawValue)" + (maxHops.map { " (at most \($0) hops)" } ?? "")
    }

    /// An exemption past its date (`until` is the last valid day).
    public func isExpired(on today: CalendarDate) -> Bool {
        guard let until else { return false }
        return today > until
    }
}

/// A parsed rules file (see docs/CHECK-RULES.md). Names are not checked here: selectors are
/// resolved against a policy and an inventory by `PolicyCheck`.
public struct CheckRulesFile: Sendable, Equatable {
    public var path: String
    /// In file order within each kind: never, then must, then exempt.
    public var rules: [CheckRule]

    public var exemptions: [CheckRule] { rules.filter { $0.kind == .exempt } }
    public var flowRules: [CheckRule] { rules.filter { $0.kind != .exempt } }

    public init(path: String, rules: [CheckRule]) {
        self.path = path
        self.rules = rules
    }

    /// Reads and checks a rules file; every mistake is an `InputError` at its file:line.
    public static func load(_ path: String) throws(InputError) -> CheckRulesFile {
        try parse(TOMLDocument(path: path))
    }

    /// Parses rules from text (tests); `path` is used in locations.
    public static func parse(text: String, path: String) throws(InputError) -> CheckRulesFile {
        try parse(TOMLDocument(text: text, path: path))
    }

    static func parse(_ doc: TOMLDocument) throws(InputError) -> CheckRulesFile {
        let kinds = Set(CheckRule.Kind.allCases.map(\.rawValue))
        for key in doc.root.keys.sorted() where !kinds.contains(key) {
            let at = doc.root.entry(key).map { doc.location($0.keyPosition) } ?? SourceLocation(file: doc.path)
            throw InputError("unknown table or key '\(TOMLDocument.shown(key))' (expected [[never]], [[must]] or [[exempt]] tables)", at: at)
        }
        var rules: [CheckRule] = []
        for kind in CheckRule.Kind.allCases {
            let name = kind.rawValue
            for (index, table) in try doc.arrayOfTables(name).enumerated() {
                rules.append(try parseRule(table, kind: kind, index: index, in: doc))
            }
        }
        if rules.isEmpty {
            throw InputError("no rules: expected [[never]], [[must]] or [[exempt]] tables", file: doc.path)
        }
        return CheckRulesFile(path: doc.path, rules: rules)
    }

    /// The largest `max_hops` a rule may give.
    public static let maxHopsLimit = 64

    static func parseRule(_ t: TOMLTable, kind: CheckRule.Kind, index: Int, in doc: TOMLDocument) throws(InputError) -> CheckRule {
        let name = kind.rawValue
        var allowed: Set<String> = ["from", "to", "flow", "reason", "max_hops"]
        if kind == .exempt { allowed.insert("until") }
        try doc.checkKeys(t, allowed: allowed, name: name, index: index)
        // A rule is named by its header's line; a selector by its value's line and column.
        func location(_ key: String) -> SourceLocation {
            let at = doc.location(table: name, index: index, key: key)
            return key.isEmpty ? SourceLocation(file: at.file, line: at.line) : at
        }
        func required(_ key: String) throws(InputError) -> String {
            guard let value = try doc.string(t, key, in: name, index: index) else {
                throw doc.error("[[\(name)]] needs '\(key)'", table: name, index: index)
            }
            return value
        }
        func selector(_ key: String, _ text: String) throws(InputError) -> DomainSelector {
            guard let s = DomainSelector(parsing: text) else {
                throw doc.error("bad selector '\(text)' in '\(key)' (expected a domain name, type:NAME, attr:NAME, role:NAME, user:NAME or *)",
                                table: name, index: index, key: key)
            }
            return s
        }
        let flowText = try required("flow")
        guard let flow = AuditFlowName(rawValue: flowText) else {
            throw doc.error("unknown flow '\(flowText)' (expected one of: \(AuditFlowName.listForErrors))", table: name, index: index, key: "flow")
        }
        // `service` endpoints: SELECTOR[/proc:TYPE][:PORT] (from), SELECTOR[:PORT] (to).
        func endpoint(_ key: String, _ text: String) throws(InputError) -> (DomainSelector, String?, UInt32?) {
            var rest = Substring(text)
            var port: UInt32?
            if let colon = rest.lastIndex(of: ":"), colon != rest.startIndex {
                let tail = rest[rest.index(after: colon)...]
                if !tail.isEmpty, tail.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    guard flow == .service else {
                        throw doc.error("a port in '\(key)' belongs to flow 'service' only", table: name, index: index, key: key)
                    }
                    guard let p = UInt32(tail) else {
                        throw doc.error("port \(tail) in '\(key)' is out of range (0 to 4294967295)", table: name, index: index, key: key)
                    }
                    port = p
                    rest = rest[..<colon]
                }
            }
            var process: String?
            if let slash = rest.range(of: "/proc:") {
                guard key == "from", flow == .service else {
                    throw doc.error("a process ('/proc:TYPE') belongs to 'from' of flow 'service' only", table: name, index: index, key: key)
                }
                process = String(rest[slash.upperBound...])
                guard !process!.isEmpty, !process!.contains(":"), !process!.contains("/") else {
                    throw doc.error("bad process type in '\(text)'", table: name, index: index, key: key)
                }
                rest = rest[..<slash.lowerBound]
            }
            return (try selector(key, String(rest)), process, port)
        }
        let (from, fromProcess, fromPort) = try endpoint("from", try required("from"))
        var to: DomainSelector?
        var toPort: UInt32?
        if let toText = try doc.string(t, "to", in: name, index: index) {
            guard !flow.isPerDomain else {
                throw doc.error("flow '\(flow.rawValue)' belongs to one domain: drop 'to'", table: name, index: index, key: "to")
            }
            (to, _, toPort) = try endpoint("to", toText)
        } else if !flow.isPerDomain {
            throw doc.error("[[\(name)]] needs 'to' for flow '\(flow.rawValue)'", table: name, index: index)
        }
        var maxHops: Int?
        if let hops = try doc.int(t, "max_hops", in: name, index: index) {
            guard flow == .path else {
                throw doc.error("'max_hops' belongs to flow 'path' only", table: name, index: index, key: "max_hops")
            }
            guard (1...Self.maxHopsLimit).contains(hops) else {
                throw doc.error("'max_hops' must be between 1 and \(Self.maxHopsLimit), not \(hops)", table: name, index: index, key: "max_hops")
            }
            maxHops = hops
        }
        let reason = try doc.text(t, "reason", in: name, index: index)
        if kind == .exempt, reason == nil {
            throw doc.error("[[exempt]] needs a 'reason'", table: name, index: index)
        }
        var until: CalendarDate?
        if let value = t["until"] {
            let date: CalendarDate? = if let d = value.date { CalendarDate(year: d.year, month: d.month, day: d.day) }
                else if let s = value.string { CalendarDate(parsing: s) } else { nil }
            guard let date else {
                throw doc.error("'until' must be a date like 2027-01-31", table: name, index: index, key: "until")
            }
            until = date
        }
        var rule = CheckRule(kind: kind, from: from, to: to, flow: flow, maxHops: maxHops, reason: reason, until: until,
                             location: location(""), fromLocation: location("from"), toLocation: to == nil ? nil : location("to"))
        rule.fromPort = fromPort
        rule.toPort = toPort
        rule.fromProcess = fromProcess
        return rule
    }
}
