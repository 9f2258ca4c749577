import Foundation
import Testing
@testable import DecisionTable
import Flask
import Sepol
import TestSupport

/// Every table entry against libsepol's security server (the static library's
/// `sepol_compute_av` and `sepol_transition_sid`), for every pair of SIDs in play.
@Suite(.serialized) struct DifferentialTests {
    func expectIdentical(_ report: Differential.Report, _ label: String, minimum: Int) {
        print("DIFF \(label): \(report.comparedDecisions) decisions, \(report.comparedTransitions) transitions, \(report.mismatches.count) mismatches")
        #expect(report.comparedDecisions >= minimum, "\(label): only \(report.comparedDecisions) decisions compared")
        #expect(report.comparedTransitions > 0, "\(label): no transitions compared")
        #expect(report.mismatches.isEmpty, "\(label): \(report.mismatches.prefix(5).map(\.description).joined(separator: "\n"))")
    }

    /// The example policy with each boolean at each value, MLS off and on, every class.
    @Test(arguments: [false, true])
    func examplePolicy(mls: Bool) throws {
        let policy = try Fixtures.examplePolicy(mls: mls)
        let contexts = Differential.validContexts(of: policy)
        #expect(contexts.count >= 10)
        expectIdentical(try Differential.compare(policy: policy, contexts: contexts), "example mls=\(mls)", minimum: 10_000)
        for b in policy.image.booleans {
            let flipped = try Differential.compare(policy: policy, contexts: contexts, booleans: [b.name: !b.state])
            expectIdentical(flipped, "example mls=\(mls) \(b.name)=\(!b.state)", minimum: 10_000)
        }
    }

    /// Generated policies exercising one feature each, then all together, with and without MLS.
    @Test(arguments: PolicyGenerator.Features.named.map(\.name) + ["all", "all-but-mls"])
    func generatedFeature(_ feature: String) throws {
        let features: PolicyGenerator.Features = switch feature {
        case "all": .all
        case "all-but-mls": PolicyGenerator.Features.all.subtracting(.mls)
        default: PolicyGenerator.Features.named.first { $0.name == feature }!.feature
        }
        for seed in [UInt64(11), 12] {
            let generated = PolicyGenerator(seed: seed, types: 60, attributes: 8, features: features)
                .generate(definitions: try Fixtures.definitionTexts())
            let binary = try Checkpolicy.compile(generated.policyConf, mls: generated.mls)
            let policy = try PolicyLoader(initialSIDNames: []).loadBinary(binary, path: "generated")
            let classes = ["argo", "domain", "domain2", "event", "grant"]
            // The generator's contexts (with MLS ranges) plus every user:role:type the policy allows.
            let contexts = Array(Set(generated.contexts + Differential.validContexts(of: policy))).sorted()
            expectIdentical(try Differential.compare(policy: policy, contexts: contexts, classes: classes),
                            "\(feature) seed \(seed)", minimum: 1_000)
            // Booleans both ways: all true, then all false.
            if !policy.image.booleans.isEmpty {
                for value in [true, false] {
                    let all = Dictionary(uniqueKeysWithValues: policy.image.booleans.map { ($0.name, value) })
                    expectIdentical(try Differential.compare(policy: policy, contexts: contexts, booleans: all, classes: classes),
                                    "\(feature) seed \(seed) booleans=\(value)", minimum: 1_000)
                }
            }
        }
    }

    /// A policy with thousands of types: the argo class for a few hundred domain contexts.
    @Test func largeGeneratedPolicy() throws {
        let generated = PolicyGenerator(seed: 2026, types: 2_000, attributes: 40, features: .all, contextLimit: 160)
            .generate(definitions: try Fixtures.definitionTexts())
        let binary = try Checkpolicy.compile(generated.policyConf, mls: generated.mls)
        let policy = try PolicyLoader(initialSIDNames: []).loadBinary(binary, path: "large")
        #expect(policy.image.types.count > 2_000)
        let contexts = Array(Set(generated.contexts + Differential.validContexts(of: policy, limit: 700))).sorted()
        expectIdentical(try Differential.compare(policy: policy, contexts: contexts, classes: ["argo", "domain"]),
                        "2,000 types", minimum: 500_000)
    }

    /// The differential harness must notice a wrong table: corrupt one rule and compare.
    @Test func harnessDetectsAWrongDecision() throws {
        let policy = try Fixtures.examplePolicy()
        let evaluator = AccessEvaluator(TypeEnforcement(policy: policy))
        let netvm = try policy.context("system_u:system_r:netvm_t")
        let tenant = try policy.context("tenant_a_u:vm_r:tenant_a_t")
        let argo = try #require(policy.classValue("argo"))
        let good = evaluator.compute(netvm, tenant, tclass: argo)
        try SepolOracle.with(policy: policy.binary) { oracle in
            let s = try #require(oracle.sid(for: "system_u:system_r:netvm_t"))
            let t = try #require(oracle.sid(for: "tenant_a_u:vm_r:tenant_a_t"))
            let theirs = try #require(oracle.computeAV(source: s, target: t, tclass: argo))
            #expect(theirs.allowed == good.allowed)
            #expect(theirs.allowed != good.allowed ^ 0x8, "flipping send must be visible")
        }
    }
}
