import DecisionTable
import Flask
import Sepol

/// How two domains of an ordered pair (source, target) are related; it decides the SID Xen
/// checks the source against (docs/DECISIONS.md, "Hooks").
public enum ExposureRelation: Int, Sendable, CaseIterable {
    /// Two different domains: the target's own SID.
    case unrelated
    /// One domain acting on itself: its self SID (`type_transition T T:domain`).
    case same
    /// The source is the target's device model: the target SID (`type_transition T DM:domain`).
    case sourceIsDeviceModel
    /// The target is the source's device model: the target's own SID (its reverse uses the target SID).
    case targetIsDeviceModel

    /// The relation seen from the target's side.
    public var reversed: ExposureRelation {
        switch self {
        case .unrelated: .unrelated
        case .same: .same
        case .sourceIsDeviceModel: .targetIsDeviceModel
        case .targetIsDeviceModel: .sourceIsDeviceModel
        }
    }

    /// Stable name used in JSON and CSV.
    public var key: String {
        switch self {
        case .unrelated: "unrelated"
        case .same: "same-domain"
        case .sourceIsDeviceModel: "source-is-device-model"
        case .targetIsDeviceModel: "target-is-device-model"
        }
    }

    public var words: String {
        switch self {
        case .unrelated: "two unrelated domains"
        case .same: "the same domain"
        case .sourceIsDeviceModel: "the source is the target's device model"
        case .targetIsDeviceModel: "the target is the source's device model"
        }
    }
}

/// Argo decisions for every pair of universe contexts under every boolean setting, 64 settings
/// at a time as bit masks.
///
/// A decision is type enforcement (which booleans change) masked by constraints, permissive
/// types and type bounds (which they do not). The constraint part comes from one
/// `DecisionTable` built over the universe for a copy of the policy in which type enforcement
/// allows every Argo permission to every type; the type-enforcement part from the policy's own
/// `allow ... :argo` rules, unconditional ones once and conditional ones per setting. Sources
/// whose type has a bound take libsepol's full path (`AccessEvaluator.compute`) per setting.
struct ExposureDecisions {
    let universe: ExposureUniverse
    let booleans: ExposureBooleans
    let policy: Policy
    /// The constraint table (every Argo permission granted by type enforcement).
    let table: DecisionTable
    let slot: Int
    let argoClass: UInt16
    /// Permission masks: enable, register_single_source, register_any_source, send.
    let enable: UInt32, rss: UInt32, ras: UInt32, send: UInt32
    let sid: [UInt32]
    let selfSID: [UInt32]
    let xenSID: UInt32
    /// Device-model target SIDs that differ from the target's own SID, by `dm * n + target`.
    let deviceModelSID: [Int: UInt32]
    /// (device model, target) pairs whose target SID is not a valid context: Xen refuses them.
    let deviceModelRefused: Set<Int>
    /// Contexts that take part, as device model or target, in a pair whose target SID differs
    /// from the target's own SID or is refused; other pairs' device-model relations behave as unrelated.
    let hasSpecialDeviceModel: [Bool]
    /// Type of each SID in the table (index sid - 1).
    let sidType: [UInt32]
    let sidPermissive: [Bool]
    // Type enforcement over the types in play, by dense index.
    let dense: [Int32]
    let typeCount: Int
    let unconditional: [UInt32]
    let overlayRange: [Int: Range<Int>]
    /// Whether a type pair (dense key) has conditional rules, before looking in `overlayRange`.
    let hasOverlay: [Bool]
    let overlays: [(conditional: Int, onTrue: Bool, data: UInt32)]
    let bounded: [Bool]
    /// Real evaluators per setting, only when some domain type has a bound.
    let evaluators: [AccessEvaluator]

    init(universe: ExposureUniverse, booleans: ExposureBooleans) throws(InputError) {
        self.universe = universe
        self.booleans = booleans
        let policy = universe.policy
        self.policy = policy
        let path = policy.origin.path
        guard let argo = policy.classValue("argo") else { throw InputError("the policy has no class 'argo'", file: path) }
        argoClass = argo
        func mask(_ p: String) throws(InputError) -> UInt32 {
            guard let m = policy.permissionMask(p, inClass: argo) else { throw InputError("class argo in the policy lacks permission '\(p)'", file: path) }
            return m
        }
        enable = try mask("enable"); rss = try mask("register_single_source"); ras = try mask("register_any_source"); send = try mask("send")
        let all = enable | rss | ras | send
        let open = try Self.openTypeEnforcement(policy, argo: argo, permissions: all)
        let evaluator = AccessEvaluator(TypeEnforcement(policy: open))
        let contexts = universe.contexts
        let n = contexts.count
        // Device-model pairs whose target SID can differ from the target's own context.
        var dmPairs: [(deviceModel: SecurityContext, target: SecurityContext)] = []
        var dmKeys: [Int] = []
        var refused = Set<Int>()
        if let domainClass = evaluator.processClass {
            let image = policy.image
            let cls = policy.securityClass(domainClass)
            let anyDefault = cls.defaultUser != 0 || cls.defaultRole != 0 || cls.defaultType != 0 || cls.defaultRange != 0
            var flagged = Set<UInt64>()
            for e in image.accessVectors where e.tclass == domainClass && e.kind == .typeTransition { flagged.insert(UInt64(e.source) << 32 | UInt64(e.target)) }
            for r in image.rangeTransitions where r.tclass == UInt32(domainClass) { flagged.insert(UInt64(r.source) << 32 | UInt64(r.target)) }
            let roleTransitionTypes = Set(image.roleTransitions.filter { $0.tclass == UInt32(domainClass) }.map(\.type))
            let dmTypes = Set(flagged.map { UInt32($0 & 0xffff_ffff) }).union(roleTransitionTypes)
            for i in 0..<n where anyDefault || dmTypes.contains(contexts[i].type) {
                let dm = contexts[i]
                for j in 0..<n {
                    let t = contexts[j]
                    guard anyDefault || roleTransitionTypes.contains(dm.type) || flagged.contains(UInt64(t.type) << 32 | UInt64(dm.type)) else { continue }
                    do {
                        let computed = try evaluator.transition(t, dm, tclass: domainClass)
                        if computed != t { dmPairs.append((dm, t)); dmKeys.append(i * n + j) }
                    } catch {
                        refused.insert(i * n + j)
                    }
                }
            }
        }
        deviceModelRefused = refused
        var special = [Bool](repeating: false, count: n)
        for key in refused.union(dmKeys) { special[key / n] = true; special[key % n] = true }
        hasSpecialDeviceModel = special
        let built: DecisionTable
        do { built = try DecisionTable(evaluator: evaluator, contexts: contexts, deviceModels: dmPairs, classes: ["argo"]) } catch {
            throw InputError(error.description, file: path)
        }
        table = built
        slot = built.slot(of: argo)!
        guard let xen = built.xenSID else { throw InputError("the policy labels no 'xen' initial SID", file: path) }
        xenSID = xen
        sid = contexts.map { built.sid(of: $0)! }
        selfSID = sid.map { built.selfSID(of: $0) }
        var dmSIDs: [Int: UInt32] = [:]
        for (k, key) in dmKeys.enumerated() {
            dmSIDs[key] = built.targetSID(deviceModel: built.sid(of: dmPairs[k].deviceModel)!, target: built.sid(of: dmPairs[k].target)!)
        }
        deviceModelSID = dmSIDs
        sidType = (1...UInt32(built.sids.count)).map { built.context(of: $0)?.type ?? 0 }
        sidPermissive = (1...UInt32(built.sids.count)).map { built.isPermissive($0) }

        // Type enforcement of class argo over the types of every SID in play.
        let image = policy.image
        var denseIndex = [Int32](repeating: -1, count: image.types.count + 1)
        var count = 0
        for t in sidType where t != 0 && denseIndex[Int(t)] < 0 { denseIndex[Int(t)] = Int32(count); count += 1 }
        dense = denseIndex
        typeCount = count
        var covers = [[Int32]](repeating: [], count: image.types.count + 1)
        for (i, keys) in image.typeAttributeMap.enumerated() where i < image.types.count && !image.types[i].isAttribute {
            let d = denseIndex[i + 1]
            guard d >= 0 else { continue }
            for k in keys where Int(k) <= image.types.count { covers[Int(k)].append(d) }
        }
        var base = [UInt32](repeating: 0, count: count * count)
        var conditionalOf = [Int: (Int, Bool)]()
        for (c, cond) in image.conditionals.enumerated() {
            for e in cond.trueEntries { conditionalOf[e] = (c, true) }
            for e in cond.falseEntries { conditionalOf[e] = (c, false) }
        }
        var pending: [Int: [(conditional: Int, onTrue: Bool, data: UInt32)]] = [:]
        for (e, entry) in image.accessVectors.enumerated() where entry.tclass == argo && entry.kind == .allow {
            let sources = covers[Int(entry.source)], targets = covers[Int(entry.target)]
            if let (c, onTrue) = conditionalOf[e] {
                for s in sources { for t in targets { pending[Int(s) * count + Int(t), default: []].append((c, onTrue, entry.data)) } }
            } else {
                for s in sources { for t in targets { base[Int(s) * count + Int(t)] |= entry.data } }
            }
        }
        unconditional = base
        var flat: [(conditional: Int, onTrue: Bool, data: UInt32)] = []
        var ranges: [Int: Range<Int>] = [:]
        for (key, list) in pending {
            ranges[key] = flat.count..<(flat.count + list.count)
            flat += list
        }
        overlays = flat
        overlayRange = ranges
        var flags = [Bool](repeating: false, count: count * count)
        for key in ranges.keys { flags[key] = true }
        hasOverlay = flags
        var isBounded = [Bool](repeating: false, count: image.types.count + 1)
        for t in image.types where t.bounds != 0 { isBounded[Int(t.value)] = true }
        bounded = isBounded
        if contexts.contains(where: { isBounded[Int($0.type)] }) {
            evaluators = booleans.settings.map { setting in
                var overrides: [UInt32: Bool] = [:]
                for (i, v) in setting.enumerated() { overrides[UInt32(i + 1)] = v }
                return AccessEvaluator(TypeEnforcement(policy: policy, booleanOverrides: overrides))
            }
        } else {
            evaluators = []
        }
    }

    /// A copy of the policy in which type enforcement grants every Argo permission between
    /// every pair of types (one attribute over all types, one unconditional rule), so that a
    /// decision table built from it holds exactly what constraints leave.
    static func openTypeEnforcement(_ policy: Policy, argo: UInt16, permissions: UInt32) throws(InputError) -> Policy {
        var image = policy.image
        guard var rule = image.accessVectors.first, var symbol = image.types.first else {
            throw InputError("the policy has no types or no rules", file: policy.origin.path)
        }
        let attribute = UInt32(image.types.count + 1)
        symbol.name = "argus.exposure.every-type"
        symbol.value = attribute
        symbol.isAttribute = true
        symbol.aliases = []
        symbol.bounds = 0
        symbol.permissive = false
        for i in image.types.indices where !image.types[i].isAttribute && i < image.typeAttributeMap.count {
            image.typeAttributeMap[i].append(attribute)
        }
        while image.typeAttributeMap.count < image.types.count { image.typeAttributeMap.append([]) }
        image.types.append(symbol)
        image.typeAttributeMap.append([attribute])
        rule.source = attribute
        rule.target = attribute
        rule.tclass = argo
        rule.kind = .allow
        rule.data = permissions
        rule.conditional = nil
        image.accessVectors.append(rule)
        return Policy(image: image, origin: policy.origin, binary: policy.binary, initialSIDNames: policy.initialSIDNames)
    }

    /// Up to 64 consecutive settings.
    struct Chunk {
        var base: Int
        var count: Int
        var valid: UInt64
        /// Per conditional: the settings in which its expression is true.
        var conditionTrue: [UInt64]
        /// Per relevant boolean: the settings in which it is true.
        var booleanTrue: [UInt64]
    }

    func chunks() -> [Chunk] {
        let settings = booleans.settings
        var out: [Chunk] = []
        var base = 0
        while base < settings.count {
            let count = min(64, settings.count - base)
            let valid: UInt64 = count == 64 ? ~0 : (1 << UInt64(count)) - 1
            var conds = [UInt64](repeating: 0, count: policy.image.conditionals.count)
            for (c, cond) in policy.image.conditionals.enumerated() {
                for k in 0..<count where TypeEnforcement.evaluate(cond.expression, booleans: settings[base + k]) { conds[c] |= 1 << UInt64(k) }
            }
            var bools = [UInt64](repeating: 0, count: booleans.relevant.count)
            for (r, b) in booleans.relevant.enumerated() {
                for k in 0..<count where settings[base + k][Int(b) - 1] { bools[r] |= 1 << UInt64(k) }
            }
            out.append(Chunk(base: base, count: count, valid: valid, conditionTrue: conds, booleanTrue: bools))
            base += count
        }
        return out
    }

    /// The settings of `chunk` in which type enforcement grants `p` from type `s` to type `t`.
    @inline(__always)
    func typeEnforcement(_ s: UInt32, _ t: UInt32, _ p: UInt32, _ chunk: Chunk) -> UInt64 {
        let key = Int(dense[Int(s)]) * typeCount + Int(dense[Int(t)])
        if unconditional[key] & p != 0 { return chunk.valid }
        guard hasOverlay[key], let range = overlayRange[key] else { return 0 }
        var out: UInt64 = 0
        for o in overlays[range] where o.data & p != 0 {
            let truth = chunk.conditionTrue[o.conditional]
            out |= o.onTrue ? truth : ~truth
        }
        return out & chunk.valid
    }

    /// The settings of `chunk` in which Xen (FLASK enforcing) allows `p` from SID `s` to SID `t`.
    @inline(__always)
    func allowed(_ s: UInt32, _ t: UInt32, _ p: UInt32, _ chunk: Chunk) -> UInt64 {
        if sidPermissive[Int(s) - 1] { return chunk.valid }
        let st = sidType[Int(s) - 1]
        if bounded[Int(st)] {
            var out: UInt64 = 0
            let sc = table.context(of: s)!, tc = table.context(of: t)!
            for k in 0..<chunk.count where evaluators[chunk.base + k].compute(sc, tc, tclass: argoClass).allowed & p != 0 {
                out |= 1 << UInt64(k)
            }
            return out
        }
        guard table.decision(s, t, slot: slot).allowed & p != 0 else { return 0 }
        return typeEnforcement(st, sidType[Int(t) - 1], p, chunk)
    }

    /// The SID Xen checks when context `i` acts on context `j` in `relation`; nil when the
    /// relation cannot exist (Xen refuses the device-model target SID).
    @inline(__always)
    func targetSID(_ i: Int, _ j: Int, _ relation: ExposureRelation) -> UInt32? {
        let n = sid.count
        switch relation {
        case .unrelated: return sid[j]
        case .same: return i == j ? selfSID[i] : nil
        case .sourceIsDeviceModel:
            if deviceModelRefused.contains(i * n + j) { return nil }
            return deviceModelSID[i * n + j] ?? sid[j]
        case .targetIsDeviceModel:
            return deviceModelRefused.contains(j * n + i) ? nil : sid[j]
        }
    }
}
