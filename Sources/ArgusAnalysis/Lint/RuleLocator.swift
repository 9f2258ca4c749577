import Flask
import Sepol

/// Finds the source statements behind an access-vector entry (file:line when the policy
/// was compiled from source), or writes the entry back as rule text for a binary policy.
struct RuleLocator: Sendable {
    let policy: Policy

    /// The statements that put `permission` into entry `index`, best first; never empty.
    func references(entry index: Int, permission: String) -> [RuleReference] {
        let e = policy.image.accessVectors[index]
        let className = policy.className(e.tclass)
        let sName = policy.typeName(e.source), tName = policy.typeName(e.target)
        let kind: RuleOriginIndex.Kind = switch e.kind {
        case .auditallow: .auditallow
        case .auditdeny: .dontaudit
        case .typeTransition: .typeTransition
        case .typeMember: .typeMember
        case .typeChange: .typeChange
        case .allow: .allow
        }
        if let origins = policy.ruleOrigins {
            let sourceNames = Set([sName] + policy.type(e.source).aliases)
            let targetNames = Set([tName] + policy.type(e.target).aliases)
            let keyNames = Set(policy.image.typeAttributeMap[Int(e.source) - 1].map { policy.typeName($0) })
            let wild: Set<String> = ["*", "~"]
            let matches = origins.statements.filter { st in
                guard st.kind == kind, st.classes.contains(className) || st.classes.contains("*") else { return false }
                if kind == .allow || kind == .auditallow || kind == .dontaudit {
                    guard st.permissions.contains(permission) || st.permissions.contains(where: wild.contains) else { return false }
                }
                if (st.condition != nil) != (e.conditional != nil) { return false }
                let direct = (st.sources.contains(where: sourceNames.contains) || st.sources.contains(where: wild.contains))
                    && (st.targets.contains(where: targetNames.contains) || st.targets.contains(where: wild.contains))
                let viaSelf = e.source == e.target && st.targets.contains("self") && st.sources.contains(where: keyNames.contains)
                return direct || viaSelf
            }
            if !matches.isEmpty { return matches.map { RuleReference(text: $0.text, location: $0.location) } }
        }
        return [RuleReference(text: text(entry: index), location: nil)]
    }

    /// An entry written back as a rule (attributes as stored, all its permissions).
    func text(entry index: Int) -> String {
        let e = policy.image.accessVectors[index]
        let cls = policy.className(e.tclass)
        let s = policy.typeName(e.source), t = policy.typeName(e.target)
        switch e.kind {
        case .typeTransition, .typeMember, .typeChange:
            let keyword = e.kind == .typeTransition ? "type_transition" : e.kind == .typeMember ? "type_member" : "type_change"
            return "\(keyword) \(s) \(t):\(cls) \(policy.typeName(e.data));"
        case .allow, .auditallow, .auditdeny:
            let keyword = e.kind == .allow ? "allow" : e.kind == .auditallow ? "auditallow" : "dontaudit"
            let valid = policy.securityClass(e.tclass).permissions.enumerated()
                .reduce(UInt32(0)) { $1.element == nil ? $0 : $0 | (1 << UInt32($1.offset)) }
            let mask = (e.kind == .auditdeny ? ~e.data : e.data) & valid
            let names = policy.permissionNames(mask, inClass: e.tclass)
            let perms = names.count == 1 ? names[0] : "{ \(names.joined(separator: " ")) }"
            return "\(keyword) \(s) \(t):\(cls) \(perms);"
        }
    }
}
