import XenProfile

/// The domains an AVC record would name, kept as domids until a record is written.
enum AVCSubjects {
    /// A check against `xen`: the current domain.
    case current(UInt16)
    /// A domain-pair check: the source and, when it differs, the target.
    case pair(UInt16, UInt16?)
}

/// The four Argo XSM hooks, dispatched on the boot-time module.
extension ArgoHypervisor {
    /// `xsm_argo_enable(d)`: `d` → `xen`, permission `enable`. `current` is the
    /// domain on whose behalf Xen runs (nil: the idle domain at boot).
    /// `quiet`: OpenXT's quiet check at domain creation (no AVC record).
    func checkEnable(_ domain: Domain, current: UInt16?, quiet: Bool = false) throws(XenErrno) {
        guard xsmKind == .flask, case .flask(let decider, let mode) = settings.xsm else { return }
        try avcHasPermission(decider, mode, source: domain.sid, target: decider.xenSID,
                             requested: ArgoPermissions.enable.rawValue,
                             subjects: .current(current ?? ArgoABI.domidIdle), quiet: quiet)
    }

    /// `xsm_argo_register_any_source(d)`: `d` → `xen`, `register_any_source`.
    func checkRegisterAnySource(_ domain: Domain) throws(XenErrno) {
        guard case .flask(let decider, let mode) = settings.xsm else { return }
        try avcHasPermission(decider, mode, source: domain.sid, target: decider.xenSID,
                             requested: ArgoPermissions.registerAnySource.rawValue,
                             subjects: .current(domain.domid))
    }

    /// `xsm_argo_register_single_source(d, t)`.
    func checkRegisterSingleSource(_ domain: Domain, partner: Domain) throws(XenErrno) {
        try checkDomainPair(domain, partner, ArgoPermissions.registerSingleSource.rawValue)
    }

    /// `xsm_argo_send(d, t)`.
    @inline(__always)
    func checkSend(_ domain: Domain, to target: Domain) throws(XenErrno) {
        if xsmKind == .dummy { return }
        try checkDomainPair(domain, target, ArgoPermissions.send.rawValue)
    }

    private func checkDomainPair(_ domain: Domain, _ other: Domain, _ requested: UInt32) throws(XenErrno) {
        switch settings.xsm {
        case .dummy:
            return
        case .silo:
            // The caller is always the acting domain on Argo paths.
            if !settings.behaviour.siloChecksArgo { return }
            if domain.isControl || other.isControl || domain === other { return }
            statistics.xsmRefusals += 1
            throw .EPERM
        case .flask(let decider, let mode):
            try avcHasPermission(decider, mode, source: domain.sid,
                                 target: targetSID(decider, domain, other),
                                 requested: requested, subjects: .pair(domain.domid, other === domain ? nil : other.domid))
        }
    }

    /// `domain_target_sid`: self SID on itself, the device-model target SID on
    /// the domain it serves, else the other domain's SID.
    func targetSID(_ decider: any FlaskArgoDecider, _ source: Domain, _ target: Domain) -> UInt32 {
        if source === target { return source.selfSID }
        if let served = source.deviceModelTarget, served == target.domid {
            return decider.deviceModelTargetSID(deviceModel: source.sid, target: target.buildSID)
        }
        return target.sid
    }

    /// `avc_has_perm` for class argo with auditing, including the AVC cache
    /// update that makes a permissive denial log only once.
    func avcHasPermission(_ decider: any FlaskArgoDecider, _ mode: FlaskMode, source: UInt32, target: UInt32,
                          requested: UInt32, subjects: AVCSubjects, quiet: Bool = false) throws(XenErrno) {
        let slot = avcCache.slot(source: source, target: target)
        let decision: FlaskDecision
        if let cached = avcCache.decision(at: slot) {
            decision = cached
        } else {
            decision = decider.argoDecision(source: source, target: target)
            avcCache.insert(decision, source: source, target: target, at: slot)
        }
        let denied = requested & ~decision.allowed
        var failure: XenErrno?
        if denied != 0 {
            if mode == .permissive || decision.permissiveSource {
                avcCache.grant(requested, source: source, target: target)
            } else {
                failure = .EACCES
            }
        }
        // avc_audit
        var audited: UInt32 = 0
        if denied != 0 {
            if denied & decision.auditDeny != 0 { audited = denied }
        } else if requested & decision.auditAllow != 0 {
            audited = requested
        }
        if audited != 0 && !quiet {
            appendAudit(AVCRecord(denied: denied != 0, permissions: audited, subjects: subjectText(subjects),
                                  sourceSID: source, targetSID: target,
                                  sourceContext: decider.context(of: source),
                                  targetContext: decider.context(of: target)))
        }
        if let failure {
            statistics.xsmRefusals += 1
            throw failure
        }
    }

    /// The text of `subjects`, made only when a record is written (checks are far more
    /// frequent than records).
    func subjectText(_ subjects: AVCSubjects) -> String {
        switch subjects {
        case .current(let domid): currentSubject(domid)
        case .pair(let source, let target): pairSubjects(source, target)
        }
    }

    /// How an AVC record names the current domain: `current=d5` from 4.17.0 (6cecffc7a6),
    /// `domid=5` before.
    func currentSubject(_ domid: UInt16) -> String {
        settings.behaviour.avcRecordsPrintDomains ? "current=\(Self.printDomain(domid)) " : "domid=\(domid) "
    }

    /// How an AVC record names the two domains of a pair check (the target only when it
    /// differs): `source=d1 target=d2` from 4.17.0 (6cecffc7a6), `domid=1 target=2` before.
    func pairSubjects(_ source: UInt16, _ target: UInt16?) -> String {
        if settings.behaviour.avcRecordsPrintDomains {
            return "source=\(Self.printDomain(source)) " + (target.map { "target=\(Self.printDomain($0)) " } ?? "")
        }
        return "domid=\(source) " + (target.map { "target=\($0) " } ?? "")
    }

    /// Xen's `%pd`: `d<id>`, or `d[IDLE]`, `d[XEN]`, `d[IO]`, `d[COW]`.
    static func printDomain(_ domid: UInt16) -> String {
        switch domid {
        case ArgoABI.domidIO: "d[IO]"
        case ArgoABI.domidXen: "d[XEN]"
        case ArgoABI.domidCOW: "d[COW]"
        case ArgoABI.domidIdle: "d[IDLE]"
        default: "d\(domid)"
        }
    }
}
