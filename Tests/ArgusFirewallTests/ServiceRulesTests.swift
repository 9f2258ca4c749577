import CommandTestSupport
import Foundation
import TestSupport
import Testing

/// `check` rules over services: endpoints with ports, processes, and the `service` flow.
@Suite(.serialized) struct ServiceRulesTests {
    static var rules: String { Fixtures.root.appendingPathComponent("examples/rules/openxt-services.toml").path }

    @Test(arguments: ["text", "sarif"])
    func exampleRules(format: String) {
        let r = runArgus(["check", OpenXTExample.policyPath, "--system", OpenXTExample.systemPath, "--rules", Self.rules,
                          "--today", "2026-11-30", "--format", format])
        #expect(r.status == 1, "\(r.err)")
        Golden.expectMatch(relativePaths(r.out), golden: "services/check-openxt.\(format == "text" ? "txt" : "sarif")")
    }

    /// `never * -> * service` finds exactly the (sender, ring) pairs where `audit --services` says a message lands.
    @Test func neverEverythingEqualsTheServicesAudit() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("all.toml")
            try "[[never]]\nfrom = \"*\"\nto = \"*\"\nflow = \"service\"\n".write(to: file, atomically: true, encoding: .utf8)
            let r = runArgus(["check", OpenXTExample.policyPath, "--system", OpenXTExample.systemPath, "--rules", file.path, "--format", "json"])
            #expect(r.status == 1, "\(r.err)")
            let report = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
            let found = Set((report["violations"] as! [[String: Any]]).map { "\($0["source"]!)>\($0["target"]!)" })
            let audit = runArgus(["audit", OpenXTExample.policyPath, "--system", OpenXTExample.systemPath, "--services", "--format", "json"])
            let services = (try JSONSerialization.jsonObject(with: Data(audit.out.utf8)) as! [String: Any])["services"] as! [String: Any]
            var lands = Set<String>()
            for ring in services["rings"] as! [[String: Any]] {
                for s in ring["senders"] as! [[String: Any]] where s["lands"] as! Bool {
                    lands.insert("\(s["sender"]!)>\(ring["domain"]!):\(ring["aport"]!)")
                }
            }
            #expect(!lands.isEmpty)
            #expect(found == lands)
        }
    }

    @Test(arguments: [
        ("[[never]]\nfrom = \"dom0:80\"\nto = \"uivm\"\nflow = \"send\"\n", 2, "a port in 'from' belongs to flow 'service' only"),
        ("[[never]]\nfrom = \"dom0\"\nto = \"uivm/proc:x_t\"\nflow = \"service\"\n", 3, "belongs to 'from' of flow 'service' only"),
        ("[[never]]\nfrom = \"dom0\"\nto = \"uivm:99999999999\"\nflow = \"service\"\n", 3, "out of range"),
        ("[[never]]\nfrom = \"dom0\"\nto = \"uivm:7\"\nflow = \"service\"\n", 3, "names no ring"),
        ("[[never]]\nfrom = \"dom0/proc:nobody_t\"\nto = \"uivm\"\nflow = \"service\"\n", 2, "has no process type 'nobody_t'"),
        ("[[never]]\nfrom = \"uivm/proc:x_t\"\nto = \"dom0\"\nflow = \"service\"\n", 2, "has no process type 'x_t'"),
    ] as [(String, Int, String)])
    func badServiceRulesArePlaced(text: String, line: Int, message: String) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("r.toml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let r = runArgus(["check", OpenXTExample.policyPath, "--system", OpenXTExample.systemPath, "--rules", file.path])
            #expect(r.status == 2, "\(r.out)")
            #expect(r.err.hasPrefix("\(file.path):\(line):"), "\(r.err)")
            #expect(r.err.contains(message), "\(r.err)")
            #expect(r.out.isEmpty)
        }
    }

    @Test func serviceRulesNeedASystemFile() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("r.toml")
            try "[[never]]\nfrom = \"type:uivm_t\"\nto = \"type:dom0_t:5555\"\nflow = \"service\"\n".write(to: file, atomically: true, encoding: .utf8)
            let r = runArgus(["check", OpenXTExample.policyPath, "--rules", file.path])
            #expect(r.status == 2)
            #expect(r.err.contains("flow 'service' needs --system"), "\(r.err)")
        }
    }
}
