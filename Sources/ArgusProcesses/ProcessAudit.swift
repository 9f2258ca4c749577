import ArgusAnalysis
import ArgusGuest
import Flask

/// What a process may do with the Argo devices, by the driver's use of them (linux-xen-argo):
/// binding a ring, connecting and sending a datagram are ioctls; stream data moves with read
/// and write. So sending needs open, ioctl and write on some device; receiving (owning a
/// ring) needs open, ioctl and read. Docs: docs/GUEST-POLICY.md, "End to end".
public struct ProcessArgoUse: Sendable, Hashable {
    public static let send: ArgoDevicePermissions = [.open, .ioctl, .write]
    public static let receive: ArgoDevicePermissions = [.open, .ioctl, .read]

    /// Devices through which the process may send / receive, by the policy's rules.
    public var sendDevices: [String]
    public var receiveDevices: [String]
    /// A permissive process type: the kernel logs its denials and lets it through.
    public var permissive: Bool
    /// What is missing on each device for sending, when it cannot send (empty otherwise).
    public var sendMissing: [(device: String, missing: [String])]

    public var maySend: Bool { !sendDevices.isEmpty || permissive }
    public var mayReceive: Bool { !receiveDevices.isEmpty || permissive }

    public static func == (a: ProcessArgoUse, b: ProcessArgoUse) -> Bool {
        a.sendDevices == b.sendDevices && a.receiveDevices == b.receiveDevices && a.permissive == b.permissive
    }
    public func hash(into h: inout Hasher) { h.combine(sendDevices); h.combine(receiveDevices); h.combine(permissive) }
}

/// One domain's processes and what each may do with Argo.
public struct DomainProcesses: Sendable {
    public var domain: Int
    public var policyPath: String
    public var decisions: GuestDecisions
    public var uses: [ProcessArgoUse]

    public func index(of processType: String) -> Int? { decisions.processes.firstIndex { $0.typeName == processType } }
}

/// The three gates joined: a process in a domain (its SELinux policy: process → Argo device),
/// the domain to the service's domain (FLASK and Argo's own checks), the ports (OpenXT's
/// firewall). Domains without a policy are "any process".
public struct ProcessAudit: Sendable {
    public let services: ServiceAudit
    /// Per domain index: its processes, when the system file gives its SELinux policy.
    public let domains: [DomainProcesses?]

    public init(_ services: ServiceAudit) throws(InputError) {
        self.services = services
        let system = services.audit.system
        var cache: [String: (GuestPolicy, GuestDecisions)] = [:]
        var out: [DomainProcesses?] = []
        for (i, d) in system.domains.enumerated() {
            guard let policyPath = d.selinuxPolicy, let fileContexts = d.fileContexts else { out.append(nil); continue }
            let paths = d.argoDevices ?? GuestDevices.defaultPaths
            let key = ([policyPath, fileContexts] + paths).joined(separator: "\u{0}")
            let decisions: GuestDecisions
            if let hit = cache[key] {
                decisions = hit.1
            } else {
                let guest: GuestPolicy
                do {
                    guest = try GuestPolicy(policy: LinuxPolicyLoader.load(policyPath))
                    let labelled = try GuestDevices.labelled(paths, fileContexts: fileContexts, policy: guest.policy)
                    decisions = try GuestDecisionTable.compute(guest, devices: labelled)
                } catch {
                    // Placed in the guest's file when it says where; else at the domain.
                    if error.location?.line != nil { throw error }
                    throw InputError("domain '\(d.name)': \(error.location.map { "\($0.file): " } ?? "")\(error.message)",
                                     at: d.location ?? SourceLocation(file: system.inventory.path))
                }
                cache[key] = (guest, decisions)
            }
            let uses = decisions.processes.indices.map { p in Self.use(decisions, p) }
            out.append(DomainProcesses(domain: i, policyPath: policyPath, decisions: decisions, uses: uses))
        }
        domains = out
    }

    static func use(_ decisions: GuestDecisions, _ p: Int) -> ProcessArgoUse {
        var send: [String] = [], receive: [String] = [], missing: [(String, [String])] = []
        for (k, device) in decisions.devices.enumerated() {
            let allowed = decisions.allowed[p][k]
            if allowed.isSuperset(of: ProcessArgoUse.send) { send.append(device.path) }
            if allowed.isSuperset(of: ProcessArgoUse.receive) { receive.append(device.path) }
            let lacking = ProcessArgoUse.send.subtracting(allowed)
            if !lacking.isEmpty { missing.append((device.path, lacking.names)) }
        }
        return ProcessArgoUse(sendDevices: send, receiveDevices: receive, permissive: decisions.permissive[p],
                              sendMissing: send.isEmpty ? missing : [])
    }

    /// One process's (or, without a policy, any process's) way into one service.
    public struct Reach: Sendable {
        /// nil: the domain has no SELinux policy in the system file (any process).
        public var process: String?
        public var use: ProcessArgoUse?
        public var service: ServiceReach
        /// Processes of the receiving domain that may own the ring (nil: no policy there).
        public var receivers: [String]?
        public var lands: Bool {
            service.lands && (use?.maySend ?? true) && (receivers.map { !$0.isEmpty } ?? true)
        }
    }

    /// Every process of domain `i` (or "any process") into service `s`.
    public func reaches(from i: Int, service s: Int) -> [Reach] {
        let r = services.reach(sender: i, service: s)
        let receivers = receiversOf(services.services[s].domain)
        guard let dp = domains[i] else { return [Reach(process: nil, use: nil, service: r, receivers: receivers)] }
        return dp.decisions.processes.indices.map { p in
            Reach(process: dp.decisions.processes[p].typeName, use: dp.uses[p], service: r, receivers: receivers)
        }
    }

    /// The services process `p` of domain `i` (which has a policy) reaches, by index.
    public func servicesReached(from i: Int, process p: Int) -> [Int] {
        guard let dp = domains[i], dp.uses[p].maySend else { return [] }
        return services.services.indices.filter { s in
            services.reach(sender: i, service: s).lands && (receiversOf(services.services[s].domain).map { !$0.isEmpty } ?? true)
        }
    }

    /// The process types of domain `j` that may own a ring, or nil without a policy.
    public func receiversOf(_ j: Int) -> [String]? {
        guard let dp = domains[j] else { return nil }
        return dp.decisions.processes.indices.filter { dp.uses[$0].mayReceive }.map { dp.decisions.processes[$0].typeName }
    }
}

extension ProcessAudit: ProcessGate {
    public func maySend(domain i: Int, process: String) -> Bool? {
        guard let dp = domains[i], let p = dp.index(of: process) else { return nil }
        return dp.uses[p].maySend
    }

    public func hasReceiver(domain j: Int) -> Bool {
        receiversOf(j).map { !$0.isEmpty } ?? true
    }
}
