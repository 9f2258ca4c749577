import ArgoEngine
import Foundation
import Testing
@testable import ArgusAnalysis

/// Every scenario under examples/scenarios runs with no expectation mismatch.
@Suite struct ExampleScenarioTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/scenarios")

    static var files: [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "yaml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func corpusIsNotEmpty() {
        #expect(Self.files.count >= 3, "examples missing at \(Self.directory.path)")
    }

    /// examples/scenarios/openxt/firewall.yaml on OpenXT's Xen (the port firewall on).
    @Test func openxtFirewallExampleMeetsItsExpectations() throws {
        let file = Self.directory.appendingPathComponent("openxt/firewall.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let settings = ArgoBootSettings(macPermissive: true, behaviour: ArgoEngineBehaviour(argoFirewall: true))
        let result = try ScenarioSimulator.simulate(yaml: text, file: file.lastPathComponent, settings: settings,
                                                    domains: standardDomains, resolveLabel: { _ in 10 })
        #expect(result.summary.expectationMismatches == 0, "lines \(result.summary.mismatchLines)")
        #expect(result.summary.steps >= 19)
        #expect(result.trace.last?.contains(#""rules":[]"#) == true, "\(result.trace.last ?? "")")
        #expect(result.trace.contains { $0.contains(#""rules":["ACCEPT 1:* -> 2:5555","REJECT *:* -> 2:*"]"#) })
    }

    @Test(arguments: ExampleScenarioTests.files)
    func exampleMeetsItsExpectations(file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        let result = try ScenarioSimulator.simulate(yaml: text, file: file.lastPathComponent, settings: ArgoBootSettings(),
                                                    domains: standardDomains, resolveLabel: { _ in 10 })
        #expect(result.summary.expectationMismatches == 0, "lines \(result.summary.mismatchLines)")
        #expect(result.summary.steps > 0)
    }
}
