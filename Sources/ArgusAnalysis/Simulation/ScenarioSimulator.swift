import ArgoEngine
import Flask

/// What a scenario run produced.
public struct SimulationResult: Sendable, Hashable {
    /// One JSON object per step, in order (no trailing newlines).
    public var trace: [String]
    public var summary: SimulationSummary
    /// AVC records printed during the run (console lines without `(XEN) `).
    public var auditLines: [String]

    /// The trace as a JSON-lines document.
    public var traceText: String { trace.map { $0 + "\n" }.joined() }
}

/// Runs scenarios against an embedded ``ArgoHypervisor``. Deterministic: the
/// same settings, domains and scenario give the same bytes.
public final class ScenarioSimulator {
    public let hypervisor: ArgoHypervisor
    private let resolveLabel: ((String) -> UInt32?)?
    /// Every name ever bound (a destroyed domain's name still resolves to its domid).
    var domidsByName: [String: UInt16] = [:]
    var namesByDomid: [UInt16: String] = [:]
    private var summary = SimulationSummary()
    /// Frames `poke` steps populated so far (bounded: hostile input costs what it writes).
    var pokedFrames = 0
    /// The most frames the pokes of one run may populate (16 MiB of guest memory).
    public static let pokedFrameLimit = 4096

    /// Boots a hypervisor with `domains` (created in order by the idle domain,
    /// then device-model targets set). `resolveLabel` turns a `create` step's
    /// label into a SID; without it `create` steps are an input error.
    public init(settings: ArgoBootSettings, domains: [SimulationDomain],
                resolveLabel: ((String) -> UInt32?)? = nil) throws(InputError) {
        hypervisor = ArgoHypervisor(settings: settings)
        self.resolveLabel = resolveLabel
        for domain in domains {
            guard domidsByName[domain.name] == nil else { throw InputError("domain '\(domain.name)' is declared twice") }
            if let problem = DomainName.problem(with: domain.name) { throw InputError(problem) }
            do {
                try hypervisor.createDomain(ArgoDomainSpec(domid: domain.domid, name: domain.name, sid: domain.sid,
                                                       isControl: domain.privileged, isCompat: domain.compat,
                                                       createdBeforePolicy: domain.createdBeforePolicy, buildSID: domain.buildSID))
            } catch {
                throw InputError("domain '\(domain.name)': domid \(domain.domid) is \(error == .domidInUse(domain.domid) ? "already in use" : "reserved")")
            }
            domidsByName[domain.name] = domain.domid
            namesByDomid[domain.domid] = domain.name
        }
        for domain in domains {
            guard let target = domain.deviceModelTarget else { continue }
            guard let targetID = domidsByName[target] else {
                throw InputError("domain '\(domain.name)': unknown device-model target '\(target)'")
            }
            hypervisor.setDeviceModelTarget(domain.domid, target: targetID)
        }
        summary.denials = hypervisor.statistics.xsmRefusals
        for record in hypervisor.drainAuditLog() where record.denied { summary.avcDenials += 1 }
        _ = hypervisor.drainSignals()
    }

    /// Parses and runs YAML scenario text in one go.
    public static func simulate(yaml: String, file: String, settings: ArgoBootSettings, domains: [SimulationDomain],
                                resolveLabel: ((String) -> UInt32?)? = nil) throws(InputError) -> SimulationResult {
        let scenario = try ScenarioParser.parse(yaml, file: file)
        return try ScenarioSimulator(settings: settings, domains: domains, resolveLabel: resolveLabel).run(scenario)
    }

    /// Runs every step. Unknown names, or a step by a domain that no longer
    /// exists, are input errors at that step's line.
    public func run(_ scenario: Scenario) throws(InputError) -> SimulationResult {
        var trace: [String] = []
        var audit: [String] = []
        for (index, step) in scenario.steps.enumerated() {
            let outcome = try perform(step, file: scenario.file)
            let records = hypervisor.drainAuditLog()
            let console = hypervisor.drainConsole()
            let signals = hypervisor.drainSignals().map(displayName)
            summary.steps += 1
            // The guest's driver reads the result as an int: failures are counted from that view.
            let asInt = Int64(Int32(truncatingIfNeeded: outcome.raw))
            if asInt >= 0 {
                summary.successes += 1
            } else {
                summary.failuresByErrno[Self.errnoName(asInt), default: 0] += 1
            }
            summary.avcDenials += records.filter(\.denied).count
            audit += records.map(\.consoleLine)

            var json = JSONLine()
            json.add("step", index + 1)
            json.add("op", step.operation.name)
            json.add("domain", outcome.domainName)
            json.add("ret", outcome.raw)
            if outcome.raw != asInt { json.add("ret_int32", asInt) }
            json.add("errno", asInt < 0 ? Self.errnoName(asInt) : nil)
            if let entries = outcome.entries {
                json.addRaw("entries", JSONLine.array(entries.map { entry in
                    var item = JSONLine()
                    item.add("flags", Int(entry.flags))
                    item.add("max_message_size", Int(entry.maxMessageSize))
                    return item.line
                }))
            }
            if let messages = outcome.messages {
                json.addRaw("messages", JSONLine.array(messages.map { message in
                    var item = JSONLine()
                    item.add("source_domain", Int(message.source.domainID))
                    item.add("source_aport", Int(message.source.aport))
                    item.add("type", Int(message.messageType))
                    item.add("len", message.payload.count)
                    item.add("data_hex", JSONLine.hex(message.payload))
                    return item.line
                }))
            }
            for (key, value) in outcome.extras { json.addRaw(key, value) }
            json.addRaw("signals", JSONLine.array(signals.map(JSONLine.quote)))
            if !records.isEmpty { json.addRaw("avc", JSONLine.array(records.map { JSONLine.quote($0.consoleLine) })) }
            if !console.isEmpty { json.addRaw("console", JSONLine.array(console.map(JSONLine.quote))) }
            if step.expect != nil || step.expectRaw != nil {
                if let expect = step.expect { json.add("expect", expect) }
                if let expectRaw = step.expectRaw { json.add("expect_raw", expectRaw) }
                let met = step.expect.map { $0 == asInt } ?? true && step.expectRaw.map { $0 == outcome.raw } ?? true
                json.add("expect_met", met)
                if !met {
                    summary.expectationMismatches += 1
                    summary.mismatchLines.append(step.line)
                }
            }
            trace.append(json.line)
        }
        var final = summary
        final.messagesDelivered = hypervisor.statistics.messagesDelivered
        final.bytesDelivered = hypervisor.statistics.payloadBytesDelivered
        final.denials = hypervisor.statistics.xsmRefusals
        return SimulationResult(trace: trace, summary: final, auditLines: audit)
    }

    /// Each registered ring's memory, in owner-domid then Xen hash order.
    public func ringDumps() -> [RingDump] {
        hypervisor.registeredRings.compactMap { ring in
            guard let bytes = hypervisor.ringMemory(ring.id) else { return nil }
            let partner = ring.id.isWildcard ? "any" : displayName(ring.id.partner)
            return RingDump(fileName: "\(displayName(ring.id.owner))-\(ring.id.aport)-\(partner).ring", bytes: bytes)
        }
    }

    static func errnoName(_ ret: Int64) -> String {
        XenErrno(rawValue: Int32(truncatingIfNeeded: -ret))?.name ?? "E\(-ret)"
    }

    func displayName(_ domid: UInt16) -> String {
        if domid == ArgoABI.domidAny { return "any" }
        return namesByDomid[domid] ?? String(domid)
    }

    struct Outcome {
        var domainName: String
        var ret: Int64
        var entries: [RingDataEntry]?
        var messages: [ArgoMessage]?
        /// The raw 64-bit value the guest's register held, when it differs from `ret` (sendv's
        /// late errors for a 64-bit guest).
        var rawReturn: Int64? = nil
        /// Further keys (name, JSON value), shown after `messages`.
        var extras: [(String, String)] = []
        var raw: Int64 { rawReturn ?? ret }
    }

    func resolve(_ reference: DomainReference, _ step: ScenarioStep, _ file: String) throws(InputError) -> UInt16 {
        switch reference {
        case .any: return ArgoABI.domidAny
        case .domid(let id): return id
        case .named(let name):
            guard let id = domidsByName[name] else { throw InputError("unknown domain '\(name)'", file: file, line: step.line) }
            return id
        }
    }

    func actor(_ reference: DomainReference, _ step: ScenarioStep, _ file: String) throws(InputError) -> ArgoGuest {
        let id = try resolve(reference, step, file)
        if hypervisor.isDying(id) {
            throw InputError("domain '\(reference)' is dying at this step: it cannot act", file: file, line: step.line)
        }
        guard hypervisor.domainExists(id) else {
            throw InputError("domain '\(reference)' does not exist at this step", file: file, line: step.line)
        }
        return hypervisor.guest(id)
    }

    static func result(_ body: () throws(XenErrno) -> Int) -> Int64 {
        do { return Int64(try body()) } catch { return error.hypercallReturn }
    }

    private func perform(_ step: ScenarioStep, file: String) throws(InputError) -> Outcome {
        switch step.operation {
        case .register(let domain, let aport, let partner, let length, let pageCount, let flags, let pad):
            let guest = try actor(domain, step, file)
            let partnerID = try resolve(partner, step, file)
            let ret = Self.result { () throws(XenErrno) in
                try guest.registerRing(aport: aport, partner: partnerID, length: length, flags: flags,
                                       pageCount: pageCount, pad: pad)
                return 0
            }
            return Outcome(domainName: displayName(guest.domid), ret: ret)

        case .unregister(let domain, let aport, let partner, let pad):
            let guest = try actor(domain, step, file)
            let partnerID = try resolve(partner, step, file)
            let ret = Self.result { () throws(XenErrno) in
                try guest.unregisterRing(aport: aport, partner: partnerID, pad: pad)
                return 0
            }
            return Outcome(domainName: displayName(guest.domid), ret: ret)

        case .sendv(let domain, let source, let destination, let messageType, let iovs, let niov):
            let guest = try actor(domain, step, file)
            let src = ArgoAddress(aport: source.aport, domainID: try resolve(source.domain, step, file), pad: source.pad)
            let dst = ArgoAddress(aport: destination.aport, domainID: try resolve(destination.domain, step, file), pad: destination.pad)
            // Runs of zeros stay runs: guest memory is only spent on bytes really written.
            let payloads = iovs.map { entry -> ArgoGuest.Payload in
                switch entry.data {
                case .text(let text): .bytes(Array(text.utf8))
                case .bytes(let bytes): .bytes(bytes)
                case .zeros(let count): .zeros(count)
                }
            }
            let ret = Self.result { () throws(XenErrno) in
                try guest.sendv(source: src, destination: dst, payloads: payloads, messageType: messageType,
                                niov: niov, iovPads: iovs.map(\.pad))
            }
            return Outcome(domainName: displayName(guest.domid), ret: ret, rawReturn: guest.lastReturn)

        case .notify(let domain, let entries, let nent):
            let guest = try actor(domain, step, file)
            guard let entries else {
                let ret = Self.result { () throws(XenErrno) in try guest.notify(nil).count }
                return Outcome(domainName: displayName(guest.domid), ret: ret)
            }
            var written: [RingDataEntry] = []
            for entry in entries {
                written.append(RingDataEntry(ring: ArgoAddress(aport: entry.aport, domainID: try resolve(entry.domain, step, file),
                                                               pad: entry.pad),
                                             spaceRequired: entry.spaceRequired))
            }
            // How many entries a call may carry is the hypervisor's business (it refuses more
            // than 256 with EACCES); the driver only has to be able to lay them out.
            guard written.count <= ArgoGuest.notifyEntryCapacity else {
                throw InputError("notify: more than \(ArgoGuest.notifyEntryCapacity) entries do not fit the guest's argument pages (use 'nent' to claim more)",
                                 file: file, line: step.line)
            }
            var filled: [RingDataEntry] = written
            let ret = Self.result { () throws(XenErrno) in
                filled = try guest.notify(written, nent: nent, partial: { filled = $0 })
                return 0
            }
            return Outcome(domainName: displayName(guest.domid), ret: ret, entries: filled)

        case .read(let domain, let aport, let partner):
            let guest = try actor(domain, step, file)
            let partnerID = try resolve(partner, step, file)
            var messages: [ArgoMessage] = []
            if let record = guest.knownRing(aport: aport, partner: partnerID) { messages = guest.readMessages(record) }
            let ret = Self.result { () throws(XenErrno) in try guest.notify(nil).count }
            return Outcome(domainName: displayName(guest.domid), ret: ret, messages: messages)

        case .setRxPtr(let domain, let aport, let partner, let value):
            let guest = try actor(domain, step, file)
            let partnerID = try resolve(partner, step, file)
            guard let record = guest.knownRing(aport: aport, partner: partnerID) else {
                return Outcome(domainName: displayName(guest.domid), ret: XenErrno.ENOENT.hypercallReturn)
            }
            guest.setRxPtr(record, value)
            return Outcome(domainName: displayName(guest.domid), ret: 0)

        case .destroy(let domain):
            let id = try resolve(domain, step, file)
            let name = displayName(id)
            let freed = hypervisor.destroyDomain(id)
            return Outcome(domainName: name, ret: 0, extras: lifecycleExtras(id, freed: freed))

        case .softReset(let domain):
            let id = try resolve(domain, step, file)
            if hypervisor.isDying(id) {
                throw InputError("soft_reset: domain '\(domain)' is dying (not modelled)", file: file, line: step.line)
            }
            return Outcome(domainName: displayName(id), ret: hypervisor.softResetDomain(id))

        case .create(let name, let domid, let label, let privileged, let target, let compat):
            try DomainName.check(name, at: SourceLocation(file: file, line: step.line))
            guard let resolveLabel else {
                throw InputError("create: no label resolver was given for '\(label)'", file: file, line: step.line)
            }
            guard let sid = resolveLabel(label) else { throw InputError("create: unknown label '\(label)'", file: file, line: step.line) }
            var targetID: UInt16?
            if let target { targetID = try resolve(.named(target), step, file) }
            let creator = hypervisor.domids.first { hypervisor.isControlDomain($0) }
            do {
                try hypervisor.createDomain(ArgoDomainSpec(domid: domid, name: name, sid: sid, isControl: privileged,
                                                       deviceModelTarget: targetID, isCompat: compat), creator: creator)
            } catch {
                // XEN_DOMCTL_createdomain: the domid is taken (by a live or a dying domain).
                return Outcome(domainName: name, ret: XenErrno.EEXIST.hypercallReturn)
            }
            if let old = namesByDomid[domid] { domidsByName[old] = nil }
            domidsByName[name] = domid
            namesByDomid[domid] = name
            return Outcome(domainName: name, ret: 0)

        default:
            return try performExtended(step, file: file)
        }
    }
}
