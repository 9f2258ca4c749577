import CommandTestSupport
import Foundation
import Testing
import ArgusAnalysis
import ArgusCommands
import TestSupport

/// `argus simulate --generate`: seeded workloads on the example system (small: seconds).
@Suite struct TrafficTests {
    let base = ["simulate", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath, "--generate"]

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func sameSeedGivesByteIdenticalJSON() throws {
        let args = base + ["--seed", "42", "--messages", "20000", "--domains", "24", "--rings-per-domain", "6",
                           "--churn-every", "4000", "--format", "json"]
        let first = runArgus(args), second = runArgus(args)
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out == second.out)
        #expect(first.err.isEmpty, "no progress bar when stderr is not a terminal: \(first.err)")
        let other = runArgus(base + ["--seed", "43", "--messages", "20000", "--domains", "24", "--rings-per-domain", "6",
                                     "--churn-every", "4000", "--format", "json"])
        #expect(other.out != first.out, "another seed gives another workload")
        Golden.expectMatch(first.out, golden: "traffic/example-seed42.json")
    }

    @Test func reportAddsUp() throws {
        let r = runArgus(base + ["--seed", "7", "--messages", "30000", "--domains", "20", "--churn-every", "5000", "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let report = try json(r.out)
        let messages = try #require(report["messages"] as? [String: Any])
        let attempted = try #require(messages["attempted"] as? Int)
        let delivered = try #require(messages["delivered"] as? Int)
        let failures = try #require(messages["failures"] as? [String: Int])
        #expect(attempted == 30000)
        #expect(delivered + failures.values.reduce(0, +) == attempted, "every attempt is delivered or fails: \(messages)")
        #expect(delivered > attempted / 2)
        #expect((messages["read"] as? Int ?? 0) <= delivered)
        let denials = try #require(report["denials"] as? [String: Any])
        let byPair = try #require(denials["by_pair"] as? [[String: Any]])
        let total = byPair.reduce(0) { $0 + ($1["count"] as? Int ?? 0) }
        #expect(total == denials["total"] as? Int)
        #expect(total == (failures["EACCES"] ?? 0), "FLASK refuses with EACCES only")
        // Pairs the audit forbids are among the denials (docs/EXAMPLE-POLICY.md: tenants kept apart).
        let pairs = Set(byPair.map { "\($0["source"]!)->\($0["target"]!)" })
        #expect(pairs.contains("b1->a1") || pairs.contains("a1->b1"), "\(pairs)")
        #expect(!pairs.contains("netvm->a1"), "netvm may send to a1")
        let churn = try #require(report["churn"] as? [String: Int])
        #expect(churn["domains_recreated"] == 5)
        #expect((churn["rings_reregistered"] ?? 0) > 0)
        let rings = try #require(report["rings"] as? [String: Any])
        #expect(rings["registered_at_end"] as? Int == rings["planned"] as? Int, "churned rings come back: \(rings)")
        #expect(report["cloned_domains"] as? Int == 12)
    }

    @Test func pressureShowsOnSmallRings() throws {
        let r = runArgus(base + ["--messages", "5000", "--ring-size", "4032", "--sizes", "1024,2048", "--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        let pressure = try #require(try json(r.out)["pressure"] as? [String: Int])
        #expect((pressure["eagain"] ?? 0) > 0)
        #expect((pressure["space_signals"] ?? 0) > 0, "receivers' notify wakes waiting senders")
    }

    @Test func textSummaryAndBadInput() {
        let r = runArgus(base + ["--messages", "2000"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("generated workload (seed 1): 8 domains"))
        #expect(r.out.contains("denials:"))
        for bad in [["--sizes", "16,x"], ["--rings-per-domain", "129"], ["--ring-size", "100"],
                    ["--sizes", "8192"], ["--domains", "0"], ["--scenario", "x.yaml"]] {
            let b = runArgus(base + bad)
            #expect(b.status == 2, "\(bad): \(b.err)")
            #expect(b.err.contains("error:"), "\(bad): \(b.err)")
        }
        let neither = runArgus(["simulate", Fixtures.examplePolicyPath, "--system", Fixtures.exampleSystemPath])
        #expect(neither.status == 2)
        #expect(neither.err.contains("--generate"))
    }

    @Test func seededRandomIsFixedByItsAlgorithm() {
        var random = SeededRandom(seed: 1)
        let draws = (0..<3).map { _ in random.next() }
        var again = SeededRandom(seed: 1)
        #expect(draws == (0..<3).map { _ in again.next() })
        var bounded = SeededRandom(seed: 9)
        #expect((0..<1000).allSatisfy { _ in bounded.below(7) < 7 })
    }

    @Test func progressBarHonoursColor() {
        let plain = TrafficProgressBar(enabled: true, color: false).line(50, 100)
        #expect(plain.hasPrefix("\r[" + String(repeating: "#", count: 20)))
        #expect(!plain.contains("\u{1B}"))
        #expect(TrafficProgressBar(enabled: true, color: true).line(1, 2).contains("\u{1B}[36m"))
    }

    /// Reports recorded before the send loop drew its messages ahead (the software pipeline):
    /// the same seed must still give the same workload, byte for byte. The small-ring run
    /// makes thousands of EAGAINs (each one a draw outside the plan), the OpenXT run has
    /// firewall rejections; both churn.
    @Test(arguments: [
        ("generate-seed42.json", ["policy/example", "examples/system.toml"],
         ["--seed", "42", "--messages", "20000", "--domains", "24", "--rings-per-domain", "6", "--churn-every", "4000"]),
        ("generate-small-rings.json", ["policy/example", "examples/system.toml"],
         ["--seed", "3", "--messages", "20000", "--ring-size", "4032", "--sizes", "1024,2048", "--churn-every", "3000"]),
        ("generate-openxt.json", ["policy/openxt", "examples/openxt/system.toml"],
         ["--seed", "5", "--messages", "20000", "--domains", "40", "--churn-every", "2500"]),
    ])
    func reportsStayAsRecorded(golden: String, inputs: [String], options: [String]) {
        let root = Fixtures.root
        let r = runArgus(["simulate", root.appendingPathComponent(inputs[0]).path,
                          "--system", root.appendingPathComponent(inputs[1]).path, "--generate"]
                         + options + ["--format", "json"])
        #expect(r.status == 0, "\(r.err)")
        Golden.expectMatch(r.out, golden: "simulate/\(golden)")
    }
}
