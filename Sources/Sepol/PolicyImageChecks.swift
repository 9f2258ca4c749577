/// Cross-reference checks on a copied policy image.
///
/// libsepol's reader checks much of a binary, but not everything the rest of Argus indexes
/// by: the numbers of initial SIDs, the shape of boolean and constraint expressions, that
/// sensitivities and categories are numbered without gaps. Every value that is later used as
/// an index is checked here against the table it indexes, so that an image that passes can be
/// used without bounds checks (an out-of-range value after this point is Argus's own bug).
extension PolicyImage {
    /// Initial SIDs are numbered from 1 in declaration order by checkpolicy; Xen defines about a
    /// dozen. Argus numbers a run's SIDs densely after them, so a number is bounded.
    public static let maximumInitialSID: UInt32 = 1024

    /// Throws the first value that does not name an entry of the table it refers to.
    public func checkReferences() throws(SepolReadError) {
        let typeCount = UInt32(types.count), roleCount = UInt32(roles.count), userCount = UInt32(users.count)
        let classCount = UInt32(classes.count), booleanCount = UInt32(booleans.count)

        func inRange(_ value: UInt32, _ count: UInt32, _ what: @autoclosure () -> String) throws(SepolReadError) {
            guard value >= 1 && value <= count else { throw corrupt("\(what()) refers to value \(value) of \(count)") }
        }
        func optional(_ value: UInt32, _ count: UInt32, _ what: @autoclosure () -> String) throws(SepolReadError) {
            if value != 0 { try inRange(value, count, what()) }
        }
        func check(_ level: Level, _ what: @autoclosure () -> String) throws(SepolReadError) {
            try inRange(level.sensitivity, UInt32(sensitivities.count), "\(what()) sensitivity")
            for c in level.categories { try inRange(c, UInt32(categories.count), "\(what()) category") }
        }
        func check(_ range: Range?, _ what: @autoclosure () -> String) throws(SepolReadError) {
            if let range {
                try check(range.low, "\(what()) low level")
                try check(range.high, "\(what()) high level")
            } else if mls {
                throw corrupt("\(what()) has no MLS range in an MLS policy")
            }
        }

        for (i, c) in classes.enumerated() {
            guard c.value == UInt32(i + 1) else { throw corrupt("class \(c.name) is numbered \(c.value), expected \(i + 1)") }
            guard c.permissions.count <= 32 else { throw corrupt("class \(c.name) has more than 32 permissions") }
            for constraint in c.constraints + c.validateTransitions {
                try Self.checkConstraint(constraint, className: c.name, counts: (userCount, roleCount, typeCount))
            }
        }
        for (i, t) in types.enumerated() {
            guard t.value == UInt32(i + 1) else { throw corrupt("type \(t.name) is numbered \(t.value), expected \(i + 1)") }
            try optional(t.bounds, typeCount, "the bounds of type \(t.name)")
        }
        guard typeAttributeMap.count == types.count else {
            throw corrupt("the type/attribute map has \(typeAttributeMap.count) rows for \(types.count) types")
        }
        for (i, keys) in typeAttributeMap.enumerated() {
            for k in keys { try inRange(k, typeCount, "the attributes of type \(types[i].name)") }
        }
        for (i, r) in roles.enumerated() {
            guard r.value == UInt32(i + 1) else { throw corrupt("role \(r.name) is numbered \(r.value), expected \(i + 1)") }
            for t in r.types { try inRange(t, typeCount, "the types of role \(r.name)") }
            for d in r.dominates { try inRange(d, roleCount, "the dominance of role \(r.name)") }
            try optional(r.bounds, roleCount, "the bounds of role \(r.name)")
        }
        for (i, u) in users.enumerated() {
            guard u.value == UInt32(i + 1) else { throw corrupt("user \(u.name) is numbered \(u.value), expected \(i + 1)") }
            for r in u.roles { try inRange(r, roleCount, "the roles of user \(u.name)") }
            try optional(u.bounds, userCount, "the bounds of user \(u.name)")
            try check(u.range, "the range of user \(u.name)")
            if let level = u.defaultLevel { try check(level, "the default level of user \(u.name)") }
        }
        for (i, b) in booleans.enumerated() where b.value != UInt32(i + 1) {
            throw corrupt("boolean \(b.name) is numbered \(b.value), expected \(i + 1)")
        }
        for (i, s) in sensitivities.enumerated() {
            guard s.value == UInt32(i + 1) else { throw corrupt("sensitivity \(s.name) is numbered \(s.value), expected \(i + 1)") }
            for c in s.categories { try inRange(c, UInt32(categories.count), "the categories of sensitivity \(s.name)") }
        }
        for (i, c) in categories.enumerated() where c.value != UInt32(i + 1) {
            throw corrupt("category \(c.name) is numbered \(c.value), expected \(i + 1)")
        }

        for e in accessVectors {
            try inRange(e.source, typeCount, "an access vector rule's source")
            try inRange(e.target, typeCount, "an access vector rule's target")
            try inRange(UInt32(e.tclass), classCount, "an access vector rule's class")
            switch e.kind {
            case .typeTransition, .typeMember, .typeChange: try inRange(e.data, typeCount, "a type rule's new type")
            case .allow, .auditallow, .auditdeny: break
            }
            if let c = e.conditional, c < 0 || c >= conditionals.count { throw corrupt("a rule's conditional \(c) does not exist") }
        }
        for cond in conditionals {
            var depth = 0
            for token in cond.expression {
                switch token {
                case .boolean(let v): try inRange(v, booleanCount, "a conditional expression"); depth += 1
                case .not: guard depth >= 1 else { throw corrupt("a conditional expression is malformed") }
                default:
                    guard depth >= 2 else { throw corrupt("a conditional expression is malformed") }
                    depth -= 1
                }
            }
            guard depth == 1 else { throw corrupt("a conditional expression is malformed") }
            for i in cond.trueEntries + cond.falseEntries where i < 0 || i >= accessVectors.count {
                throw corrupt("a conditional refers to rule \(i) of \(accessVectors.count)")
            }
        }
        for t in roleTransitions {
            try inRange(t.role, roleCount, "a role transition's role")
            try inRange(t.type, typeCount, "a role transition's type")
            try inRange(t.tclass, classCount, "a role transition's class")
            try inRange(t.newRole, roleCount, "a role transition's new role")
        }
        for a in roleAllows {
            try inRange(a.role, roleCount, "a role allow rule")
            try inRange(a.newRole, roleCount, "a role allow rule")
        }
        for t in rangeTransitions {
            try inRange(t.source, typeCount, "a range transition's source")
            try inRange(t.target, typeCount, "a range transition's target")
            try inRange(t.tclass, classCount, "a range transition's class")
            try check(t.range, "a range transition")
        }
        var numbers: Set<UInt32> = []
        for sid in initialSIDs {
            guard sid.number >= 1 && sid.number <= Self.maximumInitialSID else {
                throw corrupt("initial SID number \(sid.number) is outside 1-\(Self.maximumInitialSID)")
            }
            guard numbers.insert(sid.number).inserted else { throw corrupt("initial SID \(sid.number) is labelled twice") }
            let c = sid.context
            try inRange(c.user, userCount, "the context of initial SID \(sid.number)")
            try inRange(c.role, roleCount, "the context of initial SID \(sid.number)")
            try inRange(c.type, typeCount, "the context of initial SID \(sid.number)")
            try check(c.range, "the context of initial SID \(sid.number)")
        }
    }

    private static func checkConstraint(
        _ constraint: Constraint, className: String, counts: (users: UInt32, roles: UInt32, types: UInt32)
    ) throws(SepolReadError) {
        var depth = 0
        for node in constraint.expression {
            switch node.kind {
            case .not: guard depth >= 1 else { throw corrupt("a constraint of class \(className) is malformed") }
            case .and, .or:
                guard depth >= 2 else { throw corrupt("a constraint of class \(className) is malformed") }
                depth -= 1
            case .attribute:
                depth += 1
            case .names:
                let attribute = node.attribute & ~(ConstraintNode.target | ConstraintNode.xtarget)
                let count: UInt32
                switch attribute {
                case ConstraintNode.user: count = counts.users
                case ConstraintNode.role: count = counts.roles
                case ConstraintNode.type: count = counts.types
                default: throw corrupt("a constraint of class \(className) names an unknown attribute \(node.attribute)")
                }
                if let bad = node.names.first(where: { $0 < 1 || $0 > count }) {
                    throw corrupt("a constraint of class \(className) refers to value \(bad) of \(count)")
                }
                depth += 1
            }
        }
        guard depth == 1 || constraint.expression.isEmpty else {
            throw corrupt("a constraint of class \(className) is malformed")
        }
    }
}
