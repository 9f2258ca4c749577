import ArgoEngine
import DecisionTable
import Flask

/// One domain of a generated workload: an inventory domain, or a clone of one's label.
public struct TrafficDomain: Sendable, Hashable {
    public var name: String
    public var domid: UInt16
    /// Index of the inventory domain whose label (and so SID) this one has.
    public var template: Int
    public var sid: UInt32
    /// The SID it is built with when that differs (xl's `init_seclabel`), as its template's.
    public var buildSID: UInt32? = nil
    public var isControl: Bool
    /// Device-model target (inventory domains only; clones serve nobody).
    public var deviceModelTarget: UInt16?
    /// Argo state at creation (boot option and the `enable` hook).
    public var argo: Bool
    /// May register wildcard rings.
    public var wildcard: Bool
}

/// A ring the workload registers: owner, port and partner (`domidAny` for wildcard).
public struct PlannedRing: Sendable, Hashable {
    public var owner: Int
    public var aport: UInt32
    /// Index of the single partner, or nil for a wildcard ring.
    public var partner: Int?
}

/// A sender's standing stream: domain `sender` writes to ring `ring`.
public struct TrafficRoute: Sendable, Hashable {
    public var sender: Int
    public var ring: Int
}

/// The domains, rings and routes of a workload, derived from the audit's permissions.
public struct TrafficTopology: Sendable {
    public let domains: [TrafficDomain]
    public let rings: [PlannedRing]
    public let routes: [TrafficRoute]
    /// Names of the inventory domains (the templates), for per-pair reports.
    public let templateNames: [String]

    /// Wildcard rings get at most this many standing senders.
    static let wildcardSenders = 4
    /// Ports: unicast rings from here, wildcard rings at `wildcardPort`.
    static let firstPort: UInt32 = 0x1000
    static let wildcardPort: UInt32 = 0x7000_0000

    public init(system: ResolvedSystem, configuration: TrafficConfiguration, random: inout SeededRandom) {
        let audit = ArgoAudit(system)
        let inventory = system.domains
        templateNames = inventory.map(\.name)
        let count = configuration.domains ?? inventory.count
        var domains: [TrafficDomain] = []
        var usedDomids = Set<UInt16>()
        var usedNames = Set<String>()
        for (i, d) in inventory.prefix(count).enumerated() {
            usedDomids.insert(d.domid)
            usedNames.insert(d.name)
            let target = d.target.flatMap { name in inventory.first { $0.name == name }?.domid }
            domains.append(TrafficDomain(name: d.name, domid: d.domid, template: i, sid: system.sids[i],
                                         buildSID: system.hasBuildLabel(i) ? system.buildSIDs[i] : nil,
                                         isControl: d.privileged, deviceModelTarget: target,
                                         argo: audit.domains[i].argo, wildcard: audit.domains[i].registerAnySource))
        }
        if count > domains.count {
            for d in inventory where !usedDomids.contains(d.domid) { usedDomids.insert(d.domid) }
        }
        var nextDomid: UInt16 = 1
        var clone = 0
        while domains.count < count {
            let template = clone % inventory.count
            clone += 1
            while usedDomids.contains(nextDomid) { nextDomid += 1 }
            var name = "\(inventory[template].name)-\(clone)"
            while usedNames.contains(name) { name += "'" }
            usedDomids.insert(nextDomid)
            usedNames.insert(name)
            domains.append(TrafficDomain(name: name, domid: nextDomid, template: template, sid: system.sids[template],
                                         buildSID: system.hasBuildLabel(template) ? system.buildSIDs[template] : nil,
                                         isControl: false, deviceModelTarget: nil,
                                         argo: audit.domains[template].argo, wildcard: audit.domains[template].registerAnySource))
        }
        self.domains = domains

        let permissions = TrafficPermissions(system: system, domains: domains)
        var rings: [PlannedRing] = []
        var routes: [TrafficRoute] = []
        let n = domains.count
        for owner in 0..<n where domains[owner].argo {
            var slots = configuration.ringsPerDomain
            if domains[owner].wildcard {
                let ring = rings.count
                rings.append(PlannedRing(owner: owner, aport: Self.wildcardPort, partner: nil))
                slots -= 1
                var senders = (0..<n).filter { $0 != owner && domains[$0].argo && permissions.allows(.send, $0, owner) }
                random.shuffle(&senders)
                for sender in senders.prefix(Self.wildcardSenders) { routes.append(TrafficRoute(sender: sender, ring: ring)) }
            }
            guard slots > 0 else { continue }
            // Partners the owner may register a ring for; those that may also send to it first.
            var useful: [Int] = [], registerOnly: [Int] = []
            for partner in 0..<n where partner != owner && domains[partner].argo
                && permissions.allows(.registerSingleSource, owner, partner) {
                if permissions.allows(.send, partner, owner) { useful.append(partner) } else { registerOnly.append(partner) }
            }
            random.shuffle(&useful)
            random.shuffle(&registerOnly)
            let partners = useful + registerOnly
            guard !partners.isEmpty else { continue }
            for slot in 0..<slots {
                let partner = partners[slot % partners.count]
                let ring = rings.count
                rings.append(PlannedRing(owner: owner, aport: Self.firstPort + UInt32(slot), partner: partner))
                if permissions.allows(.send, partner, owner) { routes.append(TrafficRoute(sender: partner, ring: ring)) }
            }
        }
        self.rings = rings
        self.routes = routes
    }
}

/// The four Argo hooks answered for workload domains (clones included) from the decision
/// table, the way the engine will answer them: used to plan rings and routes; the engine
/// still decides every call for real.
struct TrafficPermissions {
    let system: ResolvedSystem
    let domains: [TrafficDomain]
    let decider: TableDecider
    let argoSlot: Int?

    init(system: ResolvedSystem, domains: [TrafficDomain]) {
        self.system = system
        self.domains = domains
        decider = TableDecider(system: system)
        argoSlot = system.policy.classValue("argo").flatMap { system.table.slot(of: $0) }
    }

    /// `register_single_source` or `send` by domain `i` towards domain `j`.
    func allows(_ permission: ArgoPermission, _ i: Int, _ j: Int) -> Bool {
        let a = domains[i], b = domains[j]
        switch system.boot.xsm {
        case .dummy: return true
        case .silo: return i == j || a.isControl || b.isControl
        case .flask:
            let target: UInt32
            if i == j { target = decider.selfSID(of: a.sid) }
            else if a.deviceModelTarget == b.domid { target = decider.deviceModelTargetSID(deviceModel: a.sid, target: b.sid) }
            else { target = b.sid }
            let decision = decider.argoDecision(source: a.sid, target: target)
            return decision.allowed & system.mask(permission) != 0 || system.boot.flask == .permissive || decision.permissiveSource
        }
    }
}
