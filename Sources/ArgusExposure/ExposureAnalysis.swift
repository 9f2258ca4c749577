import ArgoEngine
import DecisionTable
import Flask

/// `argus exposure`: what any valid label could reach over Argo, for every boolean setting and
/// every relation two domains can be in. Boot settings assumed: Argo on, FLASK enforcing, and
/// mac-permissive both off and on (it only changes register_any_source and channel).
public enum Exposure {
    /// A combination with a flow: contexts, relation, setting, mac-permissive.
    struct Witness: Hashable {
        var source: Int
        var target: Int?
        var relation: ExposureRelation?
        var setting: Int
        var mac: Bool
    }

    /// Runs the whole analysis; `booleans` fixes some booleans (as `--bool` does).
    public static func analyse(policy: Policy, booleans fixed: [String: Bool] = [:], limits: ExposureLimits = ExposureLimits()) throws(InputError) -> ExposureReport {
        let booleans = try ExposureBooleans(policy: policy, fixed: fixed, limit: limits.maxExactBooleans)
        let universe = ExposureUniverse(policy: policy, evaluator: AccessEvaluator(TypeEnforcement(policy: policy)), limits: limits)
        guard !universe.contexts.isEmpty else { throw InputError("the policy has no valid domain context (no user with a role with a type)", file: policy.origin.path) }
        let decisions = try ExposureDecisions(universe: universe, booleans: booleans)
        var pass = Pass(decisions)
        pass.run()
        return pass.report()
    }
}

/// The two passes over the universe: answers and witnesses, then what the witnesses of
/// conditional answers have in common.
struct Pass {
    let d: ExposureDecisions
    let u: ExposureUniverse
    let chunks: [ExposureDecisions.Chunk]
    let types: Int
    /// Per chunk, per context: settings where `enable` is allowed, and `register_any_source` too.
    var argo: [[UInt64]] = []
    var any: [[UInt64]] = []
    /// Per type × 2 and per pair × 4: bit 0 some combination has the flow, bit 1 some lacks it.
    var domainSeen: [UInt8]
    var pairSeen: [UInt8]
    var domainWitness: [Int: Exposure.Witness] = [:]
    var pairWitness: [Int: Exposure.Witness] = [:]

    init(_ d: ExposureDecisions) {
        self.d = d
        u = d.universe
        chunks = d.chunks()
        types = u.domainTypes.count
        domainSeen = [UInt8](repeating: 0, count: types * 2)
        pairSeen = [UInt8](repeating: 0, count: types * types * 4)
    }

    mutating func run() {
        let n = u.contexts.count
        for (ci, chunk) in chunks.enumerated() {
            var argoM = [UInt64](repeating: 0, count: n), anyM = argoM
            for i in 0..<n {
                argoM[i] = d.allowed(d.sid[i], d.xenSID, d.enable, chunk)
                anyM[i] = argoM[i] & d.allowed(d.sid[i], d.xenSID, d.ras, chunk)
            }
            argo.append(argoM)
            any.append(anyM)
            for a in 0..<types {
                for i in u.contextsOfType[a] {
                    record(domain: a * 2, argoM[i], Exposure.Witness(source: i, setting: chunk.base, mac: false), chunk)
                    record(domain: a * 2 + 1, 0, Exposure.Witness(source: i, setting: chunk.base, mac: false), chunk)
                    record(domain: a * 2 + 1, anyM[i], Exposure.Witness(source: i, setting: chunk.base, mac: true), chunk)
                }
            }
            for a in 0..<types {
                for b in 0..<types {
                    let cell = (a * types + b) * 4
                    for i in u.contextsOfType[a] {
                        for j in u.contextsOfType[b] {
                            for relation in ExposureRelation.allCases {
                                guard let flows = evaluate(i, j, relation, ci) else { continue }
                                let w = Exposure.Witness(source: i, target: j, relation: relation, setting: chunk.base, mac: false)
                                record(pair: cell, flows.rss, w, chunk)
                                record(pair: cell + 1, flows.send, w, chunk)
                                record(pair: cell + 2, flows.send, w, chunk)
                                record(pair: cell + 3, flows.channelOff, w, chunk)
                                var on = w
                                on.mac = true
                                record(pair: cell + 3, flows.channelOn, on, chunk)
                            }
                        }
                    }
                }
            }
        }
    }

    struct Flows { var rss, send, channelOff, channelOn: UInt64 }

    /// The pair flows of contexts `i` → `j` in `relation` for chunk `ci`; nil when the relation cannot exist.
    @inline(__always)
    func evaluate(_ i: Int, _ j: Int, _ relation: ExposureRelation, _ ci: Int) -> Flows? {
        guard let target = d.targetSID(i, j, relation), let back = d.targetSID(j, i, relation.reversed) else { return nil }
        let chunk = chunks[ci]
        let both = argo[ci][i] & argo[ci][j]
        guard both != 0 else { return Flows(rss: 0, send: 0, channelOff: 0, channelOn: 0) }
        let rss = both & d.allowed(d.sid[i], target, d.rss, chunk)
        let send = both & d.allowed(d.sid[i], target, d.send, chunk)
        let reply = both & d.allowed(d.sid[j], back, d.rss, chunk)
        return Flows(rss: rss, send: send, channelOff: send & reply, channelOn: send & (reply | any[ci][j]))
    }

    @inline(__always)
    mutating func record(domain index: Int, _ m: UInt64, _ w: Exposure.Witness, _ chunk: ExposureDecisions.Chunk) {
        if m != 0, domainSeen[index] & 1 == 0 {
            domainSeen[index] |= 1
            var w = w
            w.setting = chunk.base + m.trailingZeroBitCount
            domainWitness[index] = w
        }
        if m != chunk.valid { domainSeen[index] |= 2 }
    }

    @inline(__always)
    mutating func record(pair index: Int, _ m: UInt64, _ w: Exposure.Witness, _ chunk: ExposureDecisions.Chunk) {
        if m != 0, pairSeen[index] & 1 == 0 {
            pairSeen[index] |= 1
            var w = w
            w.setting = chunk.base + m.trailingZeroBitCount
            pairWitness[index] = w
        }
        if m != chunk.valid { pairSeen[index] |= 2 }
    }

    static func answer(_ seen: UInt8) -> ExposureAnswer {
        switch seen & 3 {
        case 1: .always
        case 3: .conditional
        default: .never
        }
    }

    // MARK: second pass: conditions of conditional answers

    /// What a set of combinations covers, dimension by dimension.
    struct Projection {
        var sources = Set<Int>(), targets = Set<Int>()
        var relations = Set<Int>()
        /// Per relevant boolean: bit 0 false seen, bit 1 true seen.
        var booleans: [UInt8]
        var macs: UInt8 = 0
        var differentUser = false, differentRole = false, differentRange = false
        /// (source user, target user) and (source role, target role) pairs.
        var userPairs = Set<UInt64>(), rolePairs = Set<UInt64>()

        init(booleans: Int) { self.booleans = [UInt8](repeating: 0, count: booleans) }

        mutating func add(_ i: Int, _ j: Int?, _ relation: ExposureRelation?, _ m: UInt64, mac: Bool?, chunk: ExposureDecisions.Chunk, contexts: [SecurityContext]) {
            sources.insert(i)
            if let j {
                targets.insert(j)
                let s = contexts[i], t = contexts[j]
                if s.user != t.user { differentUser = true }
                if s.role != t.role { differentRole = true }
                if s.range != t.range { differentRange = true }
                userPairs.insert(UInt64(s.user) << 32 | UInt64(t.user))
                rolePairs.insert(UInt64(s.role) << 32 | UInt64(t.role))
            }
            if let relation { relations.insert(relation.rawValue) }
            for r in booleans.indices {
                if m & chunk.booleanTrue[r] != 0 { booleans[r] |= 2 }
                if m & ~chunk.booleanTrue[r] & chunk.valid != 0 { booleans[r] |= 1 }
            }
            if let mac { macs |= mac ? 2 : 1 }
        }
    }

    func conditions(domain index: Int) -> ExposureConditions {
        let a = index / 2, wildcard = index % 2 == 1
        var seen = Projection(booleans: d.booleans.relevant.count), space = seen
        for (ci, chunk) in chunks.enumerated() {
            for i in u.contextsOfType[a] {
                let m = wildcard ? any[ci][i] : argo[ci][i]
                space.add(i, nil, nil, chunk.valid, mac: wildcard ? true : nil, chunk: chunk, contexts: u.contexts)
                if wildcard { space.add(i, nil, nil, chunk.valid, mac: false, chunk: chunk, contexts: u.contexts) }
                if m != 0 { seen.add(i, nil, nil, m, mac: wildcard ? true : nil, chunk: chunk, contexts: u.contexts) }
            }
        }
        return describe(seen, space)
    }

    func conditions(pair index: Int) -> ExposureConditions {
        let cell = index / 4, flow = index % 4
        let a = cell / types, b = cell % types
        var seen = Projection(booleans: d.booleans.relevant.count), space = seen
        for (ci, chunk) in chunks.enumerated() {
            for i in u.contextsOfType[a] {
                for j in u.contextsOfType[b] {
                    for relation in ExposureRelation.allCases {
                        guard let f = evaluate(i, j, relation, ci) else { continue }
                        let macs: [Bool?] = flow == 3 ? [false, true] : [nil]
                        for mac in macs {
                            space.add(i, j, relation, chunk.valid, mac: mac, chunk: chunk, contexts: u.contexts)
                            let m: UInt64 = switch flow {
                            case 0: f.rss
                            case 1, 2: f.send
                            default: mac == true ? f.channelOn : f.channelOff
                            }
                            if m != 0 { seen.add(i, j, relation, m, mac: mac, chunk: chunk, contexts: u.contexts) }
                        }
                    }
                }
            }
        }
        return describe(seen, space)
    }

    /// Every dimension on which the combinations with the flow cover less than the whole space.
    func describe(_ seen: Projection, _ space: Projection) -> ExposureConditions {
        let policy = u.policy
        var c = ExposureConditions()
        func restrict(_ side: String, _ seenSet: Set<Int>, _ spaceSet: Set<Int>) -> (users: [String]?, roles: [String]?, ranges: [String]?) {
            let ctx = u.contexts
            func names(_ set: Set<Int>, _ f: (SecurityContext) -> String) -> Set<String> { Set(set.map { f(ctx[$0]) }) }
            let parts: [(SecurityContext) -> String] = [
                { policy.userName($0.user) }, { policy.roleName($0.role) },
                { $0.range.map { CounterexampleBuilder.rangeString($0, policy) } ?? "" },
            ]
            var out: [[String]?] = []
            for (k, part) in parts.enumerated() {
                let have = names(seenSet, part), all = names(spaceSet, part)
                guard have != all, !(k == 2 && !policy.image.mls) else { out.append(nil); continue }
                let sorted = have.sorted()
                out.append(sorted)
                let what = ["user", "role", "range"][k]
                let shown = sorted.count > 6 ? sorted.prefix(6).joined(separator: ", ") + " and \(sorted.count - 6) more" : sorted.joined(separator: ", ")
                c.words.append("\(side) \(what) \(sorted.count == 1 ? "is" : "is one of") \(shown)")
            }
            return (out[0], out[1], out[2])
        }
        (c.sourceUsers, c.sourceRoles, c.sourceRanges) = restrict("source", seen.sources, space.sources)
        if !space.targets.isEmpty {
            (c.targetUsers, c.targetRoles, c.targetRanges) = restrict("target", seen.targets, space.targets)
            if !seen.differentUser && space.differentUser { c.sameUser = true; c.words.append("source and target have the same user") }
            if !seen.differentRole && space.differentRole { c.sameRole = true; c.words.append("source and target have the same role") }
            if !seen.differentRange && space.differentRange && policy.image.mls { c.sameRange = true; c.words.append("source and target have the same range") }
            // Pairs that the one-sided conditions do not already say.
            func pairs(_ what: String, _ seenPairs: Set<UInt64>, _ spacePairs: Set<UInt64>, _ name: (UInt32) -> String) -> [String]? {
                let sources = Set(seenPairs.map { $0 >> 32 }), targets = Set(seenPairs.map { $0 & 0xffff_ffff })
                let product = sources.count * targets.count
                guard seenPairs != spacePairs, product != seenPairs.count, seenPairs.count <= 8 else { return nil }
                let list = seenPairs.sorted().map { "\(name(UInt32($0 >> 32))) -> \(name(UInt32($0 & 0xffff_ffff)))" }
                c.words.append("(source, target) \(what)s only \(list.joined(separator: ", "))")
                return list
            }
            if c.sameUser == nil { c.userPairs = pairs("user", seen.userPairs, space.userPairs) { policy.userName($0) } }
            if c.sameRole == nil { c.rolePairs = pairs("role", seen.rolePairs, space.rolePairs) { policy.roleName($0) } }
        }
        if seen.relations != space.relations {
            let rels = seen.relations.sorted().map { ExposureRelation(rawValue: $0)! }
            c.relations = rels.map(\.key)
            c.words.append("only when " + rels.map(\.words).joined(separator: " or "))
        }
        var bools: [String: Bool] = [:]
        for (r, b) in d.booleans.relevant.enumerated() where seen.booleans[r] != space.booleans[r] && seen.booleans[r] != 0 {
            let value = seen.booleans[r] == 2
            bools[policy.booleanName(b)] = value
            c.words.append("\(policy.booleanName(b))=\(value)")
        }
        if !bools.isEmpty { c.booleans = bools }
        if seen.macs != space.macs && seen.macs != 0 {
            c.macPermissive = seen.macs == 2
            c.words.append("argo=mac-permissive \(seen.macs == 2 ? "on" : "off")")
        }
        if c.words.isEmpty {
            c.words.append("only some combinations of labels, relation and booleans (no single condition; see the counterexample)")
        }
        return c
    }

    // MARK: the report

    func report() -> ExposureReport {
        let policy = u.policy
        var builder = CounterexampleBuilder(universe: u, booleans: d.booleans)
        var perDomain: [[ExposureCell]] = []
        for a in 0..<types {
            var row: [ExposureCell] = []
            for k in 0..<2 {
                let index = a * 2 + k
                let answer = Self.answer(domainSeen[index])
                var cell = ExposureCell(answer: answer)
                if answer == .conditional { cell.conditions = conditions(domain: index) }
                if let w = domainWitness[index] {
                    cell.counterexample = builder.add(w, claim: ExposureFlow.perDomain[k])
                }
                row.append(cell)
            }
            perDomain.append(row)
        }
        var pairs: [Int: [ExposureCell]] = [:]
        for cell in 0..<(types * types) {
            let base = cell * 4
            guard (0..<4).contains(where: { pairSeen[base + $0] & 1 != 0 }) else { continue }
            var row: [ExposureCell] = []
            for k in 0..<4 {
                let answer = Self.answer(pairSeen[base + k])
                var c = ExposureCell(answer: answer)
                if answer == .conditional { c.conditions = conditions(pair: base + k) }
                if let w = pairWitness[base + k] { c.counterexample = builder.add(w, claim: ExposureFlow.perPair[k]) }
                row.append(c)
            }
            pairs[cell] = row
        }
        let counterexamples = builder.finish()
        CounterexampleBuilder.verify(counterexamples, policy: policy)
        let relevant = Set(d.booleans.relevant)
        return ExposureReport(
            policyPath: policy.origin.path,
            boot: BootSettings(argo: true, macPermissive: true, xsm: .flask, flask: .enforcing),
            typeNames: u.domainTypes.map { policy.typeName($0) },
            contextCount: u.contexts.count,
            levelMode: u.levelMode,
            levelCount: u.levelCount,
            withoutSelfSID: u.withoutSelfSID,
            booleanMode: d.booleans.mode,
            relevantBooleans: d.booleans.relevant.map { policy.booleanName($0) },
            fixedBooleans: Dictionary(uniqueKeysWithValues: d.booleans.fixed.map { (policy.booleanName($0.key), $0.value) }),
            irrelevantBooleans: policy.image.booleans.filter { !relevant.contains($0.value) && d.booleans.fixed[$0.value] == nil }.map(\.name),
            settingCount: d.booleans.settings.count,
            perDomain: perDomain,
            pairs: pairs,
            counterexamples: counterexamples)
    }
}
