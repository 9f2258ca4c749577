public import Flask
public import Sepol

/// The type enforcement rules of a policy with its booleans fixed: the access rules indexed by
/// (source type-or-attribute, class), the type rules by exact key, and attribute membership.
///
/// Conditional rules are included or left out once, from the boolean values given, exactly as
/// libsepol's `evaluate_conds` enables them.
public struct TypeEnforcement: Sendable {
    public let policy: Policy
    /// Boolean values in force (index: value - 1).
    public let booleans: [Bool]
    /// For each access-vector entry: does it take part in decisions under `booleans`?
    public let entryEnabled: [Bool]
    /// For each type value: the values it stands for in rules (itself and its attributes).
    let keysOfType: [[UInt32]]
    /// For each type or attribute value: the concrete types it covers.
    let typesOfKey: [[UInt32]]
    /// Access rules by (class, source key) → [(target key, entry index)].
    private let accessRules: [RuleKey: [(target: UInt32, entry: Int)]]
    /// Type rules (transition/member/change) by exact (source, target, class, kind).
    private let typeRules: [TypeRuleKey: [Int]]

    struct RuleKey: Hashable { var tclass: UInt16; var source: UInt32 }
    struct TypeRuleKey: Hashable { var source: UInt32; var target: UInt32; var tclass: UInt16; var kind: UInt16 }

    /// Fixes the booleans (the policy's defaults, then `overrides` by value) and indexes the rules.
    public init(policy: Policy, booleanOverrides overrides: [UInt32: Bool] = [:]) {
        self.policy = policy
        let image = policy.image
        var values = image.booleans.map(\.state)
        for (value, state) in overrides where value >= 1 && Int(value) <= values.count { values[Int(value) - 1] = state }
        booleans = values

        var enabled = [Bool](repeating: true, count: image.accessVectors.count)
        for cond in image.conditionals {
            let truth = Self.evaluate(cond.expression, booleans: values)
            for i in cond.trueEntries { enabled[i] = truth }
            for i in cond.falseEntries { enabled[i] = !truth }
        }
        entryEnabled = enabled

        keysOfType = image.typeAttributeMap
        var covers = [[UInt32]](repeating: [], count: image.types.count)
        for (i, keys) in image.typeAttributeMap.enumerated() where !image.types[i].isAttribute {
            for k in keys where k >= 1 && Int(k) <= covers.count { covers[Int(k) - 1].append(UInt32(i + 1)) }
        }
        typesOfKey = covers

        var access: [RuleKey: [(target: UInt32, entry: Int)]] = [:]
        var typed: [TypeRuleKey: [Int]] = [:]
        access.reserveCapacity(image.accessVectors.count)
        for (i, e) in image.accessVectors.enumerated() where enabled[i] {
            switch e.kind {
            case .allow, .auditallow, .auditdeny:
                access[RuleKey(tclass: e.tclass, source: e.source), default: []].append((e.target, i))
            case .typeTransition, .typeMember, .typeChange:
                typed[TypeRuleKey(source: e.source, target: e.target, tclass: e.tclass, kind: e.kind.rawValue), default: []].append(i)
            }
        }
        accessRules = access
        typeRules = typed
    }

    /// Evaluates a conditional expression in reverse Polish notation.
    public static func evaluate(_ expression: [PolicyImage.ConditionToken], booleans: [Bool]) -> Bool {
        var stack: [Bool] = []
        for token in expression {
            switch token {
            case .boolean(let v): stack.append(Int(v) <= booleans.count ? booleans[Int(v) - 1] : false)
            case .not: if let a = stack.popLast() { stack.append(!a) }
            default:
                guard let b = stack.popLast(), let a = stack.popLast() else { return false }
                switch token {
                case .or: stack.append(a || b)
                case .and: stack.append(a && b)
                case .xor: stack.append(a != b)
                case .equal: stack.append(a == b)
                default: stack.append(a != b)
                }
            }
        }
        return stack.last ?? false
    }

    /// The TE part of a decision for two concrete types: every enabled access rule whose
    /// source covers `stype` and target covers `ttype`.
    public func vector(source stype: UInt32, target ttype: UInt32, tclass: UInt16) -> AccessVector {
        var av = AccessVector.initial
        let targetKeys = keysOfType[Int(ttype) - 1]
        for sk in keysOfType[Int(stype) - 1] {
            guard let rules = accessRules[RuleKey(tclass: tclass, source: sk)] else { continue }
            for rule in rules where targetKeys.contains(rule.target) {
                let e = policy.image.accessVectors[rule.entry]
                av.merge(e.kind, e.data)
            }
        }
        return av
    }

    /// The entries behind a TE decision, for explanations.
    public func contributingEntries(source stype: UInt32, target ttype: UInt32, tclass: UInt16) -> [Int] {
        var out: [Int] = []
        let targetKeys = keysOfType[Int(ttype) - 1]
        for sk in keysOfType[Int(stype) - 1] {
            for rule in accessRules[RuleKey(tclass: tclass, source: sk)] ?? [] where targetKeys.contains(rule.target) {
                out.append(rule.entry)
            }
        }
        return out.sorted()
    }

    /// Conditional `allow` rules that would grant `permission` (a mask) from `stype` to
    /// `ttype` but are switched off by the booleans in force: (entry index, conditional index).
    public func disabledGrants(source stype: UInt32, target ttype: UInt32, tclass: UInt16, permission: UInt32) -> [(entry: Int, conditional: Int)] {
        let keysS = Set(keysOfType[Int(stype) - 1]), keysT = Set(keysOfType[Int(ttype) - 1])
        var out: [(entry: Int, conditional: Int)] = []
        for (c, cond) in policy.image.conditionals.enumerated() {
            for index in cond.trueEntries + cond.falseEntries where !entryEnabled[index] {
                let e = policy.image.accessVectors[index]
                if e.kind == .allow, e.tclass == tclass, e.data & permission != 0, keysS.contains(e.source), keysT.contains(e.target) {
                    out.append((index, c))
                }
            }
        }
        return out
    }

    /// One class's enabled access rules by source key, in flat arrays: the rules of key `k`
    /// (a type or attribute value) are `start[k] ..< start[k + 1]`. Built once per table class
    /// so that filling a row of type-enforcement vectors needs no hashing.
    struct ClassRules {
        var start: [Int32]
        var target: [UInt32]
        var kind: [PolicyImage.AccessVectorEntry.Kind]
        var data: [UInt32]

        /// Whether every vector these rules can make fits `bits` bits per field: no allowed or
        /// auditallow bit above them, every auditdeny bit above them set (as checkpolicy writes).
        func packs(bits: Int) -> Bool {
            guard bits >= 1 && bits <= 5 else { return false }
            let field = UInt32(1 << bits) - 1
            for i in kind.indices {
                switch kind[i] {
                case .allow, .auditallow: if data[i] & ~field != 0 { return false }
                case .auditdeny: if data[i] | field != 0xffff_ffff { return false }
                default: break
                }
            }
            return true
        }
    }

    func classRules(_ tclass: UInt16) -> ClassRules {
        let image = policy.image
        let keys = image.types.count
        var count = [Int32](repeating: 0, count: keys + 2)
        for (i, e) in image.accessVectors.enumerated() where entryEnabled[i] && e.tclass == tclass && e.kind.isAccess
            && e.source >= 1 && Int(e.source) <= keys {
            count[Int(e.source) + 1] += 1
        }
        for k in 1..<count.count { count[k] += count[k - 1] }
        var next = count
        var target = [UInt32](repeating: 0, count: Int(count[keys + 1]))
        var kind = [PolicyImage.AccessVectorEntry.Kind](repeating: .allow, count: target.count)
        var data = [UInt32](repeating: 0, count: target.count)
        for (i, e) in image.accessVectors.enumerated() where entryEnabled[i] && e.tclass == tclass && e.kind.isAccess
            && e.source >= 1 && Int(e.source) <= keys {
            let at = Int(next[Int(e.source)])
            next[Int(e.source)] += 1
            target[at] = e.target; kind[at] = e.kind; data[at] = e.data
        }
        return ClassRules(start: count, target: target, kind: kind, data: data)
    }

    /// The type-enforcement vectors of `source` on every column: `row[column[t]]` for each
    /// concrete type `t` with a column (`column[t] >= 0`, indexed by type value).
    func fillRow(source: UInt32, rules: ClassRules, column: UnsafeBufferPointer<Int32>,
                 into row: UnsafeMutableBufferPointer<AccessVector>) {
        row.update(repeating: .initial)
        guard source >= 1, Int(source) <= keysOfType.count else { return }
        rules.start.withUnsafeBufferPointer { start in
        rules.target.withUnsafeBufferPointer { targets in
        rules.kind.withUnsafeBufferPointer { kinds in
        rules.data.withUnsafeBufferPointer { data in
            for sk in keysOfType[Int(source) - 1] where sk >= 1 && Int(sk) + 1 < start.count {
                for r in Int(start[Int(sk)])..<Int(start[Int(sk) + 1]) {
                    let key = targets[r]
                    guard key >= 1, Int(key) <= typesOfKey.count else { continue }
                    let kind = kinds[r], bits = data[r]
                    typesOfKey[Int(key) - 1].withUnsafeBufferPointer { covered in
                        for t in covered where Int(t) < column.count {
                            let j = Int(column[Int(t)])
                            if j >= 0 { row[j].merge(kind, bits) }
                        }
                    }
                }
            }
        }}}}
    }

    /// Like `fillRow`, but each vector packed in 16 bits (`DecisionTable.pack`): allowed in
    /// the low `bits`, auditallow above, auditdeny's field above that. Only for rules that
    /// `packs(bits:)`.
    func fillPackedRow(source: UInt32, rules: ClassRules, bits: Int, column: UnsafeBufferPointer<Int32>,
                       into row: UnsafeMutableBufferPointer<UInt16>) {
        let field = UInt16(truncatingIfNeeded: (1 << bits) - 1)
        row.update(repeating: field << UInt16(2 * bits))
        guard source >= 1, Int(source) <= keysOfType.count else { return }
        rules.start.withUnsafeBufferPointer { start in
        rules.target.withUnsafeBufferPointer { targets in
        rules.kind.withUnsafeBufferPointer { kinds in
        rules.data.withUnsafeBufferPointer { data in
            for sk in keysOfType[Int(source) - 1] where sk >= 1 && Int(sk) + 1 < start.count {
                for r in Int(start[Int(sk)])..<Int(start[Int(sk) + 1]) {
                    let key = targets[r]
                    guard key >= 1, Int(key) <= typesOfKey.count else { continue }
                    let d = UInt16(truncatingIfNeeded: data[r]) & field
                    var or: UInt16 = 0, and: UInt16 = 0xffff
                    switch kinds[r] {
                    case .allow: or = d
                    case .auditallow: or = d << UInt16(bits)
                    case .auditdeny: and = ~((field & ~d) << UInt16(2 * bits))
                    default: continue
                    }
                    typesOfKey[Int(key) - 1].withUnsafeBufferPointer { covered in
                        for t in covered where Int(t) < column.count {
                            let j = Int(column[Int(t)])
                            if j >= 0 { row[j] = (row[j] | or) & and }
                        }
                    }
                }
            }
        }}}}
    }

    /// The new type named by a type rule for an exact (source, target, class), if any.
    public func typeRule(
        _ kind: PolicyImage.AccessVectorEntry.Kind, source: UInt32, target: UInt32, tclass: UInt16
    ) -> (newType: UInt32, entry: Int)? {
        let key = TypeRuleKey(source: source, target: target, tclass: tclass, kind: kind.rawValue)
        guard let indices = typeRules[key] else { return nil }
        // Unconditional rules come first in the image, as libsepol searches them first.
        let i = indices.min()!
        return (policy.image.accessVectors[i].data, i)
    }
}

extension PolicyImage.AccessVectorEntry.Kind {
    /// An access rule (allow, auditallow, auditdeny/dontaudit) rather than a type rule.
    var isAccess: Bool { self == .allow || self == .auditallow || self == .auditdeny }
}
