import ArgoEngine
import Flask
import Yams

/// Reads the scenario YAML contract (see docs/SCENARIOS.md).
public enum ScenarioParser {
    /// Parses scenario text; `file` names it in errors. Every problem is an
    /// `InputError` carrying the file and the 1-based line.
    public static func parse(_ text: String, file: String) throws(InputError) -> Scenario {
        try YAMLNesting.check(text, file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw InputError(Self.describe(error), at: Self.location(of: error, text: text, file: file))
        } catch {
            throw InputError("cannot parse YAML: \(error)", file: file)
        }
        guard let root, case .mapping(let top) = root else {
            throw InputError("a scenario is a mapping with a 'steps' list", file: file, line: root?.mark?.line ?? 1)
        }
        let reader = FieldReader(file: file, budget: ExpansionBudget(limit: 4 * text.utf8.count + 65_536))
        try reader.rejectUnknown(top, allowed: ["steps"], what: "scenario")
        guard let stepsNode = top["steps"] else { throw InputError("missing 'steps'", file: file, line: root.mark?.line) }
        guard case .sequence(let steps) = stepsNode else {
            throw InputError("'steps' must be a list", file: file, line: stepsNode.mark?.line)
        }
        var parsed: [ScenarioStep] = []
        for node in steps {
            parsed.append(try reader.step(node))
        }
        return Scenario(file: file, steps: parsed)
    }

    /// One line: the problem and its context, without libyaml's quoted source line and caret.
    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            if let context { return "invalid YAML: \(problem) (\(context.text) at line \(context.mark.line))" }
            return "invalid YAML: \(problem)"
        case .reader(let problem, _, let value, _):
            return "invalid YAML: \(problem)" + (value >= 0 ? String(format: " (0x%X)", value) : "")
        case .duplicatedKeysInMapping(let duplicates, _):
            return "invalid YAML: duplicate key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))"
        default:
            return "invalid YAML: " + String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }

    static func location(of error: YamlError, text: String, file: String) -> SourceLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        case .duplicatedKeysInMapping(_, let context):
            return SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
        case .reader(_, let offset?, _, _):
            // libyaml's reader counts characters; count the same way for the line and column.
            var line = 1, column = 1
            for (index, scalar) in text.unicodeScalars.enumerated() {
                if index >= offset { break }
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            }
            return SourceLocation(file: file, line: line, column: column)
        default:
            return SourceLocation(file: file, line: 1)
        }
    }
}

/// Field-level helpers that turn YAML nodes into typed values or InputErrors.
struct FieldReader {
    let file: String
    let budget: ExpansionBudget

    /// Counts `units` of work (nodes, payload bytes) against the budget.
    func spend(_ units: Int, at node: Node?) throws(InputError) {
        budget.spent += units
        if budget.spent > budget.limit {
            throw fail("the scenario expands to far more than its own size (YAML aliases repeating large parts?)", node)
        }
    }

    func fail(_ message: String, _ node: Node?) -> InputError {
        InputError(message, file: file, line: node?.mark?.line)
    }

    func rejectUnknown(_ mapping: Node.Mapping, allowed: Set<String>, what: String) throws(InputError) {
        for (key, _) in mapping {
            guard let name = key.string, allowed.contains(name) else {
                throw fail("unknown key '\(key.string ?? "?")' in \(what)", key)
            }
        }
    }

    func mapping(_ node: Node, _ what: String) throws(InputError) -> Node.Mapping {
        guard case .mapping(let mapping) = node else { throw fail("\(what) must be a mapping", node) }
        return mapping
    }

    func string(_ node: Node, _ key: String) throws(InputError) -> String {
        guard case .scalar(let scalar) = node else { throw fail("'\(key)' must be a scalar", node) }
        return scalar.string
    }

    /// An integer written in decimal or 0x-hex, optionally negative, within `range`.
    func integer(_ node: Node, _ key: String, _ range: ClosedRange<Int64>) throws(InputError) -> Int64 {
        let text = try string(node, key).trimmingSpaces()
        guard let value = Self.parseInteger(text), range.contains(value) else {
            throw fail("'\(key)' must be an integer in \(range.lowerBound)...\(range.upperBound), not '\(text)'", node)
        }
        return value
    }

    func unsigned64(_ node: Node, _ key: String) throws(InputError) -> UInt64 {
        let text = try string(node, key).trimmingSpaces()
        if let value = Self.parseUnsigned(text) { return value }
        throw fail("'\(key)' must be an unsigned 64-bit integer, not '\(text)'", node)
    }

    static func parseUnsigned(_ text: String) -> UInt64? {
        let lower = text.lowercased().filter { $0 != "_" }
        if lower.hasPrefix("0x") { return UInt64(lower.dropFirst(2), radix: 16) }
        return UInt64(lower)
    }

    static func parseInteger(_ text: String) -> Int64? {
        if text.hasPrefix("-") {
            guard let magnitude = parseUnsigned(String(text.dropFirst())), magnitude <= UInt64(Int64.max) else { return nil }
            return -Int64(magnitude)
        }
        guard let value = parseUnsigned(text), value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    func u32(_ map: Node.Mapping, _ key: String, default fallback: UInt32? = nil) throws(InputError) -> UInt32 {
        guard let node = map[key] else {
            if let fallback { return fallback }
            throw InputError("missing '\(key)'", file: file, line: map.mark?.line)
        }
        return UInt32(try integer(node, key, 0 ... Int64(UInt32.max)))
    }

    func u16(_ map: Node.Mapping, _ key: String, default fallback: UInt16) throws(InputError) -> UInt16 {
        guard let node = map[key] else { return fallback }
        return UInt16(try integer(node, key, 0 ... Int64(UInt16.max)))
    }

    func domain(_ node: Node?, _ key: String, at owner: Node) throws(InputError) -> DomainReference {
        guard let node else { throw fail("missing '\(key)'", owner) }
        let text = try string(node, key)
        if text == "any" { return .any }
        if let number = Self.parseUnsigned(text) {
            guard number <= UInt64(UInt16.max) else { throw fail("domid '\(text)' is out of range", node) }
            return .domid(UInt16(number))
        }
        guard !text.isEmpty else { throw fail("'\(key)' must name a domain", node) }
        return .named(text)
    }

    func address(_ node: Node?, _ key: String, at owner: Node) throws(InputError) -> ScenarioAddress {
        guard let node else { throw fail("missing '\(key)'", owner) }
        let map = try mapping(node, "'\(key)'")
        try rejectUnknown(map, allowed: ["domain", "aport", "pad"], what: "'\(key)'")
        return ScenarioAddress(domain: try domain(map["domain"], "domain", at: node),
                               aport: try u32(map, "aport"), pad: try u16(map, "pad", default: 0))
    }

    func iov(_ node: Node) throws(InputError) -> IOVEntry {
        try spend(1, at: node)
        if case .scalar(let scalar) = node {
            try spend(scalar.string.utf8.count, at: node)
            return IOVEntry(data: .text(scalar.string), pad: 0)
        }
        let map = try mapping(node, "an iov")
        try rejectUnknown(map, allowed: ["text", "hex", "len", "pad"], what: "an iov")
        let pad = try u32(map, "pad", default: 0)
        if let text = map["text"] {
            let value = try string(text, "text")
            try spend(value.utf8.count, at: text)
            return IOVEntry(data: .text(value), pad: pad)
        }
        if let hexNode = map["hex"] {
            let hex = try string(hexNode, "hex").filter { $0 != " " }
            try spend(hex.utf8.count / 2, at: hexNode)
            guard let bytes = Self.parseHex(hex) else { throw fail("'hex' must be an even number of hex digits", hexNode) }
            return IOVEntry(data: .bytes(bytes), pad: pad)
        }
        if let lengthNode = map["len"] {
            return IOVEntry(data: .zeros(Int(try integer(lengthNode, "len", 0 ... 0x100_0000))), pad: pad)
        }
        throw fail("an iov needs 'text', 'hex' or 'len'", node)
    }

    static func parseHex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `expect` / `expect_raw`: a number or `-ENAME`.
    func expectation(_ node: Node, key: String = "expect") throws(InputError) -> Int64 {
        let text = try string(node, key).trimmingSpaces()
        if text.hasPrefix("-E") || text.hasPrefix("E") {
            let name = text.hasPrefix("-") ? String(text.dropFirst()) : text
            guard let errno = XenErrno(name: name) else { throw fail("unknown errno '\(name)'", node) }
            return errno.hypercallReturn
        }
        guard let value = Self.parseInteger(text) else { throw fail("'\(key)' must be a number or -ENAME", node) }
        return value
    }

    func step(_ node: Node) throws(InputError) -> ScenarioStep {
        try spend(1, at: node)
        let map = try mapping(node, "a step")
        guard let opNode = map["op"] else { throw fail("a step needs 'op'", node) }
        let op = try string(opNode, "op")
        let common: Set<String> = ["op", "expect", "expect_raw"]
        let line = node.mark?.line ?? 0
        let expect = try map["expect"].map { (value) throws(InputError) in try expectation(value) }
        let expectRaw = try map["expect_raw"].map { (value) throws(InputError) in try expectation(value, key: "expect_raw") }
        func allow(_ keys: Set<String>) throws(InputError) { try rejectUnknown(map, allowed: common.union(keys), what: "\(op) step") }
        let operation: ScenarioOperation
        switch op {
        case "register":
            try allow(["domain", "aport", "partner", "len", "npages", "flags", "pad"])
            operation = .register(domain: try domain(map["domain"], "domain", at: node), aport: try u32(map, "aport"),
                                  partner: try domain(map["partner"], "partner", at: node), length: try u32(map, "len"),
                                  pageCount: try map["npages"].map { (value) throws(InputError) in try unsigned64(value, "npages") },
                                  flags: try map["flags"].map { (value) throws(InputError) in try unsigned64(value, "flags") } ?? 0,
                                  pad: try u16(map, "pad", default: 0))
        case "unregister":
            try allow(["domain", "aport", "partner", "pad"])
            operation = .unregister(domain: try domain(map["domain"], "domain", at: node), aport: try u32(map, "aport"),
                                    partner: try domain(map["partner"], "partner", at: node), pad: try u16(map, "pad", default: 0))
        case "sendv":
            try allow(["domain", "src", "dst", "type", "iov", "niov"])
            var iovs: [IOVEntry] = []
            if let iovNode = map["iov"] {
                guard case .sequence(let items) = iovNode else { throw fail("'iov' must be a list", iovNode) }
                for item in items { iovs.append(try iov(item)) }
            }
            operation = .sendv(domain: try domain(map["domain"], "domain", at: node),
                               source: try address(map["src"], "src", at: node), destination: try address(map["dst"], "dst", at: node),
                               messageType: try u32(map, "type", default: 0), iovs: iovs,
                               niov: try map["niov"].map { (value) throws(InputError) in try unsigned64(value, "niov") })
        case "notify":
            try allow(["domain", "entries", "nent"])
            var entries: [NotifyEntrySpec]?
            if let entriesNode = map["entries"] {
                guard case .sequence(let items) = entriesNode else { throw fail("'entries' must be a list", entriesNode) }
                var list: [NotifyEntrySpec] = []
                for item in items {
                    try spend(1, at: item)
                    let entry = try mapping(item, "a notify entry")
                    try rejectUnknown(entry, allowed: ["domain", "aport", "space_required", "pad"], what: "a notify entry")
                    list.append(NotifyEntrySpec(domain: try domain(entry["domain"], "domain", at: item), aport: try u32(entry, "aport"),
                                                spaceRequired: try u32(entry, "space_required", default: 0),
                                                pad: try u16(entry, "pad", default: 0)))
                }
                entries = list
            }
            let nent = try map["nent"].map { (value) throws(InputError) in UInt32(try integer(value, "nent", 0 ... Int64(UInt32.max))) }
            operation = .notify(domain: try domain(map["domain"], "domain", at: node), entries: entries, nent: nent)
        case "read":
            try allow(["domain", "aport", "partner"])
            operation = .read(domain: try domain(map["domain"], "domain", at: node), aport: try u32(map, "aport"),
                              partner: try domain(map["partner"], "partner", at: node))
        case "set_rx_ptr":
            try allow(["domain", "aport", "partner", "value"])
            operation = .setRxPtr(domain: try domain(map["domain"], "domain", at: node), aport: try u32(map, "aport"),
                                  partner: try domain(map["partner"], "partner", at: node), value: try u32(map, "value"))
        case "destroy":
            try allow(["domain"])
            operation = .destroy(domain: try domain(map["domain"], "domain", at: node))
        case "soft_reset":
            try allow(["domain"])
            operation = .softReset(domain: try domain(map["domain"], "domain", at: node))
        case "create":
            try allow(["name", "domid", "label", "privileged", "target", "compat"])
            guard let nameNode = map["name"] else { throw fail("create needs 'name'", node) }
            guard let domidNode = map["domid"] else { throw fail("create needs 'domid'", node) }
            guard let labelNode = map["label"] else { throw fail("create needs 'label'", node) }
            let name = try string(nameNode, "name")
            try DomainName.check(name, at: SourceLocation(file: file, line: nameNode.mark?.line))
            operation = .create(name: name,
                                domid: UInt16(try integer(domidNode, "domid", 0 ... 0x7FEF)),
                                label: try string(labelNode, "label"),
                                privileged: try map["privileged"].map { (value) throws(InputError) in try boolean(value, "privileged") } ?? false,
                                deviceModelTarget: try map["target"].map { (value) throws(InputError) in try string(value, "target") },
                                compat: try map["compat"].map { (value) throws(InputError) in try boolean(value, "compat") } ?? false)
        default:
            operation = try extendedStep(op, map, node, opNode: opNode, common: common)
        }
        return ScenarioStep(operation: operation, expect: expect, expectRaw: expectRaw, line: line)
    }

    func boolean(_ node: Node, _ key: String) throws(InputError) -> Bool {
        switch try string(node, key).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw fail("'\(key)' must be true or false", node)
        }
    }
}

/// Work done reading one scenario, against a limit proportional to its size.
final class ExpansionBudget {
    let limit: Int
    var spent = 0

    init(limit: Int) { self.limit = limit }
}

/// A bound on YAML nesting checked before the YAML library sees the text: its composer
/// recurses once per level, so a deeply nested document would exhaust the stack.
enum YAMLNesting {
    static let maximumDepth = 200

    /// Refuses text whose nesting could exceed ``maximumDepth``. Conservative: flow brackets
    /// outside quotes, plus on each line its indentation and its `- ` and `: ` indicators.
    static func check(_ text: String, file: String) throws(InputError) {
        let space = UInt8(ascii: " "), newline: UInt8 = 0x0A
        let openers: Set<UInt8> = [space, 0x09, newline, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","),
                                   UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "?")]
        var flow = 0, line = 1, lineDepth = 0
        var atIndent = true, comment = false, escaped = false
        var quote: UInt8?
        var previous = newline
        for byte in text.utf8 {
            defer { previous = byte }
            if byte == newline {
                line += 1; lineDepth = 0; atIndent = true; comment = false
                continue
            }
            if comment { continue }
            if atIndent, byte == space { lineDepth += 1 } else { atIndent = false }
            if let open = quote {
                // Inside a quoted scalar brackets do not nest; leave it where YAML does.
                if open == UInt8(ascii: "\"") {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == open { quote = nil }
                } else if byte == open {
                    quote = nil
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): if openers.contains(previous) { quote = byte }
            case UInt8(ascii: "#") where previous == space || previous == 0x09 || previous == newline: comment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): flow += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"): flow = max(0, flow - 1)
            case space where flow == 0 && (previous == UInt8(ascii: "-") || previous == UInt8(ascii: ":")): lineDepth += 1
            default: break
            }
            if flow + lineDepth > maximumDepth {
                throw InputError("YAML nested deeper than \(maximumDepth) levels", file: file, line: line)
            }
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        let set: Character = " "
        var text = Substring(self)
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return String(text)
    }
}
