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
    /// `path` rules: the domains of the path found (forbidden), first to last.
    public var path: [String]?
    /// Without a system file: a system file (TOML) that `argus audit` confirms, showing the
    /// flow (forbidden) or its absence (missing).
    public var counterexample: String?
    /// Said after the message: the path, or how the counterexample was chosen.
    public var note: String?

    public init(kind: Kind, rule: CheckRule, instance: FlowInstance?, explanation: [HookExplanation],
                path: [String]? = nil, counterexample: String? = nil, note: String? = nil) {
        self.kind = kind
        self.rule = rule
        self.instance = instance
        self.explanation = explanation
        self.path = path
        self.counterexample = counterexample
        self.note = note
    }

    /// "a1 -> dom0 has channel" and the like, without the rule.
    public var message: String {
        let suffix = note.map { " (\($0))" } ?? ""
        switch kind {
        case .forbiddenFlow: return "\(instance!.description) is allowed" + suffix
        case .missingFlow: return "\(instance!.description) is not allowed" + suffix
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

    public init(finding: CheckFinding, exemption: CheckRule) {
        self.finding = finding
        self.exemption = exemption
    }
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

    public init(rulesFile: String, today: CalendarDate, rules: [CheckRule], violations: [CheckFinding], exempted: [ExemptedFinding],
                baselineSuppressed: [CheckFinding], unusedExemptions: [CheckRule], hasBaseline: Bool) {
        self.rulesFile = rulesFile
        self.today = today
        self.rules = rules
        self.violations = violations
        self.exempted = exempted
        self.baselineSuppressed = baselineSuppressed
        self.unusedExemptions = unusedExemptions
        self.hasBaseline = hasBaseline
    }

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
    /// `processes` answers `service` rules that name a process (`from = "dom0/proc:TYPE"`).
    public func run(_ system: ResolvedSystem, baseline: ResolvedSystem? = nil, processes: (any ProcessGate)? = nil,
                    baselineProcesses: (any ProcessGate)? = nil) throws(InputError) -> CheckReport {
        let audit = ArgoAudit(system)
        let explainer = Explainer(system)
        var paths = PathCache(audit)
        var found: [CheckFinding] = []
        let names = system.domains.map(\.name)
        var serviceAudits: [UInt32?: ServiceAudit] = [:]
        for rule in rules.flowRules {
            if rule.flow == .service {
                let services = serviceAudits[rule.fromPort] ?? ServiceAudit(audit, sourcePort: rule.fromPort)
                serviceAudits[rule.fromPort] = services
                for (i, s) in try Self.serviceInstances(of: rule, in: services, strict: true) {
                    let holds = try Self.serviceHolds(rule, i, s, services: services, processes: processes, strict: true)
                    guard holds == (rule.kind == .never) else { continue }
                    let instance = FlowInstance(source: Self.serviceSource(rule, names[i]), target: ServiceRenderer.name(services, s), flow: .service)
                    found.append(CheckFinding(kind: rule.kind == .never ? .forbiddenFlow : .missingFlow, rule: rule, instance: instance,
                                              explanation: explainer.explain(flow: "send", i, services.services[s].domain).filter { $0.allowed == holds },
                                              note: ServiceRenderer.reason(services, services.reach(sender: i, service: s))))
                }
                continue
            }
            for instance in try Self.instances(of: rule, in: system, strict: true) {
                let flowInstance = FlowInstance(source: names[instance.source], target: instance.target.map { names[$0] }, flow: rule.flow)
                let kind: CheckFinding.Kind = rule.kind == .never ? .forbiddenFlow : .missingFlow
                if rule.flow == .path, let j = instance.target {
                    let route = paths.shortest(instance.source, j, maxHops: rule.maxHops)
                    guard (route != nil) == (rule.kind == .never) else { continue }
                    if let route {
                        // Each hop's channel, by the hooks that make it hold.
                        let chain = zip(route, route.dropFirst()).flatMap { u, v in explainer.explain(flow: "channel", u, v).filter(\.allowed) }
                        let shown = route.map { names[$0] }
                        found.append(CheckFinding(kind: kind, rule: rule, instance: flowInstance, explanation: chain, path: shown,
                                                  note: shown.joined(separator: " -> ")))
                    } else {
                        let within = rule.maxHops.map { " within \($0) hops" } ?? ""
                        found.append(CheckFinding(kind: kind, rule: rule, instance: flowInstance,
                                                  explanation: explainer.explain(flow: "channel", instance.source, j).filter { !$0.allowed },
                                                  note: "no chain of channels\(within); the direct channel's denied hooks follow"))
                    }
                    continue
                }
                let holds = audit.holds(rule.flow, instance.source, instance.target)
                guard holds == (rule.kind == .never) else { continue }
                let chain = explainer.explain(flow: rule.flow.rawValue, instance.source, instance.target)
                found.append(CheckFinding(
                    kind: kind, rule: rule, instance: flowInstance,
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
            let covered: Set<FlowInstance>
            if exemption.flow == .service {
                let services = ServiceAudit(audit, sourcePort: exemption.fromPort)
                covered = Set(try Self.serviceInstances(of: exemption, in: services, strict: true).map {
                    FlowInstance(source: Self.serviceSource(exemption, names[$0.source]), target: ServiceRenderer.name(services, $0.service), flow: .service)
                })
            } else {
                covered = Set(try Self.instances(of: exemption, in: system, strict: true).map {
                    FlowInstance(source: system.domains[$0.source].name, target: $0.target.map { system.domains[$0].name }, flow: exemption.flow)
                })
            }
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
            let oldKeys = Set(Self.findingKeys(rules: rules, in: baseline, processes: baselineProcesses))
            suppressed = remaining.filter { oldKeys.contains($0.baselineKey) }
            remaining.removeAll { oldKeys.contains($0.baselineKey) }
        }
        return CheckReport(rulesFile: rules.path, today: today, rules: rules.rules, violations: remaining + expired,
                           exempted: exemptedFindings, baselineSuppressed: suppressed, unusedExemptions: unused,
                           hasBaseline: baseline != nil)
    }

    /// Keys of every never/must finding under `system`, exemptions not applied.
    static func findingKeys(rules: CheckRulesFile, in system: ResolvedSystem, processes: (any ProcessGate)? = nil) -> [String] {
        let audit = ArgoAudit(system)
        var paths = PathCache(audit)
        var keys: [String] = []
        for rule in rules.flowRules {
            if rule.flow == .service {
                let services = ServiceAudit(audit, sourcePort: rule.fromPort)
                for (i, s) in (try? serviceInstances(of: rule, in: services, strict: false)) ?? [] {
                    let holds = (try? serviceHolds(rule, i, s, services: services, processes: processes, strict: false)) ?? false
                    guard holds == (rule.kind == .never) else { continue }
                    let flow = FlowInstance(source: serviceSource(rule, system.domains[i].name), target: ServiceRenderer.name(services, s), flow: .service)
                    keys.append("\(rule.location)|\(flow.description)")
                }
                continue
            }
            let instances = (try? instances(of: rule, in: system, strict: false)) ?? []
            for instance in instances {
                let holds = if rule.flow == .path, let j = instance.target { paths.shortest(instance.source, j, maxHops: rule.maxHops) != nil }
                    else { audit.holds(rule.flow, instance.source, instance.target) }
                guard holds == (rule.kind == .never) else { continue }
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
        case .role(let name):
            guard let value = policy.roleValue(name) else { try fail("unknown role '\(name)' in the policy") }
            matched = system.domains.indices.filter { system.table.context(of: system.sids[$0])?.role == value }
        case .user(let name):
            guard let value = policy.userValue(name) else { try fail("unknown user '\(name)' in the policy") }
            matched = system.domains.indices.filter { system.table.context(of: system.sids[$0])?.user == value }
        }
        if matched.isEmpty && strict { try fail("selector '\(selector)' matches no domain of \(system.inventory.path)") }
        return matched
    }
}

/// Shortest paths over an audit's channels, one search per source and hop limit.
struct PathCache {
    let graph: ChannelGraph
    private var searched: [String: [Int?]] = [:]

    init(_ audit: ArgoAudit) { graph = ChannelGraph(audit) }

    /// A shortest path from `i` to `j` (nodes, both ends) within `maxHops`, nil when none.
    mutating func shortest(_ i: Int, _ j: Int, maxHops: Int?) -> [Int]? {
        let key = "\(i)/\(maxHops ?? 0)"
        let dist = searched[key] ?? graph.distances(from: i, maxHops: maxHops)
        searched[key] = dist
        guard dist[j] != nil else { return nil }
        return graph.shortestPaths(from: i, to: j, maxHops: maxHops, limit: 1).paths.first
    }
}
