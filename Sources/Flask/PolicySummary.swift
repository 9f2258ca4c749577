import Sepol

/// The statistics `seinfo` prints for a policy, counted the same way, so that the two
/// can be compared line by line.
public struct PolicySummary: Sendable, Equatable, Codable {
    public var policyVersion: Int
    public var mls: Bool
    public var target: String
    public var handleUnknown: String
    public var classes = 0, permissions = 0, sensitivities = 0, categories = 0
    public var types = 0, attributes = 0, users = 0, roles = 0
    public var booleans = 0, conditionalExpressions = 0
    public var allow = 0, neverallow = 0, auditallow = 0, dontaudit = 0
    public var typeTransitions = 0, typeChanges = 0, typeMembers = 0, rangeTransitions = 0
    public var roleAllows = 0, roleTransitions = 0
    public var constraints = 0, validateTransitions = 0, mlsConstraints = 0, mlsValidateTransitions = 0
    public var permissives = 0, policyCapabilities = 0, defaults = 0, typeBounds = 0
    public var initialSIDs = 0
    public var deviceTreeContexts = 0, iomemContexts = 0, ioportContexts = 0, pciDeviceContexts = 0, pirqContexts = 0

    public init(_ policy: Policy) {
        let image = policy.image
        policyVersion = image.version
        mls = image.mls
        target = image.platform.rawValue
        handleUnknown = image.handleUnknown.rawValue
        classes = image.classes.count
        let commonPerms = Dictionary(image.commons.map { ($0.name, $0.permissions.count) }, uniquingKeysWith: { a, _ in a })
        permissions = image.commons.reduce(0) { $0 + $1.permissions.count }
            + image.classes.reduce(0) { $0 + $1.permissionCount - ($1.common.flatMap { commonPerms[$0] } ?? 0) }
        sensitivities = image.sensitivities.count
        categories = image.categories.count
        types = image.types.count { !$0.isAttribute }
        attributes = image.types.count { $0.isAttribute }
        users = image.users.count
        roles = image.roles.count
        booleans = image.booleans.count
        conditionalExpressions = image.conditionals.count
        for entry in image.accessVectors {
            switch entry.kind {
            case .allow: allow += 1
            case .auditallow: auditallow += 1
            case .auditdeny: dontaudit += 1
            case .typeTransition: typeTransitions += 1
            case .typeChange: typeChanges += 1
            case .typeMember: typeMembers += 1
            }
        }
        rangeTransitions = image.rangeTransitions.count
        roleAllows = image.roleAllows.count
        roleTransitions = image.roleTransitions.count
        for cls in image.classes {
            for c in cls.constraints {
                if c.usesLevels { mlsConstraints += 1 } else { constraints += 1 }
            }
            for c in cls.validateTransitions {
                if c.usesLevels { mlsValidateTransitions += 1 } else { validateTransitions += 1 }
            }
            defaults += [cls.defaultUser, cls.defaultRole, cls.defaultType, cls.defaultRange].count { $0 != 0 }
        }
        permissives = image.types.count(where: \.permissive)
        policyCapabilities = image.policyCapabilities.count
        typeBounds = image.types.count { $0.bounds != 0 }
        initialSIDs = image.initialSIDs.count
        deviceTreeContexts = image.xenObjectContexts.deviceTree
        iomemContexts = image.xenObjectContexts.iomem
        ioportContexts = image.xenObjectContexts.ioport
        pciDeviceContexts = image.xenObjectContexts.pciDevice
        pirqContexts = image.xenObjectContexts.pirq
    }

    /// The rows seinfo prints, in seinfo's order, as (label, value) pairs.
    public var rows: [(String, Int)] {
        [
            ("Classes", classes), ("Permissions", permissions),
            ("Sensitivities", sensitivities), ("Categories", categories),
            ("Types", types), ("Attributes", attributes),
            ("Users", users), ("Roles", roles),
            ("Booleans", booleans), ("Cond. Expr.", conditionalExpressions),
            ("Allow", allow), ("Neverallow", neverallow),
            ("Auditallow", auditallow), ("Dontaudit", dontaudit),
            ("Type_trans", typeTransitions), ("Type_change", typeChanges),
            ("Type_member", typeMembers), ("Range_trans", rangeTransitions),
            ("Role allow", roleAllows), ("Role_trans", roleTransitions),
            ("Constraints", constraints), ("Validatetrans", validateTransitions),
            ("MLS Constrain", mlsConstraints), ("MLS Val. Tran", mlsValidateTransitions),
            ("Permissives", permissives), ("Polcap", policyCapabilities),
            ("Defaults", defaults), ("Typebounds", typeBounds),
            ("Initial SIDs", initialSIDs), ("Devicetreecon", deviceTreeContexts),
            ("Iomemcon", iomemContexts), ("Ioportcon", ioportContexts),
            ("Pcidevicecon", pciDeviceContexts), ("Pirqcon", pirqContexts),
        ]
    }
}
