import XenProfile
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
    let flows: FlowEvaluator
    /// Per type × 2 and per pair × 4: bit 0 some combination has the flow, bit 1 some lacks it.
    var domainSeen: [UInt8]
    var pairSeen: [UInt8]
    var domainWitness: [Int: Exposure.Witness] = [:]
    var pairWitness: [Int: Exposure.Witness] = [:]

    init(_ d: ExposureDecisions) {
        self.d = d
        u = d.universe
        chunks = d.chunks()
        flows = FlowEvaluator(d, chunks: chunks)
        types = u.domainTypes.count
        domainSeen = [UInt8](repeating: 0, count: types * 2)
        pairSeen = [UInt8](repeating: 0, count: types * types * 4)
    }

    mutating func run() {
        let flows = self.flows
        for (ci, chunk) in chunks.enumerated() {
            let argoM = flows.argo[ci], anyM = flows.any[ci]
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
                        // Without Argo on one side no flow exists, whatever the relation.
                        if argoM[i] != chunk.valid { noFlows(cell, chunk) }
                        guard argoM[i] != 0 else { continue }
                        for j in u.contextsOfType[b] {
                            if argoM[j] != chunk.valid { noFlows(cell, chunk) }
                            guard argoM[i] & argoM[j] != 0 else { continue }
                            flows.forEachRelation(i, j, ci) { relations, flows in
                                let w = Exposure.Witness(source: i, target: j, relation: relations[0], setting: chunk.base, mac: false)
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

    /// Some combination of this cell lacks every pair flow (a side without Argo).
    @inline(__always)
    mutating func noFlows(_ cell: Int, _ chunk: ExposureDecisions.Chunk) {
        for k in 0..<4 { pairSeen[cell + k] |= 2 }
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
        let argo = flows.argo, any = flows.any
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

    /// Conditions of the conditional flows of one type pair (nil for the others), in one pass.
    func conditions(cell: Int) -> [ExposureConditions?] {
        let a = cell / types, b = cell % types
        let wanted = (0..<4).map { Self.answer(pairSeen[cell * 4 + $0]) == .conditional }
        let empty = Projection(booleans: d.booleans.relevant.count)
        var seen = [Projection](repeating: empty, count: 4), space = [Projection](repeating: empty, count: 2)
        for (ci, chunk) in chunks.enumerated() {
            for i in u.contextsOfType[a] {
                for j in u.contextsOfType[b] {
                    flows.forEachRelation(i, j, ci) { relations, f in
                        for relation in relations {
                            // space[0]: the flows mac-permissive does not change; space[1]: channel, both settings.
                            space[0].add(i, j, relation, chunk.valid, mac: nil, chunk: chunk, contexts: u.contexts)
                            if wanted[3] {
                                space[1].add(i, j, relation, chunk.valid, mac: false, chunk: chunk, contexts: u.contexts)
                                space[1].add(i, j, relation, chunk.valid, mac: true, chunk: chunk, contexts: u.contexts)
                            }
                            for (k, m) in [f.rss, f.send, f.send].enumerated() where wanted[k] && m != 0 {
                                seen[k].add(i, j, relation, m, mac: nil, chunk: chunk, contexts: u.contexts)
                            }
                            if wanted[3] {
                                if f.channelOff != 0 { seen[3].add(i, j, relation, f.channelOff, mac: false, chunk: chunk, contexts: u.contexts) }
                                if f.channelOn != 0 { seen[3].add(i, j, relation, f.channelOn, mac: true, chunk: chunk, contexts: u.contexts) }
                            }
                        }
                    }
                }
            }
        }
        return (0..<4).map { k in wanted[k] ? describe(seen[k], space[k == 3 ? 1 : 0]) : nil }
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
            let found = conditions(cell: cell)
            for k in 0..<4 {
                let answer = Self.answer(pairSeen[base + k])
                var c = ExposureCell(answer: answer)
                c.conditions = found[k]
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

/// The flows of a pair of contexts, for the settings of one chunk: immutable, so the passes can
/// call it while they update their own state.
struct FlowEvaluator {
    struct Flows { var rss, send, channelOff, channelOn: UInt64 }

    let d: ExposureDecisions
    let chunks: [ExposureDecisions.Chunk]
    /// Per chunk, per context: settings where `enable` is allowed, and `register_any_source` too.
    let argo: [[UInt64]]
    let any: [[UInt64]]

    init(_ d: ExposureDecisions, chunks: [ExposureDecisions.Chunk]) {
        self.d = d
        self.chunks = chunks
        let n = d.sid.count
        argo = chunks.map { chunk in (0..<n).map { d.allowed(d.sid[$0], d.xenSID, d.enable, chunk) } }
        any = zip(chunks, argo).map { chunk, argoM in (0..<n).map { argoM[$0] & d.allowed(d.sid[$0], d.xenSID, d.ras, chunk) } }
    }

    static let unrelatedOnly: [ExposureRelation] = [.unrelated]
    static let anyButSame: [ExposureRelation] = [.unrelated, .sourceIsDeviceModel, .targetIsDeviceModel]
    static let deviceModels: [ExposureRelation] = [.sourceIsDeviceModel, .targetIsDeviceModel]

    /// Calls `body` with the flows of `i` → `j` for each group of relations that give the same
    /// flows: when neither context takes part in a device-model pair with its own target SID,
    /// both device-model relations behave exactly as unrelated domains and are evaluated once.
    @inline(__always)
    func forEachRelation(_ i: Int, _ j: Int, _ ci: Int, _ body: (_ relations: [ExposureRelation], Flows) -> Void) {
        let special = d.hasSpecialDeviceModel[i] || d.hasSpecialDeviceModel[j]
        if let f = evaluate(i, j, .unrelated, ci) { body(special ? Self.unrelatedOnly : Self.anyButSame, f) }
        if i == j, let f = evaluate(i, j, .same, ci) { body([.same], f) }
        if special {
            for relation in Self.deviceModels {
                if let f = evaluate(i, j, relation, ci) { body([relation], f) }
            }
        }
    }


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

}
