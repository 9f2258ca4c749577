import CommandTestSupport
import Foundation
import Testing
import TestSupport

/// `argus check` without a system file: goldens, bad selectors, the baseline.
@Suite(.serialized) struct CheckUniverseTests {
    let policy = Fixtures.examplePolicyPath
    let rules = Fixtures.root.appendingPathComponent("examples/rules/universe.toml").path

    func check(_ extra: [String], policy: String? = nil, rules: String? = nil) -> (status: Int32, out: String, err: String) {
        runArgus(["check", policy ?? self.policy, "--rules", rules ?? self.rules, "--today", "2026-06-01", "--xen", "head"] + extra)
    }

    @Test(arguments: ["text", "json", "sarif", "junit", "markdown"])
    func universeGoldens(format: String) {
        let r = check(["--format", format])
        #expect(r.status == 1, "\(r.err)")
        #expect(r.err.isEmpty, "\(r.err)")
        let ext = ["text": "txt", "json": "json", "sarif": "sarif", "junit": "xml", "markdown": "md"][format]!
        Golden.expectMatch(PolicyEdits.stable(r.out, tmp: URL(fileURLWithPath: "/nonexistent")), golden: "check/universe.\(ext)")
    }

    /// The findings as values: per type pair, each with a counterexample the audit confirms.
    @Test func findingsCarryCounterexamplesTheAuditConfirms() throws {
        let r = check(["--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(json["system"] is NSNull)
        let universe = try #require(json["universe"] as? [String: Any])
        #expect(universe["exact"] as? Bool == true)
        let violations = try #require(json["violations"] as? [[String: Any]])
        #expect(Set(violations.map { "\($0["source"]!) \($0["target"]!) \($0["flow"]!)" })
                == ["type:tenant_a_t type:tenant_b_t channel", "type:tenant_b_t type:tenant_a_t path"])
        try Fixtures.withTemporaryDirectory { dir in
            for v in violations {
                let text = try #require(v["counterexample"] as? String)
                let file = dir.appendingPathComponent("cx.toml").path
                try text.write(toFile: file, atomically: true, encoding: .utf8)
                // The comment names the booleans to give `argus audit`.
                let bools = text.split(separator: "\n")[1].split(separator: " ").filter { $0.hasPrefix("--bool") || $0.contains("=") }
                var args = ["audit", policy, "--system", file, "--format", "json", "--xen", "head"]
                for b in bools where b != "--bool" { args += ["--bool", String(b)] }
                let audit = runArgus(args)
                #expect(audit.status == 0, "\(audit.err)")
                let doc = try #require(try JSONSerialization.jsonObject(with: Data(audit.out.utf8)) as? [String: Any])
                let pairs = try #require(doc["pairs"] as? [[String: Any]])
                // The first hop of every counterexample is a channel the audit has.
                let first = (v["path"] as? [String])?.first.map { String($0.prefix { $0 != " " }) } ?? "a"
                #expect(pairs.contains { $0["source"] as? String == first && $0["channel"] as? Bool == true }, "\(text)")
            }
        }
    }

    @Test func passingRulesPassAndExemptionsCover() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("rules.toml").path
            try """
                [[never]]
                from = "type:isolated_t"
                to = "*"
                flow = "path"

                [[must]]
                from = "attr:tenant_guest"
                to = "type:netvm_t"
                flow = "channel"

                [[never]]
                from = "type:tenant_a_t"
                to = "type:tenant_b_t"
                flow = "send"

                [[exempt]]
                from = "type:tenant_a_t"
                to = "*"
                flow = "send"
                reason = "being relabelled"
                """.write(toFile: file, atomically: true, encoding: .utf8)
            let r = check([], rules: file)
            #expect(r.status == 0, "\(r.out)\(r.err)")
            #expect(r.out.contains("result: PASS (4 rules; 1 exempted)"), "\(r.out)")
        }
    }

    @Test(arguments: [
        ("from = \"netvm\"\nto = \"*\"\nflow = \"send\"", 2, 8,
         "'netvm' names a domain, and there is no system file: without --system name labels with type:, attr:, role:, user: or *"),
        ("from = \"*\"\nto = \"role:nosuch_r\"\nflow = \"send\"", 3, 6, "unknown role 'nosuch_r' in the policy"),
        ("from = \"user:nosuch_u\"\nflow = \"argo\"", 2, 8, "unknown user 'nosuch_u' in the policy"),
        ("from = \"type:tenant_guest\"\nflow = \"argo\"", 2, 8, "'tenant_guest' is an attribute: write attr:tenant_guest"),
        ("from = \"*\"\nto = \"*\"\nflow = \"send\"\nmax_hops = 2", 5, 12, "'max_hops' belongs to flow 'path' only"),
        ("from = \"*\"\nto = \"*\"\nflow = \"path\"\nmax_hops = 0", 5, 12, "'max_hops' must be between 1 and 64, not 0"),
        ("from = \"group:x\"\nflow = \"argo\"", 2, 8, "bad selector 'group:x' in 'from' (expected a domain name, type:NAME, attr:NAME, role:NAME, user:NAME or *)"),
    ])
    func badRulesAreOneLineAtTheirPlace(body: String, line: Int, column: Int, message: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("rules.toml").path
            try "[[never]]\n\(body)\n".write(toFile: file, atomically: true, encoding: .utf8)
            let r = check([], rules: file)
            #expect(r.status == 2)
            #expect(r.out.isEmpty)
            #expect(r.err == "\(file):\(line):\(column): error: \(message)\n")
        }
    }

    /// A domain name is fine with a system file, and a path rule there follows the audit's channels.
    @Test func pathRulesOverTheInventory() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("rules.toml").path
            try """
                [[never]]
                from = "b1"
                to = "role:vm_r"
                flow = "path"

                [[must]]
                from = "isolated"
                to = "dom0"
                flow = "path"
                max_hops = 3
                """.write(toFile: file, atomically: true, encoding: .utf8)
            let r = runArgus(["check", policy, "--system", Fixtures.exampleSystemPath, "--rules", file, "--today", "2026-06-01", "--format", "json"])
            #expect(r.status == 1, "\(r.err)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
            let violations = try #require(json["violations"] as? [[String: Any]])
            let found = Set(violations.map { "\($0["kind"]!) \($0["source"]!) \($0["target"]!)" })
            #expect(found == ["forbidden-flow b1 a1", "forbidden-flow b1 a2", "forbidden-flow b1 b1", "missing-flow isolated dom0"], "\(found)")
            let relay = try #require(violations.first { $0["target"] as? String == "a1" })
            #expect(relay["path"] as? [String] == ["b1", "netvm", "a1"])
            #expect((relay["rule"] as? [String: Any])?["max_hops"] == nil)
            let missing = try #require(violations.first { $0["kind"] as? String == "missing-flow" })
            #expect((missing["rule"] as? [String: Any])?["max_hops"] as? Int == 3)
        }
    }

    @Test func baselineForgivesWhatTheOldPolicyAlreadyAllowed() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("rules.toml").path
            try """
                [[never]]
                from = "attr:tenant_guest"
                to = "type:uivm_t"
                flow = "send"

                [[must]]
                from = "type:uivm_t"
                to = "type:dom0_t"
                flow = "channel"

                [[never]]
                from = "type:isolated_t"
                flow = "argo"
                """.write(toFile: file, atomically: true, encoding: .utf8)
            // The example: tenants may send to uivm (boolean on), isolated has Argo; uivm reaches dom0.
            let old = check(["--format", "json"], rules: file)
            #expect(old.status == 1)
            let changed = try PolicyEdits.copyOfExample(in: dir, PolicyEdits.reviewedChange)
            // The change makes tenants' send unconditional (already possible before), cuts uivm
            // from dom0 (new) and takes Argo from isolated (a fix).
            let r = check(["--baseline", policy, "--format", "json"], policy: changed, rules: file)
            #expect(r.status == 1, "\(r.err)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
            let violations = try #require(json["violations"] as? [[String: Any]])
            #expect(violations.map { "\($0["kind"]!) \($0["source"]!) \($0["target"]!)" } == ["missing-flow type:uivm_t type:dom0_t"])
            let suppressed = try #require(json["baseline_suppressed"] as? [[String: Any]])
            #expect(Set(suppressed.map { "\($0["source"]!) \($0["target"]!)" }) == ["type:tenant_a_t type:uivm_t", "type:tenant_b_t type:uivm_t"])
            let same = check(["--baseline", changed], policy: changed, rules: file)
            #expect(same.status == 0, "\(same.out)")
        }
    }
}
