import ArgusAnalysis

/// The identity of an `argus check` finding across runs, for CI systems that track findings
/// from one commit to the next: SARIF's `partialFingerprints` (GitHub code scanning) and the
/// Code Climate `fingerprint` (GitLab's code-quality report compares them between the base
/// branch and a merge request).
///
/// The fingerprint is SHA-256 (swift-crypto) over what the finding *is*, one field a line:
///
///     argus-check/v1
///     <finding kind>          forbidden-flow, missing-flow, expired-exemption, unused-exemption
///     <rule kind>             never, must, exempt
///     <from selector>         as written: a1, type:T, attr:A, *
///     <to selector>           empty for per-domain flows
///     <flow>
///     <ordinal>               1 for the first rule of the file with these kind/from/to/flow, 2 for a duplicate…
///     <source domain>         empty for findings about the rules file itself (exemptions)
///     <target domain>         empty for per-domain flows
///
/// Not hashed, so a change to them keeps the finding's identity: line numbers (rules moved,
/// comments added), the rules file's path as given on the command line, reasons and `until`
/// dates, the message wording, the policy rules behind the finding, and whether it is new,
/// exempted or in the baseline.
enum CheckFingerprint {
    static let version = "argus-check/v1"

    /// The text that is hashed.
    static func identity(kind: String, rule: CheckRule, instance: FlowInstance?, rules: [CheckRule]) -> String {
        let twins = rules.filter { $0.kind == rule.kind && $0.from == rule.from && $0.to == rule.to && $0.flow == rule.flow }
        let ordinal = (twins.firstIndex(of: rule) ?? 0) + 1
        return [
            version, kind, rule.kind.rawValue, rule.from.description, rule.to?.description ?? "", rule.flow.rawValue,
            String(ordinal), instance?.source ?? "", instance?.target ?? "",
        ].joined(separator: "\n")
    }

    /// 64 hex digits.
    static func of(kind: String, rule: CheckRule, instance: FlowInstance?, rules: [CheckRule]) -> String {
        FindingDigest.hex(identity(kind: kind, rule: rule, instance: instance, rules: rules).utf8)
    }

    static func of(_ finding: CheckFinding, in report: CheckReport) -> String {
        of(kind: finding.kind.rawValue, rule: finding.rule, instance: finding.instance, rules: report.rules)
    }

    static func ofUnusedExemption(_ exemption: CheckRule, in report: CheckReport) -> String {
        of(kind: "unused-exemption", rule: exemption, instance: nil, rules: report.rules)
    }
}
