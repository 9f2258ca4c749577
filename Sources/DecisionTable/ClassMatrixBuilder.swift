import Flask
import Sepol

/// One class's dense matrix, a source row at a time, each stage once per equivalence class:
/// type enforcement once per source type (a row over the distinct types), constraints once per
/// source class of each constraint group (bit sets over the target classes, see
/// `ConstraintClasses`), the role check from a role-pair table. The per-pair loops only read
/// flat buffers: no hashing, no reference counting.
///
/// Type bounds (libsepol masks what the bounding types could not do) need the decisions of
/// contexts that are not rows: the source and each target with its type replaced by its bound.
/// Those contexts are added as extra "virtual" rows, so a bounded row is computed as the same
/// row computation over the substituted rows, and intersected.
struct ClassMatrixBuilder {
    let evaluator: AccessEvaluator
    let tclass: UInt16
    /// The table's rows.
    let rows: Int
    /// The rows' contexts, then the contexts bounds substitute (virtual rows).
    private(set) var contexts: [SecurityContext]
    /// For each virtual row, the virtual row of its context with the type replaced by its bound.
    private(set) var lowRow: [Int32] = []
    /// The column of each virtual row's type in type-enforcement rows, and of each type value.
    private var typeColumn: [Int32] = []
    private var columnOfType: [Int32]
    private var columns = 0
    private let rules: TypeEnforcement.ClassRules
    private let constraints: ConstraintClasses?
    /// The role check (process class): each virtual row's role, and whether a role pair fails.
    private var roleOfRow: [Int32] = []
    private var roleForbidden: [Bool] = []
    private var roleCount = 0
    private var transitionBits: UInt32 = 0

    init(evaluator: AccessEvaluator, tclass: UInt16, rows: [SecurityContext]) {
        self.evaluator = evaluator
        self.tclass = tclass
        self.rows = rows.count
        let policy = evaluator.policy
        let image = policy.image
        func bound(_ type: UInt32) -> UInt32 {
            type >= 1 && Int(type) <= image.types.count ? image.types[Int(type) - 1].bounds : 0
        }
        // Virtual rows: close the rows under "replace the type by its bound".
        var all = rows
        var index: [SecurityContext: Int32] = [:]
        for (i, c) in rows.enumerated() where index[c] == nil { index[c] = Int32(i) }
        var low: [Int32] = []
        var v = 0
        while v < all.count {
            let b = bound(all[v].type)
            if b == 0 || all.count > 64 * max(rows.count, 1) {
                low.append(Int32(v))
            } else {
                var c = all[v]
                c.type = b
                if let i = index[c] { low.append(i) } else {
                    index[c] = Int32(all.count)
                    low.append(Int32(all.count))
                    all.append(c)
                }
            }
            v += 1
        }
        contexts = all
        lowRow = low
        var columnOf = [Int32](repeating: -1, count: image.types.count + 1)
        var columnCount = 0
        for c in all where Int(c.type) < columnOf.count && columnOf[Int(c.type)] < 0 {
            columnOf[Int(c.type)] = Int32(columnCount)
            columnCount += 1
        }
        columnOfType = columnOf
        columns = columnCount
        typeColumn = all.map { Int($0.type) < columnOf.count ? columnOf[Int($0.type)] : 0 }
        rules = evaluator.te.classRules(tclass)
        let constraintList = policy.securityClass(tclass).constraints
        constraints = constraintList.isEmpty ? nil : ConstraintClasses(constraints: constraintList, rows: all, evaluator: evaluator)
        if tclass == evaluator.processClass {
            let roles = image.roles.count
            var forbidden = [Bool](repeating: true, count: (roles + 1) * (roles + 1))
            for r in 0...roles { forbidden[r * (roles + 1) + r] = false }
            for allow in image.roleAllows where Int(allow.role) <= roles && Int(allow.newRole) <= roles {
                forbidden[Int(allow.role) * (roles + 1) + Int(allow.newRole)] = false
            }
            roleOfRow = all.map { Int($0.role) <= roles ? Int32($0.role) : 0 }
            roleForbidden = forbidden
            roleCount = roles + 1
            transitionBits = evaluator.processTransitionBits
        }
    }

    /// The matrix, `rows` x `rows`: packed 16-bit decisions when the class has at most five
    /// permissions and every decision fits (`DecisionTable.pack`), else full vectors.
    func build() -> (cells: [AccessVector], packed: [UInt16], bits: Int) {
        let n = rows
        let permissionCount = evaluator.policy.securityClass(tclass).permissions.count
        var bits = permissionCount >= 1 && permissionCount <= 5 ? permissionCount : 0
        var packed = [UInt16](repeating: 0, count: bits != 0 ? n * n : 0)
        var cells = [AccessVector](repeating: .initial, count: bits != 0 ? 0 : n * n)
        var scratch = Scratch(self)
        defer { scratch.release() }
        let identity = (0..<Int32(n)).map { $0 }
        var out = [AccessVector](repeating: .initial, count: n)
        var te = [AccessVector](repeating: .initial, count: columns)
        // Rows of one type in a row, so that each type's vectors are filled once.
        let order = (0..<n).sorted { (typeColumn[$0], $0) < (typeColumn[$1], $1) }
        var filled: Int32 = -1
        for rs in order {
            if typeColumn[rs] != filled {
                fillTypeEnforcement(contexts[rs].type, into: &te)
                filled = typeColumn[rs]
            }
            identity.withUnsafeBufferPointer { targets in
                te.withUnsafeBufferPointer { te in
                    out.withUnsafeMutableBufferPointer { out in computeRow(rs, targets: targets, te: te, out: out, scratch: &scratch) }
                }
            }
            if bits != 0 {
                let fits = out.withUnsafeBufferPointer { out in
                    packed.withUnsafeMutableBufferPointer { cells in Self.pack(out, bits: bits, into: cells, at: rs * n) }
                }
                if !fits {
                    // A vector does not fit 16 bits: every row so far back to full vectors.
                    cells = packed.map { Self.unpack($0, bits: bits) }
                    packed = []
                    bits = 0
                }
            }
            if bits == 0 {
                cells.withUnsafeMutableBufferPointer { cells in
                    out.withUnsafeBufferPointer { out in
                        for i in 0..<n { cells[rs * n + i] = out[i] }
                    }
                }
            }
        }
        return (cells, packed, bits)
    }

    private func fillTypeEnforcement(_ type: UInt32, into row: inout [AccessVector]) {
        columnOfType.withUnsafeBufferPointer { column in
            row.withUnsafeMutableBufferPointer { row in
                evaluator.te.fillRow(source: type, rules: rules, column: column, into: row)
            }
        }
    }

    /// The decisions of virtual row `source` on the virtual rows `targets`, into `out`; `te` is
    /// the type-enforcement row of the source's type.
    private func computeRow(_ source: Int, targets: UnsafeBufferPointer<Int32>, te: UnsafeBufferPointer<AccessVector>,
                            out: UnsafeMutableBufferPointer<AccessVector>, scratch: inout Scratch) {
        var union: UInt32 = 0
        typeColumn.withUnsafeBufferPointer { column in
            for i in 0..<targets.count {
                let v = te[Int(column[Int(targets[i])])]
                out[i] = v
                union |= v.allowed
            }
        }
        let watched = (constraints?.permissions ?? 0) | transitionBits
        if union & watched != 0 { applyLaterStages(source, targets: targets, union: union, out: out, scratch: &scratch) }
        // Type bounds: what the bounding types could not do is masked.
        let low = Int(lowRow[source])
        guard low != source else { return }
        let lowTargets = targets.map { lowRow[Int($0)] }
        var lowTE = [AccessVector](repeating: .initial, count: columns)
        fillTypeEnforcement(contexts[low].type, into: &lowTE)
        var bounded = [AccessVector](repeating: .initial, count: targets.count)
        lowTargets.withUnsafeBufferPointer { lowTargets in
            lowTE.withUnsafeBufferPointer { lowTE in
                bounded.withUnsafeMutableBufferPointer { b in computeRow(low, targets: lowTargets, te: lowTE, out: b, scratch: &scratch) }
            }
        }
        for i in 0..<targets.count { out[i].allowed &= bounded[i].allowed }
    }

    /// Constraints and the role check over a row whose type-enforcement vectors are in `out`.
    private func applyLaterStages(_ source: Int, targets: UnsafeBufferPointer<Int32>, union: UInt32,
                                  out: UnsafeMutableBufferPointer<AccessVector>, scratch: inout Scratch) {
        var watched = transitionBits
        var active: [Int] = []
        if let constraints {
            for g in constraints.groups.indices where constraints.groups[g].permissions & union != 0 {
                let cs = Int(scratch.groups[g].classOfRow[source])
                if scratch.groups[g].evaluatedClass != cs {
                    constraints.failing(g, source: cs, permissions: constraints.groups[g].permissions,
                                        into: scratch.groups[g].failing, scratch: scratch.stack)
                    scratch.groups[g].evaluatedClass = cs
                }
                watched |= constraints.groups[g].permissions
                active.append(g)
            }
        }
        let transition = transitionBits
        let sourceRole = roleOfRow.isEmpty ? 0 : Int(roleOfRow[source]) * roleCount
        active.withUnsafeBufferPointer { active in
        scratch.groups.withUnsafeBufferPointer { views in
        roleOfRow.withUnsafeBufferPointer { roleOfRow in
        roleForbidden.withUnsafeBufferPointer { forbidden in
            for i in 0..<targets.count {
                let allowed = out[i].allowed
                guard allowed & watched != 0 else { continue }
                let t = Int(targets[i])
                var remove: UInt32 = 0
                for g in active {
                    let view = views[g]
                    guard view.permissions & allowed != 0 else { continue }
                    let ct = Int(view.classOfRow[t])
                    let word = ct >> 6, bit = UInt64(ct & 63)
                    for c in 0..<view.constraintCount where view.constraintPermissions[c] & allowed != 0 {
                        if (view.failing[c * view.words + word] >> bit) & 1 != 0 { remove |= view.constraintPermissions[c] }
                    }
                }
                if allowed & transition != 0, forbidden[sourceRole + Int(roleOfRow[t])] { remove |= transition }
                out[i].allowed = allowed & ~remove
            }
        }}}}
    }

    /// Flat copies of each constraint group's lookup data and its failing sets for the source
    /// class last evaluated, owned by one build.
    struct Scratch {
        struct GroupView {
            var classOfRow: UnsafeMutablePointer<Int32>
            var constraintPermissions: UnsafeMutablePointer<UInt32>
            var constraintCount: Int
            var permissions: UInt32
            var words: Int
            var failing: UnsafeMutablePointer<UInt64>
            var evaluatedClass = -1
        }
        var groups: [GroupView] = []
        var stack: UnsafeMutablePointer<UInt64>

        init(_ builder: ClassMatrixBuilder) {
            var widest = 1
            for g in builder.constraints?.groups ?? [] {
                let classOf = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, g.classOfRow.count))
                classOf.initialize(from: g.classOfRow, count: g.classOfRow.count)
                let perms = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, g.constraints.count))
                perms.initialize(from: g.constraints.map(\.permissions), count: g.constraints.count)
                let failing = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, g.constraints.count * g.words))
                failing.initialize(repeating: 0, count: max(1, g.constraints.count * g.words))
                groups.append(GroupView(classOfRow: classOf, constraintPermissions: perms, constraintCount: g.constraints.count,
                                        permissions: g.permissions, words: g.words, failing: failing))
                widest = max(widest, g.words)
            }
            stack = .allocate(capacity: 6 * widest)
            stack.initialize(repeating: 0, count: 6 * widest)
        }

        func release() {
            for g in groups {
                g.classOfRow.deallocate()
                g.constraintPermissions.deallocate()
                g.failing.deallocate()
            }
            stack.deallocate()
        }
    }

    /// Packs a row into `cells[at...]`; false when some vector does not fit (see `DecisionTable.pack`).
    static func pack(_ row: UnsafeBufferPointer<AccessVector>, bits: Int, into cells: UnsafeMutableBufferPointer<UInt16>, at: Int) -> Bool {
        let field = UInt32(1 << bits) - 1
        let shift = UInt32(bits)
        for i in 0..<row.count {
            let v = row[i]
            guard v.allowed & ~field == 0, v.auditallow & ~field == 0, v.auditdeny | field == 0xffff_ffff else { return false }
            cells[at + i] = UInt16(truncatingIfNeeded: v.allowed | v.auditallow << shift | (v.auditdeny & field) << (2 * shift))
        }
        return true
    }

    static func unpack(_ v: UInt16, bits: Int) -> AccessVector {
        let value = UInt32(v), field = (UInt32(1) << UInt32(bits)) - 1
        return AccessVector(allowed: value & field, auditallow: (value >> UInt32(bits)) & field,
                            auditdeny: (value >> UInt32(2 * bits)) & field | ~field)
    }
}
