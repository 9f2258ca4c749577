import Flask
import TOMLKit

/// The `[[never]]` entries of a rules file: flows that must never be allowed.
///
/// ```toml
/// [[never]]
/// from = "attr:tenant_guest"   # a domain name, type:NAME, attr:NAME or *
/// to = "dom0"
/// flow = "send"                # argo, register_any_source, register_single_source, send, notify, channel or *
/// reason = "tenants must not reach dom0"
/// ```
///
/// Other top-level tables (`[[must]]`, read by `argus check`) are accepted and ignored.
public struct NeverRules: Sendable {
    public enum Selector: Sendable, Equatable, CustomStringConvertible {
        case domain(String)
        case type(String)
        case attribute(String)
        case any

        public var description: String {
            switch self {
            case .domain(let n): n
            case .type(let n): "type:\(n)"
            case .attribute(let n): "attr:\(n)"
            case .any: "*"
            }
        }
    }

    public struct Rule: Sendable {
        public var from: Selector
        public var to: Selector
        public var flow: String
        public var reason: String?
        public var location: SourceLocation
    }

    public static let flows = ["argo", "register_any_source", "register_single_source", "send", "notify", "channel", "*"]

    public var rules: [Rule]

    public init(rules: [Rule]) { self.rules = rules }

    /// Reads `path`, checking every selector against the inventory and the policy.
    public static func load(_ path: String, system: ResolvedSystem) throws(InputError) -> NeverRules {
        let doc = try TOMLDocument(path: path)
        try doc.checkKeys(doc.root, allowed: ["never", "must"], name: "")
        var rules: [Rule] = []
        for (i, table) in try doc.arrayOfTables("never").enumerated() {
            try doc.checkKeys(table, allowed: ["from", "to", "flow", "reason"], name: "never", index: i)
            func selector(_ key: String) throws(InputError) -> Selector {
                guard let text = try doc.string(table, key, in: "never", index: i) else {
                    throw doc.error("a [[never]] rule needs '\(key)'", table: "never", index: i)
                }
                if text == "*" { return .any }
                if text.hasPrefix("type:") {
                    let name = String(text.dropFirst(5))
                    guard let v = system.policy.typeValue(name), !system.policy.type(v).isAttribute else {
                        throw doc.error("'\(name)' is not a type of the policy", table: "never", index: i, key: key)
                    }
                    return .type(name)
                }
                if text.hasPrefix("attr:") {
                    let name = String(text.dropFirst(5))
                    guard let v = system.policy.typeValue(name), system.policy.type(v).isAttribute else {
                        throw doc.error("'\(name)' is not an attribute of the policy", table: "never", index: i, key: key)
                    }
                    return .attribute(name)
                }
                guard system.index(ofDomain: text) != nil else {
                    throw doc.error("unknown domain '\(text)' (use a domain name, type:NAME, attr:NAME or *)", table: "never", index: i, key: key)
                }
                return .domain(text)
            }
            let from = try selector("from"), to = try selector("to")
            let flow = try doc.string(table, "flow", in: "never", index: i) ?? "*"
            guard flows.contains(flow) else {
                throw doc.error("unknown flow '\(flow)' (expected one of: \(flows.joined(separator: ", ")))", table: "never", index: i, key: "flow")
            }
            rules.append(Rule(
                from: from, to: to, flow: flow, reason: try doc.string(table, "reason", in: "never", index: i),
                location: SourceLocation(file: path, line: doc.line(table: "never", index: i))))
        }
        return NeverRules(rules: rules)
    }

    /// Does `selector` cover a domain of type `type` (or the named domain `domain`)?
    static func matches(_ selector: Selector, type: UInt32, domain: Int?, system: ResolvedSystem) -> Bool {
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
        }
    }

    /// The rules that `allow stype ttype:argo permission;` would break. `sourceDomain` and
    /// `targetDomain` are the domains of the log record, when known.
    func broken(
        by permission: ArgoPermission, source stype: UInt32, target ttype: UInt32,
        sourceDomain: Int?, targetDomain: Int?, system: ResolvedSystem
    ) -> [Rule] {
        func src(_ r: Rule) -> Bool { Self.matches(r.from, type: stype, domain: sourceDomain, system: system) }
        func dst(_ r: Rule) -> Bool { Self.matches(r.to, type: ttype, domain: targetDomain, system: system) }
        // The rule's direction reversed: a ring of the source for the target opens target -> source.
        func reversed(_ r: Rule) -> Bool {
            Self.matches(r.from, type: ttype, domain: targetDomain, system: system)
                && Self.matches(r.to, type: stype, domain: sourceDomain, system: system)
        }
        return rules.filter { r in
            switch permission {
            case .send:
                return ["send", "notify", "channel", "*"].contains(r.flow) && src(r) && dst(r)
            case .registerSingleSource:
                return (["register_single_source", "*"].contains(r.flow) && src(r) && dst(r)) || (r.flow == "channel" && reversed(r))
            case .enable:
                return ["argo", "*"].contains(r.flow) && src(r)
            case .registerAnySource:
                return (["register_any_source", "*"].contains(r.flow) && src(r))
                    || (r.flow == "channel" && Self.matches(r.to, type: stype, domain: sourceDomain, system: system))
            }
        }
    }
}
