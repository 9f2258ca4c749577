import ArgusCommands
import Foundation
import TestSupport
import Testing

/// `argus guest-policy` on the example, against golden files, and its bad-input lines.
@Suite struct GuestPolicyCommandTests {
    static func relative(_ text: String) -> String {
        text.replacingOccurrences(of: Fixtures.root.path + "/", with: "")
    }

    static let goldenCases: [(arguments: [String], golden: String)] = [
        ([], "guest-policy/example.txt"),
        (["--format", "json"], "guest-policy/example.json"),
        (["--bool", "xenmgr_use_argo=true", "--device", "/dev/argo_stream"], "guest-policy/example-xenmgr.txt"),
    ]

    @Test(arguments: goldenCases.indices)
    func goldenOutput(_ index: Int) {
        let c = Self.goldenCases[index]
        let r = GuestFixtures.run(["guest-policy", GuestFixtures.policyPath, "--file-contexts", GuestFixtures.fileContextsPath] + c.arguments)
        #expect(r.status == 0)
        #expect(r.errors == "")
        Golden.expectMatch(Self.relative(r.output), golden: c.golden)
    }

    @Test func goldenCorpusIsNotEmpty() {
        #expect(Golden.files(under: "guest-policy").count == Self.goldenCases.count)
    }

    @Test func booleanChangesTheAnswer() {
        let off = GuestFixtures.run(["guest-policy", GuestFixtures.policyPath, "--file-contexts", GuestFixtures.fileContextsPath])
        let on = GuestFixtures.run(["guest-policy", GuestFixtures.policyPath, "--file-contexts", GuestFixtures.fileContextsPath,
                                    "--bool", "xenmgr_use_argo=true"])
        #expect(off.output.contains("can use Argo (open, then read or write): 3 of 8 process types"))
        #expect(on.output.contains("can use Argo (open, then read or write): 4 of 8 process types"))
    }

    /// Bad input: one line, `file[:line]: error: …`, status 2, nothing on stdout.
    @Test(arguments: [
        (["guest-policy", "/no/such/policy", "--file-contexts", "/no/such/fc"], "/no/such/policy: error: no such file or directory"),
        (["guest-policy", "@POLICY", "--file-contexts", "/no/such/fc"], "/no/such/fc: error: cannot read file_contexts"),
        (["guest-policy", "@POLICY", "--file-contexts", "@FC", "--device", "/run/argo_stream"],
         "@FC: error: no entry labels /run/argo_stream as a character device"),
        (["guest-policy", "@POLICY", "--file-contexts", "@FC", "--bool", "xenmgr_use_argo"],
         "error: --bool xenmgr_use_argo: expected name=true or name=false"),
        (["guest-policy", "@POLICY", "--file-contexts", "@FC", "--bool", "nope=true"], "@POLICY: error: unknown boolean 'nope'"),
    ])
    func badInput(_ arguments: [String], _ expected: String) {
        func fill(_ s: String) -> String {
            s.replacingOccurrences(of: "@POLICY", with: GuestFixtures.policyPath).replacingOccurrences(of: "@FC", with: GuestFixtures.fileContextsPath)
        }
        let r = GuestFixtures.run(arguments.map(fill))
        #expect(r.status == 2)
        #expect(r.output == "")
        #expect(r.errors == fill(expected) + "\n")
    }

    @Test func usageErrorsExitTwo() {
        #expect(GuestFixtures.run(["guest-policy", GuestFixtures.policyPath]).status == 2)
        #expect(GuestFixtures.run(["guest-policy", GuestFixtures.policyPath, "--live", "--file-contexts", "x"]).status == 2)
    }

    /// The built binary (`swift build --build-tests` builds it beside the tests): the golden
    /// text on stdout with status 0, and live mode refused with status 2 where SELinux is off.
    @Test func builtBinary() throws {
        let argus = Golden.packageRoot.appendingPathComponent(".build/debug/argus").path
        try #require(FileManager.default.isExecutableFile(atPath: argus), "build argus first")
        func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: argus)
            process.arguments = arguments
            process.currentDirectoryURL = Golden.packageRoot
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        }
        let policy = "examples/openxt/dom0-selinux/policy.conf"
        let r = try run(["guest-policy", policy, "--file-contexts", "examples/openxt/dom0-selinux/file_contexts"])
        #expect(r.status == 0)
        #expect(r.err == "")
        Golden.expectMatch(r.out, golden: "guest-policy/example.txt")
        if !FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce") {
            let live = try run(["guest-policy", policy, "--live"])
            #expect(live.status == 2)
            #expect(live.out == "")
            #expect(live.err.split(separator: "\n").count == 1 && live.err.hasPrefix("error: SELinux is not enabled"))
        }
    }

    /// A Xen policy given as the guest's: refused in one line.
    @Test func xenPolicyIsRefused() throws {
        let xen = try Fixtures.examplePolicy()
        try GuestFixtures.withFile("xen.policy", "") { path in
            try Data(xen.binary).write(to: URL(fileURLWithPath: path))
            let r = GuestFixtures.run(["guest-policy", path, "--file-contexts", GuestFixtures.fileContextsPath])
            #expect(r.status == 2)
            #expect(r.errors == "\(path): error: a Xen policy, not an SELinux policy\n")
        }
    }
}
