import Dispatch
import Flask
import Sepol

/// One class's dense matrix, a source row at a time, each stage once per equivalence class:
/// type enforcement once per source type (a row over the distinct types), constraints once per
/// source class of each constraint group (bit sets over the target classes, see
/// `ConstraintClasses`), the role check from a role-pair table. The per-pair loops only read
/// flat buffers: no hashing, no reference counting. Rows are independent: a large matrix is
/// built on two threads, each writing its own rows (the result does not depend on the split).
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
    /// Whether every vector the rules can make fits the class's packed cells.
    private let rulesPack: Bool
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
        // Indexed only when some row's type has a bound (no hashing otherwise), and only the
        // rows whose type bounds some type: a context looked up has its type replaced by a bound.
        if rows.contains(where: { bound($0.type) != 0 }) {
            var bounding = [Bool](repeating: false, count: image.types.count + 1)
            for t in image.types where Int(t.bounds) < bounding.count { bounding[Int(t.bounds)] = true }
            bounding[0] = false
            for (i, c) in rows.enumerated() where (Int(c.type) >= bounding.count || bounding[Int(c.type)]) && index[c] == nil {
                index[c] = Int32(i)
            }
        }
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
        rulesPack = rules.packs(bits: policy.securityClass(tclass).permissions.count)
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
    ///
    /// Only `allowed` changes after type enforcement, so a row is its source type's vectors
    /// gathered by target type, with the allowed bits the later stages leave. A row that no
    /// later stage can touch is a plain gather.
    func build() -> (cells: [AccessVector], packed: [UInt16], bits: Int) {
        let n = rows
        let permissionCount = evaluator.policy.securityClass(tclass).permissions.count
        var bits = permissionCount >= 1 && permissionCount <= 5 ? permissionCount : 0
        // Every cell is written below, once.
        var packed = [UInt16](unsafeUninitializedCapacity: bits != 0 ? n * n : 0) { _, count in count = bits != 0 ? n * n : 0 }
        // Rows of one type in a row, so that each type's vectors are filled once.
        // By type column, then row: a stable counting sort.
        let width = max(columns, (typeColumn.max().map { Int($0) + 1 }) ?? 0)
        var start = [Int](repeating: 0, count: width + 1)
        for r in 0..<n { start[Int(typeColumn[r]) + 1] += 1 }
        for c in 0..<width { start[c + 1] += start[c] }
        var sorted = [Int](repeating: 0, count: n)
        for r in 0..<n {
            sorted[start[Int(typeColumn[r])]] = r
            start[Int(typeColumn[r])] += 1
        }
        let order = sorted
        if bits != 0 && rulesPack {
            // Every vector fits: rows are independent, on two threads when there are many, in
            // four parts taken in turn (rows differ in cost: the parts even out).
            let parts = n >= 512 ? 4 : 1
            let packBits = bits
            packed.withUnsafeMutableBufferPointer { cells in
                let out = RowsOut(base: cells.baseAddress)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let from = order.count * part / parts, to = order.count * (part + 1) / parts
                    buildPackedRows(order[from..<to], bits: packBits, into: out)
                }
            }
            return ([], packed, bits)
        }
        var cells = [AccessVector](repeating: .initial, count: bits != 0 ? 0 : n * n)
        var scratch = Scratch(self)
        defer { scratch.release() }
        let identity = (0..<Int32(n)).map { $0 }
        let watched = (constraints?.permissions ?? 0) | transitionBits
        var te = TypeRow(columns: columns)
        var allowed = [UInt32](repeating: 0, count: n)
        var filled: Int32 = -1
        for rs in order {
            if typeColumn[rs] != filled {
                fill(&te, type: contexts[rs].type, bits: bits)
                filled = typeColumn[rs]
                if bits != 0 && !te.packs {
                    // A vector does not fit 16 bits: every row so far back to full vectors.
                    cells = packed.map { Self.unpack($0, bits: bits) }
                    packed = []
                    bits = 0
                }
            }
            let plain = te.union & watched == 0 && lowRow[rs] == Int32(rs)
            if !plain {
                identity.withUnsafeBufferPointer { targets in
                    allowed.withUnsafeMutableBufferPointer { out in
                        computeRow(rs, targets: targets, te: te, out: out, scratch: &scratch)
                    }
                }
            }
            typeColumn.withUnsafeBufferPointer { column in
                allowed.withUnsafeBufferPointer { allowed in
                    if bits != 0 {
                        let keep = ~UInt16(truncatingIfNeeded: (1 << bits) - 1)
                        te.packed.withUnsafeBufferPointer { vectors in
                            packed.withUnsafeMutableBufferPointer { cells in
                                let row = cells.baseAddress! + rs * n
                                if plain {
                                    for i in 0..<n { row[i] = vectors[Int(column[i])] }
                                } else {
                                    for i in 0..<n { row[i] = vectors[Int(column[i])] & keep | UInt16(truncatingIfNeeded: allowed[i]) }
                                }
                            }
                        }
                    } else {
                        te.vectors.withUnsafeBufferPointer { vectors in
                            cells.withUnsafeMutableBufferPointer { cells in
                                let row = cells.baseAddress! + rs * n
                                for i in 0..<n {
                                    var v = vectors[Int(column[i])]
                                    if !plain { v.allowed = allowed[i] }
                                    row[i] = v
                                }
                            }
                        }
                    }
                }
            }
        }
        return (cells, packed, bits)
    }

    /// Where the rows of a packed matrix go; each thread writes its own rows.
    struct RowsOut: @unchecked Sendable {
        let base: UnsafeMutablePointer<UInt16>?
    }

    /// The packed rows `order` (the rules pack), with their own scratch space.
    private func buildPackedRows(_ order: ArraySlice<Int>, bits: Int, into out: RowsOut) {
        guard let base = out.base, !order.isEmpty else { return }
        let n = rows
        var scratch = Scratch(self)
        defer { scratch.release() }
        let identity = (0..<Int32(n)).map { $0 }
        let watched = (constraints?.permissions ?? 0) | transitionBits
        var te = TypeRow(columns: columns)
        var allowed = [UInt32](repeating: 0, count: n)
        let keep = ~UInt16(truncatingIfNeeded: (1 << bits) - 1)
        let field = UInt32(~keep)
        var filled: Int32 = -1
        for rs in order {
            if typeColumn[rs] != filled {
                fill(&te, type: contexts[rs].type, bits: bits)
                filled = typeColumn[rs]
            }
            let plain = te.union & watched == 0 && lowRow[rs] == Int32(rs)
            let row = base + rs * n
            if lowRow[rs] == Int32(rs) {
                // No bound: the gathered vectors, then (unless plain) the later stages remove
                // permissions in place, as `computeRow` would over the allowed fields.
                let union = typeColumn.withUnsafeBufferPointer { column in
                    te.packed.withUnsafeBufferPointer { vectors in
                        var union: UInt16 = 0
                        for i in 0..<n {
                            let v = vectors[Int(column[i])]
                            row[i] = v
                            union |= v
                        }
                        return UInt32(union) & field
                    }
                }
                if !plain && union & watched != 0 {
                    identity.withUnsafeBufferPointer { targets in
                        applyLaterStages(rs, targets: targets, union: union, out: UnsafeMutableBufferPointer(start: row, count: n),
                                         field: field, scratch: &scratch)
                    }
                }
                continue
            }
            identity.withUnsafeBufferPointer { targets in
                allowed.withUnsafeMutableBufferPointer { out in
                    computeRow(rs, targets: targets, te: te, out: out, scratch: &scratch)
                }
            }
            typeColumn.withUnsafeBufferPointer { column in
                allowed.withUnsafeBufferPointer { allowed in
                    te.packed.withUnsafeBufferPointer { vectors in
                        for i in 0..<n { row[i] = vectors[Int(column[i])] & keep | UInt16(truncatingIfNeeded: allowed[i]) }
                    }
                }
            }
        }
    }

    /// A source type's type-enforcement vectors on every column, packed when they fit.
    struct TypeRow {
        var vectors: [AccessVector]
        var allowed: [UInt32]
        var packed: [UInt16]
        var packs = true
        /// Every permission allowed on some column.
        var union: UInt32 = 0

        init(columns: Int) {
            vectors = [AccessVector](repeating: .initial, count: columns)
            allowed = [UInt32](repeating: 0, count: columns)
            packed = [UInt16](repeating: 0, count: columns)
        }
    }

    private func fill(_ row: inout TypeRow, type: UInt32, bits: Int) {
        if bits != 0 && rulesPack {
            // Straight into 16 bits: the rules cannot make a vector that does not fit.
            columnOfType.withUnsafeBufferPointer { column in
                row.packed.withUnsafeMutableBufferPointer { packed in
                    evaluator.te.fillPackedRow(source: type, rules: rules, bits: bits, column: column, into: packed)
                }
            }
            let field = UInt16(truncatingIfNeeded: (1 << bits) - 1)
            var union: UInt16 = 0
            row.packed.withUnsafeBufferPointer { packed in
                row.allowed.withUnsafeMutableBufferPointer { allowed in
                    for i in 0..<packed.count {
                        let a = packed[i] & field
                        allowed[i] = UInt32(a)
                        union |= a
                    }
                }
            }
            row.union = UInt32(union)
            row.packs = true
            return
        }
        columnOfType.withUnsafeBufferPointer { column in
            row.vectors.withUnsafeMutableBufferPointer { vectors in
                evaluator.te.fillRow(source: type, rules: rules, column: column, into: vectors)
            }
        }
        var union: UInt32 = 0
        for i in row.vectors.indices {
            row.allowed[i] = row.vectors[i].allowed
            union |= row.vectors[i].allowed
        }
        row.union = union
        row.packs = bits != 0 && row.vectors.withUnsafeBufferPointer { vectors in
            row.packed.withUnsafeMutableBufferPointer { packed in Self.pack(vectors, bits: bits, into: packed, at: 0) }
        }
    }

    /// The permissions allowed from virtual row `source` on the virtual rows `targets`, into
    /// `out`; `te` holds the type-enforcement vectors of the source's type.
    private func computeRow(_ source: Int, targets: UnsafeBufferPointer<Int32>, te: TypeRow,
                            out: UnsafeMutableBufferPointer<UInt32>, scratch: inout Scratch) {
        var union: UInt32 = 0
        typeColumn.withUnsafeBufferPointer { column in
            te.allowed.withUnsafeBufferPointer { allowed in
                for i in 0..<targets.count {
                    let a = allowed[Int(column[Int(targets[i])])]
                    out[i] = a
                    union |= a
                }
            }
        }
        let watched = (constraints?.permissions ?? 0) | transitionBits
        if union & watched != 0 { applyLaterStages(source, targets: targets, union: union, out: out, scratch: &scratch) }
        // Type bounds: what the bounding types could not do is masked.
        let low = Int(lowRow[source])
        guard low != source else { return }
        let lowTargets = targets.map { lowRow[Int($0)] }
        var lowTE = TypeRow(columns: columns)
        fill(&lowTE, type: contexts[low].type, bits: 0)
        var bounded = [UInt32](repeating: 0, count: targets.count)
        lowTargets.withUnsafeBufferPointer { lowTargets in
            bounded.withUnsafeMutableBufferPointer { b in computeRow(low, targets: lowTargets, te: lowTE, out: b, scratch: &scratch) }
        }
        for i in 0..<targets.count { out[i] &= bounded[i] }
    }

    /// Constraints and the role check over a row whose type-enforcement permissions are in `out`
    /// (`out[i] & field`: a packed row keeps its other fields, only permissions are removed).
    private func applyLaterStages<Cell: FixedWidthInteger & UnsignedInteger>(
        _ source: Int, targets: UnsafeBufferPointer<Int32>, union: UInt32,
        out: UnsafeMutableBufferPointer<Cell>, field: UInt32 = ~0, scratch: inout Scratch
    ) {
        var watched = transitionBits
        var active: [Int] = []
        if let constraints {
            for g in constraints.groups.indices where constraints.groups[g].permissions & union != 0 {
                let cs = Int(scratch.groups[g].classOfRow[source])
                if scratch.groups[g].evaluatedClass != cs {
                    scratch.evaluate(g, sourceClass: cs, constraints)
                }
                guard scratch.groups[g].failingCount > 0 else { continue }
                watched |= constraints.groups[g].permissions
                active.append(g)
            }
        }
        guard union & watched != 0 else { return }
        let transition = transitionBits
        let sourceRole = roleOfRow.isEmpty ? 0 : Int(roleOfRow[source]) * roleCount
        // Per cell with a watched permission (most have none): what the failing constraints of
        // each active group remove from a target of its class (`removeOfClass`), and the
        // transition when the role pair is not allowed. Removing permissions a cell does not
        // have changes nothing, so which ones it has is not tested further.
        let classOf = active.map { scratch.groups[$0].classOfRow }
        let removeOf = active.map { scratch.groups[$0].removeOfClass }
        classOf.withUnsafeBufferPointer { classOf in
        removeOf.withUnsafeBufferPointer { removeOf in
        roleOfRow.withUnsafeBufferPointer { roleOfRow in
        roleForbidden.withUnsafeBufferPointer { forbidden in
            if classOf.count == 1 && transition == 0 {
                let classOf = classOf[0], removeOf = removeOf[0]
                for i in 0..<targets.count {
                    let cell = out[i]
                    guard UInt32(truncatingIfNeeded: cell) & field & watched != 0 else { continue }
                    out[i] = cell & ~Cell(truncatingIfNeeded: removeOf[Int(classOf[Int(targets[i])])] & field)
                }
                return
            }
            for i in 0..<targets.count {
                let cell = out[i]
                let allowed = UInt32(truncatingIfNeeded: cell) & field
                guard allowed & watched != 0 else { continue }
                let t = Int(targets[i])
                var remove: UInt32 = 0
                for g in 0..<classOf.count { remove |= removeOf[g][Int(classOf[g][t])] }
                if allowed & transition != 0, forbidden[sourceRole + Int(roleOfRow[t])] { remove |= transition }
                out[i] = cell & ~Cell(truncatingIfNeeded: remove & field)
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
            /// The constraints that fail on some target class for the source class evaluated.
            var failingConstraints: UnsafeMutablePointer<Int32>
            var failingCount = 0
            /// For each target class, the permissions of the constraints failing on it (for the
            /// source class evaluated): a row of `removeTable`.
            var removeOfClass: UnsafeMutablePointer<UInt32>
            var classCount: Int
            /// With few classes, one row per source class, each computed once (`cachedCount`:
            /// its failing count, -1 until computed); else one row, recomputed.
            var removeTable: UnsafeMutablePointer<UInt32>
            var cachedCount: UnsafeMutablePointer<Int32>?
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
                let failingConstraints = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, g.constraints.count))
                failingConstraints.initialize(repeating: 0, count: max(1, g.constraints.count))
                let cached = g.classCount * g.classCount <= 1 << 16
                let removeTable = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, cached ? g.classCount * g.classCount : g.classCount))
                removeTable.initialize(repeating: 0, count: max(1, cached ? g.classCount * g.classCount : g.classCount))
                var cachedCount: UnsafeMutablePointer<Int32>?
                if cached {
                    cachedCount = .allocate(capacity: max(1, g.classCount))
                    cachedCount!.initialize(repeating: -1, count: max(1, g.classCount))
                }
                groups.append(GroupView(classOfRow: classOf, constraintPermissions: perms, constraintCount: g.constraints.count,
                                        permissions: g.permissions, words: g.words, failing: failing,
                                        failingConstraints: failingConstraints, removeOfClass: removeTable, classCount: g.classCount,
                                        removeTable: removeTable, cachedCount: cachedCount))
                widest = max(widest, g.words)
            }
            stack = .allocate(capacity: 6 * widest)
            stack.initialize(repeating: 0, count: 6 * widest)
        }

        /// Evaluates group `g`'s constraints for a source of class `sourceClass` over every target class.
        mutating func evaluate(_ g: Int, sourceClass: Int, _ constraints: ConstraintClasses) {
            var view = groups[g]
            view.evaluatedClass = sourceClass
            if let cachedCount = view.cachedCount {
                view.removeOfClass = view.removeTable + sourceClass * view.classCount
                if cachedCount[sourceClass] >= 0 {
                    view.failingCount = Int(cachedCount[sourceClass])
                    groups[g] = view
                    return
                }
            }
            constraints.failing(g, source: sourceClass, permissions: view.permissions, into: view.failing, scratch: stack)
            var count = 0
            view.removeOfClass.update(repeating: 0, count: view.classCount)
            for c in 0..<view.constraintCount {
                var any: UInt64 = 0
                for w in 0..<view.words {
                    var word = view.failing[c * view.words + w]
                    any |= word
                    while word != 0 {
                        let ct = w << 6 | word.trailingZeroBitCount
                        if ct < view.classCount { view.removeOfClass[ct] |= view.constraintPermissions[c] }
                        word &= word &- 1
                    }
                }
                if any != 0 { view.failingConstraints[count] = Int32(c); count += 1 }
            }
            view.failingCount = count
            view.cachedCount?[sourceClass] = Int32(count)
            groups[g] = view
        }

        func release() {
            for g in groups {
                g.classOfRow.deallocate()
                g.constraintPermissions.deallocate()
                g.failing.deallocate()
                g.failingConstraints.deallocate()
                g.removeTable.deallocate()
                g.cachedCount?.deallocate()
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
