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
    @Option(help: ArgumentHelp("The scenario (YAML).", valueName: "file")) public var scenario: String
    @Option(help: ArgumentHelp("Write the JSON-lines trace here ('-' for standard output).", valueName: "file"))
    public var trace: String?
    @Option(name: .customLong("dump-rings"), help: ArgumentHelp("Write every ring's memory into this directory.", valueName: "dir"))
    public var dumpRings: String?
    @Option(help: "Summary format: text (on standard error) or json (on standard output).")
    public var format: Format = .text

    public init() {}

    public func run(in context: CommandContext) throws {
        guard let data = FileManager.default.contents(atPath: scenario), let yaml = String(data: data, encoding: .utf8) else {
            throw InputError("no such file or cannot read it", file: scenario)
        }
        let parsed = try ScenarioParser.parse(yaml, file: scenario)
        let inventory = try SystemInventory.load(options.systemFile)
        let policy = try options.policy.load()
        // Domains the scenario creates need their SIDs (and target SIDs) in the table too.
        var extras: [(label: String, deviceModelTargetLabel: String?)] = []
        for step in parsed.steps {
            if case .create(_, _, let label, _, let target, _) = step.operation {
                let targetLabel = target.flatMap { t in inventory.domains.first { $0.name == t }?.label }
                extras.append((label, targetLabel))
            }
        }
        let system = try ResolvedSystem(inventory: inventory, policy: policy, booleans: options.booleanValues(), extraLabels: extras)
        let decider = TableDecider(system: system)
        let domains = system.domains.enumerated().map { i, d in
            SimulationDomain(name: d.name, domid: d.domid, label: d.label, sid: system.sids[i],
                             privileged: d.privileged, deviceModelTarget: d.target)
        }
        let simulator = try ScenarioSimulator(
            settings: ArgoBootSettings(system.boot, decider: decider), domains: domains,
            resolveLabel: { label in (try? policy.context(label)).flatMap { system.table.sid(of: $0) } })
        let result = try simulator.run(parsed)

        if let trace {
            if trace == "-" { context.standardOutput.write(result.traceText) }
            else { try writeAtomically(Array(result.traceText.utf8), to: trace) }
        }
        if let dumpRings {
            do { try FileManager.default.createDirectory(atPath: dumpRings, withIntermediateDirectories: true) } catch {
                throw InputError("cannot create directory: \(error.localizedDescription)", file: dumpRings)
            }
            for dump in simulator.ringDumps() {
                try writeAtomically(dump.bytes, to: (dumpRings as NSString).appendingPathComponent(dump.fileName))
            }
        }
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
