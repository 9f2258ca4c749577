import Sepol
import ArgoEngine
import DecisionTable
import Flask

/// The decision table answering the engine's FLASK questions for class `argo`.
public struct TableDecider: FlaskArgoDecider {
    public let table: DecisionTable
    private let argo: UInt16
    private let slot: Int?
    public let xenSID: UInt32

    public init(system: ResolvedSystem) {
        table = system.table
        argo = system.policy.classValue("argo")!
        slot = system.table.slot(of: argo)
        xenSID = system.xenSID
    }

    public func argoDecision(source: UInt32, target: UInt32) -> FlaskDecision {
        let inTable = source >= 1 && target >= 1 && Int(source) <= table.sids.count && Int(target) <= table.sids.count
        let av = inTable && slot != nil ? table.decision(source, target, slot: slot!) : AccessVector.initial
        return FlaskDecision(
            allowed: av.allowed, auditAllow: av.auditallow, auditDeny: av.auditdeny,
            permissiveSource: inTable && table.isPermissive(source))
    }

    public func selfSID(of sid: UInt32) -> UInt32 {
        sid >= 1 && Int(sid) <= table.selfSIDs.count ? table.selfSID(of: sid) : sid
    }

    public func deviceModelTargetSID(deviceModel: UInt32, target: UInt32) -> UInt32 {
        table.targetSID(deviceModel: deviceModel, target: target) ?? target
    }

    public func context(of sid: UInt32) -> String? {
        table.context(of: sid).map { table.policy.string($0) }
    }
}
