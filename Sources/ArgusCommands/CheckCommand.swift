import ArgumentParser
import ArgusAnalysis
import Flask
import Foundation
import XenProfile

/// `argus check`: the CI gate. A rules file says which Argo flows must never or must always
/// exist; exit 1 when the policy breaks one.
public struct CheckCommand: ContextualCommand {
    public static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a policy against Argo rules (exit 0 pass, 1 violations, 2 bad input).",
        discussion: """
            The rules file (TOML, docs/CHECK-RULES.md) has [[never]], [[must]] and [[exempt]] tables with \
            from, to (pair flows only), flow, reason and, for exemptions, until (the last valid day). \
            Selectors: a domain name, type:NAME, attr:NAME or *. With --baseline, violations the old \
            policy already had are reported but do not fail. Formats: text, json, sarif (2.1.0, for GitHub \
            code scanning), junit, markdown, codeclimate (GitLab's code-quality report); docs/CI.md.
            """
    )
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable { case text, json, sarif, junit, markdown, codeclimate }

    @OptionGroup public var options: SystemOptions
    @Option(name: .customLong("rules"), help: ArgumentHelp("The rules file (TOML).", valueName: "file"))
    public var rulesFile: String
    @Option(name: .customLong("baseline"), help: ArgumentHelp(
        "An older policy: only violations it did not already have fail the check.", valueName: "policy"))
    public var baselinePolicy: String?
    @Option(name: .customLong("today"), help: ArgumentHelp(
        "The date exemptions are checked against (default: today).", valueName: "YYYY-MM-DD"))
    public var today: String?
    @Option(help: "Output format: text, json, sarif, junit, markdown or codeclimate.") public var format: Format = .text
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    public var output: String?

    public init() {}

    public func run(in context: CommandContext) throws {
        let date: CalendarDate
        if let today {
            guard let parsed = CalendarDate(parsing: today) else { throw InputError("takes a date YYYY-MM-DD, not '\(today)'", option: "--today") }
            date = parsed
        } else {
            date = CalendarDate.today()
        }
        let rules = try CheckRulesFile.load(rulesFile)
        let system = try options.resolve(in: context)
        var baseline: ResolvedSystem?
        if let baselinePolicy {
            guard let definitions = FlaskDefinitions.xen(release: system.profile.version.definitionsRelease) else {
                throw InputError("Argus has no FLASK definitions for \(system.profile)")
            }
            var loader = PolicyLoader(flaskDirectory: options.policy.flaskDirectory, mls: options.policy.mls, definitions: definitions)
            loader.toolLimits = try options.policy.compileLimits.limits()
            baseline = try DiffCommand.resolve(baselinePolicy, side: "baseline", loader: loader,
                                               inventory: system.inventory, booleans: options.booleanValues())
        }
        let report = try PolicyCheck(rules: rules, today: date).run(system, baseline: baseline)
        let run = CheckRun(policy: options.policy.policy, systemFile: options.systemFile, baselinePolicy: baselinePolicy, report: report,
                           xen: system.profile, xenBasis: system.inventory.profileBasis)
        let text: String = switch format {
        case .text: CheckFormatter.text(run)
        case .json: try CheckFormatter.json(run)
        case .sarif: try CheckSARIF.render(run)
        case .junit: CheckJUnit.render(run)
        case .markdown: CheckFormatter.markdown(run)
        case .codeclimate: try CheckCodeClimate.render(run, relativeTo: FileManager.default.currentDirectoryPath)
        }
        if let output {
            try writeAtomically(Array(text.utf8), to: output)
        } else {
            context.standardOutput.write(text)
        }
        if !report.passed { throw ExitCode(ArgusExitStatus.negative) }
    }
}

/// A check report with the inputs it was made from, for the formatters.
public struct CheckRun: Sendable, Equatable {
    public var policy: String
    public var systemFile: String
    public var baselinePolicy: String?
    public var report: CheckReport
    /// The Xen the check was made for, and how it was chosen.
    public var xen: XenProfile = .head
    public var xenBasis: String = "stated"
}
