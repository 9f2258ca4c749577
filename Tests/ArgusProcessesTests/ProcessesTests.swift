import ArgusCommands
import CommandTestSupport
import Foundation
import TestSupport
import Testing

/// End to end: a process in a domain (its SELinux policy), the domain to the service's domain
/// (FLASK), the ports (OpenXT's firewall).
@Suite(.serialized) struct ProcessesTests {
    static var policy: String { Fixtures.root.appendingPathComponent("policy/openxt").path }
    static var system: String { Fixtures.root.appendingPathComponent("examples/openxt/system.toml").path }
    static var dom0Policy: String { Fixtures.root.appendingPathComponent("examples/openxt/dom0-selinux/policy.conf").path }
    static var dom0Contexts: String { Fixtures.root.appendingPathComponent("examples/openxt/dom0-selinux/file_contexts").path }

    static func json(_ args: [String]) throws -> [String: Any] {
        let r = runArgus(args)
        #expect(r.status == 0, "\(args): \(r.err)")
        return try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
    }

    @Test(arguments: ["text", "json"])
    func auditProcesses(format: String) {
        let r = runArgus(["audit", Self.policy, "--system", Self.system, "--processes", "--format", format])
        #expect(r.status == 0, "\(r.err)")
        let out = format == "json" ? String(r.out.split(separator: "\n").last { $0.contains("\"processes\"") } ?? "") : r.out
        Golden.expectMatch(relativePaths(out), golden: "services/processes-openxt.\(format == "text" ? "txt" : "json")")
    }

    /// The HTML page's third level: domains, services, processes.
    @Test func htmlHasTheProcessesSection() {
        let r = runArgus(["audit", Self.policy, "--system", Self.system, "--processes", "--format", "html"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("<h2>Services</h2>") && r.out.contains("<h2>Processes</h2>"))
        #expect(r.out.contains("<td>argo_input_sender_t</td><td class=\"yes\""))
        #expect(r.out.contains("<td>xenmgr_t</td><td class=\"no\""))
        #expect(runArgus(["audit", Self.policy, "--system", Self.system, "--processes", "--format", "csv"]).status == 2)
    }

    @Test func queryOneProcess() {
        let yes = runArgus(["query", Self.policy, "--system", Self.system, "--from", "dom0", "--process", "argo_input_sender_t", "--to", "syncvm:2222"])
        #expect(yes.status == 0, "\(yes.err)")
        Golden.expectMatch(relativePaths(yes.out), golden: "services/query-process-sender.txt")
        let no = runArgus(["query", Self.policy, "--system", Self.system, "--from", "dom0", "--process", "xenmgr_t", "--to", "syncvm:2222"])
        #expect(no.status == 1)
        #expect(no.out.contains("0. process: STOP - cannot send"))
        let unknown = runArgus(["query", Self.policy, "--system", Self.system, "--from", "dom0", "--process", "nobody_t", "--to", "syncvm:2222"])
        #expect(unknown.status == 2)
        #expect(unknown.err.contains("'nobody_t' is not a process type of dom0's policy"))
        let noPolicy = runArgus(["query", Self.policy, "--system", Self.system, "--from", "uivm", "--process", "x_t", "--to", "dom0:5555"])
        #expect(noPolicy.status == 2)
    }

    /// The end-to-end answer is the conjunction of the three gates, each read from its own
    /// command: `guest-policy` (process -> device), `audit --services` (domain -> service,
    /// firewall included) and the receiving domain's processes.
    @Test func endToEndIsTheConjunctionOfTheGates() throws {
        let guest = try Self.json(["guest-policy", Self.dom0Policy, "--file-contexts", Self.dom0Contexts, "--format", "json"])
        var sends: [String: Bool] = [:], receives: [String: Bool] = [:]
        for p in guest["processes"] as! [[String: Any]] {
            let devices = p["devices"] as! [[String: Any]]
            let permissive = p["permissive"] as! Bool
            func any(_ needed: Set<String>) -> Bool {
                permissive || devices.contains { needed.isSubset(of: Set($0["allowed"] as! [String])) }
            }
            sends[p["type"] as! String] = any(["open", "ioctl", "write"])
            receives[p["type"] as! String] = any(["open", "ioctl", "read"])
        }
        #expect(sends.values.contains(true) && sends.values.contains(false))
        var seed: UInt64 = 0xe2e
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        let base = try String(contentsOfFile: Self.system, encoding: .utf8)
        try Fixtures.withTemporaryDirectory { dir in
            for round in 0..<8 {
                var text = base.replacingOccurrences(of: "\"dom0-selinux/", with: "\"\(Fixtures.root.path)/examples/openxt/dom0-selinux/")
                // Give dom0's SELinux policy to some service VMs too, and add a raw firewall line.
                for name in ["uivm", "ndvm", "syncvm"] where next(2) == 0 {
                    text = text.replacingOccurrences(of: "name = \"\(name)\"\n", with: "name = \"\(name)\"\nselinux_policy = \"\(Self.dom0Policy)\"\nfile_contexts = \"\(Self.dom0Contexts)\"\n")
                }
                let port = [80, 2222, 5555][next(3)]
                text += "\n[firewall]\nrules = [\"-I \(1 + next(5)) --dom-in \(next(5)) --port-out \(port) -j \(next(2) == 0 ? "ACCEPT" : "REJECT")\"]\n"
                let file = dir.appendingPathComponent("system-\(round).toml")
                try text.write(to: file, atomically: true, encoding: .utf8)

                let audit = try Self.json(["audit", Self.policy, "--system", file.path, "--processes", "--format", "json"])
                let services = audit["services"] as! [String: Any]
                var lands: [String: Bool] = [:]   // "sender>domain:port" (rings for any and for one partner alike)
                var owners: [String] = []
                for ring in services["rings"] as! [[String: Any]] {
                    let name = "\(ring["domain"] as! String):\(ring["aport"] as! Int)"
                    owners.append(name)
                    for s in ring["senders"] as! [[String: Any]] where s["lands"] as! Bool {
                        lands["\(s["sender"] as! String)>\(name)"] = true
                    }
                }
                let withPolicy = Set((audit["processes"] as! [[String: Any]]).map { $0["domain"] as! String })
                for p in audit["processes"] as! [[String: Any]] {
                    let domain = p["domain"] as! String, type = p["process"] as! String
                    let expected = owners.filter { service in
                        let receiver = String(service.split(separator: ":")[0])
                        let receiverOK = !withPolicy.contains(receiver) || receives.values.contains(true)
                        return sends[type]! && lands["\(domain)>\(service)"] == true && receiverOK
                    }
                    #expect(Set(p["reaches"] as! [String]) == Set(expected), "round \(round): \(domain)/\(type)")
                }
            }
        }
    }

    @Test func badGuestPolicyKeysArePlaced() throws {
        try Fixtures.withTemporaryDirectory { dir in
            for (line, message) in [("selinux_policy = \"p.conf\"", "'selinux_policy' needs 'file_contexts'"),
                                    ("file_contexts = \"fc\"", "'file_contexts' and 'argo_devices' need 'selinux_policy'"),
                                    ("argo_devices = [\"dev/argo\"]", "must be an absolute path")] {
                let file = dir.appendingPathComponent("s.toml")
                try "[[domain]]\nname = \"dom0\"\ndomid = 0\nlabel = \"system_u:system_r:dom0_t\"\n\(line)\n".write(to: file, atomically: true, encoding: .utf8)
                let r = runArgus(["audit", Self.policy, "--system", file.path, "--processes"])
                #expect(r.status == 2)
                #expect(r.err.hasPrefix(file.path + ":"), "\(r.err)")
                #expect(r.err.contains(message), "\(r.err)")
            }
            // A policy file that does not exist: one line, exit 2.
            let file = dir.appendingPathComponent("s.toml")
            try "[[domain]]\nname = \"dom0\"\ndomid = 0\nlabel = \"system_u:system_r:dom0_t\"\nselinux_policy = \"missing.conf\"\nfile_contexts = \"fc\"\n"
                .write(to: file, atomically: true, encoding: .utf8)
            let r = runArgus(["audit", Self.policy, "--system", file.path, "--processes"])
            #expect(r.status == 2)
            #expect(r.err.split(separator: "\n").count == 1, "\(r.err)")
        }
    }
}
