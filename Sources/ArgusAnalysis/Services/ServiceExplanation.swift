import ArgoEngine
import ArgusFirewall
import Flask

/// One message's way into one service, gate by gate in sendv's order (`query --to D:P`).
public struct ServiceExplanation: Sendable, Encodable {
    public struct Hop: Sendable, Encodable {
        public var gate: String
        public var passed: Bool
        public var detail: String
    }

    public var sender: String
    public var service: String
    public var partner: String
    public var sourcePort: UInt32?
    public var lands: Bool
    public var everyPort: Bool
    public var errno: String?
    public var hops: [Hop]
    /// The XSM hooks in full, as `query --perm` explains them (send, and the ring's registration).
    public var hooks: [HookExplanation]

    public init(_ sa: ServiceAudit, sender i: Int, service s: Int) {
        let system = sa.audit.system
        let d = system.domains
        let service = sa.services[s]
        let j = service.domain
        let r = sa.reach(sender: i, service: s)
        sender = d[i].name
        self.service = ServiceRenderer.name(sa, s)
        partner = service.ring.partner ?? "any"
        sourcePort = sa.sourcePort
        lands = r.lands
        everyPort = r.landsFromEveryPort
        errno = r.lands ? nil : r.errno
        let hooksModel = ArgoHooks(system)
        var hops: [Hop] = []
        // Every gate is listed up to the one that stops the message.
        func add(_ gate: String, _ passed: Bool, _ detail: String) -> Bool {
            hops.append(Hop(gate: gate, passed: passed, detail: detail))
            return passed
        }
        let xsm = system.boot.xsm.rawValue
        let ring = service.ring.partner.map { "single-source ring for \($0)" } ?? "wildcard ring"
        _ = add("argo", system.boot.argo, system.boot.argo ? "Argo is on" : "Argo is off (argo=0): -EOPNOTSUPP")
            && add("enable", hooksModel.hypervisorHook(.enable, domain: i).allowed, "\(xsm): \(d[i].name) may make Argo hypercalls (enable against xen)")
            && add("xsm_send", hooksModel.domainHook(.send, i, j).allowed, "\(xsm): send \(d[i].name) -> \(d[j].name) (\(system.targetSIDRole(i, j)))")
            && add("firewall", r.firewall?.acceptsSome ?? true, r.firewall.map { ServiceRenderer.firewallWords($0, lands: $0.acceptsSome) }
                   ?? (sa.firewallActive ? "" : "no firewall in \(system.profile)"))
            && add("sender_argo", sa.audit.domains[i].argo, "\(d[i].name) has Argo state")
            && add("receiver_argo", sa.audit.domains[j].argo, "\(d[j].name) has Argo state")
            && add("ring", r.gate != .ringNotRegistered, "\(d[j].name) can register its \(ring) at port \(service.ring.aport)")
            && add("partner", r.gate != .otherPartner && r.gate != .partnerRingFirst,
                   r.gate == .partnerRingFirst ? "\(d[j].name)'s ring for \(d[i].name) at this port takes the message first"
                       : "the ring accepts \(d[i].name)")
        self.hops = hops
        let explainer = Explainer(system)
        var chain = explainer.explain(flow: "send", i, j)
        if let p = service.ring.partner, let k = system.index(ofDomain: p) {
            chain += explainer.explain(flow: "register_single_source", j, k)
        } else {
            chain += explainer.explain(flow: "register_any_source", j, nil)
        }
        // Each hook once (enable appears in both chains).
        var seen: Set<String> = []
        hooks = chain.filter { seen.insert("\($0.hook)|\($0.source)|\($0.target ?? "")").inserted }
    }

    public var text: String {
        var out = "\(sender) -> \(service) (\(partner == "any" ? "wildcard ring" : "ring for \(partner)")), source port "
        out += sourcePort.map(String.init) ?? "any"
        out += ": " + (lands ? (everyPort ? "lands" : "lands from some source ports only") : "refused, -\(errno ?? "?")") + "\n"
        for (n, hop) in hops.enumerated() {
            out += "  \(n + 1). \(hop.gate): \(hop.passed ? "pass" : "STOP")\(hop.detail.isEmpty ? "" : " - \(hop.detail)")\n"
        }
        out += "  notify is not filtered by the firewall: it describes this ring whatever the rules say.\n"
        for e in hooks {
            out += "  hook \(e.hook)(\(e.source)\(e.target.map { ", \($0)" } ?? "")): \(e.allowed ? "allowed" : "denied")\n"
            for step in e.steps { out += "    \(step)\n" }
            for r in e.rules { out += "    rule: \(r.description)\n" }
        }
        return out
    }
}
