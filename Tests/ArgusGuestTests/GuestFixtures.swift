import ArgusCommands
import ArgusGuest
import Flask
import Foundation
import TestSupport

/// The example dom0 SELinux policy (examples/openxt/dom0-selinux), compiled once per process.
enum GuestFixtures {
    static let directory = Golden.packageRoot.appendingPathComponent("examples/openxt/dom0-selinux")
    static var policyPath: String { directory.appendingPathComponent("policy.conf").path }
    static var fileContextsPath: String { directory.appendingPathComponent("file_contexts").path }

    static let example: Result<Policy, InputError> = Result { () throws(InputError) in try LinuxPolicyLoader.load(policyPath) }

    static func examplePolicy() throws -> Policy { try example.get() }

    /// Writes `text` to a file in a fresh directory and runs `body` with its path.
    static func withFile<T>(_ name: String, _ text: String, _ body: (String) throws -> T) throws -> T {
        try Fixtures.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return try body(path)
        }
    }

    /// Runs `argus <arguments>` in-process: status, stdout, stderr.
    static func run(_ arguments: [String]) -> (status: Int32, output: String, errors: String) {
        let output = CapturedOutput(), errors = CapturedOutput()
        let status = CommandRunner.run(arguments, in: CommandContext(standardOutput: output, standardError: errors))
        return (status, output.text, errors.text)
    }
}
