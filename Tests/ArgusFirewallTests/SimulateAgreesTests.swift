import CommandTestSupport
import Foundation
import TestSupport
import Testing

/// `argus simulate` (the command, with the system file's firewall installed) agrees with
/// `argus audit --services` message for message: every sender sends from every source port a
/// rule names (and one no rule names) to every declared ring, and the ring's owner reads it.
@Suite(.serialized) struct SimulateAgreesTests {
    @Test func simulateAgreesWithTheServicesAudit() throws {
        let policy = OpenXTExample.policyPath, system = OpenXTExample.systemPath
        let audit = runArgus(["audit", policy, "--system", system, "--services", "--format", "json"])
        #expect(audit.status == 0, "\(audit.err)")
        let json = try JSONSerialization.jsonObject(with: Data(audit.out.utf8)) as! [String: Any]
        let services = json["services"] as! [String: Any]
        let rules = (services["firewall"] as! [String: Any])["rules"] as! [[String: Any]]
        // Source ports the rules name ("ACCEPT 4:2222 -> 0:*": the port after the first colon).
        var ports: Set<Int> = [31337]
        for r in rules {
            let source = (r["rule"] as! String).split(separator: " ")[1]
            if let p = Int(source.split(separator: ":")[1]) { ports.insert(p) }
        }
        let senders = (json["domains"] as! [[String: Any]]).map { $0["name"] as! String }
        let rings = services["rings"] as! [[String: Any]]

        // The scenario: every ring registered by its owner, then one message per (sender, ring, port), read at once.
        var steps: [String] = []
        for ring in rings {
            steps.append("  - {op: register, domain: \(ring["domain"]!), aport: \(ring["aport"]!), partner: \(ring["partner"]!), len: 4096}")
        }
        var reads: [Int: (ring: Int, sender: String, port: Int)] = [:]
        for (k, ring) in rings.enumerated() {
            for sender in senders {
                for port in ports.sorted() {
                    steps.append("  - {op: sendv, domain: \(sender), src: {domain: \(sender), aport: \(port)}, dst: {domain: \(ring["domain"]!), aport: \(ring["aport"]!)}, iov: [\"m\"]}")
                    steps.append("  - {op: read, domain: \(ring["domain"]!), aport: \(ring["aport"]!), partner: \(ring["partner"]!)}")
                    reads[steps.count] = (k, sender, port)
                }
            }
        }
        try Fixtures.withTemporaryDirectory { dir in
            let scenario = dir.appendingPathComponent("all.yaml")
            try ("steps:\n" + steps.joined(separator: "\n") + "\n").write(to: scenario, atomically: true, encoding: .utf8)
            let r = runArgus(["simulate", policy, "--system", system, "--scenario", scenario.path, "--trace", "-", "--format", "json"])
            #expect(r.status == 0 || r.status == 1, "\(r.err)")
            var landed: [String: Set<Int>] = [:]   // "sender>ring" -> source ports that landed
            for line in r.out.split(separator: "\n") {
                guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let step = obj["step"] as? Int, let read = reads[step], let messages = obj["messages"] as? [[String: Any]] else { continue }
                for m in messages where m["source_aport"] as? Int == read.port {
                    landed["\(read.sender)>\(read.ring)", default: []].insert(read.port)
                }
            }
            var checked = 0
            for (k, ring) in rings.enumerated() {
                for s in ring["senders"] as! [[String: Any]] {
                    let sender = s["sender"] as! String
                    let got = landed["\(sender)>\(k)"] ?? []
                    #expect((s["lands"] as! Bool) == !got.isEmpty, "\(sender) -> \(ring["domain"]!):\(ring["aport"]!)")
                    #expect((s["every_port"] as! Bool) == (got.count == ports.count), "\(sender) -> \(ring["domain"]!):\(ring["aport"]!) every port")
                    checked += 1
                }
            }
            #expect(checked == rings.count * senders.count)
            #expect(landed.values.contains { !$0.isEmpty })
            // Both answers occur: the comparison is not between two constants.
            let answers = rings.flatMap { ($0["senders"] as! [[String: Any]]).map { $0["lands"] as! Bool } }
            #expect(answers.contains(true) && answers.contains(false))
        }
    }
}
