import CommandTestSupport
import Foundation
import Testing
import ArgusCommands
import TestSupport

/// `argus --version`: the release number and the git commit of the build (Plugins/BuildInfo,
/// scripts/build-info.sh).
@Suite struct VersionTests {
    @Test func versionNamesTheReleaseAndTheCommit() throws {
        let r = runArgus(["--version"])
        #expect(r.status == 0)
        #expect(r.err.isEmpty)
        #expect(r.out == "argus \(ArgusVersion.number) (commit \(ArgusVersion.commit))\n")
        #expect(ArgusVersion.number.wholeMatch(of: #/[0-9]+\.[0-9]+\.[0-9]+/#) != nil, "\(ArgusVersion.number)")
        #expect(ArgusVersion.commit.wholeMatch(of: #/[0-9a-f]{40}(-dirty)?|unknown/#) != nil, "\(ArgusVersion.commit)")
    }

    /// Built from a git checkout, the commit is one of its commits (not an empty or made-up
    /// string); built from a tree without git (a source tarball), it is "unknown".
    @Test func embeddedCommitIsACommitOfThisCheckout() throws {
        let top = try Programs.shell("git rev-parse --show-toplevel", in: Golden.packageRoot)
        let root = Golden.packageRoot.resolvingSymlinksInPath().path
        guard top.status == 0, URL(fileURLWithPath: top.out.trimmingCharacters(in: .newlines)).resolvingSymlinksInPath().path == root else {
            #expect(ArgusVersion.commit == "unknown", "no git checkout at \(root), yet the build says \(ArgusVersion.commit)")
            return
        }
        let commit = ArgusVersion.commit.replacingOccurrences(of: "-dirty", with: "")
        #expect(commit != "unknown", "built from a git checkout, the commit must be known")
        let type = try Programs.shell("git cat-file -t \(commit)", in: Golden.packageRoot)
        #expect(type.out == "commit\n", "\(commit): \(type.err)")
    }

    /// The built executable prints the same line as the library (the plugin's output is in the binary).
    @Test func builtBinaryPrintsTheVersion() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Programs.argus.path), "swift build first")
        let r = try Programs.run(Programs.argus.path, ["--version"])
        #expect(r.status == 0)
        #expect(r.out == ArgusVersion.text + "\n")
    }

    // MARK: scripts/build-info.sh, which the plugin runs before every build

    func buildInfo(_ root: URL, out: URL) throws -> String? {
        let script = Golden.packageRoot.appendingPathComponent("scripts/build-info.sh").path
        let r = try Programs.run("/bin/sh", [script, root.path, out.path])
        #expect(r.status == 0, "\(r.err)")
        let text = try String(contentsOf: out.appendingPathComponent("BuildInfo.swift"), encoding: .utf8)
        return text.firstMatch(of: #/static let commit = "([^"]*)"/#).map { String($0.1) }
    }

    @Test func buildInfoOutsideGitSaysUnknown() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let tarball = dir.appendingPathComponent("argus-src")
            try FileManager.default.createDirectory(at: tarball, withIntermediateDirectories: true)
            #expect(try buildInfo(tarball, out: dir.appendingPathComponent("gen")) == "unknown")
        }
    }

    @Test func buildInfoInAGitCheckout() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let repo = dir.appendingPathComponent("repo")
            let gen = dir.appendingPathComponent("gen")
            try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
            let setup = try Programs.shell("""
                git init -q . && git config user.email t@example.invalid && git config user.name t &&
                echo one > file && git add file && git commit -qm one && git rev-parse HEAD
                """, in: repo)
            try #require(setup.status == 0, "\(setup.err)")
            let head = setup.out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try buildInfo(repo, out: gen) == head)
            // Unchanged: the file is left alone (same modification date), so nothing recompiles.
            let file = gen.appendingPathComponent("BuildInfo.swift").path
            let before = try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date
            Thread.sleep(forTimeInterval: 1.1)
            #expect(try buildInfo(repo, out: gen) == head)
            #expect(try FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date == before)
            // A modified tracked file: -dirty. An untracked one alone is not.
            try "two\n".write(to: repo.appendingPathComponent("file"), atomically: true, encoding: .utf8)
            #expect(try buildInfo(repo, out: gen) == head + "-dirty")
            try Programs.shell("git checkout -q file && echo x > untracked", in: repo)
            #expect(try buildInfo(repo, out: gen) == head)
            // A package vendored in a subdirectory of another repository is not that repository's commit.
            let vendored = repo.appendingPathComponent("vendor/argus")
            try FileManager.default.createDirectory(at: vendored, withIntermediateDirectories: true)
            #expect(try buildInfo(vendored, out: dir.appendingPathComponent("gen2")) == "unknown")
        }
    }
}
