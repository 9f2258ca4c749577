/// What a new domain looks like.
public struct ArgoDomainSpec: Sendable, Hashable {
    public var domid: UInt16
    public var name: String
    public var sid: UInt32
    public var isControl: Bool
    /// Domid of the domain this one serves as device model.
    public var deviceModelTarget: UInt16?
    /// A 32-bit (compat) guest.
    public var isCompat: Bool
    /// Created before a `flask=late` policy was loaded: `argo_init`'s check passed.
    public var createdBeforePolicy: Bool
    /// The SID the domain is built with when it differs from `sid` (xl's `init_seclabel`):
    /// `argo_init`'s enable check at creation uses it, then the toolstack relabels the domain
    /// to `sid` before it runs. Device models serving it keep a target SID computed from it.
    public var buildSID: UInt32?

    public init(domid: UInt16, name: String? = nil, sid: UInt32 = 0, isControl: Bool = false,
                deviceModelTarget: UInt16? = nil, isCompat: Bool = false, createdBeforePolicy: Bool = false,
                buildSID: UInt32? = nil) {
        self.createdBeforePolicy = createdBeforePolicy
        self.buildSID = buildSID
        self.domid = domid
        self.name = name ?? "d\(domid)"
        self.sid = sid
        self.isControl = isControl
        self.deviceModelTarget = deviceModelTarget
        self.isCompat = isCompat
    }
}

/// Why a domain could not be created (host-side misuse, not a guest error).
public enum DomainCreationError: Error, Sendable, Hashable {
    case reservedDomid(UInt16)
    case domidInUse(UInt16)
    /// A destroyed domain that is still referenced (dying) holds the domid.
    case domidHeldByDyingDomain(UInt16)
}

/// Counters over the life of a hypervisor.
public struct ArgoStatistics: Sendable, Hashable {
    public var messagesDelivered = 0
    public var payloadBytesDelivered = 0
    /// Hook refusals that an op returned (EACCES from FLASK, EPERM from SILO).
    public var xsmRefusals = 0
    public var signalsSent = 0
    /// sendv refusals by OpenXT's firewall (EPERM).
    public var firewallRejections = 0
}

/// A deterministic, single-threaded model of Xen's Argo hypercall engine.
///
/// Domains are created and destroyed by the host; guests act through
/// ``hypercall(caller:cmd:arg1:arg2:arg3:arg4:)`` with arguments in their own
/// guest memory, exactly as `do_argo_op` / `compat_argo_op` receive them.
/// Nothing here is thread-safe: advance it from one task.
public final class ArgoHypervisor {
    // What every send reads or writes comes first, together (two cache lines).

    /// The domain table (``domainTable``) without ownership, for the send path: loading one
    /// of these takes no reference (see ``Unmanaged/borrow(_:)``).
    let domainRefs: UnsafeMutablePointer<Unmanaged<Domain>?>
    /// The XSM module without its payload, for the hot paths.
    enum XSMKind { case dummy, silo, flask }
    let xsmKind: XSMKind
    /// `settings.argoEnabled` and `settings.behaviour.argoFirewall`, for the hot paths.
    let argoEnabled: Bool, argoFirewall: Bool
    /// What a ring lookup depends on, counted (domains, Argo states, ring tables).
    let routes = RouteClock()
    /// The ring the last send found, reused while ``routes`` has not moved.
    @exclusivity(unchecked) var lastRoute = SendRoute()
    /// Domids signalled with VIRQ_ARGO, in order, since the last drain.
    @exclusivity(unchecked) var signalLog = SignalLog()
    @exclusivity(unchecked) public internal(set) var statistics = ArgoStatistics()

    public let settings: ArgoBootSettings
    /// Live domains, indexed by domid (ordinary domids only).
    /// Changed only through ``setDomain(_:at:)``, which keeps ``domainRefs`` beside it.
    @exclusivity(unchecked) private(set) var domainTable: ContiguousArray<Domain?>
    /// AVC cache: decisions by (source SID, target SID), updated on permissive grants.
    @exclusivity(unchecked) var avcCache = AVCCache()
    /// AVC records in console order.
    public private(set) var auditLog: [AVCRecord] = []
    /// Other console lines Xen prints that Argus models (OpenXT's firewall), in order.
    public private(set) var consoleLog: [String] = []
    /// OpenXT's global firewall rule list (`VIPTables`), used when the flavour has it.
    public internal(set) var firewall = VIPTables()

    /// The rule list as the toolstack left it before any guest runs (the system file's
    /// firewall, replayed by ArgusFirewall): the host's doing, not a hypercall.
    public func installFirewall(_ rules: [VIPTablesRule]) { firewall = VIPTables(rules: rules) }
    /// Live domids, ascending (kept alongside the table so nothing scans it).
    var liveDomids: [UInt16] = []
    /// Destroyed domains still referenced, in the order they were destroyed.
    var dyingDomids: [UInt16] = []
    /// Guest drivers handed out by `guest(_:)`.
    var guests: [UInt16: ArgoGuest] = [:]

    public init(settings: ArgoBootSettings) {
        self.settings = settings
        argoEnabled = settings.argoEnabled
        argoFirewall = settings.behaviour.argoFirewall
        switch settings.xsm {
        case .dummy: xsmKind = .dummy
        case .silo: xsmKind = .silo
        case .flask: xsmKind = .flask
        }
        domainTable = ContiguousArray(repeating: nil, count: Int(ArgoABI.domidFirstReserved))
        domainRefs = .allocate(capacity: Int(ArgoABI.domidFirstReserved))
        domainRefs.initialize(repeating: nil, count: Int(ArgoABI.domidFirstReserved))
    }

    deinit {
        domainRefs.deallocate()
        signalLog.deallocate()
    }

    /// Puts a domain in the table (nil: takes it out).
    func setDomain(_ domain: Domain?, at domid: UInt16) {
        domainTable[Int(domid)] = domain
        domainRefs[Int(domid)] = domain.map { Unmanaged.passUnretained($0) }
        routes.advance()
    }

    /// ``domain(_:)`` without a reference taken.
    @inline(__always)
    func domainRef(_ domid: UInt16) -> Unmanaged<Domain>? {
        domid < ArgoABI.domidFirstReserved ? domainRefs[Int(domid)] : nil
    }

    // MARK: domains

    /// Creates a domain. Argo state is set up when Argo is on and the XSM
    /// `enable` hook allows (`argo_init`); `creator` is the domain doing the
    /// creation (nil: the idle domain, i.e. at boot), which AVC records name.
    @discardableResult
    public func createDomain(_ spec: ArgoDomainSpec, creator: UInt16? = nil) throws(DomainCreationError) -> Bool {
        guard spec.domid < ArgoABI.domidFirstReserved else { throw .reservedDomid(spec.domid) }
        if let existing = domainTable[Int(spec.domid)] {
            // XEN_DOMCTL_createdomain answers -EEXIST: the domid is taken until the last
            // reference to a destroyed domain is dropped.
            throw existing.isDying ? .domidHeldByDyingDomain(spec.domid) : .domidInUse(spec.domid)
        }
        // Built with its build label (if any): argo_init's check below sees that one.
        let built = spec.buildSID ?? spec.sid
        func selfSID(_ sid: UInt32) -> UInt32 {
            if case .flask(let decider, _) = settings.xsm { return decider.selfSID(of: sid) }
            return sid
        }
        let domain = Domain(domid: spec.domid, name: spec.name, sid: built, selfSID: selfSID(built),
                            isControl: spec.isControl, deviceModelTarget: spec.deviceModelTarget,
                            isCompat: spec.isCompat, memory: GuestMemory(), routes: routes)
        setDomain(domain, at: spec.domid)
        liveDomids.insert(spec.domid, at: liveDomids.firstIndex { $0 > spec.domid } ?? liveDomids.endIndex)
        let beforePolicyLoad: Bool = if spec.createdBeforePolicy, case .flask(_, .late) = settings.xsm { true } else { false }
        if settings.argoEnabled, beforePolicyLoad
            || (try? checkEnable(domain, current: creator, quiet: settings.behaviour.quietEnableCheckAtCreation)) != nil {
            domain.argo = ArgoDomainState(routes: routes)
        }
        if built != spec.sid {
            // xl relabels the domain before unpausing it (flask relabel: sid and self SID; the
            // Argo state stays as argo_init left it).
            domain.sid = spec.sid
            domain.selfSID = selfSID(spec.sid)
        }
        return domain.argo != nil
    }

    /// Destroys a domain (`XEN_DOMCTL_destroydomain`, `domain_kill`): tears down its Argo
    /// state (`argo_destroy`) and marks it dying; sends no signals. A domain that others
    /// still hold a reference on (a device model on its target, see `holders(of:)`) stays
    /// as a dying domain until they let go: lookups by domid still find it, so senders get
    /// -ECONNREFUSED rather than -ESRCH, and its domid cannot be reused. Returns the domids
    /// whose destruction completed in this call, in order (this one first when it did).
    @discardableResult
    public func destroyDomain(_ domid: UInt16) -> [UInt16] {
        guard let domain = liveDomain(domid) else { return [] }
        tearDown(domain)
        domain.argo = nil
        domain.isDying = true
        liveDomids.removeAll { $0 == domid }
        dyingDomids.append(domid)
        guests[domid] = nil
        return reapDyingDomains(first: domid)
    }

    /// Soft reset (`argo_soft_reset`): as destroy, but the domain keeps fresh,
    /// empty Argo state if it had any. What the build does around it is
    /// `settings.behaviour.softReset`: on Arm before 4.22.0 the teardown happens, then the
    /// arch hook fails with ENOSYS and Xen crashes the domain (it stays, with empty Argo
    /// state, until destroyed); from 4.22.0 the domctl is refused (EOPNOTSUPP).
    /// Returns the domctl's result.
    @discardableResult
    public func softResetDomain(_ domid: UInt16) -> Int64 {
        guard let domain = liveDomain(domid) else { return XenErrno.ESRCH.hypercallReturn }
        switch settings.behaviour.softReset {
        case .refused:
            return XenErrno.EOPNOTSUPP.hypercallReturn
        case .tearsDownArgo, .tearsDownArgoThenCrashes:
            if domain.argo != nil {
                tearDown(domain)
                domain.argo = ArgoDomainState(routes: routes)
            }
            return settings.behaviour.softReset == .tearsDownArgo ? 0 : XenErrno.ENOSYS.hypercallReturn
        }
    }

    /// `rcu_lock_domain_by_id`: ordinary domains (no DOMID_SELF etc.), dying ones included,
    /// as Xen finds a destroyed domain until its last reference is dropped.
    @inline(__always)
    func domain(_ domid: UInt16) -> Domain? {
        domid < ArgoABI.domidFirstReserved ? domainTable[Int(domid)] : nil
    }

    /// A domain that is not dying: one that can run and make hypercalls.
    @inline(__always)
    func liveDomain(_ domid: UInt16) -> Domain? {
        guard let domain = domain(domid), !domain.isDying else { return nil }
        return domain
    }

    /// Whether a live (not dying) domain has this domid.
    public func domainExists(_ domid: UInt16) -> Bool { liveDomain(domid) != nil }
    public func hasArgo(_ domid: UInt16) -> Bool { domain(domid)?.argo != nil }
    /// Live domids in ascending order.
    public var domids: [UInt16] { liveDomids }

    /// The guest memory of a live domain.
    public func memory(of domid: UInt16) -> GuestMemory? { liveDomain(domid)?.memory }

    /// Sets the device-model target (`d->target`), as `XEN_DOMCTL_set_target` does.
    public func setDeviceModelTarget(_ domid: UInt16, target: UInt16?) {
        domain(domid)?.deviceModelTarget = target
    }

    public func virqCount(of domid: UInt16) -> Int { domain(domid)?.virqCount ?? 0 }

    /// Returns and clears the domids signalled with VIRQ_ARGO since the last call,
    /// in delivery order (a domain appears once per signal).
    public func drainSignals() -> [UInt16] {
        defer { signalLog.removeAll() }
        return signalLog.entries
    }

    /// Clears the signals since the last drain and returns how many there were (for callers
    /// that only count them: no copy of the log).
    public func drainSignalCount() -> Int {
        let count = signalLog.count
        signalLog.removeAll()
        return count
    }

    /// Returns and clears the AVC records since the last call.
    public func drainAuditLog() -> [AVCRecord] {
        defer { auditLog.removeAll(keepingCapacity: true) }
        return auditLog
    }

    func appendAudit(_ record: AVCRecord) { auditLog.append(record) }

    func console(_ line: String) { consoleLog.append(line) }

    /// The console lines since the last drain.
    public func drainConsole() -> [String] {
        defer { consoleLog.removeAll(keepingCapacity: true) }
        return consoleLog
    }

    /// `send_guest_domain_virq(d, VIRQ_ARGO)`.
    @inline(__always)
    func signal(_ domain: Domain) {
        domain.virqCount &+= 1
        statistics.signalsSent &+= 1
        signalLog.append(domain.domid)
    }

    /// `signal_domid`: nothing happens if the domain is gone.
    func signal(domid: UInt16) {
        if let domain = domain(domid) { signal(domain) }
    }

    // MARK: the hypercall

    /// `HYPERVISOR_argo_op(cmd, arg1, arg2, arg3, arg4)` issued by `caller`;
    /// returns Xen's `long` result (≥ 0, or a negated errno). For a compat
    /// (32-bit) caller every argument is first cut to 32 bits, as the guest's
    /// registers would carry it. `caller` must be a live domain.
    public func hypercall(caller: UInt16, cmd: UInt32, arg1: UInt64, arg2: UInt64,
                          arg3: UInt64, arg4: UInt64) -> Int64 {
        guard let domain = liveDomain(caller) else {
            preconditionFailure("hypercall from domain \(caller), which does not exist or is dying")
        }
        do {
            if domain.isCompat {
                return Int64(try compatArgoOp(domain, cmd: cmd, arg1: arg1 & 0xFFFF_FFFF, arg2: arg2 & 0xFFFF_FFFF,
                                              arg3: arg3 & 0xFFFF_FFFF, arg4: arg4 & 0xFFFF_FFFF))
            }
            return Int64(try argoOp(domain, cmd: cmd, arg1: arg1, arg2: arg2, arg3: arg3, arg4: arg4))
        } catch {
            return error.hypercallReturn
        }
    }

    /// `do_argo_op`.
    func argoOp(_ caller: Domain, cmd: UInt32, arg1: UInt64, arg2: UInt64,
                arg3: UInt64, arg4: UInt64) throws(XenErrno) -> Int {
        guard arg3 <= UInt64(UInt32.max), arg4 <= UInt64(UInt32.max) else { throw .EINVAL }
        guard settings.argoEnabled else { throw .EOPNOTSUPP }
        try checkEnable(caller, current: caller.domid)
        switch cmd {
        case ArgoABI.opRegisterRing:
            guard arg3 <= UInt64(ArgoABI.maxRingSize >> 12) else { throw .EINVAL }
            // guest_handle_okay on the frame array: always true for an HVM guest.
            return try registerRing(caller, registerAddress: arg1, framesAddress: arg2,
                                    pageCount: UInt32(arg3), flags: UInt32(arg4))
        case ArgoABI.opUnregisterRing:
            guard arg2 == 0, arg3 == 0, arg4 == 0 else { throw .EINVAL }
            return try unregisterRing(caller, address: arg1)
        case ArgoABI.opSendv:
            let sendAddress = try readSendAddress(caller, arg1)
            guard arg3 <= UInt64(ArgoABI.maxIOV) else { throw .EINVAL }
            return try withGuestIOVs(caller, address: arg2, count: Int(arg3), compat: false) { (iovs) throws(XenErrno) in
                let (source, target) = try sendvChecks(caller, sendAddress)
                do throws(XenErrno) {
                    return try sendvDeliver(caller, source: source, destination: sendAddress.destination, target: target,
                                            iovs: iovs, messageType: UInt32(arg4), payload: GuestPayloadReader(memory: caller.memory))
                } catch {
                    return Self.sendvReturnToNativeGuest(error)
                }
            }
        case ArgoABI.opNotify:
            guard arg2 == 0, arg3 == 0, arg4 == 0 else { throw .EINVAL }
            return try notify(caller, ringDataAddress: arg1)
        case ArgoABI.opVIPTablesAdd...ArgoABI.opVIPTablesList where settings.behaviour.argoFirewall:
            return try viptablesOp(caller, cmd: cmd, arg1: arg1, arg4: arg4)
        default:
            throw .EOPNOTSUPP
        }
    }

    /// `compat_argo_op`: sendv with the 12-byte iov layout; everything else native.
    func compatArgoOp(_ caller: Domain, cmd: UInt32, arg1: UInt64, arg2: UInt64,
                      arg3: UInt64, arg4: UInt64) throws(XenErrno) -> Int {
        guard cmd == ArgoABI.opSendv else {
            return try argoOp(caller, cmd: cmd, arg1: arg1, arg2: arg2, arg3: arg3, arg4: arg4)
        }
        guard settings.argoEnabled else { throw .EOPNOTSUPP }
        try checkEnable(caller, current: caller.domid)
        let sendAddress = try readSendAddress(caller, arg1)
        guard arg3 <= UInt64(ArgoABI.maxIOV) else { throw .EINVAL }
        return try withGuestIOVs(caller, address: arg2, count: Int(arg3), compat: true) { (iovs) throws(XenErrno) in
            try sendv(caller, sendAddress, iovs: iovs, messageType: UInt32(truncatingIfNeeded: arg4),
                      payload: GuestPayloadReader(memory: caller.memory))
        }
    }
}
