import ArgoEngine
import ArgusAnalysis
import ArgusExposure
import DecisionTable
import Flask
import CommandTestSupport
import Foundation
import Testing
import TestSupport

/// `argus exposure --system`: what a new domain could do next to each existing one.
@Suite(.serialized) struct WhatIfTests {
    /// Each answer agrees with auditing the system plus that one new domain, label by label.
    @Test func agreesWithOneAuditPerNewLabel() throws {
        let policy = try Fixtures.examplePolicy()
        let inventory = try SystemInventory.load(Fixtures.exampleSystemPath)
        let report = try Exposure.whatIf(policy: policy, inventory: inventory)
        #expect(report.deviceModelsConsidered)
        let universe = ExposureUniverse(policy: policy, evaluator: AccessEvaluator(TypeEnforcement(policy: policy)))
        let flows: [ArgoAudit.Flow] = [.registerSingleSource, .send, .notify, .channel]
        var checked = 0
        for context in universe.contexts {
            let label = policy.string(context)
            var domains = inventory.domains
            domains.append(DomainSpec(name: "new", domid: 100, label: label))
            let audit = ArgoAudit(try ResolvedSystem(inventory: SystemInventory(boot: inventory.boot, domains: domains), policy: policy))
            let x = domains.count - 1
            for (d, row) in report.rows.enumerated() {
                for (f, flow) in flows.enumerated() {
                    for (answers, holds) in [(row.reaching[f], audit.has(flow, x, d)), (row.reached[f], audit.has(flow, d, x))] {
                        let type = policy.typeName(context.type)
                        let listed = answers.first { $0.type == type }.map { $0.answer == .always || $0.labels.contains(label) } ?? false
                        #expect(listed == holds, "\(row.domain) \(flow.rawValue) with new \(label)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 1_000)
    }

    @Test func goldenAndBadSystemFile() throws {
        let r = runArgus(["exposure", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath])
        #expect(r.status == 0, "\(r.err)")
        Golden.expectMatch(relativePaths(r.out), golden: "exposure/whatif-example.txt")
        let bad = runArgus(["exposure", Fixtures.examplePolicyPath, "--system", "/nonexistent/system.toml"])
        #expect(bad.status == 2)
        #expect(bad.err == "/nonexistent/system.toml: error: no such file\n")
    }
}
