import ArgusAnalysis
import Flask

/// Lint checks that join a domain's processes with the Xen side (`argus lint --system`, for
/// domains whose SELinux policy the system file gives). docs/LINT.md, "Process checks".
public enum ProcessLintChecks {
    public static let checks: [(id: String, name: String, summary: String)] = [
        ("PR001", "process-sends-without-argo",
         "a process type may send through an Argo device, but its domain has no Argo state: every hypercall it makes fails"),
        ("PR002", "argo-device-unused",
         "no process type may use an Argo device at all: its label's type is in no rule that grants a process chr_file permissions on it"),
    ]

    public static func run(_ pa: ProcessAudit) -> [LintFinding] {
        let system = pa.services.audit.system
        var out: [LintFinding] = []
        for dp in pa.domains.compactMap({ $0 }) {
            let domain = system.domains[dp.domain]
            let place = domain.location ?? SourceLocation(file: system.inventory.path)
            if !pa.services.audit.domains[dp.domain].argo {
                for (p, process) in dp.decisions.processes.enumerated() where dp.uses[p].maySend {
                    var f = LintFinding(id: "PR001", check: checks[0].name,
                                        message: "\(domain.name)/\(process.typeName) may send through \(dp.uses[p].sendDevices.joined(separator: ", ")) but \(domain.name) has no Argo state",
                                        reference: nil)
                    f.location = place
                    f.rule = "\(domain.name): \(dp.policyPath)"
                    out.append(f)
                }
            }
            for (k, device) in dp.decisions.devices.enumerated()
            where !dp.decisions.processes.indices.contains(where: { !dp.decisions.allowed[$0][k].isEmpty }) {
                var f = LintFinding(id: "PR002", check: checks[1].name,
                                    message: "no process of \(domain.name) may use \(device.path) (\(device.contextText)): its type \(device.typeName) is in no rule granting a process chr_file permissions",
                                    reference: nil)
                f.location = place
                f.rule = "\(domain.name): \(dp.policyPath)"
                out.append(f)
            }
        }
        return out
    }
}
