import ArgoEngine
import DecisionTable
import Flask
import Sepol

/// A domain of the inventory as an AVC record names it.
public struct LoggedDomain: Sendable, Equatable, Codable {
    /// As the log prints it (`d5`, `d[IDLE]`).
    public var logged: String
    /// The inventory's domain with that domid, if any.
    public var name: String?
    public var label: String?
}

/// The smallest rule that would have allowed a denial, audit2allow style.
public struct SuggestedRule: Sendable, Equatable, Codable {
    public var rule: String
    /// Constraints or bounds that would still deny it with the rule added.
    public var stillDeniedBy: [String]
    /// `[[never]]` rules (from `--rules`) that the rule would break.
    public var breaksNeverRules: [BrokenNeverRule]
}

public struct BrokenNeverRule: Sendable, Equatable, Codable {
    public var location: SourceLocation
    public var rule: String
    public var reason: String?
}

/// One permission of one AVC record, explained.
public struct AVCExplanation: Sendable, Equatable, Codable {
    public var line: Int
    public var record: String
    public var decision: String
    public var permission: String
    /// The Xen hook that asked: enable, register_any_source, register_single_source or send.
    public var hook: String
    public var source: LoggedDomain?
    /// The partner domain (nil for hooks checked against the hypervisor).
    public var target: LoggedDomain?
    public var scontext: String
    public var tcontext: String
    /// Disagreements between the log and the inventory, unknown domains, unusable contexts.
    public var notes: [String]
    /// Why the security server decided as it did, under the given policy and booleans.
    public var reasons: [String]
    /// Rules that grant the permission (grants) or would grant it with a boolean flipped (denials).
    public var rules: [RuleReference]
    public var suggestion: SuggestedRule?
}

/// Explains argo AVC records against a policy and an inventory.
public struct AVCExplainer: Sendable {
    public let system: ResolvedSystem
    public let neverRules: NeverRules
    private let locator: RuleLocator
    private let argo: UInt16

    public init(system: ResolvedSystem, neverRules: NeverRules = NeverRules(rules: [])) {
        self.system = system
        self.neverRules = neverRules
        locator = RuleLocator(policy: system.policy)
        argo = system.policy.classValue("argo")!
    }

    private var policy: Policy { system.policy }

    private func domain(_ d: AVCDomain?) -> (index: Int?, logged: LoggedDomain?) {
        guard let d else { return (nil, nil) }
        guard case .domid(let id) = d, let i = system.domains.firstIndex(where: { Int($0.domid) == id }) else {
            return (nil, LoggedDomain(logged: d.description, name: nil, label: nil))
        }
        return (i, LoggedDomain(logged: d.description, name: system.domains[i].name, label: system.domains[i].label))
    }

    private func contextString(_ sid: UInt32) -> String? { system.table.context(of: sid).map { policy.string($0) } }

    public func explain(_ record: AVCLogRecord) -> [AVCExplanation] {
        let xenContext = contextString(system.xenSID)
        let scontext = record.sourceContext ?? "ssid=\(record.sourceSID ?? "?")"
        let tcontext = record.targetContext ?? "tsid=\(record.targetSID ?? "?")"
        let againstXen = record.targetContext != nil && record.targetContext == xenContext
        var (i, source) = domain(record.source)
        // argo_init's `enable` check at domain creation runs in the toolstack's context, so
        // Xen logs current= as the creating domain: the domain checked is the one created.
        var creation: [String] = []
        if record.permissions == ["enable"], againstXen, record.usesCurrent, let sc = record.sourceContext,
           let k = i, let logged = contextString(system.sids[k]), !sameContext(sc, logged) {
            let created = system.domains.indices.filter { contextString(system.sids[$0]).map { sameContext(sc, $0) } ?? false }
            creation.append("logged by argo_init at domain creation: current=\(record.source?.description ?? "?") is the toolstack "
                + "creating the domain; the domain refused is the one being created (\(created.isEmpty ? sc : created.map { system.domains[$0].name }.joined(separator: " or "))), "
                + "which gets no Argo state")
            if system.profile.quietEnableCheckAtCreation {
                creation.append("\(system.profile) makes this check without an AVC record (argo-quiet-xsm-check-during-init.patch): such a line cannot come from this Xen")
            }
            if created.count == 1 {
                i = created[0]
                source = LoggedDomain(logged: record.source?.description ?? "?", name: system.domains[created[0]].name, label: system.domains[created[0]].label)
            }
        }
        var (j, target): (Int?, LoggedDomain?) = (nil, nil)
        if !againstXen { (j, target) = record.target.map { domain($0) } ?? (i, source) }

        return record.permissions.map { name in
            let p = ArgoPermission(rawValue: name)!
            var notes: [String] = creation
            var reasons: [String] = []
            var rules: [RuleReference] = []
            var suggestion: SuggestedRule?
            let hook = againstXen ? name : (p == .registerSingleSource ? "register_single_source" : "send")
            if againstXen, p == .send || p == .registerSingleSource {
                notes.append("\(name) is checked against the partner domain's label, yet tcontext is the xen initial SID's context")
            } else if !againstXen, p == .enable || p == .registerAnySource {
                notes.append("\(name) is checked against the xen initial SID (\(xenContext ?? "?")), yet tcontext is \(tcontext)")
            }
            if againstXen != record.usesCurrent {
                notes.append(record.usesCurrent ? "Xen logs domain-pair checks with source=/target=, not current=" : "Xen logs hypervisor checks with current=, not source=/target=")
            }
            if source?.name == nil { notes.append("\(record.source?.description ?? "the source domain") is not in the inventory (by domid)") }
            if !againstXen, let t = target, t.name == nil { notes.append("\(t.logged) is not in the inventory (by domid)") }

            // What the inventory says the contexts should be.
            if creation.isEmpty, let i, let sc = record.sourceContext, let expected = contextString(system.sids[i]), !sameContext(sc, expected) {
                notes.append("the log's scontext \(sc) differs from \(system.domains[i].name)'s label in the inventory (\(expected))")
            }
            if let i, let tc = record.targetContext {
                let expectedSID = againstXen ? system.xenSID : j.map { system.targetSID(i, $0) }
                if let sid = expectedSID, let expected = contextString(sid), !sameContext(tc, expected) {
                    let what = againstXen ? "the xen initial SID's context" : "the \(system.targetSIDRole(i, j!))"
                    notes.append("the log's tcontext \(tc) differs from \(what) in the inventory (\(expected))")
                }
            }

            let parsedSource = record.sourceContext.flatMap { try? policy.context($0) }
            let parsedTarget = record.targetContext.flatMap { try? policy.context($0) }
            if record.sourceContext == nil || record.targetContext == nil {
                notes.append("the record names a SID without a context; it cannot be evaluated")
            } else if parsedSource == nil || parsedTarget == nil {
                notes.append("\(parsedSource == nil ? scontext : tcontext) is not a valid context of this policy; it cannot be evaluated")
            }
            if let s = parsedSource, let t = parsedTarget {
                let bit = system.mask(p)
                let (av, trace) = system.table.evaluator.explain(s, t, tclass: argo)
                if av.allowed & bit != 0 {
                    reasons.append("the policy allows argo { \(name) } from \(policy.typeName(s.type)) to \(policy.typeName(t.type))")
                    rules = grantingRules(s.type, t.type, bit: bit, permission: name)
                    if record.denied { notes.append("the policy allows this now, but the log says denied: the log comes from another policy, boolean state or label") }
                    else if av.auditallow & bit != 0 { reasons.append("auditallow: the grant is logged") }
                } else {
                    reasons += denialReasons(s, t, p, trace: trace, rules: &rules)
                    if !record.denied { notes.append("the policy denies this now, but the log says granted") }
                    if trace.typeEnforcement.allowed & bit == 0 { suggestion = suggest(p, s, t, i, j) }
                    else { reasons.append("no allow rule can fix this: the labels or the constraint must change") }
                    if system.boot.flask == .permissive {
                        reasons.append("flask=permissive: Xen logged the denial but let the call through")
                    } else if policy.type(s.type).permissive {
                        reasons.append("permissive type \(policy.typeName(s.type)): Xen logged the denial but let the call through")
                    } else {
                        reasons.append("the call failed with -EACCES")
                    }
                }
            }
            if p == .registerAnySource, !system.boot.macPermissive {
                notes.append("the inventory's boot settings have mac-permissive off: Xen refuses wildcard rings before asking this hook")
            }
            return AVCExplanation(
                line: record.line, record: record.text, decision: record.denied ? "denied" : "granted",
                permission: name, hook: hook, source: source, target: target,
                scontext: scontext, tcontext: tcontext, notes: notes, reasons: reasons, rules: rules, suggestion: suggestion)
        }
    }

    private func sameContext(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard let x = try? policy.context(a), let y = try? policy.context(b) else { return false }
        return x == y
    }

    private func grantingRules(_ s: UInt32, _ t: UInt32, bit: UInt32, permission: String) -> [RuleReference] {
        system.table.evaluator.te.contributingEntries(source: s, target: t, tclass: argo).flatMap { index -> [RuleReference] in
            let e = policy.image.accessVectors[index]
            return e.kind == .allow && e.data & bit != 0 ? locator.references(entry: index, permission: permission) : []
        }
    }

    private func denialReasons(
        _ s: SecurityContext, _ t: SecurityContext, _ p: ArgoPermission,
        trace: AccessEvaluator.Trace, rules: inout [RuleReference]
    ) -> [String] {
        let bit = system.mask(p)
        let te = system.table.evaluator.te
        var reasons: [String] = []
        if trace.typeEnforcement.allowed & bit == 0 {
            for grant in te.disabledGrants(source: s.type, target: t.type, tclass: argo, permission: bit) {
                reasons.append("boolean off: " + ExpressionText.gatedGrant(entry: grant.entry, conditional: grant.conditional, te: te))
                rules += locator.references(entry: grant.entry, permission: p.rawValue)
            }
            if reasons.isEmpty {
                reasons.append("no rule: no allow rule grants argo { \(p.rawValue) } from \(policy.typeName(s.type)) to \(policy.typeName(t.type))")
            }
        }
        reasons += constraintFailures(s, t, bit: bit, trace: trace)
        if trace.removedByBounds & bit != 0 {
            reasons.append("bound: \(policy.typeName(s.type)) is bounded by \(policy.typeName(policy.type(s.type).bounds)), which may not do this")
        }
        return reasons
    }

    private func constraintFailures(_ s: SecurityContext, _ t: SecurityContext, bit: UInt32, trace: AccessEvaluator.Trace?) -> [String] {
        let cls = policy.securityClass(argo)
        var out: [String] = []
        for (index, c) in cls.constraints.enumerated() where c.permissions & bit != 0 {
            let failed = trace.map { $0.failedConstraints.contains { $0.index == index && $0.removed & bit != 0 } }
                ?? !system.table.evaluator.holds(c.expression, s, t)
            guard failed else { continue }
            let kind = c.usesLevels ? "mlsconstrain" : "constrain"
            out.append("constraint: \(kind) argo { \(policy.permissionNames(c.permissions, inClass: argo).joined(separator: " ")) } (\(ExpressionText.constraint(c.expression, policy: policy))) fails for this pair")
        }
        return out
    }

    private func suggest(_ p: ArgoPermission, _ s: SecurityContext, _ t: SecurityContext, _ i: Int?, _ j: Int?) -> SuggestedRule {
        let rule = "allow \(policy.typeName(s.type)) \(policy.typeName(t.type)):argo \(p.rawValue);"
        var still = constraintFailures(s, t, bit: system.mask(p), trace: nil)
        let bound = policy.type(s.type).bounds
        if bound != 0 {
            var lowT = t.type
            if policy.type(t.type).bounds != 0 { lowT = policy.type(t.type).bounds }
            if system.table.evaluator.te.vector(source: bound, target: lowT, tclass: argo).allowed & system.mask(p) == 0 {
                still.append("bound: \(policy.typeName(s.type)) is bounded by \(policy.typeName(bound)), which would also need it")
            }
        }
        let broken = neverRules.broken(by: p, source: s.type, target: t.type, sourceDomain: i, targetDomain: j, system: system)
        return SuggestedRule(rule: rule, stillDeniedBy: still, breaksNeverRules: broken.map {
            BrokenNeverRule(location: $0.location, rule: $0.description, reason: $0.reason)
        })
    }
}
