import ArgusAnalysis
import Flask
import Foundation
import Testing
import TestSupport

/// Explanations name each policy rule once, however many binary entries it became.
@Suite struct ExplanationWordingTests {
    @Test func everyExplanationNamesEachRuleOnce() throws {
        let policy = try PolicyLoader(flaskDirectory: Fixtures.flaskDirectory).load(Fixtures.examplePolicyPath)
        let system = try ResolvedSystem(inventory: SystemInventory.load(Fixtures.exampleSystemPath), policy: policy)
        let explainer = Explainer(system)
        var explained = 0
        for i in system.domains.indices {
            for j in system.domains.indices {
                for flow in ["register_single_source", "send", "notify", "channel"] {
                    for hook in explainer.explain(flow: flow, i, j) {
                        #expect(Set(hook.rules).count == hook.rules.count, "\(flow) \(i)->\(j): \(hook.rules.map(\.description))")
                        explained += hook.rules.count
                    }
                }
            }
        }
        #expect(explained > 100, "the example must explain with rules: \(explained)")
    }

    /// One statement naming a type and an attribute holding it compiles to two entries that
    /// both grant the same decision: the explanation names the statement once.
    @Test func aStatementThatBecameTwoEntriesIsNamedOnce() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let tree = dir.appendingPathComponent("policy").path
            try FileManager.default.copyItem(atPath: Fixtures.examplePolicyPath, toPath: tree)
            let module = tree + "/modules/argo.te"
            let text = try String(contentsOfFile: module, encoding: .utf8)
            try (text + "\nallow { tenant_guest tenant_a_t } uivm_t:argo send;\n").write(toFile: module, atomically: true, encoding: .utf8)
            let policy = try PolicyLoader(flaskDirectory: Fixtures.flaskDirectory).load(tree)
            let system = try ResolvedSystem(inventory: SystemInventory.load(Fixtures.exampleSystemPath), policy: policy)
            let a1 = try #require(system.index(ofDomain: "a1")), uivm = try #require(system.index(ofDomain: "uivm"))
            let send = try #require(Explainer(system).explain(flow: "send", a1, uivm).first { $0.hook == "send" })
            let added = send.rules.filter { $0.text.contains("tenant_guest tenant_a_t") }
            #expect(added.count == 1, "\(send.rules.map(\.description))")
        }
    }

    @Test func repeatsAreDroppedInOrder() {
        let a = RuleReference(text: "allow a b:argo send;", location: Flask.SourceLocation(file: "x.te", line: 3))
        let b = RuleReference(text: "allow b a:argo send;", location: Flask.SourceLocation(file: "x.te", line: 4))
        #expect([a, b, a, b, a].withoutRepeats == [a, b])
    }
}
