import Foundation

/// The source statements of a compiled policy, found by scanning the `policy.conf` that
/// checkpolicy compiled (following m4's `#line` markers back to the original files).
///
/// This is not a compiler: it only remembers where each `allow`-style statement stood, so
/// that a decision can name the lines that grant it. checkpolicy remains the only compiler.
public struct RuleOriginIndex: Sendable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case allow, auditallow, dontaudit, neverallow
        case typeTransition = "type_transition", typeMember = "type_member", typeChange = "type_change"
    }

    /// One rule statement as written (after m4), with its place in the sources.
    public struct Statement: Sendable, Equatable {
        public var kind: Kind
        /// Names in the source set (`-name` entries excluded, `~`/`*` recorded as written).
        public var sources: [String]
        public var targets: [String]
        public var classes: [String]
        /// Permissions for access rules; the default type for type rules.
        public var permissions: [String]
        public var location: SourceLocation
        /// The enclosing `if` expression, when the rule is conditional.
        public var condition: String?
        /// True on the `if` branch, false on `else` (meaningful with `condition`).
        public var onTrueBranch: Bool
        /// The statement on one line, as it reads in the source.
        public var text: String
    }

    public private(set) var statements: [Statement] = []

    public init(statements: [Statement]) { self.statements = statements }

    /// Scans `text` (a policy.conf); `file` names it for statements before any `#line` marker.
    public init(scanning text: String, file: String) {
        var scanner = ConfScanner(text: text, file: file)
        statements = scanner.scan()
    }
}

/// A small tokenizer over policy.conf text that tracks `#line` markers and `if` blocks.
private struct ConfScanner {
    struct Token {
        var text: String
        var location: SourceLocation
    }

    let lines: [Substring]
    let defaultFile: String
    init(text: String, file: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        defaultFile = file
    }

    func tokens() -> [Token] {
        var out: [Token] = []
        var file = defaultFile
        var line = 1
        for raw in lines {
            if raw.hasPrefix("#line ") {
                let fields = raw.split(separator: " ", maxSplits: 2)
                if fields.count >= 2, let n = Int(fields[1]) {
                    line = n
                    if fields.count == 3 { file = String(fields[2].trimmingQuotes()) }
                    continue
                }
            }
            let code = raw.firstIndex(of: "#").map { raw[..<$0] } ?? raw
            var current = ""
            func flush() {
                if !current.isEmpty { out.append(Token(text: current, location: SourceLocation(file: file, line: line))) }
                current = ""
            }
            for ch in code {
                switch ch {
                case " ", "\t", "\r": flush()
                case "{", "}", ";", ":", "(", ")", "~", "*", ",":
                    flush()
                    out.append(Token(text: String(ch), location: SourceLocation(file: file, line: line)))
                default: current.append(ch)
                }
            }
            flush()
            line += 1
        }
        return out
    }

    mutating func scan() -> [RuleOriginIndex.Statement] {
        let toks = tokens()
        var result: [RuleOriginIndex.Statement] = []
        // Stack of open blocks: for `if` blocks, the condition text and branch.
        var blocks: [(condition: String?, onTrue: Bool)] = []
        var pendingCondition: String?
        var pendingElse = false
        var i = 0
        while i < toks.count {
            let t = toks[i].text
            if t == "if" {
                var depth = 0
                var expr: [String] = []
                var j = i + 1
                while j < toks.count {
                    let x = toks[j].text
                    if x == "(" { depth += 1 } else if x == ")" { depth -= 1 }
                    expr.append(x)
                    j += 1
                    if depth == 0 { break }
                }
                pendingCondition = expr.joined(separator: " ")
                    .replacingOccurrences(of: "( ", with: "(").replacingOccurrences(of: " )", with: ")")
                i = j
                continue
            }
            if t == "else" { pendingElse = true; i += 1; continue }
            if t == "{" {
                if let c = pendingCondition {
                    blocks.append((c, true))
                    pendingCondition = nil
                } else if pendingElse, let last = lastClosedCondition {
                    blocks.append((last, false))
                    pendingElse = false
                } else {
                    blocks.append((nil, true))
                }
                i += 1
                continue
            }
            if t == "}" {
                if let b = blocks.popLast() { lastClosedCondition = b.condition }
                i += 1
                continue
            }
            if let kind = RuleOriginIndex.Kind(rawValue: t), let end = toks[i...].firstIndex(where: { $0.text == ";" }) {
                let body = Array(toks[(i + 1)..<end])
                if let st = statement(kind: kind, body: body, at: toks[i].location,
                                      condition: blocks.last(where: { $0.condition != nil })) {
                    result.append(st)
                }
                i = end + 1
                continue
            }
            i += 1
        }
        return result
    }

    private var lastClosedCondition: String?

    /// Splits `SRC TGT : CLS PERMS` into its four sets.
    private func statement(
        kind: RuleOriginIndex.Kind, body: [Token], at location: SourceLocation,
        condition: (condition: String?, onTrue: Bool)?
    ) -> RuleOriginIndex.Statement? {
        var sets: [[String]] = []
        var k = 0
        while k < body.count && sets.count < 4 {
            if body[k].text == ":" { k += 1; continue }
            if body[k].text == "{" {
                var items: [String] = []
                k += 1
                while k < body.count && body[k].text != "}" {
                    if !body[k].text.hasPrefix("-") && body[k].text != "," { items.append(body[k].text) }
                    k += 1
                }
                k += 1
                sets.append(items)
            } else if body[k].text == "~" {
                sets.append(["~"])
                k += 1
                // skip the complemented name or set
                if k < body.count && body[k].text == "{" {
                    while k < body.count && body[k].text != "}" { k += 1 }
                }
                k += 1
            } else {
                sets.append([body[k].text])
                k += 1
            }
        }
        guard sets.count == 4 else { return nil }
        let text = ([kind.rawValue] + body.map(\.text)).joined(separator: " ")
            .replacingOccurrences(of: " : ", with: ":").replacingOccurrences(of: " :", with: ":") + ";"
        return RuleOriginIndex.Statement(
            kind: kind, sources: sets[0], targets: sets[1], classes: sets[2], permissions: sets[3],
            location: location, condition: condition?.condition, onTrueBranch: condition?.onTrue ?? true, text: text
        )
    }
}

private extension Substring {
    func trimmingQuotes() -> Substring {
        var s = self
        if s.hasPrefix("\"") { s = s.dropFirst() }
        if s.hasSuffix("\"") { s = s.dropLast() }
        return s
    }
}
