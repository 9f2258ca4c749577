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
