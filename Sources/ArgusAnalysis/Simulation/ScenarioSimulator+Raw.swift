import ArgoEngine
import Flask

/// The raw steps, `release`, and OpenXT's firewall ops (docs/SCENARIOS.md).
extension ScenarioSimulator {
    func performExtended(_ step: ScenarioStep, file: String) throws(InputError) -> Outcome {
        switch step.operation {
        case .hypercall(let domain, let cmd, let arguments):
            let guest = try actor(domain, step, file)
            // do_argo_op takes `unsigned int cmd`: the low 32 bits of the guest's register.
            let raw = hypervisor.hypercall(caller: guest.domid, cmd: UInt32(truncatingIfNeeded: cmd), arg1: arguments[0],
                                           arg2: arguments[1], arg3: arguments[2], arg4: arguments[3])
            let firewallOp = (ArgoABI.opVIPTablesAdd ... ArgoABI.opVIPTablesList).contains(UInt32(truncatingIfNeeded: cmd))
            return Outcome(domainName: displayName(guest.domid), ret: raw, rawReturn: raw, extras: firewallOp ? firewallExtras() : [])

        case .poke(let domain, let address, let bytes, let kind):
            let guest = try actor(domain, step, file)
            let memory = guest.guestMemory
            let last = address + UInt64(bytes.count - 1)
            let frames = (address >> 12) ... (last >> 12)
            pokedFrames += frames.count(where: { !memory.isPopulated($0) })
            guard pokedFrames <= Self.pokedFrameLimit else {
                throw InputError("poke: the pokes of one scenario may populate at most \(Self.pokedFrameLimit) frames (16 MiB)",
                                 file: file, line: step.line)
            }
            for frame in frames {
                if let kind { memory.populate(frame, kind: kind) } else if !memory.isPopulated(frame) { memory.populate(frame) }
            }
            let ret = Self.result { () throws(XenErrno) in try memory.writeBytes(address, bytes); return 0 }
            return Outcome(domainName: displayName(guest.domid), ret: ret)

        case .peek(let domain, let address, let count):
            let guest = try actor(domain, step, file)
            let memory = guest.guestMemory
            // Bytes up to the first unpopulated frame, as a copy from guest memory reads them.
            var readable = 0
            while readable < count, memory.isPopulated((address + UInt64(readable)) >> 12) {
                readable = min(count, readable + 4096 - Int((address + UInt64(readable)) & 0xFFF))
            }
            let bytes = readable == 0 ? [] : ((try? memory.readBytes(address, count: readable)) ?? [])
            return Outcome(domainName: displayName(guest.domid), ret: readable == count ? 0 : XenErrno.EFAULT.hypercallReturn,
                           extras: [("hex", JSONLine.quote(JSONLine.hex(bytes)))])

        case .unmap(let domain, let frame):
            let guest = try actor(domain, step, file)
            guest.guestMemory.depopulate(frame)
            return Outcome(domainName: displayName(guest.domid), ret: 0)

        case .release(let domain):
            let id = try resolve(domain, step, file)
            guard hypervisor.isDying(id) else {
                throw InputError("release: domain '\(domain)' is not dying (only a destroyed domain that is still referenced can be released)",
                                 file: file, line: step.line)
            }
            let name = displayName(id)
            let freed = hypervisor.releaseDomain(id)
            return Outcome(domainName: name, ret: 0, extras: lifecycleExtras(id, freed: freed))

        case .viptablesAdd(let domain, let position, let rule):
            let guest = try actor(domain, step, file)
            let resolved = try firewallRule(rule, step, file)
            let ret = Self.result { () throws(XenErrno) in try guest.viptablesAdd(resolved, position: position); return 0 }
            return Outcome(domainName: displayName(guest.domid), ret: ret, extras: firewallExtras())

        case .viptablesDel(let domain, let deletion):
            let guest = try actor(domain, step, file)
            let ret: Int64
            switch deletion {
            case .position(let position):
                ret = Self.result { () throws(XenErrno) in try guest.viptablesDelete(position: position); return 0 }
            case .rule(let rule):
                let resolved = try firewallRule(rule, step, file)
                ret = Self.result { () throws(XenErrno) in try guest.viptablesDelete(resolved); return 0 }
            }
            return Outcome(domainName: displayName(guest.domid), ret: ret, extras: firewallExtras())

        case .viptablesList(let domain, let start):
            let guest = try actor(domain, step, file)
            var listed: [VIPTablesRule]?
            let ret = Self.result { () throws(XenErrno) in listed = try guest.viptablesList(offset: start); return 0 }
            var extras: [(String, String)] = []
            if let listed { extras.append(("listed", JSONLine.array(listed.map { JSONLine.quote($0.description) }))) }
            return Outcome(domainName: displayName(guest.domid), ret: ret, extras: extras + firewallExtras())

        case .viptablesFlush(let domain):
            let guest = try actor(domain, step, file)
            let ret = Self.result { () throws(XenErrno) in try guest.viptablesFlush(); return 0 }
            return Outcome(domainName: displayName(guest.domid), ret: ret, extras: firewallExtras())

        default:
            preconditionFailure("\(step.operation.name) is handled by perform")
        }
    }

    /// After `destroy` or `release`: who still holds the domain if it stays dying
    /// (`held_by`), and which other domains' destruction completed in the step
    /// (`also_freed`, e.g. a target its device model held). Names of freed domains are then
    /// forgotten for display.
    func lifecycleExtras(_ id: UInt16, freed: [UInt16]) -> [(String, String)] {
        var extras: [(String, String)] = []
        if hypervisor.isDying(id) {
            extras.append(("held_by", JSONLine.array(hypervisor.holders(of: id).map { JSONLine.quote(displayName($0)) })))
        }
        let others = freed.filter { $0 != id }
        if !others.isEmpty { extras.append(("also_freed", JSONLine.array(others.map { JSONLine.quote(displayName($0)) }))) }
        for domid in freed { namesByDomid[domid] = nil }
        return extras
    }

    /// The global rule list after the step, in a Xen that has the firewall.
    func firewallExtras() -> [(String, String)] {
        guard hypervisor.settings.behaviour.argoFirewall else { return [] }
        return [("rules", JSONLine.array(hypervisor.firewall.rules.map { JSONLine.quote($0.description) }))]
    }

    func firewallRule(_ rule: FirewallRuleSpec, _ step: ScenarioStep, _ file: String) throws(InputError) -> VIPTablesRule {
        func address(_ end: FirewallEndpointSpec) throws(InputError) -> ArgoAddress {
            ArgoAddress(aport: end.aport, domainID: try resolve(end.domain, step, file), pad: end.pad)
        }
        return VIPTablesRule(source: try address(rule.source), destination: try address(rule.destination), accept: rule.accept)
    }
}
