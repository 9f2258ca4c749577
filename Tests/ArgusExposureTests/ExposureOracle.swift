import Flask
import Sepol
import TestSupport

/// Exposure recomputed from libsepol alone over an explicit enumeration: every user × role
/// (object_r aside) × type × range string that libsepol accepts and whose self SID it can
/// compute, every boolean setting, every relation, mac-permissive off and on.
struct OracleExposure {
    /// Bit 0: some combination has the flow; bit 1: some lacks it.
    var seen: [String: UInt8] = [:]
    /// Per flow key, per boolean name: bit 0 a witness had it false, bit 1 true.
    var witnessBooleans: [String: [String: UInt8]] = [:]
    var witnessRelations: [String: Set<String>] = [:]
    var contexts: [String] = []

    static func key(_ flow: String, _ s: String, _ t: String?) -> String { "\(flow) \(s) \(t ?? "-")" }

    /// Every level string: each sensitivity with each subset of its categories.
    static func levels(_ policy: Policy) -> [String] {
        var out: [String] = []
        for s in policy.image.sensitivities {
            let cats = s.categories.sorted()
            for subset in 0..<(1 << cats.count) {
                let chosen = cats.indices.filter { subset & (1 << $0) != 0 }.map { policy.categoryName(cats[$0]) }
                out.append(chosen.isEmpty ? s.name : s.name + ":" + chosen.joined(separator: ","))
            }
        }
        return out
    }

    init(policy: Policy) throws {
        let image = policy.image
        let argo = policy.classValue("argo")!, domainClass = policy.classValue("domain")!
        let bit = { (p: String) in policy.permissionMask(p, inClass: argo)! }
        var ranges: [String?] = [nil]
        if image.mls {
            let levels = Self.levels(policy)
            ranges = levels.flatMap { low in levels.map { high in low == high ? low : low + "-" + high } }
        }
        try SepolOracle.with(policy: policy.binary) { oracle in
            var sids: [UInt32] = []
            var typeOf: [String] = []
            var userOf: [String] = []
            for user in image.users {
                for role in image.roles where role.value != 1 {
                    for type in image.types where !type.isAttribute {
                        for range in ranges {
                            let text = "\(user.name):\(role.name):\(type.name)" + (range.map { ":" + $0 } ?? "")
                            guard let sid = oracle.sid(for: text),
                                  oracle.transition(source: sid, target: sid, tclass: domainClass) != nil else { continue }
                            contexts.append(oracle.context(of: sid)!)
                            sids.append(sid)
                            typeOf.append(type.name)
                            userOf.append(user.name)
                        }
                    }
                }
            }
            let xen = policy.initialSID(named: "xen")!.number
            let n = sids.count
            var selfSID = [UInt32](repeating: 0, count: n)
            var dmSID: [Int: UInt32?] = [:]
            for i in 0..<n {
                selfSID[i] = oracle.transition(source: sids[i], target: sids[i], tclass: domainClass)!
                for j in 0..<n { dmSID[i * n + j] = oracle.transition(source: sids[j], target: sids[i], tclass: domainClass) }
            }
            let permissive = sids.map { sid in policy.type(try! policy.context(oracle.context(of: sid)!).type).permissive }
            func target(_ i: Int, _ j: Int, _ relation: Int) -> UInt32?? {
                switch relation {
                case 0: return .some(sids[j])
                case 1: return i == j ? .some(selfSID[i]) : .none
                case 2: return dmSID[i * n + j]!.map { .some($0) } ?? .none
                default: return dmSID[j * n + i]! == nil ? .none : .some(sids[j])
                }
            }
            let reversed = [0, 1, 3, 2]
            let relationKeys = ["unrelated", "same-domain", "source-is-device-model", "target-is-device-model"]
            let booleanCount = image.booleans.count
            for setting in 0..<(1 << booleanCount) {
                var values: [String: Bool] = [:]
                for b in image.booleans {
                    let v = setting & (1 << (Int(b.value) - 1)) != 0
                    _ = oracle.setBoolean(b.value, to: v)
                    values[b.name] = v
                }
                func allowed(_ s: Int, _ t: UInt32, _ p: String) -> Bool {
                    permissive[s] || oracle.computeAV(source: sids[s], target: t, tclass: argo)!.allowed & bit(p) != 0
                }
                func note(_ key: String, _ value: Bool, relation: Int?) {
                    seen[key, default: 0] |= value ? 1 : 2
                    guard value else { return }
                    for (name, v) in values { witnessBooleans[key, default: [:]][name, default: 0] |= v ? 2 : 1 }
                    if let relation { witnessRelations[key, default: []].insert(relationKeys[relation]) }
                }
                let hasArgo = (0..<n).map { allowed($0, xen, "enable") }
                let any = (0..<n).map { hasArgo[$0] && allowed($0, xen, "register_any_source") }
                for i in 0..<n {
                    note(Self.key("argo", typeOf[i], nil), hasArgo[i], relation: nil)
                    note(Self.key("register_any_source", typeOf[i], nil), any[i], relation: nil)
                    note(Self.key("register_any_source", typeOf[i], nil), false, relation: nil)
                }
                for i in 0..<n {
                    for j in 0..<n {
                        for relation in 0..<4 {
                            guard case .some(let t?) = target(i, j, relation), case .some(let back?) = target(j, i, reversed[relation]) else { continue }
                            let both = hasArgo[i] && hasArgo[j]
                            let rss = both && allowed(i, t, "register_single_source")
                            let send = both && allowed(i, t, "send")
                            let reply = both && allowed(j, back, "register_single_source")
                            let (a, b) = (typeOf[i], typeOf[j])
                            note(Self.key("register_single_source", a, b), rss, relation: relation)
                            note(Self.key("send", a, b), send, relation: relation)
                            note(Self.key("notify", a, b), send, relation: relation)
                            note(Self.key("channel", a, b), send && reply, relation: relation)
                            note(Self.key("channel", a, b), send && (reply || any[j]), relation: relation)
                        }
                    }
                }
            }
            _ = userOf
        }
    }

    func answer(_ flow: String, _ s: String, _ t: String?) -> String {
        switch seen[Self.key(flow, s, t)] ?? 2 {
        case 1: "always"
        case 3: "conditional"
        default: "never"
        }
    }
}
