import Flask

/// What `check` needs to know about processes for `service` rules naming one
/// (`from = "dom0/proc:TYPE"`). ArgusProcesses provides it; ArgusAnalysis cannot see it.
public protocol ProcessGate {
    /// Whether a process of that type in domain `i` may send over Argo; nil when the domain has
    /// no SELinux policy in the system file, or the type is not one of its process types.
    func maySend(domain i: Int, process: String) -> Bool?
    /// Whether domain `j` has a process that may own a ring (true when `j` has no policy).
    func hasReceiver(domain j: Int) -> Bool
}

extension PolicyCheck {
    /// The (sender, service) pairs a `service` rule covers: senders by `from`, services of the
    /// domains `to` matches at its port (every ring of theirs without one). Strict: a selector
    /// or port matching nothing is an error at its place.
    static func serviceInstances(of rule: CheckRule, in services: ServiceAudit, strict: Bool) throws(InputError) -> [(source: Int, service: Int)] {
        let system = services.audit.system
        let sources = try domains(matching: rule.from, at: rule.fromLocation, in: system, strict: strict)
        let targets = Set(try domains(matching: rule.to!, at: rule.toLocation ?? rule.location, in: system, strict: strict))
        let matched = services.services.indices.filter { s in
            targets.contains(services.services[s].domain) && (rule.toPort.map { $0 == services.services[s].ring.aport } ?? true)
        }
        if matched.isEmpty && strict {
            throw InputError("'\(rule.to!)\(rule.toPort.map { ":\($0)" } ?? "")' names no ring of \(system.inventory.path) ([[domain.ring]])",
                             at: rule.toLocation ?? rule.location)
        }
        return sources.flatMap { i in matched.map { (i, $0) } }
    }

    /// Whether a message from `i` lands in service `s`; when the rule names a process, from that
    /// process (the process gate, then the services' gates, then a process that may own the ring).
    static func serviceHolds(_ rule: CheckRule, _ i: Int, _ s: Int, services: ServiceAudit, processes: (any ProcessGate)?,
                             strict: Bool) throws(InputError) -> Bool {
        guard services.reach(sender: i, service: s).lands else { return false }
        // Without a process the rule is about domains: the services audit's answer.
        guard let process = rule.fromProcess else { return true }
        guard let gate = processes, let may = gate.maySend(domain: i, process: process) else {
            if strict {
                throw InputError("'\(services.audit.system.domains[i].name)' has no process type '\(process)' (selinux_policy in the system file)",
                                 at: rule.fromLocation)
            }
            return false
        }
        // A process to a process: the receiving domain needs one that may own the ring.
        return may && gate.hasReceiver(domain: services.services[s].domain)
    }

    /// "dom0/proc:TYPE" or "dom0", for findings.
    static func serviceSource(_ rule: CheckRule, _ name: String) -> String {
        name + (rule.fromProcess.map { "/proc:\($0)" } ?? "") + (rule.fromPort.map { ":\($0)" } ?? "")
    }
}
