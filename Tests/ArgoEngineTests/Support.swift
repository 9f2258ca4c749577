@testable import ArgoEngine

/// A small world: dom0 (control), d1, d2, all with Argo.
func makeWorld(_ settings: ArgoBootSettings = ArgoBootSettings(), compat: Set<UInt16> = []) -> ArgoHypervisor {
    let hypervisor = ArgoHypervisor(settings: settings)
    try! hypervisor.createDomain(ArgoDomainSpec(domid: 0, name: "dom0", sid: 2, isControl: true))
    try! hypervisor.createDomain(ArgoDomainSpec(domid: 1, name: "a1", sid: 10, isCompat: compat.contains(1)))
    try! hypervisor.createDomain(ArgoDomainSpec(domid: 2, name: "a2", sid: 11, isCompat: compat.contains(2)))
    return hypervisor
}

/// The XenErrno a call threw, or nil if it returned.
func errno(_ body: () throws -> Void) -> XenErrno? {
    do { try body() } catch let error as XenErrno { return error } catch { return nil }
    return nil
}

func address(_ domid: UInt16, _ aport: UInt32) -> ArgoAddress { ArgoAddress(aport: aport, domainID: domid) }
let any = ArgoABI.domidAny

/// A decider over a table of allowed bits; contexts are "ctx<sid>".
struct TableDecider: FlaskArgoDecider {
    var allowed: [UInt64: UInt32] = [:]
    var auditAllow: UInt32 = 0
    var dontAudit: UInt32 = 0
    var permissiveSIDs: Set<UInt32> = []
    var xenSID: UInt32 { 1 }

    func argoDecision(source: UInt32, target: UInt32) -> FlaskDecision {
        FlaskDecision(allowed: allowed[UInt64(source) << 32 | UInt64(target)] ?? 0, auditAllow: auditAllow,
                      auditDeny: ~dontAudit, permissiveSource: permissiveSIDs.contains(source))
    }
    func selfSID(of sid: UInt32) -> UInt32 { sid + 1000 }
    func deviceModelTargetSID(deviceModel: UInt32, target: UInt32) -> UInt32 { target + 2000 }
    func context(of sid: UInt32) -> String? { sid == 999 ? nil : "ctx\(sid)" }

    mutating func allow(_ source: UInt32, _ target: UInt32, _ permissions: ArgoPermissions) {
        allowed[UInt64(source) << 32 | UInt64(target), default: 0] |= permissions.rawValue
    }
}
