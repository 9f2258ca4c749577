import XenProfile
import ArgoEngine
import ArgusAnalysis
import DecisionTable
import Flask

/// "What could anyone start next to this VM?": for each domain of a real system, which labels a
/// newly created domain could carry and reach it, or be reached by it, over Argo.
///
/// The answer is the real audit: the system is audited once with, added to it, one new domain
/// per valid label (unrelated to everything) and one per label and existing domain acting as that
/// domain's device model. Booleans and boot settings are the system's (defaults and `--bool`).
public struct WhatIfReport: Sendable {
    /// One existing domain and what new domains could do with it.
    public struct Row: Sendable {
        public var domain: String
        public var label: String
        /// Per pair flow (register_single_source, send, notify, channel): new labels → this domain.
        public var reaching: [[Answer]]
        /// Per pair flow: this domain → new labels.
        public var reached: [[Answer]]
    }
    /// A domain type whose labels (some or all) have the flow.
    public struct Answer: Sendable, Equatable {
        public var type: String
        public var answer: ExposureAnswer
        /// The labels (and relation) with the flow, when not all.
        public var labels: [String]
    }
    public var policyPath: String
    public var systemPath: String
    public var boot: BootSettings
    public var booleans: [String: Bool]
    public var contextCount: Int
    public var deviceModelsConsidered: Bool
    public var rows: [Row]
}

extension Exposure {
    /// New device-model domains are only added while labels × domains stays under this.
    public static let whatIfDeviceModelLimit = 4_096

    public static func whatIf(policy: Policy, inventory: SystemInventory, booleans: [String: Bool] = [:],
                              limits: ExposureLimits = ExposureLimits()) throws(InputError) -> WhatIfReport {
        var overrides: [UInt32: Bool] = [:]
        for (name, value) in booleans {
            guard let v = policy.booleanValue(name) else { throw InputError("unknown boolean '\(name)' in the policy", file: policy.origin.path) }
            overrides[v] = value
        }
        let evaluator = AccessEvaluator(TypeEnforcement(policy: policy, booleanOverrides: overrides))
        let universe = ExposureUniverse(policy: policy, evaluator: evaluator, limits: limits)
        // The existing domains' contexts, to leave out device models whose target SID Xen refuses.
        let existingContexts = inventory.domains.map { try? policy.context($0.label) }
        let existing = inventory.domains
        var used = Set(existing.map(\.domid))
        var next: UInt16 = 1
        func freshDomid() -> UInt16 {
            while used.contains(next) { next += 1 }
            used.insert(next)
            return next
        }
        var domains = existing
        // (context index, the existing domain it serves as device model, if any) per new domain.
        var added: [(context: Int, deviceModelOf: Int?)] = []
        let withDeviceModels = universe.contexts.count * existing.count <= whatIfDeviceModelLimit
        let names = Set(existing.map(\.name))
        func name(_ k: Int) -> String {
            var n = "argus-new-\(k)"
            while names.contains(n) { n += "'" }
            return n
        }
        for (k, c) in universe.contexts.enumerated() {
            guard domains.count < Int(SystemInventory.maxDomid) else { break }
            domains.append(DomainSpec(name: name(domains.count), domid: freshDomid(), label: policy.string(c)))
            added.append((k, nil))
            if withDeviceModels {
                for (d, target) in existing.enumerated() {
                    guard let tc = existingContexts[d], let domainClass = evaluator.processClass,
                          (try? evaluator.transition(tc, c, tclass: domainClass)) != nil else { continue }
                    domains.append(DomainSpec(name: name(domains.count), domid: freshDomid(), label: policy.string(c), target: target.name))
                    added.append((k, d))
                }
            }
        }
        let system = try ResolvedSystem(inventory: SystemInventory(boot: inventory.boot, domains: domains, path: inventory.path), policy: policy, booleans: booleans)
        return assemble(policy, inventory, booleans, universe, system, added, deviceModels: withDeviceModels)
    }

    static func assemble(_ policy: Policy, _ inventory: SystemInventory, _ booleans: [String: Bool], _ universe: ExposureUniverse,
                         _ system: ResolvedSystem, _ added: [(context: Int, deviceModelOf: Int?)], deviceModels: Bool) -> WhatIfReport {
        let audit = ArgoAudit(system)
        let n = inventory.domains.count
        let flows: [ArgoAudit.Flow] = [.registerSingleSource, .send, .notify, .channel]
        var rows: [WhatIfReport.Row] = []
        for (d, dom) in inventory.domains.enumerated() {
            var reaching: [[WhatIfReport.Answer]] = [], reached: [[WhatIfReport.Answer]] = []
            for flow in flows {
                for direction in 0..<2 {
                    // Per domain type: labels with the flow and labels in play.
                    var have: [Int: [String]] = [:], total: [Int: Int] = [:]
                    for (k, a) in added.enumerated() where a.deviceModelOf == nil || a.deviceModelOf == d {
                        let x = n + k
                        let t = universe.index(ofType: universe.contexts[a.context].type)!
                        total[t, default: 0] += 1
                        let ok = direction == 0 ? audit.has(flow, x, d) : audit.has(flow, d, x)
                        if ok {
                            let label = policy.string(universe.contexts[a.context]) + (a.deviceModelOf == nil ? "" : " (as its device model)")
                            have[t, default: []].append(label)
                        }
                    }
                    let answers = have.keys.sorted().map { t in
                        let all = have[t]!.count == total[t]!
                        return WhatIfReport.Answer(type: policy.typeName(universe.domainTypes[t]), answer: all ? .always : .conditional, labels: all ? [] : have[t]!)
                    }
                    if direction == 0 { reaching.append(answers) } else { reached.append(answers) }
                }
            }
            rows.append(WhatIfReport.Row(domain: dom.name, label: dom.label, reaching: reaching, reached: reached))
        }
        return WhatIfReport(policyPath: policy.origin.path, systemPath: inventory.path, boot: inventory.boot, booleans: booleans,
                            contextCount: universe.contexts.count, deviceModelsConsidered: deviceModels, rows: rows)
    }
}
