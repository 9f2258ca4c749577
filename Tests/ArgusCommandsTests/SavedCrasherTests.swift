import Foundation
import Testing
import ArgusCommands
import TestSupport

/// Replays every saved hostile input under Tests/Fuzz (the issue's reproducers and what the
/// fuzzer found). A file's name says the exit status it must end with: `NAME.exitN.EXT`.
/// Scenarios run against examples/scenarios/system.toml, logs through explain-log.
@Suite struct SavedCrasherTests {
    static let directory = Fixtures.root.appendingPathComponent("Tests/Fuzz")

    static var files: [String] { HostileFixtures.files(under: directory.path).filter { $0.contains(".exit") } }

    @Test func corpusIsNotEmpty() {
        #expect(Self.files.count >= 10, "saved inputs missing at \(Self.directory.path)")
    }

    @Test(arguments: SavedCrasherTests.files)
    func savedInputKeepsThePromises(file: String) throws {
        let path = Self.directory.appendingPathComponent(file).path
        let expected = try #require(file.split(separator: ".").first { $0.hasPrefix("exit") }.flatMap { Int32($0.dropFirst(4)) })
        try Fixtures.withTemporaryDirectory { dir in
            let run: FuzzRun
            if file.hasPrefix("scenarios/") {
                let system = Fixtures.root.appendingPathComponent("examples/scenarios/system.toml").path
                let rings = dir.appendingPathComponent("rings").path
                run = FuzzRun.run(["simulate", HostileFixtures.binaryPolicyPath, "--system", system, "--scenario", path,
                                   "--dump-rings", rings, "--trace", dir.appendingPathComponent("t.jsonl").path, "--format", "json"])
                if run.status == 2 { #expect(HostileFixtures.files(under: dir.path).isEmpty, "a failed run left files") }
                if run.status == 0 { #expect(run.out.contains(#""expectation_mismatches":0"#), "\(run.out)") }
            } else {
                run = FuzzRun.run(["explain-log", HostileFixtures.binaryPolicyPath, "--system", Fixtures.exampleSystemPath, path])
                #expect(run.out.contains("7 argo AVC records (6 denied, 1 granted)"), "\(run.out)")
            }
            #expect(run.status == expected, "\(file): \(run.err)")
            _ = run.check(file, places: [path], needsLine: true)
        }
    }
}
