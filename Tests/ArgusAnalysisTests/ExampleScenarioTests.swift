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

    @Test(arguments: ExampleScenarioTests.files)
    func exampleMeetsItsExpectations(file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        let result = try ScenarioSimulator.simulate(yaml: text, file: file.lastPathComponent, settings: ArgoBootSettings(),
                                                    domains: standardDomains, resolveLabel: { _ in 10 })
        #expect(result.summary.expectationMismatches == 0, "lines \(result.summary.mismatchLines)")
        #expect(result.summary.steps > 0)
    }
}
