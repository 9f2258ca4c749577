import ArgusAnalysis
import Flask
import Foundation

/// Renders `argus check` as text, JSON or a Markdown PR summary (SARIF and JUnit: `CheckCIFormats.swift`).
enum CheckFormatter {
    /// "never type:tenant_a_t -> dom0 channel (rules.toml:3)".
    static func ruleTitle(_ rule: CheckRule) -> String { "\(rule.summary) (\(rule.location))" }

    static func headline(_ run: CheckRun) -> String {
        let r = run.report
        var text = r.passed ? "PASS" : "FAIL: \(r.violations.count) violation\(r.violations.count == 1 ? "" : "s")"
        text += " (\(r.rules.count) rules; \(r.exempted.count) exempted"
        if r.hasBaseline { text += ", \(r.baselineSuppressed.count) already in the baseline" }
        return text + ")"
    }

    static func explanationLines(_ finding: CheckFinding) -> [String] {
        var lines: [String] = []
        for e in finding.explanation {
            lines.append("hook \(DiffFormatter.hookName(e)): \(e.allowed ? "allowed" : "denied")")
            for step in e.steps { lines.append("  \(step)") }
            for rule in e.rules { lines.append("  \(DiffFormatter.ruleLabel(e)): \(rule.description)") }
        }
        if let text = finding.counterexample {
            lines.append("counterexample (a system file `argus audit` confirms):")
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0) {
                lines.append(line.isEmpty ? "" : "  \(line)")
            }
        }
        return lines
    }

    // MARK: text

    static func text(_ run: CheckRun) -> String {
        let r = run.report
        var out = "argus check of \(run.policy) over \(run.subject) with \(r.rulesFile) (today \(r.today))\n"
        out += XenProfileJSON.textLine(run.xen, basis: run.xenBasis) + "\n"
        if let base = run.baselinePolicy { out += "baseline: \(base)\n" }
        for f in r.violations {
            out += "\nFAIL \(ruleTitle(f.rule)): \(f.message)\n"
            if let reason = f.rule.reason { out += "  reason: \(reason)\n" }
            for line in explanationLines(f) { out += line.isEmpty ? "\n" : "  \(line)\n" }
        }
        for e in r.exempted {
            out += "\nEXEMPT \(ruleTitle(e.finding.rule)): \(e.finding.message)\n"
            out += "  by \(ruleTitle(e.exemption))\(e.exemption.until.map { " until \($0)" } ?? ""): \(e.exemption.reason ?? "")\n"
        }
        for f in r.baselineSuppressed {
            out += "\nBASELINE \(ruleTitle(f.rule)): \(f.message) (already so in the baseline policy)\n"
        }
        for e in r.unusedExemptions {
            out += "\nNOTE unused exemption \(ruleTitle(e)): it covers no violation\n"
        }
        out += "\nresult: \(headline(run))\n"
        return out
    }

    // MARK: JSON

    struct JSONRule: Encodable {
        var kind: String
        var from: String
        var to: String?
        var flow: String
        var reason: String?
        var until: String?
        var location: String
        var maxHops: Int?

        init(_ r: CheckRule) {
            kind = r.kind.rawValue
            from = r.from.description
            to = r.to?.description
            flow = r.flow.rawValue
            reason = r.reason
            until = r.until?.description
            location = r.location.description
            maxHops = r.maxHops
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(kind, forKey: .kind)
            try c.encode(from, forKey: .from)
            try c.encode(to, forKey: .to)
            try c.encode(flow, forKey: .flow)
            try c.encode(reason, forKey: .reason)
            try c.encode(until, forKey: .until)
            try c.encode(location, forKey: .location)
            try c.encodeIfPresent(maxHops, forKey: .maxHops)
        }

        enum CodingKeys: String, CodingKey { case kind, from, to, flow, reason, until, location, maxHops = "max_hops" }
    }

    struct JSONFinding: Encodable {
        var kind: String
        var rule: JSONRule
        var source: String?
        var target: String?
        var flow: String
        var message: String
        var explanation: [HookExplanation]
        var exemption: JSONRule?
        var path: [String]?
        var counterexample: String?

        init(_ f: CheckFinding, exemption: CheckRule? = nil) {
            kind = f.kind.rawValue
            rule = JSONRule(f.rule)
            source = f.instance?.source
            target = f.instance?.target
            flow = f.rule.flow.rawValue
            message = f.message
            explanation = f.explanation
            self.exemption = exemption.map(JSONRule.init)
            path = f.path
            counterexample = f.counterexample
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(kind, forKey: .kind)
            try c.encode(rule, forKey: .rule)
            try c.encode(source, forKey: .source)
            try c.encode(target, forKey: .target)
            try c.encode(flow, forKey: .flow)
            try c.encode(message, forKey: .message)
            try c.encode(explanation, forKey: .explanation)
            try c.encodeIfPresent(exemption, forKey: .exemption)
            try c.encodeIfPresent(path, forKey: .path)
            try c.encodeIfPresent(counterexample, forKey: .counterexample)
        }

        enum CodingKeys: String, CodingKey { case kind, rule, source, target, flow, message, explanation, exemption, path, counterexample }
    }

    struct JSONReport: Encodable {
        var policy: String
        var system: String?
        var universe: JSONUniverse?
        var xen: [String: String]
        var rules_file: String
        var baseline: String?
        var today: String
        var passed: Bool
        var violations: [JSONFinding]
        var exempted: [JSONFinding]
        var baseline_suppressed: [JSONFinding]
        var unused_exemptions: [JSONRule]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(policy, forKey: .policy)
            try c.encode(system, forKey: .system)
            try c.encodeIfPresent(universe, forKey: .universe)
            try c.encode(xen, forKey: .xen)
            try c.encode(rules_file, forKey: .rules_file)
            try c.encode(baseline, forKey: .baseline)
            try c.encode(today, forKey: .today)
            try c.encode(passed, forKey: .passed)
            try c.encode(violations, forKey: .violations)
            try c.encode(exempted, forKey: .exempted)
            try c.encode(baseline_suppressed, forKey: .baseline_suppressed)
            try c.encode(unused_exemptions, forKey: .unused_exemptions)
        }

        enum CodingKeys: String, CodingKey {
            case policy, system, universe, xen, rules_file, baseline, today, passed, violations, exempted, baseline_suppressed, unused_exemptions
        }
    }

    /// Without a system file: what the rules were checked over.
    struct JSONUniverse: Encodable {
        var contexts: Int
        var types: Int
        var exact: Bool
        var mls: String
        var booleans: String
        var settings: Int
        var fixed_booleans: [String: Bool]

        init(_ u: CheckUniverse) {
            contexts = u.contexts; types = u.types; exact = u.exact; mls = u.mls; booleans = u.booleans
            settings = u.settings; fixed_booleans = u.fixedBooleans
        }
    }

    static func json(_ run: CheckRun) throws -> String {
        let r = run.report
        return try encodeJSON(JSONReport(
            policy: run.policy, system: run.systemFile, universe: run.universe.map(JSONUniverse.init),
            xen: Dictionary(uniqueKeysWithValues: XenProfileJSON.fields(run.xen, basis: run.xenBasis).map { ($0.key, $0.value) }),
            rules_file: r.rulesFile, baseline: run.baselinePolicy,
            today: r.today.description, passed: r.passed,
            violations: r.violations.map { JSONFinding($0) },
            exempted: r.exempted.map { JSONFinding($0.finding, exemption: $0.exemption) },
            baseline_suppressed: r.baselineSuppressed.map { JSONFinding($0) },
            unused_exemptions: r.unusedExemptions.map(JSONRule.init)))
    }

    // MARK: Markdown

    /// The rules (file:line) behind a finding's hooks, or its denial reasons, in one cell.
    static func whyCell(_ f: CheckFinding) -> String {
        if f.kind == .expiredExemption { return "past its until date: renew it with a reason or fix the policy" }
        var parts: [String] = []
        for e in f.explanation {
            let rules = e.rules.map { "`\($0.location.map(\.description) ?? $0.text)`" }
            if e.allowed {
                parts.append("`\(DiffFormatter.hookName(e))` allowed" + (rules.isEmpty ? "" : " by \(rules.joined(separator: ", "))"))
            } else {
                let reasons = e.steps.filter { !$0.hasPrefix("flask: avc_has_perm") && !$0.hasPrefix("denied:") }
                parts.append("`\(DiffFormatter.hookName(e))` denied: \(reasons.joined(separator: "; "))")
            }
        }
        return DiffFormatter.markdownCell(parts.joined(separator: "<br>"))
    }

    static func markdown(_ run: CheckRun) -> String {
        let r = run.report
        var out = "### Argo policy check: \(r.passed ? "✅ pass" : "❌ fail")\n\n"
        out += "`\(run.policy)` over " + (run.systemFile.map { "`\($0)`" } ?? run.subject) + " with `\(r.rulesFile)`"
        if let base = run.baselinePolicy { out += ", baseline `\(base)`" }
        out += ", \(run.xen)"
        out += ": **\(headline(run))**\n"
        func table(_ title: String, _ rows: [(CheckFinding, String)]) {
            guard !rows.isEmpty else { return }
            out += "\n#### \(title)\n\n| rule | finding | why |\n|---|---|---|\n"
            for (f, extra) in rows {
                out += "| \(DiffFormatter.markdownCell("`\(f.rule.summary)` \(f.rule.location)")) | \(DiffFormatter.markdownCell(f.message))"
                out += " | \(whyCell(f))\(extra.isEmpty ? "" : "<br>" + DiffFormatter.markdownCell(extra)) |\n"
            }
        }
        table("Violations", r.violations.map { ($0, $0.rule.reason.map { "reason: \($0)" } ?? "") })
        table("Exempted", r.exempted.map { ($0.finding, "exempted by \($0.exemption.location): \($0.exemption.reason ?? "")") })
        table("Already in the baseline", r.baselineSuppressed.map { ($0, "") })
        let shown = (r.violations + r.exempted.map(\.finding) + r.baselineSuppressed).filter { $0.counterexample != nil }
        if !shown.isEmpty {
            out += "\n#### Counterexamples\n"
            for f in shown {
                out += "\n<details><summary>\(DiffFormatter.markdownCell("`\(f.rule.summary)` \(f.rule.location): \(f.message)"))</summary>\n\n"
                out += "~~~toml\n\(f.counterexample!)~~~\n\n</details>\n"
            }
        }
        if !r.unusedExemptions.isEmpty {
            out += "\n#### Unused exemptions\n\n"
            for e in r.unusedExemptions { out += "- `\(e.summary)` \(e.location)\n" }
        }
        return out
    }
}
