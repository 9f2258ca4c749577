import Foundation
import TestSupport
import Testing

/// The golden-file helper itself: matching, mismatching, and recording (which must fail).
@Suite struct DefsGoldenHelperTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("argus-golden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func compareOutcomes() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("sub/out.txt")
        #expect(try Golden.compare("a\n", with: file, record: false) == .mismatched(expected: nil))
        #expect(try Golden.compare("a\n", with: file, record: true) == .recorded)
        #expect(try Golden.compare("a\n", with: file, record: false) == .matched)
        #expect(try Golden.compare("b\n", with: file, record: false) == .mismatched(expected: "a\n"))
    }

    @Test func recordingStillFailsTheTest() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        withKnownIssue("recording must fail") {
            Golden.expectMatch("fresh\n", golden: "x.txt", in: root, record: true)
        }
        // The file was written all the same, and now matches.
        Golden.expectMatch("fresh\n", golden: "x.txt", in: root, record: false)
        withKnownIssue("a mismatch must fail") {
            Golden.expectMatch("stale\n", golden: "x.txt", in: root, record: false)
        }
        withKnownIssue("a missing golden file must fail") {
            Golden.expectMatch("x\n", golden: "missing.txt", in: root, record: false)
        }
    }

    @Test func goldenDirectoryIsInThePackage() {
        #expect(FileManager.default.fileExists(atPath: Golden.packageRoot.appendingPathComponent("Package.swift").path))
        #expect(!Golden.files(under: "defs").isEmpty)
    }
}
