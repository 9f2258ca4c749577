import ArgusAnalysis
import ArgusExposure
import Flask

/// One hop of a path: a channel, with the hooks that make it hold and the rules behind them.
public struct PathHop: Sendable, Equatable {
    public var source: String
    public var target: String
    /// The allowed hooks of the channel's explanation (what `argus query` shows, the denied
    /// alternatives left out: a hop needs a single-source ring or a wildcard ring, not both).
    public var explanation: [HookExplanation]

    /// The deciding policy rules, each once.
    public var rules: [RuleReference] { explanation.flatMap(\.rules).withoutRepeats }
}

/// `argus paths` over a system file: chains of channels from one domain to another.
public struct InventoryPaths: Sendable {
    /// The default hop limit of `--all` (every simple path); the shortest paths have none.
    public static let defaultMaxHopsForAll = 6
    /// Paths listed at most, unless `--limit` says otherwise.
    public static let defaultLimit = 100

    public var policyPath: String
    public var systemPath: String
    public var from: String
    public var to: String
    public var maxHops: Int?
    public var all: Bool
    public var limit: Int
    /// Domain names of each path, first to last.
    public var paths: [[String]]
    /// Shortest paths: how many there are (saturating at Int.max); nil for `--all`.
    public var total: Int?
    /// False when the limit cut the list.
    public var complete: Bool
    /// Every distinct hop of the listed paths, in order of first use.
    public var hops: [PathHop]
    /// Hops of the shortest path when none fits within `maxHops` (nil otherwise).
    public var shortestBeyondLimit: Int?

    public var found: Bool { !paths.isEmpty }

    public init(system: ResolvedSystem, from i: Int, to j: Int, maxHops: Int?, all: Bool, limit: Int) {
        let audit = ArgoAudit(system)
        let graph = ChannelGraph(audit)
        let names = system.domains.map(\.name)
        policyPath = system.policy.origin.path
        systemPath = system.inventory.path
        from = names[i]
        to = names[j]
        self.maxHops = maxHops
        self.all = all
        self.limit = limit
        var nodePaths: [[Int]]
        if all {
            let found = graph.allPaths(from: i, to: j, maxHops: maxHops ?? Self.defaultMaxHopsForAll, limit: limit)
            nodePaths = found.paths
            complete = found.complete
            total = nil
        } else {
            let found = graph.shortestPaths(from: i, to: j, maxHops: maxHops, limit: limit)
            nodePaths = found.paths
            total = found.total
            complete = found.paths.count == found.total
        }
        if nodePaths.isEmpty, let hops = graph.distances(from: i)[j], hops > (all ? maxHops ?? Self.defaultMaxHopsForAll : maxHops ?? Int.max) {
            shortestBeyondLimit = hops
        }
        paths = nodePaths.map { $0.map { names[$0] } }
        let explainer = Explainer(system)
        var seen = Set<[Int]>()
        var hops: [PathHop] = []
        for path in nodePaths {
            for (u, v) in zip(path, path.dropFirst()) where seen.insert([u, v]).inserted {
                precondition(audit.has(.channel, u, v), "paths: a hop that is not a channel (a bug in Argus)")
                hops.append(PathHop(source: names[u], target: names[v], explanation: explainer.explain(flow: "channel", u, v).filter(\.allowed)))
            }
        }
        self.hops = hops
    }

    public func hop(_ source: String, _ target: String) -> PathHop? { hops.first { $0.source == source && $0.target == target } }
}

/// `argus paths` without a system file: the shortest chain of labels from a domain matching one
/// selector to a domain matching another, over the exposure universe, with a counterexample
/// system file that the real audit confirms.
public struct TypePaths {
    public var policyPath: String
    public var from: DomainSelector
    public var to: DomainSelector
    public var maxHops: Int?
    /// False when the universe was sampled (MLS levels or booleans): "no path" is then not a proof.
    public var exact: Bool
    public var contextCount: Int
    public var settingCount: Int
    public var chain: UniverseChain?
    /// Labels of the chain, first to last (one domain per hop end; a loopback repeats its domain).
    public var labels: [String]
    /// Domain types of the chain.
    public var types: [String]
    public var booleans: [String: Bool]
    public var counterexample: String?
    public var hops: [PathHop]

    public var found: Bool { chain != nil }

    public init(table: ExposureFlowTable, from: DomainSelector, to: DomainSelector, maxHops: Int?) throws(InputError) {
        try self.init(paths: UniversePaths(table), from: from, to: to, maxHops: maxHops)
    }

    /// The same over a graph already built (several questions over one policy).
    public init(paths: UniversePaths, from: DomainSelector, to: DomainSelector, maxHops: Int?) throws(InputError) {
        let table = paths.table
        let universe = table.universe
        let policy = table.policy
        let sources = try UniverseSelection.contexts(matching: from, at: SourceLocation(file: "--from"), in: universe, strict: true)
        let targets = try UniverseSelection.contexts(matching: to, at: SourceLocation(file: "--to"), in: universe, strict: true)
        policyPath = policy.origin.path
        self.from = from
        self.to = to
        self.maxHops = maxHops
        exact = table.isExact
        contextCount = table.contextCount
        settingCount = table.booleans.settings.count
        chain = paths.shortestChain(from: sources, to: targets, maxHops: maxHops)
        labels = []
        types = []
        booleans = [:]
        hops = []
        guard let chain else { return }
        let all = universe.contexts.map { policy.string($0) }
        labels = chain.contexts.map { all[$0] }
        types = chain.contexts.map { policy.typeName(universe.contexts[$0].type) }
        booleans = table.booleanValues(setting: chain.setting)
        let title = "A path from \(from) to \(to) of \(chain.hops) hop\(chain.hops == 1 ? "" : "s")"
        let audited = ChainCounterexample(chain, title: title, table: table)
        counterexample = audited.text
        hops = audited.hops
    }
}

/// A chain written as a system file, parsed back and audited: every hop must be a channel there,
/// or Argus has a bug (it traps, as `argus exposure` does).
struct ChainCounterexample {
    var text: String
    var hops: [PathHop]

    init(_ chain: UniverseChain, title: String, table: ExposureFlowTable) {
        let policy = table.policy
        let labels = table.universe.contexts.map { policy.string($0) }
        let booleans = table.booleanValues(setting: chain.setting)
        let text = Exposure.systemFile(title: title, domains: chain.domains(labels: labels), booleans: booleans, macPermissive: chain.macPermissive)
        self.text = text
        let batch = AuditedBatch([text], policy: policy, booleans: booleans)
        let names = chain.names
        let indices = names.map { batch.index(0, $0) }
        hops = zip(zip(names, names.dropFirst()), zip(indices, indices.dropFirst())).map { pair, hop in
            precondition(batch.audit.has(.channel, hop.0, hop.1), "paths: the audit has no channel on a path exposure found (a bug in Argus)\n\(text)")
            return PathHop(source: pair.0, target: pair.1,
                           explanation: batch.strip(batch.explainer.explain(flow: "channel", hop.0, hop.1).filter(\.allowed), 0))
        }
    }
}
