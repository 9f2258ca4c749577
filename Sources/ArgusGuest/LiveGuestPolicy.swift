public import Flask

/// A decision of the running kernel's security server for one process context on one device.
public struct KernelDecision: Sendable, Hashable {
    public var allowed: ArgoDevicePermissions
    /// The kernel's permissive flag for the source (a permissive type): denials not enforced.
    public var permissive: Bool

    public init(allowed: ArgoDevicePermissions, permissive: Bool) {
        self.allowed = allowed
        self.permissive = permissive
    }
}

/// The kernel refused a query (a context it does not know, a missing device node, …).
public struct KernelQueryError: Error, Sendable, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
}

/// What live mode asks of the running kernel. `LibSELinuxKernel` asks libselinux; tests put
/// a fake in its place.
public protocol KernelSecurityServer: Sendable {
    /// SELinux enabled in the running kernel (`is_selinux_enabled`).
    var isEnabled: Bool { get }
    /// The kernel's decision for `source` on `target` as class `chr_file` (`security_compute_av`).
    func computeAccess(source: String, target: String) throws(KernelQueryError) -> KernelDecision
    /// The context of a file on this machine (`getfilecon`).
    func fileContext(of path: String) throws(KernelQueryError) -> String
}

/// Live mode: decisions and device labels from the running kernel, for the process types the
/// policy file names (the policy gives the list of processes and their contexts; the kernel
/// decides).
public enum LiveGuestDecisions {
    /// Why live mode refuses when SELinux is off: a disabled kernel allows everything, which
    /// says nothing about the policy.
    public static let disabledMessage =
        "SELinux is not enabled in the running kernel: --live needs its security server (decisions are never reported as allowed because SELinux is off); run without --live to compute them from the policy"

    public static func compute(
        _ guest: GuestPolicy, devicePaths: [String], kernel: some KernelSecurityServer
    ) throws(InputError) -> GuestDecisions {
        guard kernel.isEnabled else { throw InputError(disabledMessage) }
        var devices: [GuestDevice] = []
        for path in devicePaths {
            let text: String
            do { text = try kernel.fileContext(of: path) } catch { throw InputError(error.message, file: path) }
            devices.append(try GuestDevice.labelled(path, context: text, policy: guest.policy, labelSource: path))
        }
        var allowed: [[ArgoDevicePermissions]] = []
        var permissive: [Bool] = []
        for process in guest.processes {
            var row: [ArgoDevicePermissions] = []
            var flagged = false
            for device in devices {
                let decision: KernelDecision
                do { decision = try kernel.computeAccess(source: process.contextText, target: device.contextText) } catch {
                    throw InputError(error.message)
                }
                row.append(decision.allowed)
                flagged = flagged || decision.permissive
            }
            allowed.append(row)
            permissive.append(flagged || (devices.isEmpty && process.permissive))
        }
        return GuestDecisions(source: .kernel, processes: guest.processes, devices: devices,
                              allowed: allowed, permissive: permissive, booleans: [])
    }
}
