import ArgoEngine
import DecisionTable
import Flask
import Foundation
import XenProfile

/// The Argo permissions of class `argo`, with their bits in the loaded policy.
public enum ArgoPermission: String, Sendable, CaseIterable, Codable {
    case enable
    case registerSingleSource = "register_single_source"
    case registerAnySource = "register_any_source"
    case send

    /// Position in `allCases`.
    @inline(__always)
    var ordinal: Int {
        switch self {
        case .enable: 0
        case .registerSingleSource: 1
        case .registerAnySource: 2
        case .send: 3
        }
    }

    /// Class `argo`'s value and each permission's bit in `policy`; an error when it lacks them.
    public static func classAndMasks(in policy: Policy) throws(InputError) -> (argo: UInt16, masks: [ArgoPermission: UInt32]) {
        guard let argo = policy.classValue("argo") else {
            throw InputError("the policy has no class 'argo' (built for a Xen without Argo?)", file: policy.origin.path)
        }
        var masks: [ArgoPermission: UInt32] = [:]
        for p in allCases {
            guard let m = policy.permissionMask(p.rawValue, inClass: argo) else {
                throw InputError("class argo in the policy lacks permission '\(p.rawValue)'", file: policy.origin.path)
            }
            masks[p] = m
        }
        return (argo, masks)
    }
}

/// An inventory bound to a policy: every domain's SID, its self SID and (for device models)
/// its target SID, in one decision table built for exactly these labels.
public struct ResolvedSystem: Sendable {
    public let inventory: SystemInventory
    public let table: DecisionTable
    public var policy: Policy { table.policy }
    public var boot: BootSettings { inventory.boot }
    /// The Xen every answer is for.
    public var profile: XenProfile { inventory.profile }
    public var domains: [DomainSpec] { inventory.domains }
    /// SID of each domain (index as in `domains`).
    public let sids: [UInt32]
    /// SID of each domain's label at creation: its `buildLabel` (xl's `init_seclabel`), else
    /// the same as `sids`. `argo_init` checks `enable` with it.
    public let buildSIDs: [UInt32]
    /// For a device-model domain, the index of the domain it serves.
    public let targets: [Int?]
    /// The `xen` initial SID that `enable` and `register_any_source` are checked against.
    public let xenSID: UInt32
    let argoSlot: Int
    /// Each permission's bit, indexed by `ArgoPermission.ordinal` (no hashing on the hot path).
    let masks: [UInt32]

    /// Resolves labels against the policy; `booleans` override the policy's defaults by name.
    /// `extraLabels` are put in the table too (domains a simulation creates later), with the
    /// label of the domain they serve as device model, if any.
    public init(
        inventory: SystemInventory, policy: Policy, booleans: [String: Bool] = [:],
        extraLabels: [(label: String, deviceModelTargetLabel: String?)] = []
    ) throws(InputError) {
        // libxl's default labels (the domU and domDM initial SIDs) are this policy's contexts.
        let inventory = try inventory.resolvingInitialSIDLabels(policy)
        self.inventory = inventory
        var overrides: [UInt32: Bool] = [:]
        for (name, value) in booleans {
            guard let v = policy.booleanValue(name) else { throw InputError("unknown boolean '\(name)' in the policy", file: policy.origin.path) }
            overrides[v] = value
        }
        let (argo, masks) = try ArgoPermission.classAndMasks(in: policy)
        self.masks = ArgoPermission.allCases.map { masks[$0]! }
        var contexts: [SecurityContext] = []
        // Domains by index, their fields read in place (a domain is a large value).
        let doms = inventory.domains
        contexts.reserveCapacity(doms.count)
        for i in doms.indices {
            do { contexts.append(try policy.context(doms[i].label)) } catch {
                let d = doms[i]
                throw InputError("domain '\(d.name)': \(error.description)", at: d.labelLocation ?? d.location ?? SourceLocation(file: inventory.path))
            }
        }
        var buildContexts: [SecurityContext?] = []
        buildContexts.reserveCapacity(doms.count)
        for i in doms.indices {
            guard let build = doms[i].buildLabel else { buildContexts.append(nil); continue }
            do { buildContexts.append(try policy.context(build)) } catch {
                let d = doms[i]
                throw InputError("domain '\(d.name)': init_seclabel: \(error.description)",
                                 at: d.buildLabelLocation ?? d.location ?? SourceLocation(file: inventory.path))
            }
        }
        var extras: [SecurityContext] = buildContexts.compactMap { $0 }
        var extraPairs: [(deviceModel: SecurityContext, target: SecurityContext)] = []
        for (label, targetLabel) in extraLabels {
            do {
                let c = try policy.context(label)
                extras.append(c)
                if let targetLabel { extraPairs.append((c, try policy.context(targetLabel))) }
            } catch {
                throw InputError(error.description, file: inventory.path)
            }
        }
        let index = Dictionary(uniqueKeysWithValues: doms.indices.lazy.map { (doms[$0].name, $0) })
        let targets = doms.indices.map { i in doms[i].target.flatMap { index[$0] } }
        self.targets = targets
        // Xen computes a device model's target SID when the toolstack sets the target, during the
        // guest's build, and does not recompute it when the guest is relabelled
        // (flask_relabel_domain updates the relabelled domain's own target SID only): the
        // guest's build label is the one that counts.
        let dmPairs = targets.enumerated().compactMap { i, t in t.map { (deviceModel: contexts[i], target: buildContexts[$0] ?? contexts[$0]) } }
        let evaluator = AccessEvaluator(TypeEnforcement(policy: policy, booleanOverrides: overrides))
        let built: DecisionTable
        do {
            built = try DecisionTable(evaluator: evaluator, contexts: contexts + extras, deviceModels: dmPairs + extraPairs, classes: ["argo"])
        } catch {
            throw InputError(error.description, file: inventory.path)
        }
        table = built
        // The table was built for `contexts + extras`: their SIDs in that order, no lookups.
        let given = built.contextSIDs
        sids = Array(given[0..<contexts.count])
        var nextBuild = contexts.count
        buildSIDs = buildContexts.indices.map { i in
            guard buildContexts[i] != nil else { return given[i] }
            defer { nextBuild += 1 }
            return given[nextBuild]
        }
        guard let xen = built.xenSID else {
            throw InputError("the policy labels no 'xen' initial SID", file: policy.origin.path)
        }
        xenSID = xen
        argoSlot = built.slot(of: argo)!
    }

    /// Whether domain `i` was built with a label other than the one it runs with.
    public func hasBuildLabel(_ i: Int) -> Bool { buildSIDs[i] != sids[i] }

    public func index(ofDomain name: String) -> Int? { domains.firstIndex { $0.name == name } }

    /// The SID Xen checks when domain `i` acts on domain `j`: its self SID on itself, its
    /// target SID on the domain it serves as device model, else `j`'s own SID.
    public func targetSID(_ i: Int, _ j: Int) -> UInt32 {
        if i == j { return table.selfSID(of: sids[i]) }
        if targets[i] == j, let t = table.targetSID(deviceModel: sids[i], target: buildSIDs[j]) { return t }
        return sids[j]
    }

    /// How the target SID was chosen, in words.
    public func targetSIDRole(_ i: Int, _ j: Int) -> String {
        if i == j { return "self SID of \(domains[i].name)" }
        if targets[i] == j {
            let built = buildSIDs[j] != sids[j] ? ", computed from \(domains[j].name)'s build label when the target was set" : ""
            return "target SID (\(domains[i].name) is the device model of \(domains[j].name)\(built))"
        }
        return "SID of \(domains[j].name)"
    }

    @inline(__always)
    public func mask(_ p: ArgoPermission) -> UInt32 { masks[p.ordinal] }
}
