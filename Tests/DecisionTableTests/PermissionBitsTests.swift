@testable import DecisionTable
import Flask
import PolicyGenerator
import Sepol
import Testing
import TestSupport

/// `DecisionTable.permissionBits` (the audit's bulk read: a lookup table per pair, or two shifts
/// for two single-bit permissions, over consecutive or scattered columns) against
/// `decision(_:_:slot:)` one pair at a time.
@Suite struct PermissionBitsTests {
    @Test(arguments: 0..<3)
    func bulkBitsEqualDecisions(seed: Int) throws {
        let features: [PolicyGenerator.Features] = [.constraints, .all, PolicyGenerator.Features.all.subtracting(.mls)]
        let (_, policy, contexts) = try Differential.generatedPolicy(
            PolicyGenerator(seed: UInt64(300 + seed), types: 50, attributes: 6, features: features[seed], contextLimit: 60),
            path: "generated-\(seed)", validContexts: 200)
        let evaluator = AccessEvaluator(TypeEnforcement(policy: policy))
        // argo (four permissions: packed cells) and a class with many (full vectors).
        let wide = policy.image.classes.max { $0.permissions.count < $1.permissions.count }!.name
        let table = try DecisionTable(evaluator: evaluator, contexts: contexts, classes: ["argo", wide])
        var rng = SplitMix64(seed: UInt64(77 + seed))
        let all = table.contextSIDs
        var checked = 0, consecutivePacked = 0
        for tclass in table.coveredClasses {
            let slot = try #require(table.slot(of: tclass))
            let count = policy.securityClass(tclass).permissions.count
            let single = (0..<count).map { UInt32(1) << UInt32($0) }
            func pick() -> UInt32 { single[rng.below(single.count)] }
            let permissionSets: [[UInt32]] = [
                [pick(), pick()], [single[0], single[count - 1]], [pick()], [pick(), pick(), pick()],
                [pick() | pick(), pick()], [UInt32(1) << 31, pick()], [0, pick()], (0..<min(8, count)).map { single[$0] },
            ]
            // Consecutive targets (each its own row, in order), a shuffled subset, and duplicates.
            var shuffled = all
            shuffled.shuffle(using: &rng)
            // And one SID of each row, in row order (consecutive whatever the policy).
            var firstOfRow = [UInt32?](repeating: nil, count: table.rowCount[slot])
            for sid in 1...UInt32(table.sidCount) where table.context(of: sid) != nil {
                let r = Int(table.rowIndex[slot * table.sidCount + Int(sid) - 1])
                if firstOfRow[r] == nil { firstOfRow[r] = sid }
            }
            let byRow = firstOfRow.compactMap { $0 }
            let targetLists = [all, Array(shuffled.prefix(37)), (0..<50).map { _ in all[rng.below(all.count)] }, byRow]
            for targets in targetLists {
                let rows = targets.map { Int(table.rowIndex[slot * table.sidCount + Int($0) - 1]) }
                if table.packedBits[slot] != 0, rows.indices.allSatisfy({ rows[$0] == rows[0] + $0 }) { consecutivePacked += 1 }
            }
            for permissions in permissionSets {
                for targets in targetLists {
                    let sources = (0..<20).map { _ in all[rng.below(all.count)] }
                    var out = [UInt8](repeating: 0xff, count: sources.count * targets.count)
                    out.withUnsafeMutableBufferPointer { out in
                        table.permissionBits(sources: sources, targets: targets, slot: slot, permissions: permissions, into: out)
                    }
                    for (i, s) in sources.enumerated() {
                        for (j, t) in targets.enumerated() {
                            let allowed = table.decision(s, t, slot: slot).allowed
                            var expected: UInt8 = 0
                            for (k, p) in permissions.enumerated() where allowed & p != 0 { expected |= 1 << UInt8(k) }
                            #expect(out[i * targets.count + j] == expected, "\(s) -> \(t) \(permissions)")
                            checked += 1
                        }
                    }
                }
            }
        }
        #expect(checked > 20_000)
        // The vectorised path (packed cells, consecutive rows) was taken.
        #expect(consecutivePacked > 0)
    }
}
