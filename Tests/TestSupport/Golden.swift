import Foundation
import Testing

/// Golden-file checks: compare a command's output with a file under `Tests/Golden/`.
///
/// A mismatch fails the test. With `ARGUS_RECORD_GOLDEN=1` in the environment the file is
/// rewritten with the actual output instead, and the test still fails (so a recording run
/// can never pass by accident); rerun without the variable to check.
public enum Golden {
    /// The package root, found from this file's own path (`Tests/TestSupport/Golden.swift`).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `Tests/Golden`.
    public static let directory: URL = packageRoot.appendingPathComponent("Tests/Golden", isDirectory: true)

    /// Whether this run re-records golden files (`ARGUS_RECORD_GOLDEN=1`).
    public static var isRecording: Bool {
        ProcessInfo.processInfo.environment["ARGUS_RECORD_GOLDEN"] == "1"
    }

    public enum Outcome: Equatable, Sendable {
        case matched
        /// `expected` is nil when the golden file does not exist.
        case mismatched(expected: String?)
        /// The file was (re)written with the actual text.
        case recorded
    }

    /// Compares `actual` with `file`, or records it there when `record` is true.
    public static func compare(_ actual: String, with file: URL, record: Bool = isRecording) throws -> Outcome {
        if record {
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: file)
            return .recorded
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            return .mismatched(expected: nil)
        }
        let expected = String(decoding: data, as: UTF8.self)
        return expected == actual ? .matched : .mismatched(expected: expected)
    }

    /// Fails the current test unless `actual` equals `Tests/Golden/<relativePath>`.
    public static func expectMatch(
        _ actual: String,
        golden relativePath: String,
        in root: URL = directory,
        record: Bool = isRecording,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        let file = root.appendingPathComponent(relativePath)
        let outcome: Outcome
        do {
            outcome = try compare(actual, with: file, record: record)
        } catch {
            Issue.record("cannot record golden file \(file.path): \(error)", sourceLocation: sourceLocation)
            return
        }
        switch outcome {
        case .matched:
            break
        case .recorded:
            Issue.record(
                "re-recorded \(relativePath); rerun without ARGUS_RECORD_GOLDEN to check it",
                sourceLocation: sourceLocation)
        case .mismatched(nil):
            Issue.record(
                "no golden file \(relativePath); record it with ARGUS_RECORD_GOLDEN=1",
                sourceLocation: sourceLocation)
        case .mismatched(let expected?):
            let difference = firstDifference(expected, actual)
            Issue.record(
                "output differs from \(relativePath) (\(difference)); if intended, re-record with ARGUS_RECORD_GOLDEN=1",
                sourceLocation: sourceLocation)
        }
    }

    /// Every file under `Tests/Golden/<subdirectory>`, relative to it.
    public static func files(under subdirectory: String) -> [String] {
        let base = directory.appendingPathComponent(subdirectory)
        guard let enumerator = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var found: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base.appendingPathComponent(path).path, isDirectory: &isDirectory),
               !isDirectory.boolValue {
                found.append(path)
            }
        }
        return found.sorted()
    }

    /// "line N: expected `…`, got `…`" for the first line that differs.
    static func firstDifference(_ expected: String, _ actual: String) -> String {
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(expectedLines.count, actualLines.count) {
            let want = index < expectedLines.count ? String(expectedLines[index]) : "<end>"
            let got = index < actualLines.count ? String(actualLines[index]) : "<end>"
            if want != got { return "line \(index + 1): expected `\(want)`, got `\(got)`" }
        }
        return "same lines"
    }
}
