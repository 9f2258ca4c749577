import Foundation
import Testing
@testable import Flask
import Sepol
import TestSupport

/// Loading the three POLICY forms, and the model against setools' seinfo on the same binary.
@Suite struct PolicyLoadingTests {
    /// Every seinfo statistic must equal ours for the compiled binary.
    func expectSeinfoAgrees(_ policy: Policy, _ label: String) throws {
        let stats = try GeneratorSeinfo.statistics(policy: policy.binary)
        #expect(stats.count >= 30, "seinfo printed too few statistics for \(label)")
        for (name, value) in PolicySummary(policy).rows {
            #expect(stats[name] == value, "\(label): \(name) is \(value), seinfo says \(stats[name].map(String.init) ?? "nothing")")
        }
    }

    @Test(arguments: [false, true])
    func exampleTreeMatchesSeinfo(mls: Bool) throws {
        let policy = try Fixtures.examplePolicy(mls: mls)
        #expect(policy.image.platform == .xen)
        #expect(policy.image.mls == mls)
        #expect(policy.image.version == 30)
        #expect(policy.origin == .sourceTree(path: Fixtures.examplePolicyPath))
        try expectSeinfoAgrees(policy, "example mls=\(mls)")
        // Names of initial SIDs come from the hypervisor definitions.
        #expect(policy.initialSID(named: "xen").map { policy.string($0.context) } == (mls ? "system_u:system_r:xen_t:s0" : "system_u:system_r:xen_t"))
    }

    @Test(arguments: PolicyGenerator.Features.named.map(\.name) + ["all"])
    func generatedPoliciesMatchSeinfo(feature: String) throws {
        let features = feature == "all" ? PolicyGenerator.Features.all : PolicyGenerator.Features.named.first { $0.name == feature }!.feature
        let generated = PolicyGenerator(seed: 42, types: 50, attributes: 6, features: features).generate(definitions: try Fixtures.definitionTexts())
        let binary = try Checkpolicy.compile(generated.policyConf, mls: generated.mls)
        let policy = try PolicyLoader(initialSIDNames: []).loadBinary(binary, path: "generated-\(feature)")
        try expectSeinfoAgrees(policy, feature)
        #expect(policy.image.types.count { !$0.isAttribute } == generated.expected.types)
    }

    @Test func binaryAndConfFormsGiveTheSameModel() throws {
        let tree = try Fixtures.examplePolicy()
        try Fixtures.withTemporaryDirectory { dir in
            let bin = dir.appendingPathComponent("example.policy").path
            try Data(tree.binary).write(to: URL(fileURLWithPath: bin))
            let loader = try PolicyLoader(flaskDirectory: nil)
            let fromBinary = try loader.load(bin)
            #expect(fromBinary.origin == .binary(path: bin))
            #expect(fromBinary.image == tree.image)
            #expect(fromBinary.ruleOrigins == nil)

            let conf = try PolicyCompiler.preprocessTree(
                SourceTree(root: URL(fileURLWithPath: Fixtures.examplePolicyPath), hypervisorDefinitions: URL(fileURLWithPath: Fixtures.flaskDirectory)),
                mls: false)
            let confPath = dir.appendingPathComponent("policy.conf").path
            try conf.write(toFile: confPath, atomically: true, encoding: .utf8)
            let fromConf = try loader.load(confPath)
            #expect(fromConf.origin == .policyConf(path: confPath))
            #expect(fromConf.image == tree.image)
            #expect((fromConf.ruleOrigins?.statements.count ?? 0) > 50)
        }
    }

    @Test func treeWithoutDefinitionsUsesBuiltInXenDefinitions() throws {
        try Fixtures.withTemporaryDirectory { dir in
            // Copy the tree somewhere with no flask/ beside it.
            let copy = dir.appendingPathComponent("tree")
            try FileManager.default.copyItem(atPath: Fixtures.examplePolicyPath, toPath: copy.path)
            let policy = try PolicyLoader(flaskDirectory: nil).load(copy.path)
            #expect(policy.image == (try Fixtures.examplePolicy()).image)
        }
    }

    @Test func ruleOriginsPointAtTheSourceLine() throws {
        let policy = try Fixtures.examplePolicy()
        let origins = try #require(policy.ruleOrigins)
        let text = try String(contentsOfFile: Fixtures.examplePolicyPath + "/modules/argo.te", encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let wildcard = try #require(origins.statements.first { $0.kind == .auditallow && $0.classes == ["argo"] })
        #expect(wildcard.location.file.hasSuffix("modules/argo.te"))
        let line = try #require(wildcard.location.line)
        #expect(lines[line - 1].contains("auditallow dom0_t xen_t:argo register_any_source"))
        let gated = try #require(origins.statements.first { $0.condition == "(tenant_argo_to_ui)" && $0.kind == .allow })
        #expect(gated.onTrueBranch)
        #expect(origins.statements.contains { $0.condition == "(tenant_argo_to_ui)" && $0.kind == .dontaudit && !$0.onTrueBranch })
    }

    @Test func contextsAreValidatedLikeTheSecurityServer() throws {
        let policy = try Fixtures.examplePolicy()
        #expect(throws: Never.self) { try policy.context("system_u:system_r:dom0_t") }
        #expect(throws: Never.self) { try policy.context("tenant_a_u:vm_r:tenant_a_t") }
        let bad: [(String, String)] = [
            ("nobody:system_r:dom0_t", "unknown user"),
            ("system_u:nobody_r:dom0_t", "unknown role"),
            ("system_u:system_r:nosuch_t", "unknown type"),
            ("system_u:system_r:domain_type", "attribute"),
            ("tenant_a_u:system_r:dom0_t", "not authorised for user"),
            ("tenant_a_u:vm_r:dom0_t", "not authorised for role"),
            ("system_u:system_r", "expected user:role:type"),
            ("system_u:system_r:dom0_t:s0", "no MLS"),
        ]
        for (text, reason) in bad {
            #expect(throws: ContextError.self, "\(text)") { try policy.context(text) }
            do { _ = try policy.context(text) } catch { #expect(error.reason.contains(reason), "\(text): \(error.reason)") }
        }
        let mls = try Fixtures.examplePolicy(mls: true)
        let c = try mls.context("system_u:system_r:dom0_t:s0-s15:c0.c255")
        #expect(mls.string(c) == "system_u:system_r:dom0_t:s0-s15:c0.c255")
        #expect(throws: ContextError.self) { try mls.context("system_u:system_r:dom0_t") }
        #expect(throws: ContextError.self) { try mls.context("system_u:system_r:dom0_t:s9-s2") }
    }
}
