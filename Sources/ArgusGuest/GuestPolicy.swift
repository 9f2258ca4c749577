public import Flask
public import Sepol

/// The four things a process does with the Argo driver's device nodes (`chr_file` permissions).
public struct ArgoDevicePermissions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let open = ArgoDevicePermissions(rawValue: 1)
    public static let read = ArgoDevicePermissions(rawValue: 2)
    public static let write = ArgoDevicePermissions(rawValue: 4)
    public static let ioctl = ArgoDevicePermissions(rawValue: 8)
    public static let all: ArgoDevicePermissions = [.open, .read, .write, .ioctl]

    /// The permission names, in the order of the table (`chr_file`'s names).
    public static let names: [(name: String, permission: ArgoDevicePermissions)] = [
        ("open", .open), ("read", .read), ("write", .write), ("ioctl", .ioctl),
    ]

    public var names: [String] { Self.names.filter { contains($0.permission) }.map(\.name) }

    /// Enough to use Argo through the device: open it, then read or write it.
    public var usesArgo: Bool { contains(.open) && !isDisjoint(with: [.read, .write]) }
}

/// A process type of a guest policy and the context Argus gives its processes.
public struct GuestProcess: Sendable, Hashable {
    /// Why a type counts as a process type.
    public enum Selection: String, Sendable, Hashable {
        /// It carries the attribute `domain` (refpolicy's mark of every process type).
        case domainAttribute = "domain attribute"
        /// It is the source of an `allow` rule on class `process` (a process acting on processes).
        case processPermissions = "process permissions"
    }

    public var typeName: String
    public var type: UInt32
    public var context: SecurityContext
    /// `context` as the security server prints it.
    public var contextText: String
    public var selection: Selection
    /// A permissive type: its denials are logged, not enforced.
    public var permissive: Bool
}

/// A Linux SELinux policy seen from inside a guest: which of its types are processes, and
/// which context each runs with.
public struct GuestPolicy: Sendable {
    public let policy: Policy
    /// Process types that some role authorises (so a process can run with them), by name.
    public let processes: [GuestProcess]
    /// Process types no role other than `object_r` authorises: no process can run with them.
    public let unusableProcessTypes: [String]

    /// Chooses the process types and their contexts. A process type is a concrete type that
    /// carries the `domain` attribute, or is the source of an `allow` rule on class `process`
    /// (directly or through an attribute; conditional rules count whatever the booleans).
    /// Its context: the role `system_r` if it authorises the type, else the lowest-numbered
    /// role that does; the user `system_u` if it has that role, else the lowest-numbered user
    /// that does; under MLS the user's whole range (how init starts system daemons).
    public init(policy: Policy) throws(InputError) {
        self.policy = policy
        let image = policy.image
        guard image.platform == .selinux else {
            throw InputError("a Xen policy, not an SELinux policy", file: policy.origin.path)
        }
        guard let processClass = policy.classValue("process") else {
            throw InputError("the policy has no class 'process': not a Linux SELinux policy", file: policy.origin.path)
        }
        let domainAttribute = policy.typeValue("domain").flatMap { policy.type($0).isAttribute ? $0 : nil }
        var processSources: Set<UInt32> = []
        for entry in image.accessVectors where entry.kind == .allow && entry.tclass == processClass && entry.data != 0 {
            processSources.insert(entry.source)
        }
        var chosen: [GuestProcess] = []
        var unusable: [String] = []
        for t in image.types where !t.isAttribute {
            let keys = image.typeAttributeMap[Int(t.value) - 1]
            let selection: GuestProcess.Selection
            if let domainAttribute, keys.contains(domainAttribute) {
                selection = .domainAttribute
            } else if keys.contains(where: processSources.contains) {
                selection = .processPermissions
            } else {
                continue
            }
            guard let context = Self.processContext(for: t.value, in: policy) else {
                unusable.append(t.name)
                continue
            }
            chosen.append(GuestProcess(
                typeName: t.name, type: t.value, context: context, contextText: policy.string(context),
                selection: selection, permissive: t.permissive))
        }
        processes = chosen.sorted { $0.typeName < $1.typeName }
        unusableProcessTypes = unusable.sorted()
    }

    /// The context a process of `type` runs with (see `init`), nil when no role authorises it.
    static func processContext(for type: UInt32, in policy: Policy) -> SecurityContext? {
        let image = policy.image
        let roles = image.roles.filter { $0.value != 1 && $0.types.contains(type) }
        let systemRole = policy.roleValue("system_r")
        let role = roles.first(where: { $0.value == systemRole }) ?? roles.first
        guard let role else { return nil }
        let users = image.users.filter { $0.roles.contains(role.value) }
        let systemUser = policy.userValue("system_u")
        guard let user = users.first(where: { $0.value == systemUser }) ?? users.first else { return nil }
        var range: MLSRange?
        if image.mls {
            guard let r = user.range else { return nil }
            range = r
        }
        return SecurityContext(user: user.value, role: role.value, type: type, range: range)
    }

    /// The process with a type name (aliases resolve), if it is one.
    public func process(named name: String) -> GuestProcess? {
        guard let value = policy.typeValue(name) else { return nil }
        return processes.first { $0.type == value }
    }
}
