// Smoke tests for the seeded policy generator: every feature, alone and together,
// with and without MLS, small and large, must compile with checkpolicy and show up
// in seinfo's statistics with the numbers the generator says it declared.

import Foundation
import Testing
import TestSupport

private let definitions = Result { try FlaskDefinitionFiles.load() }

private func flaskDefinitions() throws -> (securityClasses: String, initialSIDs: String, accessVectors: String) {
    do {
        return try definitions.get()
    } catch {
        Issue.record("hypervisor definitions not found in \(FlaskDefinitionFiles.defaultDirectory().path) (set ARGUS_FLASK_DIR): \(error)")
        throw error
    }
}

/// One row of the matrix.
struct GeneratorCase: CustomTestStringConvertible, Sendable {
    var seed: UInt64
    var types: Int
    var attributes: Int
    var features: PolicyGenerator.Features

    var generator: PolicyGenerator {
        PolicyGenerator(seed: seed, types: types, attributes: attributes, features: features)
    }
    var testDescription: String { "seed \(seed), \(types) types, features \(features)" }
}

private let singleFeatureCases: [GeneratorCase] =
    [GeneratorCase(seed: 1, types: 40, attributes: 6, features: [])]
    + PolicyGenerator.Features.named.enumerated().map { index, entry in
        GeneratorCase(seed: UInt64(100 + index), types: 60, attributes: 8, features: entry.feature)
    }

private let combinedCases: [GeneratorCase] = [
    GeneratorCase(seed: 7, types: 80, attributes: 10, features: .all),
    GeneratorCase(seed: 8, types: 80, attributes: 10, features: PolicyGenerator.Features.all.subtracting(.mls)),
    GeneratorCase(seed: 9, types: 25, attributes: 3, features: [.booleans, .constraints, .usersRoles, .mls]),
    GeneratorCase(seed: 10, types: 30, attributes: 4, features: [.typebounds, .domainTransitions, .aliases, .selfTargets]),
]

private let largeCases: [GeneratorCase] = [
    GeneratorCase(seed: 2024, types: 2_000, attributes: 40, features: .all),
    GeneratorCase(seed: 2025, types: 2_000, attributes: 40, features: []),
]

/// Compiles the policy and compares seinfo's statistics with the generator's counts.
private func compileAndCheck(_ testCase: GeneratorCase) throws {
    let policy = testCase.generator.generate(definitions: try flaskDefinitions())
    let binary: [UInt8]
    do {
        binary = try Checkpolicy.compile(policy.policyConf, mls: policy.mls)
    } catch {
        Issue.record("\(policy.description): \(error)")
        return
    }
    #expect(binary.count > 0)
    let stats = try GeneratorSeinfo.statistics(policy: binary)
    let want = policy.expected
    let checks: [(String, Int)] = [
        ("Types", want.types), ("Attributes", want.attributes), ("Booleans", want.booleans),
        ("Constraints", want.constraints), ("MLS Constrain", want.mlsConstraints),
        ("Permissives", want.permissives), ("Typebounds", want.typebounds),
        ("Users", want.users), ("Roles", want.roles), ("Type_trans", want.typeTransitions),
        ("Initial SIDs", want.initialSIDs), ("Sensitivities", want.sensitivities),
        ("Categories", want.categories),
    ]
    for (label, value) in checks {
        #expect(stats[label] == value, "\(label) for \(policy.description)")
    }
    #expect((stats["Allow"] ?? 0) > 0)
    #expect(!policy.contexts.isEmpty)
    #expect(policy.initialSIDContexts.count == want.initialSIDs)

    // Each feature must actually be present when switched on.
    let f = testCase.features
    if f.contains(.booleans) { #expect(want.booleans > 0 && (stats["Cond. Expr."] ?? 0) > 0) }
    if f.contains(.constraints) { #expect(want.constraints >= testCase.generator.constraints) }
    if f.contains(.mls) { #expect(want.mlsConstraints > 0 && want.sensitivities > 0) }
    if f.contains(.typebounds) { #expect(want.typebounds > 0 && want.constraints >= want.typebounds) }
    if f.contains(.permissive) { #expect(want.permissives > 0) }
    if f.contains(.auditDontaudit) {
        #expect((stats["Auditallow"] ?? 0) > 0 || (stats["Dontaudit"] ?? 0) > 0)
    }
    if f.contains(.domainTransitions) { #expect(want.typeTransitions > 0) }
    if f.contains(.usersRoles) { #expect(want.users > 1 && want.roles > 2) }
    if f.contains(.selfTargets) { #expect(policy.policyConf.contains(" self:argo ")) }
    if f.contains(.aliases) {
        let listing = try GeneratorSeinfo.run(policy: binary, ["-x", "-t"])
        let aliasNames = listing.split(separator: "\n").filter { $0.contains(" alias ") }.reduce(0) { sum, line in
            // "type t_t alias a;", "type t_t alias { a b }, attr;" ...
            let tail = line.split(separator: " alias ", maxSplits: 1).last ?? ""
            let names = tail.hasPrefix("{") ? tail.dropFirst().prefix(while: { $0 != "}" }) : tail.prefix(while: { $0 != "," && $0 != ";" })
            return sum + names.split(separator: " ").count
        }
        #expect(want.typeAliases > 0 && aliasNames == want.typeAliases)
    }
    if f.isEmpty { #expect(want.constraints == 0 && want.booleans == 0 && want.typebounds == 0) }
}

@Suite("Policy generator smoke tests")
struct GeneratorSmokeTests {
    @Test("each feature alone compiles and is counted", arguments: singleFeatureCases)
    func singleFeature(_ testCase: GeneratorCase) throws {
        try compileAndCheck(testCase)
    }

    @Test("features together, MLS on and off", arguments: combinedCases)
    func combined(_ testCase: GeneratorCase) throws {
        try compileAndCheck(testCase)
    }

    @Test("about two thousand types", arguments: largeCases)
    func large(_ testCase: GeneratorCase) throws {
        try compileAndCheck(testCase)
    }

    @Test("same seed, same policy; other seed, other policy")
    func deterministic() throws {
        let defs = try flaskDefinitions()
        let a = PolicyGenerator(seed: 42, types: 50, attributes: 5, features: .all).generate(definitions: defs)
        let b = PolicyGenerator(seed: 42, types: 50, attributes: 5, features: .all).generate(definitions: defs)
        let c = PolicyGenerator(seed: 43, types: 50, attributes: 5, features: .all).generate(definitions: defs)
        #expect(a.policyConf == b.policyConf)
        #expect(a.contexts == b.contexts)
        #expect(a.policyConf != c.policyConf)
        #expect(a.policyConf.contains("type_transition"))
    }

    /// checkpolicy validates ocontext labels, so listing every returned context in
    /// pirqcon statements proves they are all valid; one bad label proves it checks.
    @Test("returned contexts are valid", arguments: [false, true])
    func contextsAreValid(mls: Bool) throws {
        let features: PolicyGenerator.Features = mls ? .all : PolicyGenerator.Features.all.subtracting(.mls)
        let policy = PolicyGenerator(seed: 77, types: 120, attributes: 8, features: features, contextLimit: 60)
            .generate(definitions: try flaskDefinitions())
        #expect(policy.contexts.count == 60)
        #expect(policy.contexts.contains { !$0.hasPrefix("system_u:") })
        func withLabels(_ labels: [String]) -> String {
            policy.policyConf + labels.enumerated().map { index, label in
                "pirqcon \(index + 1) " + label.replacingOccurrences(of: "-", with: " - ")
            }.joined(separator: "\n") + "\n"
        }
        #expect(throws: Never.self) { try Checkpolicy.compile(withLabels(policy.contexts), mls: policy.mls) }
        let bad = "system_u:no_such_r:xen_t" + (mls ? ":s0" : "")
        #expect(throws: ToolFailure.self) { try Checkpolicy.compile(withLabels([bad]), mls: policy.mls) }
    }

    @Test("seinfo statistics parser")
    func parser() {
        let stats = GeneratorSeinfo.parseStatistics("""
            Policy Version:             30 (MLS enabled)
              Types:                32    Attributes:            8
              Booleans:              2    Cond. Expr.:           2
              MLS Constrain:         5    MLS Val. Tran:         0
            """)
        #expect(stats == ["Policy Version": 30, "Types": 32, "Attributes": 8, "Booleans": 2,
                          "Cond. Expr.": 2, "MLS Constrain": 5, "MLS Val. Tran": 0])
    }
}
