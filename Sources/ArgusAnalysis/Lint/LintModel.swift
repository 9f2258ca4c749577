import ArgoEngine
import Flask
import XenProfile

/// One problem a lint check found: which check, where, and what is wrong.
public struct LintFinding: Sendable, Equatable, Codable {
    /// The check's stable id (`ARGO001`…).
    public var id: String
    /// The check's short name (`hypervisor-permission-off-xen`…).
    public var check: String
    /// The first case, or "N cases on this rule" when one rule line gave several.
    public var message: String
    /// Where the rule stands (from the source tree), nil for a binary policy or a policy-wide finding.
    public var location: SourceLocation?
    /// The rule as written (or written back from the binary).
    public var rule: String?
    /// Every case this one rule line gives (one per type or type pair it expands to), in order.
    public var cases: [String]

    public init(id: String, check: String, message: String, reference: RuleReference?) {
        self.id = id
        self.check = check
        self.message = message
        location = reference?.location
        rule = reference?.text
        cases = [message]
    }

    /// Findings of one check on one rule line, merged into one that lists every case.
    public static func grouped(_ findings: [LintFinding]) -> [LintFinding] {
        var out: [LintFinding] = []
        var index: [String: Int] = [:]
        for f in findings {
            guard let location = f.location, let rule = f.rule else { out.append(f); continue }
            let key = "\(f.id)|\(location)|\(rule)"
            if let i = index[key] {
                out[i].cases += f.cases
                out[i].message = "\(out[i].cases.count) cases on this rule"
            } else {
                index[key] = out.count
                out.append(f)
            }
        }
        return out
    }
}

/// A small piece of policy a check is documented and tested with: TE statements placed into
/// a complete minimal Xen policy (see `policyConf`), plus optional `--system` settings.
public struct LintExample: Sendable, CustomStringConvertible {
    /// Statements for the TE section. Declared already: `xen_t` (the `xen` initial SID),
    /// `dom_a_t`, `dom_b_t`, `dom_c_t` (authorised for `system_r`, so domain types), `hv_object_t`.
    public var rules: String
    /// Boot settings, as if from `--system` (nil: lint the policy alone).
    public var boot: BootSettings?
    /// Domain labels, as if from `--system`.
    public var domainLabels: [String]?

    public init(_ rules: String, boot: BootSettings? = nil, domainLabels: [String]? = nil) {
        self.rules = rules
        self.boot = boot
        self.domainLabels = domainLabels
    }

    public var description: String { rules + (boot.map { " [boot: argo=\($0.argo) mac-permissive=\($0.macPermissive)]" } ?? "") }

    /// A complete policy.conf for `checkpolicy -t Xen` around `rules`, given the hypervisor's
    /// definition files (security_classes, initial_sids, access_vectors) as text.
    public func policyConf(securityClasses: String, initialSIDs: String, accessVectors: String) -> String {
        var out = [securityClasses, initialSIDs, accessVectors]
        out.append("""
            type xen_t;
            type dom_a_t;
            type dom_b_t;
            type dom_c_t;
            type hv_object_t;
            role system_r;
            role system_r types { xen_t dom_a_t dom_b_t dom_c_t };
            """)
        out.append(rules)
        out.append("user system_u roles { system_r };")
        let sids = initialSIDs.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return words.count >= 2 && words[0] == "sid" ? String(words[1]) : nil
        }
        for sid in sids {
            out.append(sid == "xen" ? "sid xen system_u:system_r:xen_t" : "sid \(sid) system_u:object_r:hv_object_t")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The lint input for this example once compiled.
    public func input(policy: Policy) -> LintInput {
        LintInput(policy: policy, boot: boot, domainLabels: domainLabels)
    }
}

/// One lint check: a stable id, what it means, and the examples that document and test it.
public struct LintCheck: Sendable {
    public let id: String
    public let name: String
    public let summary: String
    /// Each of these must produce at least one finding from this check.
    public let triggeringExamples: [LintExample]
    /// None of these may produce a finding from this check.
    public let nonTriggeringExamples: [LintExample]
    let issues: @Sendable (ArgoPolicyFacts) -> [LintIssue]

    init(
        id: String, name: String, summary: String,
        triggering: [LintExample], nonTriggering: [LintExample],
        issues: @escaping @Sendable (ArgoPolicyFacts) -> [LintIssue]
    ) {
        self.id = id
        self.name = name
        self.summary = summary
        triggeringExamples = triggering
        nonTriggeringExamples = nonTriggering
        self.issues = issues
    }

    func findings(_ facts: ArgoPolicyFacts) -> [LintFinding] {
        issues(facts).map { LintFinding(id: id, check: name, message: $0.message, reference: $0.reference) }
    }
}

/// What a check's body reports: a message and the rule it is about.
struct LintIssue: Sendable {
    var message: String
    var reference: RuleReference?
    init(_ message: String, _ reference: RuleReference?) {
        self.message = message
        self.reference = reference
    }
}

/// The result of linting a policy: the findings, sorted, without duplicates, one per check
/// and rule line (a rule on an attribute gives one finding listing each type it reaches).
public struct LintReport: Sendable, Codable, Equatable {
    public var policy: String
    /// How domain types were chosen: "system file" or "policy".
    public var domainTypesFrom: String
    public var domainTypes: [String]
    public var findings: [LintFinding]
}

/// `argus lint`: every check over one policy.
public enum ArgoLint {
    /// Runs `checks` (default: all) over `input`.
    public static func run(_ input: LintInput, checks: [LintCheck] = LintChecks.all) throws(InputError) -> LintReport {
        let facts = try ArgoPolicyFacts(input)
        var seen: Set<String> = []
        var findings: [LintFinding] = []
        for check in checks {
            for f in check.findings(facts) {
                let key = "\(f.id)|\(f.location?.description ?? "")|\(f.message)"
                if seen.insert(key).inserted { findings.append(f) }
            }
        }
        findings.sort { a, b in
            if a.id != b.id { return a.id < b.id }
            let la = a.location?.file ?? "", lb = b.location?.file ?? ""
            if la != lb { return la < lb }
            if (a.location?.line ?? 0) != (b.location?.line ?? 0) { return (a.location?.line ?? 0) < (b.location?.line ?? 0) }
            return a.message < b.message
        }
        return LintReport(
            policy: input.policy.origin.path,
            domainTypesFrom: input.domainLabels == nil ? "policy" : "system file",
            domainTypes: facts.sortedDomainTypes.map(facts.name),
            findings: LintFinding.grouped(findings))
    }
}
