import Foundation
import Testing
import ArgusCommands
import TestSupport

/// The Debian package `make deb` builds (out/deb/argus_VERSION_ARCH.deb), unpacked into a
/// scratch root with `dpkg -x` and run from outside the checkout, without the Swift toolchain
/// on PATH. It needs a release build, so it runs only with ARGUS_TEST_DEB=1
/// (`make test ARGUS_TEST_DEB=1` builds the package first).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["ARGUS_TEST_DEB"] == "1", "set ARGUS_TEST_DEB=1 (make test ARGUS_TEST_DEB=1)"))
struct DebPackageTests {
    static var package: URL {
        let arch = (try? Programs.run("/usr/bin/dpkg", ["--print-architecture"]).out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "amd64"
        return Golden.packageRoot.appendingPathComponent("out/deb/argus_\(ArgusVersion.number)_\(arch).deb")
    }

    @Test func packageInstallsAWorkingArgus() throws {
        let deb = Self.package
        try #require(FileManager.default.fileExists(atPath: deb.path), "no \(deb.path): make deb")

        // The control fields: the version, and what argus needs at run time.
        let control = try Programs.run("/usr/bin/dpkg-deb", ["-f", deb.path])
        #expect(control.status == 0, "\(control.err)")
        #expect(control.out.contains("Package: argus\n"))
        #expect(control.out.contains("Version: \(ArgusVersion.number)\n"))
        let depends = try #require(control.out.split(separator: "\n").first { $0.hasPrefix("Depends: ") })
        let names = depends.dropFirst("Depends: ".count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0] }
        #expect(names.contains("m4") && names.contains("checkpolicy") && names.contains("libc6"), "\(depends)")
        #expect(!names.contains { $0.hasPrefix("libsepol") || $0.contains("swift") }, "linked statically: \(depends)")

        try Fixtures.withTemporaryDirectory { dir in
            let root = dir.appendingPathComponent("root")
            let unpack = try Programs.run("/usr/bin/dpkg", ["-x", deb.path, root.path])
            try #require(unpack.status == 0, "\(unpack.err)")
            let files = Set(Programs.files(under: root))
            #expect(files.contains("usr/bin/argus"))
            #expect(files.contains("usr/share/man/man1/argus.1.gz") && files.contains("usr/share/man/man1/argus.check.1.gz"))
            #expect(files.filter { $0.hasPrefix("usr/share/man/man1/") }.count == InstallTests.manualPageNames().count)
            #expect(files.contains("usr/share/bash-completion/completions/argus"))
            #expect(files.contains("usr/share/zsh/vendor-completions/_argus"))
            #expect(files.contains("usr/share/fish/vendor_completions.d/argus.fish"))
            #expect(files.contains("usr/share/doc/argus/examples/policy/example/modules/argo.te"))

            let argus = root.appendingPathComponent("usr/bin/argus").path
            let ldd = try Programs.run("/usr/bin/ldd", [argus])
            #expect(ldd.status == 0)
            #expect(!ldd.out.contains("libswift") && !ldd.out.contains("not found") && !ldd.out.contains("libsepol"), "\(ldd.out)")

            // Run from the scratch root, with no Swift toolchain on PATH or in the library path.
            let env = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
            let version = try Programs.run(argus, ["--version"], in: dir, environment: env)
            #expect(version.status == 0, "\(version.err)")
            #expect(version.out.wholeMatch(of: #/argus [0-9.]+ \(commit ([0-9a-f]{40}(-dirty)?|unknown)\)\n/#) != nil, "\(version.out)")

            let examples = "root/usr/share/doc/argus/examples"
            let audit = try Programs.run(argus, ["audit", "\(examples)/policy/example", "--system", "\(examples)/system.toml"],
                                         in: dir, environment: env)
            #expect(audit.status == 0, "\(audit.err)")
            let golden = try String(contentsOf: Golden.directory.appendingPathComponent("audit/example.txt"), encoding: .utf8)
            #expect(audit.out.replacingOccurrences(of: examples + "/", with: "") == golden.replacingOccurrences(of: "examples/", with: ""),
                    "\(audit.out)")
        }
    }
}
