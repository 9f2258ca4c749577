public import Sepol

/// How a policy reached Argus.
public enum PolicyOrigin: Sendable, Equatable {
    /// A binary policy file read through libsepol.
    case binary(path: String)
    /// A `policy.conf` compiled by checkpolicy.
    case policyConf(path: String)
    /// A Xen-layout source tree run through m4 and checkpolicy.
    case sourceTree(path: String)

    public var path: String {
        switch self {
        case .binary(let p), .policyConf(let p), .sourceTree(let p): p
        }
    }
}

/// A loaded Xen FLASK policy: libsepol's image plus names, lookups and where rules came from.
public struct Policy: Sendable {
    public let image: PolicyImage
    public let origin: PolicyOrigin
    /// The binary policy bytes (as read, or as checkpolicy wrote them).
    public let binary: [UInt8]
    /// Names of initial SIDs by number, from the hypervisor's `initial_sids` definitions.
    public let initialSIDNames: [UInt32: String]
    /// Source statements behind the rules, when the policy was compiled from source.
    public let ruleOrigins: RuleOriginIndex?

    private let typeIndex: [String: UInt32]
    private let classIndex: [String: UInt16]
    private let roleIndex: [String: UInt32]
    private let userIndex: [String: UInt32]
    private let booleanIndex: [String: UInt32]
    private let sensitivityIndex: [String: UInt32]
    private let categoryIndex: [String: UInt32]

    public init(
        image: PolicyImage, origin: PolicyOrigin, binary: [UInt8],
        initialSIDNames: [UInt32: String], ruleOrigins: RuleOriginIndex? = nil
    ) {
        self.image = image
        self.origin = origin
        self.binary = binary
        self.initialSIDNames = initialSIDNames
        self.ruleOrigins = ruleOrigins
        var types: [String: UInt32] = [:]
        for t in image.types {
            types[t.name] = t.value
            for alias in t.aliases { types[alias] = t.value }
        }
        typeIndex = types
        classIndex = Dictionary(image.classes.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        roleIndex = Dictionary(image.roles.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        userIndex = Dictionary(image.users.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        booleanIndex = Dictionary(image.booleans.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        var sens: [String: UInt32] = [:]
        for s in image.sensitivities {
            sens[s.name] = s.value
            for alias in s.aliases { sens[alias] = s.value }
        }
        sensitivityIndex = sens
        var cats: [String: UInt32] = [:]
        for c in image.categories {
            cats[c.name] = c.value
            for alias in c.aliases { cats[alias] = c.value }
        }
        categoryIndex = cats
    }

    // MARK: lookups by name (aliases resolve to their primary)

    public func typeValue(_ name: String) -> UInt32? { typeIndex[name] }
    public func classValue(_ name: String) -> UInt16? { classIndex[name] }
    public func roleValue(_ name: String) -> UInt32? { roleIndex[name] }
    public func userValue(_ name: String) -> UInt32? { userIndex[name] }
    public func booleanValue(_ name: String) -> UInt32? { booleanIndex[name] }
    public func sensitivityValue(_ name: String) -> UInt32? { sensitivityIndex[name] }
    public func categoryValue(_ name: String) -> UInt32? { categoryIndex[name] }

    public func type(_ value: UInt32) -> PolicyImage.TypeSymbol { image.types[Int(value) - 1] }
    public func typeName(_ value: UInt32) -> String { image.types[Int(value) - 1].name }
    public func roleName(_ value: UInt32) -> String { image.roles[Int(value) - 1].name }
    public func userName(_ value: UInt32) -> String { image.users[Int(value) - 1].name }
    public func className(_ value: UInt16) -> String { image.classes[Int(value) - 1].name }
    public func securityClass(_ value: UInt16) -> PolicyImage.SecurityClass { image.classes[Int(value) - 1] }
    public func booleanName(_ value: UInt32) -> String { image.booleans[Int(value) - 1].name }
    public func sensitivityName(_ value: UInt32) -> String { image.sensitivities[Int(value) - 1].name }
    public func categoryName(_ value: UInt32) -> String { image.categories[Int(value) - 1].name }

    /// The mask of a permission in a class, nil when the class does not define it.
    public func permissionMask(_ permission: String, inClass tclass: UInt16) -> UInt32? {
        let perms = securityClass(tclass).permissions
        guard let bit = perms.firstIndex(where: { $0 == permission }) else { return nil }
        return 1 << UInt32(bit)
    }

    /// Permission names of a mask, in bit order.
    public func permissionNames(_ mask: UInt32, inClass tclass: UInt16) -> [String] {
        let perms = securityClass(tclass).permissions
        return (0..<32).compactMap { bit in
            guard mask & (1 << UInt32(bit)) != 0 else { return nil }
            return bit < perms.count ? (perms[bit] ?? "0x\(String(1 << bit, radix: 16))") : "0x\(String(1 << bit, radix: 16))"
        }
    }

    /// The initial SID with a given name (from the hypervisor definitions), if the policy labels it.
    public func initialSID(named name: String) -> PolicyImage.InitialSID? {
        guard let number = initialSIDNames.first(where: { $0.value == name })?.key else { return nil }
        return image.initialSIDs.first { $0.number == number }
    }

    /// Types (not attributes), in value order.
    public var concreteTypes: [PolicyImage.TypeSymbol] { image.types.filter { !$0.isAttribute } }
    public var attributes: [PolicyImage.TypeSymbol] { image.types.filter(\.isAttribute) }
}
