import ArgusAnalysis
import ArgusExposure
import ArgusPaths
import Flask
import Foundation

/// Text and JSON for `argus paths` (JSON contracts: docs/PATHS.md).
enum PathsFormatter {
    // MARK: over a system file

    static func text(_ r: InventoryPaths) -> String {
        var out = "Paths from \(r.from) to \(r.to) over \(r.systemPath) under \(r.policyPath) (a hop is a channel)\n"
        let within = r.all ? " of at most \(r.maxHops ?? InventoryPaths.defaultMaxHopsForAll) hops" : r.maxHops.map { " within \($0) hops" } ?? ""
        if !r.found {
            out += "\nno path from \(r.from) to \(r.to)\(within)"
            if let beyond = r.shortestBeyondLimit { out += " (the shortest has \(beyond) hops)" }
            return out + "\n"
        }
        if r.all {
            out += "\nevery simple path\(within): \(r.paths.count)\(r.complete ? "" : " listed, more exist (--limit)")\n"
        } else {
            let hops = r.paths[0].count - 1
            out += "\nshortest: \(hops) hop\(hops == 1 ? "" : "s"); \(r.total.map(String.init) ?? "?") path\(r.total == 1 ? "" : "s")"
            out += r.complete ? "\n" : ", the first \(r.paths.count) listed (--limit)\n"
        }
        for path in r.paths { out += "  " + path.joined(separator: " -> ") + "\n" }
        out += "\nHops (each a channel: the hooks that make it hold, and the rules behind them):\n"
        for hop in r.hops {
            out += AuditRenderer.render(flow: "channel", source: hop.source, target: hop.target, chain: hop.explanation, value: true)
        }
        return out
    }

    struct JSONRule: Encodable {
        var text: String
        var location: String?
        init(_ r: RuleReference) { text = r.text; location = r.location?.description }
    }

    struct JSONHop: Encodable {
        var source: String
        var target: String
        var rules: [JSONRule]
        var explanation: [HookExplanation]
        init(_ h: PathHop) { source = h.source; target = h.target; rules = h.rules.map(JSONRule.init); explanation = h.explanation }
    }

    struct JSONInventory: Encodable {
        var format = "argus-paths/1"
        var policy: String
        var system: String
        var from: String
        var to: String
        var max_hops: Int?
        var all: Bool
        var found: Bool
        var total: Int?
        var complete: Bool
        var shortest_beyond_limit: Int?
        var paths: [[String: [JSONHop]]]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(format, forKey: .format)
            try c.encode(policy, forKey: .policy)
            try c.encode(system, forKey: .system)
            try c.encode(from, forKey: .from)
            try c.encode(to, forKey: .to)
            try c.encode(max_hops, forKey: .max_hops)
            try c.encode(all, forKey: .all)
            try c.encode(found, forKey: .found)
            try c.encode(total, forKey: .total)
            try c.encode(complete, forKey: .complete)
            try c.encode(shortest_beyond_limit, forKey: .shortest_beyond_limit)
            try c.encode(paths, forKey: .paths)
        }

        enum CodingKeys: String, CodingKey {
            case format, policy, system, from, to, max_hops, all, found, total, complete, shortest_beyond_limit, paths
        }
    }

    /// The document with `xen` (an object already rendered) as its first member.
    static func withXen(_ json: String, _ xen: String) -> String {
        json.hasPrefix("{\n") ? "{\n  \"xen\" : " + xen + ",\n" + json.dropFirst(2) : json
    }

    static func json(_ r: InventoryPaths, xen: String) throws -> String {
        let paths = r.paths.map { path in
            ["hops": zip(path, path.dropFirst()).map { JSONHop(r.hop($0, $1)!) }]
        }
        return withXen(try encodeJSON(JSONInventory(
            policy: r.policyPath, system: r.systemPath, from: r.from, to: r.to,
            max_hops: r.all ? r.maxHops ?? InventoryPaths.defaultMaxHopsForAll : r.maxHops, all: r.all, found: r.found,
            total: r.total, complete: r.complete, shortest_beyond_limit: r.shortestBeyondLimit, paths: paths)), xen)
    }

    // MARK: over every valid label

    static func text(_ r: TypePaths) -> String {
        var out = "Paths from \(r.from) to \(r.to) over every valid label of \(r.policyPath) "
        out += "(\(r.contextCount) contexts, \(r.settingCount) boolean setting\(r.settingCount == 1 ? "" : "s"); \(r.exact ? "exact" : "APPROXIMATE: sampled MLS levels or booleans"))\n"
        out += "a hop is a channel between two domains that could exist (or a domain's loopback); one boolean setting and mac-permissive value for the whole chain\n"
        guard let chain = r.chain, let counterexample = r.counterexample else {
            out += "\nno chain of domains from \(r.from) to \(r.to)\(r.maxHops.map { " within \($0) hops" } ?? "")"
            return out + (r.exact ? "\n" : " among the labels and settings considered (not exact)\n")
        }
        out += "\nshortest: \(chain.hops) hop\(chain.hops == 1 ? "" : "s")\(chain.isLoopback ? " (loopback: a domain with itself)" : "")\n"
        let names = chain.names
        for (k, label) in r.labels.enumerated() {
            var line = "  \(names[k]) \(label)"
            if k > 0 {
                let relation = chain.relations[k - 1]
                if relation != .unrelated && relation != .same { line += "  (\(relation.words) of the hop into it)" }
            }
            if chain.isLoopback && k == 1 { continue }
            out += line + "\n"
        }
        out += "  types: " + (chain.isLoopback ? [r.types[0], r.types[0]] : r.types).joined(separator: " -> ") + "\n"
        let settings = r.booleans.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        out += "  booleans: \(settings.isEmpty ? "(none decides an Argo rule)" : settings.joined(separator: ", ")); mac-permissive \(chain.macPermissive ? "on" : "off")\n"
        out += "\nHops (in the counterexample; the hooks that make each hold, and the rules behind them):\n"
        for hop in r.hops {
            out += AuditRenderer.render(flow: "channel", source: hop.source, target: hop.target, chain: hop.explanation, value: true)
        }
        out += "\nCounterexample (a system file `argus audit` confirms):\n\n" + counterexample
        return out
    }

    struct JSONChainDomain: Encodable { var domain: String; var label: String; var type: String }

    struct JSONTypes: Encodable {
        var format = "argus-paths-universe/1"
        var policy: String
        var from: String
        var to: String
        var max_hops: Int?
        var exact: Bool
        var universe: [String: Int]
        var found: Bool
        var hops: Int?
        var loopback: Bool?
        var chain: [JSONChainDomain]?
        var relations: [String]?
        var booleans: [String: Bool]?
        var mac_permissive: Bool?
        var hop_explanations: [JSONHop]?
        var counterexample: String?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(format, forKey: .format)
            try c.encode(policy, forKey: .policy)
            try c.encode(from, forKey: .from)
            try c.encode(to, forKey: .to)
            try c.encode(max_hops, forKey: .max_hops)
            try c.encode(exact, forKey: .exact)
            try c.encode(universe, forKey: .universe)
            try c.encode(found, forKey: .found)
            try c.encodeIfPresent(hops, forKey: .hops)
            try c.encodeIfPresent(loopback, forKey: .loopback)
            try c.encodeIfPresent(chain, forKey: .chain)
            try c.encodeIfPresent(relations, forKey: .relations)
            try c.encodeIfPresent(booleans, forKey: .booleans)
            try c.encodeIfPresent(mac_permissive, forKey: .mac_permissive)
            try c.encodeIfPresent(hop_explanations, forKey: .hop_explanations)
            try c.encodeIfPresent(counterexample, forKey: .counterexample)
        }

        enum CodingKeys: String, CodingKey {
            case format, policy, from, to, max_hops, exact, universe, found, hops, loopback, chain, relations, booleans, mac_permissive,
                 hop_explanations, counterexample
        }
    }

    static func json(_ r: TypePaths, xen: String) throws -> String {
        var doc = JSONTypes(policy: r.policyPath, from: r.from.description, to: r.to.description, max_hops: r.maxHops, exact: r.exact,
                            universe: ["contexts": r.contextCount, "settings": r.settingCount], found: r.found)
        if let chain = r.chain {
            doc.hops = chain.hops
            doc.loopback = chain.isLoopback
            let names = chain.names
            doc.chain = (chain.isLoopback ? [0] : Array(r.labels.indices)).map { JSONChainDomain(domain: names[$0], label: r.labels[$0], type: r.types[$0]) }
            doc.relations = chain.relations.map(\.key)
            doc.booleans = r.booleans
            doc.mac_permissive = chain.macPermissive
            doc.hop_explanations = r.hops.map(JSONHop.init)
            doc.counterexample = r.counterexample
        }
        return withXen(try encodeJSON(doc), xen)
    }
}
