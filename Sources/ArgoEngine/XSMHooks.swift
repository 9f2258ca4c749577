import XenProfile

/// The four Argo XSM hooks, dispatched on the boot-time module.
extension ArgoHypervisor {
    /// `xsm_argo_enable(d)`: `d` → `xen`, permission `enable`. `current` is the
    /// domain on whose behalf Xen runs (nil: the idle domain at boot).
    /// `quiet`: OpenXT's quiet check at domain creation (no AVC record).
    func checkEnable(_ domain: Domain, current: UInt16?, quiet: Bool = false) throws(XenErrno) {
        guard xsmKind == .flask, case .flask(let decider, let mode) = settings.xsm else { return }
        try avcHasPermission(decider, mode, source: domain.sid, target: decider.xenSID,
                             requested: ArgoPermissions.enable.rawValue,
                             subjects: "current=\(Self.printDomain(current ?? ArgoABI.domidIdle)) ", quiet: quiet)
    }

    /// `xsm_argo_register_any_source(d)`: `d` → `xen`, `register_any_source`.
    func checkRegisterAnySource(_ domain: Domain) throws(XenErrno) {
        guard case .flask(let decider, let mode) = settings.xsm else { return }
        try avcHasPermission(decider, mode, source: domain.sid, target: decider.xenSID,
                             requested: ArgoPermissions.registerAnySource.rawValue,
                             subjects: "current=\(Self.printDomain(domain.domid)) ")
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
            if domain.isControl || other.isControl || domain === other { return }
            statistics.xsmRefusals += 1
            throw .EPERM
        case .flask(let decider, let mode):
            var subjects = "source=\(Self.printDomain(domain.domid)) "
            if other !== domain { subjects += "target=\(Self.printDomain(other.domid)) " }
            try avcHasPermission(decider, mode, source: domain.sid,
                                 target: targetSID(decider, domain, other),
                                 requested: requested, subjects: subjects)
        }
    }

    /// `domain_target_sid`: self SID on itself, the device-model target SID on
    /// the domain it serves, else the other domain's SID.
    func targetSID(_ decider: any FlaskArgoDecider, _ source: Domain, _ target: Domain) -> UInt32 {
        if source === target { return source.selfSID }
        if let served = source.deviceModelTarget, served == target.domid {
            return decider.deviceModelTargetSID(deviceModel: source.sid, target: target.sid)
        }
        return target.sid
    }

    /// `avc_has_perm` for class argo with auditing, including the AVC cache
    /// update that makes a permissive denial log only once.
    func avcHasPermission(_ decider: any FlaskArgoDecider, _ mode: FlaskMode, source: UInt32, target: UInt32,
                          requested: UInt32, subjects: String, quiet: Bool = false) throws(XenErrno) {
        let key = AVCKey(source: source, target: target)
        let decision: FlaskDecision
        if let cached = avcCache[key] {
            decision = cached
        } else {
            decision = decider.argoDecision(source: source, target: target)
            avcCache[key] = decision
        }
        let denied = requested & ~decision.allowed
        var failure: XenErrno?
        if denied != 0 {
            if mode == .permissive || decision.permissiveSource {
                avcCache[key]?.allowed |= requested
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
            appendAudit(AVCRecord(denied: denied != 0, permissions: audited, subjects: subjects,
                                  sourceSID: source, targetSID: target,
                                  sourceContext: decider.context(of: source),
                                  targetContext: decider.context(of: target)))
        }
        if let failure {
            statistics.xsmRefusals += 1
            throw failure
        }
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
