import ArgoEngine
import Flask

/// Where a rule in the firewall came from, for explanations ("through which rule").
public enum FirewallOrigin: Sendable, Hashable, CustomStringConvertible {
    /// A VM's `argo_firewall_rules` entry reduced by the toolstack; `inverse` when the rule is
    /// the reverse direction that xenmgr adds for every rule.
    case vmRule(vm: String, rule: String, inverse: Bool, location: SourceLocation?)
    /// The frame xenmgr puts around the VMs' rules (`dom0 -> dom0` and the final REJECT).
    case toolstackFrame(String)
    /// A raw viptables line (system file `[firewall] rules` or a rules file).
    case line(String, location: SourceLocation?)

    public var description: String {
        switch self {
        case .vmRule(let vm, let rule, let inverse, let location):
            "\(inverse ? "inverse of " : "")'\(rule)' of \(vm)" + (location.map { " (\($0))" } ?? "")
        case .toolstackFrame(let what): "OpenXT toolstack: \(what)"
        case .line(let text, let location): "'\(text)'" + (location.map { " (\($0))" } ?? "")
        }
    }

    public var location: SourceLocation? {
        switch self {
        case .vmRule(_, _, _, let l), .line(_, let l): l
        case .toolstackFrame: nil
        }
    }
}

/// A rule of the global list and where it came from.
public struct FirewallEntry: Sendable, Hashable {
    public var rule: VIPTablesRule
    public var origin: FirewallOrigin
}

/// The global rule list with each rule's origin, built by replaying viptables commands with
/// the engine's own position arithmetic (so positions behave exactly as the patch's do).
public struct FirewallRuleList: Sendable, Hashable {
    public private(set) var entries: [FirewallEntry] = []

    public init() {}

    public var rules: [VIPTablesRule] { entries.map(\.rule) }

    /// Runs one command as the hypercall would.
    public mutating func apply(_ command: VIPTablesCommand, origin: FirewallOrigin) {
        switch command {
        case .append(let rule):
            entries.append(FirewallEntry(rule: rule, origin: origin))
        case .insert(let rule, let position):
            entries.insert(FirewallEntry(rule: rule, origin: origin),
                           at: VIPTables.insertionIndex(position: position, count: entries.count))
        case .deletePosition(let position):
            // Position -1 is the op's "not a position": delete by rule, and with no rule, flush.
            if position == -1 { entries.removeAll(); return }
            if let i = VIPTables.deletionIndex(position: position, count: entries.count) { entries.remove(at: i) }
        case .deleteMatching(let rule):
            if let i = entries.firstIndex(where: { $0.rule.hasSameAddresses(as: rule) }) { entries.remove(at: i) }
        case .flush:
            entries.removeAll()
        }
    }

    /// The first rule matching a message, with its 1-based position; nil: no rule matches
    /// (the patch then accepts).
    public func firstMatch(_ source: ArgoAddress, _ destination: ArgoAddress) -> (position: Int, entry: FirewallEntry)? {
        for (i, e) in entries.enumerated() where e.rule.matches(source, destination) { return (i + 1, e) }
        return nil
    }

    /// What the firewall does with messages from domain `sender` to `destination`, over the
    /// source ports the sender could choose (the guest picks its source port freely).
    public func verdict(from sender: UInt16, sourcePort: UInt32? = nil, to destination: ArgoAddress) -> FirewallVerdict {
        let ports: [UInt32?]
        if let sourcePort {
            ports = [sourcePort]
        } else {
            // Every port a rule names for this pair, plus one port no rule names.
            var named = Set<UInt32>()
            for e in entries where e.rule.source.aport != ArgoABI.portAny
                && (e.rule.source.domainID == ArgoABI.domidAny || e.rule.source.domainID == sender) {
                named.insert(e.rule.source.aport)
            }
            ports = named.sorted().map { Optional($0) } + [nil]
        }
        var outcomes: [FirewallVerdict.PortOutcome] = []
        var otherPort: UInt32 = 0
        let namedPorts = Set(ports.compactMap { $0 })
        while namedPorts.contains(otherPort) { otherPort += 1 }
        for p in ports {
            let port = p ?? otherPort
            let match = firstMatch(ArgoAddress(aport: port, domainID: sender), destination)
            outcomes.append(.init(sourcePort: p, position: match?.position, entry: match?.entry,
                                  accepted: match.map { $0.entry.rule.accept != 0 } ?? true))
        }
        return FirewallVerdict(outcomes: outcomes, askedPort: sourcePort)
    }
}

/// The firewall's answer for one sender and destination, port by port.
public struct FirewallVerdict: Sendable, Hashable {
    public struct PortOutcome: Sendable, Hashable {
        /// nil: every source port no rule names.
        public var sourcePort: UInt32?
        /// 1-based position of the deciding rule; nil when none matched (accepted).
        public var position: Int?
        public var entry: FirewallEntry?
        public var accepted: Bool
    }

    public var outcomes: [PortOutcome]
    /// The one source port asked about, if any.
    public var askedPort: UInt32?

    /// Accepted whatever source port the sender uses (or the asked port is accepted).
    public var acceptsEvery: Bool { outcomes.allSatisfy(\.accepted) }
    /// Accepted for at least one source port.
    public var acceptsSome: Bool { outcomes.contains(where: \.accepted) }

    /// The outcome that best explains the answer: for "some ports only", the first port that
    /// passes; otherwise (every port, or none) the outcome for a port no rule names (the last).
    public var deciding: PortOutcome {
        acceptsSome && !acceptsEvery ? outcomes.first(where: \.accepted)! : outcomes[outcomes.count - 1]
    }

    /// The source ports that pass, when only some do (the named ones; "other" is nil).
    public var acceptedPorts: [UInt32?] { outcomes.filter(\.accepted).map(\.sourcePort) }
}
