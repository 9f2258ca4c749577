public import Flask
public import Sepol

/// Security identifiers for the contexts of one run. Initial SIDs keep their numbers from
/// the policy (as in Xen's and libsepol's SID tables); other contexts follow in the order
/// they are first seen.
public struct SIDTable: Sendable {
    public private(set) var contexts: [SecurityContext?] = []
    private var index: [SecurityContext: UInt32] = [:]

    public init(initialSIDs: [PolicyImage.InitialSID]) {
        for sid in initialSIDs {
            while contexts.count < Int(sid.number) { contexts.append(nil) }
            contexts[Int(sid.number) - 1] = sid.context
            if index[sid.context] == nil { index[sid.context] = sid.number }
        }
    }

    /// The SID of a context, assigning the next one if it is new.
    public mutating func intern(_ context: SecurityContext) -> UInt32 {
        if let sid = index[context] { return sid }
        contexts.append(context)
        let sid = UInt32(contexts.count)
        index[context] = sid
        return sid
    }

    public func sid(of context: SecurityContext) -> UInt32? { index[context] }

    /// Room for `count` contexts in all, so that interning them does not grow the index.
    public mutating func reserveCapacity(_ count: Int) {
        contexts.reserveCapacity(count)
        index.reserveCapacity(count)
    }
    public func context(of sid: UInt32) -> SecurityContext? {
        sid >= 1 && Int(sid) <= contexts.count ? contexts[Int(sid) - 1] : nil
    }
    public var count: Int { contexts.count }
}

/// The policy's decisions for every pair of SIDs in play, for the covered classes, computed
/// once: a lookup is three array reads (the two SIDs' rows, then the cell).
///
/// SIDs that no decision can tell apart share a row: for a class without constraints that is
/// every SID of the same type; otherwise every SID of the same context.
public struct DecisionTable: Sendable {
    public let evaluator: AccessEvaluator
    public private(set) var sids: SIDTable
    /// The SID of each context given at build time (`contexts`), in their order.
    public let contextSIDs: [UInt32]
    /// Classes with a dense matrix, in the order given at build time.
    public let coveredClasses: [UInt16]
    /// Dense storage for every covered class (slot): `rowIndex[slot * sidCount + sid - 1]` is a
    /// SID's row, and `cells[cellBase[slot] + row * rowCount[slot] + column]` the decision.
    @usableFromInline var rowIndex: [Int32] = []
    @usableFromInline var cells: [AccessVector] = []
    /// Classes with at most five permissions (argo has four) keep each decision in 16 bits
    /// instead of 12 bytes: allowed, auditallow and auditdeny as `packedBits`-wide fields.
    /// The whole matrix then stays in cache. `packedBits[slot] == 0` means unpacked.
    @usableFromInline var packedCells: [UInt16] = []
    @usableFromInline var packedBits: [Int] = []
    @usableFromInline var cellBase: [Int] = []
    @usableFromInline var rowCount: [Int] = []
    @usableFromInline var sidCount = 0
    /// The self SID of each SID (`type_transition T T:domain`), index sid - 1.
    public private(set) var selfSIDs: [UInt32] = []
    private var targetSIDs: [SIDPair: UInt32] = [:]
    /// Whether each SID's type is permissive, index sid - 1.
    public private(set) var permissive: [Bool] = []

    struct SIDPair: Hashable { var deviceModel: UInt32; var target: UInt32 }

    public var policy: Policy { evaluator.policy }

    /// How the later stages of a decision (constraints, the role check) are computed at build
    /// time. Both give the same table; `perPair` is the reference the tests compare against.
    public enum Evaluation: Sendable {
        /// A source row at a time (`ClassMatrixBuilder`): type enforcement once per source type,
        /// constraints once per source class as bit sets over the target classes
        /// (`ConstraintClasses`), the role check from a role-pair table, type bounds through the
        /// rows with their types replaced by their bounds.
        case byEquivalenceClass
        /// `AccessEvaluator.compute` for every pair of rows.
        case perPair
    }

    /// Builds the table for `contexts` (domain labels), the device-model pairs whose target
    /// SIDs Xen computes, and `classes` (names). The policy's initial SIDs are always in play.
    public init(
        evaluator: AccessEvaluator, contexts: [SecurityContext],
        deviceModels: [(deviceModel: SecurityContext, target: SecurityContext)] = [],
        classes: [String] = ["argo"],
        evaluation: Evaluation = .byEquivalenceClass
    ) throws(AccessEvaluator.TransitionError) {
        self.evaluator = evaluator
        var table = SIDTable(initialSIDs: evaluator.policy.image.initialSIDs)
        // Each context, its self context and the device models' target contexts at most.
        table.reserveCapacity(table.count + 2 * contexts.count + 3 * deviceModels.count)
        contextSIDs = contexts.map { table.intern($0) }
        let domainClass = evaluator.processClass
        // Self SIDs for every domain label, and target SIDs for device models, as Xen
        // computes them when a domain is created and when its target is set.
        if let domainClass {
            for (dm, target) in deviceModels {
                let t = try evaluator.transition(target, dm, tclass: domainClass)
                targetSIDs[SIDPair(deviceModel: table.intern(dm), target: table.intern(target))] = table.intern(t)
            }
            var selfs = [UInt32](repeating: 0, count: table.count)
            var i = 0
            while i < table.count {
                if let c = table.contexts[i] {
                    let s = try evaluator.transition(c, c, tclass: domainClass)
                    let sid = table.intern(s)
                    if selfs.count < table.count { selfs += [UInt32](repeating: 0, count: table.count - selfs.count) }
                    selfs[i] = sid
                }
                i += 1
            }
            selfSIDs = selfs
        } else {
            selfSIDs = (0..<table.count).map { UInt32($0 + 1) }
        }
        sids = table
        permissive = table.contexts.map { $0.map { evaluator.policy.type($0.type).permissive } ?? false }
        coveredClasses = classes.compactMap { evaluator.policy.classValue($0) }
        sidCount = table.count
        for tclass in coveredClasses {
            let m = buildMatrix(tclass: tclass, evaluation: evaluation)
            // The first matrix is taken as it is (no copy of a large table).
            if rowIndex.isEmpty { rowIndex = m.rowOfSID } else { rowIndex += m.rowOfSID }
            rowCount.append(m.rows)
            if m.bits != 0 {
                cellBase.append(packedCells.count)
                packedBits.append(m.bits)
                if packedCells.isEmpty { packedCells = m.packed } else { packedCells += m.packed }
            } else {
                cellBase.append(cells.count)
                packedBits.append(0)
                if cells.isEmpty { cells = m.cells } else { cells += m.cells }
            }
        }
    }

    struct ClassMatrix {
        var rowOfSID: [Int32]
        var rows: Int
        var cells: [AccessVector]
        var packed: [UInt16]
        var bits: Int
    }

    /// One class's matrix over the distinct rows of the SIDs in play.
    private func buildMatrix(tclass: UInt16, evaluation: Evaluation) -> ClassMatrix {
        let cls = evaluator.policy.securityClass(tclass)
        let byType = cls.constraints.isEmpty && tclass != evaluator.processClass
        var rowOf = [Int32](repeating: -1, count: sids.count)
        var rowContexts: [SecurityContext] = []
        var typeRow: [UInt32: Int32] = [:]
        var contextRow: [SecurityContext: Int32] = [:]
        if byType { typeRow.reserveCapacity(sids.count) } else { contextRow.reserveCapacity(sids.count) }
        for (i, c) in sids.contexts.enumerated() {
            guard let c else { continue }
            if byType {
                if let r = typeRow[c.type] { rowOf[i] = r; continue }
                typeRow[c.type] = Int32(rowContexts.count)
            } else {
                if let r = contextRow[c] { rowOf[i] = r; continue }
                contextRow[c] = Int32(rowContexts.count)
            }
            rowOf[i] = Int32(rowContexts.count)
            rowContexts.append(c)
        }
        switch evaluation {
        case .byEquivalenceClass:
            let m = ClassMatrixBuilder(evaluator: evaluator, tclass: tclass, rows: rowContexts).build()
            return ClassMatrix(rowOfSID: rowOf, rows: rowContexts.count, cells: m.cells, packed: m.packed, bits: m.bits)
        case .perPair:
            let n = rowContexts.count
            var cells = [AccessVector](repeating: .initial, count: n * n)
            for rs in 0..<n {
                for rt in 0..<n { cells[rs * n + rt] = evaluator.compute(rowContexts[rs], rowContexts[rt], tclass: tclass) }
            }
            if let packed = Self.pack(cells, permissions: cls.permissions.count) {
                return ClassMatrix(rowOfSID: rowOf, rows: n, cells: [], packed: packed.cells, bits: packed.bits)
            }
            return ClassMatrix(rowOfSID: rowOf, rows: n, cells: cells, packed: [], bits: 0)
        }
    }

    /// Packs every vector into 16 bits when the class has at most five permission bits and no
    /// vector carries bits outside them (auditdeny's outside bits all set, as checkpolicy writes).
    static func pack(_ cells: [AccessVector], permissions: Int) -> (bits: Int, cells: [UInt16])? {
        guard permissions >= 1 && permissions <= 5 else { return nil }
        let field = UInt32(1 << permissions) - 1
        var out = [UInt16](repeating: 0, count: cells.count)
        for (i, v) in cells.enumerated() {
            guard v.allowed & ~field == 0, v.auditallow & ~field == 0, v.auditdeny | field == 0xffff_ffff else { return nil }
            out[i] = UInt16(v.allowed | v.auditallow << UInt32(permissions) | (v.auditdeny & field) << UInt32(2 * permissions))
        }
        return (permissions, out)
    }

    /// The slot of a covered class, for `decision(_:_:slot:)`.
    public func slot(of tclass: UInt16) -> Int? { coveredClasses.firstIndex(of: tclass) }

    /// The decision for two SIDs in play on a covered class: three array reads.
    @inlinable
    public func decision(_ source: UInt32, _ target: UInt32, slot: Int) -> AccessVector {
        let base = slot &* sidCount
        let rs = Int(rowIndex[base &+ Int(source) &- 1]), rt = Int(rowIndex[base &+ Int(target) &- 1])
        let cell = cellBase[slot] &+ rs &* rowCount[slot] &+ rt
        let bits = packedBits[slot]
        guard bits != 0 else { return cells[cell] }
        let v = UInt32(packedCells[cell]), field = (UInt32(1) << UInt32(bits)) &- 1
        return AccessVector(
            allowed: v & field, auditallow: (v >> UInt32(bits)) & field,
            auditdeny: (v >> UInt32(2 &* bits)) & field | ~field)
    }

    /// Many decisions at once: for every source SID `sources[i]` and target SID `targets[j]` of a
    /// covered class, bit `k` of `out[i * targets.count + j]` is set when the class allows
    /// `permissions[k]` (at most eight masks). Every SID must be in play.
    public func permissionBits(sources: [UInt32], targets: [UInt32], slot: Int, permissions: [UInt32],
                               into out: UnsafeMutableBufferPointer<UInt8>) {
        precondition(permissions.count <= 8 && out.count >= sources.count * targets.count)
        func bitsOf(_ allowed: UInt32) -> UInt8 {
            var b: UInt8 = 0
            for (k, p) in permissions.enumerated() where allowed & p != 0 { b |= 1 << UInt8(k) }
            return b
        }
        let base = slot * sidCount
        let columns = targets.map { Int(rowIndex[base + Int($0) - 1]) }
        let m = targets.count, rows = rowCount[slot], bits = packedBits[slot]
        columns.withUnsafeBufferPointer { columns in
            let field = (1 << bits) - 1
            // Two single-bit permissions inside the allowed field (the audit's) over consecutive
            // columns (the usual layout: each target SID its own row, in order): two shifts per
            // pair over consecutive cells, a loop the compiler vectorises. (Scattered columns
            // keep the table lookup below: vectorised gathers are slower.)
            let consecutive = m > 0 && (0..<m).allSatisfy { columns[$0] == columns[0] + $0 }
            if bits != 0, consecutive, permissions.count == 2,
               permissions.allSatisfy({ $0.nonzeroBitCount == 1 && Int($0) <= field }) {
                let s0 = UInt16(permissions[0].trailingZeroBitCount), s1 = UInt16(permissions[1].trailingZeroBitCount)
                packedCells.withUnsafeBufferPointer { cells in
                    for (i, s) in sources.enumerated() {
                        let c = cells.baseAddress! + cellBase[slot] + Int(rowIndex[base + Int(s) - 1]) * rows + columns[0]
                        let o = out.baseAddress! + i * m
                        for j in 0..<m {
                            let v = c[j]
                            o[j] = UInt8(truncatingIfNeeded: (v >> s0) & 1 | ((v >> s1) & 1) << 1)
                        }
                    }
                }
            } else if bits != 0 {
                // The allowed field is the low `bits` bits: one table lookup per pair.
                let lookup = (0...field).map { bitsOf(UInt32($0)) }
                packedCells.withUnsafeBufferPointer { cells in
                    lookup.withUnsafeBufferPointer { lookup in
                        for (i, s) in sources.enumerated() {
                            let row = cellBase[slot] + Int(rowIndex[base + Int(s) - 1]) * rows
                            let o = out.baseAddress! + i * m
                            for j in 0..<m { o[j] = lookup[Int(cells[row + columns[j]]) & field] }
                        }
                    }
                }
            } else {
                cells.withUnsafeBufferPointer { cells in
                    for (i, s) in sources.enumerated() {
                        let row = cellBase[slot] + Int(rowIndex[base + Int(s) - 1]) * rows
                        for j in 0..<m { out[i * m + j] = bitsOf(cells[row + columns[j]].allowed) }
                    }
                }
            }
        }
    }

    /// The decision for any two SIDs and class: the table when it covers them, else computed.
    public func decision(_ source: UInt32, _ target: UInt32, tclass: UInt16) -> AccessVector {
        if let slot = slot(of: tclass), source >= 1, target >= 1, Int(source) <= sidCount, Int(target) <= sidCount {
            return decision(source, target, slot: slot)
        }
        guard let s = sids.context(of: source), let t = sids.context(of: target) else { return .initial }
        return evaluator.compute(s, t, tclass: tclass)
    }

    public func sid(of context: SecurityContext) -> UInt32? { sids.sid(of: context) }
    public func context(of sid: UInt32) -> SecurityContext? { sids.context(of: sid) }
    public func selfSID(of sid: UInt32) -> UInt32 { selfSIDs[Int(sid) - 1] }

    /// The target SID of a device model for the domain it serves (nil if not built).
    public func targetSID(deviceModel: UInt32, target: UInt32) -> UInt32? {
        targetSIDs[SIDPair(deviceModel: deviceModel, target: target)]
    }

    public func isPermissive(_ sid: UInt32) -> Bool { permissive[Int(sid) - 1] }

    /// The SID hooks use for "the hypervisor" (`xen` initial SID).
    public var xenSID: UInt32? {
        policy.initialSID(named: "xen").map(\.number)
    }
}
