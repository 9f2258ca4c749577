import ArgusAnalysis
import Foundation

/// `audit --processes` (text, JSON) and `query --process` (one process, gate by gate).
public enum ProcessRenderer {
    static func useWords(_ u: ProcessArgoUse) -> String {
        if !u.sendDevices.isEmpty { return "sends through \(u.sendDevices.joined(separator: ", "))" }
        if u.permissive { return "sends only because its type is permissive" }
        return "cannot send: " + u.sendMissing.map { "\($0.device) lacks \($0.missing.joined(separator: "/"))" }.joined(separator: "; ")
    }

    public static func text(_ pa: ProcessAudit, to sink: (String) -> Void) {
        let sa = pa.services
        let d = sa.audit.system.domains
        var out = "\nProcesses (the domain's SELinux policy -> Argo device; then the services' gates):\n"
        out += "  sending needs open+ioctl+write on an Argo device, owning a ring open+ioctl+read (docs/GUEST-POLICY.md)\n"
        for dp in pa.domains.compactMap({ $0 }) {
            out += "  \(d[dp.domain].name) (\(dp.policyPath)):\n"
            for (p, process) in dp.decisions.processes.enumerated() {
                let u = dp.uses[p]
                out += "    \(process.typeName): \(useWords(u))"
                if u.maySend {
                    let reached = pa.servicesReached(from: dp.domain, process: p).map { ServiceRenderer.name(sa, $0) }
                    out += reached.isEmpty ? "; reaches no service" : "; reaches \(reached.joined(separator: ", "))"
                }
                if u.mayReceive { out += "; may own rings" }
                out += "\n"
            }
        }
        let without = pa.domains.indices.filter { pa.domains[$0] == nil }.map { d[$0].name }
        if !without.isEmpty { out += "  no SELinux policy given (any process): \(without.joined(separator: ", "))\n" }
        sink(out)
    }

    struct JSONProcess: Encodable {
        var domain: String
        var process: String
        var context: String
        var permissive: Bool
        var send_devices: [String]
        var receive_devices: [String]
        var may_send: Bool
        var may_own_rings: Bool
        var reaches: [String]
    }

    /// The value of the `processes` key.
    public static func json(_ pa: ProcessAudit) -> String {
        let sa = pa.services
        let d = sa.audit.system.domains
        var items: [JSONProcess] = []
        for dp in pa.domains.compactMap({ $0 }) {
            for (p, process) in dp.decisions.processes.enumerated() {
                let u = dp.uses[p]
                let reached = pa.servicesReached(from: dp.domain, process: p).map { ServiceRenderer.name(sa, $0) }
                items.append(JSONProcess(domain: d[dp.domain].name, process: process.typeName, context: process.contextText,
                                         permissive: u.permissive, send_devices: u.sendDevices, receive_devices: u.receiveDevices,
                                         may_send: u.maySend, may_own_rings: u.mayReceive, reaches: reached))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(items)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// A section for the audit page: per domain with a policy, its process types, what each may
    /// do with the devices, and the services it reaches (the third level below domains and services).
    public static func html(_ pa: ProcessAudit) -> String {
        let sa = pa.services
        let d = sa.audit.system.domains
        let e = HTMLText.escape
        var out = "<section><h2>Processes</h2><p class=\"hint\">Process types of the domains whose SELinux policy the system "
        out += "file gives: sending needs open+ioctl+write on an Argo device, owning a ring open+ioctl+read.</p>\n"
        out += "<table class=\"services\"><tr><th>domain</th><th>process type</th><th>sends through</th><th>reaches</th></tr>\n"
        for dp in pa.domains.compactMap({ $0 }) {
            for (p, process) in dp.decisions.processes.enumerated() {
                let u = dp.uses[p]
                let reached = pa.servicesReached(from: dp.domain, process: p).map { ServiceRenderer.name(sa, $0) }
                out += "<tr><td>\(e(d[dp.domain].name))</td><td>\(e(process.typeName))\(u.permissive ? " (permissive)" : "")</td>"
                out += "<td class=\"\(u.maySend ? "yes" : "no")\" title=\"\(e(useWords(u)))\">\(e(u.sendDevices.isEmpty ? (u.permissive ? "permissive" : "—") : u.sendDevices.joined(separator: ", ")))</td>"
                out += "<td>\(e(reached.isEmpty ? "—" : reached.joined(separator: ", ")))</td></tr>\n"
            }
        }
        return out + "</table></section>\n"
    }

    /// One process into one service: the process gate, then the service's, then the receivers.
    public static func explain(_ pa: ProcessAudit, domain i: Int, process: String, service s: Int) -> (text: String, lands: Bool) {
        let sa = pa.services
        let d = sa.audit.system.domains
        let reach = pa.reaches(from: i, service: s).first { $0.process == process }!
        let e = ServiceExplanation(sa, sender: i, service: s)
        var out = "\(d[i].name)/\(process) -> \(ServiceRenderer.name(sa, s)): \(reach.lands ? "lands" : "refused")\n"
        out += "  0. process: \(reach.use!.maySend ? "pass" : "STOP") - \(useWords(reach.use!)) (\(pa.domains[i]!.policyPath))\n"
        out += e.text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().map { "\($0)" }.joined(separator: "\n")
        if let receivers = reach.receivers {
            out += "  receivers in \(d[sa.services[s].domain].name): " + (receivers.isEmpty ? "none may own a ring (open+ioctl+read)" : receivers.joined(separator: ", ")) + "\n"
        }
        return (out, reach.lands)
    }
}
