import ArgusCommands
import Foundation
import TestSupport

/// Runs `argus` in-process and returns (status, stdout, stderr).
public func runArgus(_ arguments: [String]) -> (status: Int32, out: String, err: String) {
    let out = CapturedOutput(), err = CapturedOutput()
    let status = CommandRunner.run(arguments, in: CommandContext(standardOutput: out, standardError: err))
    return (status, out.text, err.text)
}

/// Paths in outputs made relative to the package root, so golden files do not depend on it.
public func relativePaths(_ text: String) -> String {
    text.replacingOccurrences(of: Fixtures.root.path + "/", with: "")
}
