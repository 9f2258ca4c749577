import ArgoEngine
import ArgumentParser
import ArgusAnalysis
import Flask
import Foundation

/// `argus simulate`: run a scenario of hypercalls through the Argo engine under a policy.
public struct SimulateCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a YAML scenario of Argo hypercalls through the engine under a policy and system.",
        discussion: """
            Exit status 1 when a step's `expect` is not met. --trace writes one JSON line per step; \
            --dump-rings writes each registered ring's memory at the end. See docs/SCENARIOS.md.
            """
    )
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json }

    @OptionGroup public var options: SystemOptions
    @Option(help: ArgumentHelp("The scenario (YAML); not with --generate.", valueName: "file")) public var scenario: String?
    @Option(help: ArgumentHelp("Write the JSON-lines trace here ('-' for standard output).", valueName: "file"))
    public var trace: String?
    @Option(name: .customLong("dump-rings"), help: ArgumentHelp("Write every ring's memory into this directory.", valueName: "dir"))
    public var dumpRings: String?
    @Option(help: "Summary format: text (on standard error) or json (on standard output).")
    public var format: Format = .text
    @OptionGroup(title: "Generated traffic (--generate; see docs/TRAFFIC.md)") public var traffic: TrafficOptions

    public init() {}

    public func run(in context: CommandContext) throws {
        if traffic.generate {
            guard scenario == nil, trace == nil, dumpRings == nil else {
                throw InputError("runs without --scenario, --trace or --dump-rings", option: "--generate")
            }
            return try traffic.run(options: options, format: format, in: context)
        }
        guard let scenario else { throw InputError("give --scenario FILE, or --generate for a seeded random workload", option: "--scenario") }
        let parsed = try ScenarioParser.parse(try TextInput.read(scenario), file: scenario)
        let (inventory, loaded) = try options.loadForDeciding(in: context)
        // Domains the scenario creates need their SIDs (and target SIDs) in the table too; a
        // label the policy does not know is the scenario's error, at its step.
        var extras: [(label: String, deviceModelTargetLabel: String?)] = []
        for step in parsed.steps {
            if case .create(_, _, let label, _, let target, _) = step.operation {
                do { _ = try loaded.context(label) } catch {
                    throw InputError("create: \(error.description)", file: scenario, line: step.line)
                }
                extras.append((label, target.flatMap { t in inventory.domains.first { $0.name == t }?.label }))
            }
        }
        let system = try ResolvedSystem(inventory: inventory, policy: loaded, booleans: options.booleanValues(), extraLabels: extras)
        let policy = system.policy
        let decider = TableDecider(system: system)
        let domains = system.domains.enumerated().map { i, d in
            SimulationDomain(name: d.name, domid: d.domid, label: d.label, sid: system.sids[i],
                             privileged: d.privileged, deviceModelTarget: d.target, createdBeforePolicy: d.createdBeforePolicy,
                             buildSID: system.hasBuildLabel(i) ? system.buildSIDs[i] : nil)
        }
        let simulator = try ScenarioSimulator(
            settings: ArgoBootSettings(system.boot, profile: system.profile, decider: decider), domains: domains,
            resolveLabel: { label in (try? policy.context(label)).flatMap { system.table.sid(of: $0) } })
        // The rule list the toolstack left before any guest runs (OpenXT's Xen only).
        if system.inventory.hasFirewall { simulator.hypervisor.installFirewall(system.inventory.firewall.ruleList().rules) }
        let result = try simulator.run(parsed)

        // Every output file of the run, or none of them. The trace's first line names the Xen it is for.
        let traceText = XenProfileJSON.traceHeader(system.profile, basis: system.inventory.profileBasis) + "\n" + result.traceText
        let outputs = OutputTransaction()
        do {
            if let trace, trace != "-" { try outputs.stage(Array(traceText.utf8), to: trace) }
            if let dumpRings {
                try outputs.prepareDirectory(dumpRings)
                for dump in simulator.ringDumps() { try outputs.stage(dump.bytes, named: dump.fileName, in: dumpRings) }
            }
            try outputs.commit()
        } catch {
            outputs.rollback()
            throw error
        }
        if trace == "-" { context.standardOutput.write(traceText) }
        switch format {
        case .json: context.standardOutput.write(result.summary.jsonLine + "\n")
        case .text: context.standardError.write(Self.summaryText(result.summary, scenario: scenario))
        }
        if result.summary.expectationMismatches > 0 { throw ExitCode(ArgusExitStatus.negative) }
    }

    static func summaryText(_ s: SimulationSummary, scenario: String) -> String {
        var out = "\(scenario): \(s.steps) steps, \(s.successes) succeeded"
        let failures = s.failuresByErrno.keys.sorted().map { "\($0) \(s.failuresByErrno[$0]!)" }
        if !failures.isEmpty { out += ", failed: " + failures.joined(separator: ", ") }
        out += "; \(s.messagesDelivered) messages (\(s.bytesDelivered) bytes) delivered; \(s.denials) XSM denials"
        out += "; \(s.expectationMismatches) expectation mismatches"
        if !s.mismatchLines.isEmpty { out += " (lines \(s.mismatchLines.map(String.init).joined(separator: ", ")))" }
        return out + "\n"
    }
}

/// `argus simulate --generate`: a seeded random workload from the inventory and the audit.
public struct TrafficOptions: ParsableArguments {
    @Flag(help: "Generate a seeded random workload instead of running a scenario.") public var generate = false
    @Option(help: "Random seed: the same seed and options give the same JSON report, byte for byte.") public var seed: UInt64 = 1
    @Option(help: "Messages to send.") public var messages: Int = 100_000
    @Option(help: "Domains to run (extra ones clone inventory labels round-robin; default: the inventory).") public var domains: Int?
    @Option(name: .customLong("rings-per-domain"), help: "Rings each Argo domain registers (1-128).") public var ringsPerDomain: Int = 8
    @Option(name: .customLong("ring-size"), help: "Ring data length in bytes (multiple of 16).") public var ringSize: UInt32 = 8128
    @Option(help: ArgumentHelp("Payload sizes, chosen uniformly per message.", valueName: "n,n,...")) public var sizes: String = "16,256,4096"
    @Option(name: .customLong("churn-every"), help: "Destroy and recreate a domain every N messages (0: never).") public var churnEvery: Int = 50_000
    @Option(name: .customLong("max-memory"), help: ArgumentHelp(
        "Refuse (exit 2) a run whose estimated memory (every ring's pages, drivers, staging) is above this many bytes; "
            + "suffixes K, M, G, T (powers of 1024). Default: half of physical memory.", valueName: "bytes"))
    public var maxMemory: String?

    public init() {}

    func run(options: SystemOptions, format: SimulateCommand.Format, in context: CommandContext) throws {
        var configuration = TrafficConfiguration()
        configuration.seed = seed
        configuration.messages = messages
        configuration.domains = domains
        configuration.ringsPerDomain = ringsPerDomain
        configuration.ringSize = ringSize
        configuration.sizes = try TrafficConfiguration.parseSizes(sizes)
        configuration.churnEvery = churnEvery
        if let maxMemory {
            guard let limit = TrafficConfiguration.parseByteCount(maxMemory) else {
                throw InputError("'\(maxMemory)' is not a byte count (e.g. 512M, 4G)", option: "--max-memory")
            }
            configuration.maxMemory = limit
        } else {
            configuration.maxMemory = ProcessInfo.processInfo.physicalMemory / 2
        }
        let system = try options.resolve(in: context)
        let simulator = try TrafficSimulator(system: system, configuration: configuration)
        let environment = ProcessInfo.processInfo.environment
        // The run may be long: notes held so far go out now, and the progress bar after them.
        context.releaseHeldDiagnostics()
        let bar = TrafficProgressBar(enabled: isatty(2) != 0 && context.standardErrorIsProcess
                                         && (environment["CI"] ?? "").isEmpty,
                                     color: environment["NO_COLOR"] == nil)
        let start = Date()
        let report = simulator.run(progress: bar.enabled ? { done, total in context.standardError.write(bar.line(done, total)) } : nil)
        if bar.enabled { context.standardError.write(bar.clear) }
        switch format {
        case .json: context.standardOutput.write(report.json)
        case .text: context.standardOutput.write(report.text(seconds: Date().timeIntervalSince(start)))
        }
    }
}
