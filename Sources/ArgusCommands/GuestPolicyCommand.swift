import ArgumentParser
import ArgusGuest
import Flask
import Foundation

/// `argus guest-policy`: which processes inside a domain may use Argo, under the domain's own
/// Linux SELinux policy (docs/GUEST-POLICY.md).
public struct GuestPolicyCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "guest-policy",
        abstract: "Which process types inside a domain may open, read, write and ioctl the Argo devices.",
        discussion: """
            Reads a Linux SELinux policy (binary, or policy.conf compiled with checkpolicy), \
            labels the Argo device nodes through libselinux's file-context matching, and \
            decides for every process type (a type with the 'domain' attribute, or the source \
            of a 'process' rule) whether it may open, read, write and ioctl each device as \
            chr_file: type enforcement with the booleans fixed, constraints, MLS/MCS, type \
            bounds; permissive types are marked. --live asks the running kernel instead \
            (security_compute_av, getfilecon) and refuses when SELinux is disabled.
            """
    )

    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json }

    @Argument(help: ArgumentHelp("The guest's SELinux policy: a binary policy or a policy.conf.", valueName: "policy"))
    public var policy: String

    @Option(name: .customLong("file-contexts"), help: ArgumentHelp(
        "The guest's file_contexts, read by libselinux (not with --live).", valueName: "file"))
    public var fileContexts: String?

    @Option(name: .customLong("device"), help: ArgumentHelp(
        "An Argo device node (repeatable; default /dev/argo_stream and /dev/argo_dgram).", valueName: "path"))
    public var devices: [String] = []

    @Option(name: .customLong("bool"), help: ArgumentHelp(
        "Set a boolean for the decisions (repeatable).", valueName: "name=true|false"))
    public var booleans: [String] = []

    @Flag(help: "Ask the running kernel (security_compute_av, getfilecon); refused when SELinux is disabled.")
    public var live = false

    @Option(help: "Output format: text or json.")
    public var format: Format = .text

    public init() {}

    public func validate() throws {
        if live && fileContexts != nil {
            throw ValidationError("--live labels the devices with getfilecon: give no --file-contexts")
        }
        if !live && fileContexts == nil {
            throw ValidationError("give --file-contexts FILE (or --live on the guest itself)")
        }
        if live && !booleans.isEmpty {
            throw ValidationError("--live uses the running kernel's booleans: give no --bool")
        }
    }

    public func run(in context: CommandContext) throws {
        try run(in: context, kernel: LibSELinuxKernel())
    }

    /// Runs with `kernel` as the running kernel's security server (tests give a fake).
    public func run(in context: CommandContext, kernel: some KernelSecurityServer) throws {
        let paths = devices.isEmpty ? GuestDevices.defaultPaths : devices
        // Refuse live mode before any work when SELinux is off.
        if live && !kernel.isEnabled { throw InputError(LiveGuestDecisions.disabledMessage) }
        let guest = try GuestPolicy(policy: LinuxPolicyLoader.load(policy))
        let decisions: GuestDecisions
        if live {
            decisions = try LiveGuestDecisions.compute(guest, devicePaths: paths, kernel: kernel)
        } else {
            let labelled = try GuestDevices.labelled(paths, fileContexts: fileContexts!, policy: guest.policy)
            decisions = try GuestDecisionTable.compute(guest, devices: labelled, booleans: try parseBooleans())
        }
        let output: String
        switch format {
        case .text: output = GuestPolicyText.render(decisions, guest: guest, policyPath: policy)
        case .json: output = try encodeJSON(GuestPolicyJSON(decisions, guest: guest, policyPath: policy))
        }
        context.standardOutput.write(output)
    }

    private func parseBooleans() throws(InputError) -> [String: Bool] {
        var values: [String: Bool] = [:]
        for item in booleans {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = ["true": true, "1": true, "on": true, "false": false, "0": false, "off": false][parts[1]] else {
                throw InputError("--bool \(item): expected name=true or name=false")
            }
            values[parts[0]] = value
        }
        return values
    }
}

/// The text table: process types × devices × {open, read, write, ioctl}, then who can use Argo.
enum GuestPolicyText {
    static func render(_ d: GuestDecisions, guest: GuestPolicy, policyPath: String) -> String {
        var out = "guest policy \(policyPath): \(d.processes.count) process types, "
            + (d.source == .policy ? "decisions from the policy" : "decisions from the running kernel") + "\n"
        if !d.booleans.isEmpty {
            out += "booleans: " + d.booleans.map { "\($0.name)=\($0.value)" }.joined(separator: " ") + "\n"
        }
        out += "\ndevices:\n"
        let pathWidth = max(6, d.devices.map(\.path.count).max() ?? 0)
        for device in d.devices { out += "  \(device.path.padded(pathWidth))  \(device.contextText)\n" }

        out += "\nprocess types:\n"
        let typeWidth = max(12, d.processes.map { $0.typeName.count + ($0.permissive ? 1 : 0) }.max() ?? 0)
        for p in d.processes {
            out += "  \((p.typeName + (p.permissive ? "*" : "")).padded(typeWidth))  \(p.contextText)  (\(p.selection.rawValue))\n"
        }
        if !guest.unusableProcessTypes.isEmpty {
            out += "  not run by any role: " + guest.unusableProcessTypes.joined(separator: ", ") + "\n"
        }

        out += "\n  \("PROCESS TYPE".padded(typeWidth))  \("DEVICE".padded(pathWidth))  OPEN  READ  WRITE  IOCTL\n"
        for (i, p) in d.processes.enumerated() {
            for (j, device) in d.devices.enumerated() {
                let a = d.allowed[i][j]
                func cell(_ perm: ArgoDevicePermissions, _ width: Int) -> String { (a.contains(perm) ? "yes" : "-").padded(width) }
                out += "  \((p.typeName + (d.permissive[i] ? "*" : "")).padded(typeWidth))  \(device.path.padded(pathWidth))  "
                    + "\(cell(.open, 4))  \(cell(.read, 4))  \(cell(.write, 5))  \(cell(.ioctl, 5))".trimmingTrailingSpaces() + "\n"
            }
        }
        if d.permissive.contains(true) {
            out += "  * permissive: denials are logged, not enforced\n"
        }

        let users = d.argoUsers
        out += "\ncan use Argo (open, then read or write): \(users.count) of \(d.processes.count) process types\n"
        for (i, p) in d.processes.enumerated() where d.usesArgo(i) || d.permissive[i] {
            let reach = d.devices.indices.filter { d.allowed[i][$0].usesArgo }.map { j in
                "\(d.devices[j].path) (\(d.allowed[i][j].names.joined(separator: " ")))"
            }
            let how = d.usesArgoOnlyPermissively(i) ? "permissive: no rule allows it, but denials are only logged" : reach.joined(separator: ", ")
            out += "  \(p.typeName.padded(typeWidth))  \(how)\n"
        }
        return out
    }
}

/// The JSON shape of `guest-policy --format json`.
struct GuestPolicyJSON: Encodable {
    struct Device: Encodable { var path: String; var context: String; var type: String }
    struct Access: Encodable { var device: String; var allowed: [String]; var usesArgo: Bool }
    struct Process: Encodable {
        var type: String
        var context: String
        var selectedBy: String
        var permissive: Bool
        var devices: [Access]
        var canUseArgo: Bool
    }

    var policy: String
    var decisionsFrom: String
    var booleans: [String: Bool]
    var devices: [Device]
    var processes: [Process]
    var argoUsers: [String]
    var notRunByAnyRole: [String]

    init(_ d: GuestDecisions, guest: GuestPolicy, policyPath: String) {
        policy = policyPath
        decisionsFrom = d.source.rawValue
        booleans = Dictionary(d.booleans.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        devices = d.devices.map { Device(path: $0.path, context: $0.contextText, type: $0.typeName) }
        processes = d.processes.enumerated().map { i, p in
            Process(
                type: p.typeName, context: p.contextText, selectedBy: p.selection.rawValue, permissive: d.permissive[i],
                devices: d.devices.indices.map { j in
                    Access(device: d.devices[j].path, allowed: d.allowed[i][j].names, usesArgo: d.allowed[i][j].usesArgo)
                },
                canUseArgo: d.usesArgo(i) || d.permissive[i])
        }
        argoUsers = d.argoUsers
        notRunByAnyRole = guest.unusableProcessTypes
    }
}

private extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
