import ArgoEngine
import DecisionTable
import Flask
import Sepol
import XenProfile

/// What `argus lint` reads: a policy and, optionally, a system file's boot settings and labels.
public struct LintInput: Sendable {
    public var policy: Policy
    /// Boot settings from `--system`; nil when linting the policy alone.
    public var boot: BootSettings?
    /// Domain labels from `--system` (`user:role:type[:range]`); nil when linting the policy alone.
    public var domainLabels: [String]?

    public init(policy: Policy, boot: BootSettings? = nil, domainLabels: [String]? = nil) {
        self.policy = policy
        self.boot = boot
        self.domainLabels = domainLabels
    }
}

/// The facts about a policy that the Argo lint checks share: the hypervisor's type, the domain
/// types, the labels Xen substitutes for self and device-model checks, and type-level argo
/// decisions under the policy's default booleans (constraints are not applied: they depend on
/// users and roles, which a type-level linter does not know).
struct ArgoPolicyFacts: Sendable {
    let policy: Policy
    let te: TypeEnforcement
    let argo: UInt16
    let bits: [ArgoPermission: UInt32]
    let boot: BootSettings?
    /// The type of the `xen` initial SID (target of `enable` and `register_any_source`).
    let xenType: UInt32?
    /// Concrete types used as the type of a domain's context (see docs/LINT.md).
    let domainTypes: Set<UInt32>
    /// `type_transition T T:domain X` with X ≠ T: the label Xen checks when a T domain acts on itself.
    let selfType: [UInt32: UInt32]
    /// For each label made by `type_transition G DM:domain X` (G ≠ DM): the (guest, device model) pairs.
    let deviceModelLabels: [UInt32: [(guest: UInt32, deviceModel: UInt32)]]
    /// For each type or attribute value: the concrete types it covers.
    let covers: [[UInt32]]
    let locator: RuleLocator

    init(_ input: LintInput) throws(InputError) {
        let policy = input.policy
        self.policy = policy
        boot = input.boot
        (argo, bits) = try ArgoPermission.classAndMasks(in: policy)
        te = TypeEnforcement(policy: policy)
        locator = RuleLocator(policy: policy)
        let image = policy.image
        var covers = [[UInt32]](repeating: [], count: image.types.count)
        for (i, keys) in image.typeAttributeMap.enumerated() where !image.types[i].isAttribute {
            for k in keys where k >= 1 && Int(k) <= covers.count { covers[Int(k) - 1].append(UInt32(i + 1)) }
        }
        self.covers = covers
        xenType = policy.initialSID(named: "xen")?.context.type

        var selfType: [UInt32: UInt32] = [:]
        var dmLabels: [UInt32: [(guest: UInt32, deviceModel: UInt32)]] = [:]
        let domainClass = policy.classValue("domain")
        for (i, e) in image.accessVectors.enumerated()
        where e.kind == .typeTransition && e.tclass == domainClass && te.entryEnabled[i] {
            for s in covers[Int(e.source) - 1] {
                for t in covers[Int(e.target) - 1] where e.data != s || s != t {
                    if s == t { selfType[s] = e.data } else { dmLabels[e.data, default: []].append((s, t)) }
                }
            }
        }
        self.selfType = selfType
        deviceModelLabels = dmLabels

        if let labels = input.domainLabels {
            var types: Set<UInt32> = []
            for label in labels {
                let parts = label.split(separator: ":", omittingEmptySubsequences: false)
                if parts.count >= 3, let t = policy.typeValue(String(parts[2])) { types.insert(t) }
            }
            domainTypes = types
        } else {
            // Types a domain can run as: authorised for a role other than object_r, or the source
            // of an argo or domain-class allow rule; minus the hypervisor's own initial SIDs'
            // types and the labels Xen computes for self and device-model checks.
            var candidates: Set<UInt32> = []
            for role in image.roles where role.value != 1 {
                for t in role.types where t >= 1 && Int(t) <= image.types.count && !image.types[Int(t) - 1].isAttribute {
                    candidates.insert(t)
                }
            }
            for e in image.accessVectors where e.kind == .allow && (e.tclass == argo || e.tclass == domainClass) {
                candidates.formUnion(covers[Int(e.source) - 1])
            }
            let domainSIDs: Set<String> = ["dom0", "domU", "domDM"]
            for (number, name) in policy.initialSIDNames where !domainSIDs.contains(name) {
                if let sid = image.initialSIDs.first(where: { $0.number == number }) { candidates.remove(sid.context.type) }
            }
            if let xenType { candidates.remove(xenType) }
            for x in selfType.values { candidates.remove(x) }
            for x in dmLabels.keys { candidates.remove(x) }
            domainTypes = candidates
        }
    }

    var sortedDomainTypes: [UInt32] { domainTypes.sorted { name($0) < name($1) } }

    func name(_ type: UInt32) -> String { policy.typeName(type) }

    func allows(_ s: UInt32, _ t: UInt32, _ p: ArgoPermission) -> Bool {
        te.vector(source: s, target: t, tclass: argo).allowed & bits[p]! != 0
    }

    /// May domains of type `r` hold wildcard rings (the permission, and the boot settings when known)?
    func hasUsableWildcard(_ r: UInt32) -> Bool {
        guard let xenType, allows(r, xenType, .registerAnySource) else { return false }
        if let boot, boot.xsm == .flask { return boot.argo && boot.macPermissive }
        return true
    }

    /// For `send` from `s` checked against label `t`: the receiver's type, and the label the
    /// receiver's `register_single_source` check uses for `s`. Nil when `t` is no label Xen
    /// checks for a sender of type `s`.
    func receiver(ofSendFrom s: UInt32, to t: UInt32) -> (receiver: UInt32, ringLabel: UInt32)? {
        if selfType[s] == t { return (s, t) }
        if let guest = deviceModelLabels[t]?.first(where: { $0.deviceModel == s })?.guest { return (guest, s) }
        if domainTypes.contains(t) { return (t, s) }
        return nil
    }

    /// For `register_single_source` by `r` for label `t`: the sender's type and the labels its
    /// `send` check may use for `r`. Nil when `t` is no label Xen checks for a ring of `r`.
    func sender(ofRingOf r: UInt32, for t: UInt32) -> (sender: UInt32, sendLabels: [UInt32])? {
        if selfType[r] == t { return (r, [t]) }
        if let guest = deviceModelLabels[t]?.first(where: { $0.deviceModel == r })?.guest { return (guest, [r]) }
        if domainTypes.contains(t) {
            // If t's domain is r's device model, its send is checked against r's target label.
            let viaTarget = deviceModelLabels.filter { $0.value.contains { $0.guest == r && $0.deviceModel == t } }.map(\.key)
            return (t, [r] + viaTarget)
        }
        return nil
    }

    /// Is `t` a label Xen can check when a domain of type `s` acts on another domain (or itself)?
    func isPeerLabel(_ t: UInt32, forSource s: UInt32) -> Bool {
        if t == xenType { return false }
        return domainTypes.contains(t) || selfType[s] == t
            || (deviceModelLabels[t]?.contains { $0.deviceModel == s } ?? false)
    }

    /// Every label a domain of type `s` may be checked against as a peer.
    func peerLabels(forSource s: UInt32) -> [UInt32] {
        var out = domainTypes
        if let x = selfType[s] { out.insert(x) }
        for (label, pairs) in deviceModelLabels where pairs.contains(where: { $0.deviceModel == s }) { out.insert(label) }
        return out.sorted { name($0) < name($1) }
    }

    /// The first source statement behind `p` from `s` to `t` (entries of `kind`).
    func reference(_ s: UInt32, _ t: UInt32, _ p: ArgoPermission, kind: PolicyImage.AccessVectorEntry.Kind = .allow) -> RuleReference? {
        let bit = bits[p]!
        for index in te.contributingEntries(source: s, target: t, tclass: argo) {
            let e = policy.image.accessVectors[index]
            guard e.kind == kind else { continue }
            let covered = kind == .auditdeny ? (~e.data & bit != 0) : (e.data & bit != 0)
            if covered { return locator.references(entry: index, permission: p.rawValue).first }
        }
        return nil
    }

    /// Enabled argo entries of one kind, with their index.
    func argoEntries(_ kind: PolicyImage.AccessVectorEntry.Kind) -> [(index: Int, entry: PolicyImage.AccessVectorEntry)] {
        policy.image.accessVectors.enumerated().compactMap { i, e in
            e.kind == kind && e.tclass == argo && te.entryEnabled[i] ? (i, e) : nil
        }
    }

    func permissions(in mask: UInt32) -> [ArgoPermission] {
        ArgoPermission.allCases.filter { mask & bits[$0]! != 0 }
    }
}
