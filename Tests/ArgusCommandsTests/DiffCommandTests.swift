import CommandTestSupport
import Foundation
import Testing
import ArgusCommands
import TestSupport

/// Helpers shared by the diff and check tests: modified copies of the example policy.
enum PolicyEdits {
    /// Copies `policy/example` into `dir/name`, applies `edits` (file -> text -> text), returns the copy's path.
    static func copyOfExample(in dir: URL, name: String = "changed", _ edits: [String: (String) throws -> String]) throws -> String {
        let copy = dir.appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: Fixtures.examplePolicyPath, toPath: copy)
        for (file, edit) in edits {
            let path = copy + "/" + file
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let edited = try edit(text)
            #expect(edited != text, "the edit of \(file) changed nothing")
            try edited.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return copy
    }

    /// Replaces `old` once, failing the test when it is not there.
    static func replacing(_ old: String, with new: String) -> (String) throws -> String {
        { text in
            let range = try #require(text.range(of: old), "'\(old)' not found")
            return text.replacingCharacters(in: range, with: new)
        }
    }

    /// The change reviewed in most tests: tenants may always send to the UI (the boolean's rule
    /// made unconditional), uivm and dom0 lose their link, and isolated loses Argo altogether.
    static var reviewedChange: [String: (String) throws -> String] { [
        "modules/argo.te": { text in
            var t = try replacing("""
                if (tenant_argo_to_ui) {
                \tallow tenant_guest uivm_t:argo send;
                } else {
                \t# Expected denials while the boolean is off; keep the log quiet.
                \tdontaudit tenant_guest uivm_t:argo send;
                }
                """, with: "allow tenant_guest uivm_t:argo send;")(text)
            t = try replacing("argo_link(uivm_t, dom0_t)\n", with: "")(t)
            return try replacing("argo_enable(isolated_t)\n", with: "")(t)
        },
    ] }

    /// Paths in outputs made stable for golden files.
    static func stable(_ text: String, tmp: URL) -> String {
        relativePaths(text.replacingOccurrences(of: "file://" + Fixtures.root.path + "/", with: ""))
            .replacingOccurrences(of: tmp.path, with: "<tmp>")
    }
}

@Suite(.serialized) struct DiffCommandTests {
    let policy = Fixtures.examplePolicyPath
    let system = Fixtures.exampleSystemPath
    let flask = Fixtures.flaskDirectory

    @Test func goldenCorpusIsNotEmpty() {
        #expect(Golden.files(under: "diff").count >= 4, "\(Golden.files(under: "diff"))")
    }

    @Test func identicalPoliciesExitZero() {
        let r = runArgus(["diff", policy, policy, "--system", system, "--flask-dir", flask])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("0 added, 0 removed"))
        Golden.expectMatch(relativePaths(r.out), golden: "diff/identical.txt")
    }

    @Test(arguments: ["text", "json", "markdown"])
    func reviewedChangeGolden(format: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let changed = try PolicyEdits.copyOfExample(in: dir, PolicyEdits.reviewedChange)
            let r = runArgus(["diff", policy, changed, "--system", system, "--flask-dir", flask, "--format", format])
            #expect(r.status == 1, "\(r.err)")
            #expect(r.err.isEmpty)
            let ext = ["text": "txt", "json": "json", "markdown": "md"][format]!
            Golden.expectMatch(PolicyEdits.stable(r.out, tmp: dir), golden: "diff/reviewed-change.\(ext)")
        }
    }

    @Test func jsonContractAndReasons() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let changed = try PolicyEdits.copyOfExample(in: dir, PolicyEdits.reviewedChange)
            let r = runArgus(["diff", policy, changed, "--system", system, "--flask-dir", flask, "--format", "json"])
            #expect(r.status == 1)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
            let added = try #require(json["added"] as? [[String: Any]])
            let removed = try #require(json["removed"] as? [[String: Any]])
            func has(_ list: [[String: Any]], _ s: String, _ t: String?, _ f: String) -> [String: Any]? {
                list.first { $0["source"] as? String == s && $0["flow"] as? String == f
                    && (t == nil ? $0["target"] is NSNull : $0["target"] as? String == t) }
            }
            // Exactly the flows the change opens and closes.
            for s in ["a1", "a2", "b1"] {
                for f in ["send", "notify", "channel"] { #expect(has(added, s, "uivm", f) != nil, "\(s) -> uivm \(f) not added") }
            }
            #expect(added.count == 9, "\(added.map { "\($0["source"]!) \($0["target"]!) \($0["flow"]!)" })")
            for (s, t) in [("uivm", "dom0"), ("dom0", "uivm")] {
                for f in ["register_single_source", "send", "notify", "channel"] { #expect(has(removed, s, t, f) != nil, "\(s) -> \(t) \(f)") }
            }
            // A per-domain flow has "target": null (the key is present).
            let isolated = try #require(has(removed, "isolated", nil, "argo"))
            #expect(isolated.keys.contains("target"))
            // Why a1 -> uivm send was gained: the boolean before, the now-unconditional rule after.
            let send = try #require(has(added, "a1", "uivm", "send"))
            let why = try #require(send["why"] as? [[String: Any]])
            #expect(why.count == 1)
            let old = try #require(why[0]["old"] as? [String: Any]), new = try #require(why[0]["new"] as? [String: Any])
            #expect(old["allowed"] as? Bool == false && new["allowed"] as? Bool == true)
            #expect((old["steps"] as? [String] ?? []).contains { $0.contains("tenant_argo_to_ui=false") })
            let newRules = try #require(new["rules"] as? [[String: Any]])
            let location = try #require(newRules.first?["location"] as? [String: Any])
            #expect(location["file"] as? String == changed + "/modules/argo.te")
            let lines = try String(contentsOfFile: changed + "/modules/argo.te", encoding: .utf8).components(separatedBy: "\n")
            let ruleLine = try #require(lines.firstIndex(of: "allow tenant_guest uivm_t:argo send;")) + 1
            #expect(location["line"] as? Int == ruleLine)
            // Why uivm -> dom0 send was lost: the granting rule before, no rule after.
            let lost = try #require(has(removed, "uivm", "dom0", "send")?["why"] as? [[String: Any]])
            let lostOld = try #require(lost.first?["old"] as? [String: Any]), lostNew = try #require(lost.first?["new"] as? [String: Any])
            #expect(((lostOld["rules"] as? [[String: Any]])?.first?["text"] as? String)?.contains("allow uivm_t dom0_t:argo") == true)
            #expect((lostNew["steps"] as? [String] ?? []).contains("no allow rule grants argo { send } from uivm_t to dom0_t"))
            #expect(json["identical"] as? Bool == false)
        }
    }

    @Test func aBooleanFlipIsTheSameOnBothSides() {
        // --bool applies to both policies: no difference, exit 0.
        let r = runArgus(["diff", policy, policy, "--system", system, "--flask-dir", flask, "--bool", "tenant_argo_to_ui=true"])
        #expect(r.status == 0, "\(r.err)")
    }

    /// A copy of the hypervisor definitions with `edit` applied to one of the three files.
    func flaskCopy(in dir: URL, file: String, _ edit: (String) throws -> String) throws -> String {
        let copy = dir.appendingPathComponent("flask-new").path
        try FileManager.default.copyItem(atPath: flask, toPath: copy)
        let text = try String(contentsOfFile: copy + "/" + file, encoding: .utf8)
        let edited = try edit(text)
        #expect(edited != text)
        try edited.write(toFile: copy + "/" + file, atomically: true, encoding: .utf8)
        return copy
    }

    @Test func renamedPermissionInTheDefinitionsIsABreakingDifference() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let newFlask = try flaskCopy(in: dir, file: "access_vectors") { av in
                let argo = try #require(av.range(of: "class argo\n{"))
                let send = try #require(av.range(of: "send", range: argo.upperBound..<av.endIndex))
                return av.replacingCharacters(in: send, with: "sendv")
            }
            let r = runArgus(["diff", policy, policy, "--system", system, "--flask-dir", flask,
                              "--old-flask-dir", flask, "--new-flask-dir", newFlask])
            #expect(r.status == 1, "identical flows, but the hypervisor's argo:send is gone: \(r.out + r.err)")
            #expect(r.out.contains("! permission argo:send renamed to argo:sendv (bit "), "\(r.out)")
            #expect(r.out.contains("flows: 0 added, 0 removed"))
            Golden.expectMatch(PolicyEdits.stable(r.out, tmp: dir), golden: "diff/renamed-permission.txt")
        }
    }

    @Test func reorderedSIDsAndRemovedClassAreReported() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let newFlask = try flaskCopy(in: dir, file: "initial_sids") { text in
                // Swap the first two initial SIDs: both are renumbered.
                var lines = text.components(separatedBy: "\n")
                let sids = lines.indices.filter { lines[$0].hasPrefix("sid ") }
                try #require(sids.count >= 2)
                lines.swapAt(sids[0], sids[1])
                return lines.joined(separator: "\n")
            }
            let r = runArgus(["diff", policy, policy, "--system", system, "--flask-dir", flask, "--old-flask-dir", flask,
                              "--new-flask-dir", newFlask, "--format", "json"])
            #expect(r.status == 1)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
            let defs = try #require(json["definitions"] as? [String: Any])
            let changes = try #require(defs["changes"] as? [[String: Any]])
            #expect(changes.count == 2, "\(changes)")
            #expect(changes.allSatisfy { $0["kind"] as? String == "renumbered" && $0["subject"] as? String == "initial_sid" })
            #expect(defs["breaking"] as? Int == 2)
        }
    }

    @Test func anAddedPermissionIsCompatible() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let newFlask = try flaskCopy(in: dir, file: "access_vectors") { av in
                let argo = try #require(av.range(of: "class argo\n{"))
                let close = try #require(av.range(of: "}", range: argo.upperBound..<av.endIndex))
                return av.replacingCharacters(in: close, with: "    broadcast\n}")
            }
            let r = runArgus(["diff", policy, policy, "--system", system, "--flask-dir", flask,
                              "--old-flask-dir", flask, "--new-flask-dir", newFlask])
            #expect(r.status == 0, "an appended permission breaks nothing: \(r.out + r.err)")
            #expect(r.out.contains("+ permission argo:broadcast added (bit "), "\(r.out)")
            #expect(r.out.contains("0 breaking, 1 compatible"))
        }
    }

    @Test func badInputExitsTwo() throws {
        let half = runArgus(["diff", policy, policy, "--system", system, "--old-flask-dir", flask])
        #expect(half.status == 2)
        #expect(half.err == "option --old-flask-dir: error: needs --new-flask-dir too (the definitions of both sides are compared)\n")
        let missing = runArgus(["diff", policy, "/nonexistent/policy", "--system", system, "--flask-dir", flask])
        #expect(missing.status == 2)
        #expect(missing.err.contains("NEW policy /nonexistent/policy: "), "\(missing.err)")
        #expect(missing.out.isEmpty)
        let bool = runArgus(["diff", policy, policy, "--system", system, "--flask-dir", flask, "--bool", "no_such_bool=true"])
        #expect(bool.status == 2)
        #expect(bool.err.contains("OLD policy \(policy): unknown boolean 'no_such_bool'"), "\(bool.err)")
        try Fixtures.withTemporaryDirectory { dir in
            // The new policy no longer knows a type the inventory uses.
            let changed = try PolicyEdits.copyOfExample(in: dir, ["modules/isolated.te": { text in
                text.replacingOccurrences(of: "isolated_t", with: "lonely_t")
            }, "modules/argo.te": { $0.replacingOccurrences(of: "isolated_t", with: "lonely_t") },
               "policy/initial_sids": { $0.replacingOccurrences(of: "isolated_t", with: "lonely_t") }])
            let r = runArgus(["diff", policy, changed, "--system", system, "--flask-dir", flask])
            #expect(r.status == 2, "\(r.out)")
            #expect(r.err.hasPrefix(system + ":"), "\(r.err)")
            #expect(r.err.contains("NEW policy \(changed): domain 'isolated'"), "\(r.err)")
        }
    }
}
