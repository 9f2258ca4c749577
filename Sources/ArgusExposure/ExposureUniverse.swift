import DecisionTable
import Flask

/// Limits past which exposure stops enumerating exactly and says so in its report.
public struct ExposureLimits: Sendable, Equatable {
    /// MLS levels (every sensitivity with every subset of its categories) enumerated exactly.
    public var maxLevels = 1 << 20
    /// Domain contexts enumerated exactly; past this, ranges are built from the named levels only.
    public var maxExactContexts = 4_096
    /// Relevant booleans enumerated in every combination; past this, one boolean at a time.
    public var maxExactBooleans = 16
    public init() {}
}

/// Every context a domain can carry under a policy: users × their roles × each role's types
/// (object_r left out: see docs/EXPOSURE.md), × ranges within the user's range under MLS.
/// Each context is valid as `policydb_context_isvalid` has it, and Xen can compute its self SID
/// (`type_transition T T:domain`), without which it refuses to create the domain.
public struct ExposureUniverse: Sendable {
    public enum LevelMode: String, Sendable, Codable {
        /// The policy has no MLS.
        case off
        /// Every level the policy can express was enumerated.
        case exact
        /// Too many levels: ranges over the levels the policy names (users' levels and ranges,
        /// range transitions, initial SIDs, each sensitivity bare and with all its categories).
        case named = "named-levels"
        /// Still too many: only the ranges the policy names (users' ranges, range transitions,
        /// initial SIDs) and every named level as a single-level range.
        case namedRanges = "named-ranges"
    }

    public let policy: Policy
    /// Contexts ordered by type name, then user, role and range.
    public let contexts: [SecurityContext]
    /// Domain types (types some context carries), by name.
    public let domainTypes: [UInt32]
    /// Indices into `contexts`, per position in `domainTypes`.
    public let contextsOfType: [[Int]]
    public let levelMode: LevelMode
    /// Levels the ranges were built from (0 without MLS).
    public let levelCount: Int
    /// Valid contexts left out because their self SID is not a valid context.
    public let withoutSelfSID: [String]

    public init(policy: Policy, evaluator: AccessEvaluator, limits: ExposureLimits = ExposureLimits()) {
        self.policy = policy
        let image = policy.image
        // (user, role, type) triples: the user authorised for the role, the type for the role.
        var triples: [(user: UInt32, role: UInt32, type: UInt32)] = []
        for user in image.users {
            for role in user.roles where role != 1 && Int(role) <= image.roles.count {
                for type in image.roles[Int(role) - 1].types where Int(type) <= image.types.count && !policy.type(type).isAttribute {
                    triples.append((user.value, role, type))
                }
            }
        }
        var mode = LevelMode.off
        var rangesOfUser: [UInt32: [MLSRange]] = [:]
        var levelCount = 0
        if image.mls {
            let perUser = Dictionary(grouping: triples, by: \.user).mapValues(\.count)
            if let all = Self.allLevels(policy, limit: limits.maxLevels),
               let ranges = Self.ranges(policy, levels: all, users: perUser, contextLimit: limits.maxExactContexts) {
                mode = .exact
                rangesOfUser = ranges
                levelCount = all.count
            } else {
                let named = Self.namedLevels(policy)
                levelCount = named.count
                if let ranges = Self.ranges(policy, levels: named, users: perUser, contextLimit: limits.maxExactContexts) {
                    mode = .named
                    rangesOfUser = ranges
                } else {
                    mode = .namedRanges
                    rangesOfUser = Self.namedRanges(policy, levels: named, users: Array(perUser.keys))
                }
            }
        }
        levelMode = mode
        self.levelCount = levelCount
        var candidates: [SecurityContext] = []
        for t in triples {
            if image.mls {
                for r in rangesOfUser[t.user] ?? [] { candidates.append(SecurityContext(user: t.user, role: t.role, type: t.type, range: r)) }
            } else {
                candidates.append(SecurityContext(user: t.user, role: t.role, type: t.type, range: nil))
            }
        }
        var kept: [SecurityContext] = []
        var dropped: [String] = []
        if let domainClass = evaluator.processClass {
            for c in candidates {
                do { _ = try evaluator.transition(c, c, tclass: domainClass); kept.append(c) } catch { dropped.append(policy.string(c)) }
            }
        } else {
            kept = candidates
        }
        // By type name, then user, role and the printed context (computed once per context).
        let keys = kept.map { (policy.typeName($0.type), $0.user, $0.role, policy.string($0)) }
        let order = kept.indices.sorted { a, b in
            let ka = keys[a], kb = keys[b]
            if ka.0 != kb.0 { return ka.0 < kb.0 }
            if ka.1 != kb.1 { return ka.1 < kb.1 }
            if ka.2 != kb.2 { return ka.2 < kb.2 }
            return ka.3 < kb.3
        }
        kept = order.map { kept[$0] }
        contexts = kept
        withoutSelfSID = dropped.sorted()
        var types: [UInt32] = []
        var groups: [[Int]] = []
        for (i, c) in kept.enumerated() {
            if types.last != c.type { types.append(c.type); groups.append([]) }
            groups[groups.count - 1].append(i)
        }
        domainTypes = types
        contextsOfType = groups
    }

    /// Every level: each sensitivity with every subset of the categories allowed at it; nil past `limit`.
    static func allLevels(_ policy: Policy, limit: Int) -> [MLSLevel]? {
        var count = 0
        for s in policy.image.sensitivities {
            guard s.categories.count < 40 else { return nil }
            count += 1 << s.categories.count
            if count > limit { return nil }
        }
        var out: [MLSLevel] = []
        for s in policy.image.sensitivities {
            let cats = s.categories.sorted()
            for subset in 0..<(1 << cats.count) {
                let chosen = cats.indices.filter { subset & (1 << $0) != 0 }.map { cats[$0] }
                out.append(MLSLevel(sensitivity: s.value, categories: chosen))
            }
        }
        return out
    }

    /// The levels the policy names.
    static func namedLevels(_ policy: Policy) -> [MLSLevel] {
        let image = policy.image
        var set = Set<MLSLevel>()
        for u in image.users {
            if let l = u.defaultLevel { set.insert(l) }
            if let r = u.range { set.insert(r.low); set.insert(r.high) }
        }
        for r in image.rangeTransitions { set.insert(r.range.low); set.insert(r.range.high) }
        for sid in image.initialSIDs { if let r = sid.context.range { set.insert(r.low); set.insert(r.high) } }
        for s in image.sensitivities {
            set.insert(MLSLevel(sensitivity: s.value, categories: []))
            set.insert(MLSLevel(sensitivity: s.value, categories: s.categories.sorted()))
        }
        return set.sorted { a, b in
            a.sensitivity != b.sensitivity ? a.sensitivity < b.sensitivity
                : a.categories.count != b.categories.count ? a.categories.count < b.categories.count
                : a.categories.lexicographicallyPrecedes(b.categories)
        }
    }

    /// The ranges the policy names and every named level as a single-level range, kept inside
    /// each user's range.
    static func namedRanges(_ policy: Policy, levels: [MLSLevel], users: [UInt32]) -> [UInt32: [MLSRange]] {
        let image = policy.image
        var named = Set<MLSRange>(levels.map { MLSRange(low: $0, high: $0) })
        for u in image.users {
            if let r = u.range { named.insert(r) }
            if let l = u.defaultLevel { named.insert(MLSRange(low: l, high: l)) }
        }
        for r in image.rangeTransitions { named.insert(r.range) }
        for sid in image.initialSIDs { if let r = sid.context.range { named.insert(r) } }
        let valid = named.filter { $0.high.dominates($0.low) }
        var out: [UInt32: [MLSRange]] = [:]
        for user in users {
            guard let ur = image.users[Int(user) - 1].range else { continue }
            out[user] = valid.filter { ur.contains($0) }.sorted { policy.string($0.low) + "-" + policy.string($0.high) < policy.string($1.low) + "-" + policy.string($1.high) }
        }
        return out
    }

    /// Ranges (low, high) over `levels` with high dominating low, inside each user's range;
    /// nil when the contexts they give (ranges × the user's role/type pairs) pass `contextLimit`.
    static func ranges(_ policy: Policy, levels: [MLSLevel], users: [UInt32: Int], contextLimit: Int) -> [UInt32: [MLSRange]]? {
        var out: [UInt32: [MLSRange]] = [:]
        var total = 0
        for (user, combos) in users.sorted(by: { $0.key < $1.key }) {
            guard let ur = policy.image.users[Int(user) - 1].range else { continue }
            let inside = levels.filter { $0.dominates(ur.low) && ur.high.dominates($0) }
            // Each level inside gives at least the range (l, l): past the limit, stop before the
            // quadratic search for pairs.
            if inside.count * combos > contextLimit { return nil }
            var list: [MLSRange] = []
            for low in inside {
                for high in inside where high.dominates(low) {
                    list.append(MLSRange(low: low, high: high))
                    total += combos
                    if total > contextLimit { return nil }
                }
            }
            out[user] = list
        }
        return out
    }

    /// Position of a type in `domainTypes`.
    public func index(ofType type: UInt32) -> Int? { domainTypes.firstIndex(of: type) }
}
