import CommandTestSupport
import Foundation
import Testing
import TestSupport

/// Goldens of `argus exposure` on the example policy, and its bad-input behaviour.
@Suite(.serialized) struct ExposureCommandTests {
    let policy = Fixtures.examplePolicyPath

    @Test func goldenCorpusIsNotEmpty() {
        #expect(Golden.files(under: "exposure").count >= 3, "golden files missing")
    }

    @Test(arguments: ["text", "json", "csv", "html"])
    func exampleGoldens(format: String) {
        let r = runArgus(["exposure", policy, "--format", format, "--xen", "head"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.isEmpty)
        Golden.expectMatch(relativePaths(r.out), golden: "exposure/example.\(format == "text" ? "txt" : format)")
    }

    /// The HTML page agrees with the JSON cell by cell (A / C / never), and is refused with --system.
    @Test func htmlAgreesWithJSON() throws {
        let html = runArgus(["exposure", policy, "--format", "html", "--xen", "head"]).out
        let csv = runArgus(["exposure", policy, "--format", "csv", "--xen", "head"]).out
        let conditional = csv.split(separator: "\n").filter { $0.split(separator: ",").count > 3 && $0.contains(",conditional,") }
        let always = csv.split(separator: "\n").filter { $0.contains(",always,") }
        // notify is not drawn (it is send): count the CSV rows of the other flows.
        func count(_ rows: [Substring]) -> Int { rows.filter { !$0.contains(",notify,") }.count }
        #expect(html.components(separatedBy: "<td class=\"conditional\"").count - 1 == count(conditional))
        #expect(html.components(separatedBy: "<td class=\"always\"").count - 1 == count(always))
        let refused = runArgus(["exposure", policy, "--format", "html", "--system", Fixtures.exampleSystemPath, "--xen", "head"])
        #expect(refused.status == 2)
    }

    /// The headline facts of the example policy, stated independently of the goldens.
    @Test func exampleFacts() throws {
        let r = runArgus(["exposure", policy, "--format", "json", "--xen", "head"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(json["format"] as? String == "argus-exposure/1")
        #expect(json["exact"] as? Bool == true)
        let pairs = try #require(json["pairs"] as? [[String: Any]])
        func answer(_ s: String, _ t: String, _ flow: String) -> String {
            guard let p = pairs.first(where: { $0["source"] as? String == s && $0["target"] as? String == t }) else { return "never" }
            return (p[flow] as? [String: Any])?["answer"] as? String ?? "missing"
        }
        // Tenants are kept apart by a user constraint (u1 == u2 unless a side is not a tenant
        // user), but role system_r also carries the tenant types: a tenant_a_t domain labelled
        // system_u reaches tenant_b_t. Exposure finds it; the user pairs say which.
        #expect(answer("tenant_a_t", "tenant_b_t", "send") == "conditional")
        let crossing = try #require(pairs.first { $0["source"] as? String == "tenant_a_t" && $0["target"] as? String == "tenant_b_t" })
        let userPairs = try #require(((crossing["send"] as? [String: Any])?["conditions"] as? [String: Any])?["user_pairs"] as? [String])
        #expect(userPairs.contains("system_u -> tenant_b_u"))
        #expect(!userPairs.contains("tenant_a_u -> tenant_b_u"))
        // Gated by tenant_argo_to_ui (off by default): conditional, and the condition names it.
        #expect(answer("tenant_a_t", "uivm_t", "send") == "conditional")
        let gated = try #require(pairs.first { $0["source"] as? String == "tenant_a_t" && $0["target"] as? String == "uivm_t" })
        let conditions = try #require((gated["send"] as? [String: Any])?["conditions"] as? [String: Any])
        #expect((conditions["booleans"] as? [String: Bool])?["tenant_argo_to_ui"] == true)
        #expect(answer("isolated_t", "dom0_t", "channel") == "never")
        let cx = try #require(json["counterexamples"] as? [[String: Any]])
        #expect(!cx.isEmpty)
    }

    @Test func writesToAFile() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("exposure.csv").path
            let r = runArgus(["exposure", policy, "--format", "csv", "-o", path, "--xen", "head"])
            #expect(r.status == 0 && r.out.isEmpty, "\(r.err)")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("source,target,flow,answer,conditions,counterexample\n"))
        }
    }

    @Test(arguments: [
        (["--format", "xml"], "error: unknown format 'xml' (expected text, json, csv or html)"),
        (["--bool", "nosuch=true"], "POLICY: error: unknown boolean 'nosuch' in the policy"),
        (["--bool", "tenant_argo_to_ui"], "option --bool: error: takes NAME=true|false, not 'tenant_argo_to_ui'"),
        (["--bool", "tenant_argo_to_ui=maybe"], "option --bool: error: tenant_argo_to_ui: expected true or false, not 'maybe'"),
    ])
    func badOptionsGiveOneLineAndStatusTwo(arguments: [String], expected: String) {
        let r = runArgus(["exposure", policy] + arguments)
        #expect(r.status == 2)
        #expect(r.out.isEmpty)
        #expect(r.err == expected.replacingOccurrences(of: "POLICY", with: policy) + "\n")
    }

    @Test func missingPolicyIsBadInput() {
        let r = runArgus(["exposure", "/nonexistent/policy"])
        #expect(r.status == 2)
        #expect(r.err.split(separator: "\n").count == 1, "\(r.err)")
        #expect(r.err.contains("error:"))
    }
}
