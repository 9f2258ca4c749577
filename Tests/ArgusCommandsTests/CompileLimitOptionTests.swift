import Foundation
import Testing
import ArgusCommands
import TestSupport

/// `--compile-timeout` and `--compile-memory` reach the tools, and bad values are usage errors.
@Suite struct CompileLimitOptionTests {
    static func run(_ arguments: [String]) -> (status: Int32, output: String, errors: String) {
        let output = CapturedOutput()
        let errors = CapturedOutput()
        let status = CommandRunner.run(arguments, in: CommandContext(standardOutput: output, standardError: errors))
        return (status, output.text, errors.text)
    }

    /// Out of range: refused by Argus with one line.
    @Test(arguments: [["--compile-timeout", "0"], ["--compile-timeout", "1e9"], ["--compile-memory", "1"]])
    func outOfRangeLimitsAreOneLineErrors(_ option: [String]) {
        let result = Self.run(["policy", "info", Fixtures.examplePolicyPath] + option)
        #expect(result.status == 2)
        #expect(result.output.isEmpty)
        #expect(result.errors.hasPrefix("error: \(option[0]) takes"), "\(result.errors)")
        #expect(result.errors.split(separator: "\n").count == 1, "\(result.errors)")
    }

    /// Not numbers at all: the argument parser's usage error (its message format is not ours).
    @Test(arguments: [["--compile-timeout", "soon"], ["--compile-memory", "x"]])
    func nonNumericLimitsAreUsageErrors(_ option: [String]) {
        let result = Self.run(["policy", "info", Fixtures.examplePolicyPath] + option)
        #expect(result.status == 2)
        #expect(result.output.isEmpty)
    }

    @Test func tightLimitsStopARunawayTreeAndGenerousOnesCompileTheExample() throws {
        #expect(Self.run(["policy", "info", Fixtures.examplePolicyPath, "--compile-timeout", "30", "--compile-memory", "256"]).status == 0)
        try Fixtures.withTemporaryDirectory { dir in
            let tree = dir.appendingPathComponent("tree")
            try FileManager.default.copyItem(atPath: Fixtures.examplePolicyPath, toPath: tree.path)
            try FileManager.default.copyItem(atPath: Fixtures.flaskDirectory, toPath: dir.appendingPathComponent("flask").path)
            let te = tree.appendingPathComponent("modules/isolated.te")
            try (try String(contentsOf: te, encoding: .utf8) + "define(`x', `x')x\n").write(to: te, atomically: true, encoding: .utf8)
            let started = Date()
            let result = Self.run(["policy", "info", tree.path, "--compile-timeout", "1.5"])
            #expect(Date().timeIntervalSince(started) < 6)
            #expect(result.status == 2)
            #expect(result.errors == "\(tree.path): error: m4 did not finish within 1.5 s (stopped; see --compile-timeout)\n")
        }
    }
}
