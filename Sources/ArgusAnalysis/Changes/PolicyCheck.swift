import Flask

/// One reason the gate fails (or would, were it not exempted or in the baseline).
public struct CheckFinding: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A `[[never]]` flow holds.
        case forbiddenFlow = "forbidden-flow"
        /// A `[[must]]` flow does not hold.
        case missingFlow = "missing-flow"
        /// An `[[exempt]]` entry is past its `until` date.
        case expiredExemption = "expired-exemption"
    }

    public var kind: Kind
    /// The never/must rule broken, or the expired exemption.
    public var rule: CheckRule
    /// The domain or pair; nil for an expired exemption (it is about the rules file).
    public var instance: FlowInstance?
    /// The hooks that make the flow hold (forbidden) or fail (missing), from the audit's
    /// explainer, with their rules and denial reasons.
    public var explanation: [HookExplanation]

    /// "a1 -> dom0 has channel" and the like, without the rule.
    public var message: String {
        switch kind {
        case .forbiddenFlow: return "\(instance!.description) is allowed"
        case .missingFlow: return "\(instance!.description) is not allowed"
        case .expiredExemption: return "\(rule.summary) expired on \(rule.until!) (the last day it held)"
        }
    }

    /// Identity across policies, for the baseline: the rule and the pair.
    var baselineKey: String { "\(rule.location)|\(instance?.description ?? "")" }
}

/// A finding an active exemption covers.
public struct ExemptedFinding: Sendable, Equatable, Codable {
    public var finding: CheckFinding
    public var exemption: CheckRule
}

/// The outcome of `argus check`: findings as values, before any formatting.
public struct CheckReport: Sendable, Equatable {
    public var rulesFile: String
    public var today: CalendarDate
    public var rules: [CheckRule]
    /// What fails the gate.
    public var violations: [CheckFinding]
    /// Covered by an exemption that has not expired.
    public var exempted: [ExemptedFinding]
    /// Already present under the baseline policy, so not counted.
    public var baselineSuppressed: [CheckFinding]
    /// Active exemptions that covered nothing (stale entries worth deleting); not failures.
    public var unusedExemptions: [CheckRule]
    /// Whether a baseline policy was given.
    public var hasBaseline: Bool

    public var passed: Bool { violations.isEmpty }
}

/// Evaluates a rules file against the audit of a policy over an inventory.
public struct PolicyCheck: Sendable {
    public let rules: CheckRulesFile
    public let today: CalendarDate

    public init(rules: CheckRulesFile, today: CalendarDate) {
        self.rules = rules
        self.today = today
    }

    /// Runs the gate. Selectors are resolved against `system` strictly (an unknown name or a
    /// selector matching no domain is an `InputError` at the rule's line); against `baseline`
    /// leniently (a type the old policy lacks just matches nothing there, so nothing is forgiven).
    public func run(_ system: ResolvedSystem, baseline: ResolvedSystem? = nil) throws(InputError) -> CheckReport {
        let audit = ArgoAudit(system)
        let explainer = Explainer(system)
        var found: [CheckFinding] = []
        for rule in rules.flowRules {
            for instance in try Self.instances(of: rule, in: system, strict: true) {
                let holds = audit.holds(rule.flow, instance.source, instance.target)
                guard holds == (rule.kind == .never) else { continue }
                let chain = explainer.explain(flow: rule.flow.rawValue, instance.source, instance.target)
                found.append(CheckFinding(
                    kind: rule.kind == .never ? .forbiddenFlow : .missingFlow, rule: rule,
                    instance: FlowInstance(source: system.domains[instance.source].name,
                                           target: instance.target.map { system.domains[$0].name }, flow: rule.flow),
                    // The hooks that decide it: the allowed ones for a flow that holds, the denied ones otherwise.
                    explanation: chain.filter { $0.allowed == holds }))
            }
        }

        // Exemptions: active ones cover findings of the same flow on a matched domain or pair.
        var exemptedFindings: [ExemptedFinding] = []
        var unused: [CheckRule] = []
        var expired: [CheckFinding] = []
        var remaining = found
        for exemption in rules.exemptions {
            let covered = Set(try Self.instances(of: exemption, in: system, strict: true).map {
                FlowInstance(source: system.domains[$0.source].name, target: $0.target.map { system.domains[$0].name }, flow: exemption.flow)
            })
            if exemption.isExpired(on: today) {
                expired.append(CheckFinding(kind: .expiredExemption, rule: exemption, instance: nil, explanation: []))
                continue
            }
            var used = false
            remaining.removeAll { finding in
                guard let instance = finding.instance, covered.contains(instance) else { return false }
                exemptedFindings.append(ExemptedFinding(finding: finding, exemption: exemption))
                used = true
                return true
            }
            if !used && !exemptedFindings.contains(where: { $0.exemption == exemption }) { unused.append(exemption) }
        }

        // Baseline: forgive what the old policy already broke (never an expired exemption).
        var suppressed: [CheckFinding] = []
        if let baseline {
            let oldKeys = Set(Self.findingKeys(rules: rules, in: baseline))
            suppressed = remaining.filter { oldKeys.contains($0.baselineKey) }
            remaining.removeAll { oldKeys.contains($0.baselineKey) }
        }
        return CheckReport(rulesFile: rules.path, today: today, rules: rules.rules, violations: remaining + expired,
                           exempted: exemptedFindings, baselineSuppressed: suppressed, unusedExemptions: unused,
                           hasBaseline: baseline != nil)
    }

    /// Keys of every never/must finding under `system`, exemptions not applied.
    static func findingKeys(rules: CheckRulesFile, in system: ResolvedSystem) -> [String] {
        let audit = ArgoAudit(system)
        var keys: [String] = []
        for rule in rules.flowRules {
            let instances = (try? instances(of: rule, in: system, strict: false)) ?? []
            for instance in instances where audit.holds(rule.flow, instance.source, instance.target) == (rule.kind == .never) {
                let flow = FlowInstance(source: system.domains[instance.source].name,
                                        target: instance.target.map { system.domains[$0].name }, flow: rule.flow)
                keys.append("\(rule.location)|\(flow.description)")
            }
        }
        return keys
    }

    /// The domains or ordered pairs (domain indices) a rule covers, a domain with itself included.
    static func instances(of rule: CheckRule, in system: ResolvedSystem, strict: Bool) throws(InputError) -> [(source: Int, target: Int?)] {
        let sources = try domains(matching: rule.from, at: rule.fromLocation, in: system, strict: strict)
        guard let to = rule.to else { return sources.map { ($0, nil) } }
        let targets = try domains(matching: to, at: rule.toLocation ?? rule.location, in: system, strict: strict)
        return sources.flatMap { i in targets.map { (i, $0) } }
    }

    /// The indices of the domains a selector matches; strict resolution fails closed.
    static func domains(matching selector: DomainSelector, at location: SourceLocation, in system: ResolvedSystem,
                        strict: Bool) throws(InputError) -> [Int] {
        let policy = system.policy
        func fail(_ message: String) throws(InputError) -> Never { throw InputError(message, at: location) }
        func labelType(_ i: Int) -> UInt32? { system.table.context(of: system.sids[i])?.type }
        let matched: [Int]
        switch selector {
        case .any:
            matched = Array(system.domains.indices)
        case .domain(let name):
            guard let i = system.index(ofDomain: name) else {
                try fail("unknown domain '\(name)' (not in \(system.inventory.path))")
            }
            matched = [i]
        case .type(let name):
            guard let value = policy.typeValue(name) else { try fail("unknown type '\(name)' in the policy") }
            guard !policy.type(value).isAttribute else { try fail("'\(name)' is an attribute: write attr:\(name)") }
            matched = system.domains.indices.filter { labelType($0) == value }
        case .attribute(let name):
            guard let value = policy.typeValue(name) else { try fail("unknown attribute '\(name)' in the policy") }
            guard policy.type(value).isAttribute else { try fail("'\(name)' is a type, not an attribute: write type:\(name)") }
            matched = system.domains.indices.filter { i in
                guard let t = labelType(i) else { return false }
                return policy.image.typeAttributeMap[Int(t) - 1].contains(value)
            }
        }
        if matched.isEmpty && strict { try fail("selector '\(selector)' matches no domain of \(system.inventory.path)") }
        return matched
    }
}
