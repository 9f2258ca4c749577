import ArgusAnalysis
import ArgusExposure
import Flask

/// Selectors resolved against the universe of labels instead of a system file: `type:`,
/// `attr:`, `role:`, `user:` and `*` name contexts of the universe; a domain name is an error
/// (there are no domains without a system file).
public enum UniverseSelection {
    /// The universe contexts (indices, in universe order) a selector matches. Strict resolution
    /// fails closed at `location`: an unknown name, the wrong kind of name, a domain name, or a
    /// selector that matches no valid domain label. Lenient resolution (a baseline policy)
    /// matches nothing instead.
    public static func contexts(matching selector: DomainSelector, at location: SourceLocation,
                                in universe: ExposureUniverse, strict: Bool) throws(InputError) -> [Int] {
        let policy = universe.policy
        func fail(_ message: String) throws(InputError) -> Never { throw InputError(message, at: location) }
        let all = Array(universe.contexts.indices)
        let matched: [Int]
        switch selector {
        case .any:
            matched = all
        case .domain(let name):
            // Not even leniently: the rule cannot mean anything without a system file.
            try fail("'\(name)' names a domain, and there is no system file: without --system name labels with type:, attr:, role:, user: or *")
        case .type(let name):
            guard let value = policy.typeValue(name) else {
                if !strict { return [] }
                try fail("unknown type '\(name)' in the policy")
            }
            if policy.type(value).isAttribute {
                if !strict { return [] }
                try fail("'\(name)' is an attribute: write attr:\(name)")
            }
            matched = all.filter { universe.contexts[$0].type == value }
        case .attribute(let name):
            guard let value = policy.typeValue(name) else {
                if !strict { return [] }
                try fail("unknown attribute '\(name)' in the policy")
            }
            if !policy.type(value).isAttribute {
                if !strict { return [] }
                try fail("'\(name)' is a type, not an attribute: write type:\(name)")
            }
            matched = all.filter { policy.image.typeAttributeMap[Int(universe.contexts[$0].type) - 1].contains(value) }
        case .role(let name):
            guard let value = policy.roleValue(name) else {
                if !strict { return [] }
                try fail("unknown role '\(name)' in the policy")
            }
            matched = all.filter { universe.contexts[$0].role == value }
        case .user(let name):
            guard let value = policy.userValue(name) else {
                if !strict { return [] }
                try fail("unknown user '\(name)' in the policy")
            }
            matched = all.filter { universe.contexts[$0].user == value }
        }
        if matched.isEmpty && strict { try fail("selector '\(selector)' matches no valid domain label of the policy") }
        return matched
    }
}
