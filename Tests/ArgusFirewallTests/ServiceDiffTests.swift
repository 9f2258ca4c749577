import ArgusAnalysis
import CommandTestSupport
import Foundation
import TestSupport
import Testing

/// `diff --new-system`: firewall rules gone and new, and the services they open, close or reach from other ports.
@Suite(.serialized) struct ServiceDiffTests {
    /// The example with one rule moved from uivm to syncvm (and one dropped).
    static func changedSystem(in dir: URL) throws -> URL {
        var text = try String(contentsOfFile: OpenXTExample.systemPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "  \"myself -> 0:5556\",\n", with: "  \"myself -> 0:5556\",\n  \"myself -> 0:5100\",\n")
        text = text.replacingOccurrences(of: "  \"0:12222 -> myself:2222\",\n  \"myself -> 0:4878\",\n]", with: "  \"myself -> 0:4878\",\n]")
        text = text.replacingOccurrences(of: "\"0 -> myself:2222\",\n", with: "")
        let file = dir.appendingPathComponent("after.toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test(arguments: ["text", "json", "markdown"])
    func firewallChangeIsReported(format: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let after = try Self.changedSystem(in: dir)
            let r = runArgus(["diff", OpenXTExample.policyPath, OpenXTExample.policyPath, "--system", OpenXTExample.systemPath,
                              "--new-system", after.path, "--format", format])
            #expect(r.status == 1, "\(r.err)")
            let out = relativePaths(r.out).replacingOccurrences(of: dir.path + "/", with: "")
            Golden.expectMatch(out, golden: "services/diff-openxt.\(format == "text" ? "txt" : format == "json" ? "json" : "md")")
        }
    }

    @Test func sameSystemTwiceIsIdentical() {
        let r = runArgus(["diff", OpenXTExample.policyPath, OpenXTExample.policyPath, "--system", OpenXTExample.systemPath, "--services"])
        #expect(r.status == 0, "\(r.out)\(r.err)")
        #expect(r.out.contains("services: 0 opened, 0 closed, 0 from other source ports; firewall rules: 0 added, 0 removed"))
    }

    @Test func otherDomainsAreRefused() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let text = try String(contentsOfFile: OpenXTExample.systemPath, encoding: .utf8).replacingOccurrences(of: "name = \"win7\"", with: "name = \"win10\"")
                .replacingOccurrences(of: "target = \"win7\"", with: "target = \"win10\"")
            let file = dir.appendingPathComponent("other.toml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let r = runArgus(["diff", OpenXTExample.policyPath, OpenXTExample.policyPath, "--system", OpenXTExample.systemPath, "--new-system", file.path])
            #expect(r.status == 2)
            #expect(r.err.contains("the new system must declare the same domains"), "\(r.err)")
        }
    }
}
