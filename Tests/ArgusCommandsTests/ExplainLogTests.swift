import CommandTestSupport
import Foundation
import Testing
import ArgusAnalysis
import ArgusCommands
import TestSupport

/// `argus explain-log`: the parser on console prefixes and broken lines, explanations of the
/// example log (golden), context mismatches, [[never]] rules and exit statuses.
@Suite struct ExplainLogTests {
    let policy = Fixtures.examplePolicyPath
    let system = Fixtures.exampleSystemPath
    var exampleLog: String { Fixtures.root.appendingPathComponent("examples/logs/example-dmesg.log").path }
    var exampleRules: String { Fixtures.root.appendingPathComponent("examples/logs/never-rules.toml").path }

    func withLog(_ text: String, _ body: (String) throws -> Void) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("console.log").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            try body(path)
        }
    }

    /// Xen before 4.17.0 (6cecffc7a6) named domains `domid=5 target=3` and `domid=0`: the same
    /// records as the newer `source=d5 target=d3` and `current=d0`.
    @Test func olderXenRecordWordingReadsTheSame() {
        let old = AVCLogParser.parse("""
            (XEN) avc:  denied  { send } for domid=5 target=3 scontext=a:b:c tcontext=d:e:f tclass=argo
            (XEN) avc:  denied  { enable } for domid=0 scontext=a:b:c tcontext=x:y:z tclass=argo
            (XEN) avc:  denied  { register_single_source } for domid=4 scontext=a:b:c tcontext=a:b:c tclass=argo

            """, path: "old.log")
        let new = AVCLogParser.parse("""
            (XEN) avc:  denied  { send } for source=d5 target=d3 scontext=a:b:c tcontext=d:e:f tclass=argo
            (XEN) avc:  denied  { enable } for current=d0 scontext=a:b:c tcontext=x:y:z tclass=argo
            (XEN) avc:  denied  { register_single_source } for source=d4 scontext=a:b:c tcontext=a:b:c tclass=argo

            """, path: "new.log")
        #expect(old.records.count == 3 && old.malformed.isEmpty)
        for (a, b) in zip(old.records, new.records) {
            #expect(a.source == b.source && a.target == b.target && a.usesCurrent == b.usesCurrent && a.permissions == b.permissions)
        }
    }

    @Test func parserStripsConsolePrefixesAndSkipsOtherLines() {
        let text = """
            (XEN) [   12.345678] avc:  denied  { send } for source=d5 target=d3 scontext=a:b:c tcontext=d:e:f tclass=argo
            [  101.000001] (XEN) avc:  granted  { enable } for current=d0 scontext=a:b:c tcontext=x:y:z tclass=argo
            avc:  denied  { send } for source=d2 ssid=7 tsid=9 tclass=argo
            (XEN) avc:  denied  { create } for domid=4 scontext=a:b:c tcontext=d:e:f tclass=domain
            (XEN) Xen version 4.19
            (XEN) avc:  denied  { send } for source=d2 target=d1 scontext=a:b:c tcont
            (XEN) avc:  denied  { fly } for source=d2 target=d1 scontext=a:b:c tcontext=d:e:f tclass=argo
            (XEN) avc:  maybe  { send } for source=d2 scontext=a:b:c tcontext=d:e:f tclass=argo

            """
        let log = AVCLogParser.parse(text, path: "console.log")
        #expect(log.records.count == 3)
        #expect(log.records[0].source == .domid(5) && log.records[0].target == .domid(3) && log.records[0].denied)
        #expect(log.records[1].usesCurrent && !log.records[1].denied && log.records[1].permissions == ["enable"])
        #expect(log.records[2].sourceSID == "7" && log.records[2].target == nil)
        #expect(log.otherClasses == ["domain": 1])
        #expect(log.otherLines == 1)
        #expect(log.malformed.map { $0.location.line } == [6, 7, 8])
        #expect(log.malformed.map(\.location.description) == ["console.log:6", "console.log:7", "console.log:8"])
    }

    @Test(arguments: ["text", "json"])
    func exampleLogGolden(format: String) {
        let r = runArgus(["explain-log", policy, "--system", system, exampleLog, "--rules", exampleRules, "--format", format])
        #expect(r.status == 1, "\(r.err)")
        #expect(r.err.isEmpty)
        Golden.expectMatch(relativePaths(r.out), golden: "explain-log/example.\(format == "text" ? "txt" : "json")")
    }

    @Test func exampleLogExplainsEveryKindOfReason() throws {
        let r = runArgus(["explain-log", policy, "--system", system, exampleLog, "--rules", exampleRules, "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let explanations = try #require(json["explanations"] as? [[String: Any]])
        #expect(explanations.count == 7)
        #expect(json["denials"] as? Int == 6 && json["grants"] as? Int == 1)
        #expect((json["malformed"] as? [Any])?.count == 1)
        #expect(explanations.map { $0["hook"] as? String } == [
            "register_any_source", "send", "register_single_source", "send", "register_single_source", "send", "enable",
        ])
        let reasons = explanations.map { ($0["reasons"] as? [String] ?? []).joined(separator: "\n") }
        #expect(reasons[1].contains("constraint: constrain argo"))
        #expect(reasons[3].contains("no rule: no allow rule grants argo { send } from tenant_b_t to tenant_b_t_self"))
        #expect(r.out.contains("\"rule\" : \"allow dm_dom_t xen_t:argo enable;\""))
        #expect(r.out.contains("device models never use Argo"))
        #expect(explanations.allSatisfy { ($0["notes"] as? [String])?.isEmpty == true })
    }

    @Test func booleanGatedDenialNamesTheBoolean() throws {
        let line = "(XEN) [    1.000000] avc:  denied  { send } for source=d3 target=d2 scontext=tenant_a_u:vm_r:tenant_a_t tcontext=system_u:system_r:uivm_t tclass=argo\n"
        try withLog(line) { path in
            let r = runArgus(["explain-log", policy, "--system", system, path])
            #expect(r.status == 1)
            #expect(r.out.contains("why: boolean off: a conditional rule grants it when (tenant_argo_to_ui), but tenant_argo_to_ui=false"), "\(r.out)")
            #expect(r.out.contains("rule: \(Fixtures.examplePolicyPath)/modules/argo.te:"))
            #expect(r.out.contains("smallest rule: allow tenant_a_t uivm_t:argo send;"))
        }
    }

    @Test func contextsThatDisagreeWithTheInventoryAreReported() throws {
        let text = """
            (XEN) avc:  denied  { send } for source=d3 target=d5 scontext=system_u:system_r:tenant_a_t tcontext=tenant_b_u:vm_r:tenant_b_t tclass=argo
            (XEN) avc:  denied  { send } for source=d9 target=d5 scontext=system_u:system_r:tenant_a_t tcontext=tenant_b_u:vm_r:tenant_b_t tclass=argo
            (XEN) avc:  denied  { send } for source=d5 scontext=tenant_b_u:vm_r:tenant_b_t tcontext=tenant_b_u:vm_r:tenant_b_t tclass=argo
            (XEN) avc:  denied  { enable } for current=d7 scontext=system_u:system_r:dm_dom_t tcontext=system_u:system_r:nosuch_t tclass=argo

            """
        try withLog(text) { path in
            let r = runArgus(["explain-log", policy, "--system", system, path])
            #expect(r.status == 1)
            #expect(r.out.contains("note: the log's scontext system_u:system_r:tenant_a_t differs from a1's label in the inventory (tenant_a_u:vm_r:tenant_a_t)"), "\(r.out)")
            #expect(r.out.contains("note: d9 is not in the inventory (by domid)"))
            #expect(r.out.contains("note: the log's tcontext tenant_b_u:vm_r:tenant_b_t differs from the self SID of b1 in the inventory (tenant_b_u:vm_r:tenant_b_t_self)"))
            #expect(r.out.contains("is not a valid context of this policy"))
            #expect(r.out.contains("note: enable is checked against the xen initial SID"))
        }
    }

    @Test func grantsOnlyExitZeroAndUnreadableLogExitsTwo() throws {
        let granted = "(XEN) avc:  granted  { register_any_source } for current=d0 scontext=system_u:system_r:dom0_t tcontext=system_u:system_r:xen_t tclass=argo\nnoise\n"
        try withLog(granted) { path in
            let r = runArgus(["explain-log", policy, "--system", system, path])
            #expect(r.status == 0, "\(r.out)\(r.err)")
            #expect(r.out.hasSuffix("2 lines: 1 argo AVC records (0 denied, 1 granted), 0 other AVC records skipped, 1 other lines skipped, 0 malformed\n"))
        }
        let missing = runArgus(["explain-log", policy, "--system", system, "/nonexistent/console.log"])
        #expect(missing.status == 2)
        #expect(missing.err.contains("/nonexistent/console.log: error:"))
    }

    @Test func rulesFileErrorsNameTheLine() throws {
        // The rules format is the one `argus check` reads; explain-log checks names against the system.
        let cases: [(String, String)] = [
            ("[[never]]\nfrom = \"nosuch\"\nto = \"*\"\nflow = \"send\"\n", ":2:8: error: unknown domain 'nosuch'"),
            ("[[never]]\nfrom = \"*\"\nto = \"*\"\nflow = \"teleport\"\n", ":4:8: error: unknown flow 'teleport'"),
            ("[[never]]\nfrom = \"type:tenant_guest\"\nto = \"*\"\nflow = \"send\"\n", ":2:8: error: 'tenant_guest' is an attribute"),
            ("[[never]]\nfrom = \"*\"\nto = \"*\"\nflow = \"send\"\nwhy = \"x\"\n", ":5:1: error: unknown key 'why'"),
            ("[[must]]\nfrom = \"a1\"\n[[never]]\nto = \"*\"\nflow = \"send\"\n", ":3:1: error: [[never]] needs 'from'"),
            ("[[never]]\nfrom = \"a1\"\nto = \"*\"\nflow = \"send\"\n[[exempt]]\nfrom = \"a1\"\nto = \"b1\"\nflow = \"send\"\nreason = \"\\n\"\n",
             ":9:10: error: 'reason' must have visible text"),
        ]
        for (text, expected) in cases {
            try Fixtures.withTemporaryDirectory { dir in
                let rules = dir.appendingPathComponent("rules.toml").path
                try Data(text.utf8).write(to: URL(fileURLWithPath: rules))
                let r = runArgus(["explain-log", policy, "--system", system, exampleLog, "--rules", rules])
                #expect(r.status == 2, "\(text)")
                #expect(r.err.contains(rules + expected), "\(r.err)")
            }
        }
    }
}
