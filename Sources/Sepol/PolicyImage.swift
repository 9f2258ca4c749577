/// A compiled policy as libsepol reads it, copied into plain Swift values.
///
/// Every number here is the policy's own value (1-based, as in the binary): index `v - 1`
/// of an array holds the item whose value is `v`. Nothing in this file points into C memory,
/// so an image outlives the libsepol structures it was read from.
public struct PolicyImage: Sendable, Equatable {
    public enum Platform: String, Sendable, Codable { case selinux, xen }

    /// What the security server does with classes or permissions the policy lacks.
    public enum HandleUnknown: String, Sendable, Codable { case deny, reject, allow }

    public var version: Int
    public var platform: Platform
    public var mls: Bool
    public var handleUnknown: HandleUnknown
    public var commons: [Common]
    public var classes: [SecurityClass]
    public var types: [TypeSymbol]
    /// For each type value, the values of the type itself and every attribute it has.
    public var typeAttributeMap: [[UInt32]]
    public var roles: [Role]
    public var users: [User]
    public var booleans: [Boolean]
    public var sensitivities: [Sensitivity]
    public var categories: [Category]
    public var accessVectors: [AccessVectorEntry]
    public var conditionals: [Conditional]
    public var roleTransitions: [RoleTransition]
    public var roleAllows: [RoleAllow]
    public var rangeTransitions: [RangeTransition]
    public var initialSIDs: [InitialSID]
    public var policyCapabilities: [UInt32]
    public var xenObjectContexts: XenObjectContextCounts

    public struct Common: Sendable, Equatable {
        public var name: String
        public var permissions: [String]
    }

    public struct SecurityClass: Sendable, Equatable {
        public var name: String
        public var value: UInt16
        public var common: String?
        /// Permission names by bit: `permissions[i]` is the name of bit `1 << i` (nil: unused bit).
        public var permissions: [String?]
        public var constraints: [Constraint]
        public var validateTransitions: [Constraint]
        public var defaultUser: UInt8
        public var defaultRole: UInt8
        public var defaultType: UInt8
        public var defaultRange: UInt8

        public var permissionCount: Int { permissions.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
    }

    public struct TypeSymbol: Sendable, Equatable {
        public var name: String
        public var value: UInt32
        public var isAttribute: Bool
        public var aliases: [String]
        /// The bounding type's value, 0 when unbounded.
        public var bounds: UInt32
        public var permissive: Bool
    }

    public struct Role: Sendable, Equatable {
        public var name: String
        public var value: UInt32
        public var types: [UInt32]
        public var dominates: [UInt32]
        public var bounds: UInt32
    }

    public struct User: Sendable, Equatable {
        public var name: String
        public var value: UInt32
        public var roles: [UInt32]
        public var range: Range?
        public var defaultLevel: Level?
        public var bounds: UInt32
    }

    public struct Boolean: Sendable, Equatable {
        public var name: String
        public var value: UInt32
        public var state: Bool
    }

    public struct Sensitivity: Sendable, Equatable {
        public var name: String
        public var value: UInt32
        public var aliases: [String]
        /// Categories a level at this sensitivity may carry.
        public var categories: [UInt32]
    }

    public struct Category: Sendable, Equatable {
        public var name: String
        public var value: UInt32
        public var aliases: [String]
    }

    /// One MLS level: a sensitivity value and a sorted list of category values.
    public struct Level: Sendable, Hashable {
        public var sensitivity: UInt32
        public var categories: [UInt32]
        public init(sensitivity: UInt32, categories: [UInt32]) {
            self.sensitivity = sensitivity
            self.categories = categories
        }
    }

    public struct Range: Sendable, Hashable {
        public var low: Level
        public var high: Level
        public init(low: Level, high: Level) {
            self.low = low
            self.high = high
        }
    }

    /// A security context by value; `range` is nil in a policy without MLS.
    public struct Context: Sendable, Hashable {
        public var user: UInt32
        public var role: UInt32
        public var type: UInt32
        public var range: Range?
        public init(user: UInt32, role: UInt32, type: UInt32, range: Range?) {
            self.user = user
            self.role = role
            self.type = type
            self.range = range
        }
    }

    /// One access vector table entry, as checkpolicy wrote it (attributes unexpanded).
    public struct AccessVectorEntry: Sendable, Equatable {
        public enum Kind: UInt16, Sendable, Codable {
            case allow = 0x0001
            case auditallow = 0x0002
            /// Stored inverted: `data` holds the permissions still audited on denial.
            case auditdeny = 0x0004
            case typeTransition = 0x0010
            case typeMember = 0x0020
            case typeChange = 0x0040
        }
        public var source: UInt32
        public var target: UInt32
        public var tclass: UInt16
        public var kind: Kind
        /// A permission mask for access rules, the new type's value for type rules.
        public var data: UInt32
        /// Index into `conditionals` when the entry is conditional.
        public var conditional: Int?
        /// For conditional entries: true if on the `if` branch, false for `else`.
        public var onTrueBranch: Bool
    }

    public struct Conditional: Sendable, Equatable {
        /// The boolean expression in reverse Polish notation.
        public var expression: [ConditionToken]
        public var trueEntries: [Int]
        public var falseEntries: [Int]
    }

    public enum ConditionToken: Sendable, Equatable {
        case boolean(UInt32)
        case not, or, and, xor, equal, notEqual
    }

    /// A constraint: when any of `permissions` is being decided, `expression` must hold.
    public struct Constraint: Sendable, Equatable {
        public var permissions: UInt32
        public var expression: [ConstraintNode]
        /// True when the expression compares MLS levels (an `mlsconstrain`).
        public var usesLevels: Bool {
            expression.contains { $0.kind == .attribute && $0.attribute >= ConstraintNode.levelL1L2 }
        }
    }

    /// One node of a constraint expression in reverse Polish notation (libsepol's encoding).
    public struct ConstraintNode: Sendable, Equatable {
        public enum Kind: UInt32, Sendable { case not = 1, and = 2, or = 3, attribute = 4, names = 5 }
        public enum Operator: UInt32, Sendable { case equal = 1, notEqual = 2, dominates = 3, dominatedBy = 4, incomparable = 5 }
        public static let user: UInt32 = 1, role: UInt32 = 2, type: UInt32 = 4, target: UInt32 = 8, xtarget: UInt32 = 16
        public static let levelL1L2: UInt32 = 32, levelL1H2: UInt32 = 64, levelH1L2: UInt32 = 128
        public static let levelH1H2: UInt32 = 256, levelL1H1: UInt32 = 512, levelL2H2: UInt32 = 1024

        public var kind: Kind
        /// Which operands: user/role/type (with `target`) or a level pair.
        public var attribute: UInt32
        public var op: Operator
        /// Values named on the right-hand side (users, roles or types; attributes already expanded).
        public var names: [UInt32]
    }

    public struct RoleTransition: Sendable, Equatable {
        public var role: UInt32, type: UInt32, tclass: UInt32, newRole: UInt32
    }

    public struct RoleAllow: Sendable, Equatable {
        public var role: UInt32, newRole: UInt32
    }

    public struct RangeTransition: Sendable, Equatable {
        public var source: UInt32, target: UInt32, tclass: UInt32
        public var range: Range
    }

    /// An initial SID as the binary holds it: a number and a context, but no name
    /// (names come from the hypervisor's `initial_sids` file).
    public struct InitialSID: Sendable, Equatable {
        public var number: UInt32
        public var context: Context
    }

    public struct XenObjectContextCounts: Sendable, Equatable {
        public var pirq = 0, ioport = 0, iomem = 0, pciDevice = 0, deviceTree = 0
        public init() {}
    }
}
