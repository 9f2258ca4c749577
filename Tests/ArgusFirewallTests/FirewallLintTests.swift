import CommandTestSupport
import ArgusAnalysis
import Flask
import TestSupport
import Testing

/// Every firewall lint check fires on each of its triggering examples and on none of the others.
@Suite struct FirewallLintTests {
    static func findings(_ check: FirewallLintCheck, _ example: String) throws -> [LintFinding] {
        let inventory = try SystemInventory.parse(text: check.exampleHeader + example, path: "example.toml")
        let system = try ResolvedSystem(inventory: inventory, policy: try OpenXTExample.policy())
        return FirewallLintChecks.run(ServiceAudit(ArgoAudit(system))).filter { $0.id == check.id }
    }

    @Test(arguments: FirewallLintChecks.all.map(\.id))
    func examplesBehave(id: String) throws {
        let check = FirewallLintChecks.all.first { $0.id == id }!
        #expect(!check.triggering.isEmpty, "\(id) has no triggering example")
        #expect(!check.nonTriggering.isEmpty, "\(id) has no other example")
        for example in check.triggering {
            #expect(try !Self.findings(check, example).isEmpty, "\(id) misses:\n\(example)")
        }
        for example in check.nonTriggering {
            let found = try Self.findings(check, example)
            #expect(found.isEmpty, "\(id) fires on:\n\(example)\n\(found.map(\.message))")
        }
    }

    @Test func idsAreUniqueAndStable() {
        #expect(FirewallLintChecks.all.map(\.id) == ["FW001", "FW002", "FW003", "FW004", "FW005", "FW006", "FW007"])
    }

    @Test func lintOfTheOpenXTExample() {
        let r = runArgus(["lint", OpenXTExample.policyPath, "--system", OpenXTExample.systemPath])
        #expect(r.status == 1, "\(r.err)")
        Golden.expectMatch(relativePaths(r.out), golden: "services/lint-openxt.txt")
    }
}
