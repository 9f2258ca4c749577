import ArgoEngine
import ArgusFirewall
import Flask

/// The services section of the audit in every format (docs/FIREWALL.md, "Services").
public enum ServiceRenderer {
    /// `dom0:5555`, the way users name a service.
    public static func name(_ sa: ServiceAudit, _ s: Int) -> String {
        let service = sa.services[s]
        return "\(sa.audit.system.domains[service.domain].name):\(service.ring.aport)"
    }

    static func partner(_ ring: ServiceRing) -> String { ring.partner ?? "any" }

    /// The one-line reason for a reach.
    public static func reason(_ sa: ServiceAudit, _ r: ServiceReach) -> String {
        let d = sa.audit.system.domains
        let service = sa.services[r.service]
        let receiver = d[service.domain].name, sender = d[r.sender].name
        switch r.gate {
        case .delivered, .firewall where r.lands:
            var text = "lands"
            if let f = r.firewall { text += "; firewall: " + firewallWords(f, lands: true) }
            return text
        case .argoOff: return "Argo is off (argo=0): -EOPNOTSUPP"
        case .senderEnable: return "\(sender) may not use Argo (XSM enable refused): -\(r.errno ?? "")"
        case .xsmSend: return "XSM send \(sender) -> \(receiver) refused: -\(r.errno ?? "")"
        case .firewall: return "firewall: " + (r.firewall.map { firewallWords($0, lands: false) } ?? "rejected") + ": -EPERM"
        case .senderNoArgo: return "\(sender) has no Argo state (enable refused when it was created): -ENODEV"
        case .receiverNoArgo: return "\(receiver) has no Argo state: -ECONNREFUSED"
        case .ringNotRegistered:
            return service.ring.partner == nil
                ? "\(receiver) cannot register a wildcard ring (needs mac_permissive and register_any_source): -ECONNREFUSED"
                : "\(receiver) may not register the ring for \(partner(service.ring)) (register_single_source): -ECONNREFUSED"
        case .otherPartner: return "the ring takes messages from \(partner(service.ring)) only: -ECONNREFUSED"
        case .partnerRingFirst: return "lands in \(receiver)'s ring for \(sender) at the same port instead"
        }
    }

    /// The firewall's part in words: the deciding rule, its position and origin, and the ports.
    static func firewallWords(_ f: FirewallVerdict, lands: Bool) -> String {
        let o = f.deciding
        var text: String
        if let position = o.position, let entry = o.entry {
            text = "rule \(position) \(entry.rule) from \(entry.origin)"
        } else {
            text = "no rule matches (the firewall accepts)"
        }
        if f.askedPort == nil, lands, !f.acceptsEvery {
            let ports = f.acceptedPorts.map { $0.map(String.init) ?? "other" }
            text += " (only from source port\(ports.count == 1 ? "" : "s") \(ports.joined(separator: ", ")))"
        }
        return text
    }

    // MARK: Text

    public static func text(_ sa: ServiceAudit, to sink: (String) -> Void) {
        let d = sa.audit.system.domains
        var out = "\nServices (a ring at a port; who can land a message in it"
        out += sa.sourcePort.map { ", from source port \($0)" } ?? ""
        out += "):\n"
        if sa.firewallActive {
            out += "  firewall: \(sa.firewall.entries.count) rule\(sa.firewall.entries.count == 1 ? "" : "s") (OpenXT viptables); "
            out += "notify is not filtered by the firewall\n"
        } else if sa.audit.system.inventory.firewall.isConfigured {
            out += "  firewall: configured, but \(sa.audit.system.profile) has no firewall (OpenXT's Xen has it): ignored\n"
        }
        if sa.services.isEmpty { out += "  (no [[domain.ring]] declared)\n" }
        sink(out)
        let width = d.map(\.name.count).max() ?? 0
        for s in sa.services.indices {
            let ring = sa.services[s].ring
            var block = "  \(name(sa, s)) (ring for \(partner(ring))\(ring.size.map { ", \($0) bytes" } ?? ""))\n"
            for i in d.indices {
                let r = sa.reach(sender: i, service: s)
                let mark = r.lands ? (r.landsFromEveryPort ? "yes " : "some") : "no  "
                block += "    \(d[i].name.padding(toLength: width, withPad: " ", startingAt: 0))  \(mark)  \(reason(sa, r))\n"
            }
            sink(block)
        }
    }

    // MARK: JSON

    /// The value of the `services` key: one object per service with one entry per sender.
    public static func json(_ sa: ServiceAudit) -> String {
        let d = sa.audit.system.domains
        var w = JSONStreamWriter()
        w.raw("{\"firewall\": {\"active\": \(sa.firewallActive), \"notify_filtered\": false, \"rules\": [")
        for (k, e) in sa.firewall.entries.enumerated() {
            w.raw(k == 0 ? "" : ", ")
            w.raw("{\"position\": \(k + 1), \"rule\": "); w.string(e.rule.description)
            w.raw(", \"origin\": "); w.string(e.origin.description); w.raw("}")
        }
        w.raw("]}, \"source_port\": " + (sa.sourcePort.map(String.init) ?? "null") + ", \"rings\": [")
        for s in sa.services.indices {
            let service = sa.services[s]
            w.raw(s == 0 ? "\n    {\"domain\": " : ",\n    {\"domain\": "); w.string(d[service.domain].name)
            w.raw(", \"aport\": \(service.ring.aport), \"partner\": "); w.string(partner(service.ring))
            w.raw(", \"size\": " + (service.ring.size.map(String.init) ?? "null") + ", \"senders\": [")
            for i in d.indices {
                let r = sa.reach(sender: i, service: s)
                w.raw(i == 0 ? "\n      {\"sender\": " : ",\n      {\"sender\": "); w.string(d[i].name)
                w.raw(", \"lands\": \(r.lands), \"every_port\": \(r.landsFromEveryPort), \"gate\": "); w.string(r.gate.rawValue)
                w.raw(", \"errno\": " + (r.errno.map(JSONStreamWriter.quoted) ?? "null"))
                if let f = r.firewall {
                    let o = f.deciding
                    w.raw(", \"firewall\": {\"accepts_some_port\": \(f.acceptsSome), \"accepts_every_port\": \(f.acceptsEvery)")
                    w.raw(", \"rule_position\": " + (o.position.map(String.init) ?? "null") + ", \"rule\": ")
                    w.raw(o.entry.map { JSONStreamWriter.quoted($0.rule.description) } ?? "null")
                    w.raw(", \"origin\": " + (o.entry.map { JSONStreamWriter.quoted($0.origin.description) } ?? "null"))
                    w.raw(", \"source_ports\": [" + f.acceptedPorts.map { $0.map(String.init) ?? "\"other\"" }.joined(separator: ", ") + "]}")
                }
                w.raw("}")
            }
            w.raw(d.isEmpty ? "]}" : "\n    ]}")
        }
        w.raw(sa.services.isEmpty ? "]}" : "\n  ]}")
        return w.text
    }

    // MARK: CSV

    /// One row per (service, sender).
    public static func csv(_ sa: ServiceAudit, to sink: (String) -> Void) {
        let d = sa.audit.system.domains
        var out = "service_domain,aport,partner,sender,lands,every_port,gate,errno,rule_position,rule,rule_origin\n"
        for s in sa.services.indices {
            let service = sa.services[s]
            for i in d.indices {
                let r = sa.reach(sender: i, service: s)
                let o = r.firewall?.deciding
                let fields: [String] = [
                    d[service.domain].name, "\(service.ring.aport)", partner(service.ring), d[i].name, "\(r.lands)",
                    "\(r.landsFromEveryPort)", r.gate.rawValue, r.errno ?? "", o?.position.map(String.init) ?? "",
                    o?.entry?.rule.description ?? "", o?.entry?.origin.description ?? "",
                ]
                out += fields.map(AuditRenderer.csvField).joined(separator: ",") + "\n"
            }
            sink(out)
            out = ""
        }
        if !out.isEmpty { sink(out) }
    }

    // MARK: HTML

    /// A section for the audit page: a service × sender matrix with the reason in each cell's title.
    public static func html(_ sa: ServiceAudit) -> String {
        let e = HTMLText.escape
        let d = sa.audit.system.domains
        var out = "<section><h2>Services</h2><p class=\"hint\">Row = a ring at a port, column = sender. "
        out += sa.firewallActive ? "OpenXT firewall on (\(sa.firewall.entries.count) rules); notify is not filtered by it.</p>\n"
                                 : "No firewall in this Xen.</p>\n"
        out += "<table class=\"services\"><tr><th></th>" + d.map { "<th>\(e($0.name))</th>" }.joined() + "</tr>\n"
        for s in sa.services.indices {
            out += "<tr><th>\(e(name(sa, s))) <small>for \(e(partner(sa.services[s].ring)))</small></th>"
            for i in d.indices {
                let r = sa.reach(sender: i, service: s)
                let cls = r.lands ? (r.landsFromEveryPort ? "yes" : "some") : "no"
                out += "<td class=\"\(cls)\" title=\"\(e(reason(sa, r)))\">\(r.lands ? (r.landsFromEveryPort ? "✓" : "◐") : "·")</td>"
            }
            out += "</tr>\n"
        }
        return out + "</table></section>\n"
    }
}
