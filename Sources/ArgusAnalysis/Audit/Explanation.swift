import ArgoEngine
import DecisionTable
import Flask
import Sepol

/// A rule behind a decision: its text and, when the policy was compiled from source, where it stands.
public struct RuleReference: Sendable, Hashable, Codable {
    public var text: String
    public var location: SourceLocation?

    public init(text: String, location: SourceLocation?) {
        self.text = text
        self.location = location
    }

    public var description: String { location.map { "\($0): \(text)" } ?? text }
}

extension [RuleReference] {
    /// Each rule once, in first-seen order (several entries of the binary can come from one
    /// statement, and a statement can grant several entries of one decision).
    public var withoutRepeats: [RuleReference] {
        var seen = Set<RuleReference>()
        return filter { seen.insert($0).inserted }
    }
}

/// Why one hook answered as it did, step by step.
public struct HookExplanation: Sendable, Equatable, Codable {
    public var hook: String
    public var source: String
    public var target: String?
    public var allowed: Bool
    /// The chain: boot settings, SIDs and contexts used, the decision and its reasons.
    public var steps: [String]
    /// Rules that grant the permission (when allowed) or would grant it (a boolean away).
    public var rules: [RuleReference]
}

/// Builds explanations from the resolved system: the slow path, one decision at a time.
public struct Explainer: Sendable {
    public let system: ResolvedSystem
    private let hooks: ArgoHooks

    public init(_ system: ResolvedSystem) {
        self.system = system
        hooks = ArgoHooks(system)
    }

    private var policy: Policy { system.policy }

    /// Explains a hook: `enable`/`register_any_source` for one domain, the others for a pair.
    /// `atCreation`: `enable` as `argo_init` checks it, with the domain's build label.
    public func explain(_ p: ArgoPermission, _ i: Int, _ j: Int? = nil, atCreation: Bool = false) -> HookExplanation {
        let d = system.domains
        var steps: [String] = []
        var rules: [RuleReference] = []
        let verdict: HookVerdict
        let sourceSID = atCreation ? system.buildSIDs[i] : system.sids[i]
        let targetSID: UInt32
        if let j {
            verdict = hooks.domainHook(p, i, j)
            targetSID = system.targetSID(i, j)
        } else {
            verdict = atCreation ? hooks.creationHook(domain: i) : hooks.hypervisorHook(p, domain: i)
            targetSID = system.xenSID
        }
        switch system.boot.xsm {
        case .dummy:
            steps.append("xsm=dummy: every Argo hook allows")
        case .silo:
            if let j, p == .registerSingleSource || p == .send {
                if i == j { steps.append("xsm=silo: a domain may always use Argo with itself") }
                else if d[i].privileged { steps.append("xsm=silo: \(d[i].name) is a control domain") }
                else if d[j].privileged { steps.append("xsm=silo: \(d[j].name) is a control domain") }
                else { steps.append("xsm=silo: denied (-EPERM): neither \(d[i].name) nor \(d[j].name) is a control domain") }
            } else {
                steps.append("xsm=silo: the \(p.rawValue) hook is the dummy one and allows")
            }
        case .flask:
            let targetWhat = j.map { system.targetSIDRole(i, $0) } ?? "the xen initial SID"
            steps.append("flask: avc_has_perm(\(context(sourceSID)) -> \(context(targetSID)) [\(targetWhat)], argo { \(p.rawValue) })")
            let (av, trace) = flaskTrace(sourceSID, targetSID)
            let bit = system.mask(p)
            if verdict.granted {
                steps.append("granted by the policy")
                rules = grantingRules(sourceSID, targetSID, bit: bit)
                if av.auditallow & bit != 0 { steps.append("auditallow: the grant is logged") }
            } else {
                steps.append(contentsOf: denialReasons(sourceSID, targetSID, bit: bit, trace: trace, rules: &rules))
                if av.auditdeny & bit == 0 { steps.append("dontaudit: the denial is not logged") }
                if system.boot.flask == .permissive { steps.append("flask=permissive: allowed anyway (the denial is only logged)") }
                else if system.table.isPermissive(sourceSID) {
                    steps.append("permissive type \(typeName(sourceSID)): allowed anyway (the denial is only logged)")
                } else {
                    steps.append("denied: -EACCES")
                }
            }
        }
        return HookExplanation(hook: p.rawValue, source: d[i].name, target: j.map { d[$0].name },
                               allowed: verdict.allowed, steps: steps, rules: rules.withoutRepeats)
    }

    /// Explains a flow of the audit as the chain of hooks and boot settings it rests on.
    public func explain(flow: String, _ i: Int, _ j: Int?) -> [HookExplanation] {
        var out: [HookExplanation] = []
        let d = system.domains
        /// `calls`: the domain acts (its own calls need its state and the enable check).
        func argo(_ k: Int, calls: Bool = false) -> HookExplanation {
            var e = explain(.enable, k)
            if !system.boot.argo {
                e.steps.insert("boot: argo is off (no argo=1 on the Xen command line): every Argo call fails with -EOPNOTSUPP", at: 0)
                e.allowed = false
            } else if system.hasBuildLabel(k) {
                // Two labels, two checks: argo_init at creation decides the state, every call
                // is checked again with the label the domain runs with.
                let created = explain(.enable, k, atCreation: true)
                let late = system.boot.xsm == .flask && system.boot.flask == .late && d[k].createdBeforePolicy
                let label = d[k].buildLabel ?? "?"
                var steps = ["created with init_seclabel \(label): argo_init checks enable with that label (the build label decides the Argo state)"]
                steps += created.steps.map { "at creation: " + $0 }
                if late { steps.append("at creation: flask=late and created before the policy load: Argo state set up anyway") }
                let state = created.allowed || late
                steps.append(state ? "\(d[k].name) has Argo state" : "\(d[k].name) has no Argo state: its own calls fail with -ENODEV, others' with -ECONNREFUSED")
                steps.append("relabelled to \(d[k].label) before it runs: every Argo call checks enable again with that label")
                steps += e.steps.map { "at each call: " + $0 }
                if state && !e.allowed { steps.append("its calls fail at the enable check; others still see its Argo state") }
                e.steps = steps
                e.rules = (created.rules + e.rules).withoutRepeats
                e.allowed = calls ? state && e.allowed : state
            } else if !e.allowed {
                e.steps.append("\(d[k].name) has no Argo state: its own calls fail with -ENODEV, others' with -ECONNREFUSED")
            }
            return e
        }
        switch flow {
        case "argo": out.append(argo(i))
        case "register_any_source":
            out.append(argo(i, calls: true))
            var e = explain(.registerAnySource, i)
            if !system.boot.macPermissive {
                e.steps.insert("boot: mac-permissive is off: wildcard registration fails with -EPERM before any hook", at: 0)
                e.allowed = false
            }
            out.append(e)
        case "register_single_source", "send", "notify":
            guard let j else { return out }
            out.append(argo(i, calls: true))
            if i != j { out.append(argo(j)) }
            var e = explain(flow == "register_single_source" ? .registerSingleSource : .send, i, j)
            if flow == "notify" { e.steps.append("notify describes \(d[j].name)'s rings to \(d[i].name) only when this send check passes") }
            out.append(e)
        case "channel":
            guard let j else { return out }
            out += explain(flow: "send", i, j)
            out.append(explain(.registerSingleSource, j, i))
            out += explain(flow: "register_any_source", j, nil).suffix(1)
        default: break
        }
        return out
    }

    // MARK: FLASK details

    private func context(_ sid: UInt32) -> String { system.table.context(of: sid).map { policy.string($0) } ?? "sid \(sid)" }
    private func typeName(_ sid: UInt32) -> String { system.table.context(of: sid).map { policy.typeName($0.type) } ?? "?" }

    private func flaskTrace(_ s: UInt32, _ t: UInt32) -> (AccessVector, AccessEvaluator.Trace) {
        let sc = system.table.context(of: s)!, tc = system.table.context(of: t)!
        return system.table.evaluator.explain(sc, tc, tclass: policy.classValue("argo")!)
    }

    private func grantingRules(_ s: UInt32, _ t: UInt32, bit: UInt32) -> [RuleReference] {
        let te = system.table.evaluator.te
        let sc = system.table.context(of: s)!, tc = system.table.context(of: t)!
        let argo = policy.classValue("argo")!
        var out: [RuleReference] = []
        for index in te.contributingEntries(source: sc.type, target: tc.type, tclass: argo) {
            let e = policy.image.accessVectors[index]
            if e.kind == .allow, e.data & bit != 0 { out += references(for: index, permission: bit) }
        }
        return out
    }

    private func denialReasons(_ s: UInt32, _ t: UInt32, bit: UInt32, trace: AccessEvaluator.Trace, rules: inout [RuleReference]) -> [String] {
        let sc = system.table.context(of: s)!, tc = system.table.context(of: t)!
        let argo = policy.classValue("argo")!
        let perm = policy.permissionNames(bit, inClass: argo).first ?? "?"
        var reasons: [String] = []
        if trace.typeEnforcement.allowed & bit == 0 {
            // Would a conditional rule, switched off by the booleans, grant it?
            let te = system.table.evaluator.te
            var gated: [String] = []
            for grant in te.disabledGrants(source: sc.type, target: tc.type, tclass: argo, permission: bit) {
                gated.append(ExpressionText.gatedGrant(entry: grant.entry, conditional: grant.conditional, te: te))
                rules += references(for: grant.entry, permission: bit)
            }
            if gated.isEmpty {
                reasons.append("no allow rule grants argo { \(perm) } from \(policy.typeName(sc.type)) to \(policy.typeName(tc.type))")
            } else {
                reasons += gated
            }
        }
        let cls = policy.securityClass(argo)
        for failed in trace.failedConstraints where failed.removed & bit != 0 {
            let c = cls.constraints[failed.index]
            let kind = c.usesLevels ? "mlsconstrain" : "constrain"
            reasons.append("\(kind) argo { \(policy.permissionNames(c.permissions, inClass: argo).joined(separator: " ")) } (\(ExpressionText.constraint(c.expression, policy: policy))) fails for this pair")
        }
        if trace.removedByBounds & bit != 0 {
            reasons.append("typebounds: \(policy.typeName(sc.type)) is bounded by \(policy.typeName(policy.type(sc.type).bounds)), which may not do this")
        }
        return reasons
    }

    /// The source statements behind an access-vector entry, or the entry itself as text.
    private func references(for index: Int, permission bit: UInt32) -> [RuleReference] {
        let e = policy.image.accessVectors[index]
        let className = policy.className(e.tclass)
        let sName = policy.typeName(e.source), tName = policy.typeName(e.target)
        let permName = policy.permissionNames(bit, inClass: e.tclass).first ?? "?"
        if let origins = policy.ruleOrigins {
            let sourceNames = Set([sName] + policy.type(e.source).aliases)
            let targetNames = Set([tName] + policy.type(e.target).aliases)
            let kind: RuleOriginIndex.Kind = switch e.kind {
            case .auditallow: .auditallow
            case .auditdeny: .dontaudit
            default: .allow
            }
            // `self` rules on an attribute become one entry per type: match them by any key of the type.
            let keyNames = Set((policy.image.typeAttributeMap[Int(e.source) - 1]).map { policy.typeName($0) })
            let wild: Set<String> = ["*", "~"]
            let matches = origins.statements.filter { st in
                guard st.kind == kind, st.classes.contains(className) || st.classes.contains("*"),
                      st.permissions.contains(permName) || st.permissions.contains(where: wild.contains) else { return false }
                let direct = (st.sources.contains(where: sourceNames.contains) || st.sources.contains(where: wild.contains))
                    && (st.targets.contains(where: targetNames.contains) || st.targets.contains(where: wild.contains))
                let viaSelf = e.source == e.target && st.targets.contains("self") && st.sources.contains(where: keyNames.contains)
                return direct || viaSelf
            }
            if !matches.isEmpty { return matches.map { RuleReference(text: $0.text, location: $0.location) } }
        }
        let perms = policy.permissionNames(e.data, inClass: e.tclass).joined(separator: " ")
        return [RuleReference(text: "allow \(sName) \(tName):\(className) { \(perms) };", location: nil)]
    }
}
