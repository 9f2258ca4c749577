import ArgusCommands
import CommandTestSupport
import Foundation
import TestSupport
import Testing

/// Goldens for the services outputs on the OpenXT example, and the firewall's input errors.
@Suite(.serialized) struct ServicesGoldenTests {
    let policy = OpenXTExample.policyPath
    let system = OpenXTExample.systemPath

    @Test(arguments: ["text", "json", "csv", "html"])
    func auditServices(format: String) {
        let r = runArgus(["audit", policy, "--system", system, "--services", "--format", format])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.isEmpty, "\(r.err)")
        Golden.expectMatch(relativePaths(r.out), golden: "services/openxt.\(format == "text" ? "txt" : format)")
    }

    @Test func auditServicesFromOneSourcePort() {
        let r = runArgus(["audit", policy, "--system", system, "--services", "--source-port", "2222", "--format", "csv"])
        #expect(r.status == 0, "\(r.err)")
        Golden.expectMatch(relativePaths(r.out), golden: "services/openxt-port-2222.csv")
    }

    /// One service hop by hop: exit 0 when a message lands, 1 when it does not.
    @Test func queryOneService() {
        let lands = runArgus(["query", policy, "--system", system, "--from", "uivm", "--to", "ndvm:5555"])
        #expect(lands.status == 0, "\(lands.err)")
        Golden.expectMatch(relativePaths(lands.out), golden: "services/query-uivm-ndvm-5555.txt")
        let refused = runArgus(["query", policy, "--system", system, "--from", "win7", "--to", "dom0:5555", "--json"])
        #expect(refused.status == 1, "\(refused.err)")
        Golden.expectMatch(relativePaths(refused.out), golden: "services/query-win7-dom0-5555.json")
        let undeclared = runArgus(["query", policy, "--system", system, "--from", "win7", "--to", "dom0:1"])
        #expect(undeclared.status == 2)
        #expect(undeclared.err.contains("dom0 declares no ring at port 1"))
    }

    /// A bad rule names its file, line and column; exit 2, nothing on standard output.
    @Test(arguments: [
        ("argo_firewall_rules = [\"myself => 0\"]", "firewall rule 'myself => 0': expected '->' after the source", 7, 32),
        ("argo_firewall_rules = [\"myself -> 0:99999999999\"]", "does not fit in 32 bits", 7, 37),
        ("argo_firewall_rules = \"myself -> 0\"", "must be an array of strings", 7, 23),
        ("ring = [{ aport = 5, partner = \"nobody\" }]", "unknown ring partner 'nobody'", 7, 9),
        ("ring = [{ aport = 5, partner = \"any\" }, { aport = 5, partner = \"any\" }]", "two rings at port 5", 7, 41),
        ("ring = [{ aport = -1, partner = \"any\" }]", "aport -1 is out of range", 7, 19),
        ("ring = [{ aport = 1, partner = \"any\", size = 100 }]", "ring size 100", 7, 46),
        ("stubdom = \"vm\"", "a domain cannot be its own stub domain", 7, 11),
    ] as [(String, String, Int, Int)])
    func badFirewallInputIsPlaced(line: String, message: String, lineNumber: Int, column: Int) throws {
        try Fixtures.withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("system.toml")
            let text = "[xen]\nflavour = \"openxt\"\n[[domain]]\nname = \"vm\"\ndomid = 1\nlabel = \"system_u:system_r:uivm_t\"\n\(line)\n"
            try text.write(to: file, atomically: true, encoding: .utf8)
            let r = runArgus(["audit", policy, "--system", file.path, "--services"])
            #expect(r.status == 2, "\(r.out)")
            #expect(r.out.isEmpty)
            #expect(r.err.hasPrefix("\(file.path):\(lineNumber):\(column): error: "), "\(r.err)")
            #expect(r.err.contains(message), "\(r.err)")
            #expect(r.err.split(separator: "\n").count == 1)
        }
    }

    @Test func viptablesLinesFromTheSystemFileAndAFile() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let rules = dir.appendingPathComponent("viptables.rules")
            try "# by hand\r\n-A --dom-in 1 --dom-out 0 --port-out 80 -j ACCEPT\r\n\r\nviptables -A -j REJECT\r\n".write(to: rules, atomically: true, encoding: .utf8)
            let file = dir.appendingPathComponent("system.toml")
            let text = """
                [xen]
                flavour = "openxt"
                [boot]
                cmdline = "argo=1,mac-permissive=1"
                [firewall]
                rules = ["-I 1 --dom-in 1 --dom-out 0 --port-out 81 -j ACCEPT"]
                file = "viptables.rules"
                [[domain]]
                name = "dom0"
                domid = 0
                label = "system_u:system_r:dom0_t"
                ring = [{ aport = 80, partner = "any" }, { aport = 81, partner = "any" }, { aport = 82, partner = "any" }]
                [[domain]]
                name = "uivm"
                domid = 1
                label = "system_u:system_r:uivm_t"

                """
            try text.write(to: file, atomically: true, encoding: .utf8)
            let r = runArgus(["audit", policy, "--system", file.path, "--services", "--format", "csv"])
            #expect(r.status == 0, "\(r.err)")
            let rows = r.out.split(separator: "\n").filter { $0.contains(",uivm,") }
            #expect(rows.count == 3)
            #expect(rows[0].hasPrefix("dom0,80,any,uivm,true,true,delivered,,2,ACCEPT 1:* -> 0:80,"), "\(rows[0])")
            #expect(rows[0].contains("viptables.rules:2:1"))
            #expect(rows[1].hasPrefix("dom0,81,any,uivm,true,true,delivered,,1,"), "\(rows[1])")
            #expect(rows[2].hasPrefix("dom0,82,any,uivm,false,false,firewall,EPERM,3,REJECT *:* -> *:*,"), "\(rows[2])")

            // A bad line in the file is placed at its word.
            try "-A --dom-in 1 -j MAYBE\n".write(to: rules, atomically: true, encoding: .utf8)
            let bad = runArgus(["audit", policy, "--system", file.path, "--services"])
            #expect(bad.status == 2)
            #expect(bad.err.hasPrefix("\(rules.path):1:18: error: "), "\(bad.err)")
        }
    }

    /// Rules given to a Xen without the firewall are reported as ignored, not applied.
    @Test func upstreamXenIgnoresTheFirewallAndSaysSo() throws {
        try Fixtures.withTemporaryDirectory { dir in
            let text = try String(contentsOfFile: system, encoding: .utf8).replacingOccurrences(of: "flavour = \"openxt\"", with: "flavour = \"upstream\"")
            let file = dir.appendingPathComponent("system.toml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let r = runArgus(["audit", policy, "--system", file.path, "--services"])
            #expect(r.status == 0, "\(r.err)")
            #expect(r.out.contains("has no firewall (OpenXT's Xen has it): ignored"))
        }
    }
}
