import Flask

/// The `[[never]]` rules of a rules file: flows that must never be allowed.
///
/// The file is the one `argus check` reads (docs/CHECK-RULES.md): `[[never]]`, `[[must]]`
/// and `[[exempt]]` tables, parsed by `CheckRulesFile`; explain-log uses the `[[never]]` ones.
public struct NeverRules: Sendable {
    public struct Rule: Sendable {
        public var from: DomainSelector
        /// nil for the flows of one domain (`argo`, `register_any_source`).
        public var to: DomainSelector?
        public var flow: AuditFlowName
        public var reason: String?
        public var location: SourceLocation

        /// "never from a to b flow send", as the report prints it.
        public var description: String {
            "never from \(from)" + (to.map { " to \($0)" } ?? "") + " flow \(flow.rawValue)"
        }
    }

    public var rules: [Rule]

    public init(rules: [Rule]) { self.rules = rules }

    /// Reads `path`, checking every selector of a `[[never]]` rule against the inventory
    /// and the policy (unknown names are errors at their line).
    public static func load(_ path: String, system: ResolvedSystem) throws(InputError) -> NeverRules {
        let file = try CheckRulesFile.load(path)
        var rules: [Rule] = []
        // A path rule is about chains of channels, which one log record cannot break alone; a
        // service rule about ports, which AVC records do not carry.
        for rule in file.rules where rule.kind == .never && rule.flow != .path && rule.flow != .service {
            _ = try PolicyCheck.domains(matching: rule.from, at: rule.fromLocation, in: system, strict: false)
            if let to = rule.to, let at = rule.toLocation {
                _ = try PolicyCheck.domains(matching: to, at: at, in: system, strict: false)
            }
            rules.append(Rule(from: rule.from, to: rule.to, flow: rule.flow, reason: rule.reason, location: rule.location))
        }
        return NeverRules(rules: rules)
    }

    /// Does `selector` cover a domain of type `type` (or the named domain `domain`)?
    static func matches(_ selector: DomainSelector, type: UInt32, domain: Int?, system: ResolvedSystem) -> Bool {
        let policy = system.policy
        switch selector {
        case .any: return true
        case .type(let name): return policy.typeValue(name) == type
        case .attribute(let name):
            guard let a = policy.typeValue(name) else { return false }
            return policy.image.typeAttributeMap[Int(type) - 1].contains(a)
        case .domain(let name):
            guard let k = system.index(ofDomain: name) else { return false }
            if k == domain { return true }
            return system.table.context(of: system.sids[k])?.type == type
        case .role(let name):
            guard let domain, let r = policy.roleValue(name) else { return false }
            return system.table.context(of: system.sids[domain])?.role == r
        case .user(let name):
            guard let domain, let u = policy.userValue(name) else { return false }
            return system.table.context(of: system.sids[domain])?.user == u
        }
    }

    /// The rules that `allow stype ttype:argo permission;` would break. `sourceDomain` and
    /// `targetDomain` are the domains of the log record, when known.
    func broken(
        by permission: ArgoPermission, source stype: UInt32, target ttype: UInt32,
        sourceDomain: Int?, targetDomain: Int?, system: ResolvedSystem
    ) -> [Rule] {
        func src(_ r: Rule) -> Bool { Self.matches(r.from, type: stype, domain: sourceDomain, system: system) }
        func dst(_ r: Rule) -> Bool { r.to.map { Self.matches($0, type: ttype, domain: targetDomain, system: system) } ?? false }
        // The rule's direction reversed: a ring of the source for the target opens target -> source.
        func reversed(_ r: Rule) -> Bool {
            Self.matches(r.from, type: ttype, domain: targetDomain, system: system)
                && (r.to.map { Self.matches($0, type: stype, domain: sourceDomain, system: system) } ?? false)
        }
        return rules.filter { r in
            switch permission {
            case .send:
                return [.send, .notify, .channel].contains(r.flow) && src(r) && dst(r)
            case .registerSingleSource:
                return (r.flow == .registerSingleSource && src(r) && dst(r)) || (r.flow == .channel && reversed(r))
            case .enable:
                return r.flow == .argo && src(r)
            case .registerAnySource:
                return (r.flow == .registerAnySource && src(r))
                    || (r.flow == .channel && (r.to.map { Self.matches($0, type: stype, domain: sourceDomain, system: system) } ?? false))
            }
        }
    }
}
