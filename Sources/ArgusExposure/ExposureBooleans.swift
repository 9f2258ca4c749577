import Flask

/// The boolean settings exposure considers: every combination of the booleans that can change
/// an Argo decision (those whose conditionals hold `allow ... :argo` rules), with the others at
/// their defaults or as fixed by `--bool`.
public struct ExposureBooleans: Sendable {
    public enum Mode: String, Sendable, Codable {
        /// Every combination of the relevant booleans.
        case exact
        /// Too many relevant booleans: the defaults, each boolean flipped alone, all true and all
        /// false. Answers are per boolean, not per combination.
        case perBoolean = "per-boolean"
    }

    /// Boolean values (index: value - 1) of each setting considered.
    public let settings: [[Bool]]
    /// Booleans that decide Argo rules and were not fixed, by value.
    public let relevant: [UInt32]
    /// Booleans fixed on the command line.
    public let fixed: [UInt32: Bool]
    public let mode: Mode

    public init(policy: Policy, fixed names: [String: Bool], limit: Int) throws(InputError) {
        let image = policy.image
        var fixed: [UInt32: Bool] = [:]
        for (name, value) in names {
            guard let v = policy.booleanValue(name) else { throw InputError("unknown boolean '\(name)' in the policy", file: policy.origin.path) }
            fixed[v] = value
        }
        self.fixed = fixed
        guard let argo = policy.classValue("argo") else {
            throw InputError("the policy has no class 'argo' (built for a Xen without Argo?)", file: policy.origin.path)
        }
        let domain = policy.classValue("domain")
        var relevant = Set<UInt32>()
        for cond in image.conditionals {
            var matters = false
            for e in cond.trueEntries + cond.falseEntries {
                let entry = image.accessVectors[e]
                if entry.tclass == argo && entry.kind == .allow { matters = true }
                if entry.tclass == domain && [.typeTransition, .typeMember, .typeChange].contains(entry.kind) {
                    throw InputError("conditional type rules on class domain are not supported by exposure (self and target SIDs would depend on booleans)", file: policy.origin.path)
                }
            }
            guard matters else { continue }
            for token in cond.expression { if case .boolean(let b) = token, fixed[b] == nil { relevant.insert(b) } }
        }
        self.relevant = relevant.sorted()
        var base = image.booleans.map(\.state)
        for (v, state) in fixed { base[Int(v) - 1] = state }
        var settings: [[Bool]] = []
        if self.relevant.count <= limit {
            mode = .exact
            for combo in 0..<(1 << self.relevant.count) {
                var s = base
                for (k, b) in self.relevant.enumerated() { s[Int(b) - 1] = combo & (1 << k) != 0 }
                settings.append(s)
            }
        } else {
            mode = .perBoolean
            settings.append(base)
            for b in self.relevant {
                var s = base
                s[Int(b) - 1].toggle()
                settings.append(s)
            }
            for value in [true, false] {
                var s = base
                for b in self.relevant { s[Int(b) - 1] = value }
                settings.append(s)
            }
        }
        self.settings = settings
    }

    /// The `--bool` overrides that give setting `index`: relevant and fixed booleans, by name.
    public func overrides(_ index: Int, policy: Policy) -> [String: Bool] {
        var out: [String: Bool] = [:]
        for b in relevant { out[policy.booleanName(b)] = settings[index][Int(b) - 1] }
        for (b, v) in fixed { out[policy.booleanName(b)] = v }
        return out
    }
}
