import ArgoEngine
import ArgusFirewall
import Flask

/// Lint checks over a system's services and its OpenXT firewall (`argus lint --system`), each
/// with the system-file lines that document and test it (docs/LINT.md, "Firewall checks").
public struct FirewallLintCheck: Sendable {
    public let id: String
    public let name: String
    public let summary: String
    /// `[[domain]]` entries appended to `FirewallLintCheck.exampleHeader` (policy/openxt):
    /// each triggering example must give a finding from this check, each other none.
    public let triggering: [String]
    public let nonTriggering: [String]
    /// The Xen flavour its examples run on.
    public var exampleFlavour = "openxt"
    let issues: @Sendable (ServiceAudit) -> [(message: String, location: SourceLocation?, rule: String?)]

    func findings(_ sa: ServiceAudit) -> [LintFinding] {
        issues(sa).map { issue in
            var f = LintFinding(id: id, check: name, message: issue.message, reference: nil)
            f.location = issue.location ?? SourceLocation(file: sa.audit.system.inventory.path)
            f.rule = issue.rule
            return f
        }
    }

    /// The head of every example system: an OpenXT Xen (or `exampleFlavour`'s), dom0 with a
    /// wildcard ring, for policy/openxt.
    public var exampleHeader: String { """
        [xen]
        version = "4.22.0"
        flavour = "\(exampleFlavour)"
        [boot]
        cmdline = "argo=1,mac-permissive=1 xsm=flask"
        [[domain]]
        name = "dom0"
        domid = 0
        label = "system_u:system_r:dom0_t"
        ring = [{ aport = 5555, partner = "any" }]

        """ }

    init(id: String, name: String, summary: String, triggering: [String], nonTriggering: [String], exampleFlavour: String = "openxt",
         issues: @escaping @Sendable (ServiceAudit) -> [(message: String, location: SourceLocation?, rule: String?)]) {
        self.id = id
        self.name = name
        self.summary = summary
        self.triggering = triggering
        self.nonTriggering = nonTriggering
        self.exampleFlavour = exampleFlavour
        self.issues = issues
    }
}

public enum FirewallLintChecks {
    static let uivm = "[[domain]]\nname = \"uivm\"\ndomid = 1\nlabel = \"system_u:system_r:uivm_t\"\nuuid = \"u1\"\nvm_type = \"uivm\"\n"

    public static let all: [FirewallLintCheck] = [shadowed, namesNothing, deadAccept, noFinalReject, unreachableRing, notifyRevealsBlockedRing, ignored]

    /// The findings of every check over one system (nothing when the system has no services and no firewall).
    public static func run(_ sa: ServiceAudit, checks: [FirewallLintCheck] = all) -> [LintFinding] {
        checks.flatMap { $0.findings(sa) }
    }

    static let shadowed = FirewallLintCheck(
        id: "FW001", name: "firewall-shadowed-rule",
        summary: "a firewall rule can never decide: an earlier rule matches every message it matches (duplicates included)",
        triggering: [uivm + "argo_firewall_rules = [\"myself -> 0:5555\"]\n[firewall]\nrules = [\"-A --dom-in 1 --dom-out 0 --port-out 5555 -j REJECT\"]\n"],
        nonTriggering: [uivm + "argo_firewall_rules = [\"myself -> 0:5555\"]\n"]
    ) { sa in
        let entries = sa.firewall.entries
        var out: [(String, SourceLocation?, String?)] = []
        for (k, e) in entries.enumerated() {
            guard let (p, earlier) = entries[..<k].enumerated().first(where: { covers($0.element.rule, e.rule) }) else { continue }
            out.append(("rule \(k + 1) (\(e.rule)) never decides: rule \(p + 1) (\(earlier.rule), from \(earlier.origin)) matches first",
                        e.origin.location, e.origin.description))
        }
        return out
    }

    static let namesNothing = FirewallLintCheck(
        id: "FW002", name: "firewall-rule-names-nothing",
        summary: "a VM's firewall rule names no running domain (an unknown uuid, type or name; a bare number other than 0; my-stubdom without a stub domain; a seamless endpoint without seamless VMs)",
        triggering: [uivm + "argo_firewall_rules = [\"myself -> dom-type=printvm:9\"]\n", uivm + "argo_firewall_rules = [\"5 -> myself\"]\n"],
        nonTriggering: [uivm + "argo_firewall_rules = [\"myself -> 0:5555\"]\n"]
    ) { sa in
        guard let vms = sa.audit.system.inventory.firewall.toolstackVMs, sa.firewallActive else { return [] }
        let seamless = vms.filter { $0.type == "svm" && $0.seamless }.map(\.uuid)
        var out: [(String, SourceLocation?, String?)] = []
        for vm in vms {
            for written in vm.rules {
                let (rule, text, location) = (written.rule, written.text, written.location)
                for (side, match) in [("source", rule.from), ("destination", rule.to)]
                where OpenXTToolstack.endpoints(match, myself: vm, vms: vms, seamless: seamless).isEmpty {
                    out.append(("\(vm.name)'s rule '\(text)': its \(side) names no running domain, so the rule adds nothing", location, text))
                }
            }
        }
        return out
    }

    static let deadAccept = FirewallLintCheck(
        id: "FW003", name: "firewall-dead-accept",
        summary: "a firewall ACCEPT between two domains whose messages XSM refuses anyway",
        triggering: [uivm + "argo_firewall_rules = [\"myself -> 0:5555\"]\n[[domain]]\nname = \"syncvm\"\ndomid = 4\nlabel = \"system_u:system_r:syncvm_t\"\nuuid = \"s4\"\nargo_firewall_rules = [\"myself -> dom-name=uivm\"]\n"],
        nonTriggering: [uivm + "argo_firewall_rules = [\"myself -> 0:5555\"]\n"]
    ) { sa in
        let system = sa.audit.system
        let byDomid = Dictionary(uniqueKeysWithValues: system.domains.enumerated().map { ($0.element.domid, $0.offset) })
        let hooks = ArgoHooks(system)
        var out: [(String, SourceLocation?, String?)] = []
        for (k, e) in sa.firewall.entries.enumerated() where e.rule.accept != 0 {
            guard let i = byDomid[e.rule.source.domainID], let j = byDomid[e.rule.destination.domainID] else { continue }
            if !hooks.domainHook(.send, i, j).allowed {
                out.append(("rule \(k + 1) (\(e.rule)) accepts \(system.domains[i].name) -> \(system.domains[j].name), which XSM send refuses",
                            e.origin.location, e.origin.description))
            }
        }
        return out
    }

    static let noFinalReject = FirewallLintCheck(
        id: "FW004", name: "firewall-default-accept",
        summary: "the firewall does not end with a catch-all REJECT, so what no rule names is accepted",
        triggering: ["[firewall]\nrules = [\"-A --dom-in 1 -j REJECT\"]\n"],
        nonTriggering: [uivm + "argo_firewall_rules = [\"myself -> 0:5555\"]\n", "[firewall]\nrules = [\"-A -j REJECT\"]\n"]
    ) { sa in
        guard sa.firewallActive, sa.audit.system.inventory.firewall.isConfigured else { return [] }
        let catchAll = sa.firewall.entries.first { e in
            e.rule.source.domainID == ArgoABI.domidAny && e.rule.source.aport == ArgoABI.portAny
                && e.rule.destination.domainID == ArgoABI.domidAny && e.rule.destination.aport == ArgoABI.portAny
        }
        if let catchAll, catchAll.rule.accept == 0 { return [] }
        let why = catchAll == nil ? "no rule matches everything" : "the first catch-all rule accepts"
        return [("the firewall accepts by default: \(why)", catchAll?.origin.location, catchAll?.origin.description)]
    }

    static let unreachableRing = FirewallLintCheck(
        id: "FW005", name: "service-unreachable",
        summary: "a declared ring in which no domain can land a message",
        triggering: [uivm + "ring = [{ aport = 2222, partner = \"dom0\" }]\n[firewall]\ntoolstack = true\n"],
        nonTriggering: [uivm + "argo_firewall_rules = [\"myself -> 0:5555\", \"0 -> myself:2222\"]\nring = [{ aport = 2222, partner = \"dom0\" }]\n"]
    ) { sa in
        sa.services.indices.compactMap { s in
            let n = sa.audit.count
            guard !(0..<n).contains(where: { sa.reach(sender: $0, service: s).lands }) else { return nil }
            let gates = Set((0..<n).map { sa.reach(sender: $0, service: s).gate.rawValue }).sorted()
            return ("no domain can land a message in \(ServiceRenderer.name(sa, s)) (stopped at: \(gates.joined(separator: ", ")))",
                    sa.services[s].ring.location, ringText(sa, s))
        }
    }

    static func ringText(_ sa: ServiceAudit, _ s: Int) -> String {
        "ring \(ServiceRenderer.name(sa, s)) for \(sa.services[s].ring.partner ?? "any")"
    }

    static let notifyRevealsBlockedRing = FirewallLintCheck(
        id: "FW006", name: "notify-reveals-blocked-ring",
        summary: "notify tells a domain about a ring the firewall keeps it from sending to (the firewall filters sendv only)",
        triggering: [uivm + "argo_firewall_rules = [\"myself -> 0:80\"]\n"],
        nonTriggering: [uivm + "argo_firewall_rules = [\"myself -> 0:5555\"]\n"]
    ) { sa in
        guard sa.firewallActive else { return [] }
        var out: [(String, SourceLocation?, String?)] = []
        for s in sa.services.indices {
            for i in 0..<sa.audit.count {
                let r = sa.reach(sender: i, service: s)
                guard r.gate == .firewall, !r.lands, r.landsWithoutFirewall else { continue }
                out.append(("\(sa.audit.system.domains[i].name) may notify about \(ServiceRenderer.name(sa, s)) but the firewall rejects every message it sends there",
                            sa.services[s].ring.location, ringText(sa, s)))
            }
        }
        return out
    }

    static let ignored = FirewallLintCheck(
        id: "FW007", name: "firewall-not-in-this-xen",
        summary: "firewall rules are configured but the Xen predicted has no firewall (only OpenXT's does): they are ignored",
        triggering: [uivm + "argo_firewall_rules = [\"myself -> 0:5555\"]\n"],
        nonTriggering: [uivm],
        exampleFlavour: "upstream"
    ) { sa in
        let setup = sa.audit.system.inventory.firewall
        guard !sa.firewallActive, setup.isConfigured else { return [] }
        return [("firewall rules are configured but \(sa.audit.system.profile) has no firewall: every one is ignored",
                 setup.lines.first?.location ?? setup.toolstackVMs?.first(where: { !$0.rules.isEmpty })?.rules.first?.location, nil)]
    }

    /// Whether `earlier` matches every message `later` matches.
    static func covers(_ earlier: VIPTablesRule, _ later: VIPTablesRule) -> Bool {
        func field<T: Equatable>(_ e: T, _ l: T, any: T) -> Bool { e == any || e == l }
        return field(earlier.source.domainID, later.source.domainID, any: ArgoABI.domidAny)
            && field(earlier.source.aport, later.source.aport, any: ArgoABI.portAny)
            && field(earlier.destination.domainID, later.destination.domainID, any: ArgoABI.domidAny)
            && field(earlier.destination.aport, later.destination.aport, any: ArgoABI.portAny)
    }
}
