import CommandTestSupport
import Foundation
import Testing
import ArgusCommands
import TestSupport

/// Golden files for `argus policy info` and every `argus audit` format on the example system.
@Suite(.serialized) struct AuditGoldenTests {
    let policy = Fixtures.examplePolicyPath
    let system = Fixtures.exampleSystemPath

    @Test func goldenCorpusIsNotEmpty() {
        let files = Golden.files(under: "audit") + Golden.files(under: "policy")
        #expect(files.count >= 6, "golden files missing: \(files)")
    }

    @Test(arguments: ["text", "json", "csv", "dot"])
    func auditFormats(format: String) {
        let r = runArgus(["audit", policy, "--system", system, "--format", format])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.isEmpty)
        Golden.expectMatch(relativePaths(r.out), golden: "audit/example.\(format == "text" ? "txt" : format)")
    }

    /// `--verbose` lists every channel; the summary says the same channels per source domain.
    @Test func verboseListsEveryChannelAndTheSummaryAgrees() throws {
        let r = runArgus(["audit", policy, "--system", system, "--verbose"])
        #expect(r.status == 0, "\(r.err)")
        Golden.expectMatch(relativePaths(r.out), golden: "audit/example-verbose.txt")
        let summary = runArgus(["audit", policy, "--system", system]).out
        // The channel list ends where the reach section begins.
        let listed = r.out.components(separatedBy: "\nChannels (").last!.components(separatedBy: "\n\nReach:").first!
            .split(separator: "\n").dropFirst()
            .map { $0.trimmingCharacters(in: .whitespaces).components(separatedBy: " -> ") }
        #expect(listed.count > 10)
        var bySource: [String: Set<String>] = [:]
        for pair in listed { bySource[pair[0], default: []].insert(pair[1]) }
        let names = ["dom0", "netvm", "uivm", "a1", "a2", "b1", "isolated", "stub-a1"]
        let summaryLines = summary.components(separatedBy: ", by source (--verbose lists each):\n").last!
            .components(separatedBy: "\n\nReach:").first!.split(separator: "\n")
        for line in summaryLines {
            let parts = line.trimmingCharacters(in: .whitespaces).components(separatedBy: " -> ")
            guard parts.count == 2 else { continue }
            let source = parts[0]
            let targets: Set<String> = parts[1].hasPrefix("every domain but ")
                ? Set(names).subtracting(parts[1].dropFirst("every domain but ".count).components(separatedBy: ", ").map { $0 == "itself" ? source : $0 })
                : Set(parts[1].components(separatedBy: ", ").map { $0 == "itself" ? source : $0 })
            #expect(targets == bySource[source], "\(source): \(targets) vs \(bySource[source] ?? [])")
            bySource[source] = nil
        }
        #expect(bySource.isEmpty, "sources missing from the summary: \(bySource.keys)")
    }

    @Test func auditJSONHonoursTheContract() throws {
        let r = runArgus(["audit", policy, "--system", system, "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let domains = try #require(json["domains"] as? [[String: Any]])
        #expect(domains.count == 8)
        for d in domains {
            for key in ["name", "domid", "label", "argo", "register_any_source"] { #expect(d[key] != nil, "domain lacks \(key)") }
        }
        let pairs = try #require(json["pairs"] as? [[String: Any]])
        #expect(!pairs.isEmpty)
        for p in pairs {
            let flags = ["register_single_source", "send", "notify", "channel"].map { p[$0] as? Bool }
            #expect(!flags.contains(nil), "pair lacks a flow: \(p)")
            #expect(flags.contains(true), "a listed pair must have at least one true flow: \(p)")
        }
        // The headline facts of the example (docs/EXAMPLE-POLICY.md).
        func channel(_ s: String, _ t: String) -> Bool {
            pairs.first { $0["source"] as? String == s && $0["target"] as? String == t }?["channel"] as? Bool ?? false
        }
        #expect(channel("netvm", "a1"))
        #expect(channel("a1", "netvm"))
        #expect(!channel("a1", "b1"), "tenant users are kept apart by a constraint")
        #expect(!channel("a1", "uivm"), "gated by the tenant_argo_to_ui boolean, off by default")
        #expect(!channel("isolated", "dom0"))
    }

    @Test func booleanOverrideOpensTheGatedFlow() {
        let off = runArgus(["query", policy, "--system", system, "--from", "a1", "--to", "uivm", "--perm", "send"])
        #expect(off.status == 1)
        #expect(off.out.contains("tenant_argo_to_ui=false"))
        let on = runArgus(["query", policy, "--system", system, "--from", "a1", "--to", "uivm", "--perm", "send", "--bool", "tenant_argo_to_ui=true"])
        #expect(on.status == 0, "\(on.err)")
        #expect(on.out.contains("granted by the policy"))
        #expect(on.out.contains("modules/argo.te:"))
    }

    @Test func explainGolden() {
        let r = runArgus(["audit", policy, "--system", system, "--explain"])
        #expect(r.status == 0)
        Golden.expectMatch(relativePaths(r.out), golden: "audit/example-explain.txt")
        let q = runArgus(["query", policy, "--system", system, "--from", "a1", "--to", "b1", "--perm", "send"])
        #expect(q.status == 1)
        Golden.expectMatch(relativePaths(q.out), golden: "audit/query-a1-b1-send.txt")
    }

    @Test(arguments: ["text", "json"])
    func policyInfo(format: String) {
        let r = runArgus(["policy", "info", policy, "--format", format])
        #expect(r.status == 0, "\(r.err)")
        Golden.expectMatch(relativePaths(r.out), golden: "policy/example-info.\(format == "text" ? "txt" : "json")")
    }

    @Test func validateExampleAndABrokenHypervisor() throws {
        let ok = runArgus(["policy", "validate", policy, "--flask-dir", Fixtures.flaskDirectory])
        #expect(ok.status == 0, "\(ok.out + ok.err)")
        // A hypervisor whose argo class has one permission more than the policy.
        try Fixtures.withTemporaryDirectory { dir in
            for name in ["security_classes", "initial_sids"] {
                try FileManager.default.copyItem(atPath: Fixtures.flaskDirectory + "/" + name, toPath: dir.path + "/" + name)
            }
            var av = try String(contentsOfFile: Fixtures.flaskDirectory + "/access_vectors", encoding: .utf8)
            let range = try #require(av.range(of: "class argo\n{"))
            av.replaceSubrange(range, with: "class argo\n{\n    broadcast")
            try av.write(toFile: dir.path + "/access_vectors", atomically: true, encoding: .utf8)
            let binary = dir.appendingPathComponent("example.policy").path
            #expect(runArgus(["policy", "compile", policy, "--flask-dir", Fixtures.flaskDirectory, "-o", binary]).status == 0)
            let r = runArgus(["policy", "validate", binary, "--flask-dir", dir.path])
            #expect(r.status == 1)
            #expect(r.out.contains("refused: permission send in class argo not defined in policy"), "\(r.out)")
            #expect(r.out.contains("has incorrect value"), "\(r.out)")
        }
    }
}
