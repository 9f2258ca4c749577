import CommandTestSupport
import Foundation
import Testing
import ArgusCommands
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite(.serialized) struct CheckCommandTests {
    let policy = Fixtures.examplePolicyPath
    let system = Fixtures.exampleSystemPath
    let flask = Fixtures.flaskDirectory
    let platformRules = Fixtures.root.appendingPathComponent("examples/rules/platform.toml").path
    let dom0Rules = Fixtures.root.appendingPathComponent("examples/rules/guests-avoid-dom0.toml").path

    func check(_ extra: [String], policy: String? = nil, rules: String? = nil, today: String = "2026-06-01") -> (status: Int32, out: String, err: String) {
        runArgus(["check", policy ?? self.policy, "--system", system, "--flask-dir", flask,
                  "--rules", rules ?? dom0Rules, "--today", today] + extra)
    }

    @Test func goldenCorpusIsNotEmpty() {
        #expect(Golden.files(under: "check").count >= 6, "\(Golden.files(under: "check"))")
    }

    @Test func platformRulesPassOnTheExample() {
        let r = check([], rules: platformRules)
        #expect(r.status == 0, "\(r.out + r.err)")
        #expect(r.out.contains("result: PASS (11 rules; 0 exempted)"), "\(r.out)")
        Golden.expectMatch(relativePaths(r.out), golden: "check/platform-pass.txt")
    }

    @Test(arguments: ["text", "json", "sarif", "junit", "markdown"])
    func failingRulesGolden(format: String) {
        let r = check(["--format", format])
        #expect(r.status == 1, "\(r.err)")
        #expect(r.err.isEmpty)
        let ext = ["text": "txt", "json": "json", "sarif": "sarif", "junit": "xml", "markdown": "md"][format]!
        Golden.expectMatch(PolicyEdits.stable(r.out, tmp: URL(fileURLWithPath: "/nonexistent")), golden: "check/guests-avoid-dom0.\(ext)")
    }

    @Test func violationsAndExemptionsAsValues() throws {
        let r = check(["--format", "json"])
        #expect(r.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let violations = try #require(json["violations"] as? [[String: Any]])
        #expect(violations.count == 1)
        let v = violations[0]
        #expect(v["kind"] as? String == "forbidden-flow")
        #expect(v["source"] as? String == "b1" && v["target"] as? String == "dom0" && v["flow"] as? String == "channel")
        let rule = try #require(v["rule"] as? [String: Any])
        #expect(rule["location"] as? String == dom0Rules + ":6")
        // The explanation chain names the policy rule that lets b1 post to dom0.
        let chain = try #require(v["explanation"] as? [[String: Any]])
        let send = try #require(chain.first { $0["hook"] as? String == "send" })
        let rules = try #require(send["rules"] as? [[String: Any]])
        #expect(rules.contains { ($0["location"] as? [String: Any])?["file"] as? String == policy + "/modules/argo.te" })
        let exempted = try #require(json["exempted"] as? [[String: Any]])
        #expect(Set(exempted.compactMap { $0["source"] as? String }) == ["a1", "a2"])
        #expect(exempted.allSatisfy { ($0["exemption"] as? [String: Any])?["location"] as? String == dom0Rules + ":17" })
        #expect(json["passed"] as? Bool == false)
    }

    @Test func exemptionHoldsOnItsLastDayAndExpiresTheDayAfter() throws {
        let lastDay = check([], today: "2027-01-31")
        #expect(lastDay.status == 1)
        #expect(lastDay.out.contains("result: FAIL: 1 violation (3 rules; 2 exempted)"), "\(lastDay.out)")
        let after = check(["--format", "json"], today: "2027-02-01")
        #expect(after.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(after.out.utf8)) as? [String: Any])
        let violations = try #require(json["violations"] as? [[String: Any]])
        let kinds = violations.map { "\($0["kind"]!) \($0["source"] ?? "")" }
        // The expired exemption is itself a violation, and it no longer covers a1 and a2.
        #expect(kinds.filter { $0.hasPrefix("forbidden-flow") }.count == 3, "\(kinds)")
        let expired = try #require(violations.first { $0["kind"] as? String == "expired-exemption" })
        #expect((expired["rule"] as? [String: Any])?["location"] as? String == dom0Rules + ":17")
        #expect((expired["exempted"] as? [Any]) == nil)
        #expect((json["exempted"] as? [Any])?.isEmpty == true)
    }

    @Test func exemptingEveryViolationPasses() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let rules = dir.appendingPathComponent("rules.toml").path
            var text = try String(contentsOfFile: dom0Rules, encoding: .utf8)
            text += "\n[[exempt]]\nfrom = \"b1\"\nto = \"dom0\"\nflow = \"channel\"\nreason = \"tenant B's broker too\"\n"
            text += "\n[[exempt]]\nfrom = \"netvm\"\nto = \"dom0\"\nflow = \"send\"\nreason = \"stale\"\n"
            try text.write(toFile: rules, atomically: true, encoding: .utf8)
            let r = check([], rules: rules)
            #expect(r.status == 0, "\(r.out + r.err)")
            #expect(r.out.contains("result: PASS (5 rules; 3 exempted)"), "\(r.out)")
            #expect(r.out.contains("NOTE unused exemption exempt netvm -> dom0 send (\(rules):30)"), "\(r.out)")
        }
    }

    @Test func baselineForgivesOnlyOldViolations() throws {
        // The example already lets b1 post to dom0: against itself as baseline, nothing is new.
        let same = check(["--baseline", policy])
        #expect(same.status == 0, "\(same.out + same.err)")
        #expect(same.out.contains("BASELINE never attr:tenant_guest -> dom0 channel (\(dom0Rules):6): b1 -> dom0 channel is allowed"), "\(same.out)")
        #expect(same.out.contains("1 already in the baseline"))
        try Fixtures.withTemporaryDirectory { dir in
            let changed = try PolicyEdits.copyOfExample(in: dir, PolicyEdits.reviewedChange)
            // The platform rules break twice under the change: tenants now send to uivm, and
            // uivm lost its channel to dom0. The baseline (the example) had neither.
            let r = check(["--baseline", policy, "--format", "json"], policy: changed, rules: platformRules)
            #expect(r.status == 1, "\(r.err)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
            let violations = try #require(json["violations"] as? [[String: Any]])
            let found = Set(violations.map { "\($0["kind"]!) \($0["source"]!) \($0["target"]!) \($0["flow"]!)" })
            #expect(found == ["forbidden-flow a1 uivm send", "forbidden-flow a2 uivm send", "forbidden-flow b1 uivm send",
                              "missing-flow uivm dom0 channel"], "\(found)")
            // A missing flow is explained by its denial reasons.
            let missing = try #require(violations.first { $0["kind"] as? String == "missing-flow" })
            let chain = try #require(missing["explanation"] as? [[String: Any]])
            #expect(!chain.isEmpty && chain.allSatisfy { $0["allowed"] as? Bool == false })
            #expect(chain.contains { ($0["steps"] as? [String] ?? []).contains("no allow rule grants argo { send } from uivm_t to dom0_t") })
            // With the changed policy as its own baseline, the same violations are forgiven.
            let forgiven = check(["--baseline", changed], policy: changed, rules: platformRules)
            #expect(forgiven.status == 0, "\(forgiven.out)")
            #expect(forgiven.out.contains("4 already in the baseline"), "\(forgiven.out)")
        }
    }

    @Test func sarifIsValid210() throws {
        let r = check(["--format", "sarif"], today: "2027-02-01")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(json["version"] as? String == "2.1.0")
        let run = try #require((json["runs"] as? [[String: Any]])?.first)
        let rules = try #require(((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 4)
        for result in results {
            let index = try #require(result["ruleIndex"] as? Int)
            #expect(rules[index]["id"] as? String == result["ruleId"] as? String)
            let physical = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            let line = (physical["region"] as? [String: Any])?["startLine"] as? Int
            #expect(line == 6 || line == 17, "\(result)")
            #expect(((physical["artifactLocation"] as? [String: Any])?["uri"] as? String)?.hasPrefix("file:///") == true)
        }
    }

    @Test func junitIsWellFormedAndEscaped() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let rules = dir.appendingPathComponent("rules.toml").path
            try """
                [[never]]
                from = "attr:tenant_guest"
                to = "dom0"
                flow = "channel"
                reason = "<guests> & \\"dom0\\" don't mix"
                """.write(toFile: rules, atomically: true, encoding: .utf8)
            let r = check(["--format", "junit"], rules: rules)
            #expect(r.status == 1)
            #expect(r.out.contains("&lt;guests&gt; &amp; &quot;dom0&quot; don&apos;t mix"), "\(r.out)")
            #if canImport(FoundationXML) || canImport(Darwin)
            let parser = XMLParser(data: Data(r.out.utf8))
            #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
            #endif
            #expect(r.out.contains("<testsuites name=\"argus check\" tests=\"1\" failures=\"1\" errors=\"0\">"))
        }
    }

    /// Every bad rules file names its file and line; none passes silently.
    @Test(arguments: [
        ("[[never]]\nfrom = \"nosuch\"\nto = \"dom0\"\nflow = \"channel\"\n", "2:8: error: unknown domain 'nosuch' (not in SYSTEM)"),
        ("[[never]]\nfrom = \"a1\"\nto = \"type:nosuch_t\"\nflow = \"send\"\n", "3:6: error: unknown type 'nosuch_t' in the policy"),
        ("[[never]]\nfrom = \"attr:nosuch\"\nto = \"dom0\"\nflow = \"send\"\n", "2:8: error: unknown attribute 'nosuch' in the policy"),
        ("[[never]]\nfrom = \"attr:tenant_a_t\"\nto = \"dom0\"\nflow = \"send\"\n", "2:8: error: 'tenant_a_t' is a type, not an attribute: write type:tenant_a_t"),
        ("[[never]]\nfrom = \"type:tenant_guest\"\nto = \"dom0\"\nflow = \"send\"\n", "2:8: error: 'tenant_guest' is an attribute: write attr:tenant_guest"),
        ("[[must]]\nfrom = \"type:xen_t\"\nto = \"dom0\"\nflow = \"send\"\n", "2:8: error: selector 'type:xen_t' matches no domain of SYSTEM"),
        ("[[never]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"talk\"\n", "4:8: error: unknown flow 'talk' (expected one of: argo, register_any_source, register_single_source, send, notify, channel, path, service)"),
        ("[[never]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"send\"\nwhy = \"typo\"\n", "5:1: error: unknown key 'why' in [never] (expected one of: flow, from, max_hops, reason, to)"),
        ("[[never]]\nfrom = \"a1\"\nflow = \"send\"\n", "1:1: error: [[never]] needs 'to' for flow 'send'"),
        ("[[never]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"argo\"\n", "3:6: error: flow 'argo' belongs to one domain: drop 'to'"),
        ("[[never]]\nto = \"dom0\"\nflow = \"send\"\n", "1:1: error: [[never]] needs 'from'"),
        ("[[never]]\nfrom = \"group:x\"\nto = \"dom0\"\nflow = \"send\"\n", "2:8: error: bad selector 'group:x' in 'from' (expected a domain name, type:NAME, attr:NAME, role:NAME, user:NAME or *)"),
        ("[[never]]\nfrom = \"role:x\"\nto = \"dom0\"\nflow = \"send\"\n", "2:8: error: unknown role 'x' in the policy"),
        ("[[never]]\nfrom = \"a1\"\nto = \"user:nobody_u\"\nflow = \"send\"\n", "3:6: error: unknown user 'nobody_u' in the policy"),
        ("[[never]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"path\"\nmax_hops = \"two\"\n", "5:12: error: 'max_hops' must be an integer, not a string"),
        ("[[exempt]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"send\"\n", "1:1: error: [[exempt]] needs a 'reason'"),
        ("[[exempt]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"send\"\nreason = \"r\"\nuntil = \"2027-13-01\"\n", "6:9: error: 'until' must be a date like 2027-01-31"),
        ("[[exempt]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"send\"\nreason = \"r\"\nuntil = \"soon\"\n", "6:9: error: 'until' must be a date like 2027-01-31"),
        ("[[exempt]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"send\"\nreason = \"r\"\nuntil = 2027-02-01T10:00:00Z\n", "6:9: error: 'until' must be a date like 2027-01-31"),
        ("[[never]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"send\"\n\n[[sometimes]]\nfrom = \"a1\"\n", "6:3: error: unknown table or key 'sometimes' (expected [[never]], [[must]] or [[exempt]] tables)"),
        ("flow = \"send\"\n[[never]]\nfrom = \"a1\"\nto = \"dom0\"\nflow = \"send\"\n", "1:1: error: unknown table or key 'flow' (expected [[never]], [[must]] or [[exempt]] tables)"),
        ("# nothing\n", "error: no rules: expected [[never]], [[must]] or [[exempt]] tables"),
    ])
    func badRulesFail(rules text: String, expected: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let rules = dir.appendingPathComponent("rules.toml").path
            try text.write(toFile: rules, atomically: true, encoding: .utf8)
            let r = check([], rules: rules)
            #expect(r.status == 2, "\(r.out)")
            #expect(r.out.isEmpty)
            let want = expected.replacingOccurrences(of: "SYSTEM", with: system)
            let prefix = want.hasPrefix("error:") ? rules + ": " : rules + ":"
            #expect(r.err == prefix + want + "\n")
        }
    }

    @Test func badCommandLineFails() {
        let today = check([], today: "31/01/2027")
        #expect(today.status == 2)
        #expect(today.err == "option --today: error: takes a date YYYY-MM-DD, not '31/01/2027'\n")
        let missing = check([], rules: "/nonexistent/rules.toml")
        #expect(missing.status == 2)
        #expect(missing.err == "/nonexistent/rules.toml: error: no such file\n")
        let baseline = check(["--baseline", "/nonexistent/old"])
        #expect(baseline.status == 2)
        #expect(baseline.err.contains("baseline policy /nonexistent/old: "), "\(baseline.err)")
        let format = check(["--format", "xml"])
        #expect(format.status == 2)
    }
}
