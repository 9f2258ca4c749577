import ArgoEngine
import Flask

/// One VM rule as written in a system file: the rule, its text and where it stands.
public struct WrittenOpenXTRule: Sendable, Hashable, Codable {
    public var rule: OpenXTRule
    public var text: String
    public var location: SourceLocation?

    public init(rule: OpenXTRule, text: String, location: SourceLocation?) {
        self.rule = rule
        self.text = text
        self.location = location
    }
}

/// One raw viptables line as written (system file `[firewall] rules`, or a rules file).
public struct WrittenVIPTablesLine: Sendable, Hashable {
    public var command: VIPTablesCommand
    public var text: String
    public var location: SourceLocation?

    public init(command: VIPTablesCommand, text: String, location: SourceLocation?) {
        self.command = command
        self.text = text
        self.location = location
    }
}

/// How the host's firewall is configured: OpenXT's toolstack over its running VMs (when it
/// manages the firewall), then raw viptables lines, in that order (docs/FIREWALL.md).
public struct FirewallSetup: Sendable, Hashable {
    /// The running VMs, when OpenXT's toolstack manages the firewall; nil when it does not.
    public var toolstackVMs: [OpenXTVM]?
    public var lines: [WrittenVIPTablesLine]

    public init(toolstackVMs: [OpenXTVM]? = nil, lines: [WrittenVIPTablesLine] = []) {
        self.toolstackVMs = toolstackVMs
        self.lines = lines
    }

    /// Whether anything configures the firewall at all.
    public var isConfigured: Bool { toolstackVMs != nil || !lines.isEmpty }

    /// The global rule list once the toolstack and the lines have run.
    public func ruleList() -> FirewallRuleList {
        var list = FirewallRuleList()
        if let vms = toolstackVMs {
            for (command, origin) in OpenXTToolstack.startupCommands(vms: vms) { list.apply(command, origin: origin) }
        }
        for line in lines { list.apply(line.command, origin: .line(line.text, location: line.location)) }
        return list
    }

    /// Every command in order, as text (`viptables ...`), for `--show-firewall`-style output.
    public func commands() -> [(text: String, origin: FirewallOrigin)] {
        var out: [(String, FirewallOrigin)] = []
        if let vms = toolstackVMs {
            for (command, origin) in OpenXTToolstack.startupCommands(vms: vms) { out.append(("viptables \(command)", origin)) }
        }
        for line in lines { out.append(("viptables \(line.command)", .line(line.text, location: line.location))) }
        return out
    }
}
