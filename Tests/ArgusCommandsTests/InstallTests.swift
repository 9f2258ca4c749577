import ArgumentParser
import CommandTestSupport
import Foundation
import Testing
import ArgusCommands
import TestSupport

/// `make install` / `make uninstall` (scripts/install.sh) with the debug binary into a scratch
/// DESTDIR: every file in its standard place, man pages for every command generated from the
/// argument parser, completions from the binary, examples that work from where they are installed.
/// `make test` builds generate-manual first; a bare `swift test` without it skips this suite.
@Suite(.serialized, .enabled(if: Programs.hasGenerateManual, "needs .build/debug/generate-manual (make test builds it)"))
struct InstallTests {
    static let script = Golden.packageRoot.appendingPathComponent("scripts/install.sh").path

    /// "argus", "argus.check", "argus.policy.compile", … from the command tree itself.
    static func manualPageNames() -> [String] {
        func walk(_ command: any ParsableCommand.Type, _ name: String) -> [String] {
            [name] + command.configuration.subcommands.flatMap { walk($0, name + "." + $0._commandName) }
        }
        return (walk(ArgusCommand.self, "argus") + ["argus.help"]).sorted()
    }

    func install(prefix: String, into destdir: URL, _ action: String = "install") throws -> Programs.Outcome {
        var arguments = [action, "--prefix", prefix, "--destdir", destdir.path]
        if action == "install" { arguments += ["--bin", Programs.argus.path, "--manual-tool", Programs.generateManual.path] }
        return try Programs.run(Self.script, arguments, extraEnvironment: ["MAN_DATE": "2026-01-02"])
    }

    @Test func installsEverythingInItsPlaceAndUninstallsIt() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let destdir = dir.appendingPathComponent("stage")
            let r = try install(prefix: "/usr/local", into: destdir)
            try #require(r.status == 0, "\(r.out)\(r.err)")
            let root = destdir.appendingPathComponent("usr/local")
            let files = Set(Programs.files(under: root))

            #expect(FileManager.default.isExecutableFile(atPath: root.appendingPathComponent("bin/argus").path))
            let version = try Programs.run(root.appendingPathComponent("bin/argus").path, ["--version"])
            #expect(version.out == ArgusVersion.text + "\n")

            // One man page per command, named as generate-manual names them (SEE ALSO refers to those names).
            let pages = files.filter { $0.hasPrefix("share/man/man1/") }.map { String($0.dropFirst("share/man/man1/".count)) }.sorted()
            #expect(pages == Self.manualPageNames().map { $0 + ".1.gz" })
            #expect(pages.count >= 14)
            let check = try Programs.run("/bin/sh", ["-c", "gzip -dc '\(root.path)/share/man/man1/argus.check.1.gz'"])
            #expect(check.out.contains(".Nm \"argus check\""))
            #expect(check.out.contains(".Dd January 2, 2026"))
            #expect(check.out.contains("codeclimate"), "the page is the parser's own help for check")
            #expect(check.out.contains("--baseline"))
            let main = try Programs.run("/bin/sh", ["-c", "gzip -dc '\(root.path)/share/man/man1/argus.1.gz'"])
            #expect(main.out.contains(".Xr argus.check 1"))

            // Completions from the binary, where each shell looks for them.
            let bash = try String(contentsOf: root.appendingPathComponent("share/bash-completion/completions/argus"), encoding: .utf8)
            #expect(bash.contains("complete ") && bash.contains("argus"))
            let zsh = try String(contentsOf: root.appendingPathComponent("share/zsh/site-functions/_argus"), encoding: .utf8)
            #expect(zsh.hasPrefix("#compdef argus"))
            let fish = try String(contentsOf: root.appendingPathComponent("share/fish/vendor_completions.d/argus.fish"), encoding: .utf8)
            #expect(fish.contains("complete -c 'argus'"))
            #expect(bash.contains("explain-log") && zsh.contains("explain-log") && fish.contains("explain-log"))

            // The CI script, the docs and the examples with the example policy.
            #expect(FileManager.default.isExecutableFile(atPath: root.appendingPathComponent("share/argus/argus-ci.sh").path))
            for file in ["share/doc/argus/README.md", "share/doc/argus/docs/CI.md", "share/doc/argus/docs/CHECK-RULES.md",
                         "share/doc/argus/examples/system.toml", "share/doc/argus/examples/vms/tenant-a1.cfg",
                         "share/doc/argus/examples/rules/platform.toml", "share/doc/argus/examples/ci/gitlab-ci.yml",
                         "share/doc/argus/examples/ci/github-actions.yml",
                         "share/doc/argus/examples/policy/example/modules/argo.te",
                         "share/doc/argus/examples/policy/flask/access_vectors"] {
                #expect(files.contains(file), "\(file) not installed")
            }
            let examplesInRepo = Programs.files(under: Golden.packageRoot.appendingPathComponent("examples"))
            let examplesInstalled = Programs.files(under: root.appendingPathComponent("share/doc/argus/examples"))
            #expect(Set(examplesInRepo).isSubset(of: Set(examplesInstalled)))

            // The installed example answers exactly as the checkout's does.
            let examples = root.appendingPathComponent("share/doc/argus/examples")
            let installed = runArgus(["audit", examples.appendingPathComponent("policy/example").path,
                                      "--system", examples.appendingPathComponent("system.toml").path])
            let checkout = runArgus(["audit", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath])
            #expect(installed.status == 0, "\(installed.err)")
            #expect(installed.out.replacingOccurrences(of: examples.path + "/", with: "")
                    == relativePaths(checkout.out).replacingOccurrences(of: "examples/", with: ""))

            // Nothing but what argus owns goes: other files in the same directories stay.
            try "keep\n".write(to: root.appendingPathComponent("bin/other"), atomically: true, encoding: .utf8)
            try "keep\n".write(to: root.appendingPathComponent("share/man/man1/other.1.gz"), atomically: true, encoding: .utf8)
            let u = try install(prefix: "/usr/local", into: destdir, "uninstall")
            #expect(u.status == 0, "\(u.err)")
            #expect(Programs.files(under: root) == ["bin/other", "share/man/man1/other.1.gz"])
        }
    }

    @Test func prefixUsrUsesDebiansZshDirectory() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let r = try install(prefix: "/usr", into: dir)
            try #require(r.status == 0, "\(r.err)")
            let files = Programs.files(under: dir)
            #expect(files.contains("usr/share/zsh/vendor-completions/_argus"))
            #expect(!files.contains { $0.contains("site-functions") })
        }
    }

    @Test func refusesWhatItCannotInstall() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let missing = try Programs.run(Self.script, ["install", "--bin", dir.appendingPathComponent("nope").path,
                                                         "--manual-tool", Programs.generateManual.path, "--destdir", dir.path])
            #expect(missing.status == 2)
            #expect(missing.err.hasPrefix("install.sh: error: no argus binary at"), "\(missing.err)")
            let relative = try Programs.run(Self.script, ["uninstall", "--prefix", "usr/local", "--destdir", dir.path])
            #expect(relative.status == 2)
            #expect(relative.err == "install.sh: error: --prefix must be an absolute path, not 'usr/local'\n")
            #expect(Programs.files(under: dir).isEmpty)
        }
    }
}
