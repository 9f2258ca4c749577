import CommandTestSupport
import Foundation
import Testing
import ArgusAnalysis
import ArgusCommands
import Flask
import TestSupport

/// Every lint check against its own triggering and non-triggering examples (compiled by
/// checkpolicy), then `argus lint` on the example policy (golden) and its exit statuses.
@Suite struct LintTests {
    /// Compiles an example into a policy (binary route: no rule origins).
    static func compile(_ example: LintExample) throws -> Policy {
        let defs = try Fixtures.definitionTexts()
        let conf = example.policyConf(securityClasses: defs.securityClasses, initialSIDs: defs.initialSIDs, accessVectors: defs.accessVectors)
        let binary = try Checkpolicy.compile(conf, mls: false)
        return try PolicyLoader(flaskDirectory: Fixtures.flaskDirectory).loadBinary(binary, path: "example.policy")
    }

    @Test func checkIdsAreStableAndUnique() {
        let ids = LintChecks.all.map(\.id)
        #expect(ids == (1...ids.count).map { String(format: "ARGO%03d", $0) })
        #expect(Set(LintChecks.all.map(\.name)).count == ids.count)
        for check in LintChecks.all {
            #expect(!check.triggeringExamples.isEmpty, "\(check.id) has no triggering example")
            #expect(!check.nonTriggeringExamples.isEmpty, "\(check.id) has no non-triggering example")
        }
    }

    @Test(arguments: LintChecks.all.map(\.id))
    func checkFiresOnlyOnItsTriggeringExamples(id: String) throws {
        let check = try #require(LintChecks.all.first { $0.id == id })
        for example in check.triggeringExamples {
            let report = try ArgoLint.run(example.input(policy: try Self.compile(example)), checks: [check])
            #expect(!report.findings.isEmpty, "\(id) did not fire on: \(example)")
            #expect(report.findings.allSatisfy { $0.id == id && $0.rule != nil })
        }
        for example in check.nonTriggeringExamples {
            let report = try ArgoLint.run(example.input(policy: try Self.compile(example)), checks: [check])
            #expect(report.findings.isEmpty, "\(id) fired on: \(example): \(report.findings.map(\.message))")
        }
    }

    @Test func findingsFromSourceCarryFileAndLine() throws {
        let example = LintExample("allow dom_a_t dom_b_t:argo send;")
        let defs = try Fixtures.definitionTexts()
        let conf = example.policyConf(securityClasses: defs.securityClasses, initialSIDs: defs.initialSIDs, accessVectors: defs.accessVectors)
        try Fixtures.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("policy.conf").path
            try Data(conf.utf8).write(to: URL(fileURLWithPath: path))
            let r = runArgus(["lint", path, "--flask-dir", Fixtures.flaskDirectory])
            #expect(r.status == 1)
            let line = conf.split(separator: "\n", omittingEmptySubsequences: false)
                .firstIndex { $0 == "allow dom_a_t dom_b_t:argo send;" }.map { $0 + 1 }
            #expect(r.out.contains("\(path):\(line ?? -1): ARGO004 send-never-delivered: dom_a_t may send to dom_b_t"), "\(r.out)")
            #expect(r.out.contains("ARGO006 argo-without-enable"))
        }
    }

    @Test(arguments: ["text", "json"])
    func examplePolicyGolden(format: String) {
        let r = runArgus(["lint", Fixtures.examplePolicyPath, "--format", format, "--xen", "head"])
        #expect(r.status == 1, "\(r.err)")
        #expect(r.err.isEmpty)
        Golden.expectMatch(relativePaths(r.out), golden: "lint/example.\(format == "text" ? "txt" : "json")")
    }

    @Test func examplePolicyDocumentedOdditiesAreFound() {
        let r = runArgus(["lint", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath])
        #expect(r.status == 1)
        // docs/EXAMPLE-POLICY.md, "Deliberate oddities" 1 to 4, and the boolean-gated rings.
        #expect(r.out.contains("ARGO003 ring-never-fed: netvm_t may register_single_source for isolated_t"))
        #expect(r.out.contains("ARGO004 send-never-delivered: netvm_t may send to uivm_t"))
        #expect(r.out.contains("ARGO006 argo-without-enable: dm_dom_t"))
        #expect(r.out.contains("ARGO004 send-never-delivered: dm_dom_t may send to tenant_a_t_target"))
        #expect(r.out.contains("ARGO003 ring-never-fed: tenant_b_t may register_single_source for itself"))
        // One rule on an attribute: one finding, each type it reaches listed inside it.
        #expect(r.out.contains("argo.te:49: ARGO003 ring-never-fed: 2 cases on this rule\n    allow uivm_t tenant_guest:argo register_single_source;\n"
                               + "      - uivm_t may register_single_source for tenant_a_t"), "\(r.out)")
        #expect(r.out.contains("      - uivm_t may register_single_source for tenant_b_t"))
        #expect(r.out.contains("domain types from the system file"))
    }

    @Test func oneFindingPerCheckAndRuleLine() throws {
        let policy = try Fixtures.examplePolicy()
        let report = try ArgoLint.run(LintInput(policy: policy, boot: nil, domainLabels: nil))
        let keys = report.findings.compactMap { f in f.location.map { "\(f.id) \($0) \(f.rule ?? "")" } }
        #expect(Set(keys).count == keys.count, "\(keys)")
        #expect(report.findings.contains { $0.cases.count > 1 }, "the example has a rule on an attribute that reaches two types")
        #expect(report.findings.allSatisfy { $0.cases.count == 1 ? $0.message == $0.cases[0] : $0.message == "\($0.cases.count) cases on this rule" })
    }

    @Test func wildcardFindingNeedsBootSettingsThatRefuseIt() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let system = dir.appendingPathComponent("system.toml")
            let text = try String(contentsOfFile: Fixtures.exampleSystemPath, encoding: .utf8)
                .replacingOccurrences(of: "argo=1,mac-permissive=1", with: "argo=1")
                .replacingOccurrences(of: "\"vms/", with: "\"\(Fixtures.root.path)/examples/vms/")
            try Data(text.utf8).write(to: system)
            let r = runArgus(["lint", Fixtures.examplePolicyPath, "--system", system.path])
            #expect(r.status == 1, "\(r.err)")
            #expect(r.out.contains("ARGO005 wildcard-rings-disabled-at-boot: dom0_t may register_any_source, but mac-permissive is off"))
        }
    }

    @Test func badInputExitsTwo() {
        let missing = runArgus(["lint", "/nonexistent/policy"])
        #expect(missing.status == 2)
        #expect(missing.err.contains("error:"))
        let badSystem = runArgus(["lint", Fixtures.examplePolicyPath, "--system", "/nonexistent/system.toml"])
        #expect(badSystem.status == 2)
        let badFormat = runArgus(["lint", Fixtures.examplePolicyPath, "--format", "xml"])
        #expect(badFormat.status == 2)
    }

    @Test func cleanPolicyExitsZero() throws {
        let example = LintExample("""
            allow dom_a_t xen_t:argo enable;
            allow dom_b_t xen_t:argo enable;
            allow dom_a_t dom_b_t:argo { send register_single_source };
            allow dom_b_t dom_a_t:argo { send register_single_source };
            """)
        let defs = try Fixtures.definitionTexts()
        let conf = example.policyConf(securityClasses: defs.securityClasses, initialSIDs: defs.initialSIDs, accessVectors: defs.accessVectors)
        try Fixtures.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("policy.conf").path
            try Data(conf.utf8).write(to: URL(fileURLWithPath: path))
            let r = runArgus(["lint", path, "--flask-dir", Fixtures.flaskDirectory])
            #expect(r.status == 0, "\(r.out)\(r.err)")
            #expect(r.out.hasPrefix("0 findings;"))
        }
    }
}
