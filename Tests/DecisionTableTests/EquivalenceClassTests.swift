@testable import DecisionTable
import Flask
import PolicyGenerator
import Sepol
import Testing
import TestSupport

/// The table built by equivalence class (constraints once per class pair, the role check once
/// per role pair) equals the table built pair by pair, on random policies of every feature.
@Suite struct EquivalenceClassTests {
    static let features: [PolicyGenerator.Features] = [.constraints, .mls, .typebounds, .domainTransitions, .all,
                                                        PolicyGenerator.Features.all.subtracting(.mls)]

    @Test(arguments: 0..<6)
    func classBuildEqualsPairBuild(seed: Int) throws {
        let features = Self.features[seed % Self.features.count]
        let (generated, policy, contexts) = try Differential.generatedPolicy(
            PolicyGenerator(seed: UInt64(100 + seed), types: 60, attributes: 8, features: features, contextLimit: 80),
            path: "generated-\(seed)", validContexts: 250)
        let evaluator = AccessEvaluator(TypeEnforcement(policy: policy))
        let classes = policy.image.classes.map(\.name)
        let fast = try DecisionTable(evaluator: evaluator, contexts: contexts, classes: classes)
        let reference = try DecisionTable(evaluator: evaluator, contexts: contexts, classes: classes, evaluation: .perPair)
        #expect(fast.sids.count == reference.sids.count)
        #expect(fast.contextSIDs == contexts.map { fast.sid(of: $0)! })
        var compared = 0, mismatches = 0
        for tclass in fast.coveredClasses {
            let slot = try #require(fast.slot(of: tclass))
            for s in 1...UInt32(fast.sids.count) where fast.context(of: s) != nil {
                for t in 1...UInt32(fast.sids.count) where fast.context(of: t) != nil {
                    let a = fast.decision(s, t, slot: slot), b = reference.decision(s, t, slot: slot)
                    compared += 1
                    if a != b {
                        mismatches += 1
                        if mismatches <= 5 { Issue.record("\(generated.description) class \(tclass) \(s)->\(t): \(a) vs \(b)") }
                    }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(compared > 10_000, "\(generated.description): only \(compared) decisions")
    }

    @Test func constraintsAreGroupedByWhatTheyRead() throws {
        // The example's argo constraints: one reads users (tenant_users.cons), one roles
        // (argo.cons). Every valid context then falls into one class per user, or per role.
        let policy = try Fixtures.examplePolicy()
        let argo = try #require(policy.classValue("argo"))
        let rows = try Differential.validContexts(of: policy).map { try policy.context($0) }
        let evaluator = AccessEvaluator(TypeEnforcement(policy: policy))
        let classes = ConstraintClasses(constraints: policy.securityClass(argo).constraints, rows: rows, evaluator: evaluator)
        let counts = classes.groups.map(\.classCount).sorted()
        #expect(counts == [Set(rows.map(\.role)).count, Set(rows.map(\.user)).count].sorted(), "\(counts)")
        #expect(rows.count > counts.max()!)
    }
}
