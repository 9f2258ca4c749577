import ArgusAnalysis
import ArgusExposure
import Flask

/// `argus check POLICY --rules FILE` without a system file: the rules over the universe of labels
/// (docs/CHECK-RULES.md, "Without a system file").
///
/// - `[[never]]` fails when some valid combination has the flow: any labels matched by the
///   selectors, any relation two domains can be in, any boolean setting considered,
///   mac-permissive off or on; for `path`, any chain of domains that could exist.
/// - `[[must]]` fails when some pair of matched labels, as two unrelated domains, lacks the flow
///   under some boolean setting considered, with mac-permissive off (on for
///   `register_any_source`, which needs it); for `path`, when no chain of any labels connects them.
///
/// Findings are per (source type, target type): the first combination found is the
/// counterexample, a system file that the real audit confirms (checked here; a disagreement is a
/// bug in Argus and traps, as in `argus exposure`).
public struct UniverseCheck {
    public let rules: CheckRulesFile
    public let today: CalendarDate

    public init(rules: CheckRulesFile, today: CalendarDate) {
        self.rules = rules
        self.today = today
    }

    /// How a covered label (pair) breaks a rule.
    enum Witness {
        /// The flow holds (never) or fails (must) for these labels in this relation (nil: one domain).
        case flow(relation: ExposureRelation?, setting: Int, mac: Bool)
        /// A path exists (never).
        case chain(UniverseChain)
        /// No path under this setting (must).
        case noPath(setting: Int)
    }

    struct Hit {
        var source: Int
        var target: Int?
        var witness: Witness
    }

    public func run(_ table: ExposureFlowTable, baseline: ExposureFlowTable? = nil) throws(InputError) -> CheckReport {
        let universe = table.universe
        struct Exemption { var rule: CheckRule; var from: Set<Int>; var to: Set<Int>? }
        var active: [Exemption] = []
        var expired: [CheckFinding] = []
        for e in rules.exemptions {
            let from = Set(try UniverseSelection.contexts(matching: e.from, at: e.fromLocation, in: universe, strict: true))
            let to = try e.to.map { sel throws(InputError) in
                Set(try UniverseSelection.contexts(matching: sel, at: e.toLocation ?? e.location, in: universe, strict: true))
            }
            if e.isExpired(on: today) {
                expired.append(CheckFinding(kind: .expiredExemption, rule: e, instance: nil, explanation: []))
            } else {
                active.append(Exemption(rule: e, from: from, to: to))
            }
        }
        var used = Set<Int>()
        var violations: [CheckFinding] = []
        var exempted: [ExemptedFinding] = []
        var oldKeys = Set<String>()
        if let baseline {
            for rule in rules.flowRules {
                for hit in try hits(of: rule, in: baseline, strict: false) {
                    oldKeys.insert(Self.key(rule, instance(rule, hit, baseline.universe)))
                }
            }
        }
        var suppressed: [CheckFinding] = []
        for rule in rules.flowRules {
            // Per (source type, target type): the first uncovered hit, else the first exempted one.
            var order: [String] = []
            var groups: [String: (violation: Hit?, exempted: (Hit, Int)?)] = [:]
            for hit in try hits(of: rule, in: table, strict: true) {
                let key = instance(rule, hit, universe).description
                if groups[key] == nil { order.append(key); groups[key] = (nil, nil) }
                let cover = active.firstIndex { e in
                    e.rule.flow == rule.flow && e.from.contains(hit.source)
                        && (hit.target.map { t in e.to?.contains(t) ?? false } ?? (e.to == nil))
                }
                if let cover {
                    used.insert(cover)
                    if groups[key]!.exempted == nil { groups[key]!.exempted = (hit, cover) }
                } else if groups[key]!.violation == nil {
                    groups[key]!.violation = hit
                }
            }
            for key in order {
                let group = groups[key]!
                if let hit = group.violation {
                    let f = finding(rule, hit, table)
                    if oldKeys.contains(Self.key(rule, f.instance!)) { suppressed.append(f) } else { violations.append(f) }
                } else if let (hit, e) = group.exempted {
                    exempted.append(ExemptedFinding(finding: finding(rule, hit, table), exemption: active[e].rule))
                }
            }
        }
        let unused = active.indices.filter { !used.contains($0) }.map { active[$0].rule }
        return CheckReport(rulesFile: rules.path, today: today, rules: rules.rules, violations: violations + expired,
                           exempted: exempted, baselineSuppressed: suppressed, unusedExemptions: unused,
                           hasBaseline: baseline != nil)
    }

    static func key(_ rule: CheckRule, _ instance: FlowInstance) -> String { "\(rule.location)|\(instance.description)" }

    /// The finding's subject: the types of the labels, as `type:NAME`.
    func instance(_ rule: CheckRule, _ hit: Hit, _ universe: ExposureUniverse) -> FlowInstance {
        let policy = universe.policy
        func name(_ c: Int) -> String { "type:" + policy.typeName(universe.contexts[c].type) }
        return FlowInstance(source: name(hit.source), target: hit.target.map(name), flow: rule.flow)
    }

    // MARK: evaluation

    /// Every covered label (pair) that breaks the rule, with a witness, in universe order.
    func hits(of rule: CheckRule, in table: ExposureFlowTable, strict: Bool) throws(InputError) -> [Hit] {
        let universe = table.universe
        let sources = try UniverseSelection.contexts(matching: rule.from, at: rule.fromLocation, in: universe, strict: strict)
        let targets = try rule.to.map { sel throws(InputError) in
            try UniverseSelection.contexts(matching: sel, at: rule.toLocation ?? rule.location, in: universe, strict: strict)
        }
        let never = rule.kind == .never
        let chunks = 0..<table.chunkCount
        var out: [Hit] = []
        func first(_ masks: (Int) -> UInt64) -> (setting: Int, found: Bool) {
            for c in chunks {
                let m = masks(c) & table.valid(chunk: c)
                if m != 0 { return (table.setting(chunk: c, bit: m.trailingZeroBitCount), true) }
            }
            return (0, false)
        }
        guard let targets else {
            // One domain: argo, or register_any_source (mac-permissive on: it needs it).
            let mac = rule.flow == .registerAnySource
            for i in sources {
                let flow: (Int) -> UInt64 = mac ? { table.registerAnySource(i, chunk: $0) } : { table.argo(i, chunk: $0) }
                let (setting, found) = first { never ? flow($0) : ~flow($0) }
                if found { out.append(Hit(source: i, target: nil, witness: .flow(relation: nil, setting: setting, mac: mac))) }
            }
            return out
        }
        if rule.flow == .path {
            let paths = UniversePaths(table)
            for i in sources {
                let reach = paths.reach(from: [i], mac: never, maxHops: rule.maxHops)
                for j in targets {
                    if never {
                        let loop = i == j && chunks.contains { paths.loopback(i, chunk: $0, mac: true) != 0 }
                        guard loop || chunks.contains(where: { reach[$0][j] != 0 }) else { continue }
                        guard let chain = paths.shortestChain(from: [i], to: [j], maxHops: rule.maxHops, loopbacks: i == j) else {
                            preconditionFailure("check: a path found by reachability has no chain (a bug in Argus)")
                        }
                        out.append(Hit(source: i, target: j, witness: .chain(chain)))
                    } else {
                        let (setting, found) = first { ~reach[$0][j] }
                        if found { out.append(Hit(source: i, target: j, witness: .noPath(setting: setting))) }
                    }
                }
            }
            return out
        }
        for i in sources {
            for j in targets {
                if never {
                    var relations: [ExposureRelation] = [.unrelated]
                    if i == j { relations.append(.same) }
                    if table.deviceModelsMatter(i, j) { relations += [.sourceIsDeviceModel, .targetIsDeviceModel] }
                    search: for mac in rule.flow == .channel ? [false, true] : [false] {
                        for relation in relations {
                            let (setting, found) = first { c in
                                table.pair(i, j, relation, chunk: c).map { Self.mask(rule.flow, $0, mac: mac) } ?? 0
                            }
                            if found {
                                out.append(Hit(source: i, target: j, witness: .flow(relation: relation, setting: setting, mac: mac)))
                                break search
                            }
                        }
                    }
                } else {
                    let (setting, found) = first { c in ~(table.pair(i, j, .unrelated, chunk: c).map { Self.mask(rule.flow, $0, mac: false) } ?? 0) }
                    if found { out.append(Hit(source: i, target: j, witness: .flow(relation: .unrelated, setting: setting, mac: false))) }
                }
            }
        }
        return out
    }

    static func mask(_ flow: AuditFlowName, _ p: ExposureFlowTable.PairFlows, mac: Bool) -> UInt64 {
        switch flow {
        case .registerSingleSource: p.registerSingleSource
        case .send, .notify: p.send
        case .channel: p.channel(macPermissive: mac)
        default: 0
        }
    }

    // MARK: findings with audited counterexamples

    func finding(_ rule: CheckRule, _ hit: Hit, _ table: ExposureFlowTable) -> CheckFinding {
        let universe = table.universe
        let policy = table.policy
        let labels = universe.contexts.map { policy.string($0) }
        let kind: CheckFinding.Kind = rule.kind == .never ? .forbiddenFlow : .missingFlow
        let title = "Counterexample for \(rule.summary) (\(rule.location))"
        let subject = instance(rule, hit, universe)
        switch hit.witness {
        case .flow(let relation, let setting, let mac):
            var domains = [Exposure.SystemFileDomain(name: "a", label: labels[hit.source])]
            var target: String?
            if let j = hit.target {
                switch relation ?? .unrelated {
                case .same: target = "a"
                case let r:
                    domains.append(Exposure.SystemFileDomain(name: "b", label: labels[j]))
                    target = "b"
                    if r == .sourceIsDeviceModel { domains[0].target = "b" }
                    if r == .targetIsDeviceModel { domains[1].target = "a" }
                }
            }
            let booleans = table.booleanValues(setting: setting)
            var words = relation.map { ": \($0.words)" } ?? ""
            if rule.kind == .must { words += ", where it does not hold" }
            let text = Exposure.systemFile(title: title + words, domains: domains, booleans: booleans, macPermissive: mac)
            let (system, audit) = Self.audit(text, policy: policy, booleans: booleans)
            let i = system.index(ofDomain: "a")!, j = target.map { system.index(ofDomain: $0)! }
            let holds = audit.holds(rule.flow, i, j)
            precondition(holds == (rule.kind == .never), "check: the audit disagrees with exposure on \(subject.description) (a bug in Argus)\n\(text)")
            let chain = Explainer(system).explain(flow: rule.flow.rawValue, i, j).filter { $0.allowed == holds }
            return CheckFinding(kind: kind, rule: rule, instance: subject, explanation: chain, counterexample: text,
                                note: Self.describe(labels: domains.map(\.label), relation: relation, booleans: booleans, mac: mac))
        case .chain(let path):
            let booleans = table.booleanValues(setting: path.setting)
            let audited = ChainCounterexample(path, title: title + ": a path of \(path.hops) hop\(path.hops == 1 ? "" : "s")", table: table)
            let shown = zip(path.names, path.contexts).map { "\($0.0) (\(labels[$0.1]))" }
            return CheckFinding(kind: kind, rule: rule, instance: subject, explanation: audited.hops.flatMap(\.explanation), path: shown,
                                counterexample: audited.text, note: shown.joined(separator: " -> ") + Self.settingWords(booleans, path.macPermissive))
        case .noPath(let setting):
            let booleans = table.booleanValues(setting: setting)
            let domains = [Exposure.SystemFileDomain(name: "a", label: labels[hit.source]),
                           Exposure.SystemFileDomain(name: "b", label: labels[hit.target!])]
            let text = Exposure.systemFile(title: title + ": no chain of any valid labels connects a to b under these booleans",
                                           domains: domains, booleans: booleans, macPermissive: false)
            let (system, audit) = Self.audit(text, policy: policy, booleans: booleans)
            let within = ChannelGraph(audit).distances(from: 0, maxHops: rule.maxHops)[1]
            precondition(within == nil, "check: the audit finds a path exposure says does not exist (a bug in Argus)\n\(text)")
            let chain = Explainer(system).explain(flow: "channel", 0, 1).filter { !$0.allowed }
            return CheckFinding(kind: kind, rule: rule, instance: subject, explanation: chain, counterexample: text,
                                note: "no chain of any valid labels from \(labels[hit.source]) to \(labels[hit.target!])"
                                    + (rule.maxHops.map { " within \($0) hops" } ?? "") + Self.settingWords(booleans, false))
        }
    }

    static func describe(labels: [String], relation: ExposureRelation?, booleans: [String: Bool], mac: Bool) -> String {
        var text = "e.g. " + labels.joined(separator: " -> ")
        if let relation, relation != .unrelated { text += ", \(relation.words)" }
        return text + settingWords(booleans, mac)
    }

    static func settingWords(_ booleans: [String: Bool], _ mac: Bool) -> String {
        var parts = booleans.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        if mac { parts.append("mac-permissive on") }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: ", ")
    }

    /// Parses a counterexample back and audits it, as `argus audit` would.
    static func audit(_ text: String, policy: Policy, booleans: [String: Bool]) -> (ResolvedSystem, ArgoAudit) {
        do {
            let inventory = try SystemInventory.parse(text: text, path: "counterexample.toml")
            let system = try ResolvedSystem(inventory: inventory, policy: policy, booleans: booleans)
            return (system, ArgoAudit(system))
        } catch {
            preconditionFailure("check: the audit refuses a counterexample: \(error) (a bug in Argus)\n\(text)")
        }
    }
}
