public import Flask
public import Sepol

/// Computes access decisions and transitions from contexts, step by step as libsepol's
/// security server does (`context_struct_compute_av`, `sepol_compute_sid`):
/// type enforcement, then constraints (MLS included), then the role check on the domain
/// class's `transition`, then type bounds.
///
/// This is the slow, explainable path. `DecisionTable` uses it once per distinct pair at
/// build time and never at lookup time.
public struct AccessEvaluator: Sendable {
    public let te: TypeEnforcement
    public var policy: Policy { te.policy }
    /// The class whose transitions default to the source's role and type (`domain` on Xen).
    public let processClass: UInt16?
    private let processTransition: UInt32
    /// `transition` and `dyntransition` of the process class: what the role check removes.
    var processTransitionBits: UInt32 { processTransition }

    public init(_ te: TypeEnforcement) {
        self.te = te
        processClass = te.policy.classValue(te.policy.image.platform == .xen ? "domain" : "process")
        if let pc = processClass {
            processTransition = (te.policy.permissionMask("transition", inClass: pc) ?? 0)
                | (te.policy.permissionMask("dyntransition", inClass: pc) ?? 0)
        } else {
            processTransition = 0
        }
    }

    /// What each stage of a decision did, for explanations.
    public struct Trace: Sendable {
        public var typeEnforcement = AccessVector.initial
        /// Constraints that removed permissions: (index in the class's list, permissions removed).
        public var failedConstraints: [(index: Int, removed: UInt32)] = []
        public var removedByRoleCheck: UInt32 = 0
        public var removedByBounds: UInt32 = 0
        public init() {}
    }

    public func compute(_ s: SecurityContext, _ t: SecurityContext, tclass: UInt16) -> AccessVector {
        var trace: Trace?
        return compute(s, t, tclass: tclass, typeVector: nil, trace: &trace)
    }

    public func explain(_ s: SecurityContext, _ t: SecurityContext, tclass: UInt16) -> (AccessVector, Trace) {
        var trace: Trace? = Trace()
        let av = compute(s, t, tclass: tclass, typeVector: nil, trace: &trace)
        return (av, trace!)
    }

    /// `typeVector`, when given, is the precomputed TE vector for the two contexts' types.
    func compute(
        _ s: SecurityContext, _ t: SecurityContext, tclass: UInt16,
        typeVector: AccessVector?, trace: inout Trace?
    ) -> AccessVector {
        guard tclass >= 1 && Int(tclass) <= policy.image.classes.count else { return .initial }
        var av = typeVector ?? te.vector(source: s.type, target: t.type, tclass: tclass)
        trace?.typeEnforcement = av

        let cls = policy.securityClass(tclass)
        for (i, constraint) in cls.constraints.enumerated()
        where constraint.permissions & av.allowed != 0 && !holds(constraint.expression, s, t) {
            trace?.failedConstraints.append((i, constraint.permissions & av.allowed))
            av.allowed &= ~constraint.permissions
        }

        if tclass == processClass && av.allowed & processTransition != 0 && s.role != t.role
            && !policy.image.roleAllows.contains(where: { $0.role == s.role && $0.newRole == t.role }) {
            trace?.removedByRoleCheck = av.allowed & processTransition
            av.allowed &= ~processTransition
        }

        // Type bounds: what the bounding types could not do is masked (libsepol's form:
        // one decision with both sides replaced by their bounds where they have one).
        let sourceBound = policy.type(s.type).bounds
        if sourceBound != 0 {
            var lowSource = s
            lowSource.type = sourceBound
            var lowTarget = t
            let targetBound = policy.type(t.type).bounds
            if targetBound != 0 { lowTarget.type = targetBound }
            var none: Trace?
            let bounded = compute(lowSource, lowTarget, tclass: tclass, typeVector: nil, trace: &none)
            let masked = ~bounded.allowed & av.allowed
            if masked != 0 {
                trace?.removedByBounds = masked
                av.allowed &= ~masked
            }
        }
        return av
    }

    /// Evaluates a constraint expression (reverse Polish) for a context pair.
    public func holds(_ expression: [PolicyImage.ConstraintNode], _ s: SecurityContext, _ t: SecurityContext) -> Bool {
        typealias Node = PolicyImage.ConstraintNode
        var stack: [Bool] = []
        stack.reserveCapacity(8)
        for node in expression {
            switch node.kind {
            case .not:
                guard let a = stack.popLast() else { return false }
                stack.append(!a)
            case .and, .or:
                guard let b = stack.popLast(), let a = stack.popLast() else { return false }
                stack.append(node.kind == .and ? (a && b) : (a || b))
            case .attribute:
                stack.append(compareAttribute(node, s, t))
            case .names:
                let c = node.attribute & Node.target != 0 ? t : s
                let value: UInt32
                if node.attribute & Node.user != 0 { value = c.user }
                else if node.attribute & Node.role != 0 { value = c.role }
                else { value = c.type }
                let member = node.names.contains(value)
                stack.append(node.op == .notEqual ? !member : member)
            }
            // libsepol gives up (constraint fails) past a stack depth of five.
            if stack.count > 5 { return false }
        }
        return stack.last ?? false
    }

    private func compareAttribute(_ node: PolicyImage.ConstraintNode, _ s: SecurityContext, _ t: SecurityContext) -> Bool {
        typealias Node = PolicyImage.ConstraintNode
        switch node.attribute {
        case Node.user: return node.op == .equal ? s.user == t.user : node.op == .notEqual ? s.user != t.user : false
        case Node.type: return node.op == .equal ? s.type == t.type : node.op == .notEqual ? s.type != t.type : false
        case Node.role:
            let r1 = policy.image.roles[Int(s.role) - 1], r2 = policy.image.roles[Int(t.role) - 1]
            switch node.op {
            case .equal: return s.role == t.role
            case .notEqual: return s.role != t.role
            case .dominates: return r1.dominates.contains(t.role)
            case .dominatedBy: return r2.dominates.contains(s.role)
            case .incomparable: return !r1.dominates.contains(t.role) && !r2.dominates.contains(s.role)
            }
        default:
            guard let sr = s.range, let tr = t.range else { return false }
            let (l1, l2): (MLSLevel, MLSLevel)
            switch node.attribute {
            case Node.levelL1L2: (l1, l2) = (sr.low, tr.low)
            case Node.levelL1H2: (l1, l2) = (sr.low, tr.high)
            case Node.levelH1L2: (l1, l2) = (sr.high, tr.low)
            case Node.levelH1H2: (l1, l2) = (sr.high, tr.high)
            case Node.levelL1H1: (l1, l2) = (sr.low, sr.high)
            case Node.levelL2H2: (l1, l2) = (tr.low, tr.high)
            default: return false
            }
            switch node.op {
            case .equal: return l1 == l2
            case .notEqual: return l1 != l2
            case .dominates: return l1.dominates(l2)
            case .dominatedBy: return l2.dominates(l1)
            case .incomparable: return !l1.dominates(l2) && !l2.dominates(l1)
            }
        }
    }

    // MARK: transitions

    /// Why a computed context could not be used.
    public struct TransitionError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The context a type transition from `s` on `t` for `tclass` yields (`sepol_transition_sid`).
    public func transition(_ s: SecurityContext, _ t: SecurityContext, tclass: UInt16) throws(TransitionError) -> SecurityContext {
        let cls = Int(tclass) >= 1 && Int(tclass) <= policy.image.classes.count ? policy.securityClass(tclass) : nil
        let isProcess = tclass == processClass
        var n = SecurityContext(user: s.user, role: 0, type: 0, range: nil)
        if cls?.defaultUser == 2 { n.user = t.user }
        switch cls?.defaultRole {
        case 1: n.role = s.role
        case 2: n.role = t.role
        default: n.role = isProcess ? s.role : 1
        }
        switch cls?.defaultType {
        case 1: n.type = s.type
        case 2: n.type = t.type
        default: n.type = isProcess ? s.type : t.type
        }
        if let rule = te.typeRule(.typeTransition, source: s.type, target: t.type, tclass: tclass) {
            n.type = rule.newType
        }
        if let rt = policy.image.roleTransitions.first(where: { $0.role == s.role && $0.type == t.type && $0.tclass == UInt32(tclass) }) {
            n.role = rt.newRole
        }
        if policy.image.mls, let sr = s.range, let tr = t.range {
            n.range = transitionRange(sr, tr, source: s.type, target: t.type, tclass: tclass, cls: cls, isProcess: isProcess)
        }
        guard isValid(n) else {
            throw TransitionError(description: "transition yields the invalid context \(policy.string(n))")
        }
        return n
    }

    private func transitionRange(
        _ sr: MLSRange, _ tr: MLSRange, source: UInt32, target: UInt32, tclass: UInt16,
        cls: PolicyImage.SecurityClass?, isProcess: Bool
    ) -> MLSRange {
        if let r = policy.image.rangeTransitions.first(where: { $0.source == source && $0.target == target && $0.tclass == UInt32(tclass) }) {
            return r.range
        }
        switch cls?.defaultRange {
        case 1: return MLSRange(low: sr.low, high: sr.low)
        case 2: return MLSRange(low: sr.high, high: sr.high)
        case 3: return sr
        case 4: return MLSRange(low: tr.low, high: tr.low)
        case 5: return MLSRange(low: tr.high, high: tr.high)
        case 6: return tr
        default: return isProcess ? sr : MLSRange(low: sr.low, high: sr.low)
        }
    }

    /// libsepol's `policydb_context_isvalid` on a computed context.
    func isValid(_ c: SecurityContext) -> Bool {
        let image = policy.image
        guard c.user >= 1, Int(c.user) <= image.users.count, c.role >= 1, Int(c.role) <= image.roles.count,
              c.type >= 1, Int(c.type) <= image.types.count else { return false }
        if c.role != 1 {
            guard image.roles[Int(c.role) - 1].types.contains(c.type),
                  image.users[Int(c.user) - 1].roles.contains(c.role) else { return false }
        }
        if image.mls, let r = c.range {
            guard r.high.dominates(r.low) else { return false }
            if let ur = image.users[Int(c.user) - 1].range, !ur.contains(r) { return false }
        }
        return true
    }
}
