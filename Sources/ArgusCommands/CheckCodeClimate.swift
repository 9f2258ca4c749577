import ArgusAnalysis
import Flask
import Foundation

/// `argus check --format codeclimate`: the Code Climate issue list GitLab's code-quality report
/// reads (`artifacts: reports: codequality:`). One issue per finding, at the rule's line in the
/// rules file:
///
/// - violations (what fails the gate) and violations already in the baseline policy: `critical`
///   for a forbidden flow, `major` for a missing flow or an expired exemption;
/// - exempted violations and unused exemptions: `info`.
///
/// GitLab compares `fingerprint`s between the base branch's report and the merge request's, so
/// each is stable across runs and across edits that only move lines (`CheckFingerprint`).
/// `location.path` is relative to the working directory when the rules file is under it, as
/// GitLab expects paths from the repository root.
enum CheckCodeClimate {
    static func severity(_ kind: CheckFinding.Kind) -> String {
        switch kind {
        case .forbiddenFlow: "critical"
        case .missingFlow, .expiredExemption: "major"
        }
    }

    /// `path` relative to `directory` when under it; "./" dropped.
    static func relativePath(_ path: String, to directory: String?) -> String {
        var path = path
        if let directory, !directory.isEmpty {
            let base = directory.hasSuffix("/") ? directory : directory + "/"
            if path.hasPrefix(base) { path = String(path.dropFirst(base.count)) }
        }
        while path.hasPrefix("./") { path = String(path.dropFirst(2)) }
        return path
    }

    static func issue(checkName: String, description: String, body: [String], severity: String, fingerprint: String,
                      at location: SourceLocation, relativeTo directory: String?) -> [String: Any] {
        var issue: [String: Any] = [
            "type": "issue",
            "check_name": checkName,
            "description": description,
            "categories": ["Security"],
            "severity": severity,
            "fingerprint": fingerprint,
            "location": [
                "path": relativePath(location.file, to: directory),
                "lines": ["begin": location.line ?? 1],
            ] as [String: Any],
        ]
        if !body.isEmpty { issue["content"] = ["body": body.joined(separator: "\n")] }
        return issue
    }

    static func render(_ run: CheckRun, relativeTo directory: String?) throws -> String {
        let r = run.report
        var issues: [[String: Any]] = []
        func add(_ f: CheckFinding, severity: String, note: String?) {
            var description = "\(f.rule.summary): \(f.message)"
            if let note { description += " (\(note))" }
            var body = f.rule.reason.map { ["reason: \($0)"] } ?? []
            body += CheckFormatter.explanationLines(f)
            issues.append(issue(checkName: f.kind.rawValue, description: description, body: body, severity: severity,
                                fingerprint: CheckFingerprint.of(f, in: r), at: f.rule.location, relativeTo: directory))
        }
        for f in r.violations { add(f, severity: severity(f.kind), note: nil) }
        for f in r.baselineSuppressed { add(f, severity: severity(f.kind), note: "already so in the baseline policy") }
        for e in r.exempted {
            let until = e.exemption.until.map { " until \($0)" } ?? ""
            add(e.finding, severity: "info",
                note: "exempted by \(relativePath(e.exemption.location.description, to: directory))\(until): \(e.exemption.reason ?? "")")
        }
        for e in r.unusedExemptions {
            issues.append(issue(checkName: "unused-exemption", description: "\(e.summary) covers no violation", body: [],
                                severity: "info", fingerprint: CheckFingerprint.ofUnusedExemption(e, in: r),
                                at: e.location, relativeTo: directory))
        }
        let data = try JSONSerialization.data(withJSONObject: issues, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
