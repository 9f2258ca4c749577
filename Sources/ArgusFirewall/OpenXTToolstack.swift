import ArgoEngine
import Flask

/// A running VM as OpenXT's toolstack sees it when it reduces firewall rules.
public struct OpenXTVM: Sendable, Hashable {
    public var name: String
    public var domid: UInt16
    /// The device model's domain, if the VM has a stub domain.
    public var stubdomDomid: UInt16?
    public var uuid: String
    /// `ndvm`, `uivm`, ... for service VMs; `svm` for user VMs.
    public var type: String
    /// Counts for `seamless` only when the VM is of type `svm` (xenmgr reads the setting only then).
    public var seamless: Bool
    /// The VM's `argo-firewall-rules`, each with the place it was written.
    public var rules: [WrittenOpenXTRule]

    public init(name: String, domid: UInt16, stubdomDomid: UInt16? = nil, uuid: String, type: String = "svm",
                seamless: Bool = false, rules: [WrittenOpenXTRule] = []) {
        self.name = name
        self.domid = domid
        self.stubdomDomid = stubdomDomid
        self.uuid = uuid
        self.type = type
        self.seamless = seamless
        self.rules = rules
    }
}

/// What xenmgr does to the firewall when it starts with `vms` running (OpenXT/manager,
/// `reworkRules` around `applyVmFirewallRules` for each running VM): the commands it runs, in
/// order, each with the rule it came from. See docs/FIREWALL.md, "OpenXT's toolstack".
public enum OpenXTToolstack {
    /// A concrete rule after reduction, with its origin.
    struct Reduced: Equatable {
        var rule: VIPTablesRule
        var origin: FirewallOrigin
        static func == (a: Reduced, b: Reduced) -> Bool { a.rule == b.rule }
    }

    public static func startupCommands(vms: [OpenXTVM]) -> [(command: VIPTablesCommand, origin: FirewallOrigin)] {
        let any = ArgoAddress(aport: ArgoABI.portAny, domainID: ArgoABI.domidAny)
        let acceptAll = VIPTablesRule(source: any, destination: any, accept: 1)
        var out: [(VIPTablesCommand, FirewallOrigin)] = [
            (.flush, .toolstackFrame("viptables -F")),
            (.append(acceptAll), .toolstackFrame("viptables -A -j ACCEPT (while the rules are applied)")),
        ]
        let seamless = vms.filter { $0.type == "svm" && $0.seamless }.map(\.uuid)
        for vm in vms {
            let before = rules(for: vms.filter { $0.uuid != vm.uuid }, seamless: seamless)
            let after = rules(for: vms, seamless: seamless)
            // xenmgr's `changeset`: removals of what is gone, then additions of what is new,
            // each a plain list difference (every copy of an element present on the other side goes).
            for r in before where !after.contains(r) { out.append((.deleteMatching(r.rule), r.origin)) }
            for r in after where !before.contains(r) { out.append((.insert(r.rule, position: 1), r.origin)) }
        }
        out.append((.deleteMatching(acceptAll), .toolstackFrame("viptables -D -j ACCEPT")))
        let dom0 = ArgoAddress(aport: ArgoABI.portAny, domainID: 0)
        out.append((.append(VIPTablesRule(source: dom0, destination: dom0, accept: 1)),
                    .toolstackFrame("viptables -A --dom-in 0 --dom-out 0 -j ACCEPT")))
        out.append((.append(VIPTablesRule(source: any, destination: any, accept: 0)), .toolstackFrame("viptables -A -j REJECT")))
        return out
    }

    /// `makeRules`: every running VM's rules and their inverses, reduced over the running VMs.
    static func rules(for vms: [OpenXTVM], seamless: [String]) -> [Reduced] {
        var out: [Reduced] = []
        for vm in vms {
            // The VM's rules then their inverses, duplicates dropped (`nub`).
            var effective: [(OpenXTRule, String, Bool, SourceLocation?)] = []
            for w in vm.rules where !effective.contains(where: { $0.0 == w.rule }) {
                effective.append((w.rule, w.text, false, w.location))
            }
            for w in vm.rules where !effective.contains(where: { $0.0 == w.rule.inverse }) {
                effective.append((w.rule.inverse, w.text, true, w.location))
            }
            for (rule, text, inverse, location) in effective {
                let origin = FirewallOrigin.vmRule(vm: vm.name, rule: text, inverse: inverse, location: location)
                for f in endpoints(rule.from, myself: vm, vms: vms, seamless: seamless) {
                    for t in endpoints(rule.to, myself: vm, vms: vms, seamless: seamless) where f != t {
                        // A rule between an endpoint and itself is dropped, ports or not.
                        let r = VIPTablesRule(source: ArgoAddress(aport: rule.fromPort ?? ArgoABI.portAny, domainID: f),
                                              destination: ArgoAddress(aport: rule.toPort ?? ArgoABI.portAny, domainID: t),
                                              accept: 1)
                        out.append(Reduced(rule: r, origin: origin))
                    }
                }
            }
        }
        return out
    }

    /// The domids an endpoint names (DOMID_ANY for `*`), given the VM whose rule it is.
    public static func endpoints(_ match: OpenXTRule.DomainMatch, myself: OpenXTVM, vms: [OpenXTVM], seamless: [String]) -> [UInt16] {
        func domid(of uuid: String) -> UInt16? { vms.first { $0.uuid == uuid }?.domid }
        switch match {
        case .any: return [ArgoABI.domidAny]
        case .dom0: return [0]
        case .vm(let uuid): return domid(of: uuid).map { [$0] } ?? []
        case .myself: return domid(of: myself.uuid).map { [$0] } ?? []
        case .myStubdom:
            return vms.first { $0.uuid == myself.uuid }?.stubdomDomid.map { [$0] } ?? []
        case .myselfIfSeamless:
            guard seamless.contains(myself.uuid), let d = domid(of: myself.uuid) else { return [] }
            return [d]
        case .seamless: return seamless.compactMap(domid(of:))
        case .byType(let t): return vms.filter { $0.type == t }.map(\.domid)
        case .byName(let n): return vms.filter { $0.name == n }.map(\.domid)
        }
    }
}
