import ArgusAnalysis
import Foundation
import ArgusExposure
import Flask
import XenProfile

/// A finding of the inventory-free check before its counterexample is audited: the system file,
/// the setting it is for, and what the audit must confirm.
struct CounterexamplePlan {
    enum Claim {
        /// The flow holds (true) or not (false) from domain `source` to `target` (nil: one domain).
        case flow(AuditFlowName, source: String, target: String?, holds: Bool)
        /// Every hop between these domains, in order, is a channel.
        case chain([String])
        /// No channel from `source` to `target` (two domains: no path either).
        case noPath(source: String, target: String)
    }

    var rule: CheckRule
    var subject: FlowInstance
    var text: String
    var booleans: [String: Bool]
    var macPermissive: Bool
    var claim: Claim
    var path: [String]?
    var note: String

    init(_ rule: CheckRule, _ hit: UniverseCheck.Hit, _ table: ExposureFlowTable) {
        let universe = table.universe
        let policy = table.policy
        let labels = universe.contexts.map { policy.string($0) }
        self.rule = rule
        subject = UniverseCheck.instance(rule, hit, universe)
        let title = "Counterexample for \(rule.summary) (\(rule.location))"
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
            booleans = table.booleanValues(setting: setting)
            macPermissive = mac
            var words = relation.map { ": \($0.words)" } ?? ""
            if rule.kind == .must { words += ", where it does not hold" }
            text = Exposure.systemFile(title: title + words, domains: domains, booleans: booleans, macPermissive: mac)
            claim = .flow(rule.flow, source: "a", target: target, holds: rule.kind == .never)
            var note = "e.g. " + domains.map(\.label).joined(separator: " -> ")
            if let relation, relation != .unrelated { note += ", \(relation.words)" }
            self.note = note + Self.settingWords(booleans, mac)
        case .reachable:
            preconditionFailure("check: a path finding without its chain (a bug in Argus)")
        case .chain(let chain):
            booleans = table.booleanValues(setting: chain.setting)
            macPermissive = chain.macPermissive
            text = Exposure.systemFile(title: title + ": a path of \(chain.hops) hop\(chain.hops == 1 ? "" : "s")",
                                       domains: chain.domains(labels: labels), booleans: booleans, macPermissive: chain.macPermissive)
            claim = .chain(chain.names)
            let shown = zip(chain.names, chain.contexts).map { "\($0.0) (\(labels[$0.1]))" }
            path = shown
            note = shown.joined(separator: " -> ") + Self.settingWords(booleans, chain.macPermissive)
        case .noPath(let setting):
            booleans = table.booleanValues(setting: setting)
            macPermissive = false
            let domains = [Exposure.SystemFileDomain(name: "a", label: labels[hit.source]),
                           Exposure.SystemFileDomain(name: "b", label: labels[hit.target!])]
            text = Exposure.systemFile(title: title + ": no chain of any valid labels connects a to b under these booleans",
                                       domains: domains, booleans: booleans, macPermissive: false)
            claim = .noPath(source: "a", target: "b")
            note = "no chain of any valid labels from \(labels[hit.source]) to \(labels[hit.target!])"
                + (rule.maxHops.map { " within \($0) hops" } ?? "") + Self.settingWords(booleans, false)
        }
    }

    static func settingWords(_ booleans: [String: Bool], _ mac: Bool) -> String {
        var parts = booleans.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        if mac { parts.append("mac-permissive on") }
        return parts.isEmpty ? "" : "; " + parts.joined(separator: ", ")
    }

    /// Audits every plan's system file, parsed back from its text, as `argus audit` would, and
    /// turns it into a finding explained by the hooks of that audit. Plans with the same booleans
    /// and mac-permissive are audited together, 160 at a time, each under its own domain names
    /// (the flows of a pair depend on those two domains only). The audit must confirm every claim,
    /// or Argus has a bug: it traps, as `argus exposure` does.
    static func audit(_ plans: [CounterexamplePlan], table: ExposureFlowTable, batch: Int = 160) -> [CheckFinding] {
        var out = [CheckFinding?](repeating: nil, count: plans.count)
        let groups = Dictionary(grouping: plans.indices) { k in
            plans[k].booleans.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + " mac=\(plans[k].macPermissive)"
        }
        for key in groups.keys.sorted() {
            let members = groups[key]!
            var start = 0
            while start < members.count {
                let slice = Array(members[start..<min(start + batch, members.count)])
                start += batch
                let batchAudit = AuditedBatch(slice.map { plans[$0].text }, policy: table.policy, booleans: plans[slice[0]].booleans)
                for (m, k) in slice.enumerated() { out[k] = plans[k].finding(in: batchAudit, member: m) }
            }
        }
        return out.map { $0! }
    }

    func finding(in batch: AuditedBatch, member m: Int) -> CheckFinding {
        let kind: CheckFinding.Kind = rule.kind == .never ? .forbiddenFlow : .missingFlow
        let audit = batch.audit
        func fail(_ what: String) -> Never {
            preconditionFailure("check: \(what) on \(subject.description) (a bug in Argus)\n\(text)")
        }
        switch claim {
        case .flow(let flow, let source, let target, let holds):
            let i = batch.index(m, source), j = target.map { batch.index(m, $0) }
            guard audit.holds(flow, i, j) == holds else { fail("the audit disagrees with exposure") }
            let chain = batch.explainer.explain(flow: flow.rawValue, i, j).filter { $0.allowed == holds }
            return CheckFinding(kind: kind, rule: rule, instance: subject, explanation: batch.strip(chain, m), counterexample: text, note: note)
        case .chain(let names):
            let indices = names.map { batch.index(m, $0) }
            var chain: [HookExplanation] = []
            for (u, v) in zip(indices, indices.dropFirst()) {
                guard audit.has(.channel, u, v) else { fail("the audit has no channel on a path exposure found") }
                chain += batch.explainer.explain(flow: "channel", u, v).filter(\.allowed)
            }
            return CheckFinding(kind: kind, rule: rule, instance: subject, explanation: batch.strip(chain, m), path: path,
                                counterexample: text, note: note)
        case .noPath(let source, let target):
            let i = batch.index(m, source), j = batch.index(m, target)
            guard !audit.has(.channel, i, j) else { fail("the audit finds a path exposure says does not exist") }
            let chain = batch.explainer.explain(flow: "channel", i, j).filter { !$0.allowed }
            return CheckFinding(kind: kind, rule: rule, instance: subject, explanation: batch.strip(chain, m), counterexample: text, note: note)
        }
    }
}

/// System files audited together: each parsed back from its own text, its domains renamed
/// `cxN-NAME` (N: its place in the batch) in one inventory, one decision table for all.
struct AuditedBatch {
    let system: ResolvedSystem
    let audit: ArgoAudit
    let explainer: Explainer
    private let indices: [[String: Int]]

    init(_ texts: [String], policy: Policy, booleans: [String: Bool]) {
        var domains: [DomainSpec] = []
        var boot = BootSettings()
        var renamed: [[String: String]] = []
        for (m, text) in texts.enumerated() {
            let inventory: SystemInventory
            do { inventory = try SystemInventory.parse(text: text, path: "counterexample.toml") } catch {
                preconditionFailure("check: a counterexample is not a valid system file: \(error) (a bug in Argus)\n\(text)")
            }
            boot = inventory.boot
            var names: [String: String] = [:]
            for d in inventory.domains { names[d.name] = "cx\(m)-\(d.name)" }
            for var d in inventory.domains {
                d.name = names[d.name]!
                d.target = d.target.map { names[$0]! }
                d.domid = UInt16(domains.count + 1)
                domains.append(d)
            }
            renamed.append(names)
        }
        do {
            system = try ResolvedSystem(inventory: SystemInventory(boot: boot, domains: domains), policy: policy, booleans: booleans)
        } catch {
            preconditionFailure("check: the audit refuses counterexamples: \(error) (a bug in Argus)")
        }
        audit = ArgoAudit(system)
        explainer = Explainer(system)
        let position = Dictionary(uniqueKeysWithValues: system.domains.enumerated().map { ($0.element.name, $0.offset) })
        indices = renamed.map { names in names.mapValues { position[$0]! } }
    }

    /// The index of domain `name` of member `m`.
    func index(_ m: Int, _ name: String) -> Int { indices[m][name]! }

    /// Explanations as the member's own system file names its domains.
    func strip(_ chain: [HookExplanation], _ m: Int) -> [HookExplanation] {
        let prefix = "cx\(m)-"
        return chain.map { e in
            var e = e
            e.source = e.source.replacingOccurrences(of: prefix, with: "")
            e.target = e.target?.replacingOccurrences(of: prefix, with: "")
            e.steps = e.steps.map { $0.replacingOccurrences(of: prefix, with: "") }
            return e
        }
    }
}
