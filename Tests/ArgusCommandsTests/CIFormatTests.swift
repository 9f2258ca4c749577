import CommandTestSupport
import Foundation
import Testing
@testable import ArgusCommands
import ArgusAnalysis
import TestSupport

/// `argus check` for CI systems: SARIF 2.1.0 (GitHub code scanning), the Code Climate issue list
/// (GitLab code quality) and the fingerprints both carry.
@Suite(.serialized) struct CIFormatTests {
    let policy = Fixtures.examplePolicyPath
    let system = Fixtures.exampleSystemPath
    let flask = Fixtures.flaskDirectory
    let dom0Rules = Fixtures.root.appendingPathComponent("examples/rules/guests-avoid-dom0.toml").path

    func check(_ extra: [String], policy: String? = nil, rules: String? = nil, today: String = "2026-06-01") -> (status: Int32, out: String, err: String) {
        runArgus(["check", policy ?? self.policy, "--system", system, "--flask-dir", flask,
                  "--rules", rules ?? dom0Rules, "--today", today] + extra)
    }

    func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    // MARK: SHA-256

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func sha256KnownAnswers(input: String, digest: String) {
        #expect(FindingDigest.hex(input.utf8) == digest)
    }

    /// Lengths around the 55/56/64-byte padding boundaries, against coreutils' sha256sum.
    @Test func sha256MatchesSha256sumAcrossBlockBoundaries() throws {
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 1000] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            input.fileHandleForWriting.write(Data(bytes))
            try input.fileHandleForWriting.close()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(text.hasPrefix(FindingDigest.hex(bytes) + " "), "length \(length): \(text)")
        }
    }

    // MARK: Code Climate

    @Test func codeClimateGolden() {
        let r = check(["--format", "codeclimate"])
        #expect(r.status == 1, "\(r.err)")
        #expect(r.err.isEmpty)
        Golden.expectMatch(PolicyEdits.stable(r.out, tmp: URL(fileURLWithPath: "/nonexistent")), golden: "check/guests-avoid-dom0.codeclimate.json")
    }

    /// The fields GitLab's code-quality report reads, with their types and allowed values.
    @Test func codeClimateHasGitLabsRequiredFields() throws {
        let r = check(["--format", "codeclimate"], today: "2027-02-01")
        let issues = try #require(try json(r.out) as? [[String: Any]])
        // b1, and a1 and a2 once their exemption expired, plus the expired exemption itself.
        #expect(issues.count == 4, "\(issues)")
        for issue in issues {
            #expect((issue["description"] as? String)?.isEmpty == false)
            #expect(["forbidden-flow", "missing-flow", "expired-exemption", "unused-exemption"].contains(issue["check_name"] as? String ?? ""))
            #expect(["info", "minor", "major", "critical", "blocker"].contains(issue["severity"] as? String ?? ""))
            let fingerprint = try #require(issue["fingerprint"] as? String)
            #expect(fingerprint.count == 64 && fingerprint.allSatisfy(\.isHexDigit))
            let location = try #require(issue["location"] as? [String: Any])
            let path = try #require(location["path"] as? String)
            #expect(!path.hasPrefix("/") && !path.hasPrefix("./"), "GitLab wants a path from the repository root: \(path)")
            #expect(path == "examples/rules/guests-avoid-dom0.toml")
            let begin = try #require((location["lines"] as? [String: Any])?["begin"] as? Int)
            #expect(begin == 6 || begin == 17, "\(issue)")
            #expect(issue["type"] as? String == "issue")
            #expect((issue["categories"] as? [String])?.isEmpty == false)
        }
        #expect(Set(issues.compactMap { $0["fingerprint"] as? String }).count == issues.count, "fingerprints are unique")
        let expired = try #require(issues.first { $0["check_name"] as? String == "expired-exemption" })
        #expect(expired["severity"] as? String == "major")
        #expect(issues.filter { $0["check_name"] as? String == "forbidden-flow" }.allSatisfy { $0["severity"] as? String == "critical" })
    }

    @Test func codeClimatePathsRelativeToTheWorkingDirectory() {
        #expect(CheckCodeClimate.relativePath("/repo/rules/a.toml", to: "/repo") == "rules/a.toml")
        #expect(CheckCodeClimate.relativePath("/repo/rules/a.toml", to: "/repo/") == "rules/a.toml")
        #expect(CheckCodeClimate.relativePath("./rules/a.toml", to: "/repo") == "rules/a.toml")
        #expect(CheckCodeClimate.relativePath("/elsewhere/a.toml", to: "/repo") == "/elsewhere/a.toml")
        #expect(CheckCodeClimate.relativePath("/repository/a.toml", to: "/repo") == "/repository/a.toml")
    }

    // MARK: Fingerprints

    /// fingerprint -> (check_name, description) from the Code Climate output, and the same
    /// fingerprints from SARIF's partialFingerprints.
    func fingerprints(rules: String, today: String = "2026-06-01", policy: String? = nil, baseline: String? = nil) throws -> (codeClimate: [String: String], sarif: [String: String], lines: Set<Int>) {
        let extra = baseline.map { ["--baseline", $0] } ?? []
        let cc = check(["--format", "codeclimate"] + extra, policy: policy, rules: rules, today: today)
        #expect(cc.status < 2, "\(cc.err)")
        var codeClimate: [String: String] = [:]
        var lines: Set<Int> = []
        for issue in try #require(try json(cc.out) as? [[String: Any]]) {
            let fingerprint = try #require(issue["fingerprint"] as? String)
            let description = try #require(issue["description"] as? String)
            // The description names the instance; strip the note in parentheses (exempted, baseline).
            codeClimate[fingerprint] = "\(issue["check_name"]!) \(description.split(separator: " (").first ?? "")"
            lines.insert(try #require(((issue["location"] as? [String: Any])?["lines"] as? [String: Any])?["begin"] as? Int))
        }
        let sarifRun = check(["--format", "sarif"] + extra, policy: policy, rules: rules, today: today)
        let log = try #require(try json(sarifRun.out) as? [String: Any])
        let results = try #require(((log["runs"] as? [[String: Any]])?.first)?["results"] as? [[String: Any]])
        var sarif: [String: String] = [:]
        for result in results {
            let fingerprint = try #require((result["partialFingerprints"] as? [String: String])?["argusFinding/v2"])
            sarif[fingerprint] = result["ruleId"] as? String
        }
        return (codeClimate, sarif, lines)
    }

    @Test func fingerprintsAreStableAcrossRunsAndLineMoves() throws {
        let first = try fingerprints(rules: dom0Rules)
        let again = try fingerprints(rules: dom0Rules)
        #expect(first.codeClimate == again.codeClimate)
        #expect(first.codeClimate.count == 3)
        // SARIF and Code Climate name the same findings with the same fingerprints.
        #expect(Set(first.sarif.keys) == Set(first.codeClimate.keys))
        try Fixtures.withTemporaryDirectory { dir in
            // The same rules behind a header comment, blank lines and with reasons reworded:
            // every line number moves, no fingerprint does.
            let original = try String(contentsOfFile: dom0Rules, encoding: .utf8)
            let moved = "# Platform rules, reviewed by the security team.\n# Owner: platform.\n\n\n"
                + original.replacingOccurrences(of: "\n[[", with: "\n\n# (moved)\n[[")
                    .replacingOccurrences(of: "reason = \"", with: "reason = \"Reworded: ")
            let copy = dir.appendingPathComponent("elsewhere.toml").path
            try moved.write(toFile: copy, atomically: true, encoding: .utf8)
            let shifted = try fingerprints(rules: copy)
            #expect(shifted.lines.isDisjoint(with: first.lines), "the test must move every line: \(shifted.lines) vs \(first.lines)")
            #expect(shifted.codeClimate == first.codeClimate)
            #expect(shifted.sarif == first.sarif)
        }
    }

    @Test func fingerprintsTellFindingsApart() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let original = try String(contentsOfFile: dom0Rules, encoding: .utf8)
            let base = try fingerprints(rules: dom0Rules)
            // A duplicated rule gives findings of its own (ordinal 2), not the first rule's.
            let duplicated = dir.appendingPathComponent("dup.toml").path
            try (original + "\n[[never]]\nfrom = \"attr:tenant_guest\"\nto = \"dom0\"\nflow = \"channel\"\n")
                .write(toFile: duplicated, atomically: true, encoding: .utf8)
            let twice = try fingerprints(rules: duplicated)
            // The second rule finds the same three things (b1; a1 and a2 exempted) under new fingerprints.
            #expect(Set(base.codeClimate.keys).isSubset(of: Set(twice.codeClimate.keys)))
            #expect(twice.codeClimate.values.sorted() == (Array(base.codeClimate.values) + Array(base.codeClimate.values)).sorted(),
                    "\(twice.codeClimate)")
            // A rule that differs only in its flow is another finding.
            let send = dir.appendingPathComponent("send.toml").path
            try original.replacingOccurrences(of: "flow = \"channel\"", with: "flow = \"send\"")
                .write(toFile: send, atomically: true, encoding: .utf8)
            let other = try fingerprints(rules: send)
            #expect(!other.codeClimate.isEmpty)
            #expect(Set(other.codeClimate.keys).isDisjoint(with: Set(base.codeClimate.keys)))
        }
    }

    /// A finding keeps its fingerprint whether it is new, exempted or already in the baseline:
    /// GitLab and code scanning see one finding change state, not one disappear and another appear.
    @Test func fingerprintDoesNotDependOnTheFindingsState() throws {
        let exempted = try fingerprints(rules: dom0Rules, today: "2027-01-31")
        let expired = try fingerprints(rules: dom0Rules, today: "2027-02-01")
        let baseline = try fingerprints(rules: dom0Rules, baseline: policy)
        // a1 -> dom0: exempted on the 31st, a violation on the 1st, in the baseline with --baseline.
        func key(_ map: [String: String], _ text: String) -> String? { map.first { $0.value.contains(text) }?.key }
        let a1 = try #require(key(exempted.codeClimate, "a1 -> dom0 channel"))
        #expect(key(expired.codeClimate, "a1 -> dom0 channel") == a1)
        #expect(baseline.codeClimate[a1] != nil)
        let b1 = try #require(key(exempted.codeClimate, "b1 -> dom0 channel"))
        #expect(key(expired.codeClimate, "b1 -> dom0 channel") == b1)
        #expect(key(baseline.codeClimate, "b1 -> dom0 channel") == b1)
    }

    @Test func fingerprintHashesTheDocumentedIdentity() throws {
        let rules = try CheckRulesFile.parse(text: """
            [[never]]
            from = "a1"
            to = "dom0"
            flow = "send"

            [[never]]
            from = "a1"
            to = "dom0"
            flow = "send"
            """, path: "r.toml").rules
        let instance = FlowInstance(source: "a1", target: "dom0", flow: .send)
        #expect(CheckFingerprint.identity(kind: "forbidden-flow", rule: rules[0], instance: instance, rules: rules)
                == "argus-check/v1\nforbidden-flow\nnever\na1\ndom0\nsend\n1\na1\ndom0")
        #expect(CheckFingerprint.identity(kind: "forbidden-flow", rule: rules[1], instance: instance, rules: rules)
                == "argus-check/v1\nforbidden-flow\nnever\na1\ndom0\nsend\n2\na1\ndom0")
        #expect(CheckFingerprint.of(kind: "forbidden-flow", rule: rules[0], instance: instance, rules: rules)
                == FindingDigest.hex("argus-check/v1\nforbidden-flow\nnever\na1\ndom0\nsend\n1\na1\ndom0".utf8))
    }

    // MARK: SARIF 2.1.0

    @Test func sarifGolden() {
        let r = check(["--format", "sarif"], today: "2027-02-01")
        #expect(r.status == 1, "\(r.err)")
        Golden.expectMatch(PolicyEdits.stable(r.out, tmp: URL(fileURLWithPath: "/nonexistent")), golden: "check/guests-avoid-dom0-expired.sarif")
    }

    /// Every SARIF the check writes (violations, exemptions, baseline suppressions, unused
    /// exemptions, a pass) meets the SARIF 2.1.0 schema's required structure.
    @Test(arguments: [
        ("guests-avoid-dom0.toml", "2026-06-01", false, "exemptions and a violation"),
        ("guests-avoid-dom0.toml", "2027-02-01", false, "an expired exemption"),
        ("guests-avoid-dom0.toml", "2026-06-01", true, "baseline suppressions"),
        ("platform.toml", "2026-06-01", false, "a pass"),
    ])
    func sarifMeetsTheSchema(rules: String, today: String, baseline: Bool, name: String) throws {
        let rulesPath = Fixtures.root.appendingPathComponent("examples/rules/" + rules).path
        let r = check(["--format", "sarif"] + (baseline ? ["--baseline", policy] : []), rules: rulesPath, today: today)
        #expect(r.status < 2, "\(r.err)")
        let log = try json(r.out)
        let problems = SARIFSchema.validate(log)
        #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "\n"))")
        let results = ((log as? [String: Any])?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]] ?? []
        #expect(rules == "platform.toml" ? results.isEmpty : !results.isEmpty, "\(name)")
    }

    @Test func sarifRulesCarryMetadata() throws {
        let r = check(["--format", "sarif"])
        let log = try #require(try json(r.out) as? [String: Any])
        let driver = try #require((((log["runs"] as? [[String: Any]])?.first)?["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["version"] as? String == ArgusVersion.number)
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ["forbidden-flow", "missing-flow", "expired-exemption", "unused-exemption"])
        let checkRules = try String(contentsOfFile: Fixtures.root.appendingPathComponent("docs/CHECK-RULES.md").path, encoding: .utf8)
        for rule in rules {
            let id = try #require(rule["id"] as? String)
            let helpUri = try #require(rule["helpUri"] as? String)
            #expect(helpUri == ArgusProject.documentation("CHECK-RULES.md", anchor: id))
            // The anchor is a heading of docs/CHECK-RULES.md (GitHub's anchor of "### forbidden-flow").
            #expect(checkRules.contains("\n### \(id)\n"), "docs/CHECK-RULES.md has no heading for \(id)")
            let level = (rule["defaultConfiguration"] as? [String: Any])?["level"] as? String
            #expect(level == (id == "unused-exemption" ? "note" : "error"))
            #expect((rule["help"] as? [String: Any])?["markdown"] as? String != nil)
            let properties = try #require(rule["properties"] as? [String: Any])
            if id == "unused-exemption" {
                #expect(properties["security-severity"] == nil)
            } else {
                let severity = try #require(Double(properties["security-severity"] as? String ?? ""))
                #expect((0.1...10).contains(severity))
                #expect((properties["tags"] as? [String])?.contains("security") == true)
            }
        }
    }

    /// The validator itself rejects what the schema rejects.
    @Test(arguments: [
        (#"{"runs": []}"#, "version"),
        (#"{"version": "2.0.0", "runs": []}"#, "version"),
        (#"{"version": "2.1.0", "runs": [{}]}"#, "tool"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}"#, "name"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [{"name": "r"}]}}}]}"#, "id"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}]}"#, "message"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}"#, "level"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"region": {"startLine": 1}}}]}]}]}"#, "artifactLocation"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 0}}}]}]}]}"#, "startLine"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "suppressions": [{"justification": "j"}]}]}]}"#, "kind"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "partialFingerprints": {"a": 1}}]}]}"#, "partialFingerprints"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": "r", "helpUri": "docs/x.md"}]}}}]}"#, "helpUri"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "severity": "high"}]}]}"#, "severity"),
        (#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "invocations": [{"exitCode": 1}]}]}"#, "executionSuccessful"),
    ])
    func schemaValidatorRejects(text: String, mentions: String) throws {
        let problems = SARIFSchema.validate(try json(text))
        #expect(!problems.isEmpty, "accepted: \(text)")
        #expect(problems.contains { $0.contains(mentions) }, "\(problems)")
    }
}
