import ArgoEngine
import ArgusFirewall
import Flask
import XenProfile

/// A service: a ring a domain registers (`[[domain.ring]]`).
public struct Service: Sendable, Hashable {
    /// Index of the domain that registers the ring.
    public var domain: Int
    public var ring: ServiceRing
}

/// The gate that stops a message on its way into a service's ring, in the order sendv meets
/// them; `.delivered` when none does.
public enum ServiceGate: String, Sendable, Hashable, Codable {
    case argoOff = "argo_off"
    /// The dispatcher's `enable` check on the sender's hypercall.
    case senderEnable = "sender_enable"
    /// The XSM send check (`xsm_argo_send`).
    case xsmSend = "xsm_send"
    /// OpenXT's firewall (viptables).
    case firewall
    /// The sender has no Argo state (`enable` refused when it was created).
    case senderNoArgo = "sender_no_argo"
    /// The receiver has no Argo state.
    case receiverNoArgo = "receiver_no_argo"
    /// The receiver cannot register the ring (single-source or wildcard registration refused).
    case ringNotRegistered = "ring_not_registered"
    /// The ring takes messages from its partner only.
    case otherPartner = "other_partner"
    /// The sender's messages land in the receiver's ring for it at the same port instead.
    case partnerRingFirst = "partner_ring_first"
    case delivered

    /// What sendv returns at this gate (nil when delivered), for a FLASK or SILO refusal as the module gives it.
    func errno(xsm: XSMModuleKind) -> String? {
        switch self {
        case .argoOff: "EOPNOTSUPP"
        case .senderEnable, .xsmSend: xsm == .silo ? "EPERM" : "EACCES"
        case .firewall: "EPERM"
        case .senderNoArgo: "ENODEV"
        case .receiverNoArgo, .ringNotRegistered, .otherPartner: "ECONNREFUSED"
        case .partnerRingFirst, .delivered: nil
        }
    }
}

/// Whether one sender's messages can land in one service, and what decides it.
public struct ServiceReach: Sendable, Hashable {
    public var sender: Int
    public var service: Int
    /// A message lands for some source port (the asked one, with `--source-port`).
    public var lands: Bool
    /// It lands whatever source port the sender picks.
    public var landsFromEveryPort: Bool
    /// The first gate that stops it (for the ports that do not pass), or `.delivered`.
    public var gate: ServiceGate
    public var errno: String?
    /// The firewall's answer, when this Xen has one and the message gets that far.
    public var firewall: FirewallVerdict?
    /// Whether it would land if the firewall accepted it (so notify, which the firewall does
    /// not filter, describes this ring to the sender).
    public var landsWithoutFirewall = false
}

/// Every (sender, service) pair of an inventory: the audit at port level.
public struct ServiceAudit: Sendable {
    public let audit: ArgoAudit
    public let services: [Service]
    /// `reaches[s * domains + i]`: sender `i` into service `s`.
    public let reaches: [ServiceReach]
    /// The global firewall rule list (empty when this Xen has no firewall).
    public let firewall: FirewallRuleList
    public let firewallActive: Bool
    public let sourcePort: UInt32?

    public init(_ audit: ArgoAudit, sourcePort: UInt32? = nil) {
        self.audit = audit
        self.sourcePort = sourcePort
        let system = audit.system
        let inventory = system.inventory
        firewallActive = inventory.hasFirewall
        firewall = firewallActive ? inventory.firewall.ruleList() : FirewallRuleList()
        var services: [Service] = []
        for (j, d) in system.domains.enumerated() {
            for ring in d.rings { services.append(Service(domain: j, ring: ring)) }
        }
        self.services = services
        let hooks = ArgoHooks(system)
        let n = system.domains.count
        let index = Dictionary(uniqueKeysWithValues: system.domains.enumerated().map { ($0.element.name, $0.offset) })
        var reaches: [ServiceReach] = []
        reaches.reserveCapacity(services.count * n)
        for (s, service) in services.enumerated() {
            let j = service.domain
            let partner = service.ring.partner.flatMap { index[$0] }
            // Whether the ring can exist: single-source for its partner, or a wildcard ring.
            let registered = partner.map { audit.has(.registerSingleSource, j, $0) } ?? audit.domains[j].registerAnySource
            for i in 0..<n {
                var reach = ServiceReach(sender: i, service: s, lands: false, landsFromEveryPort: false, gate: .delivered)
                func stop(_ gate: ServiceGate) {
                    reach.gate = gate
                    reach.errno = gate.errno(xsm: system.boot.xsm)
                }
                if !system.boot.argo { stop(.argoOff) }
                else if !(hooks.hypervisorHook(.enable, domain: i).allowed) { stop(.senderEnable) }
                else if !hooks.domainHook(.send, i, j).allowed { stop(.xsmSend) }
                else {
                    var passesFirewall = true, everyPort = true
                    if firewallActive {
                        let verdict = firewall.verdict(from: system.domains[i].domid, sourcePort: sourcePort,
                                                       to: ArgoAddress(aport: service.ring.aport, domainID: system.domains[j].domid))
                        reach.firewall = verdict
                        passesFirewall = verdict.acceptsSome
                        everyPort = verdict.acceptsEvery
                    }
                    // The gates after the firewall, in sendv's order.
                    var after: ServiceGate?
                    if !audit.domains[i].argo { after = .senderNoArgo }
                    else if !audit.domains[j].argo { after = .receiverNoArgo }
                    else if !registered { after = .ringNotRegistered }
                    else if let p = partner, p != i { after = .otherPartner }
                    else if partner == nil, Self.hasPartnerRing(system.domains[j], port: service.ring.aport, for: system.domains[i].name),
                            audit.has(.registerSingleSource, j, i) {
                        after = .partnerRingFirst
                    }
                    reach.landsWithoutFirewall = after == nil
                    if !passesFirewall { stop(.firewall) }
                    else if let after { stop(after) }
                    else {
                        reach.lands = true
                        reach.landsFromEveryPort = everyPort
                        if !everyPort { reach.gate = .firewall; reach.errno = "EPERM" }
                    }
                }
                reaches.append(reach)
            }
        }
        self.reaches = reaches
    }

    /// Whether `owner` also registers a ring at `port` for `sender` alone (sendv looks for that one first).
    static func hasPartnerRing(_ owner: DomainSpec, port: UInt32, for sender: String) -> Bool {
        owner.rings.contains { $0.aport == port && $0.partner == sender }
    }

    public func reach(sender i: Int, service s: Int) -> ServiceReach { reaches[s * audit.count + i] }

    /// The services of domain `j` at `port`.
    public func services(of j: Int, port: UInt32) -> [Int] {
        services.indices.filter { services[$0].domain == j && services[$0].ring.aport == port }
    }
}
