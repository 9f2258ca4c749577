/// The hypervisor side of FLASK: which security classes Xen knows, the bit of each
/// permission within its class, and the initial security identifiers, numbered exactly as
/// Xen's build numbers them from `security_classes`, `access_vectors` and `initial_sids`.
///
/// Numbering rules (see docs/DEFINITIONS.md):
/// - classes get the values 1, 2, 3, … in `security_classes` order;
/// - a class's permissions get the bits 1<<0, 1<<1, … in `access_vectors` order, the
///   permissions of an inherited common first, then the class's own;
/// - initial SIDs get the values 1, 2, 3, … in `initial_sids` order.
public struct FlaskDefinitions: Sendable, Equatable, Codable {
    /// Every class of `security_classes`, in value order (index `v - 1` holds value `v`).
    public var classes: [SecurityClassDefinition]
    /// Every `common` block of `access_vectors`, in file order.
    public var commons: [CommonDefinition]
    /// Every initial SID of `initial_sids`, in value order (index `v - 1` holds value `v`).
    public var initialSIDs: [InitialSIDDefinition]

    public init(
        classes: [SecurityClassDefinition],
        commons: [CommonDefinition] = [],
        initialSIDs: [InitialSIDDefinition]
    ) {
        self.classes = classes
        self.commons = commons
        self.initialSIDs = initialSIDs
    }

    /// The class called `name`, if there is one.
    public func `class`(named name: String) -> SecurityClassDefinition? {
        classes.first { $0.name == name }
    }

    /// The class whose value is `value`, if there is one.
    public func `class`(value: UInt16) -> SecurityClassDefinition? {
        guard value >= 1, Int(value) <= classes.count else { return nil }
        return classes[Int(value) - 1]
    }

    /// The mask of `permission` in class `className`; nil when either is unknown.
    public func permissionMask(_ permission: String, in className: String) -> UInt32? {
        self.class(named: className)?.permission(named: permission)?.mask
    }

    /// The common called `name`, if there is one.
    public func common(named name: String) -> CommonDefinition? {
        commons.first { $0.name == name }
    }

    /// The initial SID called `name`, if there is one.
    public func initialSID(named name: String) -> InitialSIDDefinition? {
        initialSIDs.first { $0.name == name }
    }

    /// The initial SID whose value is `value`, if there is one.
    public func initialSID(value: UInt32) -> InitialSIDDefinition? {
        guard value >= 1, UInt64(value) <= UInt64(initialSIDs.count) else { return nil }
        return initialSIDs[Int(value) - 1]
    }
}

/// One permission of a class or common: its name and its single-bit mask.
public struct PermissionDefinition: Sendable, Hashable, Codable {
    public var name: String
    /// Exactly one bit set: `1 << bitIndex`.
    public var mask: UInt32
    /// The common this permission comes from, when the class inherited it.
    public var inheritedFrom: String?
    /// Where the name is written in `access_vectors` (in the common, when inherited).
    public var location: SourceLocation

    public init(name: String, mask: UInt32, inheritedFrom: String? = nil, location: SourceLocation) {
        self.name = name
        self.mask = mask
        self.inheritedFrom = inheritedFrom
        self.location = location
    }

    /// The bit number, 0 to 31.
    public var bitIndex: Int { mask.trailingZeroBitCount }
}

/// A `common NAME { … }` block: permissions shared by the classes that inherit it.
public struct CommonDefinition: Sendable, Hashable, Codable {
    public var name: String
    /// In order; the bit of each is its index.
    public var permissions: [PermissionDefinition]
    public var location: SourceLocation

    public init(name: String, permissions: [PermissionDefinition], location: SourceLocation) {
        self.name = name
        self.permissions = permissions
        self.location = location
    }
}

/// One security class, with its value and every permission it has.
public struct SecurityClassDefinition: Sendable, Hashable, Codable {
    public var name: String
    /// 1-based, from the order of `security_classes`.
    public var value: UInt16
    /// The common whose permissions come first, if the class inherits one.
    public var inherits: String?
    /// Inherited permissions first, then the class's own; the bit of each is its index.
    public var permissions: [PermissionDefinition]
    /// Where the class is declared in `security_classes`.
    public var location: SourceLocation
    /// Where the class's block starts in `access_vectors`; nil if it has none.
    public var accessVectorLocation: SourceLocation?

    public init(
        name: String,
        value: UInt16,
        inherits: String? = nil,
        permissions: [PermissionDefinition],
        location: SourceLocation,
        accessVectorLocation: SourceLocation? = nil
    ) {
        self.name = name
        self.value = value
        self.inherits = inherits
        self.permissions = permissions
        self.location = location
        self.accessVectorLocation = accessVectorLocation
    }

    /// The permission called `name`, if the class has it.
    public func permission(named name: String) -> PermissionDefinition? {
        permissions.first { $0.name == name }
    }

    /// The permission whose mask is `mask` (a single bit), if the class has it.
    public func permission(mask: UInt32) -> PermissionDefinition? {
        permissions.first { $0.mask == mask }
    }

    /// The names of the permissions set in `vector`, in bit order; bits the class does
    /// not define are left out.
    public func permissionNames(in vector: UInt32) -> [String] {
        permissions.filter { vector & $0.mask != 0 }.map(\.name)
    }

    /// Every permission bit the class defines.
    public var allPermissionsMask: UInt32 {
        permissions.reduce(0) { $0 | $1.mask }
    }
}

/// One initial security identifier.
public struct InitialSIDDefinition: Sendable, Hashable, Codable {
    public var name: String
    /// 1-based, from the order of `initial_sids`.
    public var value: UInt32
    public var location: SourceLocation

    public init(name: String, value: UInt32, location: SourceLocation) {
        self.name = name
        self.value = value
        self.location = location
    }
}
