import ArgusFirewall

/// What a change does to services: firewall rules gone and new, and the (sender, service)
/// pairs it opens or closes, each with the reason on both sides (`argus diff --services`).
public struct ServiceDiff: Sendable, Equatable, Encodable {
    public struct RuleChange: Sendable, Equatable, Encodable {
        public var rule: String
        public var origin: String
    }

    public struct ReachChange: Sendable, Equatable, Encodable {
        public var sender: String
        public var service: String
        public var partner: String
        /// "opened" or "closed".
        public var change: String
        public var old: String
        public var new: String
    }

    public var rulesRemoved: [RuleChange]
    public var rulesAdded: [RuleChange]
    public var opened: [ReachChange]
    public var closed: [ReachChange]
    /// Lands before and after, but from other source ports.
    public var portsChanged: [ReachChange]

    public var isEmpty: Bool { rulesRemoved.isEmpty && rulesAdded.isEmpty && reachChanged.isEmpty }
    /// Opened, closed or ports changed: what makes `diff` exit 1.
    public var reachChanged: [ReachChange] { opened + closed + portsChanged }

    /// Compares two service audits of the same domains. A service is the same when the same
    /// domain declares a ring at the same port for the same partner; one only on one side
    /// counts as opened (or closed) for every sender that can land in it.
    public init(old: ServiceAudit, new: ServiceAudit) {
        // Rules as a multiset of (rule, origin without its place): the list's duplicates count,
        // and a rule that only moved in the file is the same rule.
        func rules(_ sa: ServiceAudit) -> [(key: String, change: RuleChange)] {
            sa.firewall.entries.map { e in
                let key: String = switch e.origin {
                case .vmRule(let vm, let rule, let inverse, _): "\(e.rule)|\(vm)|\(rule)|\(inverse)"
                case .toolstackFrame(let what): "\(e.rule)|frame|\(what)"
                case .line(let text, _): "\(e.rule)|line|\(text)"
                }
                return (key, RuleChange(rule: e.rule.description, origin: e.origin.description))
            }
        }
        func difference(_ a: [(key: String, change: RuleChange)], _ b: [(key: String, change: RuleChange)]) -> [RuleChange] {
            var remaining = b.map(\.key)
            var out: [RuleChange] = []
            for r in a {
                if let k = remaining.firstIndex(of: r.key) { remaining.remove(at: k) } else { out.append(r.change) }
            }
            return out
        }
        rulesRemoved = difference(rules(old), rules(new))
        rulesAdded = difference(rules(new), rules(old))

        func key(_ sa: ServiceAudit, _ s: Int) -> String {
            "\(ServiceRenderer.name(sa, s))/\(sa.services[s].ring.partner ?? "*")"
        }
        let oldIndex = Dictionary(old.services.indices.map { (key(old, $0), $0) }, uniquingKeysWith: { a, _ in a })
        let newIndex = Dictionary(new.services.indices.map { (key(new, $0), $0) }, uniquingKeysWith: { a, _ in a })
        let senders = new.audit.system.domains.map(\.name)
        var opened: [ReachChange] = [], closed: [ReachChange] = [], ports: [ReachChange] = []
        func portSignature(_ r: ServiceReach?) -> String {
            guard let r else { return "none" }
            if r.landsFromEveryPort { return "every" }
            return "\(r.lands)|\(r.landsFromEveryPort)|" + (r.firewall?.acceptedPorts.map { $0.map(String.init) ?? "other" }.joined(separator: ",") ?? "")
        }
        let keys = (old.services.indices.map { key(old, $0) } + new.services.indices.map { key(new, $0) })
        var seen: Set<String> = []
        for k in keys where seen.insert(k).inserted {
            let o = oldIndex[k], n = newIndex[k]
            for (i, sender) in senders.enumerated() {
                let before = o.map { old.reach(sender: i, service: $0) }, after = n.map { new.reach(sender: i, service: $0) }
                let was = before?.lands ?? false, now = after?.lands ?? false
                guard was != now || (now && portSignature(before) != portSignature(after)) else { continue }
                let service = n.map { ServiceRenderer.name(new, $0) } ?? ServiceRenderer.name(old, o!)
                let partner = (n.map { new.services[$0].ring } ?? old.services[o!].ring).partner ?? "any"
                let change = ReachChange(
                    sender: sender, service: service, partner: partner, change: was == now ? "ports changed" : now ? "opened" : "closed",
                    old: before.map { ServiceRenderer.reason(old, $0) } ?? "no such ring",
                    new: after.map { ServiceRenderer.reason(new, $0) } ?? "no such ring")
                if was == now { ports.append(change) } else if now { opened.append(change) } else { closed.append(change) }
            }
        }
        self.opened = opened
        self.closed = closed
        portsChanged = ports
    }

    public var text: String {
        var out = "services: \(opened.count) opened, \(closed.count) closed, \(portsChanged.count) from other source ports; "
        out += "firewall rules: \(rulesAdded.count) added, \(rulesRemoved.count) removed\n"
        for r in rulesRemoved { out += "  - rule \(r.rule) (\(r.origin))\n" }
        for r in rulesAdded { out += "  + rule \(r.rule) (\(r.origin))\n" }
        for c in reachChanged {
            out += "\n\(c.change == "opened" ? "+" : c.change == "closed" ? "-" : "~") \(c.sender) -> \(c.service) (ring for \(c.partner))\n"
            out += "    old: \(c.old)\n    new: \(c.new)\n"
        }
        return out
    }

    public var markdown: String {
        var out = "\n#### Services and firewall\n\n**\(opened.count) opened, \(closed.count) closed, \(portsChanged.count) from other source ports**; "
        out += "firewall rules \(rulesAdded.count) added, \(rulesRemoved.count) removed\n"
        if !reachChanged.isEmpty {
            out += "\n| | sender | service | old | new |\n|---|---|---|---|---|\n"
            for c in reachChanged {
                func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
                out += "| \(c.change == "opened" ? "➕" : c.change == "closed" ? "➖" : "〰") | \(cell(c.sender)) | \(cell(c.service)) | \(cell(c.old)) | \(cell(c.new)) |\n"
            }
        }
        return out
    }
}
