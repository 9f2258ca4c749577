import ArgoEngine
import ArgumentParser
import ArgusAnalysis
import ArgusProcesses
import Flask
import Foundation

/// Options for commands that audit a policy over a system file.
public struct SystemOptions: ParsableArguments {
    @OptionGroup public var policy: PolicyOptions
    @OptionGroup(title: "Which Xen") public var xen: XenOptions

    @Option(name: .customLong("system"), help: ArgumentHelp("The system file (TOML): boot settings and domains.", valueName: "file"))
    public var systemFileOption: String?

    @Option(name: .customLong("system-from-xl-list"), help: HostDomainSource.xlListHelp)
    public var xlList: String?

    /// The file the domains come from: the system file, or the `xl list -Z` output.
    public var systemFile: String {
        get { systemFileOption ?? xlList ?? "" }
        set { systemFileOption = newValue }
    }

    public func validate() throws {
        try HostDomainSource.validate(systemFile: systemFileOption, xlList: xlList, required: true)
    }

    @Option(name: .customLong("bool"), help: ArgumentHelp(
        "Set a policy boolean, as flask-set-bool would (repeatable).", valueName: "name=true|false"))
    public var booleans: [String] = []

    public init() {}

    /// The options of a command that takes its policy, Xen and booleans itself and a system
    /// file by path (`check`, `paths`). Every option of the group is set: ArgumentParser traps
    /// on one read before it was given.
    public init(policy: PolicyOptions, xen: XenOptions, systemFile: String, booleans: [String]) {
        self.policy = policy
        self.xen = xen
        self.systemFileOption = systemFile
        self.xlList = nil
        self.booleans = booleans
    }

    public func booleanValues() throws(InputError) -> [String: Bool] {
        try Self.parseBooleans(booleans)
    }

    /// `--bool NAME=VALUE` items as a name → value map (shared by every command with `--bool`).
    static func parseBooleans(_ items: [String]) throws(InputError) -> [String: Bool] {
        var values: [String: Bool] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw InputError("takes NAME=true|false, not '\(item)'", option: "--bool") }
            switch parts[1].lowercased() {
            case "true", "1", "on": values[parts[0]] = true
            case "false", "0", "off": values[parts[0]] = false
            default: throw InputError("\(parts[0]): expected true or false, not '\(parts[1])'", option: "--bool")
            }
        }
        return values
    }

    /// Loads the system file, selects the Xen (saying so on standard error when it was
    /// inferred), loads the policy with that Xen's numbering and refuses a policy that Xen
    /// would not load (unless --force). `extraLabels`: see `ResolvedSystem`.
    public func resolve(
        in context: CommandContext, extraLabels: (SystemInventory) -> [(label: String, deviceModelTargetLabel: String?)] = { _ in [] }
    ) throws -> ResolvedSystem {
        let (inventory, loaded) = try loadForDeciding(in: context)
        return try ResolvedSystem(inventory: inventory, policy: loaded, booleans: booleanValues(), extraLabels: extraLabels(inventory))
    }

    /// The inventory with its Xen selected and the policy loaded for that Xen.
    func loadForDeciding(in context: CommandContext) throws -> (SystemInventory, Policy) {
        // Without --system-from-xl-list the system file (always a path: it loads or throws).
        guard var inventory = try HostDomainSource.load(systemFile: xlList == nil ? systemFile : nil, xlList: xlList, xlInfo: xen.xlInfo)
        else { preconditionFailure("a system file path that neither loaded nor threw") }
        let selected = try xen.select(policyPath: policy.policy, flaskDirectory: policy.flaskDirectory,
                                      table: inventory.xen, systemFile: systemFile, in: context)
        inventory.select(selected.profile, hostCommandLine: selected.hostCommandLine, basis: selected.basis)
        let loaded = try policy.load(definitions: selected.definitions)
        try xen.admit(loaded, on: selected, flaskDirectory: policy.flaskDirectory, in: context)
        if let panic = inventory.bootPanic {
            context.standardOutput.write("\(systemFile): finding: \(inventory.profile) does not boot with this command line: \(panic)\n")
            throw ExitCode(ArgusExitStatus.negative)
        }
        return (inventory, loaded)
    }
}

/// `argus audit`: who may use Argo with whom.
public struct AuditCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Which domains may register, send, be described by notify, and really communicate over Argo.",
        discussion: """
            Per domain: argo (Argo state exists) and register_any_source (wildcard rings). Per ordered \
            pair: register_single_source, send, notify and channel (a message can really land). \
            Formats: text (matrices), json (a documented contract), csv, dot (Graphviz), html (heat map, graph, explanations).
            """
    )
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json, csv, dot, html }

    @OptionGroup public var options: SystemOptions
    @Option(help: "Output format: text, json, csv, dot or html (one self-contained page).") public var format: Format = .text
    @Flag(help: "Explain every decision: hooks, SIDs and contexts, and the rules or reasons behind it.")
    public var explain = false

    @Flag(help: "Text: list every channel on its own line instead of a summary per source domain.")
    public var verbose = false
    @Flag(help: "Services: for every ring the system file declares ([[domain.ring]]) and every sender, whether a message lands and which gate or firewall rule decides (CSV: the service rows only).")
    public var services = false
    @Option(name: .customLong("source-port"), help: ArgumentHelp("With --services: the source port senders use (default: any port they could pick).", valueName: "port"))
    public var sourcePort: UInt32?
    @Flag(help: "Processes: for domains whose SELinux policy the system file gives, which process types may use the Argo devices and which services they reach (implies --services; text, json and html).")
    public var processes = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    public var output: String?

    public init() {}

    public func run(in context: CommandContext) throws {
        if sourcePort != nil && !services && !processes { throw InputError("only with --services", option: "--source-port") }
        if processes && (format == .csv || format == .dot) {
            throw InputError("--processes is for the text, json and html formats", option: "--processes")
        }
        let system = try options.resolve(in: context)
        let audit = ArgoAudit(system)
        let serviceAudit = services || processes ? ServiceAudit(audit, sourcePort: sourcePort) : nil
        let processAudit = try processes ? serviceAudit.map { sa throws(InputError) in try ProcessAudit(sa) } : nil
        let policyPath = options.policy.policy
        // Every format but the HTML page grows with the pairs: it streams, to the file or to
        // standard output, as it is rendered.
        if format == .html {
            let page = AuditHTMLRenderer.render(audit, policyPath: policyPath,
                                                sections: (serviceAudit.map { [ServiceRenderer.html($0)] } ?? [])
                                                    + (processAudit.map { [ProcessRenderer.html($0)] } ?? []))
            if let output { try writeAtomically(Array(page.utf8), to: output) } else { context.standardOutput.write(page) }
            return
        }
        let color = output == nil && isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            && context.standardOutput is FileDescriptorOutput
        try streamOutput(output, in: context) { sink in
            switch format {
            case .json:
                AuditRenderer.json(audit, policyPath: policyPath, explain: explain,
                                   extra: (serviceAudit.map { [("services", ServiceRenderer.json($0))] } ?? [])
                                       + (processAudit.map { [("processes", ProcessRenderer.json($0))] } ?? []), to: sink)
            case .csv:
                if let serviceAudit { ServiceRenderer.csv(serviceAudit, to: sink) } else { AuditRenderer.csv(audit, to: sink) }
            case .dot: AuditRenderer.dot(audit, to: sink)
            case .text:
                AuditRenderer.text(audit, policyPath: policyPath, color: color, verbose: verbose, to: sink)
                if let serviceAudit { ServiceRenderer.text(serviceAudit, to: sink) }
                if let processAudit { ProcessRenderer.text(processAudit, to: sink) }
                if explain { AuditRenderer.explanations(audit, to: sink) }
            case .html: break
            }
        }
    }
}

/// `argus query`: one question, fully explained.
public struct QueryCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Explain one Argo decision between two domains (exit 0 when allowed, 1 when not).",
        discussion: """
            --perm is a flow of the audit: channel (default), send, notify, register_single_source, \
            or, for one domain (--to not needed), argo and register_any_source.
            """
    )

    @OptionGroup public var options: SystemOptions
    @Option(help: ArgumentHelp("The acting domain (name).", valueName: "domain")) public var from: String
    @Option(help: ArgumentHelp("The other domain (name), or a service: DOMAIN:PORT (a ring the system file declares), explained gate by gate.", valueName: "domain[:port]")) public var to: String?
    @Option(name: .customLong("source-port"), help: ArgumentHelp("With --to DOMAIN:PORT: the sender's source port (default: any).", valueName: "port"))
    public var sourcePort: UInt32?
    @Option(help: ArgumentHelp("With --to DOMAIN:PORT: a process type of --from's SELinux policy (selinux_policy in the system file); the process gate comes first.", valueName: "type"))
    public var process: String?
    @Option(help: ArgumentHelp("The flow to explain.", valueName: "flow")) public var perm: String = "channel"
    @Flag(help: "Print the explanation as JSON.") public var json = false

    public init() {}

    public func run(in context: CommandContext) throws {
        let system = try options.resolve(in: context)
        if let to, let colon = to.lastIndex(of: ":") {
            try explainService(system, domain: String(to[..<colon]), port: String(to[to.index(after: colon)...]), in: context)
            return
        }
        if sourcePort != nil { throw InputError("only with --to DOMAIN:PORT", option: "--source-port") }
        if process != nil { throw InputError("only with --to DOMAIN:PORT", option: "--process") }
        let flows = ["argo", "register_any_source", "register_single_source", "send", "notify", "channel"]
        guard flows.contains(perm) else {
            throw InputError("unknown flow '\(perm)' (expected one of: \(flows.joined(separator: ", ")))", option: "--perm")
        }
        guard let i = system.index(ofDomain: from) else { throw InputError("unknown domain '\(from)'", file: options.systemFile) }
        let perDomain = perm == "argo" || perm == "register_any_source"
        var j: Int?
        if !perDomain {
            guard let to else { throw InputError("\(perm) needs --to", option: "--perm") }
            guard let k = system.index(ofDomain: to) else { throw InputError("unknown domain '\(to)'", file: options.systemFile) }
            j = k
        }
        let audit = ArgoAudit(system)
        let value: Bool = switch perm {
        case "argo": audit.domains[i].argo
        case "register_any_source": audit.domains[i].registerAnySource
        default: audit.has(ArgoAudit.Flow(rawValue: perm)!, i, j!)
        }
        let chain = Explainer(system).explain(flow: perm, i, j)
        if json {
            struct Answer: Encodable { var flow: String; var source: String; var target: String?; var allowed: Bool; var chain: [HookExplanation] }
            context.standardOutput.write(try encodeJSON(Answer(flow: perm, source: from, target: j.map { system.domains[$0].name }, allowed: value, chain: chain)))
        } else {
            context.standardOutput.write(String(AuditRenderer.render(flow: perm, source: from, target: j.map { system.domains[$0].name }, chain: chain, value: value).dropFirst()))
        }
        if !value { throw ExitCode(ArgusExitStatus.negative) }
    }

    /// `--to DOMAIN:PORT`: one service, hop by hop (exit 0 when a message lands, 1 when not).
    func explainService(_ system: ResolvedSystem, domain: String, port: String, in context: CommandContext) throws {
        guard let i = system.index(ofDomain: from) else { throw InputError("unknown domain '\(from)'", file: options.systemFile) }
        guard let j = system.index(ofDomain: domain) else { throw InputError("unknown domain '\(domain)'", option: "--to") }
        guard let aport = UInt32(port) else { throw InputError("'\(port)' is not a port (0 to 4294967295)", option: "--to") }
        let sa = ServiceAudit(ArgoAudit(system), sourcePort: sourcePort)
        let matching = sa.services(of: j, port: aport)
        guard !matching.isEmpty else {
            throw InputError("\(domain) declares no ring at port \(aport) ([[domain.ring]] in the system file)", option: "--to")
        }
        if let process {
            let pa = try ProcessAudit(sa)
            guard pa.domains[i] != nil else {
                throw InputError("'\(from)' has no selinux_policy in the system file", option: "--process")
            }
            guard pa.domains[i]!.index(of: process) != nil else {
                throw InputError("'\(process)' is not a process type of \(from)'s policy", option: "--process")
            }
            var lands = false
            for s in matching {
                let (text, ok) = ProcessRenderer.explain(pa, domain: i, process: process, service: s)
                context.standardOutput.write(text)
                lands = lands || ok
            }
            if !lands { throw ExitCode(ArgusExitStatus.negative) }
            return
        }
        var lands = false
        var answers: [ServiceExplanation] = []
        for s in matching {
            let e = ServiceExplanation(sa, sender: i, service: s)
            lands = lands || e.lands
            answers.append(e)
        }
        if json {
            context.standardOutput.write(try encodeJSON(answers))
        } else {
            context.standardOutput.write(answers.map(\.text).joined(separator: "\n"))
        }
        if !lands { throw ExitCode(ArgusExitStatus.negative) }
    }
}
