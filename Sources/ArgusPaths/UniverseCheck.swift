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
        /// A path exists (never); the chain is searched only for the findings shown.
        case reachable
        /// A path exists (never): the chain.
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
        // Services are rings a system file declares: there are none without one.
        if let rule = rules.rules.first(where: { $0.flow == .service }) {
            throw InputError("flow 'service' needs --system (services are the rings a system file declares)", at: rule.location)
        }
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
            var cache = ReachCache()
            for rule in rules.flowRules {
                for hit in try hits(of: rule, in: baseline, strict: false, cache: &cache) {
                    oldKeys.insert(Self.key(rule, Self.instance(rule, hit, baseline.universe)))
                }
            }
        }
        var suppressed: [CheckFinding] = []
        enum Place { case violation, baseline, exempted(CheckRule) }
        var cache = ReachCache()
        var pending: [(CounterexamplePlan, Place)] = []
        for rule in rules.flowRules {
            // Per (source type, target type): the first uncovered hit, else the first exempted one.
            var order: [String] = []
            var groups: [String: (violation: Hit?, exempted: (Hit, Int)?)] = [:]
            for hit in try hits(of: rule, in: table, strict: true, cache: &cache) {
                let key = Self.instance(rule, hit, universe).description
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
                    let old = oldKeys.contains(Self.key(rule, Self.instance(rule, hit, universe)))
                    pending.append((CounterexamplePlan(rule, chained(hit, rule, &cache, table), table), old ? .baseline : .violation))
                } else if let (hit, e) = group.exempted {
                    pending.append((CounterexamplePlan(rule, chained(hit, rule, &cache, table), table), .exempted(active[e].rule)))
                }
            }
        }
        // Every counterexample audited, in batches (one decision table per batch).
        let findings = CounterexamplePlan.audit(pending.map(\.0), table: table)
        for (finding, (_, place)) in zip(findings, pending) {
            switch place {
            case .violation: violations.append(finding)
            case .baseline: suppressed.append(finding)
            case .exempted(let e): exempted.append(ExemptedFinding(finding: finding, exemption: e))
            }
        }
        let unused = active.indices.filter { !used.contains($0) }.map { active[$0].rule }
        return CheckReport(rulesFile: rules.path, today: today, rules: rules.rules, violations: violations + expired,
                           exempted: exempted, baselineSuppressed: suppressed, unusedExemptions: unused,
                           hasBaseline: baseline != nil)
    }

    /// The hit with its chain, for a path that exists.
    func chained(_ hit: Hit, _ rule: CheckRule, _ cache: inout ReachCache, _ table: ExposureFlowTable) -> Hit {
        guard case .reachable = hit.witness, let j = hit.target else { return hit }
        guard let chain = cache.graph(table).shortestChain(from: [hit.source], to: [j], maxHops: rule.maxHops, loopbacks: hit.source == j) else {
            preconditionFailure("check: a path found by reachability has no chain (a bug in Argus)")
        }
        var out = hit
        out.witness = .chain(chain)
        return out
    }

    static func key(_ rule: CheckRule, _ instance: FlowInstance) -> String { "\(rule.location)|\(instance.description)" }

    /// The finding's subject: the types of the labels, as `type:NAME`.
    static func instance(_ rule: CheckRule, _ hit: Hit, _ universe: ExposureUniverse) -> FlowInstance {
        let policy = universe.policy
        func name(_ c: Int) -> String { "type:" + policy.typeName(universe.contexts[c].type) }
        return FlowInstance(source: name(hit.source), target: hit.target.map(name), flow: rule.flow)
    }

    // MARK: evaluation

    /// Every covered label (pair) that breaks the rule, with a witness, in universe order.
    func hits(of rule: CheckRule, in table: ExposureFlowTable, strict: Bool) throws(InputError) -> [Hit] {
        var cache = ReachCache()
        return try hits(of: rule, in: table, strict: strict, cache: &cache)
    }

    /// Reachability from one context, per mac-permissive value and hop limit, shared by the rules.
    struct ReachCache {
        var reach: [String: [[UInt64]]] = [:]
        /// The graph of the table last searched (built once per table).
        var paths: UniversePaths?

        mutating func graph(_ table: ExposureFlowTable) -> UniversePaths {
            if let paths, paths.table.policy.origin.path == table.policy.origin.path, paths.n == table.contextCount { return paths }
            let built = UniversePaths(table)
            paths = built
            reach = [:]
            return built
        }

        mutating func from(_ i: Int, mac: Bool, maxHops: Int?, _ paths: UniversePaths) -> [[UInt64]] {
            let key = "\(i)/\(mac)/\(maxHops ?? 0)"
            if let r = reach[key] { return r }
            let r = paths.reach(from: [i], mac: mac, maxHops: maxHops)
            reach[key] = r
            return r
        }
    }

    func hits(of rule: CheckRule, in table: ExposureFlowTable, strict: Bool, cache: inout ReachCache) throws(InputError) -> [Hit] {
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
            let paths = cache.graph(table)
            for i in sources {
                let reach = cache.from(i, mac: never, maxHops: rule.maxHops, paths)
                for j in targets {
                    if never {
                        let loop = i == j && chunks.contains { paths.loopback(i, chunk: $0, mac: true) != 0 }
                        guard loop || chunks.contains(where: { reach[$0][j] != 0 }) else { continue }
                        out.append(Hit(source: i, target: j, witness: .reachable))
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
}
