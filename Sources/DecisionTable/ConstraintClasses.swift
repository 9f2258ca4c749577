import Flask
import Sepol

/// A class's constraints evaluated once per pair of equivalence classes instead of once per
/// pair of contexts, and for one source class against every target class at once.
///
/// A constraint reads only some parts of the two contexts (`u1 == u2` reads users; an MLS
/// constraint reads ranges). Two contexts that agree on those parts give the same outcome, so
/// the rows of a table are grouped by the parts each group of constraints reads. For a source
/// class, each constraint of a group is evaluated over all target classes as bit sets (one
/// bit per class): a leaf such as `u1 == u2` is the precomputed set of classes with the
/// source's user, `and`/`or`/`not` are word operations. A user constraint over 1,000 domains
/// of 20 users is then 20 evaluations of a 20-bit set instead of a million comparisons.
///
/// The outcome is the same as evaluating per pair in libsepol's order: each failing constraint
/// removes its own permissions whatever the others did, so the order does not matter.
struct ConstraintClasses {
    /// Which parts of a context a constraint reads.
    struct Reads: OptionSet, Hashable {
        let rawValue: UInt8
        static let user = Reads(rawValue: 1)
        static let role = Reads(rawValue: 2)
        static let type = Reads(rawValue: 4)
        static let range = Reads(rawValue: 8)

        init(rawValue: UInt8) { self.rawValue = rawValue }

        init(_ expression: [PolicyImage.ConstraintNode]) {
            typealias Node = PolicyImage.ConstraintNode
            var reads: Reads = []
            for node in expression {
                switch node.kind {
                case .attribute:
                    switch node.attribute {
                    case Node.user: reads.insert(.user)
                    case Node.role: reads.insert(.role)
                    case Node.type: reads.insert(.type)
                    default: reads.insert(.range)
                    }
                case .names:
                    if node.attribute & Node.user != 0 { reads.insert(.user) }
                    else if node.attribute & Node.role != 0 { reads.insert(.role) }
                    else { reads.insert(.type) }
                case .not, .and, .or:
                    break
                }
            }
            self = reads
        }
    }

    /// The parts of a context one group of constraints reads.
    struct Projection: Hashable {
        var user: UInt32 = 0, role: UInt32 = 0, type: UInt32 = 0
        var range: PolicyImage.Range?

        init(_ c: SecurityContext, _ reads: Reads) {
            if reads.contains(.user) { user = c.user }
            if reads.contains(.role) { role = c.role }
            if reads.contains(.type) { type = c.type }
            if reads.contains(.range) { range = c.range }
        }
    }

    /// One group: the class of each row, the permissions its constraints cover, and the sets of
    /// classes each leaf needs (`words` 64-bit words per set, all in `sets`).
    struct Group {
        var constraints: [PolicyImage.Constraint]
        var permissions: UInt32
        var classOfRow: [Int32]
        var representatives: [SecurityContext]
        var classCount: Int { representatives.count }
        var words: Int
        var sets: [UInt64] = []
        /// Classes whose user, role or type is a value (set index by value).
        var userSet: [UInt32: Int] = [:], roleSet: [UInt32: Int] = [:], typeSet: [UInt32: Int] = [:]
        /// Classes whose low or high level is a level, and classes with a range at all.
        var lowSets: [(level: MLSLevel, set: Int)] = [], highSets: [(level: MLSLevel, set: Int)] = []
        var rangeSet = -1
        /// For each constraint and node: the classes on which a leaf that reads only the target
        /// holds (`t2 == { ... }`, `l2 eq h2`), else -1.
        var targetSets: [[Int]] = []

        init(constraints: [PolicyImage.Constraint], classOfRow: [Int32], representatives: [SecurityContext], reads: Reads) {
            self.constraints = constraints
            permissions = constraints.reduce(0) { $0 | $1.permissions }
            self.classOfRow = classOfRow
            self.representatives = representatives
            let words = max(1, (representatives.count + 63) / 64)
            self.words = words
            var sets: [UInt64] = []
            func newSet() -> Int {
                sets += [UInt64](repeating: 0, count: words)
                return sets.count / words - 1
            }
            func insert(_ set: Int, _ k: Int) { sets[set * words + k >> 6] |= 1 << UInt64(k & 63) }
            func insert(_ value: UInt32, into index: inout [UInt32: Int], _ k: Int) {
                if let s = index[value] { insert(s, k); return }
                let s = newSet()
                index[value] = s
                insert(s, k)
            }
            func insert(_ level: MLSLevel, into index: inout [(level: MLSLevel, set: Int)], _ k: Int) {
                if let i = index.firstIndex(where: { $0.level == level }) { insert(index[i].set, k); return }
                let s = newSet()
                index.append((level, s))
                insert(s, k)
            }
            var users: [UInt32: Int] = [:], roles: [UInt32: Int] = [:], types: [UInt32: Int] = [:]
            var lows: [(level: MLSLevel, set: Int)] = [], highs: [(level: MLSLevel, set: Int)] = []
            var ranged = -1
            for (k, c) in representatives.enumerated() {
                if reads.contains(.user) { insert(c.user, into: &users, k) }
                if reads.contains(.role) { insert(c.role, into: &roles, k) }
                if reads.contains(.type) { insert(c.type, into: &types, k) }
                if reads.contains(.range), let r = c.range {
                    if ranged < 0 { ranged = newSet() }
                    insert(ranged, k)
                    insert(r.low, into: &lows, k)
                    insert(r.high, into: &highs, k)
                }
            }
            typealias Node = PolicyImage.ConstraintNode
            var perConstraint: [[Int]] = []
            for c in constraints {
                var perNode: [Int] = []
                for node in c.expression {
                    let targetOnly = (node.kind == .names && node.attribute & Node.target != 0)
                        || (node.kind == .attribute && node.attribute == Node.levelL2H2)
                    guard targetOnly else { perNode.append(-1); continue }
                    let s = newSet()
                    for (k, t) in representatives.enumerated() where Self.targetLeaf(node, t) { insert(s, k) }
                    perNode.append(s)
                }
                perConstraint.append(perNode)
            }
            self.sets = sets
            userSet = users; roleSet = roles; typeSet = types
            lowSets = lows; highSets = highs; rangeSet = ranged
            targetSets = perConstraint
        }

        /// A leaf that reads only the target, for one target context (as `AccessEvaluator.holds`).
        static func targetLeaf(_ node: PolicyImage.ConstraintNode, _ t: SecurityContext) -> Bool {
            typealias Node = PolicyImage.ConstraintNode
            if node.kind == .names {
                let value = node.attribute & Node.user != 0 ? t.user : node.attribute & Node.role != 0 ? t.role : t.type
                let member = node.names.contains(value)
                return node.op == .notEqual ? !member : member
            }
            // l2 against h2: both ranges must exist, the source's is checked by the caller.
            guard let r = t.range else { return false }
            return compare(node.op, r.low, r.high)
        }

        static func compare(_ op: PolicyImage.ConstraintNode.Operator, _ l1: MLSLevel, _ l2: MLSLevel) -> Bool {
            switch op {
            case .equal: return l1 == l2
            case .notEqual: return l1 != l2
            case .dominates: return l1.dominates(l2)
            case .dominatedBy: return l2.dominates(l1)
            case .incomparable: return !l1.dominates(l2) && !l2.dominates(l1)
            }
        }
    }

    private(set) var groups: [Group] = []
    /// Every permission some constraint covers.
    let permissions: UInt32
    let evaluator: AccessEvaluator

    init(constraints: [PolicyImage.Constraint], rows: [SecurityContext], evaluator: AccessEvaluator) {
        self.evaluator = evaluator
        var byReads: [Reads: [PolicyImage.Constraint]] = [:]
        var order: [Reads] = []
        for c in constraints {
            let reads = Reads(c.expression)
            if byReads[reads] == nil { order.append(reads) }
            byReads[reads, default: []].append(c)
        }
        permissions = constraints.reduce(0) { $0 | $1.permissions }
        for reads in order {
            var classOfRow = [Int32](repeating: 0, count: rows.count)
            var representatives: [SecurityContext] = []
            /// Gives each row the class of its key: the first row with a key represents it.
            func classify<Key: Hashable>(_ key: (SecurityContext) -> Key) {
                var classes: [Key: Int32] = [:]
                classes.reserveCapacity(rows.count)
                for (r, context) in rows.enumerated() {
                    let k = key(context)
                    if let known = classes[k] {
                        classOfRow[r] = known
                    } else {
                        let next = Int32(representatives.count)
                        classes[k] = next
                        representatives.append(context)
                        classOfRow[r] = next
                    }
                }
            }
            // Without ranges a projection is three values: one 64-bit key (cheaper to hash than
            // the projection) when each fits 21 bits.
            let small = !reads.contains(.range) && rows.allSatisfy { $0.user < 1 << 21 && $0.role < 1 << 21 && $0.type < 1 << 21 }
            if small {
                let user: UInt64 = reads.contains(.user) ? 0x1f_ffff : 0
                let role: UInt64 = reads.contains(.role) ? 0x1f_ffff : 0
                let type: UInt64 = reads.contains(.type) ? 0x1f_ffff : 0
                classify { (UInt64($0.user) & user) << 42 | (UInt64($0.role) & role) << 21 | UInt64($0.type) & type }
            } else {
                classify { Projection($0, reads) }
            }
            groups.append(Group(constraints: byReads[reads]!, classOfRow: classOfRow, representatives: representatives, reads: reads))
        }
    }

    /// The classes of group `g` on which each of its constraints fails for a source of class
    /// `source`: constraint `i`'s set is `failing[i * words ..< (i + 1) * words]`. Constraints
    /// that cover none of `permissions` are not evaluated (their sets are empty), as libsepol
    /// evaluates only constraints on permissions still allowed.
    func failing(_ g: Int, source: Int, permissions: UInt32, into failing: UnsafeMutablePointer<UInt64>,
                 scratch: UnsafeMutablePointer<UInt64>) {
        let group = groups[g]
        let words = group.words
        let s = group.representatives[source]
        let tail: UInt64 = group.classCount == 0 ? 0 : group.classCount & 63 == 0 ? ~0 : (1 << UInt64(group.classCount & 63)) - 1
        group.sets.withUnsafeBufferPointer { sets in
            for (i, c) in group.constraints.enumerated() {
                let out = failing + i * words
                guard c.permissions & permissions != 0 else { out.update(repeating: 0, count: words); continue }
                var stack = SetStack(base: scratch, words: words, tail: tail)
                let holds = stack.evaluate(c.expression, source: s, group: group, sets: sets, targetSets: group.targetSets[i],
                                           roles: evaluator.policy.image.roles)
                for w in 0..<words { out[w] = ~(holds?[w] ?? 0) }
                out[words - 1] &= tail
            }
        }
    }
}

/// The evaluation stack of a constraint expression over sets of classes: at most six sets of
/// `words` words (libsepol gives up past a depth of five).
private struct SetStack {
    let base: UnsafeMutablePointer<UInt64>
    let words: Int
    let tail: UInt64
    var depth = 0

    init(base: UnsafeMutablePointer<UInt64>, words: Int, tail: UInt64) {
        self.base = base
        self.words = words
        self.tail = tail
    }

    func slot(_ i: Int) -> UnsafeMutablePointer<UInt64> { base + i * words }

    func fill(_ p: UnsafeMutablePointer<UInt64>, _ value: Bool) {
        p.update(repeating: value ? ~0 : 0, count: words)
        p[words - 1] &= tail
    }

    func copy(_ p: UnsafeMutablePointer<UInt64>, _ sets: UnsafeBufferPointer<UInt64>, _ set: Int?, negated: Bool) {
        guard let set else { fill(p, negated); return }
        for w in 0..<words { p[w] = negated ? ~sets[set * words + w] : sets[set * words + w] }
        p[words - 1] &= tail
    }

    /// The classes on which `expression` holds for source `s`, or nil when it holds on none
    /// (a malformed or too deep expression fails everywhere, as in libsepol).
    mutating func evaluate(
        _ expression: [PolicyImage.ConstraintNode], source s: SecurityContext, group: ConstraintClasses.Group,
        sets: UnsafeBufferPointer<UInt64>, targetSets: [Int], roles: [PolicyImage.Role]
    ) -> UnsafeMutablePointer<UInt64>? {
        typealias Node = PolicyImage.ConstraintNode
        for (n, node) in expression.enumerated() {
            switch node.kind {
            case .not:
                guard depth >= 1 else { return nil }
                let a = slot(depth - 1)
                for w in 0..<words { a[w] = ~a[w] }
                a[words - 1] &= tail
            case .and, .or:
                guard depth >= 2 else { return nil }
                let a = slot(depth - 2), b = slot(depth - 1)
                if node.kind == .and { for w in 0..<words { a[w] &= b[w] } } else { for w in 0..<words { a[w] |= b[w] } }
                depth -= 1
            case .names:
                let p = slot(depth)
                depth += 1
                if targetSets[n] >= 0 {
                    copy(p, sets, targetSets[n], negated: false)
                } else {
                    let value = node.attribute & Node.user != 0 ? s.user : node.attribute & Node.role != 0 ? s.role : s.type
                    let member = node.names.contains(value)
                    fill(p, node.op == .notEqual ? !member : member)
                }
            case .attribute:
                let p = slot(depth)
                depth += 1
                leaf(node, targetSet: targetSets[n], source: s, group: group, sets: sets, roles: roles, into: p)
            }
            if depth > 5 { return nil }
        }
        return depth >= 1 ? slot(depth - 1) : nil
    }

    /// An attribute leaf (`u1 == u2`, `r1 dom r2`, `l1 domby h2`, ...) over every target class.
    func leaf(_ node: PolicyImage.ConstraintNode, targetSet: Int, source s: SecurityContext, group: ConstraintClasses.Group,
              sets: UnsafeBufferPointer<UInt64>, roles: [PolicyImage.Role], into p: UnsafeMutablePointer<UInt64>) {
        typealias Node = PolicyImage.ConstraintNode
        typealias Group = ConstraintClasses.Group
        switch node.attribute {
        case Node.user, Node.type:
            let set = node.attribute == Node.user ? group.userSet[s.user] : group.typeSet[s.type]
            switch node.op {
            case .equal: copy(p, sets, set, negated: false)
            case .notEqual: copy(p, sets, set, negated: true)
            default: fill(p, false)
            }
        case Node.role:
            switch node.op {
            case .equal: copy(p, sets, group.roleSet[s.role], negated: false)
            case .notEqual: copy(p, sets, group.roleSet[s.role], negated: true)
            case .dominates, .dominatedBy, .incomparable:
                let mine = roles[Int(s.role) - 1].dominates
                var dom = [UInt64](repeating: 0, count: words), domby = dom
                for (role, set) in group.roleSet {
                    if mine.contains(role) { for w in 0..<words { dom[w] |= sets[set * words + w] } }
                    if roles[Int(role) - 1].dominates.contains(s.role) { for w in 0..<words { domby[w] |= sets[set * words + w] } }
                }
                for w in 0..<words {
                    p[w] = node.op == .dominates ? dom[w] : node.op == .dominatedBy ? domby[w] : ~(dom[w] | domby[w])
                }
                p[words - 1] &= tail
            }
        default:
            guard let sr = s.range else { fill(p, false); return }
            let source: MLSLevel, targets: [(level: MLSLevel, set: Int)]
            switch node.attribute {
            case Node.levelL1L2: (source, targets) = (sr.low, group.lowSets)
            case Node.levelL1H2: (source, targets) = (sr.low, group.highSets)
            case Node.levelH1L2: (source, targets) = (sr.high, group.lowSets)
            case Node.levelH1H2: (source, targets) = (sr.high, group.highSets)
            case Node.levelL1H1:
                // Both ranges must exist: the classes with one, when the source's own levels compare.
                copy(p, sets, Group.compare(node.op, sr.low, sr.high) && group.rangeSet >= 0 ? group.rangeSet : nil, negated: false)
                return
            case Node.levelL2H2:
                copy(p, sets, targetSet >= 0 ? targetSet : nil, negated: false)
                return
            default:
                fill(p, false)
                return
            }
            fill(p, false)
            for (level, set) in targets where Group.compare(node.op, source, level) {
                for w in 0..<words { p[w] |= sets[set * words + w] }
            }
        }
    }
}
