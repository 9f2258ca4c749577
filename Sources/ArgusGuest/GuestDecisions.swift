import DecisionTable
public import Flask
public import Sepol

/// A device node of the Argo driver and the context it carries.
public struct GuestDevice: Sendable, Hashable {
    public var path: String
    public var context: SecurityContext
    /// `context` as the security server prints it.
    public var contextText: String
    public var typeName: String

    public init(path: String, context: SecurityContext, policy: Policy) {
        self.path = path
        self.context = context
        contextText = policy.string(context)
        typeName = policy.typeName(context.type)
    }

    /// A device labelled with `text` (from file_contexts or the file system), validated against
    /// the guest policy the way the kernel would accept it.
    public static func labelled(
        _ path: String, context text: String, policy: Policy, labelSource: String
    ) throws(InputError) -> GuestDevice {
        do {
            return GuestDevice(path: path, context: try policy.context(text), policy: policy)
        } catch {
            throw InputError("\(path) is labelled \(text), not a valid context of the policy: \(error.reason)", file: labelSource)
        }
    }
}

/// Which process types may open, read, write and ioctl which Argo device nodes.
public struct GuestDecisions: Sendable {
    /// Where the decisions came from.
    public enum Source: String, Sendable {
        /// Computed from the policy file (the table proven equal to libsepol's `sepol_compute_av`).
        case policy
        /// Asked of the running kernel's security server (`security_compute_av`).
        case kernel
    }

    public let source: Source
    public let processes: [GuestProcess]
    public let devices: [GuestDevice]
    /// What the policy allows: `allowed[p][d]` for `processes[p]` on `devices[d]`.
    public let allowed: [[ArgoDevicePermissions]]
    /// Permissive processes: denials are logged, not enforced (a permissive type, or the
    /// kernel's permissive flag in live mode).
    public let permissive: [Bool]
    /// Boolean values the decisions were computed with, by name.
    public let booleans: [(name: String, value: Bool)]

    public init(source: Source, processes: [GuestProcess], devices: [GuestDevice],
                allowed: [[ArgoDevicePermissions]], permissive: [Bool], booleans: [(name: String, value: Bool)]) {
        self.source = source
        self.processes = processes
        self.devices = devices
        self.allowed = allowed
        self.permissive = permissive
        self.booleans = booleans
    }

    /// Whether `processes[p]` can use Argo through some device (open, then read or write),
    /// by the policy's rules; a permissive process is reported apart (`usesArgoOnlyPermissively`).
    public func usesArgo(_ p: Int) -> Bool { allowed[p].contains { $0.usesArgo } }

    /// A permissive process the rules alone do not let use Argo: it can anyway, with AVC denials.
    public func usesArgoOnlyPermissively(_ p: Int) -> Bool { permissive[p] && !usesArgo(p) }

    /// The process types that can use Argo at all (by rule, or permissive), by name.
    public var argoUsers: [String] {
        processes.indices.filter { usesArgo($0) || permissive[$0] }.map { processes[$0].typeName }
    }
}

/// Builds guest decisions from a policy: the same path as the Xen decisions (type enforcement
/// with the booleans fixed, constraints including MLS/MCS, role check, type bounds), through a
/// `DecisionTable` over the process and device contexts for class `chr_file`.
public enum GuestDecisionTable {
    /// - Parameter booleans: values that override the policy's defaults, by name.
    public static func compute(
        _ guest: GuestPolicy, devices: [GuestDevice], booleans: [String: Bool] = [:]
    ) throws(InputError) -> GuestDecisions {
        let policy = guest.policy
        let file = policy.origin.path
        var overrides: [UInt32: Bool] = [:]
        for (name, value) in booleans {
            guard let v = policy.booleanValue(name) else {
                throw InputError("unknown boolean '\(name)'", file: file)
            }
            overrides[v] = value
        }
        guard let chrFile = policy.classValue("chr_file") else {
            throw InputError("the policy has no class 'chr_file'", file: file)
        }
        let masks = ArgoDevicePermissions.names.map { (policy.permissionMask($0.name, inClass: chrFile) ?? 0, $0.permission) }
        let te = TypeEnforcement(policy: policy, booleanOverrides: overrides)
        let evaluator = AccessEvaluator(te)
        let table: DecisionTable
        do {
            table = try DecisionTable(
                evaluator: evaluator, contexts: guest.processes.map(\.context) + devices.map(\.context), classes: ["chr_file"])
        } catch {
            throw InputError("cannot build the decision table: \(error.description)", file: file)
        }
        let slot = table.slot(of: chrFile)!
        let allowed = guest.processes.map { process in
            let s = table.sid(of: process.context)!
            return devices.map { device -> ArgoDevicePermissions in
                let av = table.decision(s, table.sid(of: device.context)!, slot: slot)
                return masks.reduce(into: []) { set, m in if m.0 != 0 && av.allowed & m.0 != 0 { set.insert(m.1) } }
            }
        }
        let values = policy.image.booleans.map { (name: $0.name, value: te.booleans[Int($0.value) - 1]) }
        return GuestDecisions(source: .policy, processes: guest.processes, devices: devices, allowed: allowed,
                              permissive: guest.processes.map(\.permissive), booleans: values)
    }
}
