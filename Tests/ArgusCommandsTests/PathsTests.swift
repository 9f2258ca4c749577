import ArgoEngine
import CommandTestSupport
import Foundation
import Testing
@testable import ArgusAnalysis
import ArgusPaths
import Flask
import TestSupport
import XenProfile

/// `ChannelGraph` against brute force on small random graphs.
@Suite struct ChannelGraphTests {
    static func randomGraph(_ rng: inout SplitMix64, nodes: Int, density: Int) -> ChannelGraph {
        ChannelGraph(successors: (0..<nodes).map { _ in (0..<nodes).filter { _ in rng.below(100) < density } })
    }

    /// Every simple path (a cycle back to the start when source == target) of 1 ... maxHops hops,
    /// by trying every sequence of distinct nodes.
    static func bruteForce(_ g: ChannelGraph, _ s: Int, _ t: Int, maxHops: Int) -> Set<[Int]> {
        var out = Set<[Int]>()
        func extend(_ path: [Int]) {
            guard path.count - 1 < maxHops else { return }
            for v in 0..<g.count where g.hasEdge(path.last!, v) {
                if v == t { out.insert(path + [v]) }
                if !path.contains(v) && v != t { extend(path + [v]) }
            }
        }
        extend([s])
        return out
    }

    @Test func allPathsIsEverySimplePathOnRandomGraphs() {
        var rng = SplitMix64(seed: 1_010)
        var compared = 0, nonEmpty = 0
        for round in 0..<150 {
            let g = Self.randomGraph(&rng, nodes: 2 + rng.below(6), density: [15, 30, 50, 80][round % 4])
            let maxHops = 1 + rng.below(6)
            for s in 0..<g.count {
                for t in 0..<g.count {
                    let expected = Self.bruteForce(g, s, t, maxHops: maxHops)
                    let found = g.allPaths(from: s, to: t, maxHops: maxHops, limit: 100_000)
                    #expect(found.complete)
                    #expect(found.paths.count == Set(found.paths).count, "a path listed twice")
                    #expect(Set(found.paths) == expected, "\(g.successors) \(s) -> \(t) within \(maxHops)")
                    // Shortest first.
                    #expect(zip(found.paths, found.paths.dropFirst()).allSatisfy { $0.count <= $1.count })
                    compared += 1
                    if !expected.isEmpty { nonEmpty += 1 }
                }
            }
        }
        #expect(compared > 1_000 && nonEmpty > 300, "\(compared) compared, \(nonEmpty) with paths")
    }

    @Test func shortestPathsAreEveryPathOfTheLeastLength() {
        var rng = SplitMix64(seed: 2_020)
        var withPaths = 0
        for round in 0..<150 {
            let g = Self.randomGraph(&rng, nodes: 2 + rng.below(6), density: [20, 35, 60][round % 3])
            for s in 0..<g.count {
                let dist = g.distances(from: s)
                for t in 0..<g.count {
                    let every = Self.bruteForce(g, s, t, maxHops: g.count)
                    let least = every.map(\.count).min()
                    let (paths, total) = g.shortestPaths(from: s, to: t, limit: 100_000)
                    #expect(dist[t] == least.map { $0 - 1 }, "distance \(s) -> \(t) in \(g.successors)")
                    #expect(Set(paths) == Set(every.filter { $0.count == least }), "\(g.successors) \(s) -> \(t)")
                    #expect(total == paths.count)
                    if !paths.isEmpty { withPaths += 1 }
                    // A limit keeps the lexicographically first ones and still counts them all.
                    let one = g.shortestPaths(from: s, to: t, limit: 1)
                    #expect(one.paths == Array(paths.sorted { $0.lexicographicallyPrecedes($1) }.prefix(1)))
                    #expect(one.total == total)
                    // A hop limit below the distance finds nothing.
                    if let d = dist[t], d > 1 { #expect(g.shortestPaths(from: s, to: t, maxHops: d - 1).paths.isEmpty) }
                }
            }
        }
        #expect(withPaths > 300)
    }

    @Test func closureIsReachabilityInOneOrMoreHops() {
        var rng = SplitMix64(seed: 3_030)
        for round in 0..<200 {
            let g = Self.randomGraph(&rng, nodes: 1 + rng.below(70), density: [2, 5, 10, 40][round % 4])
            let closure = g.closure()
            for s in 0..<g.count {
                let expected = (0..<g.count).filter { g.distances(from: s)[$0] != nil }
                #expect(closure[s] == expected, "node \(s) of \(g.successors)")
            }
        }
    }
}

/// `argus paths` over random inventories of the example policy: every hop is a channel of the
/// audit, and no shorter path exists.
@Suite(.serialized) struct InventoryPathsPropertyTests {
    @Test func reportedPathsAreChannelsAndShortest() throws {
        let policy = try Fixtures.examplePolicy()
        let contexts = Differential.validContexts(of: policy)
        var rng = SplitMix64(seed: 20261130)
        var found = 0, multiHop = 0, none = 0
        for _ in 0..<40 {
            let n = 3 + rng.below(9)
            var domains = (0..<n).map { DomainSpec(name: "d\($0)", domid: UInt16($0), label: contexts[rng.below(contexts.count)]) }
            for i in 0..<n where rng.below(5) == 0 {
                let t = rng.below(n)
                if t != i { domains[i].target = "d\(t)" }
            }
            var booleans: [String: Bool] = [:]
            for b in policy.image.booleans where rng.below(2) == 0 { booleans[b.name] = rng.below(2) == 0 }
            let boot = BootSettings(argo: true, macPermissive: rng.below(2) == 0, xsm: .flask, flask: .enforcing)
            let system = try ResolvedSystem(inventory: SystemInventory(boot: boot, domains: domains), policy: policy, booleans: booleans)
            let audit = ArgoAudit(system)
            // Distances by Floyd–Warshall over the audit's channels, independent of ChannelGraph.
            let inf = Int.max / 4
            var dist = [[Int]](repeating: [Int](repeating: inf, count: n), count: n)
            for i in 0..<n { for j in 0..<n where audit.has(.channel, i, j) { dist[i][j] = 1 } }
            for k in 0..<n { for i in 0..<n { for j in 0..<n where dist[i][k] + dist[k][j] < dist[i][j] { dist[i][j] = dist[i][k] + dist[k][j] } } }
            for i in 0..<n {
                for j in 0..<n {
                    let report = InventoryPaths(system: system, from: i, to: j, maxHops: nil, all: false, limit: 1_000)
                    #expect(report.found == (dist[i][j] < inf), "d\(i) -> d\(j)")
                    guard report.found else { none += 1; continue }
                    found += 1
                    for path in report.paths {
                        #expect(path.first == "d\(i)" && path.last == "d\(j)")
                        #expect(path.count - 1 == dist[i][j], "not shortest: \(path)")
                        let inner = i == j ? Array(path.dropLast()) : path
                        #expect(Set(inner).count == inner.count, "not simple: \(path)")
                        for (u, v) in zip(path, path.dropFirst()) {
                            let a = system.index(ofDomain: u)!, b = system.index(ofDomain: v)!
                            #expect(audit.has(.channel, a, b), "\(u) -> \(v) is no channel")
                            let hop = try #require(report.hop(u, v))
                            #expect(hop.explanation.allSatisfy(\.allowed) && !hop.explanation.isEmpty)
                        }
                    }
                    if dist[i][j] > 1 { multiHop += 1 }
                    // --all within the shortest length lists exactly the shortest paths.
                    let every = InventoryPaths(system: system, from: i, to: j, maxHops: dist[i][j], all: true, limit: 100_000)
                    #expect(Set(every.paths) == Set(report.paths))
                }
            }
        }
        #expect(found > 200 && multiHop > 20 && none > 20, "\(found) found, \(multiHop) multi-hop, \(none) none")
    }
}

/// `argus paths` on the example: goldens, exit statuses, bad input.
@Suite(.serialized) struct PathsCommandTests {
    let policy = Fixtures.examplePolicyPath
    let system = Fixtures.exampleSystemPath

    @Test func goldenCorpusIsNotEmpty() {
        #expect(Golden.files(under: "paths").count >= 5, "\(Golden.files(under: "paths"))")
    }

    @Test(arguments: [
        (["--from", "b1", "--to", "a1"], "b1-a1.txt"),
        (["--from", "b1", "--to", "a1", "--format", "json"], "b1-a1.json"),
        (["--from", "b1", "--to", "a1", "--all", "--max-hops", "4"], "b1-a1-all.txt"),
    ])
    func inventoryGoldens(arguments: [String], golden: String) {
        let r = runArgus(["paths", policy, "--system", system] + arguments)
        #expect(r.status == 0, "\(r.err)")
        Golden.expectMatch(relativePaths(r.out), golden: "paths/\(golden)")
    }

    @Test(arguments: [
        (["--from-type", "tenant_b_t", "--to-type", "tenant_a_t"], "types-tenant_b-tenant_a.txt"),
        (["--from", "attr:tenant_guest", "--to", "type:uivm_t", "--format", "json"], "types-tenant_guest-uivm.json"),
    ])
    func universeGoldens(arguments: [String], golden: String) {
        let r = runArgus(["paths", policy, "--xen", "head"] + arguments)
        #expect(r.status == 0, "\(r.err)")
        Golden.expectMatch(relativePaths(r.out), golden: "paths/\(golden)")
    }

    /// Tenant B reaches tenant A's a1 through netvm though no channel joins them: the point of paths.
    @Test func relayThroughTheNetVM() throws {
        let r = runArgus(["paths", policy, "--system", system, "--from", "b1", "--to", "a1", "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(json["found"] as? Bool == true)
        let paths = try #require(json["paths"] as? [[String: Any]])
        let hops = try #require(paths.first?["hops"] as? [[String: Any]])
        #expect(hops.map { "\($0["source"]!)->\($0["target"]!)" } == ["b1->netvm", "netvm->a1"])
        let rules = try #require(hops[0]["rules"] as? [[String: Any]])
        #expect(rules.contains { ($0["location"] as? String)?.contains("modules/argo.te:") == true }, "\(rules)")
        let direct = runArgus(["query", policy, "--system", system, "--from", "b1", "--to", "a1"])
        #expect(direct.status == 1, "b1 -> a1 has no direct channel")
    }

    /// The audit's reach: one hop is the channels, any number of hops their transitive closure
    /// (recomputed here by Floyd–Warshall from the JSON's own pairs), in text and JSON alike.
    @Test func auditReachIsTheClosureOfChannels() throws {
        let r = runArgus(["audit", policy, "--system", system, "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let names = try #require((json["domains"] as? [[String: Any]])?.compactMap { $0["name"] as? String })
        let n = names.count
        var reach = [[Bool]](repeating: [Bool](repeating: false, count: n), count: n)
        for p in try #require(json["pairs"] as? [[String: Any]]) where p["channel"] as? Bool == true {
            reach[names.firstIndex(of: p["source"] as! String)!][names.firstIndex(of: p["target"] as! String)!] = true
        }
        let direct = reach
        for k in 0..<n { for i in 0..<n where reach[i][k] { for j in 0..<n where reach[k][j] { reach[i][j] = true } } }
        let rows = try #require(json["reach"] as? [[String: Any]])
        #expect(rows.map { $0["domain"] as? String } == names)
        var transitiveOnly = 0
        for (i, row) in rows.enumerated() {
            #expect(row["one_hop"] as? [String] == names.indices.filter { direct[i][$0] }.map { names[$0] })
            #expect(row["any_hops"] as? [String] == names.indices.filter { reach[i][$0] }.map { names[$0] })
            transitiveOnly += names.indices.filter { reach[i][$0] && !direct[i][$0] }.count
        }
        #expect(transitiveOnly > 5, "the example has relayed reach (b1 -> netvm -> a1)")
        let text = runArgus(["audit", policy, "--system", system]).out
        #expect(text.contains("\n  b1: 1 hop: dom0, netvm; any: every domain but isolated, stub-a1\n"), "\(text)")
        #expect(text.contains("\n  isolated: 1 hop: none; any: none\n"))
    }

    @Test func noPathIsStatusOne() {
        let r = runArgus(["paths", policy, "--system", system, "--from", "isolated", "--to", "dom0"])
        #expect(r.status == 1)
        #expect(r.out.contains("no path from isolated to dom0"))
        let limited = runArgus(["paths", policy, "--system", system, "--from", "b1", "--to", "a1", "--max-hops", "1"])
        #expect(limited.status == 1)
        #expect(limited.out.contains("no path from b1 to a1 within 1 hops (the shortest has 2 hops)"), "\(limited.out)")
        let types = runArgus(["paths", policy, "--from-type", "isolated_t", "--to-type", "dom0_t", "--xen", "head"])
        #expect(types.status == 1, "\(types.err)")
    }

    @Test(arguments: [
        (["--system", "SYSTEM", "--from", "nosuch", "--to", "dom0"], "SYSTEM: error: unknown domain 'nosuch'"),
        (["--system", "SYSTEM", "--from", "a1", "--to", "dom0", "--max-hops", "0"], "option --max-hops: error: takes 1 to 64, not 0"),
        (["--from", "a1", "--to-type", "dom0_t"], "option --from: error: 'a1' names a domain, and there is no system file: without --system name labels with type:, attr:, role:, user: or *"),
        (["--from", "type:nosuch_t", "--to-type", "dom0_t"], "option --from: error: unknown type 'nosuch_t' in the policy"),
        (["--from", "attr:dom0_t", "--to-type", "dom0_t"], "option --from: error: 'dom0_t' is a type, not an attribute: write type:dom0_t"),
        (["--from", "bogus:x", "--to-type", "dom0_t"], "option --from: error: bad selector 'bogus:x' (expected type:NAME, attr:NAME, role:NAME, user:NAME or *)"),
        (["--from-type", "dom0_t", "--to-type", "dom0_t", "--all"], "option --all: error: needs --system: over every valid label only the shortest chain is given"),
        (["--from-type", "dom0_t"], "option --to: error: needs --to SELECTOR or --to-type TYPE (or --system with domain names)"),
        (["--system", "SYSTEM", "--from", "a1", "--to", "dom0", "--format", "xml"], "option --format: error: unknown format 'xml' (expected text or json)"),
    ])
    func badInputIsOneLineAndStatusTwo(arguments: [String], expected: String) {
        let args = arguments.map { $0 == "SYSTEM" ? system : $0 }
        let r = runArgus(["paths", policy, "--xen", "head"] + args)
        #expect(r.status == 2)
        #expect(r.out.isEmpty)
        #expect(r.err == expected.replacingOccurrences(of: "SYSTEM", with: system) + "\n")
    }
}
