import ArgoEngine
import CCacheHint
import Flask

/// Runs a seeded workload through the Argo engine: rings registered, messages sent and read,
/// notifies, domains destroyed and recreated. Registration, notify, churn and one send in
/// `TrafficConfiguration.hypercallOneIn` are real hypercalls with arguments in guest memory;
/// the other sends use the engine's host fast path (same checks in the same order), and
/// receivers read their rings the way a Linux driver does. Single-threaded and deterministic.
public final class TrafficSimulator {
    public let configuration: TrafficConfiguration
    public let topology: TrafficTopology
    public let hypervisor: ArgoHypervisor
    /// The generator as set-up left it: the send loop's plan draws from here on.
    private let random: SeededRandom
    // The loop below touches this for every message; it never holds an access to it across a
    // call that could reach it (single-threaded, no callbacks into the simulator but
    // `progress`), so the runtime's exclusivity tracking is switched off for it.
    @exclusivity(unchecked) private var report = TrafficReport()

    // Per ring (indexed as topology.rings).
    /// Owner (domain index) and port of each ring, packed: the send loop picks rings at random,
    /// and reading 8 bytes of a small array costs fewer cache misses than the planned ring.
    private let ringTargets: [(owner: Int32, aport: UInt32)]
    private var registered: [Bool]
    private var readers: [ArgoRingReader?]
    /// Each reader's ring header, kept apart for cache hints (reading it from the reader
    /// would copy the reader).
    private var readerHeaders: [UnsafeRawPointer?]
    @exclusivity(unchecked) private var dirty: [Bool]
    @exclusivity(unchecked) private var dirtyRings: [Int] = []
    // Per domain.
    private let domids: [UInt16]
    private let slowReader: [Bool]
    private var waitedOn: [Bool]
    private var ringsByOwner: [[Int]]
    private var ringsByPartner: [[Int]]
    private let controlDomid: UInt16?

    // Tallies kept flat on the hot path; folded into the report at the end.
    private var failuresByErrno = [Int](repeating: 0, count: 128)
    private var registrationFailuresByErrno = [Int](repeating: 0, count: 128)
    private var denialsByTemplatePair: [Int]
    private var firewallByTemplatePair: [Int]
    private var firewallRejectionsSeen = 0
    private var readPasses = 0

    public init(system: ResolvedSystem, configuration: TrafficConfiguration) throws(InputError) {
        try configuration.validate(inventoryCount: system.domains.count)
        self.configuration = configuration
        var random = SeededRandom(seed: configuration.seed)
        topology = TrafficTopology(system: system, configuration: configuration, random: &random)
        hypervisor = ArgoHypervisor(settings: ArgoBootSettings(system.boot, profile: system.profile, decider: TableDecider(system: system)))
        if system.inventory.hasFirewall { hypervisor.installFirewall(system.inventory.firewall.ruleList().rules) }
        let rings = topology.rings.count, domains = topology.domains.count
        ringTargets = topology.rings.map { (Int32($0.owner), $0.aport) }
        domids = topology.domains.map(\.domid)
        registered = [Bool](repeating: false, count: rings)
        readers = [ArgoRingReader?](repeating: nil, count: rings)
        readerHeaders = [UnsafeRawPointer?](repeating: nil, count: rings)
        dirty = [Bool](repeating: false, count: rings)
        slowReader = (0..<domains).map { _ in random.oneIn(TrafficConfiguration.slowOneIn) }
        waitedOn = [Bool](repeating: false, count: domains)
        ringsByOwner = [[Int]](repeating: [], count: domains)
        ringsByPartner = [[Int]](repeating: [], count: domains)
        for (index, ring) in topology.rings.enumerated() {
            ringsByOwner[ring.owner].append(index)
            if let partner = ring.partner { ringsByPartner[partner].append(index) }
        }
        denialsByTemplatePair = [Int](repeating: 0, count: topology.templateNames.count * topology.templateNames.count)
        firewallByTemplatePair = denialsByTemplatePair
        controlDomid = topology.domains.first(where: \.isControl)?.domid
        self.random = random
        for domain in topology.domains {
            do {
                try hypervisor.createDomain(ArgoDomainSpec(domid: domain.domid, name: domain.name, sid: domain.sid,
                                                           isControl: domain.isControl, deviceModelTarget: domain.deviceModelTarget,
                                                           buildSID: domain.buildSID))
            } catch {
                throw InputError("domain '\(domain.name)': domid \(domain.domid) cannot be created")
            }
        }
    }

    // MARK: rings

    private func register(_ index: Int) {
        let ring = topology.rings[index]
        let owner = topology.domains[ring.owner]
        let partner = ring.partner.map { topology.domains[$0].domid } ?? ArgoABI.domidAny
        let guest = hypervisor.guest(owner.domid)
        do {
            try guest.registerRing(aport: ring.aport, partner: partner, length: configuration.ringSize)
            registered[index] = true
            report.registrations += 1
            if readers[index] == nil, let record = guest.ring(aport: ring.aport, partner: partner) {
                readers[index] = guest.reader(for: record)
                readerHeaders[index] = readers[index]?.headerAddress
            }
        } catch {
            registrationFailuresByErrno[min(Int(error.rawValue), 127)] += 1
        }
    }

    /// Destroys one non-control domain and creates it again: Xen tears down its rings and the
    /// single-source rings naming it as partner; both sets are registered again.
    private func churn(_ random: inout SeededRandom) {
        let candidates = topology.domains.indices.filter { !topology.domains[$0].isControl }
        guard !candidates.isEmpty else { return }
        let victim = candidates[random.below(candidates.count)]
        let domain = topology.domains[victim]
        hypervisor.destroyDomain(domain.domid)
        // A device model's hold would keep the victim dying and its domid taken; churn stands
        // for the toolstack tearing the guest down with everything that referenced it.
        hypervisor.releaseDomain(domain.domid)
        for index in ringsByOwner[victim] { registered[index] = false; readers[index] = nil; readerHeaders[index] = nil }
        for index in ringsByPartner[victim] { registered[index] = false }
        waitedOn[victim] = false
        _ = try? hypervisor.createDomain(ArgoDomainSpec(domid: domain.domid, name: domain.name, sid: domain.sid,
                                                        isControl: domain.isControl, deviceModelTarget: domain.deviceModelTarget,
                                                        buildSID: domain.buildSID),
                                         creator: controlDomid)
        report.domainsRecreated += 1
        for index in ringsByOwner[victim] + ringsByPartner[victim] {
            register(index)
            if registered[index] { report.ringsReregistered += 1 }
        }
    }

    // MARK: reading

    private func readPass() {
        readPasses += 1
        var kept: [Int] = []
        var notifyOwners: [Int] = []
        let ringLength = Int(configuration.ringSize)
        var read = 0, bytes = 0
        let pending = dirtyRings
        // Readers are picked at random from the whole table: each one is warmed a few rings
        // ahead (its entry, then its ring header), as the send loop does for sends.
        for (position, index) in pending.enumerated() {
            if position + 8 < pending.count {
                readers.withUnsafeBufferPointer { argus_prefetch_read($0.baseAddress! + pending[position + 8]) }
                readerHeaders.withUnsafeBufferPointer { argus_prefetch_read($0.baseAddress! + pending[position + 8]) }
            }
            if position + 4 < pending.count, let header = readerHeaders[pending[position + 4]] { argus_prefetch_write(header) }
            let owner = Int(ringTargets[index].owner)
            if slowReader[owner] && readPasses % TrafficConfiguration.slowReadPasses != 0 {
                kept.append(index)
                continue
            }
            dirty[index] = false
            guard registered[index], readers[index] != nil else { continue }
            var used = 0
            readers[index]!.consume { _, _, payload in
                read += 1
                bytes += payload.count
                used += (payload.count + 16 + 15) & ~15
            }
            let perMille = used * 1000 / ringLength
            report.occupancySamples += 1
            report.occupancySumPerMille += perMille
            report.occupancyMaxPerMille = max(report.occupancyMaxPerMille, perMille)
            report.occupancyQuartiles[min(3, perMille / 250)] += 1
            if waitedOn[owner] {
                waitedOn[owner] = false
                notifyOwners.append(owner)
            }
        }
        report.messagesRead += read
        report.bytesRead += bytes
        dirtyRings = kept
        report.signals += hypervisor.drainSignalCount()
        for owner in notifyOwners {
            _ = try? hypervisor.guest(topology.domains[owner].domid).notify(nil)
            report.receiverNotifies += 1
        }
        let woken = hypervisor.drainSignalCount()
        report.spaceSignals += woken
        report.signals += woken
        report.avcDenials += hypervisor.drainAuditLog().reduce(0) { $0 + ($1.denied ? 1 : 0) }
    }

    // MARK: the run

    private var ringsRegistered = false

    /// Registers every planned ring by hypercall (the guests' first writes to their ring pages,
    /// so the host memory behind them is faulted in here). ``run(progress:)`` does this first
    /// if it was not done; calling it apart lets a benchmark time the messages alone.
    public func registerRings() {
        guard !ringsRegistered else { return }
        ringsRegistered = true
        report.seed = configuration.seed
        report.domains = topology.domains.count
        report.argoDomains = topology.domains.filter(\.argo).count
        report.clonedDomains = max(0, topology.domains.count - topology.templateNames.count)
        report.ringsPlanned = topology.rings.count
        report.routes = topology.routes.count
        report.avcDenials += hypervisor.drainAuditLog().reduce(0) { $0 + ($1.denied ? 1 : 0) }
        for index in topology.rings.indices { register(index) }
    }

    /// Registers every planned ring (``registerRings()``), then sends `configuration.messages`
    /// messages; calls `progress(done, total)` now and then.
    public func run(progress: ((Int, Int) -> Void)? = nil) -> TrafficReport {
        registerRings()

        let sizes = configuration.sizes
        let largest = sizes.max() ?? 0
        let payloads = sizes.map { size in (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(largest, 1), alignment: 16)
        defer { buffer.deallocate() }
        for i in 0..<largest { buffer[i] = UInt8(truncatingIfNeeded: i) }
        let domains = topology.domains, routes = topology.routes, ringTargets = ringTargets, domids = domids
        let ringCount = topology.rings.count
        let templates = topology.templateNames.count
        let total = configuration.messages
        let churnEvery = configuration.churnEvery
        let progressEvery = 1 << 16

        let draws = TrafficDraws(domainCount: domains.count, ringCount: ringCount, routeCount: routes.count, sizeCount: sizes.count)
        var plan = TrafficPlan(draws: draws, random: random)
        // Resolves a planned message's route into sender and ring (a message with a ring takes
        // its owner from the ring).
        func resolve(_ message: inout PlannedMessage) {
            guard !message.resolved else { return }
            let route = routes[Int(message.route)]
            message.sender = Int32(route.sender)
            message.ring = Int32(route.ring)
            message.resolved = true
        }
        // A planned send's addresses for a cache hint (nil: a stray send with no ring).
        func warm(_ message: PlannedMessage, _ step: SendWarmStep) {
            guard message.ring >= 0 else { return }
            let target = ringTargets[Int(message.ring)]
            hypervisor.warmSend(from: domids[Int(message.sender)],
                                to: ArgoAddress(aport: target.aport, domainID: domids[Int(target.owner)]), step: step)
        }

        for message in 0..<total {
            if message > 0 {
                if message % TrafficConfiguration.readEvery == 0 { readPass() }
                if churnEvery > 0 && message % churnEvery == 0 {
                    // The churn draws between the previous message and this one.
                    var state = plan[0].before
                    churn(&state.random)
                    plan.redraw(from: state, after: 0)
                }
                if message % progressEvery == 0 { progress?(message, total) }
            }
            // The software pipeline: each step of the send's chain of lookups is warmed a few
            // sends ahead, so each load has had time to arrive when it is needed.
            routes.withUnsafeBufferPointer { routes in
                let early = plan[24]
                if early.route >= 0 { argus_prefetch_read(routes.baseAddress! + Int(early.route)) }
            }
            resolve(&plan[20])
            ringTargets.withUnsafeBufferPointer { targets in
                let next = plan[20]
                if next.ring >= 0 { argus_prefetch_read(targets.baseAddress! + Int(next.ring)) }
            }
            warm(plan[16], .table)
            warm(plan[8], .ring)
            warm(plan[4], .pages)

            var current = plan[0]
            resolve(&current)
            if current.stray { report.straySends += 1 }
            let sender = Int(current.sender)
            let ringIndex: Int? = current.ring >= 0 ? Int(current.ring) : nil
            let sizeIndex = Int(current.sizeIndex)
            let size = sizes[sizeIndex]
            let from = domids[sender]
            let target = ringIndex.map { ringTargets[$0] }
            let owner = target.map { Int($0.owner) } ?? Int(current.owner)
            let source = ArgoAddress(aport: 1, domainID: from)
            let destination = ArgoAddress(aport: target?.aport ?? TrafficTopology.firstPort, domainID: domids[owner])
            report.messagesAttempted += 1
            do throws(XenErrno) {
                if message % TrafficConfiguration.hypercallOneIn == 0 {
                    report.sentByHypercall += 1
                    try hypervisor.guest(from).sendv(source: source, destination: destination, iovs: [payloads[sizeIndex]],
                                                     messageType: UInt32(sizeIndex))
                } else {
                    try hypervisor.send(from: from, source: source, destination: destination, messageType: UInt32(sizeIndex),
                                        payload: UnsafeRawBufferPointer(rebasing: buffer[0..<size]))
                }
                if let ringIndex, !dirty[ringIndex] {
                    // A stray send that landed went to a wildcard ring or to its own partner's ring.
                    dirty[ringIndex] = true
                    dirtyRings.append(ringIndex)
                }
            } catch {
                failuresByErrno[min(Int(error.rawValue), 127)] += 1
                // EAGAIN and the errors not named below end the sender's stream; the planned
                // messages after it are then drawn again (if that changes them).
                var state = plan.stateAfterCurrent
                let streamEnded = state.streamLeft != 0
                state.streamLeft = 0
                switch error {
                case .EPERM where hypervisor.statistics.firewallRejections != firewallRejectionsSeen:
                    // OpenXT's firewall, not XSM: counted apart.
                    firewallRejectionsSeen = hypervisor.statistics.firewallRejections
                    firewallByTemplatePair[domains[sender].template * templates + domains[owner].template] += 1
                case .EACCES, .EPERM:
                    denialsByTemplatePair[domains[sender].template * templates + domains[owner].template] += 1
                case .EAGAIN:
                    report.eagain += 1
                    // The sender waits for space rather than retrying. Xen queued a space wait
                    // already; now and then the sender also asks through notify (notify scans all
                    // of the caller's rings, as Xen's does: too dear for every EAGAIN).
                    if state.random.oneIn(TrafficConfiguration.senderNotifyOneIn) {
                        let entry = RingDataEntry(ring: destination, spaceRequired: UInt32(size))
                        _ = try? hypervisor.guest(from).notify([entry])
                        report.senderNotifies += 1
                    }
                    plan.redraw(from: state, after: 1)
                    waitedOn[owner] = true
                case .EBUSY:
                    report.ebusy += 1
                default:
                    if streamEnded { plan.redraw(from: state, after: 1) }
                }
            }
            plan.advance()
        }
        readPass()
        progress?(total, total)
        return finish()
    }

    private func finish() -> TrafficReport {
        var out = report
        let stats = hypervisor.statistics
        out.messagesDelivered = stats.messagesDelivered
        out.bytesDelivered = stats.payloadBytesDelivered
        out.firewallActive = hypervisor.settings.behaviour.argoFirewall
        func named(_ counts: [Int]) -> [String: Int] {
            var result: [String: Int] = [:]
            for (raw, count) in counts.enumerated() where count > 0 {
                result[XenErrno(rawValue: Int32(raw))?.name ?? "E\(raw)"] = count
            }
            return result
        }
        out.sendFailures = named(failuresByErrno)
        out.registrationFailures = named(registrationFailuresByErrno)
        let names = topology.templateNames
        for s in names.indices {
            for t in names.indices where firewallByTemplatePair[s * names.count + t] > 0 {
                out.firewallRejectionsByPair.append(.init(source: names[s], target: names[t], count: firewallByTemplatePair[s * names.count + t]))
            }
            for t in names.indices where denialsByTemplatePair[s * names.count + t] > 0 {
                out.denialsByPair.append(.init(source: names[s], target: names[t], count: denialsByTemplatePair[s * names.count + t]))
            }
        }
        for (index, ring) in topology.rings.enumerated() where registered[index] {
            out.ringsRegistered += 1
            out.ringBytes += Int(configuration.ringSize)
            let guest = hypervisor.guest(topology.domains[ring.owner].domid)
            let partner = ring.partner.map { topology.domains[$0].domid } ?? ArgoABI.domidAny
            guard let record = guest.ring(aport: ring.aport, partner: partner) else { continue }
            let (rx, tx) = guest.pointers(record)
            let length = Int(record.length)
            let pending = ((Int(tx) - Int(ArgoABI.roundUpToSlot(rx))) % length + length) % length
            if pending > 0 { out.ringsWithData += 1; out.bytesPending += pending }
        }
        return out
    }
}
