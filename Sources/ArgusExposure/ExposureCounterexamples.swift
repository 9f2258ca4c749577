import XenProfile
import ArgoEngine
import ArgusAnalysis
import Flask

/// Turns witnesses into small system files, and has the real audit confirm every one.
struct CounterexampleBuilder {
    let universe: ExposureUniverse
    let booleans: ExposureBooleans
    private var ids: [Exposure.Witness: Int] = [:]
    private var made: [ExposureCounterexample] = []

    init(universe: ExposureUniverse, booleans: ExposureBooleans) {
        self.universe = universe
        self.booleans = booleans
    }

    static func rangeString(_ r: MLSRange, _ policy: Policy) -> String {
        policy.string(r.low) + (r.high != r.low ? "-" + policy.string(r.high) : "")
    }

    /// The id of the counterexample for `w` (made on first use), claiming `flow` too.
    mutating func add(_ w: Exposure.Witness, claim flow: ExposureFlow) -> Int {
        if let id = ids[w] {
            let first = made[id].claims[0]
            made[id].claims.append(.init(flow: flow, source: first.source, target: first.target))
            return id + 1
        }
        let policy = universe.policy
        let id = made.count
        ids[w] = id
        let source = policy.string(universe.contexts[w.source])
        var labels = [source]
        var domains: [(name: String, label: String, target: String?)] = [("a", source, nil)]
        var targetName: String?
        switch w.relation {
        case nil: break
        case .same?: targetName = "a"
        case let relation?:
            let target = policy.string(universe.contexts[w.target!])
            labels.append(target)
            domains.append(("b", target, nil))
            targetName = "b"
            if relation == .sourceIsDeviceModel { domains[0].target = "b" }
            if relation == .targetIsDeviceModel { domains[1].target = "a" }
        }
        let overrides = booleans.overrides(w.setting, policy: policy)
        var title = "Counterexample \(id + 1)"
        if let r = w.relation { title += ": \(r.words)" }
        let text = Exposure.systemFile(title: title, domains: domains.map { Exposure.SystemFileDomain(name: $0.name, label: $0.label, target: $0.target) },
                                       booleans: overrides, macPermissive: w.mac)
        made.append(ExposureCounterexample(
            id: id + 1, systemFile: text, labels: labels, relation: w.relation, booleans: overrides,
            macPermissive: w.mac, claims: [.init(flow: flow, source: "a", target: targetName)]))
        return id + 1
    }

    /// Counterexamples numbered from 1 (cells refer to them by `id`).
    func finish() -> [ExposureCounterexample] { made }

    /// Audits every counterexample with `ResolvedSystem` and `ArgoAudit` and traps when the audit
    /// does not have a flow a counterexample claims: the two would disagree, a bug in Argus.
    /// Counterexamples with the same booleans and boot settings are audited together, 160 at a time
    /// (the audit of a pair depends on those two domains only; the batch size balances building
    /// the table against the audit's pairs), each parsed back from its own system file.
    static func verify(_ all: [ExposureCounterexample], policy: Policy, batch: Int = 160) {
        let groups = Dictionary(grouping: all) { c in c.boolArguments.joined(separator: " ") + " mac=\(c.macPermissive)" }
        for key in groups.keys.sorted() {
            let group = groups[key]!
            var start = 0
            while start < group.count {
                let slice = group[start..<min(start + batch, group.count)]
                start += batch
                var domains: [DomainSpec] = []
                var boot = BootSettings()
                var names: [(Int, [String: String])] = []
                for c in slice {
                    let inventory: SystemInventory
                    do { inventory = try SystemInventory.parse(text: c.systemFile, path: "counterexample-\(c.id).toml") } catch {
                        preconditionFailure("exposure: counterexample \(c.id) is not a valid system file: \(error)\n\(c.systemFile)")
                    }
                    boot = inventory.boot
                    var renamed: [String: String] = [:]
                    for d in inventory.domains { renamed[d.name] = "x\(c.id)-\(d.name)" }
                    for var d in inventory.domains {
                        d.name = renamed[d.name]!
                        d.target = d.target.map { renamed[$0]! }
                        d.domid = UInt16(domains.count + 1)
                        d.privileged = false
                        domains.append(d)
                    }
                    names.append((c.id, renamed))
                }
                let system: ResolvedSystem
                do {
                    system = try ResolvedSystem(inventory: SystemInventory(boot: boot, domains: domains), policy: policy, booleans: slice.first!.booleans)
                } catch {
                    preconditionFailure("exposure: the audit refuses counterexamples \(slice.map(\.id)): \(error)")
                }
                let audit = ArgoAudit(system)
                for (c, (_, renamed)) in zip(slice, names) {
                    for claim in c.claims {
                        let i = system.index(ofDomain: renamed[claim.source]!)!
                        let holds: Bool
                        switch claim.flow {
                        case .argo: holds = audit.domains[i].argo
                        case .registerAnySource: holds = audit.domains[i].registerAnySource
                        default:
                            let j = system.index(ofDomain: renamed[claim.target!]!)!
                            holds = audit.has(ArgoAudit.Flow(rawValue: claim.flow.rawValue)!, i, j)
                        }
                        precondition(holds, "exposure: the audit denies \(claim.flow.rawValue) in counterexample \(c.id), which exposure says has it (a bug in Argus)\n\(c.systemFile)")
                    }
                }
            }
        }
    }
}
