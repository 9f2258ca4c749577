import ArgumentParser
import ArgusCommands
import Flask
import Foundation
import TestSupport
import Testing

/// `argus defs`, run in-process against golden files, and once as the built binary.
@Suite struct DefsCommandTests {
    static let flaskDirectory = Golden.packageRoot.appendingPathComponent("policy/flask").path

    /// Runs `argus <arguments>` in-process; returns status, stdout and stderr.
    static func run(_ arguments: [String]) -> (status: Int32, output: String, errors: String) {
        let output = CapturedOutput()
        let errors = CapturedOutput()
        let status = CommandRunner.run(arguments, in: CommandContext(standardOutput: output, standardError: errors))
        return (status, output.text, errors.text)
    }

    static let goldenCases: [(arguments: [String], golden: String)] = [
        (["--format", "text"], "defs/xen.txt"),
        (["--format", "json"], "defs/xen.json"),
        (["--format", "c"], "defs/xen.h"),
        (["--class", "argo"], "defs/argo.txt"),
        (["--class", "argo", "--format", "json"], "defs/argo.json"),
        (["--class", "argo", "--format", "c"], "defs/argo.h"),
    ]

    @Test(arguments: 0..<goldenCases.count)
    func goldenOutputFromPolicyFlask(_ index: Int) {
        let goldenCase = Self.goldenCases[index]
        let result = Self.run(["defs", "--flask-dir", Self.flaskDirectory] + goldenCase.arguments)
        #expect(result.status == 0)
        #expect(result.errors == "")
        Golden.expectMatch(result.output, golden: goldenCase.golden)
    }

    @Test func goldenCorpusIsNotEmpty() {
        let files = Golden.files(under: "defs")
        #expect(files.count >= Self.goldenCases.count)
        for file in files {
            let size = (try? Data(contentsOf: Golden.directory.appendingPathComponent("defs/\(file)")).count) ?? 0
            #expect(size > 0, "\(file) is empty")
        }
    }

    @Test func builtInDefaultAndExplicitFilesGiveTheSameOutput() {
        let fromDirectory = Self.run(["defs", "--flask-dir", Self.flaskDirectory, "--format", "c"])
        let builtIn = Self.run(["defs", "--format", "c"])
        let explicit = Self.run([
            "defs", "--format", "c",
            "--security-classes", Self.flaskDirectory + "/security_classes",
            "--access-vectors", Self.flaskDirectory + "/access_vectors",
            "--initial-sids", Self.flaskDirectory + "/initial_sids",
        ])
        #expect(builtIn.status == 0 && explicit.status == 0)
        #expect(builtIn.output == fromDirectory.output)
        #expect(explicit.output == fromDirectory.output)
    }

    @Test func cOutputHasXensArgoMacros() {
        let output = Self.run(["defs", "--format", "c"]).output
        #expect(output.contains("#define SECCLASS_ARGO                                    13\n"))
        #expect(output.contains("#define ARGO__ENABLE                              (1UL << 0)\n"))
        #expect(output.contains("#define ARGO__SEND                                (1UL << 3)\n"))
        #expect(output.contains("#define SECINITSID_DOMDM                                13\n"))
        #expect(output.contains("#define SECINITSID_NUM                                  13\n"))
    }

    @Test func jsonIsData() throws {
        struct Document: Decodable {
            struct Class: Decodable { var name: String; var value: Int; var permissions: [Permission] }
            struct Permission: Decodable { var name: String; var bit: Int; var mask: UInt32 }
            struct SID: Decodable { var name: String; var value: Int }
            var classes: [Class]
            var initialSIDs: [SID]?
        }
        let output = Self.run(["defs", "--format", "json"]).output
        let document = try JSONDecoder().decode(Document.self, from: Data(output.utf8))
        let argo = try #require(document.classes.first { $0.name == "argo" })
        #expect(argo.value == 13)
        #expect(argo.permissions.map(\.mask) == [1, 2, 4, 8])
        #expect(document.initialSIDs?.first?.name == "xenboot")
    }

    @Test func inProcessParseAndRunWithCapturedOutput() throws {
        let command = try DefsCommand.parse(["--class", "argo"])
        let output = CapturedOutput()
        try command.run(in: CommandContext(standardOutput: output, standardError: CapturedOutput()))
        #expect(output.text.hasPrefix("class argo = 13\n"))
    }

    @Test func badInputIsOneLineAndStatus2() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("argus-defs-cmd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "class a\nclass b\n".write(toFile: directory + "/security_classes", atomically: true, encoding: .utf8)
        try "class a { x }\nclass b { y\n".write(toFile: directory + "/access_vectors", atomically: true, encoding: .utf8)
        try "sid s\n".write(toFile: directory + "/initial_sids", atomically: true, encoding: .utf8)
        let result = Self.run(["defs", "--flask-dir", directory])
        #expect(result.status == 2)
        #expect(result.output == "")
        #expect(result.errors == "\(directory)/access_vectors:2:9: error: missing '}' to close the block of class 'b'\n")

        // The same error through run(in:) directly is an InputError.
        let command = try DefsCommand.parse(["--flask-dir", directory])
        #expect(throws: InputError.self) {
            try command.run(in: CommandContext(standardOutput: CapturedOutput(), standardError: CapturedOutput()))
        }
    }

    @Test(arguments: [
        ["defs", "--bogus"],
        ["defs", "--format", "yaml"],
        ["defs", "--flask-dir", "x", "--security-classes", "y"],
        ["defs", "--security-classes", "y"],
        ["nosuchcommand"],
    ])
    func usageErrorsExitWith2(_ arguments: [String]) {
        let result = Self.run(arguments)
        #expect(result.status == 2)
        #expect(result.output == "")
        #expect(!result.errors.isEmpty)
    }

    @Test func usageErrorStatusMapping() {
        #expect(throws: (any Error).self) { try DefsCommand.parse(["--format", "yaml"]) }
        do {
            _ = try DefsCommand.parse(["--format", "yaml"])
        } catch {
            #expect(CommandRunner.exitStatus(for: error) == 2)
        }
        #expect(CommandRunner.exitStatus(for: ExitCode(2)) == 2)
        #expect(CommandRunner.exitStatus(for: InputError("x")) == 2)
    }

    @Test func unknownClassAndMissingDirectoryExitWith2() {
        let unknown = Self.run(["defs", "--class", "nope"])
        #expect(unknown.status == 2)
        #expect(unknown.errors.hasPrefix("error: unknown class 'nope'; classes are: xen, xen2,"))
        let missing = Self.run(["defs", "--flask-dir", "/nonexistent-argus-dir"])
        #expect(missing.status == 2)
        #expect(missing.errors == "/nonexistent-argus-dir/security_classes: error: no such file\n")
    }

    @Test func helpGoesToStdoutWithStatus0() {
        let result = Self.run(["defs", "--help"])
        #expect(result.status == 0)
        #expect(result.output.contains("--flask-dir"))
        #expect(result.errors == "")
    }

    /// The real executable, when it has been built: exit statuses 0 and 2 end to end.
    @Test func builtBinaryExitStatuses() throws {
        let binary = Golden.packageRoot.appendingPathComponent(".build/debug/argus")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            // `swift test` builds it too; only a test-only build can lack it.
            return
        }
        func status(_ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            let errorPipe = Pipe()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = errorPipe
            try process.run()
            let errors = errorPipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: errors, as: UTF8.self))
        }
        #expect(try status(["defs", "--flask-dir", Self.flaskDirectory, "--class", "argo"]).0 == 0)
        let bad = try status(["defs", "--flask-dir", "/nonexistent-argus-dir"])
        #expect(bad.0 == 2)
        #expect(bad.1 == "/nonexistent-argus-dir/security_classes: error: no such file\n")
        #expect(try status(["defs", "--no-such-option"]).0 == 2)
    }
}
