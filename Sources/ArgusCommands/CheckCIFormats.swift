import ArgusAnalysis
import Flask
import Foundation

/// `argus check --format sarif`: SARIF 2.1.0, so code-scanning UIs show findings at the rule's
/// line in the rules file, with the policy rules behind them as related locations. Exempted and
/// baseline findings are results with a `suppressions` entry, as SARIF intends.
enum CheckSARIF {
    /// The rules a result can cite: id, name, one line, the help shown beside an alert, GitHub's
    /// `security-severity` (nil: not a security finding) and the default level.
    static let ruleDescriptions: [(id: String, name: String, text: String, help: String, securitySeverity: String?, level: String)] = [
        ("forbidden-flow", "ForbiddenFlow", "An Argo flow a [[never]] rule forbids is allowed by the policy.",
         "The policy lets these domains use Argo in a way a `[[never]]` rule of the rules file forbids. Remove the grant "
            + "(the related locations are the policy rules behind it), or add an `[[exempt]]` entry with a reason and an "
            + "`until` date.", "8.0", "error"),
        ("missing-flow", "MissingFlow", "An Argo flow a [[must]] rule requires is not allowed by the policy.",
         "A `[[must]]` rule requires this Argo flow and the policy denies it; the message says which hook is denied "
            + "and why (no rule, a boolean, a constraint, a bound, a boot setting).", "5.0", "error"),
        ("expired-exemption", "ExpiredExemption", "An [[exempt]] entry is past its 'until' date.",
         "An `[[exempt]]` entry is past its `until` date (the last day it holds) and covers nothing any more: fix the "
            + "policy, or renew the exemption with a reason and a new date.", "5.0", "error"),
        ("unused-exemption", "UnusedExemption", "An [[exempt]] entry covers no violation.",
         "An `[[exempt]]` entry covers no violation: the exception it granted is no longer needed; delete it.", nil, "note"),
    ]

    /// The rule's section in docs/CHECK-RULES.md ("Findings").
    static func helpURI(_ id: String) -> String { ArgusProject.documentation("CHECK-RULES.md", anchor: id) }

    static func uri(_ path: String) -> String {
        let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
        return path.hasPrefix("/") ? "file://" + encoded : encoded
    }

    static func physicalLocation(_ location: SourceLocation) -> [String: Any] {
        var physical: [String: Any] = ["artifactLocation": ["uri": uri(location.file)]]
        if let line = location.line { physical["region"] = ["startLine": line] }
        return physical
    }

    static func result(ruleId: String, level: String, message: String, rule: CheckRule, finding: CheckFinding?,
                       fingerprint: String, suppression: String?) -> [String: Any] {
        var result: [String: Any] = [
            "ruleId": ruleId,
            "ruleIndex": ruleDescriptions.firstIndex { $0.id == ruleId }!,
            "level": level,
            "message": ["text": message],
            "locations": [["physicalLocation": physicalLocation(rule.location)]],
            // Stable across runs and line moves (CheckFingerprint), so code scanning tracks the alert.
            "partialFingerprints": ["argusFinding/v2": fingerprint],
        ]
        var related: [[String: Any]] = []
        for hook in finding?.explanation ?? [] {
            for policyRule in hook.rules {
                var entry: [String: Any] = ["id": related.count + 1, "message": ["text": policyRule.text]]
                if let location = policyRule.location { entry["physicalLocation"] = physicalLocation(location) }
                related.append(entry)
            }
        }
        if !related.isEmpty { result["relatedLocations"] = related }
        if let suppression { result["suppressions"] = [["kind": "external", "justification": suppression]] }
        if let counterexample = finding?.counterexample { result["properties"] = ["counterexample": counterexample] }
        return result
    }

    static func findingMessage(_ f: CheckFinding) -> String {
        var text = "\(f.rule.summary): \(f.message)."
        if let reason = f.rule.reason { text += " Reason: \(reason)." }
        let chain = CheckFormatter.explanationLines(f)
        if !chain.isEmpty { text += "\n" + chain.joined(separator: "\n") }
        return text
    }

    static func render(_ run: CheckRun) throws -> String {
        let r = run.report
        var results: [[String: Any]] = []
        for f in r.violations {
            results.append(result(ruleId: f.kind.rawValue, level: "error", message: findingMessage(f), rule: f.rule, finding: f,
                                  fingerprint: CheckFingerprint.of(f, in: r), suppression: nil))
        }
        for e in r.exempted {
            results.append(result(ruleId: e.finding.kind.rawValue, level: "error", message: findingMessage(e.finding), rule: e.finding.rule,
                                  finding: e.finding, fingerprint: CheckFingerprint.of(e.finding, in: r), suppression: "exempted by \(e.exemption.location): \(e.exemption.reason ?? "")"))
        }
        for f in r.baselineSuppressed {
            results.append(result(ruleId: f.kind.rawValue, level: "error", message: findingMessage(f), rule: f.rule, finding: f,
                                  fingerprint: CheckFingerprint.of(f, in: r), suppression: "already so in the baseline policy \(run.baselinePolicy ?? "")"))
        }
        for e in r.unusedExemptions {
            results.append(result(ruleId: "unused-exemption", level: "note", message: "\(e.summary) covers no violation.",
                                  rule: e, finding: nil, fingerprint: CheckFingerprint.ofUnusedExemption(e, in: r), suppression: nil))
        }
        let driver: [String: Any] = [
            "name": "argus",
            "fullName": "argus check",
            "version": ArgusVersion.number,
            "semanticVersion": ArgusVersion.number,
            "informationUri": ArgusProject.repositoryURL,
            "rules": ruleDescriptions.map { d -> [String: Any] in
                var rule: [String: Any] = [
                    "id": d.id, "name": d.name, "shortDescription": ["text": d.text],
                    "fullDescription": ["text": d.help.replacingOccurrences(of: "`", with: "'")],
                    "help": ["text": d.help.replacingOccurrences(of: "`", with: "'"), "markdown": d.help],
                    "helpUri": helpURI(d.id),
                    "defaultConfiguration": ["level": d.level],
                ]
                var properties: [String: Any] = ["tags": d.securitySeverity == nil ? ["maintainability"] : ["security"]]
                if let severity = d.securitySeverity { properties["security-severity"] = severity }
                rule["properties"] = properties
                return rule
            },
        ]
        let sarif: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [[
                "tool": ["driver": driver],
                "invocations": [["executionSuccessful": true, "exitCode": r.passed ? 0 : 1]],
                "properties": ["xen": Dictionary(uniqueKeysWithValues: XenProfileJSON.fields(run.xen, basis: run.xenBasis).map { ($0.key, $0.value) })],
                "results": results,
            ] as [String: Any]],
        ]
        let data = try JSONSerialization.data(withJSONObject: sarif, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// `argus check --format junit`: one test case per rule of the rules file; a broken rule
/// fails with every violation in the failure's text.
enum CheckJUnit {
    /// Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { out += "\u{FFFD}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    static func render(_ run: CheckRun) -> String {
        let r = run.report
        var cases = ""
        var failures = 0
        for rule in r.rules {
            let broken = r.violations.filter { $0.rule == rule }
            let notes = r.exempted.filter { $0.finding.rule == rule || $0.exemption == rule }
                .map { "exempted: \($0.finding.message) (by \($0.exemption.location))" }
                + r.baselineSuppressed.filter { $0.rule == rule }.map { "already in the baseline: \($0.message)" }
                + (r.unusedExemptions.contains(rule) ? ["unused exemption: it covers no violation"] : [])
            let line = rule.location.line.map { " line=\"\($0)\"" } ?? ""
            cases += "    <testcase classname=\"argus.check.\(rule.kind.rawValue)\" name=\"\(escape(CheckFormatter.ruleTitle(rule)))\""
            cases += " file=\"\(escape(rule.location.file))\"\(line)>\n"
            if !broken.isEmpty {
                failures += 1
                let message = broken.map(\.message).joined(separator: "; ")
                let body = broken.map { ([$0.message] + CheckFormatter.explanationLines($0).map { "  " + $0 }).joined(separator: "\n") }
                    .joined(separator: "\n\n")
                cases += "      <failure type=\"\(broken[0].kind.rawValue)\" message=\"\(escape(message))\">"
                cases += escape((rule.reason.map { "reason: \($0)\n" } ?? "") + body) + "</failure>\n"
            }
            if !notes.isEmpty { cases += "      <system-out>\(escape(notes.joined(separator: "\n")))</system-out>\n" }
            cases += "    </testcase>\n"
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"argus check\" tests=\"\(r.rules.count)\" failures=\"\(failures)\" errors=\"0\">\n"
        out += "  <testsuite name=\"\(escape(r.rulesFile))\" tests=\"\(r.rules.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\">\n"
        out += "    <properties>\n"
        out += "      <property name=\"policy\" value=\"\(escape(run.policy))\"/>\n"
        if let system = run.systemFile { out += "      <property name=\"system\" value=\"\(escape(system))\"/>\n" }
        if let universe = run.universe { out += "      <property name=\"universe\" value=\"\(escape(universe.description))\"/>\n" }
        for field in XenProfileJSON.fields(run.xen, basis: run.xenBasis) {
            out += "      <property name=\"xen.\(field.key)\" value=\"\(escape(field.value))\"/>\n"
        }
        if let base = run.baselinePolicy { out += "      <property name=\"baseline\" value=\"\(escape(base))\"/>\n" }
        out += "      <property name=\"today\" value=\"\(r.today)\"/>\n"
        out += "    </properties>\n"
        out += cases
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}
