import ArgusAnalysis
import Flask
import Foundation
import XenProfile

/// Renders `argus diff` as text, JSON (the documented contract) or a Markdown PR summary.
enum DiffFormatter {
    /// Changes of one ordered pair (or one domain) in one direction, shown together: a rule
    /// that opens `send` usually opens `notify` and `channel` with it, for the same reason.
    struct Group {
        var source: String
        var target: String?
        var direction: FlowChange.Direction
        var flows: [AuditFlowName]
        var reasons: [FlowChangeReason]

        var subject: String { target.map { "\(source) -> \($0)" } ?? source }
    }

    static func groups(_ diff: AuditDiff) -> [Group] {
        var out: [Group] = []
        for change in diff.changes {
            let c = change.instance
            if let k = out.firstIndex(where: { $0.source == c.source && $0.target == c.target && $0.direction == change.direction }) {
                out[k].flows.append(c.flow)
                for r in change.reasons where !out[k].reasons.contains(where: { sameHook($0, r) }) { out[k].reasons.append(r) }
            } else {
                out.append(Group(source: c.source, target: c.target, direction: change.direction, flows: [c.flow], reasons: change.reasons))
            }
        }
        return out
    }

    /// The same hook call (notify's chain repeats send's hook with one more step).
    static func sameHook(_ a: FlowChangeReason, _ b: FlowChangeReason) -> Bool {
        a.new.hook == b.new.hook && a.new.source == b.new.source && a.new.target == b.new.target
    }

    static func hookName(_ e: HookExplanation) -> String {
        "\(e.hook)(\(e.source)\(e.target.map { ", \($0)" } ?? ""))"
    }

    static func verdict(_ allowed: Bool) -> String { allowed ? "allowed" : "denied" }

    /// Steps on both sides, then what only one side says, then each side's rules.
    static func reasonLines(_ r: FlowChangeReason) -> [String] {
        var lines = ["hook \(hookName(r.new)): \(verdict(r.old.allowed)) -> \(verdict(r.new.allowed))"]
        let oldSteps = Set(r.old.steps), newSteps = Set(r.new.steps)
        for step in r.new.steps where oldSteps.contains(step) { lines.append("  \(step)") }
        for step in r.old.steps where !newSteps.contains(step) { lines.append("  old: \(step)") }
        for rule in r.old.rules { lines.append("  old \(ruleLabel(r.old)): \(rule.description)") }
        for step in r.new.steps where !oldSteps.contains(step) { lines.append("  new: \(step)") }
        for rule in r.new.rules { lines.append("  new \(ruleLabel(r.new)): \(rule.description)") }
        return lines
    }

    /// Rules of an allowed hook grant it; those of a denied hook would, were a boolean set.
    static func ruleLabel(_ e: HookExplanation) -> String { e.allowed ? "rule" : "rule (not in effect)" }

    // MARK: text

    static func text(_ report: PolicyDiffReport) -> String {
        let diff = report.flows
        var out = "Argo diff of \(report.systemFile): \(report.oldPolicy) -> \(report.newPolicy)\n"
        out += report.oldXen == report.newXen ? "xen: \(report.newXen)\n" : "xen: \(report.oldXen) -> \(report.newXen)\n"
        // A change of Xen or of definitions comes first: it is the root cause of what follows.
        if let defs = report.definitions {
            out += "FLASK definitions: \(defs.oldDirectory) -> \(defs.newDirectory): "
            out += "\(defs.diff.breakingChanges.count) breaking, \(defs.diff.changes.count - defs.diff.breakingChanges.count) compatible\n"
            for change in defs.diff.changes {
                out += "  \(change.isBreaking ? "!" : "+") \(change.summary)\(locations(change))\n"
            }
        }
        out += "flows: \(diff.added.count) added, \(diff.removed.count) removed\n"
        for group in groups(diff) {
            let sign = group.direction == .added ? "+" : "-"
            out += "\n\(sign) \(group.subject): \(group.flows.map(\.rawValue).joined(separator: ", "))\n"
            for reason in group.reasons {
                for line in reasonLines(reason) { out += "    \(line)\n" }
            }
        }
        if let services = report.services { out += "\n" + services.text }
        out += report.hasDifferences ? "\nresult: different\n" : "\nresult: identical Argo decisions\n"
        return out
    }

    static func locations(_ change: DefinitionChange) -> String {
        var parts: [String] = []
        if let o = change.oldLocation { parts.append("old \(o)") }
        if let n = change.newLocation { parts.append("new \(n)") }
        return parts.isEmpty ? "" : " [\(parts.joined(separator: ", "))]"
    }

    // MARK: JSON

    struct JSONHookSide: Encodable {
        var allowed: Bool
        var steps: [String]
        var rules: [RuleReference]
    }

    struct JSONReason: Encodable {
        var hook: String
        var source: String
        var target: String?
        var old: JSONHookSide
        var new: JSONHookSide

        init(_ r: FlowChangeReason) {
            hook = r.new.hook
            source = r.new.source
            target = r.new.target
            old = JSONHookSide(allowed: r.old.allowed, steps: r.old.steps, rules: r.old.rules)
            new = JSONHookSide(allowed: r.new.allowed, steps: r.new.steps, rules: r.new.rules)
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(hook, forKey: .hook)
            try c.encode(source, forKey: .source)
            try c.encode(target, forKey: .target)  // null for per-domain hooks, never omitted
            try c.encode(old, forKey: .old)
            try c.encode(new, forKey: .new)
        }

        enum CodingKeys: String, CodingKey { case hook, source, target, old, new }
    }

    struct JSONChange: Encodable {
        var source: String
        var target: String?
        var flow: String
        var why: [JSONReason]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(source, forKey: .source)
            try c.encode(target, forKey: .target)  // null for argo and register_any_source
            try c.encode(flow, forKey: .flow)
            try c.encode(why, forKey: .why)
        }

        enum CodingKeys: String, CodingKey { case source, target, flow, why }
    }

    struct JSONDefinitions: Encodable {
        var old_flask_dir: String
        var new_flask_dir: String
        var breaking: Int
        var changes: [DefinitionChange]
    }

    struct JSONReport: Encodable {
        var old: String
        var new: String
        var system: String
        var identical: Bool
        var added: [JSONChange]
        var removed: [JSONChange]
        var definitions: JSONDefinitions?
        var xen: [String: [String: String]]
        var services: ServiceDiff?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(old, forKey: .old)
            try c.encode(new, forKey: .new)
            try c.encode(system, forKey: .system)
            try c.encode(xen, forKey: .xen)
            try c.encode(identical, forKey: .identical)
            try c.encode(added, forKey: .added)
            try c.encode(removed, forKey: .removed)
            try c.encode(definitions, forKey: .definitions)
            if let services { try c.encode(services, forKey: .services) }
        }

        enum CodingKeys: String, CodingKey { case old, new, system, xen, identical, added, removed, definitions, services }
    }

    static func json(_ report: PolicyDiffReport) throws -> String {
        func changes(_ list: [FlowChange]) -> [JSONChange] {
            list.map { JSONChange(source: $0.instance.source, target: $0.instance.target, flow: $0.instance.flow.rawValue,
                                  why: $0.reasons.map(JSONReason.init)) }
        }
        let defs = report.definitions.map {
            JSONDefinitions(old_flask_dir: $0.oldDirectory, new_flask_dir: $0.newDirectory,
                            breaking: $0.diff.breakingChanges.count, changes: $0.diff.changes)
        }
        return try encodeJSON(JSONReport(
            old: report.oldPolicy, new: report.newPolicy, system: report.systemFile, identical: !report.hasDifferences,
            added: changes(report.flows.added), removed: changes(report.flows.removed), definitions: defs,
            xen: ["old": profileFields(report.oldXen), "new": profileFields(report.newXen)], services: report.services))
    }

    static func profileFields(_ profile: XenProfile) -> [String: String] {
        ["version": profile.version.description, "flavour": profile.flavour.rawValue, "arch": profile.arch.rawValue,
         "xsm_build": profile.xsmBuild.rawValue]
    }

    // MARK: Markdown

    static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func markdown(_ report: PolicyDiffReport) -> String {
        let diff = report.flows
        var out = "### Argo policy diff\n\n"
        out += "`\(report.oldPolicy)` → `\(report.newPolicy)` over `\(report.systemFile)`"
        out += report.oldXen == report.newXen ? ", \(report.newXen)" : ", \(report.oldXen) → \(report.newXen)"
        out += ": **\(diff.added.count) flows added, \(diff.removed.count) removed**\n"
        // A change of Xen or of definitions comes first: it is the root cause of what follows.
        if let defs = report.definitions, !defs.diff.changes.isEmpty {
            out += "\n#### FLASK definitions (`\(defs.oldDirectory)` → `\(defs.newDirectory)`)\n\n"
            for change in defs.diff.changes {
                out += "- \(change.isBreaking ? "**breaking**" : "compatible"): \(change.summary)\(locations(change))\n"
            }
        }
        let grouped = groups(diff)
        if !grouped.isEmpty {
            out += "\n| | from | to | flows | why |\n|---|---|---|---|---|\n"
            for g in grouped {
                let why = g.reasons.map { r -> String in
                    let side = g.direction == .added ? r.new : r.old
                    let other = g.direction == .added ? r.old : r.new
                    let rules = side.rules.map { "`\($0.location.map(\.description) ?? $0.text)`" }
                    let denial = other.steps.filter { !side.steps.contains($0) && !$0.hasPrefix("denied:") }
                    var text = "`\(hookName(r.new))` \(verdict(r.old.allowed)) → \(verdict(r.new.allowed))"
                    if !rules.isEmpty { text += "; granted by \(rules.joined(separator: ", "))" }
                    if !denial.isEmpty { text += "; \(g.direction == .added ? "was" : "now"): \(denial.joined(separator: "; "))" }
                    return text
                }.joined(separator: "<br>")
                out += "| \(g.direction == .added ? "➕" : "➖") | \(markdownCell(g.source)) | \(markdownCell(g.target ?? "—")) "
                out += "| \(g.flows.map(\.rawValue).joined(separator: ", ")) | \(markdownCell(why)) |\n"
            }
        }
        if let services = report.services { out += services.markdown }
        out += report.hasDifferences ? "\n**Result: different.**\n" : "\n**Result: identical Argo decisions.**\n"
        return out
    }
}
